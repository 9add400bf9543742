/* Scoring kernels: dot products against a double-precision reference, int8
 * dot products against naive integer sums, quantization error bounds, and the
 * scan helpers against the single-row kernels. */
#include "kernels.h"
#include "test.h"
#include "test_util.h"

#include <stdint.h>
#include <stdlib.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void) { return test_rnd(&rng_state); }
static float frand(void) { return test_frand(&rng_state); }

static void *aalloc(size_t n) { return aligned_alloc(16, (n + 15) / 16 * 16); }

static void test_dot_f32_matches_double(void) {
  for (uint32_t n = 4; n <= 132; n += 4) {
    float *a = aalloc(n * sizeof(float)), *b = aalloc(n * sizeof(float));
    double ref = 0, mag = 0;
    for (uint32_t i = 0; i < n; i++) {
      a[i] = frand();
      b[i] = frand();
      ref += (double)a[i] * b[i];
      mag += fabs((double)a[i] * b[i]);
    }
    float got = arag_dot_f32_scalar(a, b, n);
    CHECK_NEAR(got, ref, 1e-6 * mag + 1e-7);
#if ARAG_HAVE_SIMD
    /* Same accumulation order: bit-identical. */
    CHECK(arag_dot_f32_simd(a, b, n) == got);
#endif
    free(a);
    free(b);
  }
}

static void test_dot_i8_exact(void) {
  for (uint32_t n = 16; n <= 400; n += 16) {
    int8_t *r = aalloc(n);
    int16_t *q = aalloc(n * sizeof(int16_t));
    int64_t ref = 0;
    for (uint32_t i = 0; i < n; i++) {
      r[i] = (int8_t)((int)(rnd() % 255) - 127);
      q[i] = (int16_t)((int)(rnd() % 255) - 127);
      ref += (int64_t)r[i] * q[i];
    }
    CHECK_EQ_INT(arag_dot_i8_scalar(r, q, n), ref);
#if ARAG_HAVE_SIMD
    CHECK_EQ_INT(arag_dot_i8_simd(r, q, n), ref);
#endif
    free(r);
    free(q);
  }
  /* Extremes: every product at the maximum magnitude. */
  uint32_t n = 4096;
  int8_t *r = aalloc(n);
  int16_t *q = aalloc(n * sizeof(int16_t));
  for (uint32_t i = 0; i < n; i++) {
    r[i] = -127;
    q[i] = -127;
  }
  CHECK_EQ_INT(arag_dot_i8_scalar(r, q, n), 127LL * 127 * 4096);
  free(r);
  free(q);
}

static void test_quantize(void) {
  float x[37];
  int8_t q[37];
  int16_t qq[37];
  for (int i = 0; i < 37; i++) x[i] = frand() * 3.0f;
  x[5] = -4.0f; /* the largest magnitude */
  float s = arag_quantize_i8(x, 37, q);
  CHECK_NEAR(s, 4.0 / 127.0, 1e-7);
  CHECK_EQ_INT(q[5], -127);
  for (int i = 0; i < 37; i++) {
    CHECK(q[i] >= -127 && q[i] <= 127);
    CHECK(fabsf(q[i] * s - x[i]) <= 0.5f * s + 1e-6f);
  }
  /* With 127 levels the query grid is the rows' grid. */
  float s2 = arag_quantize_i16q(x, 37, 127, qq);
  CHECK(s2 == s);
  for (int i = 0; i < 37; i++) CHECK_EQ_INT(qq[i], q[i]);
  /* A finer grid: error within half a (smaller) step. */
  float s3 = arag_quantize_i16q(x, 37, 4000, qq);
  CHECK_NEAR(s3, 4.0 / 4000.0, 1e-8);
  CHECK_EQ_INT(qq[5], -4000);
  for (int i = 0; i < 37; i++) CHECK(fabsf(qq[i] * s3 - x[i]) <= 0.5f * s3 + 1e-6f);
  /* Levels keep a dot product of n int8 x int16 terms inside int32. */
  for (uint32_t n = 16; n <= 65536; n *= 2) {
    uint32_t l = arag_query_levels(n);
    CHECK(l >= 127 && l <= 32767);
    CHECK(127.0 * l * n <= 2147483647.0);
  }
  CHECK_EQ_INT(arag_query_levels(384), 32767);
  float z[8] = {0};
  CHECK(arag_quantize_i8(z, 8, q) == 0.0f);
  for (int i = 0; i < 8; i++) CHECK_EQ_INT(q[i], 0);
}

static void test_scans(void) {
  uint32_t count = 37, n = 48, nq = 64;
  float *rows = aalloc(count * n * sizeof(float)), *q = aalloc(n * sizeof(float));
  float scores[37], scales[37];
  int8_t *qrows = aalloc(count * nq);
  int16_t *qq = aalloc(nq * sizeof(int16_t));
  for (uint32_t i = 0; i < count * n; i++) rows[i] = frand();
  for (uint32_t i = 0; i < n; i++) q[i] = frand();
  arag_scan_f32_scalar(rows, n, count, q, n, scores);
  for (uint32_t i = 0; i < count; i++) CHECK(scores[i] == arag_dot_f32_scalar(rows + i * n, q, n));
  for (uint32_t i = 0; i < count * nq; i++) qrows[i] = (int8_t)((int)(rnd() % 255) - 127);
  for (uint32_t i = 0; i < nq; i++) qq[i] = (int16_t)((int)(rnd() % 255) - 127);
  for (uint32_t i = 0; i < count; i++) scales[i] = 0.01f * (float)(i + 1);
  arag_scan_i8_scalar(qrows, nq, count, scales, qq, 0.5f, nq, scores);
  for (uint32_t i = 0; i < count; i++) {
    int64_t d = 0;
    for (uint32_t j = 0; j < nq; j++) d += (int64_t)qrows[i * nq + j] * qq[j];
    CHECK_NEAR(scores[i], (double)d * scales[i] * 0.5, 1e-4 * fabs((double)d) + 1e-6);
  }
  free(rows);
  free(q);
  free(qrows);
  free(qq);
}

static void test_max(void) {
  float x[45];
  for (uint32_t n = 0; n <= 45; n++) {
    float want = -INFINITY;
    for (uint32_t i = 0; i < n; i++) {
      x[i] = frand() - 2.0f; /* all negative: a 0 default would be wrong */
      if (x[i] > want) want = x[i];
    }
    CHECK(arag_max_f32(x, n) == want);
  }
  x[44] = 5.0f; /* the maximum in the scalar tail */
  CHECK(arag_max_f32(x, 45) == 5.0f);
  x[3] = 6.0f; /* in the first vector */
  CHECK(arag_max_f32(x, 45) == 6.0f);
}

static void test_sum(void) {
  size_t n = 1003;
  float *x = aalloc(n * sizeof(float));
  double ref = 0;
  for (size_t i = 0; i < n; i++) {
    x[i] = (float)(i % 7) - 3.0f; /* small integers: exact in float */
    ref += x[i];
  }
  CHECK(arag_sum_f32(x, n) == (float)ref);
  CHECK(arag_sum_f32(x, 0) == 0.0f);
  free(x);
}

int main(void) {
  RUN(test_dot_f32_matches_double);
  RUN(test_dot_i8_exact);
  RUN(test_quantize);
  RUN(test_scans);
  RUN(test_max);
  RUN(test_sum);
  return test_report();
}
