/* History: ordering, default timestamps, the per-item index (latest event),
 * all-or-nothing batches, limits, clear, snapshot round trip and refusal of
 * every flipped byte and every truncation, of numbers event JSON refuses, and of
 * snapshots past the memory budget. */
#include "embed.h"
#include "model.h"
#include "snapshot_io.h"
#include "test.h"
#include "test_util.h"

#include <stdlib.h>

#define D 16

static arag_history *make(uint32_t dim, uint32_t max_rows) {
  arag_limits lim;
  arag_limits_default(&lim);
  if (max_rows) lim.max_rows = max_rows;
  arag_history *h = NULL;
  CHECK_EQ_INT(arag_history_create(dim, &lim, &h), ARAG_OK);
  return h;
}

static arag_status add(arag_history *h, const char *json) {
  return arag_history_add_json(h, json, strlen(json));
}

/* Ids of the events in order, joined by spaces. */
static const char *order(const arag_history *h) {
  static char buf[512];
  uint32_t n;
  const arag_event *ev = arag_history_events(h, &n);
  size_t off = 0;
  buf[0] = '\0';
  for (uint32_t i = 0; i < n && off < sizeof(buf) - 32; i++)
    off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", i ? " " : "", ev[i].item.id);
  return buf;
}

/* The index vector of an id equals the embedding of the given item fields. */
static int index_vec_is(const arag_history *h, const char *id, const char *title) {
  const arag_index *ix = arag_history_index(h);
  uint32_t slot;
  if (arag_index_slot(ix, id, strlen(id), &slot) != ARAG_OK) return 0;
  float got[D], want[D];
  arag_index_vector(ix, slot, got, D);
  arag_item it;
  memset(&it, 0, sizeof(it));
  it.id = (char *)id;
  it.id_len = (uint32_t)strlen(id);
  it.title = (char *)title;
  it.text = it.brand = "";
  arag_embed_item(&it, D, want);
  for (int i = 0; i < D; i++)
    if (fabsf(got[i] - want[i]) > 1e-6f) return 0;
  return 1;
}

static void test_create(void) {
  arag_history *h = NULL;
  CHECK_EQ_INT(arag_history_create(0, NULL, &h), ARAG_E_INVALID);
  CHECK_EQ_INT(arag_history_create(1u << 20, NULL, &h), ARAG_E_LIMIT);
  CHECK(h == NULL);
  CHECK_EQ_INT(arag_history_create(D, NULL, &h), ARAG_OK);
  CHECK_EQ_INT(arag_history_dim(h), D);
  CHECK_EQ_INT(arag_history_count(h), 0);
  uint32_t n = 99;
  arag_history_events(h, &n);
  CHECK_EQ_INT(n, 0);
  arag_history_free(h);
  arag_history_free(NULL);
  CHECK_EQ_INT(arag_history_add_json(NULL, "{}", 2), ARAG_E_INVALID);
}

static void test_order(void) {
  arag_history *h = make(D, 0);
  CHECK_EQ_INT(
      add(h, "[{\"id\":\"c\",\"ts\":30},{\"id\":\"a\",\"ts\":10},{\"id\":\"b\",\"ts\":20}]"),
      ARAG_OK);
  CHECK(strcmp(order(h), "a b c") == 0);
  /* Equal ts: insertion order. Older ts later: inserted in place. */
  CHECK_EQ_INT(
      add(h, "{\"id\":\"d\",\"ts\":20}\n{\"id\":\"e\",\"ts\":5}\n{\"id\":\"f\",\"ts\":20}"),
      ARAG_OK);
  CHECK(strcmp(order(h), "e a b d f c") == 0);
  CHECK_EQ_INT(arag_history_count(h), 6);
  /* No ts: after the latest so far. */
  CHECK_EQ_INT(add(h, "[{\"id\":\"g\"},{\"id\":\"h\"}]"), ARAG_OK);
  uint32_t n;
  const arag_event *ev = arag_history_events(h, &n);
  CHECK_EQ_INT(n, 8);
  CHECK(strcmp(ev[6].item.id, "g") == 0 && strcmp(ev[7].item.id, "h") == 0);
  CHECK_NEAR(ev[6].ts, 31, 0);
  CHECK_NEAR(ev[7].ts, 32, 0);
  arag_history_free(h);

  /* A history without timestamps counts 0, 1, 2, ... */
  h = make(D, 0);
  CHECK_EQ_INT(add(h, "{\"id\":\"x\"}\n{\"id\":\"y\",\"kind\":\"view\"}\n{\"id\":\"z\","
                      "\"kind\":\"rating\",\"rating\":4.5}"),
               ARAG_OK);
  ev = arag_history_events(h, &n);
  CHECK_EQ_INT(n, 3);
  for (uint32_t i = 0; i < n; i++) CHECK_NEAR(ev[i].ts, i, 0);
  CHECK_EQ_INT(ev[0].kind, ARAG_EV_PURCHASE);
  CHECK_EQ_INT(ev[1].kind, ARAG_EV_VIEW);
  CHECK_EQ_INT(ev[2].kind, ARAG_EV_RATING);
  CHECK_NEAR(ev[2].rating, 4.5, 0);
  CHECK(isnan(ev[0].rating));
  arag_history_free(h);
}

static void test_index_latest(void) {
  arag_history *h = make(D, 0);
  const arag_index *ix = arag_history_index(h);
  CHECK_EQ_INT(add(h, "[{\"id\":\"A\",\"ts\":1,\"title\":\"red lipstick\"},"
                      "{\"id\":\"B\",\"ts\":2,\"title\":\"argan shampoo\"},"
                      "{\"id\":\"A\",\"ts\":3,\"title\":\"blue eyeliner\"}]"),
               ARAG_OK);
  CHECK_EQ_INT(arag_history_count(h), 3);
  CHECK_EQ_INT(arag_index_count(ix), 2);
  CHECK(index_vec_is(h, "A", "blue eyeliner"));
  CHECK(index_vec_is(h, "B", "argan shampoo"));
  /* An older event of A does not replace the latest; a newer one does. */
  CHECK_EQ_INT(add(h, "{\"id\":\"A\",\"ts\":0,\"title\":\"old comb\"}"), ARAG_OK);
  CHECK(index_vec_is(h, "A", "blue eyeliner"));
  CHECK_EQ_INT(add(h, "{\"id\":\"A\",\"ts\":3,\"title\":\"same time later insert\"}"), ARAG_OK);
  CHECK(index_vec_is(h, "A", "same time later insert"));
  CHECK_EQ_INT(arag_index_count(ix), 2);
  CHECK_EQ_INT(arag_history_count(h), 5);
  arag_history_free(h);
}

static void test_all_or_nothing(void) {
  arag_history *h = make(D, 0);
  CHECK_EQ_INT(add(h, "{\"id\":\"A\",\"ts\":1,\"title\":\"red lipstick\"}"), ARAG_OK);
  uint8_t *before = NULL, *after = NULL;
  size_t before_len = 0, after_len = 0;
  CHECK_EQ_INT(arag_history_snapshot(h, &before, &before_len), ARAG_OK);
  const char *bad[] = {
      "[{\"id\":\"B\",\"ts\":2},{\"id\":\"A\",\"ts\":9,\"title\":\"new\"},{\"id\":\"C\",\"kind\":"
      "\"like\"},{\"id\":\"D\"}]",
      "{\"id\":\"B\",\"ts\":2}\n{\"id\":\"A\",\"ts\":9,\"title\":\"new\"}\n{\"id\":\"C\",\"ts\":"
      "\"x\"}\n",
      "{\"id\":\"B\"}\n{\"id\":\"C\"",
      "[{\"id\":\"B\"},{\"id\":\"\"}]",
      "[{\"id\":\"B\",\"vector\":[1,2,3]}]",
  };
  arag_status want[] = {ARAG_E_JSON, ARAG_E_JSON, ARAG_E_JSON, ARAG_E_INVALID, ARAG_E_DIM};
  const char *where[] = {"element 2", "line 3", "line 2", "element 1", "element 0"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    CHECK_EQ_INT(add(h, bad[i]), want[i]);
    CHECK(strstr(arag_history_last_error(h), where[i]) != NULL);
    CHECK_EQ_INT(arag_history_count(h), 1);
    CHECK_EQ_INT(arag_index_count(arag_history_index(h)), 1);
    CHECK(index_vec_is(h, "A", "red lipstick"));
  }
  CHECK_EQ_INT(arag_history_snapshot(h, &after, &after_len), ARAG_OK);
  CHECK(before_len == after_len && memcmp(before, after, before_len) == 0);
  arag_free(before);
  arag_free(after);
  arag_history_free(h);
}

static void test_limits(void) {
  arag_history *h = make(D, 3);
  CHECK_EQ_INT(add(h, "[{\"id\":\"a\"},{\"id\":\"b\"}]"), ARAG_OK);
  CHECK_EQ_INT(add(h, "[{\"id\":\"c\"},{\"id\":\"d\"}]"), ARAG_E_LIMIT);
  CHECK(strstr(arag_history_last_error(h), "max_rows") != NULL);
  CHECK_EQ_INT(arag_history_count(h), 2);
  CHECK_EQ_INT(add(h, "{\"id\":\"a\"}"), ARAG_OK); /* events, not distinct ids, count */
  CHECK_EQ_INT(add(h, "{\"id\":\"a\"}"), ARAG_E_LIMIT);
  CHECK_EQ_INT(arag_history_count(h), 3);
  arag_history_free(h);

  arag_limits lim;
  arag_limits_default(&lim);
  lim.max_id_bytes = 4;
  lim.max_text_bytes = 10;
  CHECK_EQ_INT(arag_history_create(D, &lim, &h), ARAG_OK);
  CHECK_EQ_INT(add(h, "{\"id\":\"abcde\"}"), ARAG_E_LIMIT);
  CHECK_EQ_INT(add(h, "{\"id\":\"a\",\"title\":\"0123456789x\"}"), ARAG_E_LIMIT);
  CHECK_EQ_INT(add(h, "{\"id\":\"abcd\",\"title\":\"0123456789\"}"), ARAG_OK);
  arag_history_free(h);
}

static void test_clear(void) {
  arag_history *h = make(D, 0);
  CHECK_EQ_INT(add(h, "[{\"id\":\"a\",\"ts\":5},{\"id\":\"b\",\"ts\":6}]"), ARAG_OK);
  arag_history_clear(h);
  CHECK_EQ_INT(arag_history_count(h), 0);
  CHECK_EQ_INT(arag_index_count(arag_history_index(h)), 0);
  CHECK_EQ_INT(add(h, "{\"id\":\"c\"}"), ARAG_OK);
  uint32_t n;
  const arag_event *ev = arag_history_events(h, &n);
  CHECK_EQ_INT(n, 1);
  CHECK_NEAR(ev[0].ts, 0, 0);
  CHECK_EQ_INT(arag_index_count(arag_history_index(h)), 1);
  arag_history_free(h);
}

static int str_eq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

static int num_eq(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

static int events_equal(const arag_history *x, const arag_history *y) {
  uint32_t nx, ny;
  const arag_event *a = arag_history_events(x, &nx), *b = arag_history_events(y, &ny);
  if (nx != ny) return 0;
  for (uint32_t i = 0; i < nx; i++) {
    const arag_item *p = &a[i].item, *q = &b[i].item;
    if (!num_eq(a[i].ts, b[i].ts) || a[i].kind != b[i].kind || !num_eq(a[i].rating, b[i].rating))
      return 0;
    if (p->id_len != q->id_len || !str_eq(p->id, q->id) || !str_eq(p->title, q->title) ||
        !str_eq(p->text, q->text) || !str_eq(p->brand, q->brand))
      return 0;
    if (!num_eq(p->price, q->price) || !num_eq(p->popularity, q->popularity)) return 0;
    if (p->n_categories != q->n_categories) return 0;
    for (uint32_t c = 0; c < p->n_categories; c++)
      if (!str_eq(p->categories[c], q->categories[c])) return 0;
    if ((p->vec == NULL) != (q->vec == NULL)) return 0;
    if (p->vec && memcmp(p->vec, q->vec, D * sizeof(float)) != 0) return 0;
  }
  return 1;
}

static const char *sample =
    "{\"id\":\"B1\",\"ts\":3,\"kind\":\"view\",\"title\":\"Red Lipstick\",\"text\":\"Brand: Acme. "
    "Long lasting.\",\"categories\":[\"Beauty\",\"Lips\"],\"price\":9.5}\n"
    "{\"id\":\"B2\",\"ts\":1,\"kind\":\"rating\",\"rating\":5,\"title\":\"口红 💄\","
    "\"popularity\":0.25}\n"
    "{\"id\":\"B3\",\"ts\":2,\"kind\":\"cart\",\"vector\":[1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,-2.5]}\n"
    "{\"id\":\"B1\",\"ts\":4}\n";

static void test_snapshot_round_trip(void) {
  arag_history *h = make(D, 0);
  CHECK_EQ_INT(add(h, sample), ARAG_OK);
  uint8_t *snap = NULL, *snap2 = NULL;
  size_t len = 0, len2 = 0;
  CHECK_EQ_INT(arag_history_snapshot(h, &snap, &len), ARAG_OK);
  arag_history *r = make(D, 0);
  CHECK_EQ_INT(add(r, "{\"id\":\"other\"}"), ARAG_OK);
  CHECK_EQ_INT(arag_history_restore(r, snap, len), ARAG_OK);
  CHECK(events_equal(h, r));
  /* The id-only event (B1 at ts 4) keeps no vector of zeros, before and after. */
  uint32_t n_ev = 0;
  const arag_event *evs = arag_history_events(r, &n_ev);
  CHECK(n_ev == 4 && strcmp(evs[3].item.id, "B1") == 0 && evs[3].item.vec == NULL);
  CHECK(evs[2].item.vec != NULL && arag_history_events(h, &n_ev)[3].item.vec == NULL);
  CHECK_EQ_INT(arag_index_count(arag_history_index(r)), 3);
  CHECK(arag_index_slot(arag_history_index(r), "other", 5, &(uint32_t){0}) == ARAG_E_NOT_FOUND);
  /* The latest vector of each id is the same in both indexes. */
  const char *ids[] = {"B1", "B2", "B3"};
  for (int i = 0; i < 3; i++) {
    uint32_t sa, sb;
    float va[D], vb[D];
    CHECK_EQ_INT(arag_index_slot(arag_history_index(h), ids[i], 2, &sa), ARAG_OK);
    CHECK_EQ_INT(arag_index_slot(arag_history_index(r), ids[i], 2, &sb), ARAG_OK);
    arag_index_vector(arag_history_index(h), sa, va, D);
    arag_index_vector(arag_history_index(r), sb, vb, D);
    CHECK(memcmp(va, vb, sizeof(va)) == 0);
  }
  /* Snapshot of the restored history: the same bytes. Both continue alike. */
  CHECK_EQ_INT(arag_history_snapshot(r, &snap2, &len2), ARAG_OK);
  CHECK(len == len2 && memcmp(snap, snap2, len) == 0);
  arag_free(snap2);
  CHECK_EQ_INT(add(h, "{\"id\":\"B9\",\"ts\":4}"), ARAG_OK);
  CHECK_EQ_INT(add(r, "{\"id\":\"B9\",\"ts\":4}"), ARAG_OK);
  CHECK(events_equal(h, r));
  CHECK(strcmp(order(r), "B2 B3 B1 B1 B9") == 0);
  /* Text-embedded vectors are recomputed, not stored: only the supplied one
   * (event B3) costs 4*dim bytes. */
  CHECK(len > 4 * D && len < 4 * D + 700);
  arag_history *big = make(512, 0);
  CHECK_EQ_INT(add(big, "{\"id\":\"t\",\"title\":\"Red Lipstick\"}"), ARAG_OK);
  CHECK_EQ_INT(arag_history_snapshot(big, &snap2, &len2), ARAG_OK);
  CHECK(len2 < 200);
  arag_free(snap2);
  arag_history_free(big);
  /* Empty history round trip. */
  arag_history *e = make(D, 0);
  CHECK_EQ_INT(arag_history_snapshot(e, &snap2, &len2), ARAG_OK);
  CHECK_EQ_INT(arag_history_restore(r, snap2, len2), ARAG_OK);
  CHECK_EQ_INT(arag_history_count(r), 0);
  CHECK_EQ_INT(arag_index_count(arag_history_index(r)), 0);
  arag_free(snap2);
  arag_history_free(e);
  arag_free(snap);
  arag_history_free(h);
  arag_history_free(r);
}

static void test_snapshot_refusals(void) {
  arag_history *h = make(D, 0);
  CHECK_EQ_INT(add(h, sample), ARAG_OK);
  uint8_t *snap = NULL, *cur = NULL;
  size_t len = 0, cur_len = 0;
  CHECK_EQ_INT(arag_history_snapshot(h, &snap, &len), ARAG_OK);
  arag_history *t = make(D, 0);
  CHECK_EQ_INT(add(t, "{\"id\":\"keep\",\"title\":\"kept\"}"), ARAG_OK);
  uint8_t *ref = NULL;
  size_t ref_len = 0;
  CHECK_EQ_INT(arag_history_snapshot(t, &ref, &ref_len), ARAG_OK);
  uint8_t *buf = (uint8_t *)malloc(len);
  int flips_refused = 0, cuts_refused = 0;
  for (size_t i = 0; i < len; i++) {
    memcpy(buf, snap, len);
    buf[i] ^= 0xFF;
    arag_status st = arag_history_restore(t, buf, len);
    flips_refused += st == ARAG_E_CORRUPT || st == ARAG_E_VERSION;
    memcpy(buf, snap, len);
    buf[i] ^= 0x01;
    st = arag_history_restore(t, buf, len);
    flips_refused += st == ARAG_E_CORRUPT || st == ARAG_E_VERSION;
  }
  CHECK_EQ_INT(flips_refused, 2 * (int)len);
  for (size_t cut = 0; cut < len; cut++) {
    arag_status st = arag_history_restore(t, snap, cut);
    cuts_refused += st == ARAG_E_CORRUPT;
  }
  CHECK_EQ_INT(cuts_refused, (int)len);
  CHECK_EQ_INT(arag_history_restore(t, NULL, 0), ARAG_E_CORRUPT);
  CHECK_EQ_INT(arag_history_restore(t, NULL, 5), ARAG_E_INVALID);
  /* The target is untouched by all of that. */
  CHECK_EQ_INT(arag_history_snapshot(t, &cur, &cur_len), ARAG_OK);
  CHECK(cur_len == ref_len && memcmp(cur, ref, ref_len) == 0);
  arag_free(cur);
  CHECK_EQ_INT(arag_history_count(t), 1);
  CHECK_EQ_INT(arag_index_count(arag_history_index(t)), 1);

  /* Another dimension, another version (with a valid checksum), smaller limits. */
  arag_history *other = make(D * 2, 0);
  CHECK_EQ_INT(arag_history_restore(other, snap, len), ARAG_E_DIM);
  arag_history_free(other);
  memcpy(buf, snap, len);
  CHECK(memcmp(buf, "ARAGHIST", 8) == 0);
  buf[8] = 3; /* version 3 */
  arag_snap_seal(buf, len);
  CHECK_EQ_INT(arag_history_restore(t, buf, len), ARAG_E_VERSION);
  CHECK(strstr(arag_history_last_error(t), "version 3") != NULL);
  arag_history *small = make(D, 2);
  CHECK_EQ_INT(arag_history_restore(small, snap, len), ARAG_E_LIMIT);
  CHECK_EQ_INT(arag_history_count(small), 0);
  arag_history_free(small);
  CHECK_EQ_INT(arag_history_count(t), 1);
  /* An index or catalog snapshot is not a history snapshot. */
  memcpy(buf, snap, len);
  memcpy(buf + 4, "CATL", 4);
  arag_snap_seal(buf, len);
  CHECK_EQ_INT(arag_history_restore(t, buf, len), ARAG_E_CORRUPT);
  CHECK(strstr(arag_history_last_error(t), "catalog snapshot, not a history") != NULL);

  free(buf);
  arag_free(snap);
  arag_free(ref);
  arag_history_free(t);
  arag_history_free(h);
}

/* A version-1 snapshot written by hand (format in history.c): n events "e<i>" with no text and
 * no stored vector, each with the given rating, price and popularity. */
typedef struct sbuf {
  uint8_t *p;
  size_t n;
} sbuf;
static void put(sbuf *b, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; i++) b->p[b->n++] = (uint8_t)(v >> (8 * i));
}
static void put_f64(sbuf *b, double d) {
  uint64_t v;
  memcpy(&v, &d, 8);
  put(b, v, 8);
}
static uint8_t *craft(uint32_t dim, uint32_t n, double rating, double price, double pop,
                      size_t *len) {
  size_t total = 32 + (size_t)n * (62 + 8) + 8;
  sbuf b = {(uint8_t *)malloc(total), 0};
  memcpy(b.p, "ARHS", 4);
  b.n = 4;
  put(&b, 1, 4);
  put(&b, dim, 4);
  put(&b, n, 4);
  put(&b, n, 8); /* next_seq */
  put(&b, total, 8);
  for (uint32_t i = 0; i < n; i++) {
    char id[16];
    snprintf(id, sizeof id, "e%07u", i);
    put(&b, i, 8);
    put_f64(&b, (double)i);
    put(&b, ARAG_EV_VIEW, 1);
    put_f64(&b, rating);
    put_f64(&b, price);
    put_f64(&b, pop);
    put(&b, 8, 4);
    memcpy(b.p + b.n, id, 8);
    b.n += 8;
    for (int s = 0; s < 3; s++) put(&b, 0, 4); /* title, text, brand */
    put(&b, 0, 4);                             /* categories */
    put(&b, 0, 1);                             /* no stored vector */
  }
  put(&b, arag_fnv1a64(b.p, b.n, ARAG_FNV64_OFFSET), 8); /* the version-1 trailer */
  *len = b.n;
  return b.p;
}

static void test_snapshot_numbers(void) {
  arag_history *h = make(D, 0);
  CHECK_EQ_INT(add(h, "{\"id\":\"keep\",\"title\":\"kept\"}"), ARAG_OK);
  size_t len = 0;
  const double inf = INFINITY;
  const double bad[3][3] = {{inf, 1, 1}, {1, -inf, 1}, {1, 1, inf}};
  for (int i = 0; i < 3; i++) {
    uint8_t *snap = craft(D, 3, bad[i][0], bad[i][1], bad[i][2], &len);
    CHECK_EQ_INT(arag_history_restore(h, snap, len), ARAG_E_CORRUPT);
    CHECK(strstr(arag_history_last_error(h), "not finite") != NULL);
    CHECK_EQ_INT(arag_history_count(h), 1);
    free(snap);
  }
  /* The same numbers as event JSON are refused too. */
  CHECK_EQ_INT(add(h, "{\"id\":\"x\",\"price\":1e999}"), ARAG_E_JSON);
  /* NaN is an absent number, as in JSON: accepted, and kept absent. */
  uint8_t *snap = craft(D, 3, NAN, NAN, 2.5, &len);
  CHECK_EQ_INT(arag_history_restore(h, snap, len), ARAG_OK);
  uint32_t n = 0;
  const arag_event *ev = arag_history_events(h, &n);
  CHECK_EQ_INT(n, 3);
  CHECK(n == 3 && isnan(ev[0].rating) && isnan(ev[0].item.price) && ev[0].item.popularity == 2.5);
  free(snap);
  arag_history_free(h);
}

static void test_memory_budget(void) {
  arag_history *h = make(D, 0);
  CHECK_EQ_INT(arag_history_max_bytes(h), ARAG_HISTORY_DEFAULT_MAX_BYTES);
  CHECK_EQ_INT(add(h, "{\"id\":\"keep\",\"title\":\"kept\"}"), ARAG_OK);
  size_t one = arag_history_memory_bytes(h);
  CHECK(one >= 2 * 4 * D + 4);
  /* 20,000 events of 70 bytes each (1.4 MB): within the default budget, past 1 MB. */
  size_t len = 0;
  uint8_t *snap = craft(D, 20000, NAN, 3, NAN, &len);
  CHECK_EQ_INT(arag_history_set_max_bytes(h, 1 << 20), ARAG_OK);
  CHECK_EQ_INT(arag_history_restore(h, snap, len), ARAG_E_LIMIT);
  CHECK(strstr(arag_history_last_error(h), "max_bytes") != NULL);
  CHECK_EQ_INT(arag_history_count(h), 1);
  CHECK_EQ_INT(arag_history_memory_bytes(h), one);
  CHECK_EQ_INT(arag_history_set_max_bytes(h, ARAG_HISTORY_DEFAULT_MAX_BYTES), ARAG_OK);
  CHECK_EQ_INT(arag_history_restore(h, snap, len), ARAG_OK);
  CHECK_EQ_INT(arag_history_count(h), 20000);
  size_t used = arag_history_memory_bytes(h);
  CHECK(used > (size_t)20000 * 2 * 4 * D && used < ARAG_HISTORY_DEFAULT_MAX_BYTES);
  /* A budget below what the history holds is refused; so are additions past it. */
  CHECK_EQ_INT(arag_history_set_max_bytes(h, used - 1), ARAG_E_LIMIT);
  CHECK_EQ_INT(arag_history_set_max_bytes(h, 0), ARAG_E_INVALID);
  CHECK_EQ_INT(arag_history_set_max_bytes(h, used + 10), ARAG_OK);
  CHECK_EQ_INT(add(h, "{\"id\":\"more\",\"title\":\"one more\"}"), ARAG_E_LIMIT);
  CHECK(strstr(arag_history_last_error(h), "max_bytes") != NULL);
  CHECK_EQ_INT(arag_history_count(h), 20000);
  CHECK_EQ_INT(arag_history_memory_bytes(h), used);
  arag_history_clear(h);
  CHECK_EQ_INT(arag_history_memory_bytes(h), 0);
  CHECK_EQ_INT(add(h, "{\"id\":\"more\",\"title\":\"one more\"}"), ARAG_OK);
  free(snap);
  arag_history_free(h);
}

/* A version-1 snapshot (before the container), written by the library before the
 * format changed (tests/fixtures/README.md): it restores to the history the same
 * events give now, which snapshots in the current format. */
static void test_version1_fixture(void) {
  size_t len = 0;
  char *old = test_read_file("tests/fixtures/history-v1.snap", &len);
  CHECK(old != NULL);
  if (!old) return;
  CHECK(memcmp(old, "ARHS", 4) == 0);
  arag_history *want = make(D, 0), *got = make(D, 0);
  CHECK_EQ_INT(
      add(want,
          "{\"id\":\"p1\",\"ts\":10,\"kind\":\"view\",\"title\":\"Rose Face Cream\",\"brand\":"
          "\"Moss\",\"categories\":[\"Skin Care\",\"Moisturizers\"],\"price\":12.5}\n"
          "{\"id\":\"p2\",\"ts\":20,\"kind\":\"cart\",\"title\":\"Curl Cream\",\"text\":\"Brand: "
          "Quill. For curly hair.\",\"popularity\":7}\n"
          "{\"id\":\"p3\",\"ts\":20,\"kind\":\"rating\",\"rating\":4.5,\"title\":\"Matte "
          "Lipstick\",\"vector\":[1,0,0,0.5,0,0,0,0,0,0,0,0,0,0,0,-0.25]}\n"
          "{\"id\":\"p4\",\"ts\":30}\n"
          "{\"id\":\"p1\",\"ts\":40,\"kind\":\"purchase\",\"title\":\"Rose Face Cream\"}\n"),
      ARAG_OK);
  CHECK_EQ_INT(arag_history_restore(got, (const uint8_t *)old, len), ARAG_OK);
  CHECK(events_equal(want, got));
  CHECK(strcmp(order(got), "p1 p2 p3 p4 p1") == 0);
  uint8_t *a, *b;
  size_t la, lb;
  CHECK_EQ_INT(arag_history_snapshot(want, &a, &la), ARAG_OK);
  CHECK_EQ_INT(arag_history_snapshot(got, &b, &lb), ARAG_OK);
  CHECK(la == lb && memcmp(a, b, la) == 0);
  CHECK(memcmp(b, "ARAGHIST", 8) == 0);
  /* The old format's checks still hold. */
  old[len / 2] ^= 1;
  CHECK_EQ_INT(arag_history_restore(got, (const uint8_t *)old, len), ARAG_E_CORRUPT);
  old[len / 2] ^= 1;
  CHECK_EQ_INT(arag_history_restore(got, (const uint8_t *)old, len - 1), ARAG_E_CORRUPT);
  old[4] = 2;
  CHECK(arag_history_restore(got, (const uint8_t *)old, len) != ARAG_OK);
  CHECK(events_equal(want, got));
  arag_free(a);
  arag_free(b);
  free(old);
  arag_history_free(want);
  arag_history_free(got);
}

int main(void) {
  RUN(test_create);
  RUN(test_order);
  RUN(test_index_latest);
  RUN(test_all_or_nothing);
  RUN(test_limits);
  RUN(test_clear);
  RUN(test_snapshot_round_trip);
  RUN(test_snapshot_refusals);
  RUN(test_snapshot_numbers);
  RUN(test_memory_budget);
  RUN(test_version1_fixture);
  return test_report();
}
