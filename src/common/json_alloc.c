#include "json_alloc.h"

#include <stdlib.h>

static _Thread_local unsigned long failures;

void *arag_json_malloc(size_t n) {
  void *p = malloc(n);
  if (!p) failures++;
  return p;
}

unsigned long arag_json_alloc_failures(void) { return failures; }
