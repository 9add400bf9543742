/* Native reference for the index benchmark: exact top-k over random unit
 * vectors with arag's own index, built with -O3 -march=native (make native).
 * Prints one JSON object on stdout:
 *   {"engine":"native-arag","runs":[{"engine","n","dim","k","queries",
 *    "ms_per_query","recall_at_k","bytes_per_vector","memory_bytes_per_vector","gbps"}]}
 * bytes_per_vector: the row a scan reads (padded f32 row, or int8 row + scale);
 * memory_bytes_per_vector: arag_index_memory_bytes / n (ids and hash map too).
 * Usage: bench_index_native [--n 1000,10000,100000] [--dim 384] [--k 10]
 *        [--queries Q] [--seed S] [--dtype f32|i8|both]
 * Q defaults to about 0.7 s worth of scanning per size (at least 20 queries);
 * the queries run in three passes and the fastest pass is reported. */
#define _POSIX_C_SOURCE 200809L
#include "arag.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rng;
static double urand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return ((rng >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}
static void unit_vec(float *v, uint32_t dim) {
  double ss = 0;
  for (uint32_t i = 0; i < dim; i++) {
    double g = sqrt(-2.0 * log(urand())) * cos(6.283185307179586 * urand());
    v[i] = (float)g;
    ss += g * g;
  }
  float inv = (float)(1.0 / sqrt(ss));
  for (uint32_t i = 0; i < dim; i++) v[i] *= inv;
}
static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

typedef struct ref_hit {
  double s;
  uint32_t i;
} ref_hit;

/* Exact top-k slots in double precision (the recall reference). */
static void exact_topk(const float *data, uint32_t n, uint32_t dim, const float *q, uint32_t k,
                       uint32_t *out) {
  ref_hit *best = malloc(k * sizeof *best);
  uint32_t m = 0;
  for (uint32_t i = 0; i < n; i++) {
    double s = 0;
    for (uint32_t j = 0; j < dim; j++) s += (double)data[(size_t)i * dim + j] * q[j];
    if (m < k) {
      best[m].s = s;
      best[m].i = i;
      m++;
    } else if (s > best[k - 1].s) {
      best[k - 1].s = s;
      best[k - 1].i = i;
    } else {
      continue;
    }
    for (uint32_t a = m - 1; a > 0 && best[a].s > best[a - 1].s; a--) {
      ref_hit t = best[a];
      best[a] = best[a - 1];
      best[a - 1] = t;
    }
  }
  for (uint32_t i = 0; i < k; i++) out[i] = best[i].i;
  free(best);
}

static int run(uint32_t n, uint32_t dim, uint32_t k, uint32_t queries, arag_dtype dt, int first) {
  float *data = malloc((size_t)n * dim * sizeof(float));
  float *qs = malloc((size_t)queries * dim * sizeof(float));
  if (!data || !qs) return 1;
  for (uint32_t i = 0; i < n; i++) unit_vec(data + (size_t)i * dim, dim);
  for (uint32_t i = 0; i < queries; i++) unit_vec(qs + (size_t)i * dim, dim);
  arag_index *ix = NULL;
  arag_limits lim;
  arag_limits_default(&lim);
  if (arag_index_create(dim, dt, ARAG_COSINE, 0, &lim, &ix) != ARAG_OK) return 1;
  char id[32];
  for (uint32_t i = 0; i < n; i++) {
    int l = snprintf(id, sizeof id, "v%u", i);
    if (arag_index_add(ix, id, (size_t)l, data + (size_t)i * dim, dim) != ARAG_OK) {
      fprintf(stderr, "add: %s\n", arag_index_last_error(ix));
      return 1;
    }
  }
  arag_index_compact(ix); /* trims spare capacity */
  uint32_t *slots = malloc(k * sizeof *slots), *ref = malloc(k * sizeof *ref), got;
  float *scores = malloc(k * sizeof *scores);
  arag_index_search(ix, qs, dim, k, NULL, 0, 0, slots, scores, &got); /* warm-up */
  /* Three passes; the fastest is reported (the machine may be shared). */
  double ms = 0;
  for (int pass = 0; pass < 3; pass++) {
    double t0 = now_ms();
    for (uint32_t q = 0; q < queries; q++)
      arag_index_search(ix, qs + (size_t)q * dim, dim, k, NULL, 0, 0, slots, scores, &got);
    double m = (now_ms() - t0) / queries;
    if (pass == 0 || m < ms) ms = m;
  }
  /* Recall on up to 20 queries against a double-precision exact scan. */
  uint32_t rq = queries < 20 ? queries : 20, hits = 0;
  for (uint32_t q = 0; q < rq; q++) {
    arag_index_search(ix, qs + (size_t)q * dim, dim, k, NULL, 0, 0, slots, scores, &got);
    exact_topk(data, n, dim, qs + (size_t)q * dim, k, ref);
    for (uint32_t a = 0; a < got; a++)
      for (uint32_t b = 0; b < k; b++) hits += slots[a] == ref[b];
  }
  double row_bytes =
      dt == ARAG_F32 ? (double)((dim + 3) / 4 * 4) * 4 : (double)((dim + 15) / 16 * 16) + 4;
  double mem = (double)arag_index_memory_bytes(ix) / n;
  printf("%s{\"engine\":\"%s\",\"n\":%u,\"dim\":%u,\"k\":%u,\"queries\":%u,\"ms_per_query\":%.6f,"
         "\"recall_at_k\":%.4f,\"bytes_per_vector\":%.1f,\"memory_bytes_per_vector\":%.1f,"
         "\"gbps\":%.3f}",
         first ? "" : ",", dt == ARAG_F32 ? "native-arag" : "native-arag-int8", n, dim, k, queries,
         ms, (double)hits / (rq * k), row_bytes, mem, row_bytes * n / (ms * 1e-3) / 1e9);
  fflush(stdout);
  arag_index_free(ix);
  free(data);
  free(qs);
  free(slots);
  free(ref);
  free(scores);
  return 0;
}

int main(int argc, char **argv) {
  char ns[256] = "1000,10000,100000";
  uint32_t dim = 384, k = 10, queries = 0;
  const char *dtype = "both";
  rng = 0x853c49e6748fea9bull;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--n"))
      snprintf(ns, sizeof ns, "%s", argv[i + 1]);
    else if (!strcmp(argv[i], "--dim"))
      dim = (uint32_t)atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--k"))
      k = (uint32_t)atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--queries"))
      queries = (uint32_t)atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--seed"))
      rng = strtoull(argv[i + 1], NULL, 10) | 1;
    else if (!strcmp(argv[i], "--dtype"))
      dtype = argv[i + 1];
    else {
      fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (!dim || !k) return 2;
  printf("{\"engine\":\"native-arag\",\"runs\":[");
  int first = 1;
  for (char *tok = strtok(ns, ","); tok; tok = strtok(NULL, ",")) {
    uint32_t n = (uint32_t)atoi(tok);
    if (!n) continue;
    uint32_t q = queries;
    if (!q) {
      double per = (double)n * dim * 4 / 10e9 * 1e3; /* ms per query at 10 GB/s */
      q = (uint32_t)(700.0 / per);                   /* about 0.7 s a pass */
      if (q < 20) q = 20;
      if (q > 2000) q = 2000;
    }
    for (int d = 0; d < 2; d++) {
      arag_dtype dt = d ? ARAG_I8 : ARAG_F32;
      if (strcmp(dtype, "both") && strcmp(dtype, d ? "i8" : "f32")) continue;
      if (run(n, dim, k, q, dt, first)) {
        fprintf(stderr, "run failed (n=%u)\n", n);
        return 1;
      }
      first = 0;
    }
  }
  printf("]}\n");
  return 0;
}
