/* Growable byte buffer and string list used by the pipeline, the prompt renderer,
 * the agent-output parser and the blackboard. Allocation failures are sticky:
 * after one, the buffer reports oom and further appends are no-ops. */
#ifndef ARAG_STRBUF_H
#define ARAG_STRBUF_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "printf_attr.h"

typedef struct arag_sb {
  char *p;
  size_t len, cap;
  int oom;
  int count_only; /* a counter: appends add to len and store nothing */
} arag_sb;

void arag_sb_init(arag_sb *b);
/* A buffer that only counts: len grows as with arag_sb_init, p stays NULL, and
 * arag_sb_take returns NULL. Measures a rendering without building it. */
void arag_sb_init_counter(arag_sb *b);
void arag_sb_free(arag_sb *b);
/* Room for extra more bytes (and the NUL): 1, or 0 after an allocation failure
 * (sticky). A counter always has room. */
int arag_sb_reserve(arag_sb *b, size_t extra);
void arag_sb_append_slow(arag_sb *b, const char *s, size_t n);
/* Appends n bytes; the common case (room left) is inline. */
static inline void arag_sb_append(arag_sb *b, const char *s, size_t n) {
  if (!b->count_only && !b->oom && b->len + n < b->cap) {
    if (n) memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
    return;
  }
  arag_sb_append_slow(b, s, n);
}
/* Cuts the contents back to their first len bytes (len <= b->len), for a buffer
 * reused per item or a clause taken back. */
static inline void arag_sb_truncate(arag_sb *b, size_t len) {
  if (len > b->len) return;
  b->len = len;
  if (b->p && !b->count_only) b->p[len] = 0;
}
void arag_sb_puts(arag_sb *b, const char *s);
void arag_sb_printf(arag_sb *b, const char *fmt, ...) ARAG_PRINTF(2, 3);
/* Detaches the NUL-terminated contents (malloc'ed; NULL after an allocation failure). */
char *arag_sb_take(arag_sb *b, size_t *len);

/* Appends s (len bytes of untrusted text) as a JSON string value, quotes included:
 * invalid UTF-8 bytes become U+FFFD, control characters, quotes and backslashes are
 * escaped, the data fence tokens ("<<<DATA", "DATA>>>", any case) are removed and
 * '<' and '>' are written as \u003c and \u003e, so neither a fence token nor a chat
 * template marker ("<|im_end|>") can appear in the output. At most max_chars code points of
 * the cleaned text are kept (0: no limit); a cut text ends with "...". */
void arag_sb_json_text(arag_sb *b, const char *s, size_t len, uint32_t max_chars);

/* Writes v as printf's "%.4g" would (out: at least 32 bytes); returns the length.
 * Values from 1e-4 to 9999 that are not within 1e-6 of a rounding tie take a path
 * without printf; the others go through snprintf. */
size_t arag_fmt_g4(char *out, double v);

/* Appends v as printf's "%.*f" would with decimals from 0 to 6, in the same way:
 * values below 1e9 after scaling that are not within 1e-6 of a rounding tie take a
 * path without printf (whose long-double arithmetic wasm emulates in software). */
void arag_sb_fixed(arag_sb *b, double v, int decimals);

typedef struct arag_strlist {
  char **v;
  uint32_t n, cap;
  int oom;
} arag_strlist;

void arag_strlist_free(arag_strlist *l);
void arag_strlist_add(arag_strlist *l, const char *fmt, ...) ARAG_PRINTF(2, 3);
int arag_strlist_has(const arag_strlist *l, const char *s);

/* strdup that works in strict C11; NULL on allocation failure. */
char *arag_strndup(const char *s, size_t n);

#endif
