/* String id -> value hash map (open addressing, linear probing, backward-shift
 * deletion: no tombstones). Keys are not copied: each entry points at bytes the
 * owner keeps alive (the index's id strings, an item's or record's id) until
 * the entry is removed or replaced. The value is a slot number (the index:
 * find/insert) or a pointer (the catalog and the history: get/put); one map
 * uses one kind.
 *
 * Insertions never allocate: call arag_id_map_reserve() first (it is the only
 * call that can fail), so an owner can reserve, then mutate without a failure
 * path that would leave things half changed. */
#ifndef ARAG_ID_MAP_H
#define ARAG_ID_MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct arag_id_entry {
  const char *key; /* NULL: empty */
  uint32_t len;
  uint32_t hash;
  union {
    uint32_t slot;
    void *ptr;
  } v;
} arag_id_entry;

typedef struct arag_id_map {
  arag_id_entry *e;
  uint32_t cap; /* 0 or a power of two */
  uint32_t n;
} arag_id_map;

void arag_id_map_init(arag_id_map *m);
void arag_id_map_free(arag_id_map *m);
/* Room for n entries at a load factor <= 1/2. Returns 0 when out of memory
 * (the map is unchanged). */
int arag_id_map_reserve(arag_id_map *m, uint32_t n);
/* 1 and *slot when found, else 0. */
int arag_id_map_find(const arag_id_map *m, const char *key, size_t len, uint32_t *slot);
/* Adds a key that is not present; requires reserved room (returns 0 otherwise). */
int arag_id_map_insert(arag_id_map *m, const char *key, uint32_t len, uint32_t slot);
/* The same two with the key's hash (arag_id_hash) given, for a caller that adds many
 * keys to more than one map. arag_id_map_insert_new adds the key with a slot in one
 * probe unless it is present (returns 0 then, or without reserved room);
 * arag_id_map_add_new adds a key the caller knows is absent, with a pointer (requires
 * reserved room). */
int arag_id_map_insert_new(arag_id_map *m, const char *key, uint32_t len, uint32_t hash,
                           uint32_t slot);
int arag_id_map_add_new(arag_id_map *m, const char *key, uint32_t len, uint32_t hash, void *ptr);
/* The pointer stored under key, or NULL when absent. */
void *arag_id_map_get(const arag_id_map *m, const char *key, size_t len);
/* Inserts or replaces (key and value); the replaced value (NULL if none) in
 * *old. A new key requires reserved room (returns 0 otherwise); a replacement
 * always succeeds. */
int arag_id_map_put(arag_id_map *m, const char *key, uint32_t len, void *ptr, void **old);
/* Returns 1 when the key was present. */
int arag_id_map_remove(arag_id_map *m, const char *key, size_t len);
/* Empties the map, keeping its table. */
void arag_id_map_clear(arag_id_map *m);
size_t arag_id_map_bytes(const arag_id_map *m);
/* The table bytes arag_id_map_reserve(n) allocates for an empty map. */
size_t arag_id_map_bytes_for(uint32_t n);

uint32_t arag_id_hash(const char *key, size_t len);

#endif
