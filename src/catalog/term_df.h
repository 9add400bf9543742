/* Document frequencies of terms over a catalog: term key -> number of items
 * that hold the term, counted over titles (the offline reasoner weighs shared
 * title words by their rarity in the catalog, an inverse document frequency, so
 * "HP 65" or "retinol" count for more than "black" or "cream"), over each
 * item's whole text (title, brand, categories and description: the reasoner's
 * text profile of a whole history), or over the phrases titles start with (what
 * tells a brand in a title, see brands.h).
 *
 * Open addressing over 64-bit keys; counts fall to zero but keys stay until the
 * table next grows (then they are dropped), so removal never moves entries.
 * Growth happens only in reserve(), so a caller can reserve, then apply a whole
 * batch with no failure path.
 *
 * A table read from a catalog snapshot is not built: its entries are looked up where
 * they lie in the snapshot (sorted by key) through a small directory of where each
 * range of keys starts, until the first reserve() builds the hash table (a restored
 * catalog that is only read never builds one). Every change goes through reserve()
 * first: counting an item in or out of a read table without it changes nothing. */
#ifndef ARAG_TERM_DF_H
#define ARAG_TERM_DF_H

#include "model.h"
#include <stddef.h>
#include <stdint.h>

/* At most this many distinct terms of one title count. */
#define ARAG_TERM_MAX 32

/* At most this many distinct terms of one item's whole text count, read from at
 * most ARAG_TEXT_SCAN bytes of its description. */
#define ARAG_TEXT_TERM_MAX 128
#define ARAG_TEXT_SCAN 4096

typedef struct arag_term_df {
  int whole_text;   /* counts arag_text_terms, not arag_title_terms */
  int lead_phrases; /* counts arag_lead_phrases (brands.h) instead */
  uint64_t *key;    /* 0: empty */
  uint32_t *n;
  uint32_t cap; /* 0 or a power of two */
  uint32_t used;
  uint32_t docs; /* items counted */
  /* Read from a snapshot and not changed since (cap 0): n_sorted entries of 12 bytes
   * (u64 key, u32 count, little endian) by ascending key, in bytes the owner keeps;
   * the entries whose key's top dir_bits bits are b lie in [dir[b], dir[b + 1]). */
  const uint8_t *sorted;
  uint32_t n_sorted;
  uint32_t dir_bits;
  uint32_t *dir;
} arag_term_df;

/* Distinct term keys of an item's title (lower-cased words of ASCII letters,
 * digits and non-ASCII bytes, two bytes or more), at most ARAG_TERM_MAX, in
 * title order. Returns their number. */
uint32_t arag_title_terms(const arag_item *it, uint64_t *keys);
/* The same, with each term's byte offset and length in the title in `at` and
 * `len` (each when not NULL). */
uint32_t arag_title_terms_at(const arag_item *it, uint64_t *keys, uint32_t *at, uint32_t *len);
/* A title's words in order, repeats included (the same words as its terms): up
 * to max of them, each with its key, byte offset and length. Returns their number. */
typedef struct arag_word_at {
  uint64_t key;
  uint32_t at, len;
} arag_word_at;
uint32_t arag_title_words(const char *s, size_t n, arag_word_at *w, uint32_t max);
/* Distinct term keys of an item's whole text (title, brand, category path, then
 * the first ARAG_TEXT_SCAN bytes of its description; terms as in titles, less a
 * short list of English function words), at most ARAG_TEXT_TERM_MAX in order of
 * first use, with how often each occurs in `tf`, and, when `at` is not NULL, where
 * each first occurs (at[k], len[k]: into the item's strings). */
uint32_t arag_text_terms(const arag_item *it, uint64_t *keys, uint32_t *tf, const char **at,
                         uint32_t *len);
/* The terms an item counts with in t (up to ARAG_TEXT_TERM_MAX distinct title terms,
 * whole-text terms or the phrases its title starts with), at most ARAG_TEXT_TERM_MAX;
 * tf may be NULL. */
uint32_t arag_term_df_terms(const arag_term_df *t, const arag_item *it, uint64_t *keys,
                            uint32_t *tf);

void arag_term_df_free(arag_term_df *t);
/* Room for `more` new keys at a load factor <= 1/2 (a table read from a snapshot is
 * built here, even for none); 0 when out of memory (unchanged). May move entries: not
 * while a batch is being applied. */
int arag_term_df_reserve(arag_term_df *t, uint32_t more);
/* Counts an item in (sign +1) or out (-1), by the terms arag_term_df_terms gives. Adding needs
 * reserved room for its terms; it never allocates. */
void arag_term_df_count(arag_term_df *t, const arag_item *it, int sign);
/* Adds 1 to one key's count (reserved room needed for a new key). */
void arag_term_df_bump(arag_term_df *t, uint64_t key);
/* Copies the counts src holds for an item's terms (by src's kind) into dst, which
 * takes src's kind and item count (a subset of src that answers every lookup of
 * that item's terms alike). dst needs room reserved for the item's terms. */
void arag_term_df_copy_item(arag_term_df *dst, const arag_term_df *src, const arag_item *it);
/* Items holding the term (0 when unknown). */
uint32_t arag_term_df_get(const arag_term_df *t, uint64_t key);
size_t arag_term_df_bytes(const arag_term_df *t);

/* In a catalog snapshot: u32 docs, u32 n, then n x (u64 key, u32 count), the
 * terms held by at least one item, by ascending key (so a restored table writes
 * the same bytes). write returns 0 when out of memory (w may hold part). read
 * fills an empty table (t->whole_text set by the caller) from r: the entries stay
 * where they lie in r's bytes, which must outlive the table (or its next reserve),
 * and only the directory is allocated, from the budget. ARAG_E_CORRUPT for a zero
 * key, a repeated or unsorted key, a count of zero or above docs, or docs other than
 * n_docs; ARAG_E_LIMIT over the budget; ARAG_E_NOMEM. On error t is empty again and
 * err says why. read_bytes: what read allocates for a table of m entries. */
struct arag_writer;
struct arag_reader;
struct arag_budget;
int arag_term_df_write(const arag_term_df *t, struct arag_writer *w);
size_t arag_term_df_write_bytes(const arag_term_df *t);
arag_status arag_term_df_read(arag_term_df *t, struct arag_reader *r, uint32_t n_docs,
                              struct arag_budget *b, arag_error *err);
size_t arag_term_df_read_bytes(uint32_t m);

#endif
