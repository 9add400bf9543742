/* Shared read-only handles: several threads search one catalog's index and run offline
 * recommendations against that one catalog (each with its own engine and history), and
 * every answer equals the one a single thread got first. Built and run under
 * ThreadSanitizer by `make test-tsan` (part of `make test`), which fails on any data race;
 * in the ASan build it is a plain test of the same answers. */
#include "arag.h"
#include "test.h"
#include "test_util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIM 128
#define N_ITEMS 400
#define N_QUERIES 24
#define K 12
#define N_SHOPPERS 6
#define N_THREADS 4

static const char *ADJ[] = {"hydrating", "matte",   "vegan",  "travel",
                            "deluxe",    "organic", "gentle", "long-lasting"};
static const char *NOUN[] = {"face cream", "lipstick", "shampoo", "serum",       "eye liner",
                             "sunscreen",  "hair oil", "toner",   "nail polish", "body wash"};
static const char *BRAND[] = {"Acme", "Lumen", "Verda", "Orchid", "Nordlys"};
static const char *CAT[] = {"Skin Care", "Makeup", "Hair Care", "Bath & Body"};

typedef struct ref {
  uint32_t n[N_QUERIES];
  uint32_t slots[N_QUERIES][K];
  float scores[N_QUERIES][K];
  char *result[N_SHOPPERS]; /* result JSON, timings blanked */
} ref;

static float queries[N_QUERIES][DIM];
static ref want;

typedef struct job {
  const arag_catalog *cat;
  int thread;
  int mismatches, failures;
} job;

static arag_catalog *build_catalog(void) {
  arag_catalog *cat = NULL;
  if (arag_catalog_create(DIM, NULL, &cat) != ARAG_OK) return NULL;
  char line[512];
  size_t cap = (size_t)N_ITEMS * sizeof line, len = 0;
  char *buf = malloc(cap);
  for (int i = 0; buf && i < N_ITEMS; i++) {
    int n = snprintf(line, sizeof line,
                     "{\"id\":\"p%d\",\"title\":\"%s %s %s no. %d\",\"brand\":\"%s\","
                     "\"categories\":[\"Beauty\",\"%s\"],\"price\":%d.5,\"popularity\":%d}\n",
                     i, BRAND[i % 5], ADJ[(i / 5) % 8], NOUN[i % 10], i, BRAND[i % 5],
                     CAT[(i / 10) % 4], 5 + i % 40, (i * 37) % 101);
    memcpy(buf + len, line, (size_t)n);
    len += (size_t)n;
  }
  arag_status st = buf ? arag_catalog_add_json(cat, buf, len) : ARAG_E_NOMEM;
  free(buf);
  if (st != ARAG_OK) {
    fprintf(stderr, "catalog: %s\n", arag_catalog_last_error(cat));
    arag_catalog_free(cat);
    return NULL;
  }
  return cat;
}

/* Every number of a "..._ms" key (the timings in the trace) becomes 0. */
static void blank_timings(char *json) {
  for (char *t = strstr(json, "_ms\":"); t; t = strstr(t, "_ms\":")) {
    t += 5;
    size_t n = strspn(t, "0123456789.-+eE");
    if (n == 0) continue;
    *t++ = '0';
    memmove(t, t + n - 1, strlen(t + n - 1) + 1);
  }
}

/* The result JSON of one offline recommendation for shopper s, its timings blanked (the
 * only parts that depend on the clock); NULL on failure. */
static char *recommend(const arag_catalog *cat, int s) {
  arag_engine *e = NULL;
  arag_history *h = NULL;
  char *out = NULL;
  if (arag_engine_create(NULL, 0, &e) != ARAG_OK || arag_history_create(DIM, NULL, &h) != ARAG_OK)
    goto done;
  char ev[256];
  for (int j = 0; j < 5; j++) {
    int n = snprintf(ev, sizeof ev, "{\"id\":\"p%d\",\"ts\":%d,\"kind\":\"%s\"}",
                     (s * 53 + j * 7) % N_ITEMS, 100 + j, j == 4 ? "purchase" : "view");
    if (arag_history_add_json(h, ev, (size_t)n) != ARAG_OK) goto done;
  }
  uint32_t sid = 0;
  const char *json = NULL;
  size_t len = 0;
  if (arag_recommend_start(e, cat, h, "{}", 2, &sid) != ARAG_OK ||
      arag_session_result(e, sid, &json, &len) != ARAG_OK)
    goto done;
  out = malloc(len + 1);
  if (!out) goto done;
  memcpy(out, json, len);
  out[len] = '\0';
  blank_timings(out);
done:
  arag_history_free(h);
  arag_engine_free(e);
  return out;
}

static void *worker(void *arg) {
  job *jb = arg;
  const arag_index *ix = arag_catalog_index(jb->cat);
  uint32_t slots[K], n;
  float scores[K];
  char err[256];
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < N_QUERIES; i++) {
      int q = (i * 7 + jb->thread * 5 + round) % N_QUERIES; /* each thread its own order */
      if (arag_index_search_r(ix, queries[q], DIM, K, NULL, 0, 0, slots, scores, &n, err,
                              sizeof err) != ARAG_OK) {
        jb->failures++;
        continue;
      }
      if (n != want.n[q] || memcmp(slots, want.slots[q], n * sizeof *slots) != 0 ||
          memcmp(scores, want.scores[q], n * sizeof *scores) != 0)
        jb->mismatches++;
    }
  }
  for (int s = jb->thread % 2; s < N_SHOPPERS; s += 2) {
    char *got = recommend(jb->cat, s);
    if (!got)
      jb->failures++;
    else if (strcmp(got, want.result[s]) != 0)
      jb->mismatches++;
    free(got);
  }
  return NULL;
}

static void test_shared_catalog(void) {
  arag_catalog *cat = build_catalog();
  CHECK(cat != NULL);
  if (!cat) return;
  const arag_index *ix = arag_catalog_index(cat);
  CHECK_EQ_INT(arag_index_count(ix), N_ITEMS);
  uint64_t rs = 24;
  for (int q = 0; q < N_QUERIES; q++)
    for (int d = 0; d < DIM; d++) queries[q][d] = test_frand(&rs);
  char err[256];
  for (int q = 0; q < N_QUERIES; q++) {
    CHECK_EQ_INT(arag_index_search_r(ix, queries[q], DIM, K, NULL, 0, 0, want.slots[q],
                                     want.scores[q], &want.n[q], err, sizeof err),
                 ARAG_OK);
    CHECK_EQ_INT(want.n[q], K);
  }
  for (int s = 0; s < N_SHOPPERS; s++) {
    want.result[s] = recommend(cat, s);
    CHECK(want.result[s] && strstr(want.result[s], "\"items\":[{") != NULL);
  }

  pthread_t th[N_THREADS];
  job jobs[N_THREADS];
  for (int t = 0; t < N_THREADS; t++) {
    jobs[t] = (job){cat, t, 0, 0};
    CHECK_EQ_INT(pthread_create(&th[t], NULL, worker, &jobs[t]), 0);
  }
  for (int t = 0; t < N_THREADS; t++) {
    pthread_join(th[t], NULL);
    CHECK_EQ_INT(jobs[t].failures, 0);
    CHECK_EQ_INT(jobs[t].mismatches, 0);
  }
  for (int s = 0; s < N_SHOPPERS; s++) free(want.result[s]);
  arag_catalog_free(cat);
}

/* A failing search on a shared index writes its message to the caller's buffer only:
 * the index's own last error stays as it was. */
static void test_search_r_errors(void) {
  arag_index *ix = NULL;
  CHECK_EQ_INT(arag_index_create(4, ARAG_F32, ARAG_COSINE, 0, NULL, &ix), ARAG_OK);
  const float v[4] = {1, 0, 0, 0};
  CHECK_EQ_INT(arag_index_add(ix, "a", 1, v, 4), ARAG_OK);
  char err[64] = "untouched";
  uint32_t slot, n = 9;
  float score;
  CHECK_EQ_INT(arag_index_search_r(ix, v, 3, 1, NULL, 0, 0, &slot, &score, &n, err, sizeof err),
               ARAG_E_DIM);
  CHECK(strncmp(err, "ARAG_E_DIM: query vector has 3 dims", 35) == 0);
  CHECK(strlen(err) < sizeof err);
  CHECK_EQ_INT(strcmp(arag_index_last_error(ix), ""), 0);
  CHECK_EQ_INT(arag_index_search_r(ix, v, 4, 1, NULL, 0, 0, &slot, &score, &n, NULL, 0), ARAG_OK);
  CHECK_EQ_INT(n, 1);
  CHECK_EQ_INT(arag_index_search_r(ix, v, 4, 1, NULL, 0, 0, &slot, &score, NULL, NULL, 0),
               ARAG_E_INVALID);
  arag_index_free(ix);
}

int main(void) {
  RUN(test_shared_catalog);
  RUN(test_search_r_errors);
  return test_report();
}
