/* Helpers shared by the C tests (header-only): a xorshift64 generator whose
 * state each test file owns (so each keeps its own fixed sequence), uniform
 * floats in [-1, 1), reading a whole data file, and where data sets are. */
#ifndef ARAG_TEST_UTIL_H
#define ARAG_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static inline uint32_t test_rnd(uint64_t *state) {
  *state ^= *state << 13;
  *state ^= *state >> 7;
  *state ^= *state << 17;
  return (uint32_t)(*state >> 32);
}

static inline float test_frand(uint64_t *state) {
  return (float)((test_rnd(state) >> 8) * (1.0 / 16777216.0) * 2.0 - 1.0);
}

/* The file's bytes plus a NUL (caller frees) and their count in *len, or NULL. */
static inline char *test_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = n >= 0 ? (char *)malloc((size_t)n + 1) : NULL;
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (buf) {
    buf[n] = '\0';
    *len = (size_t)n;
  }
  return buf;
}

/* The path of `file` in data set `name` under $ARAG_DATA_ROOT (default "data", relative
 * to the repository root, where ctest runs the tests). */
static inline const char *test_data_path(const char *name, const char *file, char *buf,
                                         size_t size) {
  const char *root = getenv("ARAG_DATA_ROOT");
  snprintf(buf, size, "%s/%s/%s", root && *root ? root : "data", name, file);
  return buf;
}

#endif
