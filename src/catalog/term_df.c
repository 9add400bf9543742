#include "term_df.h"

#include "errbuf.h"

#include "brands.h"
#include "hash.h"
#include "le.h"
#include "snapshot_io.h"
#include "sort.h"
#include "words.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The next term of s[0 .. n) from *i on: its key (lower-cased FNV-1a, never 0), where
 * it starts and its length; 0 when none is left. One-byte words are skipped. */
static uint64_t next_term(const char *s, size_t n, size_t *i, size_t *start, size_t *len) {
  while (*i < n) {
    while (*i < n && !arag_word_byte((unsigned char)s[*i])) (*i)++;
    uint64_t h = ARAG_FNV64_OFFSET;
    *start = *i;
    for (; *i < n && arag_word_byte((unsigned char)s[*i]); (*i)++) {
      unsigned char c = (unsigned char)s[*i];
      if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
      h = arag_fnv64_byte(h, c);
    }
    *len = *i - *start;
    if (*len >= 2) return h ? h : 1;
  }
  return 0;
}

/* The first max distinct terms of the title. */
static uint32_t title_terms(const arag_item *it, uint64_t *keys, uint32_t *at, uint32_t *len_out,
                            uint32_t max) {
  const char *s = it && it->title ? it->title : "";
  size_t n_s = strlen(s), i = 0, start, len;
  uint32_t n = 0;
  uint64_t h;
  while (n < max && (h = next_term(s, n_s, &i, &start, &len))) {
    int dup = 0;
    for (uint32_t k = 0; k < n && !dup; k++) dup = keys[k] == h;
    if (dup) continue;
    if (at) at[n] = (uint32_t)start;
    if (len_out) len_out[n] = (uint32_t)len;
    keys[n++] = h;
  }
  return n;
}

uint32_t arag_title_terms_at(const arag_item *it, uint64_t *keys, uint32_t *at, uint32_t *len_out) {
  return title_terms(it, keys, at, len_out, ARAG_TERM_MAX);
}

uint32_t arag_title_words(const char *s, size_t n_s, arag_word_at *w, uint32_t max) {
  size_t i = 0, start, len;
  uint32_t n = 0;
  uint64_t h;
  while (n < max && (h = next_term(s, n_s, &i, &start, &len)))
    w[n++] = (arag_word_at){h, (uint32_t)start, (uint32_t)len};
  return n;
}

uint32_t arag_title_terms(const arag_item *it, uint64_t *keys) {
  return arag_title_terms_at(it, keys, NULL, NULL);
}

/* Words that say nothing of what an item is (words.h: function, joining and measure
 * words) stay out of whole-text terms. */
static int is_text_stop(const char *s, size_t n) {
  return (arag_word_class(s, n) & (ARAG_WORD_FUNCTION | ARAG_WORD_JOINING | ARAG_WORD_MEASURE)) !=
         0;
}

/* Slots of a small open-addressing set over the keys found so far (at most
 * ARAG_TEXT_TERM_MAX, so at most half full): 0 empty, else index + 1. */
#define TEXT_SET 256

/* Adds the terms of s[0 .. n) to keys / tf / at / len (m distinct so far, at most max). */
static uint32_t scan_terms(const char *s, size_t n, uint64_t *keys, uint32_t *tf, const char **at,
                           uint32_t *len_out, uint32_t m, uint32_t max, uint16_t *set) {
  size_t i = 0, start, len;
  uint64_t h;
  while ((h = next_term(s, n, &i, &start, &len))) {
    if (is_text_stop(s + start, len)) continue;
    uint32_t j = (uint32_t)((h * 0x9e3779b97f4a7c15ull) >> 56) & (TEXT_SET - 1);
    while (set[j] && keys[set[j] - 1] != h) j = (j + 1) & (TEXT_SET - 1);
    if (set[j])
      tf[set[j] - 1]++;
    else if (m < max) {
      if (at) {
        at[m] = s + start;
        len_out[m] = (uint32_t)len;
      }
      keys[m] = h;
      tf[m++] = 1;
      set[j] = (uint16_t)m;
    }
  }
  return m;
}

uint32_t arag_text_terms(const arag_item *it, uint64_t *keys, uint32_t *tf, const char **at,
                         uint32_t *len) {
  uint32_t m = 0;
  if (!it) return 0;
  const uint32_t max = ARAG_TEXT_TERM_MAX;
  uint16_t set[TEXT_SET] = {0};
  if (it->title) m = scan_terms(it->title, strlen(it->title), keys, tf, at, len, m, max, set);
  if (it->brand) m = scan_terms(it->brand, strlen(it->brand), keys, tf, at, len, m, max, set);
  for (uint32_t c = 0; c < it->n_categories; c++)
    if (it->categories[c])
      m = scan_terms(it->categories[c], strlen(it->categories[c]), keys, tf, at, len, m, max, set);
  if (it->text) {
    size_t n = 0;
    while (n < ARAG_TEXT_SCAN && it->text[n]) n++;
    m = scan_terms(it->text, n, keys, tf, at, len, m, max, set);
  }
  return m;
}

uint32_t arag_term_df_terms(const arag_term_df *t, const arag_item *it, uint64_t *keys,
                            uint32_t *tf) {
  if (t->lead_phrases) {
    uint32_t m = arag_lead_phrases(it && it->title ? it->title : "", keys);
    if (tf)
      for (uint32_t k = 0; k < m; k++) tf[k] = 1;
    return m;
  }
  if (t->whole_text) {
    uint32_t scratch[ARAG_TEXT_TERM_MAX];
    return arag_text_terms(it, keys, tf ? tf : scratch, NULL, NULL);
  }
  /* A catalog counts up to ARAG_TEXT_TERM_MAX words of a title, so that a word late in
   * a long title counts as in a short one (brands.h reads how common a word is). */
  uint32_t m = title_terms(it, keys, NULL, NULL, ARAG_TEXT_TERM_MAX);
  if (tf)
    for (uint32_t k = 0; k < m; k++) tf[k] = 1;
  return m;
}

static uint32_t slot_of(uint64_t key, uint32_t cap) {
  uint64_t h = key * 0x9e3779b97f4a7c15ull;
  return (uint32_t)(h >> 32) & (cap - 1);
}

#define ENTRY 12u /* u64 key, u32 count */

/* The count of key in a table read from a snapshot: a binary search of its range of
 * the directory (a few entries, at most all of them). */
static uint32_t sorted_get(const arag_term_df *t, uint64_t key) {
  uint32_t b = (uint32_t)(key >> (64 - t->dir_bits)), lo = t->dir[b], hi = t->dir[b + 1];
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    uint64_t k = arag_le64(t->sorted + (size_t)mid * ENTRY);
    if (k == key) return arag_le32(t->sorted + (size_t)mid * ENTRY + 8);
    if (k < key)
      lo = mid + 1;
    else
      hi = mid;
  }
  return 0;
}

void arag_term_df_free(arag_term_df *t) {
  int whole_text = t->whole_text, lead_phrases = t->lead_phrases;
  free(t->key);
  free(t->n);
  free(t->dir);
  memset(t, 0, sizeof *t);
  t->whole_text = whole_text;
  t->lead_phrases = lead_phrases;
}

static uint32_t live_terms(const arag_term_df *t) {
  uint32_t m = 0;
  for (uint32_t i = 0; i < t->cap; i++) m += t->key[i] && t->n[i];
  return t->sorted ? t->n_sorted : m;
}

static void put_new(uint64_t *key, uint32_t *n, uint32_t cap, uint64_t k, uint32_t c) {
  uint32_t j = slot_of(k, cap);
  while (key[j]) j = (j + 1) & (cap - 1);
  key[j] = k;
  n[j] = c;
}

int arag_term_df_reserve(arag_term_df *t, uint32_t more) {
  if (!t->sorted && ((uint64_t)t->used + more) * 2 <= t->cap) return 1;
  /* Growing (or building the table of one read from a snapshot): keys whose count fell
   * to zero (words of removed items) are dropped here, so a catalog that churns
   * through new words keeps a table sized by the words it holds now. */
  uint32_t live = live_terms(t);
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
  for (uint32_t i = 0; i < t->cap; i++)
    if (t->key[i] && t->n[i]) put_new(key, n, (uint32_t)cap, t->key[i], t->n[i]);
  for (uint32_t i = 0; i < (t->sorted ? t->n_sorted : 0); i++)
    put_new(key, n, (uint32_t)cap, arag_le64(t->sorted + (size_t)i * ENTRY),
            arag_le32(t->sorted + (size_t)i * ENTRY + 8));
  free(t->key);
  free(t->n);
  free(t->dir);
  t->dir = NULL;
  t->sorted = NULL;
  t->n_sorted = t->dir_bits = 0;
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

void arag_term_df_copy_item(arag_term_df *dst, const arag_term_df *src, const arag_item *it) {
  uint64_t keys[ARAG_TEXT_TERM_MAX];
  dst->whole_text = src->whole_text;
  dst->docs = src->docs;
  uint32_t m = arag_term_df_terms(src, it, keys, NULL);
  for (uint32_t k = 0; k < m && dst->cap; k++) {
    uint32_t c = arag_term_df_get(src, keys[k]);
    if (!c) continue;
    uint32_t j = slot_of(keys[k], dst->cap);
    while (dst->key[j] && dst->key[j] != keys[k]) j = (j + 1) & (dst->cap - 1);
    if (!dst->key[j]) {
      if ((uint64_t)(dst->used + 1) * 2 > dst->cap) return; /* not reserved */
      dst->key[j] = keys[k];
      dst->used++;
    }
    dst->n[j] = c;
  }
}

void arag_term_df_count(arag_term_df *t, const arag_item *it, int sign) {
  uint64_t keys[ARAG_TEXT_TERM_MAX];
  uint32_t m = arag_term_df_terms(t, it, keys, NULL);
  for (uint32_t k = 0; k < m; k++) add(t, keys[k], sign);
  if (sign > 0)
    t->docs++;
  else if (t->docs)
    t->docs--;
}

uint32_t arag_term_df_get(const arag_term_df *t, uint64_t key) {
  if (t->sorted) return sorted_get(t, key);
  if (!t->cap) return 0;
  uint32_t j = slot_of(key, t->cap);
  while (t->key[j]) {
    if (t->key[j] == key) return t->n[j];
    j = (j + 1) & (t->cap - 1);
  }
  return 0;
}

size_t arag_term_df_bytes(const arag_term_df *t) {
  return (size_t)t->cap * (sizeof *t->key + sizeof *t->n) +
         (t->dir ? (((size_t)1 << t->dir_bits) + 1) * sizeof *t->dir : 0);
}

typedef struct term_count {
  uint64_t key;
  uint32_t n;
} term_count;

static int cmp_key(const term_count *a, const term_count *b) {
  return a->key < b->key ? -1 : a->key > b->key;
}
ARAG_DEFINE_SORT(sort_terms, term_count, cmp_key)

size_t arag_term_df_write_bytes(const arag_term_df *t) { return 8 + (size_t)live_terms(t) * 12; }

int arag_term_df_write(const arag_term_df *t, arag_writer *w) {
  uint32_t m = live_terms(t);
  if (t->sorted) { /* as read: the same bytes */
    arag_writer_u32(w, t->docs);
    arag_writer_u32(w, m);
    arag_writer_bytes(w, t->sorted, (size_t)m * ENTRY);
    return 1;
  }
  term_count *a = (term_count *)malloc((m ? m : 1) * sizeof *a);
  if (!a) return 0;
  m = 0;
  for (uint32_t i = 0; i < t->cap; i++)
    if (t->key[i] && t->n[i]) a[m++] = (term_count){t->key[i], t->n[i]};
  sort_terms(a, m);
  arag_writer_u32(w, t->docs);
  arag_writer_u32(w, m);
  for (uint32_t i = 0; i < m; i++) {
    arag_writer_u64(w, a[i].key);
    arag_writer_u32(w, a[i].n);
  }
  free(a);
  return 1;
}

/* Directory bits for m entries: two to four entries a range (at least two ranges). */
static uint32_t dir_bits_for(uint32_t m) {
  uint32_t bits = 1;
  while (bits < 24 && ((uint64_t)4 << bits) <= m) bits++;
  return bits;
}

size_t arag_term_df_read_bytes(uint32_t m) {
  return m ? (((size_t)1 << dir_bits_for(m)) + 1) * sizeof(uint32_t) : 0;
}

arag_status arag_term_df_read(arag_term_df *t, arag_reader *r, uint32_t n_docs, arag_budget *b,
                              arag_error *err) {
  uint32_t docs = 0, m = 0;
  if (!arag_reader_u32(r, &docs) || !arag_reader_u32(r, &m)) {
    return arag_err_set(err, ARAG_E_CORRUPT, "snapshot truncated in word counts");
  }
  if (docs != n_docs || m > arag_reader_left(r) / ENTRY) {
    return arag_err_set(err, ARAG_E_CORRUPT,
                        "snapshot word counts are inconsistent (%u items, %u words)", docs, m);
  }
  const uint32_t bits = dir_bits_for(m), ranges = 1u << bits;
  if (!arag_budget_take(b, arag_term_df_read_bytes(m))) {
    return arag_err_set(err, ARAG_E_LIMIT,
                        "restoring the word counts takes more than max_restore_bytes");
  }
  uint32_t *dir = m ? (uint32_t *)malloc(arag_term_df_read_bytes(m)) : NULL;
  if (m && !dir) return arag_err_set(err, ARAG_E_NOMEM, "out of memory restoring word counts");
  const uint8_t *e0 = arag_reader_view(r, (size_t)m * ENTRY), *e = e0; /* there: checked above */
  uint64_t prev = 0;
  uint32_t next = 0;
  for (uint32_t i = 0; i < m; i++, e += ENTRY) {
    uint64_t key = arag_le64(e);
    uint32_t n = arag_le32(e + 8);
    if (key == 0 || key <= prev || n == 0 || n > docs) {
      free(dir);
      return arag_err_set(err, ARAG_E_CORRUPT,
                          "snapshot word count %u is out of order or out of range", i);
    }
    prev = key;
    for (uint32_t range = (uint32_t)(key >> (64 - bits)); next <= range; next++) dir[next] = i;
  }
  for (; m && next <= ranges; next++) dir[next] = m;
  t->sorted = m ? e0 : NULL;
  t->n_sorted = m;
  t->dir = dir;
  t->dir_bits = m ? bits : 0;
  t->docs = docs;
  return ARAG_OK;
}
