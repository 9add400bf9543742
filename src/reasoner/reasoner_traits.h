/* Offline reasoner: the trait lines of S_user and S_ctx, written by UUA and CSA and
 * read back by IRA. One trait list per line:
 *   Brands: Maybelline (3 of 9, 41%); OPI (2 of 9, 20%)
 *   Categories: Makeup > Nails > Nail Polish (4 of 9, 52%)
 *   Keywords: polish (4 of 9, 50%); lacquer (2 of 9, 18%)
 *   Session brands: ... / Session categories: ... / Session keywords: ...
 *   Words: polish (41.2%); lacquer (20.3%)   (the history's text profile, see RS_WORDS)
 * The weight of a trait is the percentage when present, else a/b, else 1. Lines
 * with other labels (the readable sentence, the price band) are skipped by the
 * trait reader. A text without any trait line (say, an LLM's prose summary)
 * still yields its words as low-weight keywords. */
#ifndef ARAG_REASONER_TRAITS_H
#define ARAG_REASONER_TRAITS_H

#include "reasoner_text.h"

#define RS_MAX_TRAITS 96

typedef enum rs_trait_kind {
  RS_T_BRAND = 0,
  RS_T_CAT = 1,
  RS_T_KW = 2,
  RS_T_SBRAND = 3,
  RS_T_SCAT = 4,
  RS_T_SKW = 5,
  RS_T_WORD = 6 /* matched by rs_traits_words, not rs_traits_match */
} rs_trait_kind;

typedef struct rs_trait {
  rs_trait_kind kind;
  uint64_t key; /* brand or keyword key */
  uint64_t path[RS_MAX_CAT];
  uint32_t n_path;
  float w;
  rs_span name; /* into the text */
} rs_trait;

typedef struct rs_traits {
  rs_trait v[RS_MAX_TRAITS];
  uint32_t n;
} rs_traits;

void rs_traits_parse(const char *text, rs_traits *t);

typedef struct rs_tmatch {
  float brand, cat, kw, sess;
} rs_tmatch;

/* The traits the candidate's features match, summed by kind (session kinds in sess). */
void rs_traits_match(const rs_traits *t, const rs_feat *f, rs_tmatch *m);

/* A candidate's whole-text terms (keys with unit-vector weights w) dotted with the
 * weights of the Words traits: its cosine with the history's text, cut to the
 * words given. */
float rs_traits_words(const rs_traits *t, const uint64_t *keys, const float *w, uint32_t n);

#endif
