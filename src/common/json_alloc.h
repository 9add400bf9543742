/* cJSON's allocator. cJSON.c is compiled with malloc=arag_json_malloc (CMakeLists.txt):
 * plain malloc that counts its failures, because cJSON answers NULL both for text
 * that is not JSON and for a parse that ran out of memory. A caller compares the
 * count before and after a parse that failed to tell the two apart. */
#ifndef ARAG_JSON_ALLOC_H
#define ARAG_JSON_ALLOC_H

#include <stddef.h>

void *arag_json_malloc(size_t n);
/* Allocation failures of cJSON on this thread so far. */
unsigned long arag_json_alloc_failures(void);

#endif
