/* String-keyed open-addressing hash map (see strmap.h). */
#include "strmap.h"

#include <stdlib.h>
#include <string.h>

uint32_t arag_strmap_hash(const char *key, size_t len) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < len; i++) h = (h ^ (uint8_t)key[i]) * 0x100000001b3ULL;
  h ^= h >> 32;
  return (uint32_t)h;
}

void arag_strmap_free(arag_strmap *m) {
  free(m->slots);
  m->slots = NULL;
  m->cap = m->count = 0;
}

static size_t find(const arag_strmap *m, const char *key, size_t len, uint32_t h, int *found) {
  size_t mask = m->cap - 1, i = h & mask;
  for (;;) {
    const arag_strmap_slot *s = &m->slots[i];
    if (!s->key) {
      *found = 0;
      return i;
    }
    if (s->hash == h && s->key_len == len && memcmp(s->key, key, len) == 0) {
      *found = 1;
      return i;
    }
    i = (i + 1) & mask;
  }
}

int arag_strmap_reserve(arag_strmap *m, size_t n) {
  size_t cap = m->cap ? m->cap : 16;
  while (cap * 3 < n * 4 + 4) cap <<= 1; /* load <= 0.75 */
  if (cap == m->cap) return 0;
  arag_strmap_slot *slots = (arag_strmap_slot *)calloc(cap, sizeof(*slots));
  if (!slots) return -1;
  arag_strmap old = *m;
  m->slots = slots;
  m->cap = cap;
  for (size_t i = 0; i < old.cap; i++) {
    if (!old.slots[i].key) continue;
    int found;
    size_t j = find(m, old.slots[i].key, old.slots[i].key_len, old.slots[i].hash, &found);
    m->slots[j] = old.slots[i];
  }
  free(old.slots);
  return 0;
}

void *arag_strmap_get(const arag_strmap *m, const char *key, size_t len) {
  if (!m->cap) return NULL;
  int found;
  size_t i = find(m, key, len, arag_strmap_hash(key, len), &found);
  return found ? m->slots[i].value : NULL;
}

int arag_strmap_put(arag_strmap *m, const char *key, size_t len, void *value, void **old) {
  if (old) *old = NULL;
  if (arag_strmap_reserve(m, m->count + 1) != 0) return -1;
  uint32_t h = arag_strmap_hash(key, len);
  int found;
  size_t i = find(m, key, len, h, &found);
  if (found) {
    if (old) *old = m->slots[i].value;
  } else {
    m->count++;
  }
  m->slots[i].key = key;
  m->slots[i].key_len = (uint32_t)len;
  m->slots[i].hash = h;
  m->slots[i].value = value;
  return 0;
}

void *arag_strmap_remove(arag_strmap *m, const char *key, size_t len) {
  if (!m->cap) return NULL;
  int found;
  size_t i = find(m, key, len, arag_strmap_hash(key, len), &found);
  if (!found) return NULL;
  void *value = m->slots[i].value;
  size_t mask = m->cap - 1, j = i;
  /* Backward-shift: move later entries of the probe run into the hole. */
  for (;;) {
    j = (j + 1) & mask;
    if (!m->slots[j].key) break;
    size_t home = m->slots[j].hash & mask;
    /* Entry j may move to i if i lies cyclically in [home, j). */
    int movable = (i <= j) ? (home <= i || home > j) : (home <= i && home > j);
    if (movable) {
      m->slots[i] = m->slots[j];
      i = j;
    }
  }
  memset(&m->slots[i], 0, sizeof(m->slots[i]));
  m->count--;
  return value;
}
