#include "variants.h"

#include "hash.h"
#include "words.h"

#include <stdlib.h>
#include <string.h>

#define MAX_TOKENS 48

typedef struct token {
  const char *s;
  uint32_t n;
  uint64_t key;
} token;

/* The title's words (arag_next_word) that have a key. */
static uint32_t tokens_of(const char *s, size_t n, token *t, uint32_t max) {
  uint32_t m = 0;
  size_t pos = 0, len;
  const char *w;
  while (m < max && arag_next_word(s, n, &pos, &w, &len)) {
    uint64_t k = rs_word_key(w, len);
    if (k) t[m++] = (token){w, (uint32_t)len, k};
  }
  return m;
}

/* The letters after a token's leading digits and number punctuation ("16oz": "oz",
 * "3-pack": "pack", "5.07": ""); NULL when the token does not start with a digit. */
static const char *unit_of(const token *t, uint32_t *len) {
  uint32_t i = 0;
  if (!(t->s[0] >= '0' && t->s[0] <= '9')) return NULL;
  while (i < t->n &&
         ((t->s[i] >= '0' && t->s[i] <= '9') || t->s[i] == '.' || t->s[i] == ',' || t->s[i] == '-'))
    i++;
  *len = t->n - i;
  return t->s + i;
}

static int measure(const token *t) {
  return (arag_word_class(t->s, t->n) & ARAG_WORD_MEASURE) != 0;
}

static int u64_cmp(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

void arag_variant_key_of(const arag_item *it, const rs_feat *f, arag_variant_key *k) {
  memset(k, 0, sizeof *k);
  k->id = f->id_h;
  if (it->group && it->group[0]) k->group = rs_hash(it->group, strlen(it->group));
  k->brand = f->brand_h;
  if (it->n_categories) {
    uint64_t h = ARAG_FNV64_OFFSET;
    for (uint32_t d = 0; d < it->n_categories; d++) {
      const char *c = it->categories[d] ? it->categories[d] : "";
      h = arag_fnv1a64(c, strlen(c) + 1, h); /* the NUL separates the levels */
    }
    k->path = h ? h : 1;
  }
  token bt[16], t[MAX_TOKENS];
  uint32_t nb = f->brand_h ? tokens_of(f->brand.s, f->brand.len, bt, 16) : 0;
  const char *title = it->title ? it->title : "";
  uint32_t m = tokens_of(title, strlen(title), t, MAX_TOKENS);
  for (uint32_t i = 0; i < m && k->n < ARAG_VARIANT_WORDS; i++) {
    if (t[i].n < 2) continue;
    int skip = 0;
    for (uint32_t j = 0; j < nb && !skip; j++) skip = bt[j].key == t[i].key;
    uint32_t ul = 0;
    const char *unit = unit_of(&t[i], &ul);
    if (unit) {
      /* A size or count: written with its unit, or next to a measure word or after "of"
       * or "x"; a model number ("65") stays. */
      if (ul)
        skip |= (arag_word_class(unit, ul) & ARAG_WORD_MEASURE) != 0;
      else
        skip |=
            (i + 1 < m && measure(&t[i + 1])) ||
            (i > 0 && (measure(&t[i - 1]) || (t[i - 1].n == 2 && !memcmp(t[i - 1].s, "of", 2)) ||
                       (t[i - 1].n == 1 && (t[i - 1].s[0] == 'x' || t[i - 1].s[0] == 'X'))));
    } else {
      skip |= (arag_word_class(t[i].s, t[i].n) & (ARAG_WORD_FUNCTION | ARAG_WORD_JOINING |
                                                  ARAG_WORD_MEASURE | ARAG_WORD_COLOUR)) != 0;
    }
    for (uint32_t j = 0; j < k->n && !skip; j++) skip = k->w[j] == t[i].key;
    if (!skip) k->w[k->n++] = t[i].key;
  }
  qsort(k->w, k->n, sizeof k->w[0], u64_cmp);
}

int arag_variants(const arag_variant_key *a, const arag_variant_key *b) {
  if (a->id == b->id) return 1;
  if (a->group && b->group) return a->group == b->group;
  if (a->brand != b->brand) return 0;
  if (a->path && b->path && a->path != b->path) return 0;
  if (!a->n || !b->n) return 0;
  uint32_t i = 0, j = 0, common = 0;
  while (i < a->n && j < b->n) {
    if (a->w[i] == b->w[j])
      common++, i++, j++;
    else if (a->w[i] < b->w[j])
      i++;
    else
      j++;
  }
  uint32_t only_a = a->n - common, only_b = b->n - common;
  if (!only_a && !only_b) return 1;
  uint32_t apart = only_a > only_b ? only_a : only_b;
  return common >= 2 && apart <= 2 && common >= apart;
}
