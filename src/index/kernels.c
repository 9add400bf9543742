/* Scoring kernels (see kernels.h). */
#include "kernels.h"

#include <math.h>

#if ARAG_HAVE_SIMD
#include <wasm_simd128.h>
/* In SIMD builds clang would auto-vectorize the 16-lane scalar loops into
 * SIMD128; keep the scalar path really scalar so ARAG_KERNEL_SCALAR means it. */
#define SCALAR_FN __attribute__((target("no-simd128")))
#else
#define SCALAR_FN
#endif

SCALAR_FN float arag_dot_f32_scalar(const float *a, const float *b, uint32_t n) {
  /* 16 lanes = four 4-lane accumulators; block b (4 floats) goes to accumulator
   * b % 4, the order of the SIMD kernel. */
  float acc[16] = {0};
  uint32_t n16 = n / 16 * 16;
  for (uint32_t i = 0; i < n16; i += 16)
    for (int j = 0; j < 16; j++) acc[j] += a[i + j] * b[i + j];
  /* Tail blocks 0..2 go to accumulators 0..2: lanes 0..(n - n16 - 1). */
  for (uint32_t j = 0; j < n - n16; j++) acc[j] += a[n16 + j] * b[n16 + j];
  float s[4];
  for (int j = 0; j < 4; j++) s[j] = (acc[j] + acc[4 + j]) + (acc[8 + j] + acc[12 + j]);
  return (s[0] + s[1]) + (s[2] + s[3]);
}

SCALAR_FN int32_t arag_dot_i8_scalar(const int8_t *row, const int16_t *q, uint32_t n) {
  int32_t acc = 0;
  for (uint32_t i = 0; i < n; i++) acc += (int32_t)row[i] * (int32_t)q[i];
  return acc;
}

SCALAR_FN void arag_scan_f32_scalar(const float *rows, size_t stride, uint32_t count,
                                    const float *q, uint32_t n, float *scores) {
  for (uint32_t i = 0; i < count; i++) scores[i] = arag_dot_f32_scalar(rows + i * stride, q, n);
}

SCALAR_FN void arag_scan_i8_scalar(const int8_t *rows, size_t stride, uint32_t count,
                                   const float *scales, const int16_t *q, float qscale, uint32_t n,
                                   float *scores) {
  for (uint32_t i = 0; i < count; i++)
    scores[i] = (float)arag_dot_i8_scalar(rows + i * stride, q, n) * (scales[i] * qscale);
}

#if ARAG_HAVE_SIMD
float arag_dot_f32_simd(const float *a, const float *b, uint32_t n) {
  v128_t a0 = wasm_f32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
  uint32_t nb = n / 4, blk = 0;
  for (; blk + 4 <= nb; blk += 4) {
    const float *x = a + (size_t)blk * 4, *y = b + (size_t)blk * 4;
    a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(x), wasm_v128_load(y)));
    a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load(x + 4), wasm_v128_load(y + 4)));
    a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(wasm_v128_load(x + 8), wasm_v128_load(y + 8)));
    a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(wasm_v128_load(x + 12), wasm_v128_load(y + 12)));
  }
  if (blk < nb) {
    const float *x = a + (size_t)blk * 4, *y = b + (size_t)blk * 4;
    a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(x), wasm_v128_load(y)));
    if (blk + 1 < nb)
      a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load(x + 4), wasm_v128_load(y + 4)));
    if (blk + 2 < nb)
      a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(wasm_v128_load(x + 8), wasm_v128_load(y + 8)));
  }
  v128_t s = wasm_f32x4_add(wasm_f32x4_add(a0, a1), wasm_f32x4_add(a2, a3));
  return (wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 1)) +
         (wasm_f32x4_extract_lane(s, 2) + wasm_f32x4_extract_lane(s, 3));
}

int32_t arag_dot_i8_simd(const int8_t *row, const int16_t *q, uint32_t n) {
  v128_t acc0 = wasm_i32x4_splat(0), acc1 = acc0;
  for (uint32_t i = 0; i < n; i += 16) {
    v128_t r = wasm_v128_load(row + i);
    acc0 = wasm_i32x4_add(
        acc0, wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(r), wasm_v128_load(q + i)));
    acc1 = wasm_i32x4_add(
        acc1, wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(r), wasm_v128_load(q + i + 8)));
  }
  v128_t s = wasm_i32x4_add(acc0, acc1);
  return wasm_i32x4_extract_lane(s, 0) + wasm_i32x4_extract_lane(s, 1) +
         wasm_i32x4_extract_lane(s, 2) + wasm_i32x4_extract_lane(s, 3);
}

void arag_scan_f32_simd(const float *rows, size_t stride, uint32_t count, const float *q,
                        uint32_t n, float *scores) {
  for (uint32_t i = 0; i < count; i++) scores[i] = arag_dot_f32_simd(rows + i * stride, q, n);
}

void arag_scan_i8_simd(const int8_t *rows, size_t stride, uint32_t count, const float *scales,
                       const int16_t *q, float qscale, uint32_t n, float *scores) {
  for (uint32_t i = 0; i < count; i++)
    scores[i] = (float)arag_dot_i8_simd(rows + i * stride, q, n) * (scales[i] * qscale);
}
#endif

static float max_abs(const float *x, uint32_t n) {
  float m = 0;
  for (uint32_t i = 0; i < n; i++) {
    float a = fabsf(x[i]);
    if (a > m) m = a;
  }
  return m;
}

static int quant1(float x, float inv, float lim) {
  float v = roundf(x * inv);
  if (v > lim) v = lim;
  if (v < -lim) v = -lim;
  return (int)v;
}

float arag_quantize_i8(const float *x, uint32_t n, int8_t *out) {
  float m = max_abs(x, n);
  if (m == 0.0f) {
    for (uint32_t i = 0; i < n; i++) out[i] = 0;
    return 0.0f;
  }
  float inv = 127.0f / m;
  for (uint32_t i = 0; i < n; i++) out[i] = (int8_t)quant1(x[i], inv, 127.0f);
  return m / 127.0f;
}

uint32_t arag_query_levels(uint32_t n) {
  uint64_t lim = (uint64_t)INT32_MAX / (127u * (uint64_t)(n ? n : 1));
  if (lim > 32767) lim = 32767;
  if (lim < 1) lim = 1;
  return (uint32_t)lim;
}

float arag_quantize_i16q(const float *x, uint32_t n, uint32_t levels, int16_t *out) {
  float m = max_abs(x, n);
  if (m == 0.0f || levels == 0) {
    for (uint32_t i = 0; i < n; i++) out[i] = 0;
    return 0.0f;
  }
  if (levels > 32767) levels = 32767;
  float inv = (float)levels / m;
  for (uint32_t i = 0; i < n; i++) out[i] = (int16_t)quant1(x[i], inv, (float)levels);
  return m / (float)levels;
}

float arag_max_f32(const float *x, uint32_t n) {
  uint32_t i = 0;
  float m = -INFINITY;
#if ARAG_HAVE_SIMD
  if (n >= 8) {
    v128_t m0 = wasm_v128_load(x), m1 = wasm_v128_load(x + 4);
    for (i = 8; i + 8 <= n; i += 8) {
      m0 = wasm_f32x4_pmax(m0, wasm_v128_load(x + i));
      m1 = wasm_f32x4_pmax(m1, wasm_v128_load(x + i + 4));
    }
    m0 = wasm_f32x4_pmax(m0, m1);
    for (int j = 0; j < 4; j++) {
      float v = j == 0   ? wasm_f32x4_extract_lane(m0, 0)
                : j == 1 ? wasm_f32x4_extract_lane(m0, 1)
                : j == 2 ? wasm_f32x4_extract_lane(m0, 2)
                         : wasm_f32x4_extract_lane(m0, 3);
      if (v > m) m = v;
    }
  }
#endif
  for (; i < n; i++)
    if (x[i] > m) m = x[i];
  return m;
}

float arag_sum_f32(const float *x, size_t n) {
  size_t i = 0;
#if ARAG_HAVE_SIMD
  v128_t a0 = wasm_f32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
  for (; i + 16 <= n; i += 16) {
    a0 = wasm_f32x4_add(a0, wasm_v128_load(x + i));
    a1 = wasm_f32x4_add(a1, wasm_v128_load(x + i + 4));
    a2 = wasm_f32x4_add(a2, wasm_v128_load(x + i + 8));
    a3 = wasm_f32x4_add(a3, wasm_v128_load(x + i + 12));
  }
  v128_t s4 = wasm_f32x4_add(wasm_f32x4_add(a0, a1), wasm_f32x4_add(a2, a3));
  float s = wasm_f32x4_extract_lane(s4, 0) + wasm_f32x4_extract_lane(s4, 1) +
            wasm_f32x4_extract_lane(s4, 2) + wasm_f32x4_extract_lane(s4, 3);
#else
  float acc[16] = {0};
  for (; i + 16 <= n; i += 16)
    for (int j = 0; j < 16; j++) acc[j] += x[i + j];
  float s = 0;
  for (int j = 0; j < 16; j++) s += acc[j];
#endif
  for (; i < n; i++) s += x[i];
  return s;
}
