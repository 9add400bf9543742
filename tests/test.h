/* Minimal test harness: CHECK records a failure and goes on; each test file's main
 * calls RUN(test_fn) and returns test_report(). ctest reads the exit code. A test
 * that cannot run here (an optional data set is absent) says why with TEST_SKIP and
 * returns; RUN then prints SKIP for it. */
#ifndef ARAG_TEST_H
#define ARAG_TEST_H
#include <math.h>
#include <stdio.h>
#include <string.h>

static int test_failures;
static int test_checks;
static int test_skipped;

#define TEST_SKIP(...)                                                                             \
  do {                                                                                             \
    test_skipped = 1;                                                                              \
    fprintf(stderr, "  skipped: ");                                                                \
    fprintf(stderr, __VA_ARGS__);                                                                  \
    fputc('\n', stderr);                                                                           \
  } while (0)

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    test_checks++;                                                                                 \
    if (!(cond)) {                                                                                 \
      test_failures++;                                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                     \
    }                                                                                              \
  } while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
  do {                                                                                             \
    long long va_ = (long long)(a), vb_ = (long long)(b);                                          \
    test_checks++;                                                                                 \
    if (va_ != vb_) {                                                                              \
      test_failures++;                                                                             \
      fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, #a, #b, va_,   \
              vb_);                                                                                \
    }                                                                                              \
  } while (0)

#define CHECK_NEAR(a, b, eps)                                                                      \
  do {                                                                                             \
    double va_ = (double)(a), vb_ = (double)(b);                                                   \
    test_checks++;                                                                                 \
    if (!(fabs(va_ - vb_) <= (eps))) {                                                             \
      test_failures++;                                                                             \
      fprintf(stderr, "%s:%d: %s ~= %s failed: %g vs %g\n", __FILE__, __LINE__, #a, #b, va_, vb_); \
    }                                                                                              \
  } while (0)

static inline const char *test_verdict_(int failed) {
  return failed ? "FAIL" : test_skipped ? "SKIP" : "ok  ";
}

#define RUN(fn)                                                                                    \
  do {                                                                                             \
    int before_ = test_failures;                                                                   \
    test_skipped = 0;                                                                              \
    fn();                                                                                          \
    fprintf(stderr, "%s %s\n", test_verdict_(test_failures != before_), #fn);                      \
  } while (0)

static inline int test_report(void) {
  fprintf(stderr, "%d checks, %d failed\n", test_checks, test_failures);
  return test_failures ? 1 : 0;
}
#endif
