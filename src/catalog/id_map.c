/* String id -> value hash map (see id_map.h). */
#include "id_map.h"

#include "hash.h"

#include <stdlib.h>
#include <string.h>

uint32_t arag_id_hash(const char *key, size_t len) {
  /* FNV-1a 32 with a final avalanche (murmur3 fmix32) so low bits spread. */
  uint32_t h = arag_fnv1a32(key, len);
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

void arag_id_map_init(arag_id_map *m) { memset(m, 0, sizeof *m); }

void arag_id_map_free(arag_id_map *m) {
  free(m->e);
  arag_id_map_init(m);
}

static void put(arag_id_entry *e, uint32_t cap, const arag_id_entry *x) {
  uint32_t mask = cap - 1, i = x->hash & mask;
  while (e[i].key) i = (i + 1) & mask;
  e[i] = *x;
}

static uint64_t cap_for(uint32_t cap, uint32_t n) {
  uint64_t c = cap ? cap : 16;
  while (c / 2 < n) c *= 2;
  return c;
}

size_t arag_id_map_bytes_for(uint32_t n) {
  return n ? (size_t)cap_for(0, n) * sizeof(arag_id_entry) : 0;
}

int arag_id_map_reserve(arag_id_map *m, uint32_t n) {
  if (n <= m->cap / 2) return 1;
  uint64_t cap = cap_for(m->cap, n);
  if (cap > (1ull << 31) || cap > (uint64_t)((size_t)-1 / sizeof(arag_id_entry))) return 0;
  arag_id_entry *e = calloc((size_t)cap, sizeof *e);
  if (!e) return 0;
  for (uint32_t i = 0; i < m->cap; i++)
    if (m->e[i].key) put(e, (uint32_t)cap, &m->e[i]);
  free(m->e);
  m->e = e;
  m->cap = (uint32_t)cap;
  return 1;
}

static int locate(const arag_id_map *m, const char *key, size_t len, uint32_t *at) {
  if (!m->cap) return 0;
  uint32_t h = arag_id_hash(key, len), mask = m->cap - 1, i = h & mask;
  while (m->e[i].key) {
    const arag_id_entry *x = &m->e[i];
    if (x->hash == h && x->len == len && memcmp(x->key, key, len) == 0) {
      *at = i;
      return 1;
    }
    i = (i + 1) & mask;
  }
  return 0;
}

int arag_id_map_find(const arag_id_map *m, const char *key, size_t len, uint32_t *slot) {
  uint32_t at;
  if (!locate(m, key, len, &at)) return 0;
  if (slot) *slot = m->e[at].v.slot;
  return 1;
}

int arag_id_map_insert(arag_id_map *m, const char *key, uint32_t len, uint32_t slot) {
  if (m->n + 1 > m->cap / 2) return 0;
  arag_id_entry x = {key, len, arag_id_hash(key, len), {.slot = slot}};
  put(m->e, m->cap, &x);
  m->n++;
  return 1;
}

int arag_id_map_insert_new(arag_id_map *m, const char *key, uint32_t len, uint32_t hash,
                           uint32_t slot) {
  if (m->n + 1 > m->cap / 2) return 0;
  uint32_t mask = m->cap - 1, i = hash & mask;
  for (; m->e[i].key; i = (i + 1) & mask) {
    const arag_id_entry *x = &m->e[i];
    if (x->hash == hash && x->len == len && memcmp(x->key, key, len) == 0) return 0;
  }
  m->e[i] = (arag_id_entry){key, len, hash, {.slot = slot}};
  m->n++;
  return 1;
}

int arag_id_map_add_new(arag_id_map *m, const char *key, uint32_t len, uint32_t hash, void *ptr) {
  if (m->n + 1 > m->cap / 2) return 0;
  arag_id_entry x = {key, len, hash, {.ptr = ptr}};
  put(m->e, m->cap, &x);
  m->n++;
  return 1;
}

void *arag_id_map_get(const arag_id_map *m, const char *key, size_t len) {
  uint32_t at;
  return locate(m, key, len, &at) ? m->e[at].v.ptr : NULL;
}

int arag_id_map_put(arag_id_map *m, const char *key, uint32_t len, void *ptr, void **old) {
  uint32_t at;
  if (old) *old = NULL;
  if (locate(m, key, len, &at)) {
    if (old) *old = m->e[at].v.ptr;
    m->e[at].key = key; /* the new value's bytes: the old owner may go away */
    m->e[at].v.ptr = ptr;
    return 1;
  }
  if (m->n + 1 > m->cap / 2) return 0;
  arag_id_entry x = {key, len, arag_id_hash(key, len), {.ptr = ptr}};
  put(m->e, m->cap, &x);
  m->n++;
  return 1;
}

int arag_id_map_remove(arag_id_map *m, const char *key, size_t len) {
  uint32_t i;
  if (!locate(m, key, len, &i)) return 0;
  uint32_t mask = m->cap - 1, j = i;
  /* Backward-shift deletion: pull later entries of the probe run into the hole
   * when their home position does not lie cyclically in (hole, j]. */
  for (;;) {
    j = (j + 1) & mask;
    if (!m->e[j].key) break;
    uint32_t home = m->e[j].hash & mask;
    int between = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
    if (between) continue;
    m->e[i] = m->e[j];
    i = j;
  }
  memset(&m->e[i], 0, sizeof m->e[i]);
  m->n--;
  return 1;
}

void arag_id_map_clear(arag_id_map *m) {
  if (m->e) memset(m->e, 0, (size_t)m->cap * sizeof *m->e);
  m->n = 0;
}

size_t arag_id_map_bytes(const arag_id_map *m) { return (size_t)m->cap * sizeof(arag_id_entry); }
