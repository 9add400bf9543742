/* Offline reasoner: text features of one item (no allocation). Keys are 64-bit
 * FNV-1a hashes of normalized strings, so matching is a comparison of integers.
 *   - brand: item->brand, else a phrase the catalog supports at the start of the title
 *     (brands.h); its key is arag_brand_key of the name as shown (at most
 *     RS_BRAND_BYTES, cut at a word boundary).
 *   - category path prefixes: cat_h[d] is the key of categories[0..d].
 *   - title keywords: distinct lower-cased words of the title, without function,
 *     joining and measure words (words.h), words with digits and the brand's words. */
#ifndef ARAG_REASONER_TEXT_H
#define ARAG_REASONER_TEXT_H

#include "brands.h"
#include "model.h"
#include <stddef.h>
#include <stdint.h>

#define RS_MAX_CAT 8
#define RS_MAX_TOK 24
#define RS_MAX_WORD 40
#define RS_LEAD 4
#define RS_BRAND_BYTES 60

typedef struct rs_span {
  const char *s;
  uint32_t len;
} rs_span;

typedef struct rs_feat {
  uint64_t id_h;
  uint64_t brand_h; /* 0: no brand */
  rs_span brand;    /* the name as shown (into the item's brand or title) */
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
/* Key of a category path prefix (case-insensitive, trimmed), chained from parent. */
uint64_t rs_cat_key(uint64_t parent, const char *s, size_t n);

/* bs: the catalog's brand statistics for items whose brand the session has not
 * resolved (NULL: none). */
void rs_item_features(const arag_item *it, const arag_brand_stats *bs, rs_feat *f);
/* Bytes of s[0 .. n) kept when cut to at most max at a word boundary. */
uint32_t rs_cut_words(const char *s, uint32_t n, uint32_t max);

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
