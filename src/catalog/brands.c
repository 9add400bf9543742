#include "brands.h"

#include "hash.h"
#include "words.h"

#include <string.h>

#define LEAD_WORDS 8

typedef struct lead_levels {
  uint32_t n;
  uint64_t key[ARAG_BRAND_LEVELS];   /* phrase keys */
  uint64_t joint[ARAG_BRAND_LEVELS]; /* joined levels: the key up to the joining words */
  uint64_t word[ARAG_BRAND_LEVELS];  /* the word that ends each level */
  uint32_t end[ARAG_BRAND_LEVELS];   /* bytes of the title up to that word's end */
  int joined[ARAG_BRAND_LEVELS];     /* the level starts with a joining word */
  int opening[ARAG_BRAND_LEVELS];    /* its last word opens a name ("Dr") */
} lead_levels;

/* FNV-1a over one more word key (a phrase key chains its words' keys). */
static uint64_t chain(uint64_t h, uint64_t w) {
  for (int b = 0; b < 8; b++) h = arag_fnv64_byte(h, (uint8_t)(w >> (8 * b)));
  return h ? h : 1;
}

static void levels_of(const char *title, lead_levels *lv) {
  memset(lv, 0, sizeof *lv);
  size_t n = strlen(title);
  arag_word_at w[LEAD_WORDS];
  uint32_t m = arag_title_words(title, n, w, LEAD_WORDS);
  if (!m) return;
  /* The first word must open the title: no one-byte word before it, but for one
   * joined to it by an apostrophe ("L'Oreal"). */
  for (uint32_t i = 0; i < w[0].at; i++) {
    unsigned char c = (unsigned char)title[i];
    if (arag_word_byte(c) && !(i + 2 == w[0].at && title[i + 1] == '\'')) return;
  }
  if (arag_word_is_joining(title + w[0].at, w[0].len)) return;
  uint64_t h = ARAG_FNV64_OFFSET;
  int joined = 0;
  uint64_t joint = 0;
  for (uint32_t i = 0; i < m && lv->n < ARAG_BRAND_LEVELS; i++) {
    h = chain(h, w[i].key);
    if (arag_word_is_joining(title + w[i].at, w[i].len)) {
      joined = 1;
      joint = h;
      continue;
    }
    uint32_t k = lv->n++;
    lv->joint[k] = joined ? joint : 0;
    lv->key[k] = h;
    lv->word[k] = w[i].key;
    lv->end[k] = w[i].at + w[i].len;
    /* A possessive "'s" ends the word it follows ("Palmer's"). */
    const char *t = title + lv->end[k];
    if (t[0] == '\'' && arag_word_byte((unsigned char)t[1]) && !arag_word_byte((unsigned char)t[2]))
      lv->end[k] += 2;
    lv->joined[k] = joined;
    lv->opening[k] = arag_word_is_opening(title + w[i].at, w[i].len);
    joined = 0;
  }
}

uint32_t arag_lead_phrases(const char *title, uint64_t *keys) {
  lead_levels lv;
  levels_of(title ? title : "", &lv);
  uint32_t n = 0;
  for (uint32_t k = 0; k < lv.n; k++) {
    keys[n++] = lv.key[k];
    if (lv.joint[k]) keys[n++] = lv.joint[k];
  }
  return n;
}

/* Not made of common words: one of the words ending levels 0..k mostly opens titles in
 * the phrase of level k (count c). */
static int brand_like(const lead_levels *lv, uint32_t k, uint32_t c, const arag_term_df *titles) {
  for (uint32_t j = 0; j <= k; j++)
    if (2 * (uint64_t)c >= arag_term_df_get(titles, lv->word[j])) return 1;
  return 0;
}

/* Is the phrase of level k cut short: do most titles starting with it go on with a
 * joining word ("Bumble and Bumble"), or nearly all (95%) of five or more alike ("Texas
 * Instruments")? */
static int cut_short(const lead_levels *lv, uint32_t k, const uint32_t *c,
                     const arag_term_df *leads) {
  if (k + 1 >= lv->n) return 0;
  if (lv->joined[k + 1] &&
      5 * (uint64_t)arag_term_df_get(leads, lv->joint[k + 1]) >= 4 * (uint64_t)c[k])
    return 1;
  return c[k] >= 5 && 20 * (uint64_t)c[k + 1] >= 19 * (uint64_t)c[k];
}

/* A brand the catalog supports: the phrase of level k (not the last level, which only
 * tells whether the one before is cut short). */
static int supported(const lead_levels *lv, uint32_t k, const uint32_t *c,
                     const arag_brand_stats *bs) {
  return k + 1 < ARAG_BRAND_LEVELS && c[k] >= 2 && !lv->opening[k] &&
         !cut_short(lv, k, c, bs->leads) && brand_like(lv, k, c[k], bs->titles);
}

static uint32_t counted_levels(const char *title, const arag_brand_stats *bs, lead_levels *lv,
                               uint32_t *c) {
  if (!bs || !bs->leads || !bs->titles || !title) return 0;
  levels_of(title, lv);
  for (uint32_t k = 0; k < lv->n; k++) c[k] = arag_term_df_get(bs->leads, lv->key[k]);
  return lv->n;
}

uint32_t arag_title_brand(const char *title, const arag_brand_stats *bs) {
  lead_levels lv;
  uint32_t c[ARAG_BRAND_LEVELS];
  uint32_t n = counted_levels(title, bs, &lv, c);
  /* The shortest supported phrase, longer ones only past a cut-short, common or
   * opening phrase ("Bumble" -> "Bumble and Bumble", "Paper" -> "Paper Mate"). */
  for (uint32_t k = 0; k < n && c[k] >= 2; k++)
    if (supported(&lv, k, c, bs)) return lv.end[k];
  return 0;
}

uint32_t arag_title_brands(const char *title, const arag_brand_stats *bs, uint32_t *ends) {
  lead_levels lv;
  uint32_t c[ARAG_BRAND_LEVELS], m = 0;
  uint32_t n = counted_levels(title, bs, &lv, c);
  for (uint32_t k = 0; k < n; k++)
    if (supported(&lv, k, c, bs)) ends[m++] = lv.end[k];
  return m;
}

uint64_t arag_brand_key(const char *s, size_t n) {
  arag_word_at w[16];
  uint32_t m = arag_title_words(s, n, w, 16);
  if (!m) return 0;
  uint64_t h = ARAG_FNV64_OFFSET;
  for (uint32_t i = 0; i < m; i++) {
    uint32_t len = w[i].len;
    if (len > 3 && (s[w[i].at + len - 1] == 's' || s[w[i].at + len - 1] == 'S')) len--;
    h = arag_fnv64_byte(h, ' ');
    for (uint32_t b = 0; b < len; b++) {
      unsigned char ch = (unsigned char)s[w[i].at + b];
      if (ch >= 'A' && ch <= 'Z') ch = (unsigned char)(ch + 32);
      h = arag_fnv64_byte(h, ch);
    }
  }
  return h ? h : 1;
}
