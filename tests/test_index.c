/* The flat index: exact top-k against a brute-force double-precision reference
 * (f32 cosine and dot; int8 with rerank equal to f32; int8 recall), ties,
 * allow-lists, k up to n, update/remove/compact keeping ids, limits, and every
 * error path leaving the index as it was. */
#include "arag.h"
#include "index_private.h"
#include "test.h"
#include "test_util.h"

#include <stdint.h>
#include <stdlib.h>

static uint64_t rng_state = 0x243f6a8885a308d3ull;
static float frand(void) { return test_frand(&rng_state); }
static float *rand_vecs(uint32_t n, uint32_t dim) {
  float *v = malloc((size_t)n * dim * sizeof(float));
  for (size_t i = 0; i < (size_t)n * dim; i++) v[i] = frand();
  return v;
}
static void id_of(uint32_t i, char *buf, size_t cap) { snprintf(buf, cap, "id-%u", i); }

static arag_index *make(uint32_t dim, arag_dtype dt, arag_metric m, int keep, const float *vecs,
                        uint32_t n) {
  arag_index *ix = NULL;
  CHECK_EQ_INT(arag_index_create(dim, dt, m, keep, NULL, &ix), ARAG_OK);
  char id[32];
  for (uint32_t i = 0; i < n; i++) {
    id_of(i, id, sizeof id);
    CHECK_EQ_INT(arag_index_add(ix, id, strlen(id), vecs + (size_t)i * dim, dim), ARAG_OK);
  }
  return ix;
}

/* Reference scores in double from the caller's raw vectors. */
static double ref_score(const float *row, const float *q, uint32_t dim, arag_metric m) {
  double d = 0, nr = 0, nq = 0;
  for (uint32_t i = 0; i < dim; i++) {
    d += (double)row[i] * q[i];
    nr += (double)row[i] * row[i];
    nq += (double)q[i] * q[i];
  }
  if (m == ARAG_COSINE) return (nr > 0 && nq > 0) ? d / sqrt(nr * nq) : 0.0;
  return d;
}

typedef struct rh {
  double s;
  uint32_t slot;
} rh;
static int rh_cmp(const void *a, const void *b) {
  const rh *x = a, *y = b;
  if (x->s != y->s) return x->s > y->s ? -1 : 1;
  return x->slot < y->slot ? -1 : (x->slot > y->slot);
}

/* Full sort of every candidate: the brute-force reference. */
static uint32_t brute(const float *vecs, const uint8_t *use, uint32_t n, uint32_t dim,
                      const float *q, arag_metric m, rh *out) {
  uint32_t c = 0;
  for (uint32_t i = 0; i < n; i++)
    if (!use || use[i]) {
      out[c].s = ref_score(vecs + (size_t)i * dim, q, dim, m);
      out[c].slot = i;
      c++;
    }
  qsort(out, c, sizeof *out, rh_cmp);
  return c;
}

/* Checks a result list against the reference: same length, same scores rank by
 * rank, and the same slots wherever the reference has a clear gap (> tol) to
 * its neighbours (a float/double near-tie may legitimately swap). */
static void check_against(const uint32_t *slots, const float *scores, uint32_t got, const rh *ref,
                          uint32_t nref, uint32_t k, double tol) {
  uint32_t want = k < nref ? k : nref;
  CHECK_EQ_INT(got, want);
  for (uint32_t i = 0; i < got && i < want; i++) {
    CHECK_NEAR(scores[i], ref[i].s, tol);
    int gap = (i == 0 || ref[i - 1].s - ref[i].s > tol) &&
              (i + 1 >= nref || ref[i].s - ref[i + 1].s > tol);
    if (gap) CHECK_EQ_INT(slots[i], ref[i].slot);
    if (i) CHECK(scores[i - 1] >= scores[i]);
  }
}

static void test_exact_f32(void) {
  const uint32_t n = 1500, dim = 37, k = 25;
  for (int m = 0; m < 2; m++) {
    float *v = rand_vecs(n, dim);
    arag_index *ix = make(dim, ARAG_F32, (arag_metric)m, 0, v, n);
    CHECK_EQ_INT(arag_index_count(ix), n);
    CHECK_EQ_INT(arag_index_dim(ix), dim);
    rh *ref = malloc(n * sizeof *ref);
    uint32_t slots[25], got;
    float scores[25];
    for (int t = 0; t < 20; t++) {
      float q[37];
      for (uint32_t i = 0; i < dim; i++) q[i] = frand() * 2.0f;
      uint32_t nr = brute(v, NULL, n, dim, q, (arag_metric)m, ref);
      CHECK_EQ_INT(arag_index_search(ix, q, dim, k, NULL, 0, 0, slots, scores, &got), ARAG_OK);
      check_against(slots, scores, got, ref, nr, k, 2e-5 * (m ? 10 : 1));
    }
    arag_index_free(ix);
    free(ref);
    free(v);
  }
}

static void test_int8_rerank_exact_and_recall(void) {
  const uint32_t n = 3000, dim = 96, k = 10;
  float *v = rand_vecs(n, dim);
  arag_index *f = make(dim, ARAG_F32, ARAG_COSINE, 0, v, n);
  arag_index *q8 = make(dim, ARAG_I8, ARAG_COSINE, 1, v, n);
  arag_index *q8n = make(dim, ARAG_I8, ARAG_COSINE, 0, v, n);
  rh *ref = malloc(n * sizeof *ref);
  uint32_t hits = 0, total = 0;
  for (int t = 0; t < 30; t++) {
    float q[96];
    for (uint32_t i = 0; i < dim; i++) q[i] = frand();
    uint32_t s1[10], s2[10], s3[10], n1, n2, n3;
    float c1[10], c2[10], c3[10];
    CHECK_EQ_INT(arag_index_search(f, q, dim, k, NULL, 0, 0, s1, c1, &n1), ARAG_OK);
    CHECK_EQ_INT(arag_index_search(q8, q, dim, k, NULL, 0, 8, s2, c2, &n2), ARAG_OK);
    CHECK_EQ_INT(n1, k);
    CHECK_EQ_INT(n2, k);
    /* The rerank re-scores with the same f32 kernel: identical results. */
    for (uint32_t i = 0; i < k; i++) {
      CHECK_EQ_INT(s2[i], s1[i]);
      CHECK(c2[i] == c1[i]);
    }
    uint32_t nr = brute(v, NULL, n, dim, q, ARAG_COSINE, ref);
    check_against(s1, c1, n1, ref, nr, k, 2e-6);
    /* Plain int8: approximate scores, high recall. */
    CHECK_EQ_INT(arag_index_search(q8n, q, dim, k, NULL, 0, 0, s3, c3, &n3), ARAG_OK);
    CHECK_EQ_INT(n3, k);
    for (uint32_t i = 0; i < k; i++) {
      for (uint32_t j = 0; j < k; j++) hits += s3[i] == s1[j];
      CHECK_NEAR(c3[i], ref_score(v + (size_t)s3[i] * dim, q, dim, ARAG_COSINE), 0.03);
    }
    total += k;
  }
  double recall = (double)hits / total;
  fprintf(stderr, "int8 recall@10 (n=%u, dim=%u): %.3f\n", n, dim, recall);
  CHECK(recall >= 0.9);
  /* int8 rows cost about a quarter of f32 rows. */
  CHECK(arag_index_memory_bytes(q8n) * 2 < arag_index_memory_bytes(f));
  CHECK(arag_index_memory_bytes(q8) > arag_index_memory_bytes(f));
  arag_index_free(f);
  arag_index_free(q8);
  arag_index_free(q8n);
  free(ref);
  free(v);
}

static void test_ties_and_k(void) {
  const uint32_t dim = 8, n = 60;
  float *v = malloc(n * dim * sizeof(float));
  for (uint32_t i = 0; i < n; i++)
    for (uint32_t j = 0; j < dim; j++) v[i * dim + j] = (i % 3 == 0) ? (float)(j + 1) : frand();
  for (int dt = 0; dt < 2; dt++) {
    arag_index *ix = make(dim, (arag_dtype)dt, ARAG_COSINE, 0, v, n);
    float q[8];
    for (uint32_t j = 0; j < dim; j++) q[j] = (float)(j + 1);
    uint32_t slots[100], got;
    float sc[100];
    /* Rows 0, 3, 6, ... are identical to the query: 20 equal best scores. */
    CHECK_EQ_INT(arag_index_search(ix, q, dim, 7, NULL, 0, 0, slots, sc, &got), ARAG_OK);
    CHECK_EQ_INT(got, 7);
    for (uint32_t i = 0; i < got; i++) {
      CHECK_EQ_INT(slots[i], 3 * i);
      CHECK(sc[i] == sc[0]);
    }
    CHECK_NEAR(sc[0], 1.0, dt ? 1e-2 : 1e-6);
    /* k = n and k > n return every row, sorted, each once. */
    for (uint32_t kk = n; kk <= n + 40; kk += 40) {
      CHECK_EQ_INT(arag_index_search(ix, q, dim, kk, NULL, 0, 0, slots, sc, &got), ARAG_OK);
      CHECK_EQ_INT(got, n);
      uint8_t seen[60] = {0};
      for (uint32_t i = 0; i < got; i++) {
        CHECK(slots[i] < n);
        if (slots[i] < n) seen[slots[i]]++;
        if (i) CHECK(sc[i - 1] > sc[i] || (sc[i - 1] == sc[i] && slots[i - 1] < slots[i]));
      }
      for (uint32_t i = 0; i < n; i++) CHECK_EQ_INT(seen[i], 1);
    }
    CHECK_EQ_INT(arag_index_search(ix, q, dim, 0, NULL, 0, 0, NULL, NULL, &got), ARAG_OK);
    CHECK_EQ_INT(got, 0);
    arag_index_free(ix);
  }
  free(v);
}

static void test_allow_list(void) {
  const uint32_t n = 400, dim = 16;
  float *v = rand_vecs(n, dim);
  for (int dt = 0; dt < 2; dt++) {
    arag_index *ix = make(dim, (arag_dtype)dt, ARAG_DOT, dt, v, n);
    CHECK_EQ_INT(arag_index_remove(ix, "id-10", 5), ARAG_OK);
    uint32_t allow[120];
    for (uint32_t i = 0; i < 100; i++) allow[i] = (i * 37) % n;
    for (uint32_t i = 100; i < 120; i++) allow[i] = allow[i - 100]; /* duplicates */
    allow[5] = 10;                                                  /* a deleted slot: skipped */
    uint8_t use[400] = {0};
    for (uint32_t i = 0; i < 120; i++)
      if (allow[i] != 10) use[allow[i]] = 1;
    rh ref[400];
    float q[16];
    for (uint32_t j = 0; j < dim; j++) q[j] = frand();
    uint32_t nr = brute(v, use, n, dim, q, ARAG_DOT, ref);
    uint32_t slots[200], got;
    float sc[200];
    CHECK_EQ_INT(arag_index_search(ix, q, dim, 200, allow, 120, dt ? 3 : 0, slots, sc, &got),
                 ARAG_OK);
    check_against(slots, sc, got, ref, nr, 200, 1e-5);
    for (uint32_t i = 0; i < got; i++) CHECK(use[slots[i]]);
    CHECK_EQ_INT(arag_index_search(ix, q, dim, 5, allow, 120, dt ? 3 : 0, slots, sc, &got),
                 ARAG_OK);
    check_against(slots, sc, got, ref, nr, 5, 1e-5);
    /* An empty allow-list selects nothing. */
    CHECK_EQ_INT(arag_index_search(ix, q, dim, 5, allow, 0, 0, slots, sc, &got), ARAG_OK);
    CHECK_EQ_INT(got, 0);
    /* A slot past the end is refused. */
    allow[0] = n + 5;
    got = 77;
    CHECK_EQ_INT(arag_index_search(ix, q, dim, 5, allow, 3, 0, slots, sc, &got), ARAG_E_INVALID);
    CHECK_EQ_INT(got, 77);
    CHECK(strstr(arag_index_last_error(ix), "allow") != NULL);
    arag_index_free(ix);
  }
  free(v);
}

static void test_update_remove_compact(void) {
  const uint32_t n = 200, dim = 12;
  float *v = rand_vecs(n, dim);
  for (int dt = 0; dt < 2; dt++) {
    arag_index *ix = make(dim, (arag_dtype)dt, ARAG_COSINE, 1, v, n);
    uint32_t slot;
    CHECK_EQ_INT(arag_index_slot(ix, "id-7", 4, &slot), ARAG_OK);
    CHECK_EQ_INT(slot, 7);
    /* Update: same slot, new vector, count unchanged. */
    float nv[12], got_v[12];
    for (uint32_t j = 0; j < dim; j++) nv[j] = (float)j - 5.5f;
    CHECK_EQ_INT(arag_index_add(ix, "id-7", 4, nv, dim), ARAG_OK);
    CHECK_EQ_INT(arag_index_count(ix), n);
    CHECK_EQ_INT(arag_index_slot(ix, "id-7", 4, &slot), ARAG_OK);
    CHECK_EQ_INT(slot, 7);
    uint32_t s[3], got;
    float sc[3];
    CHECK_EQ_INT(arag_index_search(ix, nv, dim, 1, NULL, 0, 0, s, sc, &got), ARAG_OK);
    CHECK_EQ_INT(s[0], 7);
    CHECK_EQ_INT(arag_index_vector(ix, 7, got_v, dim), ARAG_OK);
    double nn = 0;
    for (uint32_t j = 0; j < dim; j++) nn += (double)nv[j] * nv[j];
    for (uint32_t j = 0; j < dim; j++) CHECK_NEAR(got_v[j], nv[j] / sqrt(nn), 1e-6);
    /* Remove every third id. */
    char id[32];
    for (uint32_t i = 0; i < n; i += 3) {
      id_of(i, id, sizeof id);
      CHECK_EQ_INT(arag_index_remove(ix, id, strlen(id)), ARAG_OK);
    }
    uint32_t live = n - (n + 2) / 3;
    CHECK_EQ_INT(arag_index_count(ix), live);
    CHECK_EQ_INT(arag_index_remove(ix, "id-0", 4), ARAG_E_NOT_FOUND);
    CHECK(arag_index_id(ix, 3, NULL) == NULL);
    CHECK_EQ_INT(arag_index_slot(ix, "id-3", 4, &slot), ARAG_E_NOT_FOUND);
    CHECK_EQ_INT(arag_index_vector(ix, 3, got_v, dim), ARAG_E_NOT_FOUND);
    /* Search never returns deleted rows. */
    uint32_t all[200];
    float allsc[200];
    CHECK_EQ_INT(arag_index_search(ix, v, dim, n, NULL, 0, 0, all, allsc, &got), ARAG_OK);
    CHECK_EQ_INT(got, live);
    for (uint32_t i = 0; i < got; i++) CHECK(all[i] % 3 != 0);
    /* Remember each live id's vector and the result ids, then compact. */
    float *before = malloc(n * dim * sizeof(float));
    for (uint32_t i = 0; i < n; i++)
      if (i % 3) CHECK_EQ_INT(arag_index_vector(ix, i, before + i * dim, dim), ARAG_OK);
    char before_ids[200][32];
    for (uint32_t i = 0; i < got; i++) {
      size_t l;
      const char *p = arag_index_id(ix, all[i], &l);
      CHECK(p != NULL);
      snprintf(before_ids[i], 32, "%.*s", p ? (int)l : 0, p ? p : "");
    }
    size_t mem_before = arag_index_memory_bytes(ix);
    CHECK_EQ_INT(arag_index_compact(ix), ARAG_OK);
    CHECK_EQ_INT(arag_index_count(ix), live);
    CHECK(arag_index_memory_bytes(ix) <= mem_before);
    for (uint32_t i = 0; i < n; i++) {
      id_of(i, id, sizeof id);
      arag_status st = arag_index_slot(ix, id, strlen(id), &slot);
      if (i % 3 == 0) {
        CHECK_EQ_INT(st, ARAG_E_NOT_FOUND);
        continue;
      }
      CHECK_EQ_INT(st, ARAG_OK);
      CHECK(slot < live);
      size_t l;
      const char *p = arag_index_id(ix, slot, &l);
      CHECK(p && l == strlen(id) && memcmp(p, id, l) == 0);
      CHECK_EQ_INT(arag_index_vector(ix, slot, got_v, dim), ARAG_OK);
      CHECK(memcmp(got_v, before + i * dim, dim * sizeof(float)) == 0);
    }
    uint32_t got2;
    CHECK_EQ_INT(arag_index_search(ix, v, dim, n, NULL, 0, 0, all, allsc, &got2), ARAG_OK);
    CHECK_EQ_INT(got2, got);
    for (uint32_t i = 0; i < got2; i++) {
      size_t l;
      const char *p = arag_index_id(ix, all[i], &l);
      CHECK(p && l == strlen(before_ids[i]) && memcmp(p, before_ids[i], l) == 0);
    }
    /* After compaction, adding reuses the freed capacity and works as usual. */
    CHECK_EQ_INT(arag_index_add(ix, "id-0", 4, v, dim), ARAG_OK);
    CHECK_EQ_INT(arag_index_slot(ix, "id-0", 4, &slot), ARAG_OK);
    CHECK_EQ_INT(slot, live);
    free(before);
    arag_index_free(ix);
  }
  free(v);
}

/* Snapshot of observable state, to show that failed calls change nothing. */
typedef struct view {
  uint32_t count;
  size_t mem;
  uint32_t n;
  uint32_t slots[20];
  float scores[20];
} view;
static void observe(arag_index *ix, const float *q, uint32_t dim, view *out) {
  memset(out, 0, sizeof *out);
  out->count = arag_index_count(ix);
  out->mem = arag_index_memory_bytes(ix);
  CHECK_EQ_INT(arag_index_search(ix, q, dim, 20, NULL, 0, 0, out->slots, out->scores, &out->n),
               ARAG_OK);
}
static int same(const view *a, const view *b) { return memcmp(a, b, sizeof *a) == 0; }

static void test_errors_change_nothing(void) {
  const uint32_t dim = 10, n = 30;
  float *v = rand_vecs(n, dim);
  arag_limits lim;
  arag_limits_default(&lim);
  lim.max_rows = n;
  lim.max_id_bytes = 8;
  arag_index *ix = NULL;
  CHECK_EQ_INT(arag_index_create(dim, ARAG_F32, ARAG_COSINE, 0, &lim, &ix), ARAG_OK);
  char id[32];
  for (uint32_t i = 0; i < n - 1; i++) {
    id_of(i, id, sizeof id);
    CHECK_EQ_INT(arag_index_add(ix, id, strlen(id), v + i * dim, dim), ARAG_OK);
  }
  float q[10], bad[10];
  for (uint32_t j = 0; j < dim; j++) q[j] = frand();
  view a, b;
  observe(ix, q, dim, &a);
  memcpy(bad, v, sizeof bad);

  CHECK_EQ_INT(arag_index_add(ix, "new", 3, v, dim - 1), ARAG_E_DIM);
  CHECK(strstr(arag_index_last_error(ix), "ARAG_E_DIM") != NULL);
  CHECK_EQ_INT(arag_index_add(ix, "id-1", 4, v, dim + 1), ARAG_E_DIM); /* update too */
  bad[3] = NAN;
  CHECK_EQ_INT(arag_index_add(ix, "new", 3, bad, dim), ARAG_E_NONFINITE);
  CHECK_EQ_INT(arag_index_add(ix, "id-1", 4, bad, dim), ARAG_E_NONFINITE);
  bad[3] = INFINITY;
  CHECK_EQ_INT(arag_index_add(ix, "new", 3, bad, dim), ARAG_E_NONFINITE);
  bad[3] = 3e30f; /* finite, but the norm overflows float */
  CHECK_EQ_INT(arag_index_add(ix, "new", 3, bad, dim), ARAG_E_NONFINITE);
  CHECK_EQ_INT(arag_index_add(ix, "", 0, v, dim), ARAG_E_INVALID);
  CHECK_EQ_INT(arag_index_add(ix, NULL, 3, v, dim), ARAG_E_INVALID);
  CHECK_EQ_INT(arag_index_add(ix, "new", 3, NULL, dim), ARAG_E_INVALID);
  CHECK_EQ_INT(arag_index_add(ix, "123456789", 9, v, dim), ARAG_E_LIMIT);
  CHECK(strstr(arag_index_last_error(ix), "max_id_bytes") != NULL);
  CHECK_EQ_INT(arag_index_remove(ix, "nope", 4), ARAG_E_NOT_FOUND);
  CHECK_EQ_INT(arag_index_remove(ix, "", 0), ARAG_E_INVALID);
  uint32_t s[5], got = 99;
  float sc[5];
  CHECK_EQ_INT(arag_index_search(ix, q, dim + 1, 5, NULL, 0, 0, s, sc, &got), ARAG_E_DIM);
  CHECK_EQ_INT(arag_index_search(ix, bad, dim, 5, NULL, 0, 0, s, sc, &got), ARAG_E_NONFINITE);
  CHECK_EQ_INT(arag_index_search(ix, q, dim, 5, NULL, 3, 0, s, sc, &got), ARAG_E_INVALID);
  CHECK_EQ_INT(arag_index_search(ix, q, dim, 5, NULL, 0, 0, NULL, sc, &got), ARAG_E_INVALID);
  CHECK_EQ_INT(got, 99);
  CHECK_EQ_INT(arag_index_set_kernel(ix, (arag_kernel)7), ARAG_E_INVALID);
  float outv[10];
  CHECK_EQ_INT(arag_index_vector(ix, 0, outv, dim + 1), ARAG_E_DIM);
  CHECK_EQ_INT(arag_index_vector(ix, 500, outv, dim), ARAG_E_NOT_FOUND);
  CHECK(arag_index_id(ix, 500, NULL) == NULL);
  observe(ix, q, dim, &b);
  CHECK(same(&a, &b));

  /* Row limit: one more fits, then ARAG_E_LIMIT; an update still works when full. */
  CHECK_EQ_INT(arag_index_add(ix, "last", 4, v + (n - 1) * dim, dim), ARAG_OK);
  observe(ix, q, dim, &a);
  CHECK_EQ_INT(arag_index_add(ix, "over", 4, v, dim), ARAG_E_LIMIT);
  CHECK(strstr(arag_index_last_error(ix), "max_rows") != NULL);
  observe(ix, q, dim, &b);
  CHECK(same(&a, &b));
  CHECK_EQ_INT(arag_index_add(ix, "last", 4, v + (n - 1) * dim, dim), ARAG_OK);
  /* Deleted rows hold their slot until compaction. */
  CHECK_EQ_INT(arag_index_remove(ix, "id-0", 4), ARAG_OK);
  CHECK_EQ_INT(arag_index_add(ix, "over", 4, v, dim), ARAG_E_LIMIT);
  CHECK(strstr(arag_index_last_error(ix), "compact") != NULL);
  CHECK_EQ_INT(arag_index_compact(ix), ARAG_OK);
  CHECK_EQ_INT(arag_index_add(ix, "over", 4, v, dim), ARAG_OK);

  /* Limits: readable, settable, refused when the index already exceeds them. */
  arag_limits got_l, tight;
  CHECK_EQ_INT(arag_index_get_limits(ix, &got_l), ARAG_OK);
  CHECK(memcmp(&got_l, &lim, sizeof lim) == 0);
  observe(ix, q, dim, &a);
  tight = lim;
  tight.max_rows = n - 1;
  CHECK_EQ_INT(arag_index_set_limits(ix, &tight), ARAG_E_LIMIT);
  tight = lim;
  tight.max_dim = dim - 1;
  CHECK_EQ_INT(arag_index_set_limits(ix, &tight), ARAG_E_LIMIT);
  tight = lim;
  tight.max_id_bytes = 3;
  CHECK_EQ_INT(arag_index_set_limits(ix, &tight), ARAG_E_LIMIT);
  tight = lim;
  tight.max_text_bytes = 0;
  CHECK_EQ_INT(arag_index_set_limits(ix, &tight), ARAG_E_INVALID);
  CHECK_EQ_INT(arag_index_get_limits(ix, &got_l), ARAG_OK);
  CHECK(memcmp(&got_l, &lim, sizeof lim) == 0);
  observe(ix, q, dim, &b);
  CHECK(same(&a, &b));
  tight = lim;
  tight.max_rows = 2 * n;
  CHECK_EQ_INT(arag_index_set_limits(ix, &tight), ARAG_OK);
  CHECK_EQ_INT(arag_index_add(ix, "more", 4, v, dim), ARAG_OK);
  CHECK_EQ_INT(arag_index_count(ix), n + 1);
  arag_index_free(ix);

  /* create refuses bad arguments without allocating anything. */
  ix = (arag_index *)&lim; /* must be overwritten with NULL */
  CHECK_EQ_INT(arag_index_create(0, ARAG_F32, ARAG_COSINE, 0, NULL, &ix), ARAG_E_INVALID);
  CHECK(ix == NULL);
  CHECK_EQ_INT(arag_index_create(8, (arag_dtype)5, ARAG_COSINE, 0, NULL, &ix), ARAG_E_INVALID);
  CHECK_EQ_INT(arag_index_create(8, ARAG_F32, (arag_metric)5, 0, NULL, &ix), ARAG_E_INVALID);
  CHECK_EQ_INT(arag_index_create(5000, ARAG_F32, ARAG_COSINE, 0, NULL, &ix), ARAG_E_LIMIT);
  CHECK(ix == NULL);
  free(v);
}

static void test_zero_vector_and_kernels(void) {
  const uint32_t dim = 20, n = 300;
  float *v = rand_vecs(n, dim);
  for (uint32_t j = 0; j < dim; j++) v[5 * dim + j] = 0; /* a zero row */
  for (int dt = 0; dt < 2; dt++) {
    arag_index *ix = make(dim, (arag_dtype)dt, ARAG_COSINE, 0, v, n);
    float zero[20] = {0}, out[20];
    CHECK_EQ_INT(arag_index_vector(ix, 5, out, dim), ARAG_OK);
    for (uint32_t j = 0; j < dim; j++) CHECK(out[j] == 0.0f);
    /* A zero query scores every row 0: ties, so ascending slots. */
    uint32_t s[4], got;
    float sc[4];
    CHECK_EQ_INT(arag_index_search(ix, zero, dim, 4, NULL, 0, 0, s, sc, &got), ARAG_OK);
    CHECK_EQ_INT(got, 4);
    for (uint32_t i = 0; i < 4; i++) {
      CHECK_EQ_INT(s[i], i);
      CHECK(sc[i] == 0.0f);
    }
    /* Scalar and AUTO give the same ranking and scores on random queries. */
    for (int t = 0; t < 20; t++) {
      float q[20];
      for (uint32_t j = 0; j < dim; j++) q[j] = frand();
      uint32_t a[50], b[50], na, nb;
      float ca[50], cb[50];
      CHECK_EQ_INT(arag_index_set_kernel(ix, ARAG_KERNEL_SCALAR), ARAG_OK);
      CHECK_EQ_INT(arag_index_search(ix, q, dim, 50, NULL, 0, 0, a, ca, &na), ARAG_OK);
      CHECK_EQ_INT(arag_index_set_kernel(ix, ARAG_KERNEL_AUTO), ARAG_OK);
      CHECK_EQ_INT(arag_index_search(ix, q, dim, 50, NULL, 0, 0, b, cb, &nb), ARAG_OK);
      CHECK_EQ_INT(na, nb);
      CHECK(memcmp(a, b, na * sizeof *a) == 0);
      CHECK(memcmp(ca, cb, na * sizeof *ca) == 0);
    }
    /* Natively there is no SIMD128 build: asking for it is a clear error. */
    arag_status st = arag_index_set_kernel(ix, ARAG_KERNEL_SIMD);
#ifdef __wasm_simd128__
    CHECK_EQ_INT(st, ARAG_OK);
#else
    CHECK_EQ_INT(st, ARAG_E_INVALID);
    CHECK(strstr(arag_index_last_error(ix), "SIMD") != NULL);
#endif
    arag_index_free(ix);
  }
  free(v);
}

/* The roll-back operations of a catalog batch: a row saved and loaded back keeps
 * its bits (f32, int8 and its scale, int8 with an f32 copy); undoing the last
 * insert frees its slot, an earlier one is soft-deleted. */
static void test_private_roll_back_ops(void) {
  const uint32_t dim = 8;
  float *v = rand_vecs(3, dim);
  const struct {
    arag_dtype dt;
    int keep;
    size_t bytes;
  } kinds[] = {{ARAG_F32, 0, 8 * 4}, {ARAG_I8, 0, 16 + 4}, {ARAG_I8, 1, 8 * 4 + 16 + 4}};
  for (int k = 0; k < 3; k++) {
    arag_index *ix = make(dim, kinds[k].dt, ARAG_COSINE, kinds[k].keep, v, 2);
    CHECK_EQ_INT(arag_index_row_bytes(ix), kinds[k].bytes);
    uint8_t row[64], row2[64];
    float before[8], after[8];
    CHECK_EQ_INT(arag_index_vector(ix, 0, before, dim), ARAG_OK);
    CHECK_EQ_INT(arag_index_row_save(ix, "id-0", 4, row), ARAG_OK);
    CHECK_EQ_INT(arag_index_add(ix, "id-0", 4, v + 2 * dim, dim), ARAG_OK);
    CHECK_EQ_INT(arag_index_vector(ix, 0, after, dim), ARAG_OK);
    CHECK(memcmp(before, after, sizeof before) != 0);
    CHECK_EQ_INT(arag_index_row_load(ix, "id-0", 4, row), ARAG_OK);
    CHECK_EQ_INT(arag_index_vector(ix, 0, after, dim), ARAG_OK);
    CHECK(memcmp(before, after, sizeof before) == 0);
    CHECK_EQ_INT(arag_index_row_save(ix, "id-0", 4, row2), ARAG_OK);
    CHECK(memcmp(row, row2, kinds[k].bytes) == 0);
    CHECK_EQ_INT(arag_index_row_save(ix, "nope", 4, row), ARAG_E_NOT_FOUND);
    CHECK_EQ_INT(arag_index_row_load(ix, "nope", 4, row), ARAG_E_NOT_FOUND);
    arag_index_free(ix);
  }
  arag_index *ix = make(dim, ARAG_F32, ARAG_COSINE, 0, v, 2);
  size_t bytes = arag_index_memory_bytes(ix);
  CHECK_EQ_INT(arag_index_add(ix, "new", 3, v + 2 * dim, dim), ARAG_OK);
  CHECK_EQ_INT(arag_index_unadd(ix, "new", 3), ARAG_OK);
  CHECK_EQ_INT(arag_index_count(ix), 2);
  uint32_t slot;
  CHECK_EQ_INT(arag_index_slot(ix, "new", 3, &slot), ARAG_E_NOT_FOUND);
  /* The freed slot is used again: the next insert lands where "new" was. */
  CHECK_EQ_INT(arag_index_add(ix, "again", 5, v + 2 * dim, dim), ARAG_OK);
  CHECK_EQ_INT(arag_index_slot(ix, "again", 5, &slot), ARAG_OK);
  CHECK_EQ_INT(slot, 2);
  CHECK(arag_index_memory_bytes(ix) >= bytes);
  /* Not the last slot: soft-deleted as by arag_index_remove. */
  CHECK_EQ_INT(arag_index_unadd(ix, "id-1", 4), ARAG_OK);
  CHECK(arag_index_id(ix, 1, NULL) == NULL);
  CHECK_EQ_INT(arag_index_count(ix), 2);
  CHECK_EQ_INT(arag_index_unadd(ix, "id-1", 4), ARAG_E_NOT_FOUND);
  CHECK(arag_index_has(ix, "again", 5) && arag_index_has(ix, "id-0", 4));
  CHECK(!arag_index_has(ix, "id-1", 4) && !arag_index_has(ix, "again", 4));
  CHECK(!arag_index_has(ix, "", 0) && !arag_index_has(NULL, "id-0", 4));
  arag_index_free(ix);
  free(v);
}

static void test_status_and_version(void) {
  for (int s = 0; s <= ARAG_E_CANCELLED; s++) {
    const char *m = arag_strerror((arag_status)s);
    CHECK(m && strncmp(m, "ARAG_", 5) == 0 && strchr(m, ':') != NULL);
  }
  CHECK(strncmp(arag_strerror(ARAG_E_LIMIT), "ARAG_E_LIMIT:", 13) == 0);
  CHECK(strstr(arag_strerror((arag_status)99), "unknown") != NULL);
  char want[32];
  snprintf(want, sizeof want, "%d.%d.%d", ARAG_VERSION_MAJOR, ARAG_VERSION_MINOR,
           ARAG_VERSION_PATCH);
  CHECK(strcmp(arag_version(), want) == 0);
  arag_limits l;
  arag_limits_default(&l);
  CHECK_EQ_INT(l.max_dim, 4096);
  CHECK_EQ_INT(l.max_rows, 1000000);
  CHECK_EQ_INT(l.max_id_bytes, 256);
  CHECK_EQ_INT(l.max_text_bytes, 65536);
  arag_free(NULL);
  CHECK_EQ_INT(arag_index_count(NULL), 0);
  CHECK(arag_index_last_error(NULL) != NULL);
}

int main(void) {
  RUN(test_exact_f32);
  RUN(test_int8_rerank_exact_and_recall);
  RUN(test_ties_and_k);
  RUN(test_allow_list);
  RUN(test_update_remove_compact);
  RUN(test_errors_change_nothing);
  RUN(test_zero_vector_and_kernels);
  RUN(test_private_roll_back_ops);
  RUN(test_status_and_version);
  return test_report();
}
