#include "term_df.h"

#include <stdlib.h>
#include <string.h>

static int is_term_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

uint32_t arag_title_terms_at(const arag_item *it, uint64_t *keys, uint32_t *at, uint32_t *len_out) {
  const char *s = it && it->title ? it->title : "";
  uint32_t n = 0;
  size_t i = 0;
  while (s[i] && n < ARAG_TERM_MAX) {
    while (s[i] && !is_term_byte((unsigned char)s[i])) i++;
    uint64_t h = 0xcbf29ce484222325ull;
    size_t start = i, len = 0;
    for (; s[i] && is_term_byte((unsigned char)s[i]); i++, len++) {
      unsigned char c = (unsigned char)s[i];
      if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
      h ^= c;
      h *= 0x100000001b3ull;
    }
    if (len < 2) continue;
    if (!h) h = 1;
    int dup = 0;
    for (uint32_t k = 0; k < n && !dup; k++) dup = keys[k] == h;
    if (dup) continue;
    if (at) at[n] = (uint32_t)start;
    if (len_out) len_out[n] = (uint32_t)len;
    keys[n++] = h;
  }
  return n;
}

uint32_t arag_title_terms(const arag_item *it, uint64_t *keys) {
  return arag_title_terms_at(it, keys, NULL, NULL);
}

static uint32_t slot_of(uint64_t key, uint32_t cap) {
  uint64_t h = key * 0x9e3779b97f4a7c15ull;
  return (uint32_t)(h >> 32) & (cap - 1);
}

void arag_term_df_free(arag_term_df *t) {
  free(t->key);
  free(t->n);
  memset(t, 0, sizeof *t);
}

int arag_term_df_reserve(arag_term_df *t, uint32_t more) {
  if (((uint64_t)t->used + more) * 2 <= t->cap) return 1;
  /* Growing: keys whose count fell to zero (words of removed items) are dropped
   * here, so a catalog that churns through new words keeps a table sized by the
   * words it holds now. */
  uint32_t live = 0;
  for (uint32_t i = 0; i < t->cap; i++) live += t->key[i] && t->n[i];
  uint64_t need = (uint64_t)live + more;
  uint64_t cap = 64;
  while (cap < need * 2) cap *= 2;
  if (cap > (1u << 30)) return 0;
  uint64_t *key = calloc(cap, sizeof *key);
  uint32_t *n = calloc(cap, sizeof *n);
  if (!key || !n) {
    free(key);
    free(n);
    return 0;
  }
  for (uint32_t i = 0; i < t->cap; i++) {
    if (!t->key[i] || !t->n[i]) continue;
    uint32_t j = slot_of(t->key[i], (uint32_t)cap);
    while (key[j]) j = (j + 1) & (uint32_t)(cap - 1);
    key[j] = t->key[i];
    n[j] = t->n[i];
  }
  free(t->key);
  free(t->n);
  t->key = key;
  t->n = n;
  t->cap = (uint32_t)cap;
  t->used = live;
  return 1;
}

static void add(arag_term_df *t, uint64_t key, int sign) {
  if (!t->cap) return;
  uint32_t j = slot_of(key, t->cap);
  while (t->key[j] && t->key[j] != key) j = (j + 1) & (t->cap - 1);
  if (!t->key[j]) {
    if (sign < 0 || (uint64_t)(t->used + 1) * 2 > t->cap) return; /* not reserved */
    t->key[j] = key;
    t->used++;
  }
  if (sign > 0)
    t->n[j]++;
  else if (t->n[j])
    t->n[j]--;
}

void arag_term_df_bump(arag_term_df *t, uint64_t key) { add(t, key, +1); }

void arag_term_df_count(arag_term_df *t, const arag_item *it, int sign) {
  uint64_t keys[ARAG_TERM_MAX];
  uint32_t m = arag_title_terms(it, keys);
  for (uint32_t k = 0; k < m; k++) add(t, keys[k], sign);
  if (sign > 0)
    t->docs++;
  else if (t->docs)
    t->docs--;
}

uint32_t arag_term_df_get(const arag_term_df *t, uint64_t key) {
  if (!t->cap) return 0;
  uint32_t j = slot_of(key, t->cap);
  while (t->key[j]) {
    if (t->key[j] == key) return t->n[j];
    j = (j + 1) & (t->cap - 1);
  }
  return 0;
}

size_t arag_term_df_bytes(const arag_term_df *t) {
  return (size_t)t->cap * (sizeof *t->key + sizeof *t->n);
}
