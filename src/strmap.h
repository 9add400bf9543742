/* Open-addressing hash map from byte-string keys to pointers (src/strmap.c),
 * used by the catalog and the history. The map does not own keys or values:
 * each key must stay valid while it is in the map (it usually points into the
 * value). Linear probing, backward-shift deletion, no tombstones. */
#ifndef ARAG_STRMAP_H
#define ARAG_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct arag_strmap_slot {
  const char *key; /* NULL: empty */
  uint32_t key_len;
  uint32_t hash;
  void *value;
} arag_strmap_slot;

typedef struct arag_strmap {
  arag_strmap_slot *slots;
  size_t cap; /* power of two, or 0 */
  size_t count;
} arag_strmap;

uint32_t arag_strmap_hash(const char *key, size_t len);
void arag_strmap_free(arag_strmap *m);
/* Makes room for n entries in total, so that n - count puts cannot fail. 0 / -1 (NOMEM). */
int arag_strmap_reserve(arag_strmap *m, size_t n);
void *arag_strmap_get(const arag_strmap *m, const char *key, size_t len);
/* Insert or replace; returns the previous value (NULL if none) in *old. 0 / -1 (NOMEM). */
int arag_strmap_put(arag_strmap *m, const char *key, size_t len, void *value, void **old);
/* Removes the key; returns its value or NULL. */
void *arag_strmap_remove(arag_strmap *m, const char *key, size_t len);

#endif
