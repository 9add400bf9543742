#include "words.h"

#include <string.h>

/* The word lists as one table (generated from plain lists of each class). */
#define WORDS_MAX 12
/* Entry n: the words of n bytes back to back, lower case and sorted; WORD_N[n] of them,
 * from WORD_FIRST[n] on in WORD_CLASS. */
static const char *const WORDS[13] = {
    "",
    "a",
    ("anasatbebycmctdadedidodrdueaetflftgrifinisitkglalblemgmlmmmrmsmtmynoofonorozpcpksosttoupusvsw"
     "exlxsyd"),
    ("allampandanyarebigbutcandelderdesdidetcfogforgetgothadhasherhishowitsjarkitlbsmaymcgmrsnetnew"
     "nornotoffoneouroutownpcsperpkgqtyredsetsixtantenthetootoptwousevanviavolvonwaswhowhyxxlyesyo"
     "u"),
    ("alsoaquabeenbestbluebothbulkdarkdeepdoesdowneachevenfairfeetfivefootfourfreefromgetsgoldgoodg"
     "ramgraygreyhavehereinchintoitemjarsjustkitslessmademakeminimintmoremostmustnavyninenudeonceon"
     "lyontooverpackpairpinkplumplusroserubysamesandsetsshipsizesuchtealthanthatthemthentheythistwi"
     "nunitusedusesvaryverywerewhatwhenwhomwillwinewithyardyour"),
    ("aboutaboveafteragainamongbeigebeingbelowberryblackblondbonusbrowncocoacolorcoralcountdozeneig"
     "htfluidgramsgreatgreenhoneyitemsivoryjumbokhakilargelightlilacliterlitremakesmauvemightmocham"
     "ultioliveotherouncepackspairspeachpiecepoundsevenshadesheetshipssizedsizesslatesmalltaupethei"
     "rtherethesethosethreetotaltrialunderunitsuntilusingvaluewherewhichwhilewhitewouldyards"),
    ("aroundauburnbeforeblondebottlebronzecartoncherrycolorscolourcopperdoubleduringgoldenincheslit"
     "erslitresmaroonmediumorangeouncespacketpiecespoundspurplesachetsampleshadessheetsshouldsilver"
     "singletraveltriplevariedvariesvioletvolumeweightwithinyellow"),
    ("againstamazingbecausebetweenbottlescaramelcartonscolourseditionfurtherpackagepacketsperfectpr"
     "emiumqualityregularsachetssamplesthroughversionwithout"),
    ("assortedburgundycapacitycharcoalespressolavenderpackagedpackagesquantityshippingstandard"),
    "champagnechocolatecontainermultipackpackagingturquoise",
    "containersmillilitermillilitremulticolor",
    "millilitersmillilitres",
    "multicolored",
};
static const unsigned short WORD_N[13] = {0, 1, 50, 62, 84, 73, 41, 21, 11, 6, 4, 2, 1};
static const unsigned short WORD_FIRST[13] = {0,   0,   1,   51,  113, 197, 270,
                                              311, 332, 343, 349, 353, 355};
static const unsigned char WORD_CLASS[356] = {
    1,  1,  1,  1, 1, 9, 2, 2, 8, 8, 8, 1, 16, 8, 2, 8, 2, 2, 2, 1,  9, 1, 1, 2, 8, 2, 8, 2, 2, 2,
    16, 16, 16, 1, 1, 9, 9, 1, 2, 2, 2, 1, 16, 1, 1, 1, 1, 1, 2, 2,  2, 1, 1, 9, 1, 1, 2, 1, 1, 8,
    8,  8,  1,  1, 4, 1, 1, 1, 1, 1, 1, 1, 1,  1, 2, 2, 2, 1, 2, 16, 2, 1, 1, 1, 1, 1, 1, 1, 1, 2,
    1,  2,  2,  4, 2, 1, 4, 1, 9, 1, 1, 1, 1,  8, 1, 2, 8, 1, 1, 1,  2, 1, 1, 1, 4, 1, 1, 4, 1, 2,
    4,  4,  1,  1, 3, 1, 4, 2, 1, 2, 1, 1, 1,  1, 4, 1, 2, 4, 4, 1,  1, 2, 1, 2, 2, 1, 2, 1, 1, 1,
    2,  4,  1,  1, 1, 4, 1, 4, 1, 1, 1, 1, 2,  2, 4, 4, 1, 4, 4, 1,  4, 2, 2, 2, 1, 4, 1, 1, 1, 1,
    1,  1,  2,  2, 1, 1, 2, 1, 1, 1, 1, 1, 1,  4, 1, 2, 1, 1, 1, 1,  1, 1, 4, 1, 1, 4, 4, 4, 2, 4,
    4,  6,  4,  2, 2, 1, 2, 2, 1, 4, 4, 2, 4,  2, 4, 2, 4, 4, 2, 2,  1, 4, 1, 4, 2, 4, 1, 2, 2, 2,
    4,  2,  2,  1, 6, 2, 2, 2, 2, 4, 2, 4, 1,  1, 1, 1, 1, 2, 2, 1,  2, 1, 1, 2, 1, 1, 1, 4, 1, 2,
    1,  4,  1,  4, 2, 4, 2, 4, 6, 6, 4, 2, 1,  4, 2, 2, 2, 4, 2, 4,  2, 2, 2, 2, 4, 2, 2, 6, 2, 1,
    4,  2,  2,  2, 2, 2, 4, 2, 2, 1, 4, 1, 1,  1, 1, 2, 4, 2, 6, 2,  1, 2, 2, 1, 1, 1, 2, 2, 2, 1,
    2,  1,  2,  4, 2, 4, 4, 4, 2, 2, 2, 2, 2,  4, 4, 2, 2, 2, 4, 2,  2, 2, 4, 2, 2, 4};

/* memcmp of two words of n bytes, inline: a library call per probe cost more than the
 * comparison itself (a dozen probes for every word of every text). */
static inline int word_cmp(const char *a, const char *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (a[i] != b[i]) return (int)(unsigned char)a[i] - (int)(unsigned char)b[i];
  return 0;
}

unsigned arag_word_class(const char *s, size_t n) {
  if (n == 0 || n > WORDS_MAX) return 0;
  char low[WORDS_MAX];
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    low[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
  }
  /* A binary search of the sorted words of that length: this runs for every word of
   * every text the offline reasoner reads. */
  const char *w = WORDS[n];
  size_t lo = 0, hi = WORD_N[n];
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = word_cmp(w + mid * n, low, n);
    if (c == 0) return WORD_CLASS[WORD_FIRST[n] + mid];
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return 0;
}

int arag_word_has_digit(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] >= '0' && s[i] <= '9') return 1;
  return 0;
}

int arag_next_word(const char *s, size_t n, size_t *pos, const char **word, size_t *len) {
  size_t i = *pos;
  while (i < n && !arag_word_byte((unsigned char)s[i])) i++;
  if (i >= n) {
    *pos = n;
    return 0;
  }
  size_t j = i;
  while (j < n && s[j] != ' ' && s[j] != '\t' && s[j] != '\n' && s[j] != '\r' && s[j] != ',' &&
         s[j] != '/' && s[j] != '(' && s[j] != ')')
    j++;
  size_t e = j;
  while (e > i && !arag_word_byte((unsigned char)s[e - 1])) e--;
  *pos = j;
  *word = s + i;
  *len = e - i;
  return 1;
}
