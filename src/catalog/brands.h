/* Brands. An item's brand is its "brand" field (or the "Brand: X." its text starts with,
 * see item.c) when it has one. Otherwise only a phrase the catalog itself supports at the
 * start of the title is a brand:
 *   - at least two of the catalog's titles start with it;
 *   - it is not made of common words only: for one of its words, at least half of the
 *     titles holding the word start with this phrase ("Neutrogena", "Paper Mate" pass;
 *     "Soft", "Curl", "Nail Polish" do not);
 *   - it is the whole name: not "Bumble" when most titles starting with it go on with a
 *     joining word ("Bumble and Bumble"), not a phrase that nearly all (95%) of its five
 *     or more titles continue alike ("Texas" for "Texas Instruments"), and it neither
 *     starts nor ends with a joining word nor ends with an opening one ("Dr");
 *   - it opens the title: no one-byte word before it ("3 Kojie San ...": none), but for
 *     one an apostrophe joins to it ("L'Oreal").
 * A title's brand is the shortest such phrase, a longer one only past a phrase that is
 * cut short, common or ends with an opening word; a possessive "'s" is part of the name
 * shown ("Palmer's").
 * Title words are the catalog's title terms (term_df.h); the phrases a title starts with
 * are counted in a term table of their own (arag_term_df with lead_phrases set). */
#ifndef ARAG_BRANDS_H
#define ARAG_BRANDS_H

#include "term_df.h"

/* A title's phrases are counted at up to this many levels; a level ends at a word that
 * is not a joining word ("Bumble", "Bumble and Bumble", "Bumble and Bumble Curl"). A
 * brand is at most one level shorter (the last tells whether it is cut short). */
#define ARAG_BRAND_LEVELS 4

/* Keys of the phrases a title starts with: one per level, and for a level that starts
 * with joining words, one for the phrase up to them ("Bumble and"); at most
 * 2 * ARAG_BRAND_LEVELS. None when the title does not start with a word of two bytes or
 * more, or starts with a joining word. */
uint32_t arag_lead_phrases(const char *title, uint64_t *keys);

typedef struct arag_brand_stats {
  const arag_term_df *leads;  /* phrases titles start with */
  const arag_term_df *titles; /* title terms */
} arag_brand_stats;

/* Bytes at the start of the title that name a brand the catalog supports; 0 when none
 * (or bs is NULL). */
uint32_t arag_title_brand(const char *title, const arag_brand_stats *bs);

/* Every phrase at the start of the title that is a brand the catalog supports (the
 * one arag_title_brand gives among them): their ends in bytes, shortest first, at most
 * ARAG_BRAND_LEVELS - 1. A history item of one of these brands carries it. */
uint32_t arag_title_brands(const char *title, const arag_brand_stats *bs, uint32_t *ends);

/* Identity key of a brand name: its words lower-cased, each without a final "s" when
 * longer than three bytes ("Burt's Bees" and "Burts Bees" are one brand); 0 when it has
 * no words. */
uint64_t arag_brand_key(const char *s, size_t n);

#endif
