/* Brands and word classes: a title's brand is only a phrase the catalog supports (never
 * a lone common word), the whole name, kept up to date as items come and go; function,
 * measure and colour words are told apart. */
#include "brands.h"
#include "model.h"
#include "test.h"
#include "words.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIM 32

static arag_catalog *catalog_of(const char *const *titles, int n) {
  arag_catalog *cat = NULL;
  CHECK_EQ_INT(arag_catalog_create(DIM, NULL, &cat), ARAG_OK);
  char line[512];
  for (int i = 0; i < n; i++) {
    snprintf(line, sizeof line, "{\"id\":\"i%d\",\"title\":\"%s\"}", i, titles[i]);
    CHECK_EQ_INT(arag_catalog_add_json(cat, line, strlen(line)), ARAG_OK);
  }
  return cat;
}

/* The brand a catalog gives a title, as text ("" for none). */
static const char *brand_of(const arag_catalog *cat, const char *title, char *buf) {
  arag_brand_stats bs;
  uint32_t n = arag_title_brand(title, arag_catalog_brand_stats(cat, &bs));
  memcpy(buf, title, n);
  buf[n] = 0;
  return buf;
}

static const char *const SHOP[] = {
    "Bumble and Bumble Thickening Shampoo",
    "Bumble and Bumble Curl Conscious Creme",
    "Bumble and Bumble Surf Spray",
    "Soft Sheen Carson Optimum Relaxer",
    "Soft Sheen Carson Wave Nouveau",
    "Soft Sheen Carson Magic Shave",
    "Soft Sheen Carson Care Free Curl",
    "Soft Sheen Carson Dark and Lovely",
    "Ultra Soft Towel",
    "Baby Soft Socks",
    "Kitten Soft Blanket",
    "Cloud Soft Slippers",
    "Super Soft Brush",
    "Extra Soft Pillow",
    "Velvet Soft Throw",
    "Feather Soft Duvet",
    "Soft Touch Nail File",
    "Curl Cream for Curly Hair",
    "Curl Keeper Original",
    "Curl Keeper Slip",
    "Shea Curl Enhancing Smoothie",
    "Defining Curl Mousse",
    "Bouncy Curl Gel",
    "Perfect Curl Iron",
    "Tight Curl Rods",
    "Texas Instruments TI-84 Plus",
    "Texas Instruments TI-30X",
    "Texas Instruments TI-36X Pro",
    "Texas Instruments BA II Plus",
    "Texas Instruments TI-Nspire",
    "Paper Mate Flair Pens",
    "Paper Mate InkJoy Pens",
    "Paper Mate Eraser Mate",
    "Paper Clips Jumbo",
    "Copy Paper Letter Size",
    "Paper Towels Select",
    "Tissue Paper Pack",
    "Wrapping Paper Roll",
    "Photo Paper Glossy",
    "Graph Paper Pad",
    "Kraft Paper Bag",
    "L'Oreal Paris Voluminous Mascara",
    "L'Oreal Paris Infallible Foundation",
    "Palmer's Cocoa Butter Formula",
    "Palmer's Shea Butter Lotion",
    "3 Kojie San Soaps",
    "Kojie San Skin Lightening Soap",
    "Kojie San Soap 4-Pack",
    "Dr. Bronner's Peppermint Soap",
    "Dr. Bronner's Lavender Soap",
    "Dr. Jart Cicapair Cream",
    "Dr. Jart Ceramidin Cream",
    "Neutrogena Hydro Boost",
};

static void test_catalog_brands(void) {
  int n = (int)(sizeof SHOP / sizeof SHOP[0]);
  arag_catalog *cat = catalog_of(SHOP, n);
  char b[128];
  /* The whole multi-word name, not its first word. */
  CHECK(strcmp(brand_of(cat, "Bumble and Bumble Thickening Shampoo", b), "Bumble and Bumble") == 0);
  /* A common first word: only the phrase many titles open with, never the word. */
  CHECK(strcmp(brand_of(cat, "Soft Sheen Carson Wave Nouveau", b), "Soft Sheen Carson") == 0);
  CHECK(strcmp(brand_of(cat, "Soft Touch Nail File", b), "") == 0);
  CHECK(strcmp(brand_of(cat, "Curl Cream for Curly Hair", b), "") == 0);
  CHECK(strcmp(brand_of(cat, "Curl Keeper Slip", b), "Curl Keeper") == 0);
  CHECK(strcmp(brand_of(cat, "Paper Mate Flair Pens", b), "Paper Mate") == 0);
  CHECK(strcmp(brand_of(cat, "Paper Clips Jumbo", b), "") == 0);
  /* Nearly all of five titles go on alike: the name is the longer phrase. */
  CHECK(strcmp(brand_of(cat, "Texas Instruments TI-30X", b), "Texas Instruments") == 0);
  /* An apostrophe joins a one-letter start ("L'") and a possessive "'s" is shown; two
   * titles going on alike are too few to call the longer phrase the name. */
  CHECK(strcmp(brand_of(cat, "L'Oreal Paris Voluminous Mascara", b), "L'Oreal") == 0);
  CHECK(strcmp(brand_of(cat, "Palmer's Cocoa Butter Formula", b), "Palmer's") == 0);
  /* A title that opens with a one-byte word starts with no brand. */
  CHECK(strcmp(brand_of(cat, "3 Kojie San Soaps", b), "") == 0);
  CHECK(strcmp(brand_of(cat, "Kojie San Soap 4-Pack", b), "Kojie") == 0);
  /* An opening word ("Dr") is no brand alone. */
  CHECK(strcmp(brand_of(cat, "Dr. Jart Cicapair Cream", b), "Dr. Jart") == 0);
  CHECK(strcmp(brand_of(cat, "Dr. Bronner's Lavender Soap", b), "Dr. Bronner's") == 0);
  /* One title alone is no support, nor is a title the catalog does not hold. */
  CHECK(strcmp(brand_of(cat, "Neutrogena Hydro Boost", b), "") == 0);
  CHECK(strcmp(brand_of(cat, "Acme Rocket Skates", b), "") == 0);
  /* Every brand a title starts with: "Paper Mate" and, the catalog supporting it too,
   * nothing shorter. */
  arag_brand_stats bs;
  uint32_t ends[ARAG_BRAND_LEVELS];
  const char *t = "Paper Mate Eraser Mate";
  CHECK_EQ_INT(arag_title_brands(t, arag_catalog_brand_stats(cat, &bs), ends), 1);
  CHECK_EQ_INT(ends[0], 10);
  /* No catalog: no title brand. */
  CHECK_EQ_INT(arag_title_brand("Bumble and Bumble Surf Spray", NULL), 0);

  /* Counts follow the catalog: with one Neutrogena more, it is a brand; removed
   * again, it is not. */
  const char *more = "{\"id\":\"n2\",\"title\":\"Neutrogena Oil-Free Wash\"}";
  CHECK_EQ_INT(arag_catalog_add_json(cat, more, strlen(more)), ARAG_OK);
  CHECK(strcmp(brand_of(cat, "Neutrogena Hydro Boost", b), "Neutrogena") == 0);
  CHECK_EQ_INT(arag_catalog_remove(cat, "n2", 2), ARAG_OK);
  CHECK(strcmp(brand_of(cat, "Neutrogena Hydro Boost", b), "") == 0);
  /* Replacing an item's title moves its counts. */
  CHECK(strcmp(brand_of(cat, "Neutrogena Hydro Boost", b), "") == 0);
  char re[96];
  snprintf(re, sizeof re, "{\"id\":\"i%d\",\"title\":\"Neutrogena Face Wash\"}", n - 2);
  CHECK_EQ_INT(arag_catalog_add_json(cat, re, strlen(re)), ARAG_OK); /* was Dr. Jart */
  CHECK(strcmp(brand_of(cat, "Neutrogena Hydro Boost", b), "Neutrogena") == 0);
  CHECK(strcmp(brand_of(cat, "Dr. Jart Cicapair Cream", b), "") == 0);

  /* A restored snapshot tells the same brands (it keeps the counts of its title phrases). */
  uint8_t *snap = NULL;
  size_t snap_len = 0;
  CHECK_EQ_INT(arag_catalog_snapshot(cat, &snap, &snap_len), ARAG_OK);
  arag_catalog *back = NULL;
  CHECK_EQ_INT(arag_catalog_create(DIM, NULL, &back), ARAG_OK);
  CHECK_EQ_INT(arag_catalog_restore(back, snap, snap_len), ARAG_OK);
  char b2[128];
  for (int i = 0; i < n; i++)
    CHECK(strcmp(brand_of(back, SHOP[i], b2), brand_of(cat, SHOP[i], b)) == 0);
  CHECK(strcmp(brand_of(back, "Neutrogena Hydro Boost", b), "Neutrogena") == 0);
  arag_catalog_free(back);
  arag_free(snap);
  arag_catalog_free(cat);
}

static void test_brand_keys(void) {
  const char *a = "Burt's Bees", *b = "BURTS BEES", *c = "Burt Bees Baby";
  CHECK(arag_brand_key(a, strlen(a)) == arag_brand_key(b, strlen(b)));
  CHECK(arag_brand_key(a, strlen(a)) != arag_brand_key(c, strlen(c)));
  CHECK(arag_brand_key("Bumble and Bumble", 17) != arag_brand_key("Bumble", 6));
  CHECK(arag_brand_key("  ,;", 4) == 0);
  /* Short words keep their "s" ("Ms" is not "M"). */
  CHECK(arag_brand_key("Ms", 2) != arag_brand_key("M", 1));
}

static void test_word_classes(void) {
  CHECK(arag_word_is_function("May", 3) && arag_word_is_function("with", 4));
  CHECK(arag_word_is_function("NOT", 3) && arag_word_is_function("so", 2));
  CHECK(arag_word_is_measure("Packaging", 9) && arag_word_is_measure("oz", 2));
  CHECK(arag_word_is_measure("count", 5) && arag_word_is_measure("vary", 4));
  CHECK(arag_word_is_colour("Slate", 5) && arag_word_is_colour("ivory", 5));
  CHECK(arag_word_is_joining("and", 3) && arag_word_is_joining("de", 2));
  CHECK(arag_word_is_opening("Dr", 2) && !arag_word_is_opening("Drs", 3));
  CHECK(!arag_word_is_function("curl", 4) && !arag_word_is_measure("shampoo", 7));
  CHECK(!arag_word_is_colour("cream", 5)); /* a product, not a shade */
  CHECK(arag_word_is_filler("3-pack", 6) && arag_word_is_filler("Ounce", 5));
  CHECK(!arag_word_is_filler("retinol", 7));
  CHECK(!arag_word_is_filler("", 0) && !arag_word_is_function("verylongwordindeed", 18));
  /* The first and last word of each length's sorted list, any case; their neighbours
   * outside the lists; bytes past ASCII sort after every letter. */
  static const char *const ends[] = {
      "a",          "an",          "yd",          "all",         "you",       "also",
      "your",       "about",       "yards",       "around",      "yellow",    "against",
      "without",    "assorted",    "standard",    "champagne",   "turquoise", "containers",
      "multicolor", "milliliters", "millilitres", "multicolored"};
  for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
    char up[16];
    size_t n = strlen(ends[i]);
    for (size_t k = 0; k < n; k++) up[k] = (char)(ends[i][k] - 32);
    CHECK(arag_word_class(ends[i], n) != 0);
    CHECK(arag_word_class(up, n) == arag_word_class(ends[i], n));
  }
  CHECK(arag_word_class("b", 1) == 0 && arag_word_class("zz", 2) == 0 &&
        arag_word_class("ak", 2) == 0);
  CHECK(arag_word_class("yourz", 5) == 0 && arag_word_class("multicolorez", 12) == 0);
  CHECK(arag_word_class("\xc3\xa9t\xc3\xa9", 5) == 0 && arag_word_class("yo\xc3\xbc", 4) == 0);
}

int main(void) {
  RUN(test_catalog_brands);
  RUN(test_brand_keys);
  RUN(test_word_classes);
  return test_report();
}
