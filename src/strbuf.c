#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void arag_sb_init(arag_sb *b) { memset(b, 0, sizeof *b); }

void arag_sb_free(arag_sb *b) {
  free(b->p);
  memset(b, 0, sizeof *b);
}

static int sb_reserve(arag_sb *b, size_t extra) {
  if (b->oom) return 0;
  if (b->len + extra + 1 <= b->cap) return 1;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + extra + 1) {
    if (cap > SIZE_MAX / 2) {
      b->oom = 1;
      return 0;
    }
    cap *= 2;
  }
  char *p = realloc(b->p, cap);
  if (!p) {
    b->oom = 1;
    return 0;
  }
  b->p = p;
  b->cap = cap;
  return 1;
}

void arag_sb_append(arag_sb *b, const char *s, size_t n) {
  if (!sb_reserve(b, n)) return;
  if (n) memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
}

void arag_sb_puts(arag_sb *b, const char *s) { arag_sb_append(b, s, strlen(s)); }

void arag_sb_printf(arag_sb *b, const char *fmt, ...) {
  char tmp[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof tmp) {
    arag_sb_append(b, tmp, (size_t)n);
    return;
  }
  if (!sb_reserve(b, (size_t)n)) return;
  va_start(ap, fmt);
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

char *arag_sb_take(arag_sb *b, size_t *len) {
  if (!b->oom && !b->p) sb_reserve(b, 0);
  if (b->oom) {
    arag_sb_free(b);
    if (len) *len = 0;
    return NULL;
  }
  b->p[b->len] = 0;
  char *p = b->p;
  if (len) *len = b->len;
  memset(b, 0, sizeof *b);
  return p;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  if (c < 0x80) return 1;
  size_t k;
  unsigned min;
  unsigned cp;
  if ((c & 0xE0) == 0xC0) {
    k = 2, cp = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    k = 3, cp = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    k = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (n < k) return 0;
  for (size_t i = 1; i < k; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return k;
}

static int match_ci(const char *s, size_t n, const char *tok) {
  size_t m = strlen(tok);
  if (n < m) return 0;
  for (size_t i = 0; i < m; i++) {
    char a = s[i], c = tok[i];
    if (a >= 'a' && a <= 'z') a = (char)(a - 32);
    if (a != c) return 0;
  }
  return 1;
}

/* Removes the fence tokens in one pass: after each byte, a token at the end of the
 * output is dropped, so tokens that form once another is removed go too. */
static size_t strip_fence_tokens(const char *s, size_t len, char *out) {
  size_t n = 0;
  for (size_t i = 0; i < len; i++) {
    out[n++] = s[i];
    if (n >= 7 && (match_ci(out + n - 7, 7, "<<<DATA") || match_ci(out + n - 7, 7, "DATA>>>")))
      n -= 7;
  }
  return n;
}

void arag_sb_json_text(arag_sb *b, const char *text, size_t text_len, uint32_t max_chars) {
  char *clean = malloc(text_len ? text_len : 1);
  if (!clean) {
    b->oom = 1;
    return;
  }
  size_t len = strip_fence_tokens(text, text_len, clean);
  const char *s = clean;
  arag_sb_append(b, "\"", 1);
  uint32_t chars = 0;
  size_t i = 0;
  while (i < len) {
    if (max_chars && chars >= max_chars) {
      arag_sb_puts(b, "...");
      break;
    }
    unsigned char c = (unsigned char)s[i];
    size_t k = utf8_seq((const unsigned char *)s + i, len - i);
    chars++;
    if (k == 0) {
      arag_sb_puts(b, "\xEF\xBF\xBD");
      i++;
      continue;
    }
    if (k > 1) {
      /* U+2028/U+2029 end lines in some JSON consumers. */
      if (k == 3 && c == 0xE2 && (unsigned char)s[i + 1] == 0x80 &&
          ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9))
        arag_sb_printf(b, "\\u%04x", (unsigned char)s[i + 2] == 0xA8 ? 0x2028 : 0x2029);
      else
        arag_sb_append(b, s + i, k);
      i += k;
      continue;
    }
    switch (c) {
    case '"':
      arag_sb_puts(b, "\\\"");
      break;
    case '\\':
      arag_sb_puts(b, "\\\\");
      break;
    case '\n':
      arag_sb_puts(b, "\\n");
      break;
    case '\r':
      arag_sb_puts(b, "\\r");
      break;
    case '\t':
      arag_sb_puts(b, "\\t");
      break;
    case '<':
      arag_sb_puts(b, "\\u003c");
      break;
    case '>':
      arag_sb_puts(b, "\\u003e");
      break;
    default:
      if (c < 0x20 || c == 0x7F)
        arag_sb_printf(b, "\\u%04x", c);
      else
        arag_sb_append(b, (const char *)&c, 1);
    }
    i++;
  }
  arag_sb_append(b, "\"", 1);
  free(clean);
}

void arag_strlist_free(arag_strlist *l) {
  for (uint32_t i = 0; i < l->n; i++) free(l->v[i]);
  free(l->v);
  memset(l, 0, sizeof *l);
}

void arag_strlist_add(arag_strlist *l, const char *fmt, ...) {
  char tmp[320];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (l->n == l->cap) {
    uint32_t cap = l->cap ? l->cap * 2 : 8;
    char **v = realloc(l->v, cap * sizeof *v);
    if (!v) {
      l->oom = 1;
      return;
    }
    l->v = v;
    l->cap = cap;
  }
  char *s = arag_strndup(tmp, strlen(tmp));
  if (!s) {
    l->oom = 1;
    return;
  }
  l->v[l->n++] = s;
}

int arag_strlist_has(const arag_strlist *l, const char *s) {
  for (uint32_t i = 0; i < l->n; i++)
    if (strcmp(l->v[i], s) == 0) return 1;
  return 0;
}

char *arag_strndup(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (!p) return NULL;
  if (n) memcpy(p, s, n);
  p[n] = 0;
  return p;
}
