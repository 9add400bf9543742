/* Document frequencies of title terms over a catalog: term key -> number of
 * items whose title holds the term. The offline reasoner weighs shared title
 * words by their rarity in the catalog (an inverse document frequency), so "HP
 * 65" or "retinol" count for more than "black" or "cream".
 *
 * Open addressing over 64-bit keys; counts fall to zero but keys stay until the
 * table next grows (then they are dropped), so removal never moves entries.
 * Growth happens only in reserve(), so a caller can reserve, then apply a whole
 * batch with no failure path. */
#ifndef ARAG_TERM_DF_H
#define ARAG_TERM_DF_H

#include "model.h"
#include <stddef.h>
#include <stdint.h>

/* At most this many distinct terms of one title count. */
#define ARAG_TERM_MAX 32

typedef struct arag_term_df {
  uint64_t *key; /* 0: empty */
  uint32_t *n;
  uint32_t cap; /* 0 or a power of two */
  uint32_t used;
  uint32_t docs; /* items counted */
} arag_term_df;

/* Distinct term keys of an item's title (lower-cased words of ASCII letters,
 * digits and non-ASCII bytes, two bytes or more), at most ARAG_TERM_MAX, in
 * title order. Returns their number. */
uint32_t arag_title_terms(const arag_item *it, uint64_t *keys);
/* The same, with each term's byte offset and length in the title in `at` and
 * `len` (each when not NULL). */
uint32_t arag_title_terms_at(const arag_item *it, uint64_t *keys, uint32_t *at, uint32_t *len);

void arag_term_df_free(arag_term_df *t);
/* Room for `more` new keys at a load factor <= 1/2; 0 when out of memory (unchanged).
 * May move entries: not while a batch is being applied. */
int arag_term_df_reserve(arag_term_df *t, uint32_t more);
/* Counts an item in (sign +1) or out (-1). Adding needs reserved room for its
 * terms; it never allocates. */
void arag_term_df_count(arag_term_df *t, const arag_item *it, int sign);
/* Adds 1 to one key's count (reserved room needed for a new key). */
void arag_term_df_bump(arag_term_df *t, uint64_t key);
/* Items holding the term (0 when unknown). */
uint32_t arag_term_df_get(const arag_term_df *t, uint64_t key);
size_t arag_term_df_bytes(const arag_term_df *t);

#endif
