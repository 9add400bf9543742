/* Helpers shared by the native command-line tools: a monotonic clock in
 * milliseconds, reading a whole file into a NUL-terminated buffer, and where data
 * sets are. */
#ifndef ARAG_TOOL_UTIL_H
#define ARAG_TOOL_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The file's bytes plus a NUL (caller frees) and their count in *len; NULL when
 * the file cannot be opened or read. */
static inline char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  if (n < 0) {
    fclose(f);
    return NULL;
  }
  char *p = (char *)malloc((size_t)n + 1);
  if (!p || fread(p, 1, (size_t)n, f) != (size_t)n) {
    free(p);
    fclose(f);
    return NULL;
  }
  p[n] = 0;
  fclose(f);
  *len = (size_t)n;
  return p;
}

/* The folder of data set `name` under $ARAG_DATA_ROOT (default "data": run the tools
 * from the repository root). */
static inline const char *data_set_dir(const char *name, char *buf, size_t size) {
  const char *root = getenv("ARAG_DATA_ROOT");
  snprintf(buf, size, "%s/%s", root && *root ? root : "data", name);
  return buf;
}

#endif
