/* Word classes of product text (English), compared case-insensitively on ASCII:
 *   - function words ("and", "with", "may", "not"): never a keyword, a topic or a brand;
 *   - measure words: sizes, units, counts, packs and packaging ("oz", "count", "pack",
 *     "bottle", "travel", "packaging") and the generic "color" and "shade": never a
 *     keyword or a topic, and set aside when variants of one product are grouped;
 *   - colour and shade words ("black", "ivory", "slate"): set aside when variants are
 *     grouped (a colour can still be what a shopper looks for);
 *   - joining words ("and", "of", "de"): may join the parts of a brand name
 *     ("Bumble and Bumble"), never start or end one; opening words ("Dr", "St") start a
 *     name and never end one.
 * No state: the lists are constant strings grouped by length. */
#ifndef ARAG_WORDS_H
#define ARAG_WORDS_H

#include <stddef.h>

#define ARAG_WORD_FUNCTION 1u
#define ARAG_WORD_MEASURE 2u
#define ARAG_WORD_COLOUR 4u
#define ARAG_WORD_JOINING 8u
#define ARAG_WORD_OPENING 16u

/* The classes s[0 .. n) belongs to (ARAG_WORD_* bits; 0: none). */
unsigned arag_word_class(const char *s, size_t n);
static inline int arag_word_is_function(const char *s, size_t n) {
  return (arag_word_class(s, n) & ARAG_WORD_FUNCTION) != 0;
}
static inline int arag_word_is_measure(const char *s, size_t n) {
  return (arag_word_class(s, n) & ARAG_WORD_MEASURE) != 0;
}
static inline int arag_word_is_colour(const char *s, size_t n) {
  return (arag_word_class(s, n) & ARAG_WORD_COLOUR) != 0;
}
static inline int arag_word_is_joining(const char *s, size_t n) {
  return (arag_word_class(s, n) & ARAG_WORD_JOINING) != 0;
}
static inline int arag_word_is_opening(const char *s, size_t n) {
  return (arag_word_class(s, n) & ARAG_WORD_OPENING) != 0;
}
/* Holds a digit ("2", "3-pack", "5.07"). */
int arag_word_has_digit(const char *s, size_t n);

/* A byte that can be part of a word: ASCII letters and digits, and every byte of a
 * UTF-8 sequence. */
static inline int arag_word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* The next word of product text at *pos: split at white space, commas, slashes and
 * parentheses, trimmed of other punctuation. Sets *word and *len and moves *pos past
 * it; 0 at the end of the text. The one word splitter of titles and brands. */
int arag_next_word(const char *s, size_t n, size_t *pos, const char **word, size_t *len);
/* A function, joining or measure word, or one with a digit: says nothing of what an
 * item is (never a keyword, a topic or a word shown as shared). */
static inline int arag_word_is_filler(const char *s, size_t n) {
  return (arag_word_class(s, n) & (ARAG_WORD_FUNCTION | ARAG_WORD_JOINING | ARAG_WORD_MEASURE)) ||
         arag_word_has_digit(s, n);
}

#endif
