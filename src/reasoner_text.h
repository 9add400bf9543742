/* Offline reasoner: text features of one item (no allocation). Keys are 64-bit
 * FNV-1a hashes of normalized strings, so matching is a comparison of integers.
 *   - brand: item->brand, else the leading word of the title when it looks like
 *     a name (capitalized or non-Latin, not a number, not a common word). The key
 *     is the first significant word of the brand, lower-cased, letters and digits
 *     only: "Maybelline New York" and a title "Maybelline Expert Wear ..." share it.
 *   - category path prefixes: cat_h[d] is the key of categories[0..d].
 *   - title keywords: distinct lower-cased words of the title, without stop words,
 *     numbers, units and the brand word. */
#ifndef ARAG_REASONER_TEXT_H
#define ARAG_REASONER_TEXT_H

#include "model.h"
#include <stddef.h>
#include <stdint.h>

#define RS_MAX_CAT 8
#define RS_MAX_TOK 24
#define RS_MAX_WORD 40
#define RS_LEAD 4

typedef struct rs_span {
  const char *s;
  uint32_t len;
} rs_span;

typedef struct rs_feat {
  uint64_t id_h;
  uint64_t brand_h; /* 0: no brand */
  rs_span brand;    /* display (into the item) */
  uint64_t cat_h[RS_MAX_CAT];
  uint32_t n_cat;
  uint64_t tok_h[RS_MAX_TOK];
  rs_span tok[RS_MAX_TOK]; /* display (into the item title) */
  uint32_t n_tok;
  uint64_t lead_h[RS_LEAD]; /* the title's first words (any), for product-line matches */
  uint32_t n_lead;
  uint32_t n_lead_brand; /* leading title words that are words of the brand field */
} rs_feat;

uint64_t rs_hash(const char *s, size_t n);
/* Key of a word: lower-cased ASCII letters and digits and all non-ASCII bytes; 0 if empty. */
uint64_t rs_word_key(const char *s, size_t n);
/* Brand key of a brand string: key of its first significant word. */
uint64_t rs_brand_key(const char *s, size_t n, rs_span *word);
/* Key of a category path prefix (case-insensitive, trimmed), chained from parent. */
uint64_t rs_cat_key(uint64_t parent, const char *s, size_t n);

void rs_item_features(const arag_item *it, rs_feat *f);

/* Number of leading equal category keys. */
static inline uint32_t rs_shared_depth(const uint64_t *a, uint32_t na, const uint64_t *b,
                                       uint32_t nb) {
  uint32_t d = 0;
  while (d < na && d < nb && a[d] == b[d]) d++;
  return d;
}

/* Category evidence of a shared prefix of depth d for a path of length n: 0 for
 * no match or only the root, 1 for the full path; deeper levels count more. */
static inline float rs_depth_score(uint32_t d, uint32_t n) {
  if (d <= 1 || n <= 1) return 0.0f;
  return (float)(d - 1) / (float)(n - 1);
}

/* Dot product of n floats (any alignment). */
float rs_dot(const float *a, const float *b, uint32_t n);

#endif
