/* A read-bandwidth probe for the benchmarks: the sum of n floats, read once
 * front to back with the same SIMD loads as the scoring kernels. */
#include "kernels.h"

#include <stddef.h>

float arag_bench_read_sum(const float *buf, size_t n);
float arag_bench_read_sum(const float *buf, size_t n) { return buf ? arag_sum_f32(buf, n) : 0.0f; }
