/* Catalog snapshots: a restored catalog holds the same items, vectors (bit for bit)
 * and word counts, snapshots to the same bytes and recommends exactly as the one it
 * was taken from (the same result JSON but for timings), f32 and int8, after
 * removals and replacements; every flipped byte and every cut is refused, and so are
 * inconsistent contents with a valid checksum, contents past the limits and past the
 * restore budget, each leaving the catalog untouched. */
#include "arag.h"
#include "brands.h"
#include "model.h"
#include "snapshot_io.h"
#include "strbuf.h"
#include "term_df.h"
#include "test.h"
#include "test_util.h"

#include <cJSON.h>
#include <stdlib.h>

#define D 32

static const char *const WORDS[] = {"Rose",   "Argan", "Matte", "Curl",   "Serum", "Balm",
                                    "Gel",    "Night", "Mint",  "Cedar",  "Clay",  "Silk",
                                    "Volume", "Tint",  "Glow",  "Repair", "Shea",  "Pen"};
static const char *const BRANDS[] = {"Mossberry", "Quill & Co", "Lumaquokka", "Thistlecomb"};
static const char *const CATS[] = {"Skin Care", "Hair Care", "Makeup", "Office"};
#define NW (sizeof WORDS / sizeof *WORDS)

/* JSON lines of n items with every kind of field: text with and without a "Brand:"
 * prefix, brand, category paths, prices and popularity present or not (0 included),
 * related items, a supplied vector for every fifth. Deterministic. */
static char *items_json(int n, int first, uint64_t *rng) {
  arag_sb b;
  arag_sb_init(&b);
  for (int i = first; i < first + n; i++) {
    uint32_t r = test_rnd(rng);
    arag_sb_printf(&b, "{\"id\":\"p%03d\",\"title\":\"%s %s %s %d\"", i, BRANDS[r % 4],
                   WORDS[(r >> 4) % NW], WORDS[(r >> 9) % NW], i % 7);
    if (r & 0x10000)
      arag_sb_printf(&b, ",\"text\":\"Brand: %s. A %s for every day.\"", BRANDS[(r >> 2) % 4],
                     WORDS[(r >> 13) % NW]);
    else if (r & 0x20000)
      arag_sb_printf(&b, ",\"text\":\"Made of %s and %s, caf\\u00e9 \\u00fcber.\"",
                     WORDS[(r >> 5) % NW], WORDS[(r >> 11) % NW]);
    if (r & 0x40000) arag_sb_printf(&b, ",\"brand\":\"%s\"", BRANDS[(r >> 7) % 4]);
    if (r & 0x80000)
      arag_sb_printf(&b, ",\"categories\":[\"%s\",\"%s\"]", CATS[r % 4], WORDS[(r >> 3) % NW]);
    if (r & 0x100000) arag_sb_printf(&b, ",\"price\":%d.25", (int)(r % 90));
    if (r & 0x200000) arag_sb_printf(&b, ",\"popularity\":%d", (int)((r >> 6) % 5));
    if (r & 0x400000)
      arag_sb_printf(&b, ",\"related\":{\"p%03d\":3,\"p%03d\":0.5,\"elsewhere\":1}",
                     (int)((r >> 8) % 40), (int)((r >> 12) % 40));
    if (i % 5 == 0) {
      arag_sb_printf(&b, ",\"vector\":[");
      for (int d = 0; d < D; d++) arag_sb_printf(&b, "%s%.3f", d ? "," : "", test_frand(rng));
      arag_sb_printf(&b, "]");
    }
    arag_sb_printf(&b, "}\n");
  }
  return arag_sb_take(&b, NULL);
}

static arag_status add(arag_catalog *cat, const char *json) {
  return arag_catalog_add_json(cat, json, strlen(json));
}

/* A catalog of 40 items after removals and replacements (so its index has
 * soft-deleted rows and replaced vectors). */
static arag_catalog *sample(arag_dtype dtype, const arag_limits *lim) {
  uint64_t rng = 0x9e3779b97f4a7c15ull;
  arag_catalog *cat = NULL;
  CHECK_EQ_INT(arag_catalog_create_dtype(D, dtype, lim, &cat), ARAG_OK);
  char *json = items_json(40, 0, &rng);
  CHECK_EQ_INT(add(cat, json), ARAG_OK);
  free(json);
  for (int i = 3; i < 40; i += 9) {
    char id[8];
    snprintf(id, sizeof id, "p%03d", i);
    CHECK_EQ_INT(arag_catalog_remove(cat, id, 4), ARAG_OK);
  }
  json = items_json(4, 10, &rng); /* p010..p013 replaced (p012 added again) */
  CHECK_EQ_INT(add(cat, json), ARAG_OK);
  free(json);
  json = items_json(3, 40, &rng); /* p040..p042 new, after the deleted rows */
  CHECK_EQ_INT(add(cat, json), ARAG_OK);
  free(json);
  CHECK_EQ_INT(arag_catalog_count(cat), 40 - 5 + 1 + 3); /* p012 removed, then back */
  return cat;
}

static uint8_t *snap(const arag_catalog *cat, size_t *len) {
  uint8_t *b = NULL;
  CHECK_EQ_INT(arag_catalog_snapshot(cat, &b, len), ARAG_OK);
  return b;
}

static int str_eq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }
static int num_eq(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

/* Same items (every field), vectors bit for bit, and word counts. */
static int same_catalog(const arag_catalog *a, const arag_catalog *b) {
  if (arag_catalog_count(a) != arag_catalog_count(b) || arag_catalog_dim(a) != arag_catalog_dim(b))
    return 0;
  const arag_term_df *ta = arag_catalog_terms(a), *tb = arag_catalog_terms(b);
  const arag_term_df *xa = arag_catalog_text_terms(a), *xb = arag_catalog_text_terms(b);
  arag_brand_stats sa, sb; /* the phrases titles start with */
  const arag_term_df *la_ = arag_catalog_brand_stats(a, &sa)->leads,
                     *lb_ = arag_catalog_brand_stats(b, &sb)->leads;
  if (ta->docs != tb->docs || xa->docs != xb->docs || la_->docs != lb_->docs) return 0;
  float va[D], vb[D];
  uint32_t seen = 0;
  for (uint32_t s = 0; seen < arag_catalog_count(a); s++) {
    const arag_item *p = arag_catalog_item_at(a, s);
    if (!p) continue;
    seen++;
    const arag_item *q = arag_catalog_find(b, p->id, p->id_len);
    if (!q || !str_eq(p->title, q->title) || !str_eq(p->text, q->text) ||
        !str_eq(p->brand, q->brand) ||
        !str_eq(p->group ? p->group : "", q->group ? q->group : "") ||
        p->repeat_purchase != q->repeat_purchase || !num_eq(p->price, q->price) ||
        !num_eq(p->popularity, q->popularity) || p->n_categories != q->n_categories ||
        p->n_related != q->n_related)
      return 0;
    for (uint32_t c = 0; c < p->n_categories; c++)
      if (!str_eq(p->categories[c], q->categories[c])) return 0;
    for (uint32_t r = 0; r < p->n_related; r++)
      if (!str_eq(p->related_ids[r], q->related_ids[r]) || p->related_w[r] != q->related_w[r])
        return 0;
    if (arag_catalog_vector(a, p, va) != ARAG_OK || arag_catalog_vector(b, q, vb) != ARAG_OK ||
        memcmp(va, vb, sizeof va) != 0)
      return 0;
    uint64_t keys[ARAG_TEXT_TERM_MAX];
    uint32_t m = arag_term_df_terms(ta, p, keys, NULL);
    for (uint32_t k = 0; k < m; k++)
      if (arag_term_df_get(ta, keys[k]) != arag_term_df_get(tb, keys[k])) return 0;
    m = arag_term_df_terms(xa, p, keys, NULL);
    for (uint32_t k = 0; k < m; k++)
      if (arag_term_df_get(xa, keys[k]) != arag_term_df_get(xb, keys[k])) return 0;
    m = arag_term_df_terms(la_, p, keys, NULL);
    for (uint32_t k = 0; k < m; k++)
      if (arag_term_df_get(la_, keys[k]) != arag_term_df_get(lb_, keys[k])) return 0;
    /* The item as the accessor gives it, from either catalog. */
    const char *ja = NULL, *jb = NULL;
    size_t la = 0, lb = 0;
    char *copy = NULL;
    if (arag_catalog_item_json((arag_catalog *)a, p->id, p->id_len, &ja, &la) != ARAG_OK ||
        !(copy = malloc(la + 1)) || !memcpy(copy, ja, la + 1) ||
        arag_catalog_item_json((arag_catalog *)b, q->id, q->id_len, &jb, &lb) != ARAG_OK ||
        la != lb || memcmp(copy, jb, la) != 0) {
      free(copy);
      return 0;
    }
    free(copy);
  }
  return 1;
}

/* The result JSON without its timings (elapsed_ms, started_ms, ended_ms). */
static void drop_timings(cJSON *j) {
  static const char *const keys[] = {"elapsed_ms", "started_ms", "ended_ms"};
  for (int k = 0; k < 3; k++) cJSON_DeleteItemFromObjectCaseSensitive(j, keys[k]);
  cJSON *c;
  cJSON_ArrayForEach(c, j) drop_timings(c);
}

static char *recommend(arag_engine *eng, const arag_catalog *cat, const arag_history *h,
                       const char *req) {
  uint32_t sid = 0;
  const char *json = NULL;
  size_t len = 0;
  CHECK_EQ_INT(arag_recommend_start(eng, cat, h, req, strlen(req), &sid), ARAG_OK);
  CHECK_EQ_INT(arag_session_result(eng, sid, &json, &len), ARAG_OK);
  char *out = NULL;
  cJSON *j = json ? cJSON_ParseWithLength(json, len) : NULL;
  CHECK(j != NULL);
  if (j) {
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "items")) > 0);
    drop_timings(j);
    out = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
  }
  arag_session_free(eng, sid);
  return out;
}

/* Recommendations from both catalogs for several shoppers, in catalog mode and with
 * candidates by id: the same JSON. Returns how many differed. */
static int recommend_alike(const arag_catalog *a, const arag_catalog *b) {
  static const char *const histories[] = {
      "{\"id\":\"p001\",\"ts\":1}\n{\"id\":\"p014\",\"ts\":2,\"kind\":\"cart\"}\n"
      "{\"id\":\"p022\",\"ts\":3}",
      "{\"id\":\"p005\",\"ts\":1,\"kind\":\"view\"}\n{\"id\":\"p010\",\"ts\":2}\n"
      "{\"id\":\"p041\",\"ts\":3}\n{\"id\":\"p030\",\"ts\":4,\"kind\":\"rating\",\"rating\":5}",
      "{\"id\":\"x\",\"ts\":1,\"title\":\"Silk Night Balm\",\"brand\":\"Mossberry\"}"};
  static const char *const requests[] = {
      "{\"k\":5,\"top_k\":20}", "{\"k\":8,\"top_k\":40,\"config\":{\"reasoner\":{\"ira_div\":1}}}",
      "{\"candidates\":[\"p002\",\"p011\",\"p020\",\"p025\",\"p033\",\"p040\",\"p042\"],\"k\":4}"};
  int differ = 0;
  arag_engine *eng = NULL;
  CHECK_EQ_INT(arag_engine_create(NULL, 0, &eng), ARAG_OK);
  for (int u = 0; u < 3; u++) {
    arag_history *h = NULL;
    CHECK_EQ_INT(arag_history_create(D, NULL, &h), ARAG_OK);
    CHECK_EQ_INT(arag_history_add_json(h, histories[u], strlen(histories[u])), ARAG_OK);
    for (int q = 0; q < 3; q++) {
      char *x = recommend(eng, a, h, requests[q]), *y = recommend(eng, b, h, requests[q]);
      if (!x || !y || strcmp(x, y) != 0) {
        differ++;
        fprintf(stderr, "shopper %d request %d:\n  %.300s\n  %.300s\n", u, q, x ? x : "-",
                y ? y : "-");
      }
      cJSON_free(x);
      cJSON_free(y);
    }
    arag_history_free(h);
  }
  arag_engine_free(eng);
  return differ;
}

static void test_round_trip(void) {
  for (int variant = 0; variant < 2; variant++) {
    arag_dtype dtype = variant ? ARAG_I8 : ARAG_F32;
    arag_catalog *a = sample(dtype, NULL), *b = NULL;
    size_t len = 0, len2 = 0;
    uint8_t *bytes = snap(a, &len);
    CHECK(bytes && memcmp(bytes, "ARAGCATL", 8) == 0 && bytes[8] == 3);
    /* The target holds other contents, of another dim and row type. */
    CHECK_EQ_INT(arag_catalog_create_dtype(8, variant ? ARAG_F32 : ARAG_I8, NULL, &b), ARAG_OK);
    CHECK_EQ_INT(add(b, "{\"id\":\"old\",\"title\":\"Old Thing\"}"), ARAG_OK);
    CHECK_EQ_INT(arag_catalog_restore(b, bytes, len), ARAG_OK);
    CHECK(arag_catalog_find(b, "old", 3) == NULL);
    CHECK_EQ_INT(arag_catalog_dim(b), D);
    CHECK(same_catalog(a, b));
    CHECK_EQ_INT(recommend_alike(a, b), 0);
    /* The restored catalog snapshots to the same bytes. */
    uint8_t *again = snap(b, &len2);
    CHECK(len2 == len && again && memcmp(bytes, again, len) == 0);
    arag_free(again);
    /* Both go on alike: the same batch and removal, the same snapshot after. */
    uint64_t rng = 77;
    char *json = items_json(6, 38, &rng);
    CHECK_EQ_INT(add(a, json), ARAG_OK);
    CHECK_EQ_INT(add(b, json), ARAG_OK);
    free(json);
    CHECK_EQ_INT(arag_catalog_remove(a, "p001", 4), ARAG_OK);
    CHECK_EQ_INT(arag_catalog_remove(b, "p001", 4), ARAG_OK);
    CHECK(same_catalog(a, b));
    CHECK_EQ_INT(recommend_alike(a, b), 0);
    uint8_t *sa = snap(a, &len), *sb = snap(b, &len2);
    CHECK(len == len2 && sa && sb && memcmp(sa, sb, len) == 0);
    arag_free(sa);
    arag_free(sb);
    /* Memory: the restored catalog's accounting covers its parts. */
    size_t mem = arag_catalog_memory_bytes(b);
    CHECK(mem > arag_index_memory_bytes(arag_catalog_index(b)) + 40 * sizeof(arag_item));
    CHECK_EQ_INT(arag_catalog_memory_bytes(NULL), 0);
    arag_free(bytes);
    arag_catalog_free(a);
    arag_catalog_free(b);
  }
  /* An empty catalog. */
  arag_catalog *e = NULL, *f = sample(ARAG_F32, NULL);
  CHECK_EQ_INT(arag_catalog_create(D, NULL, &e), ARAG_OK);
  size_t len;
  uint8_t *bytes = snap(e, &len);
  CHECK_EQ_INT(arag_catalog_restore(f, bytes, len), ARAG_OK);
  CHECK_EQ_INT(arag_catalog_count(f), 0);
  CHECK_EQ_INT(add(f, "{\"id\":\"n\",\"title\":\"New Pen\"}"), ARAG_OK);
  CHECK_EQ_INT(arag_catalog_count(f), 1);
  arag_free(bytes);
  arag_catalog_free(e);
  arag_catalog_free(f);
  /* Arguments. */
  CHECK_EQ_INT(arag_catalog_snapshot(NULL, &bytes, &len), ARAG_E_INVALID);
  CHECK_EQ_INT(arag_catalog_restore(NULL, (const uint8_t *)"x", 1), ARAG_E_INVALID);
}

/* A word-count table read from a snapshot answers from the entries where they lie
 * (sorted, through a directory of key ranges), for keys crowded into one range as for
 * spread ones, writes the same bytes, and once reserve() builds its hash table answers
 * and writes alike. */
static void test_word_counts_read(void) {
  static const uint32_t sizes[] = {0, 1, 2, 7, 300};
  for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
    const uint32_t m = sizes[z];
    uint64_t *keys = malloc((m + 1) * sizeof *keys);
    for (uint32_t i = 0; i < m; i++) /* half crowded at the bottom, half spread */
      keys[i] = i < m / 2 ? 2 * (uint64_t)i + 1 : (0xffffffffffffffffull / (m + 1)) * (i + 1);
    arag_writer w;
    arag_writer_init(&w);
    arag_writer_u32(&w, 9); /* items */
    arag_writer_u32(&w, m);
    for (uint32_t i = 0; i < m; i++) {
      arag_writer_u64(&w, keys[i]);
      arag_writer_u32(&w, 1 + i % 9);
    }
    size_t len = 0;
    uint8_t *bytes = arag_writer_take(&w, &len);
    arag_reader r;
    arag_reader_init(&r, bytes, len);
    arag_budget budget = {1u << 20};
    arag_term_df t = {0};
    arag_error err;
    CHECK_EQ_INT(arag_term_df_read(&t, &r, 9, &budget, &err), ARAG_OK);
    CHECK_EQ_INT(arag_reader_left(&r), 0);
    CHECK_EQ_INT(arag_term_df_bytes(&t), arag_term_df_read_bytes(m));
    CHECK(arag_term_df_bytes(&t) <= (size_t)m * 4 + 8); /* a directory, no hash table */
    for (int built = 0; built < 2; built++) {
      int wrong = 0;
      for (uint32_t i = 0; i < m; i++) {
        wrong += arag_term_df_get(&t, keys[i]) != 1 + i % 9;
        wrong +=
            arag_term_df_get(&t, keys[i] + 1) != 0 && (i + 1 == m || keys[i + 1] != keys[i] + 1);
      }
      CHECK_EQ_INT(wrong, 0);
      CHECK_EQ_INT(arag_term_df_get(&t, 0), 0);
      CHECK_EQ_INT(arag_term_df_get(&t, 0xffffffffffffffffull), 0);
      CHECK_EQ_INT(arag_term_df_get(&t, 0x8000000000000000ull + 3), 0);
      arag_writer_init(&w);
      CHECK(arag_term_df_write(&t, &w));
      size_t l2 = 0;
      uint8_t *again = arag_writer_take(&w, &l2);
      CHECK(l2 == len && again && memcmp(again, bytes, len) == 0);
      arag_free(again);
      CHECK(arag_term_df_reserve(&t, 0)); /* builds the hash table */
      CHECK(t.sorted == NULL && t.dir == NULL && t.used == m);
    }
    arag_term_df_free(&t);
    arag_free(bytes);
    free(keys);
  }
}

/* A restored catalog changes as the one it was taken from: a removal first (its word
 * counts were read, not built), a batch refused and rolled back, then a batch that
 * replaces items. */
static void test_changes_after_restore(void) {
  arag_catalog *a = sample(ARAG_I8, NULL), *b = NULL;
  size_t len = 0, len2 = 0;
  uint8_t *bytes = snap(a, &len);
  CHECK_EQ_INT(arag_catalog_create(D, NULL, &b), ARAG_OK);
  CHECK_EQ_INT(arag_catalog_restore(b, bytes, len), ARAG_OK);
  CHECK_EQ_INT(arag_catalog_remove(a, "p006", 4), ARAG_OK);
  CHECK_EQ_INT(arag_catalog_remove(b, "p006", 4), ARAG_OK);
  CHECK_EQ_INT(arag_catalog_remove(b, "p006", 4), ARAG_E_NOT_FOUND);
  CHECK(same_catalog(a, b) && same_catalog(b, a));
  static const char bad[] = "{\"id\":\"p005\",\"title\":\"Rose Gel\"}\n{\"id\":\"\"}";
  CHECK_EQ_INT(add(b, bad), ARAG_E_INVALID);
  uint64_t rng = 91;
  char *json = items_json(5, 7, &rng); /* p007..p011 replaced */
  CHECK_EQ_INT(add(a, json), ARAG_OK);
  CHECK_EQ_INT(add(b, json), ARAG_OK);
  free(json);
  CHECK(same_catalog(a, b) && same_catalog(b, a));
  CHECK_EQ_INT(recommend_alike(a, b), 0);
  uint8_t *sa = snap(a, &len), *sb = snap(b, &len2);
  CHECK(len == len2 && sa && sb && memcmp(sa, sb, len) == 0);
  arag_free(sa);
  arag_free(sb);
  arag_free(bytes);
  arag_catalog_free(a);
  arag_catalog_free(b);
}

/* Writes bytes into buf `piece` bytes at a time, feeding f after each (as the wasm host
 * does), then restores cat from buf with f. */
static arag_status fed_restore(arag_catalog *cat, const uint8_t *bytes, size_t len, size_t piece,
                               arag_catalog_fed *f, uint8_t **buf) {
  *buf = malloc(len);
  arag_catalog_fed_init(f, *buf);
  for (size_t at = 0; at < len; at += piece) {
    size_t n = len - at < piece ? len - at : piece;
    memcpy(*buf + at, bytes + at, n);
    arag_catalog_fed_feed(f, at + n);
  }
  arag_status st = arag_catalog_restore_take_fed(cat, *buf, len, f);
  if (st == ARAG_OK) *buf = NULL; /* the catalog's now */
  return st;
}

/* A snapshot written piece by piece with its rows checked as they come: restored alike
 * for any piece size, every row and scale found usable by the feed; a row or scale not
 * usable (a sealed checksum) refused with the same status and message as a restore of
 * the whole bytes, the feed stopped at it, the catalog untouched. */
static void test_fed_restore(void) {
  static const size_t pieces[] = {1, 13, 64, 100, 4096, 1u << 20};
  for (int dt = 0; dt < 2; dt++) {
    arag_catalog *a = sample(dt ? ARAG_I8 : ARAG_F32, NULL), *b = NULL;
    size_t len = 0;
    uint8_t *bytes = snap(a, &len), *buf = NULL;
    const uint32_t n = arag_catalog_count(a);
    CHECK_EQ_INT(arag_catalog_create(8, NULL, &b), ARAG_OK);
    for (size_t k = 0; k < sizeof pieces / sizeof *pieces; k++) {
      arag_catalog_fed f;
      CHECK_EQ_INT(fed_restore(b, bytes, len, pieces[k], &f, &buf), ARAG_OK);
      CHECK(f.header && !f.stop && f.rows_ok == n && f.scales_ok == (dt ? n : 0));
      CHECK(same_catalog(a, b));
    }
    /* A row (f32: a value of 2) or a scale (int8: -1) not usable: the first, one in the
     * middle, the last. */
    const size_t row = dt ? D : (size_t)D * 4, scales = 64 + (size_t)n * row;
    const uint32_t bad_rows[] = {0, n / 2, n - 1};
    uint8_t *c = malloc(len);
    arag_catalog *ref = NULL;
    CHECK_EQ_INT(arag_catalog_create(8, NULL, &ref), ARAG_OK);
    CHECK_EQ_INT(add(ref, "{\"id\":\"keep\",\"title\":\"Kept\"}"), ARAG_OK);
    for (size_t r = 0; r < 3; r++) {
      const float two = 2.0f, neg = -1.0f;
      memcpy(c, bytes, len);
      if (dt)
        memcpy(c + scales + (size_t)bad_rows[r] * 4, &neg, 4);
      else
        memcpy(c + 64 + (size_t)bad_rows[r] * row + 8, &two, 4);
      arag_snap_seal(c, len);
      CHECK_EQ_INT(arag_catalog_restore(ref, c, len), ARAG_E_CORRUPT);
      char want[256];
      snprintf(want, sizeof want, "%s", arag_catalog_last_error(ref));
      CHECK(strstr(want, dt ? "bad scale" : "non-finite") != NULL);
      for (size_t k = 0; k < sizeof pieces / sizeof *pieces; k++) {
        arag_catalog_fed f;
        CHECK_EQ_INT(fed_restore(ref, c, len, pieces[k], &f, &buf), ARAG_E_CORRUPT);
        free(buf);
        CHECK_EQ_INT(strcmp(arag_catalog_last_error(ref), want), 0);
        CHECK(f.stop && (dt ? f.scales_ok : f.rows_ok) == bad_rows[r]);
        CHECK(!dt || f.rows_ok == n);
      }
    }
    CHECK_EQ_INT(arag_catalog_count(ref), 1);
    CHECK(arag_catalog_find(ref, "keep", 4) != NULL);
    /* A state of other bytes, or fed short, is refused before anything is read. */
    arag_catalog_fed f;
    arag_catalog_fed_init(&f, bytes);
    arag_catalog_fed_feed(&f, len - 1);
    CHECK_EQ_INT(arag_catalog_restore_take_fed(ref, bytes, len, &f), ARAG_E_INVALID);
    memcpy(c, bytes, len);
    arag_catalog_fed_feed(&f, len);
    CHECK_EQ_INT(arag_catalog_restore_take_fed(ref, c, len, &f), ARAG_E_INVALID);
    CHECK_EQ_INT(arag_catalog_count(ref), 1);
    free(c);
    arag_catalog_free(ref);
    arag_free(bytes);
    arag_catalog_free(a);
    arag_catalog_free(b);
  }
}

/* A small catalog whose every byte is flipped and every length cut. */
static void test_corruption_refused(void) {
  uint64_t rng = 5;
  arag_catalog *a = NULL, *t = sample(ARAG_F32, NULL);
  CHECK_EQ_INT(arag_catalog_create_dtype(4, ARAG_I8, NULL, &a), ARAG_OK);
  char *json = items_json(4, 0, &rng);
  CHECK_EQ_INT(add(a, json), ARAG_E_DIM); /* p000 has a 32-d vector */
  free(json);
  json = items_json(3, 1, &rng);
  CHECK_EQ_INT(add(a, json), ARAG_OK);
  free(json);
  size_t len, tlen, cur_len;
  uint8_t *bytes = snap(a, &len), *ref = snap(t, &tlen);
  uint8_t *copy = malloc(len);
  int refused = 0, wrong_code = 0;
  for (size_t i = 0; i < len; i++)
    for (int flip = 0; flip < 2; flip++) {
      memcpy(copy, bytes, len);
      copy[i] ^= flip ? 0xff : 0x01;
      arag_status st = arag_catalog_restore(t, copy, len);
      refused += st != ARAG_OK;
      wrong_code += st != ARAG_E_CORRUPT && st != ARAG_E_VERSION;
    }
  CHECK_EQ_INT(refused, 2 * len);
  CHECK_EQ_INT(wrong_code, 0);
  int cuts = 0;
  for (size_t cut = 0; cut < len; cut++)
    cuts += arag_catalog_restore(t, bytes, cut) == ARAG_E_CORRUPT;
  CHECK_EQ_INT(cuts, len);
  CHECK(strstr(arag_catalog_last_error(t), "truncated") != NULL);
  uint8_t *longer = malloc(len + 3);
  memcpy(longer, bytes, len);
  memset(longer + len, 0, 3);
  CHECK_EQ_INT(arag_catalog_restore(t, longer, len + 3), ARAG_E_CORRUPT);
  CHECK_EQ_INT(arag_catalog_restore(t, NULL, 0), ARAG_E_CORRUPT);
  CHECK_EQ_INT(arag_catalog_restore(t, NULL, 4), ARAG_E_INVALID);
  /* Other kinds of snapshot. */
  arag_index *ix = NULL;
  CHECK_EQ_INT(arag_index_create(4, ARAG_F32, ARAG_COSINE, 0, NULL, &ix), ARAG_OK);
  uint8_t *ib;
  size_t il;
  CHECK_EQ_INT(arag_index_snapshot(ix, &ib, &il), ARAG_OK);
  CHECK_EQ_INT(arag_catalog_restore(t, ib, il), ARAG_E_CORRUPT);
  CHECK(strstr(arag_catalog_last_error(t), "index snapshot, not a catalog") != NULL);
  CHECK_EQ_INT(arag_index_restore(ix, bytes, len), ARAG_E_CORRUPT);
  CHECK(strstr(arag_index_last_error(ix), "catalog snapshot, not an index") != NULL);
  arag_free(ib);
  arag_index_free(ix);
  /* A newer version. */
  memcpy(copy, bytes, len);
  copy[8] = 4;
  arag_snap_seal(copy, len);
  CHECK_EQ_INT(arag_catalog_restore(t, copy, len), ARAG_E_VERSION);
  CHECK(strstr(arag_catalog_last_error(t), "version 4") != NULL);
  /* The target is untouched by all of that. */
  uint8_t *cur = snap(t, &cur_len);
  CHECK(cur_len == tlen && cur && memcmp(cur, ref, tlen) == 0);
  CHECK_EQ_INT(arag_catalog_count(t), 39);
  arag_free(cur);
  free(longer);
  free(copy);
  arag_free(bytes);
  arag_free(ref);
  arag_catalog_free(a);
  arag_catalog_free(t);
}

static void put_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Contents a valid checksum does not make sound: each refused by name. The layout
 * (src/catalog/catalog.c): header fields at 32..63, rows from 64, then the item records, the
 * related weights, the text and the word counts. */
static void test_inconsistent_contents(void) {
  for (int dt = 0; dt < 2; dt++) {
    arag_catalog *a = NULL, *t = NULL;
    CHECK_EQ_INT(arag_catalog_create_dtype(4, dt ? ARAG_I8 : ARAG_F32, NULL, &a), ARAG_OK);
    CHECK_EQ_INT(arag_catalog_create(4, NULL, &t), ARAG_OK);
    CHECK_EQ_INT(add(a, "{\"id\":\"a\",\"title\":\"Rose Balm\",\"price\":2.5,"
                        "\"related\":{\"b\":1}}\n{\"id\":\"b\",\"title\":\"Mint Gel\"}"),
                 ARAG_OK);
    CHECK_EQ_INT(add(t, "{\"id\":\"keep\",\"title\":\"Kept\"}"), ARAG_OK);
    size_t len;
    uint8_t *bytes = snap(a, &len), *c = malloc(len);
    const size_t stride = dt ? 16 : 16; /* 4 floats, or 4 int8 padded to 16 */
    const size_t recs = 64 + 2 * stride + (dt ? 8 : 0), weights = recs + 56, text = weights + 4;
    /* The text: "a", "Rose Balm", "", "", "" (group), "b" (related), then "b", "Mint Gel",
     * "", "", "". */
    CHECK(memcmp(bytes + text, "a\0Rose Balm\0\0\0\0b\0b\0Mint Gel\0\0\0", 31) == 0);
    struct {
      const char *what;
      size_t at;
      uint32_t value;
      int byte;
      const char *msg;
    } cases[] = {
        {"item count", 40, 3, 0, "item"},
        {"list count", 44, 2, 0, "list count"},
        {"text length", 48, 200, 0, "text"},
        {"text length past the end", 48, 1u << 20, 0, "truncated in its text"},
        {"row stride", 56, 8, 0, "inconsistent"},
        {"reserved header word", 60, 1, 0, "inconsistent"},
        {"categories past the limit", recs, 65, 0, "categories"},
        {"related items past the limit", recs + 4, 65, 0, "related"},
        {"NUL in a title", text + 5, 0, 1, "text"},
        {"no NUL at the end of the text", text + 30, 'x', 1, "text"},
        {"an empty id", text, 0, 1, "empty id"},
        {"a repeated id", text + 17, 'a', 1, "repeats"},
        {"unknown item flags", recs + 24, 2, 0, "flags"},
        {"word count above the items", len - 4, 3, 0, "word count"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
      memcpy(c, bytes, len);
      if (cases[k].byte)
        c[cases[k].at] = (uint8_t)cases[k].value;
      else
        put_u32(c + cases[k].at, cases[k].value);
      arag_snap_seal(c, len);
      arag_status st = arag_catalog_restore(t, c, len);
      CHECK_EQ_INT(st, ARAG_E_CORRUPT);
      if (!strstr(arag_catalog_last_error(t), cases[k].msg))
        fprintf(stderr, "%s: %s\n", cases[k].what, arag_catalog_last_error(t));
      CHECK(strstr(arag_catalog_last_error(t), cases[k].msg) != NULL);
    }
    /* An infinite price, a negative related weight, a bad row. */
    double inf = INFINITY;
    float neg = -1.0f, two = 2.0f;
    memcpy(c, bytes, len);
    memcpy(c + recs + 8, &inf, 8);
    arag_snap_seal(c, len);
    CHECK_EQ_INT(arag_catalog_restore(t, c, len), ARAG_E_CORRUPT);
    CHECK(strstr(arag_catalog_last_error(t), "infinite") != NULL);
    memcpy(c, bytes, len);
    memcpy(c + weights, &neg, 4);
    arag_snap_seal(c, len);
    CHECK_EQ_INT(arag_catalog_restore(t, c, len), ARAG_E_CORRUPT);
    CHECK(strstr(arag_catalog_last_error(t), "related weight") != NULL);
    memcpy(c, bytes, len);
    if (dt) {
      c[64 + 5] = 1; /* padding of the first int8 row */
      arag_snap_seal(c, len);
      CHECK_EQ_INT(arag_catalog_restore(t, c, len), ARAG_E_CORRUPT);
      CHECK(strstr(arag_catalog_last_error(t), "padding") != NULL);
      memcpy(c, bytes, len);
      memcpy(c + 64 + 2 * stride, &neg, 4); /* the first scale */
    } else {
      memcpy(c + 64, &two, 4); /* a unit row holds no 2 */
    }
    arag_snap_seal(c, len);
    CHECK_EQ_INT(arag_catalog_restore(t, c, len), ARAG_E_CORRUPT);
    CHECK(strstr(arag_catalog_last_error(t), dt ? "scale" : "non-finite") != NULL);
    CHECK_EQ_INT(arag_catalog_count(t), 1);
    CHECK(arag_catalog_find(t, "keep", 4) != NULL);
    free(c);
    arag_free(bytes);
    arag_catalog_free(a);
    arag_catalog_free(t);
  }
}

static void test_limits_and_budget(void) {
  arag_catalog *a = sample(ARAG_I8, NULL);
  size_t len;
  uint8_t *bytes = snap(a, &len);
  arag_limits lim;
  struct {
    uint32_t *field;
    uint32_t value;
    const char *msg;
  } cases[] = {{&lim.max_rows, 37, "max_rows"},
               {&lim.max_dim, 31, "max_dim"},
               {&lim.max_text_bytes, 20, "max_text_bytes"},
               {&lim.max_id_bytes, 3, "id"}};
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
    arag_limits_default(&lim);
    *cases[k].field = cases[k].value;
    arag_catalog *t = NULL;
    CHECK_EQ_INT(arag_catalog_create(8, &lim, &t), ARAG_OK);
    CHECK_EQ_INT(arag_catalog_restore(t, bytes, len), ARAG_E_LIMIT);
    CHECK(strstr(arag_catalog_last_error(t), cases[k].msg) != NULL);
    CHECK_EQ_INT(arag_catalog_dim(t), 8);
    arag_catalog_free(t);
  }
  /* The smallest budget that restores: one byte less is refused, the catalog
   * unchanged; the restored catalog's memory is about that budget. */
  uint32_t lo = 1, hi = 1u << 24;
  arag_limits_default(&lim);
  while (lo < hi) {
    lim.max_restore_bytes = lo + (hi - lo) / 2;
    arag_catalog *t = NULL;
    CHECK_EQ_INT(arag_catalog_create(D, &lim, &t), ARAG_OK);
    arag_status st = arag_catalog_restore(t, bytes, len);
    CHECK(st == ARAG_OK || st == ARAG_E_LIMIT);
    if (st == ARAG_OK)
      hi = lim.max_restore_bytes;
    else
      lo = lim.max_restore_bytes + 1;
    arag_catalog_free(t);
  }
  lim.max_restore_bytes = lo;
  arag_catalog *t = NULL;
  CHECK_EQ_INT(arag_catalog_create(D, &lim, &t), ARAG_OK);
  CHECK_EQ_INT(arag_catalog_restore(t, bytes, len), ARAG_OK);
  size_t mem = arag_catalog_memory_bytes(t);
  fprintf(stderr, "  %zu snapshot bytes: smallest budget %u, restored memory %zu\n", len, lo, mem);
  CHECK(lo > len);
  CHECK(mem <= (size_t)lo + 1024 && (size_t)lo <= mem + mem / 4);
  lim.max_restore_bytes = lo - 1;
  arag_catalog_free(t);
  CHECK_EQ_INT(arag_catalog_create(D, &lim, &t), ARAG_OK);
  CHECK_EQ_INT(add(t, "{\"id\":\"keep\",\"title\":\"Kept\"}"), ARAG_OK);
  CHECK_EQ_INT(arag_catalog_restore(t, bytes, len), ARAG_E_LIMIT);
  CHECK(strstr(arag_catalog_last_error(t), "max_restore_bytes") != NULL);
  CHECK_EQ_INT(arag_catalog_count(t), 1);
  arag_catalog_free(t);
  arag_free(bytes);
  arag_catalog_free(a);
}

/* An old catalog snapshot (tests/fixtures/README.md) restores to the catalog the same
 * items make now, and snapshots in the current version, to the bytes that catalog
 * writes. */
static void check_old_fixture(const char *path, int version, const char *items) {
  size_t len = 0, len2 = 0, len3 = 0;
  uint8_t *old = (uint8_t *)test_read_file(path, &len);
  CHECK(old && len > 16 && old[8] == version);
  if (!old) return;
  arag_catalog *now = NULL, *back = NULL;
  CHECK_EQ_INT(arag_catalog_create(D, NULL, &now), ARAG_OK);
  CHECK_EQ_INT(add(now, items), ARAG_OK);
  CHECK_EQ_INT(arag_catalog_create(D, NULL, &back), ARAG_OK);
  CHECK_EQ_INT(arag_catalog_restore(back, old, len), ARAG_OK);
  CHECK(same_catalog(now, back));
  uint8_t *again = snap(back, &len2), *built = snap(now, &len3);
  CHECK(again && again[8] == 3 && len2 > len);
  CHECK(built && len2 == len3 && memcmp(again, built, len3) == 0);
  arag_free(again);
  arag_free(built);
  arag_catalog_free(now);
  arag_catalog_free(back);
  free(old);
}

/* Version 1: before items kept "group" and "repeat_purchase". */
static void test_version1_fixture(void) {
  check_old_fixture(
      "tests/fixtures/catalog-v1.snap", 1,
      "{\"id\":\"p1\",\"title\":\"Bramble Curl Cream 8 oz\",\"brand\":\"Bramble\","
      "\"categories\":[\"Hair\",\"Styling\"],\"price\":18,\"popularity\":40,\"related\":{"
      "\"p2\":3}}\n"
      "{\"id\":\"p2\",\"title\":\"Bramble Curl Cream 4 oz\",\"brand\":\"Bramble\","
      "\"categories\":[\"Hair\",\"Styling\"],\"price\":11}\n"
      "{\"id\":\"p3\",\"title\":\"Wavelet Sea Salt Spray\",\"text\":\"Brand: Wavelet. A spray "
      "for waves.\",\"categories\":[\"Hair\",\"Styling\"],\"popularity\":7}\n"
      "{\"id\":\"p4\",\"title\":\"Thistle Wide Tooth Comb\"}\n");
}

/* Version 2: before it kept the counts of the phrases titles start with. */
static void test_version2_fixture(void) {
  check_old_fixture(
      "tests/fixtures/catalog-v2.snap", 2,
      "{\"id\":\"p1\",\"title\":\"Bramble Curl Cream 8 oz\",\"brand\":\"Bramble\","
      "\"categories\":[\"Hair\",\"Styling\"],\"price\":18,\"popularity\":40,\"related\":{"
      "\"p2\":3},\"group\":\"bramble-curl\"}\n"
      "{\"id\":\"p2\",\"title\":\"Bramble Curl Cream 4 oz\",\"brand\":\"Bramble\","
      "\"categories\":[\"Hair\",\"Styling\"],\"price\":11,\"group\":\"bramble-curl\"}\n"
      "{\"id\":\"p3\",\"title\":\"Wavelet Sea Salt Spray\",\"text\":\"Brand: Wavelet. A spray "
      "for waves.\",\"categories\":[\"Hair\",\"Styling\"],\"popularity\":7}\n"
      "{\"id\":\"p4\",\"title\":\"Thistle Wide Tooth Comb\",\"repeat_purchase\":true}\n"
      "{\"id\":\"p5\",\"title\":\"Bramble Leave-In Conditioner\",\"brand\":\"Bramble\","
      "\"categories\":[\"Hair\",\"Care\"],\"related\":{\"p1\":1.5,\"p4\":0.25}}\n");
}

int main(void) {
  RUN(test_round_trip);
  RUN(test_word_counts_read);
  RUN(test_changes_after_restore);
  RUN(test_fed_restore);
  RUN(test_version1_fixture);
  RUN(test_version2_fixture);
  RUN(test_corruption_refused);
  RUN(test_inconsistent_contents);
  RUN(test_limits_and_budget);
  return test_report();
}
