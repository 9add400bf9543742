/* Scoring kernels of the flat index: f32 dot products and int8 dot products
 * over rows laid out contiguously with a padded stride, plus quantization.
 *
 * Two implementations of each scan: a scalar one (plain C, always built) and a
 * SIMD128 one (only under __wasm_simd128__). The f32 kernels accumulate in the
 * same order in both (16 lanes as four 4-wide accumulators, block b into
 * accumulator b % 4, then the same reduction tree), so without FMA contraction
 * (WebAssembly has none) they give bit-identical scores; the int8 kernels sum
 * exact integers. Natively the scalar code is the reference and, built with
 * -O3 -march=native, the compiler vectorizes the 16 independent lanes.
 *
 * Rows are read one at a time, front to back (a scan that interleaves several
 * rows per pass loses bandwidth once the data leaves the cache). */
#ifndef ARAG_KERNELS_H
#define ARAG_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __wasm_simd128__
#define ARAG_HAVE_SIMD 1
#else
#define ARAG_HAVE_SIMD 0
#endif

/* a and b: n floats, n a multiple of 4, 16-byte aligned. */
float arag_dot_f32_scalar(const float *a, const float *b, uint32_t n);
/* row: n int8, q: n int16 (values in -127..127), n a multiple of 16, aligned. */
int32_t arag_dot_i8_scalar(const int8_t *row, const int16_t *q, uint32_t n);

/* scores[i] = dot(rows + i*stride, q) over n (<= stride) padded values. */
void arag_scan_f32_scalar(const float *rows, size_t stride, uint32_t count, const float *q,
                          uint32_t n, float *scores);
/* scores[i] = dot_i8(row i, q) * scales[i] * qscale. */
void arag_scan_i8_scalar(const int8_t *rows, size_t stride, uint32_t count, const float *scales,
                         const int16_t *q, float qscale, uint32_t n, float *scores);

#if ARAG_HAVE_SIMD
float arag_dot_f32_simd(const float *a, const float *b, uint32_t n);
int32_t arag_dot_i8_simd(const int8_t *row, const int16_t *q, uint32_t n);
void arag_scan_f32_simd(const float *rows, size_t stride, uint32_t count, const float *q,
                        uint32_t n, float *scores);
void arag_scan_i8_simd(const int8_t *rows, size_t stride, uint32_t count, const float *scales,
                       const int16_t *q, float qscale, uint32_t n, float *scores);
#endif

/* Symmetric quantization of n floats to int8 in -127..127 (scale = max|x| / 127,
 * 0 for an all-zero vector). Writes out[0..n) and returns the scale. */
float arag_quantize_i8(const float *x, uint32_t n, int8_t *out);
/* The same for a query, into int16 lanes (for i32x4.dot_i16x8) with values in
 * -levels..levels (levels <= 32767): a finer grid than the rows' removes most of
 * the query's share of the quantization error. */
float arag_quantize_i16q(const float *x, uint32_t n, uint32_t levels, int16_t *out);
/* The largest query levels for rows of n int8 values such that an int8 x int16
 * dot product of n terms cannot overflow int32: min(32767, INT32_MAX / (127 n)). */
uint32_t arag_query_levels(uint32_t n);

/* Largest of n floats (-INFINITY for n = 0; inputs are never NaN). SIMD when
 * available: the search uses it to skip a chunk of scores that cannot enter
 * the current top-k. */
float arag_max_f32(const float *x, uint32_t n);

/* Sum of n floats (a bandwidth probe for benchmarks; SIMD when available). */
float arag_sum_f32(const float *x, size_t n);

#endif
