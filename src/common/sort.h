/* Typed stable sorts with the comparison inlined.
 *
 * ARAG_DEFINE_SORT(name, T, cmp) defines `static void name(T *a, size_t n)`, where
 * `cmp(const T *, const T *)` returns < 0 when its first argument goes first. The
 * libc qsort of Emscripten and wasi-libc (musl's smoothsort) calls the comparator
 * through a pointer and moves elements with memcpy; it took a tenth of an offline
 * recommendation. This is insertion sort on runs of 16, then bottom-up merges
 * through one scratch array; when that cannot be allocated, insertion sort over the
 * whole array (slower, same result). Stable, so even comparators that tie give the
 * same order on every target (glibc's qsort and musl's do not agree on ties). */
#ifndef ARAG_SORT_H
#define ARAG_SORT_H

#include <stdlib.h>
#include <string.h>

#define ARAG_SORT_RUN 16

#define ARAG_DEFINE_SORT(name, T, cmp)                                                             \
  static void name##_insertion(T *a, size_t n) {                                                   \
    for (size_t i = 1; i < n; i++) {                                                               \
      T v = a[i];                                                                                  \
      size_t j = i;                                                                                \
      for (; j > 0 && cmp(&v, &a[j - 1]) < 0; j--) a[j] = a[j - 1];                                \
      a[j] = v;                                                                                    \
    }                                                                                              \
  }                                                                                                \
  static void name(T *a, size_t n) {                                                               \
    T *tmp = n > ARAG_SORT_RUN ? (T *)malloc(n * sizeof *tmp) : NULL;                              \
    if (!tmp) {                                                                                    \
      name##_insertion(a, n);                                                                      \
      return;                                                                                      \
    }                                                                                              \
    for (size_t lo = 0; lo < n; lo += ARAG_SORT_RUN)                                               \
      name##_insertion(a + lo, n - lo < ARAG_SORT_RUN ? n - lo : ARAG_SORT_RUN);                   \
    T *src = a, *dst = tmp;                                                                        \
    for (size_t w = ARAG_SORT_RUN; w < n; w *= 2) {                                                \
      for (size_t lo = 0; lo < n; lo += 2 * w) {                                                   \
        size_t mid = n - lo > w ? lo + w : n, hi = n - lo > 2 * w ? lo + 2 * w : n;                \
        size_t i = lo, j = mid, k = lo;                                                            \
        while (i < mid && j < hi) dst[k++] = cmp(&src[j], &src[i]) < 0 ? src[j++] : src[i++];      \
        while (i < mid) dst[k++] = src[i++];                                                       \
        while (j < hi) dst[k++] = src[j++];                                                        \
      }                                                                                            \
      T *t = src;                                                                                  \
      src = dst;                                                                                   \
      dst = t;                                                                                     \
    }                                                                                              \
    if (src != a) memcpy(a, src, n * sizeof *a);                                                   \
    free(tmp);                                                                                     \
  }

#endif
