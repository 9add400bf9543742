/* Catalog: add (object, array, JSON lines), upsert, remove, all-or-nothing
 * batches, limits, accessors, and the real amazon-beauty catalog. */
#include "embed.h"
#include "item.h"
#include "model.h"
#include "strbuf.h"
#include "term_df.h"
#include "test.h"
#include "test_util.h"

#include <stdlib.h>
#include <time.h>

#define D 64

static arag_catalog *make(uint32_t dim, uint32_t max_rows) {
  arag_limits lim;
  arag_limits_default(&lim);
  if (max_rows) lim.max_rows = max_rows;
  arag_catalog *cat = NULL;
  CHECK_EQ_INT(arag_catalog_create(dim, &lim, &cat), ARAG_OK);
  return cat;
}

static arag_status add(arag_catalog *cat, const char *json) {
  return arag_catalog_add_json(cat, json, strlen(json));
}

static const char *title_of(const arag_catalog *cat, const char *id) {
  const arag_item *it = arag_catalog_find(cat, id, strlen(id));
  return it ? it->title : NULL;
}

/* Top-1 id of the catalog index for the embedding of text. */
static const char *nearest(arag_catalog *cat, const char *text) {
  float q[D];
  uint32_t slot = 0, n = 0;
  float score;
  arag_embed_text(text, strlen(text), D, q);
  CHECK_EQ_INT(arag_index_search(arag_catalog_index(cat), q, D, 1, NULL, 0, 0, &slot, &score, &n),
               ARAG_OK);
  if (n != 1) return NULL;
  const arag_item *it = arag_catalog_item_at(cat, slot);
  return it ? it->id : NULL;
}

static void test_create(void) {
  arag_catalog *cat = NULL;
  CHECK_EQ_INT(arag_catalog_create(0, NULL, &cat), ARAG_E_INVALID);
  CHECK(cat == NULL);
  CHECK_EQ_INT(arag_catalog_create(100000, NULL, &cat), ARAG_E_LIMIT);
  CHECK_EQ_INT(arag_catalog_create(D, NULL, NULL), ARAG_E_INVALID);
  CHECK_EQ_INT(arag_catalog_create(D, NULL, &cat), ARAG_OK);
  CHECK_EQ_INT(arag_catalog_count(cat), 0);
  CHECK_EQ_INT(arag_catalog_dim(cat), D);
  CHECK(arag_catalog_index(cat) != NULL);
  CHECK_EQ_INT(arag_index_dim(arag_catalog_index(cat)), D);
  arag_catalog_free(cat);
  arag_catalog_free(NULL);
  CHECK_EQ_INT(arag_catalog_count(NULL), 0);
  CHECK_EQ_INT(arag_catalog_add_json(NULL, "{}", 2), ARAG_E_INVALID);
}

static void test_add_forms(void) {
  arag_catalog *cat = make(D, 0);
  CHECK_EQ_INT(add(cat, "{\"id\":\"a\",\"title\":\"Red Matte Lipstick\"}"), ARAG_OK);
  CHECK_EQ_INT(add(cat, "[{\"id\":\"b\",\"title\":\"Argan Oil Shampoo\"},"
                        "{\"id\":\"c\",\"title\":\"Black Liquid Eyeliner\"}]"),
               ARAG_OK);
  CHECK_EQ_INT(add(cat, "{\"id\":\"d\",\"title\":\"Curling Iron 1 Inch\"}\n"
                        "{\"id\":\"e\",\"title\":\"Hand Cream Lavender\"}\n"),
               ARAG_OK);
  CHECK_EQ_INT(arag_catalog_count(cat), 5);
  CHECK_EQ_INT(arag_index_count(arag_catalog_index(cat)), 5);
  CHECK(strcmp(title_of(cat, "c"), "Black Liquid Eyeliner") == 0);
  CHECK(arag_catalog_find(cat, "zz", 2) == NULL);
  CHECK(arag_catalog_find(cat, "c", 0) == NULL);
  /* id -> slot -> item agrees */
  uint32_t slot;
  CHECK_EQ_INT(arag_index_slot(arag_catalog_index(cat), "d", 1, &slot), ARAG_OK);
  CHECK(arag_catalog_item_at(cat, slot) == arag_catalog_find(cat, "d", 1));
  CHECK(arag_catalog_item_at(cat, 999) == NULL);
  const char *nn = nearest(cat, "eyeliner black");
  CHECK(nn && strcmp(nn, "c") == 0);
  nn = nearest(cat, "shampoo with argan oil");
  CHECK(nn && strcmp(nn, "b") == 0);
  arag_catalog_free(cat);
}

static void test_upsert(void) {
  arag_catalog *cat = make(D, 0);
  CHECK_EQ_INT(add(cat, "[{\"id\":\"a\",\"title\":\"Red Matte Lipstick\"},"
                        "{\"id\":\"b\",\"title\":\"Argan Oil Shampoo\"}]"),
               ARAG_OK);
  CHECK_EQ_INT(add(cat, "{\"id\":\"a\",\"title\":\"Bamboo Toothbrush\",\"price\":3}"), ARAG_OK);
  CHECK_EQ_INT(arag_catalog_count(cat), 2);
  CHECK_EQ_INT(arag_index_count(arag_catalog_index(cat)), 2);
  CHECK(strcmp(title_of(cat, "a"), "Bamboo Toothbrush") == 0);
  CHECK_NEAR(arag_catalog_find(cat, "a", 1)->price, 3, 0);
  const char *nn = nearest(cat, "bamboo toothbrush");
  CHECK(nn && strcmp(nn, "a") == 0);
  /* The same id twice in one batch: the later one wins. */
  CHECK_EQ_INT(add(cat, "[{\"id\":\"c\",\"title\":\"first\"},{\"id\":\"c\",\"title\":\"second\"}]"),
               ARAG_OK);
  CHECK_EQ_INT(arag_catalog_count(cat), 3);
  CHECK(strcmp(title_of(cat, "c"), "second") == 0);
  arag_catalog_free(cat);
}

static void test_all_or_nothing(void) {
  arag_catalog *cat = make(D, 0);
  CHECK_EQ_INT(add(cat, "{\"id\":\"keep\",\"title\":\"Original Title\"}"), ARAG_OK);
  uint32_t slot_before;
  arag_index_slot(arag_catalog_index(cat), "keep", 4, &slot_before);
  float before[D], after[D];
  CHECK_EQ_INT(arag_catalog_vector(cat, arag_catalog_find(cat, "keep", 4), before), ARAG_OK);

  /* Array with a bad element in the middle (an upsert of "keep" before it). */
  CHECK_EQ_INT(add(cat, "[{\"id\":\"n1\",\"title\":\"x\"},{\"id\":\"keep\",\"title\":\"Changed\"},"
                        "{\"id\":\"n2\",\"title\":7},{\"id\":\"n3\",\"title\":\"y\"}]"),
               ARAG_E_JSON);
  CHECK(strstr(arag_catalog_last_error(cat), "element 2") != NULL);
  CHECK(strstr(arag_catalog_last_error(cat), "title") != NULL);
  /* JSON lines with a bad line */
  CHECK_EQ_INT(add(cat, "{\"id\":\"n1\",\"title\":\"x\"}\n{\"id\":\"keep\",\"title\":\"C\"}\n"
                        "{\"id\":\"n2\",\"title\":\"t\",\"vector\":[1,2]}\n"),
               ARAG_E_DIM);
  CHECK(strstr(arag_catalog_last_error(cat), "line 3") != NULL);
  /* Malformed JSON after good lines */
  CHECK_EQ_INT(add(cat, "{\"id\":\"n1\",\"title\":\"x\"}\n{\"id\":\"n2\",\"title\":\"x\"\n"),
               ARAG_E_JSON);
  CHECK_EQ_INT(arag_catalog_count(cat), 1);
  CHECK_EQ_INT(arag_index_count(arag_catalog_index(cat)), 1);
  CHECK(arag_catalog_find(cat, "n1", 2) == NULL);
  CHECK(strcmp(title_of(cat, "keep"), "Original Title") == 0);
  CHECK_EQ_INT(arag_catalog_vector(cat, arag_catalog_find(cat, "keep", 4), after), ARAG_OK);
  CHECK(memcmp(before, after, sizeof(before)) == 0);

  /* A failure in the index, after "keep" was already replaced there: the index's own
   * row limit (lowered by the caller below the catalog's) refuses the new item. The
   * roll back writes back keep's row bit for bit (the index holds the only copy). */
  CHECK_EQ_INT(add(cat, "{\"id\":\"n0\",\"title\":\"other\"}"), ARAG_OK);
  arag_limits small;
  CHECK_EQ_INT(arag_index_get_limits(arag_catalog_index(cat), &small), ARAG_OK);
  small.max_rows = 2; /* accepted: the refused batches above left no rows behind */
  /* The catalog's index is read-only to its users; this test reaches past that. */
  CHECK_EQ_INT(arag_index_set_limits((arag_index *)arag_catalog_index(cat), &small), ARAG_OK);
  CHECK_EQ_INT(add(cat, "[{\"id\":\"keep\",\"title\":\"Changed\"},{\"id\":\"keep\","
                        "\"title\":\"Again\"},{\"id\":\"n9\",\"title\":\"new\"}]"),
               ARAG_E_LIMIT);
  CHECK(strstr(arag_catalog_last_error(cat), "element 2: index") != NULL);
  CHECK_EQ_INT(arag_catalog_count(cat), 2);
  CHECK_EQ_INT(arag_index_count(arag_catalog_index(cat)), 2);
  CHECK(arag_catalog_find(cat, "n9", 2) == NULL);
  CHECK(strcmp(title_of(cat, "keep"), "Original Title") == 0);
  uint32_t slot_after;
  CHECK_EQ_INT(arag_index_slot(arag_catalog_index(cat), "keep", 4, &slot_after), ARAG_OK);
  CHECK_EQ_INT(slot_after, slot_before);
  CHECK_EQ_INT(arag_catalog_vector(cat, arag_catalog_find(cat, "keep", 4), after), ARAG_OK);
  CHECK(memcmp(before, after, sizeof(before)) == 0);
  CHECK(strcmp(nearest(cat, "Original Title"), "keep") == 0);
  arag_catalog_free(cat);
}

/* Items in a catalog keep no vector of their own; arag_catalog_vector reads the
 * index row, and arag_catalog_item_copy gives a copy that carries it. */
static void test_vectors_live_in_the_index(void) {
  arag_catalog *cat = make(D, 0);
  CHECK_EQ_INT(add(cat, "{\"id\":\"v\",\"title\":\"t\",\"vector\":[3,4]}"), ARAG_E_DIM);
  arag_sb js;
  arag_sb_init(&js);
  arag_sb_printf(&js, "{\"id\":\"v\",\"title\":\"Blue Pen\",\"vector\":[");
  for (int i = 0; i < D; i++)
    arag_sb_printf(&js, "%s%d", i ? "," : "", i == 0 ? 3 : i == 1 ? 4 : 0);
  arag_sb_printf(&js, "]}\n{\"id\":\"w\",\"title\":\"Red Ink\"}");
  CHECK_EQ_INT(arag_catalog_add_json(cat, js.p, js.len), ARAG_OK);
  arag_sb_free(&js);
  const arag_item *v = arag_catalog_find(cat, "v", 1), *w = arag_catalog_find(cat, "w", 1);
  CHECK(v && w && v->vec == NULL && w->vec == NULL);
  if (!v || !w) return;
  float out[D];
  CHECK_EQ_INT(arag_catalog_vector(cat, v, out), ARAG_OK);
  CHECK_NEAR(out[0], 0.6, 1e-6); /* normalized as the index stores it */
  CHECK_NEAR(out[1], 0.8, 1e-6);
  CHECK_NEAR(out[2], 0.0, 0);
  float emb[D];
  arag_item wt = *w;
  CHECK_EQ_INT(arag_embed_item(&wt, D, emb), ARAG_OK);
  CHECK_EQ_INT(arag_catalog_vector(cat, w, out), ARAG_OK);
  for (int i = 0; i < D; i++) CHECK_NEAR(out[i], emb[i], 1e-6);
  arag_item copy;
  CHECK_EQ_INT(arag_catalog_item_copy(cat, w, &copy), ARAG_OK);
  CHECK(strcmp(copy.title, "Red Ink") == 0 && copy.title != w->title);
  CHECK(copy.vec != NULL && memcmp(copy.vec, out, sizeof out) == 0);
  arag_item_clear(&copy);
  arag_item stranger;
  memset(&stranger, 0, sizeof stranger);
  stranger.id = "nope";
  stranger.id_len = 4;
  CHECK_EQ_INT(arag_catalog_vector(cat, &stranger, out), ARAG_E_NOT_FOUND);
  arag_catalog_free(cat);
}

/* Items of the catalog whose title holds a word (the reasoner's term statistics). */
static uint32_t df_of(const arag_catalog *cat, const char *word) {
  arag_item it;
  memset(&it, 0, sizeof it);
  it.title = (char *)word;
  uint64_t key;
  CHECK_EQ_INT(arag_title_terms(&it, &key), 1);
  return arag_term_df_get(arag_catalog_terms(cat), key);
}

static void test_term_df(void) {
  arag_catalog *cat = make(D, 0);
  CHECK_EQ_INT(add(cat, "[{\"id\":\"a\",\"title\":\"Argan Oil Shampoo, argan\"},"
                        "{\"id\":\"b\",\"title\":\"Argan Oil Conditioner\"},"
                        "{\"id\":\"c\",\"title\":\"Red Lipstick\"}]"),
               ARAG_OK);
  CHECK_EQ_INT(arag_catalog_terms(cat)->docs, 3);
  CHECK_EQ_INT(df_of(cat, "ARGAN"), 2); /* once per item, any case */
  CHECK_EQ_INT(df_of(cat, "shampoo"), 1);
  CHECK_EQ_INT(df_of(cat, "toothbrush"), 0);
  /* An upsert moves the counts from the old title to the new one. */
  CHECK_EQ_INT(add(cat, "{\"id\":\"a\",\"title\":\"Bamboo Toothbrush\"}"), ARAG_OK);
  CHECK_EQ_INT(arag_catalog_terms(cat)->docs, 3);
  CHECK_EQ_INT(df_of(cat, "argan"), 1);
  CHECK_EQ_INT(df_of(cat, "shampoo"), 0);
  CHECK_EQ_INT(df_of(cat, "toothbrush"), 1);
  /* The same id twice in a batch counts once, with the later title. */
  CHECK_EQ_INT(add(cat, "[{\"id\":\"d\",\"title\":\"Lipstick One\"},"
                        "{\"id\":\"d\",\"title\":\"Lipstick Two\"}]"),
               ARAG_OK);
  CHECK_EQ_INT(df_of(cat, "lipstick"), 2);
  CHECK_EQ_INT(df_of(cat, "one"), 0);
  CHECK_EQ_INT(df_of(cat, "two"), 1);
  CHECK_EQ_INT(arag_catalog_terms(cat)->docs, 4);
  /* A refused batch changes nothing. */
  CHECK_EQ_INT(add(cat, "[{\"id\":\"e\",\"title\":\"Argan Mask\"},{\"id\":\"f\",\"title\":7}]"),
               ARAG_E_JSON);
  CHECK_EQ_INT(df_of(cat, "argan"), 1);
  CHECK_EQ_INT(df_of(cat, "mask"), 0);
  CHECK_EQ_INT(arag_catalog_terms(cat)->docs, 4);
  /* Removal counts the item out. */
  CHECK_EQ_INT(arag_catalog_remove(cat, "b", 1), ARAG_OK);
  CHECK_EQ_INT(df_of(cat, "argan"), 0);
  CHECK_EQ_INT(df_of(cat, "lipstick"), 2);
  CHECK_EQ_INT(arag_catalog_terms(cat)->docs, 3);
  /* Many items: the table grows and keeps every count. */
  char buf[128];
  for (int i = 0; i < 3000; i++) {
    snprintf(buf, sizeof buf, "{\"id\":\"g%d\",\"title\":\"Gadget w%d w%d\"}", i, i, i / 2);
    CHECK_EQ_INT(add(cat, buf), ARAG_OK);
  }
  CHECK_EQ_INT(df_of(cat, "gadget"), 3000);
  CHECK_EQ_INT(df_of(cat, "w2999"), 1);
  CHECK_EQ_INT(df_of(cat, "w1000"), 3); /* g1000, g2000, g2001 */
  CHECK(arag_term_df_bytes(arag_catalog_terms(cat)) > 0);
  arag_catalog_free(cat);

  /* Churn: rounds of 400 items with words never seen before, each round removed
   * before the next. The words of removed items are dropped as the table grows,
   * so it stays the size that one round needs instead of growing every round. */
  cat = make(D, 0);
  size_t bytes_round2 = 0;
  for (int round = 0; round < 12; round++) {
    for (int i = 0; i < 400; i++) {
      snprintf(buf, sizeof buf, "{\"id\":\"r%d\",\"title\":\"Kit q%dx%d z%dx%d\"}", i, round, i,
               round, i);
      CHECK_EQ_INT(add(cat, buf), ARAG_OK);
    }
    CHECK_EQ_INT(df_of(cat, "kit"), 400);
    snprintf(buf, sizeof buf, "q%dx7", round);
    CHECK_EQ_INT(df_of(cat, buf), 1);
    if (round > 0) {
      snprintf(buf, sizeof buf, "q%dx7", round - 1);
      CHECK_EQ_INT(df_of(cat, buf), 0);
    }
    if (round == 2) bytes_round2 = arag_term_df_bytes(arag_catalog_terms(cat));
    if (round > 2) CHECK(arag_term_df_bytes(arag_catalog_terms(cat)) <= bytes_round2);
    for (int i = 0; i < 400; i++) {
      snprintf(buf, sizeof buf, "r%d", i);
      CHECK_EQ_INT(arag_catalog_remove(cat, buf, strlen(buf)), ARAG_OK);
    }
  }
  CHECK_EQ_INT(arag_catalog_terms(cat)->docs, 0);
  arag_catalog_free(cat);
}

/* Items of the catalog whose whole text (title, brand, categories, text) holds a word. */
static uint32_t text_df_of(const arag_catalog *cat, const char *word) {
  arag_item it;
  memset(&it, 0, sizeof it);
  it.title = (char *)word;
  uint64_t key;
  uint32_t tf;
  CHECK_EQ_INT(arag_text_terms(&it, &key, &tf, NULL, NULL), 1);
  return arag_term_df_get(arag_catalog_text_terms(cat), key);
}

static void test_text_terms(void) {
  /* Terms of the whole text: each once with its count, where it first occurs;
   * function words left out; title, brand, categories, then the description. */
  arag_item it;
  memset(&it, 0, sizeof it);
  char *cats[2] = {"Skin Care", "Serums"};
  it.title = "Retinol Serum";
  it.brand = "Acme Labs";
  it.categories = cats;
  it.n_categories = 2;
  it.text = "A serum with the retinol of your dreams, and a serum for the night.";
  uint64_t keys[ARAG_TEXT_TERM_MAX];
  uint32_t tf[ARAG_TEXT_TERM_MAX], len[ARAG_TEXT_TERM_MAX];
  const char *at[ARAG_TEXT_TERM_MAX];
  uint32_t n = arag_text_terms(&it, keys, tf, at, len);
  const char *want[] = {"Retinol", "Serum",  "Acme",   "Labs", "Skin",
                        "Care",    "Serums", "dreams", "night"};
  const uint32_t want_tf[] = {2, 3, 1, 1, 1, 1, 1, 1, 1};
  CHECK_EQ_INT(n, 9); /* "A", "with", "the", "of", "your", "and", "for": not terms */
  for (uint32_t k = 0; k < n && k < 9; k++) {
    CHECK(len[k] == strlen(want[k]) && memcmp(at[k], want[k], len[k]) == 0);
    CHECK_EQ_INT(tf[k], want_tf[k]);
  }
  CHECK(at[0] == it.title && at[7] > it.text && at[7] < it.text + strlen(it.text));
  /* At most ARAG_TEXT_TERM_MAX terms, read from the first ARAG_TEXT_SCAN bytes. */
  size_t cap = ARAG_TEXT_SCAN + 64;
  char *big = malloc(cap + 1);
  size_t o = 0;
  for (int i = 0; o + 8 < cap; i++) o += (size_t)snprintf(big + o, cap - o, "x%d ", i);
  memset(&it, 0, sizeof it);
  it.text = big;
  CHECK_EQ_INT(arag_text_terms(&it, keys, tf, NULL, NULL), ARAG_TEXT_TERM_MAX);
  memset(big, ' ', ARAG_TEXT_SCAN);
  memcpy(big + ARAG_TEXT_SCAN - 4, "late", 4); /* ends at the last byte read */
  memcpy(big + ARAG_TEXT_SCAN + 8, "later", 5);
  n = arag_text_terms(&it, keys, tf, at, len);
  CHECK(n >= 1 && len[0] == 4 && memcmp(at[0], "late", 4) == 0);
  for (uint32_t k = 0; k < n; k++) CHECK(at[k] + len[k] <= big + ARAG_TEXT_SCAN);
  free(big);

  /* The catalog counts them per item, through upserts and removals, apart from
   * its title counts. */
  arag_catalog *cat = make(D, 0);
  CHECK_EQ_INT(add(cat, "[{\"id\":\"a\",\"title\":\"Argan Oil\",\"text\":\"With argan oil and "
                        "vitamin E\"},"
                        "{\"id\":\"b\",\"title\":\"Conditioner\",\"categories\":[\"Hair\","
                        "\"Argan\"]},"
                        "{\"id\":\"c\",\"title\":\"Lipstick\",\"brand\":\"Vitamin Co\"}]"),
               ARAG_OK);
  CHECK_EQ_INT(arag_catalog_text_terms(cat)->docs, 3);
  CHECK_EQ_INT(text_df_of(cat, "argan"), 2); /* a's title and text count once */
  CHECK_EQ_INT(text_df_of(cat, "vitamin"), 2);
  CHECK_EQ_INT(df_of(cat, "argan"), 1); /* titles only */
  CHECK_EQ_INT(add(cat, "{\"id\":\"a\",\"title\":\"Toothbrush\"}"), ARAG_OK);
  CHECK_EQ_INT(text_df_of(cat, "argan"), 1);
  CHECK_EQ_INT(text_df_of(cat, "vitamin"), 1);
  CHECK_EQ_INT(text_df_of(cat, "toothbrush"), 1);
  CHECK_EQ_INT(add(cat, "[{\"id\":\"e\",\"title\":\"Argan Mask\"},{\"id\":\"f\",\"title\":7}]"),
               ARAG_E_JSON);
  CHECK_EQ_INT(text_df_of(cat, "argan"), 1);
  CHECK_EQ_INT(text_df_of(cat, "mask"), 0);
  CHECK_EQ_INT(arag_catalog_remove(cat, "b", 1), ARAG_OK);
  CHECK_EQ_INT(text_df_of(cat, "argan"), 0);
  CHECK_EQ_INT(text_df_of(cat, "hair"), 0);
  CHECK_EQ_INT(arag_catalog_text_terms(cat)->docs, 2);
  arag_catalog_free(cat);
}

static void test_limits(void) {
  arag_catalog *cat = make(D, 3);
  CHECK_EQ_INT(add(cat, "[{\"id\":\"a\",\"title\":\"a\"},{\"id\":\"b\",\"title\":\"b\"}]"),
               ARAG_OK);
  CHECK_EQ_INT(add(cat, "[{\"id\":\"c\",\"title\":\"c\"},{\"id\":\"d\",\"title\":\"d\"}]"),
               ARAG_E_LIMIT);
  CHECK(strstr(arag_catalog_last_error(cat), "max_rows") != NULL);
  CHECK_EQ_INT(arag_catalog_count(cat), 2);
  CHECK(arag_catalog_find(cat, "c", 1) == NULL);
  /* Upserts do not count against the limit. */
  CHECK_EQ_INT(add(cat, "[{\"id\":\"a\",\"title\":\"a2\"},{\"id\":\"c\",\"title\":\"c\"}]"),
               ARAG_OK);
  CHECK_EQ_INT(arag_catalog_count(cat), 3);
  /* Remove then add at the limit: the index reuses deleted rows. */
  for (int round = 0; round < 3; round++) {
    CHECK_EQ_INT(arag_catalog_remove(cat, "a", 1), ARAG_OK);
    CHECK_EQ_INT(add(cat, "{\"id\":\"a\",\"title\":\"back\"}"), ARAG_OK);
  }
  CHECK_EQ_INT(arag_catalog_count(cat), 3);
  CHECK_EQ_INT(arag_index_count(arag_catalog_index(cat)), 3);
  CHECK(strcmp(title_of(cat, "a"), "back") == 0);
  CHECK(strcmp(title_of(cat, "b"), "b") == 0);
  arag_catalog_free(cat);
}

static void test_remove(void) {
  arag_catalog *cat = make(D, 0);
  CHECK_EQ_INT(add(cat, "[{\"id\":\"a\",\"title\":\"Lipstick\"},{\"id\":\"b\",\"title\":\"Comb\"},"
                        "{\"id\":\"c\",\"title\":\"Brush\"}]"),
               ARAG_OK);
  CHECK_EQ_INT(arag_catalog_remove(cat, "b", 1), ARAG_OK);
  CHECK_EQ_INT(arag_catalog_count(cat), 2);
  CHECK_EQ_INT(arag_index_count(arag_catalog_index(cat)), 2);
  CHECK(arag_catalog_find(cat, "b", 1) == NULL);
  CHECK(strcmp(title_of(cat, "c"), "Brush") == 0);
  CHECK_EQ_INT(arag_catalog_remove(cat, "b", 1), ARAG_E_NOT_FOUND);
  CHECK(strstr(arag_catalog_last_error(cat), "b") != NULL);
  CHECK_EQ_INT(arag_catalog_remove(cat, "", 0), ARAG_E_INVALID);
  CHECK_EQ_INT(arag_catalog_remove(cat, NULL, 3), ARAG_E_INVALID);
  const char *nn = nearest(cat, "comb");
  CHECK(nn && strcmp(nn, "b") != 0);
  /* Slots survive a compaction of the index: item_at follows the ids. */
  /* (The catalog's index is read-only to its users; this test reaches past that.) */
  CHECK_EQ_INT(arag_index_compact((arag_index *)arag_catalog_index(cat)), ARAG_OK);
  uint32_t slot;
  CHECK_EQ_INT(arag_index_slot(arag_catalog_index(cat), "c", 1, &slot), ARAG_OK);
  CHECK(arag_catalog_item_at(cat, slot) == arag_catalog_find(cat, "c", 1));
  arag_catalog_free(cat);
}

/* An int8 catalog: a quarter of the bytes per vector; vectors read back close to
 * the f32 ones; the same search order on clear cases; roll back bit for bit. */
static void test_int8_catalog(void) {
  arag_catalog *bad = NULL;
  CHECK_EQ_INT(arag_catalog_create_dtype(D, (arag_dtype)7, NULL, &bad), ARAG_E_INVALID);
  CHECK(bad == NULL);
  arag_catalog *c8 = NULL, *c32 = make(D, 0);
  CHECK_EQ_INT(arag_catalog_create_dtype(D, ARAG_I8, NULL, &c8), ARAG_OK);
  if (!c8) return;
  const char *items = "[{\"id\":\"a\",\"title\":\"Red Lipstick Matte\"},"
                      "{\"id\":\"b\",\"title\":\"Argan Oil Shampoo\"},"
                      "{\"id\":\"c\",\"title\":\"Blue Ballpoint Pen\"}]";
  CHECK_EQ_INT(add(c8, items), ARAG_OK);
  CHECK_EQ_INT(add(c32, items), ARAG_OK);
  CHECK(arag_index_memory_bytes(arag_catalog_index(c8)) <
        arag_index_memory_bytes(arag_catalog_index(c32)));
  const char *ids[] = {"a", "b", "c"};
  for (int i = 0; i < 3; i++) {
    float v8[D], v32[D];
    CHECK_EQ_INT(arag_catalog_vector(c8, arag_catalog_find(c8, ids[i], 1), v8), ARAG_OK);
    CHECK_EQ_INT(arag_catalog_vector(c32, arag_catalog_find(c32, ids[i], 1), v32), ARAG_OK);
    double dot = 0;
    for (int d = 0; d < D; d++) dot += (double)v8[d] * v32[d];
    CHECK(dot > 0.99);
  }
  CHECK(strcmp(nearest(c8, "argan shampoo"), "b") == 0);
  CHECK(strcmp(nearest(c8, "ballpoint pen"), "c") == 0);
  /* A refused batch after an upsert of "a": a's int8 row and scale come back. */
  float before[D], after[D];
  CHECK_EQ_INT(arag_catalog_vector(c8, arag_catalog_find(c8, "a", 1), before), ARAG_OK);
  CHECK_EQ_INT(add(c8, "[{\"id\":\"a\",\"title\":\"Green Tea Soap\"},{\"id\":\"d\",\"title\":5}]"),
               ARAG_E_JSON);
  CHECK_EQ_INT(arag_catalog_vector(c8, arag_catalog_find(c8, "a", 1), after), ARAG_OK);
  CHECK(memcmp(before, after, sizeof before) == 0);
  CHECK(strcmp(nearest(c8, "red lipstick"), "a") == 0);
  arag_catalog_free(c8);
  arag_catalog_free(c32);
}

static void test_amazon_beauty(void) {
  size_t len = 0;
  char path[1024];
  char *json =
      test_read_file(test_data_path("amazon-beauty", "items.jsonl", path, sizeof path), &len);
  if (!json) {
    TEST_SKIP("needs the amazon-beauty data set, cannot read %s (set ARAG_DATA_ROOT)", path);
    return;
  }
  arag_catalog *cat = make(ARAG_EMBED_DEFAULT_DIM, 0);
  struct timespec t0, t1;
  timespec_get(&t0, TIME_UTC);
  arag_status st = arag_catalog_add_json(cat, json, len);
  timespec_get(&t1, TIME_UTC);
  CHECK_EQ_INT(st, ARAG_OK);
  if (st != ARAG_OK) fprintf(stderr, "  %s\n", arag_catalog_last_error(cat));
  fprintf(stderr, "amazon-beauty: %u items loaded in %.1f ms (this build)\n",
          arag_catalog_count(cat), (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
  CHECK_EQ_INT(arag_catalog_count(cat), 7416);
  const arag_item *it = arag_catalog_find(cat, "B00004TMFE", 10);
  CHECK(it != NULL);
  if (it) {
    CHECK(strcmp(it->title, "Avalon Biotin B-Complex Thickening Conditioner, 14 Ounce") == 0);
    CHECK_EQ_INT(it->n_categories, 3);
    CHECK(it->n_categories == 3 && strcmp(it->categories[1], "Hair Care") == 0);
    /* The item's own vector finds the item first. */
    uint32_t slot = 0, n = 0;
    float score = 0, v[ARAG_EMBED_DEFAULT_DIM];
    CHECK_EQ_INT(arag_catalog_vector(cat, it, v), ARAG_OK);
    CHECK_EQ_INT(arag_index_search(arag_catalog_index(cat), v, ARAG_EMBED_DEFAULT_DIM, 1, NULL, 0,
                                   0, &slot, &score, &n),
                 ARAG_OK);
    CHECK(n == 1 && arag_catalog_item_at(cat, slot) == it);
    CHECK_NEAR(score, 1.0, 1e-4);
  }
  /* Loading the same file again is an upsert of every item. */
  CHECK_EQ_INT(arag_catalog_add_json(cat, json, len), ARAG_OK);
  CHECK_EQ_INT(arag_catalog_count(cat), 7416);
  arag_catalog_free(cat);
  free(json);
}

static void test_amazon_office_brand(void) {
  size_t len = 0;
  char path[1024];
  char *json =
      test_read_file(test_data_path("amazon-office", "items.jsonl", path, sizeof path), &len);
  if (!json) {
    TEST_SKIP("needs the amazon-office data set, cannot read %s (set ARAG_DATA_ROOT)", path);
    return;
  }
  arag_catalog *cat = make(ARAG_EMBED_DEFAULT_DIM, 0);
  CHECK_EQ_INT(arag_catalog_add_json(cat, json, len), ARAG_OK);
  CHECK_EQ_INT(arag_catalog_count(cat), 3024);
  const arag_item *it = arag_catalog_find(cat, "1", 1);
  CHECK(it && strcmp(it->brand, "AmazonBasics") == 0);
  it = arag_catalog_find(cat, "0", 1);
  CHECK(it && strcmp(it->brand, "HP") == 0);
  arag_catalog_free(cat);
  free(json);
}

static void test_item_json(void) {
  arag_catalog *cat = make(D, 0);
  CHECK_EQ_INT(add(cat, "{\"id\":\"a\",\"title\":\"Rose \\\"Balm\\\" <b>\",\"text\":\"Brand: Moss. "
                        "Soft.\",\"categories\":[\"Skin\",\"Balm\"],\"price\":9.5,\"popularity\":0,"
                        "\"related\":{\"b\":2,\"c\":0.5},\"vector\":[" /* 64 numbers */
                        "1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,"
                        "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2]}\n"
                        "{\"id\":\"b\",\"title\":\"Pen\"}"),
               ARAG_OK);
  const char *json = NULL;
  size_t len = 0;
  CHECK_EQ_INT(arag_catalog_item_json(cat, "a", 1, &json, &len), ARAG_OK);
  /* The fields given, the brand read from the text, no vector; text escaped as JSON. */
  CHECK(json && len == strlen(json));
  CHECK(json &&
        strcmp(json, "{\"id\":\"a\",\"title\":\"Rose \\\"Balm\\\" <b>\",\"text\":\"Brand: "
                     "Moss. Soft.\",\"brand\":\"Moss\",\"categories\":[\"Skin\",\"Balm\"],"
                     "\"price\":9.5,\"popularity\":0,\"related\":{\"b\":2,\"c\":0.5}}") == 0);
  CHECK_EQ_INT(arag_catalog_item_json(cat, "b", 1, &json, &len), ARAG_OK);
  CHECK(json && strcmp(json, "{\"id\":\"b\",\"title\":\"Pen\"}") == 0);
  CHECK_EQ_INT(arag_catalog_item_json(cat, "zz", 2, &json, &len), ARAG_E_NOT_FOUND);
  CHECK(json == NULL && len == 0);
  CHECK_EQ_INT(arag_catalog_item_json(cat, NULL, 0, &json, &len), ARAG_E_INVALID);
  CHECK_EQ_INT(arag_catalog_item_json(cat, "a", 1, NULL, &len), ARAG_E_INVALID);
  CHECK_EQ_INT(arag_catalog_item_json(NULL, "a", 1, &json, &len), ARAG_E_INVALID);
  arag_catalog_free(cat);
}

int main(void) {
  RUN(test_create);
  RUN(test_add_forms);
  RUN(test_upsert);
  RUN(test_all_or_nothing);
  RUN(test_vectors_live_in_the_index);
  RUN(test_term_df);
  RUN(test_text_terms);
  RUN(test_limits);
  RUN(test_remove);
  RUN(test_int8_catalog);
  RUN(test_item_json);
  RUN(test_amazon_beauty);
  RUN(test_amazon_office_brand);
  return test_report();
}
