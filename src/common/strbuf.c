#include "strbuf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void arag_sb_init(arag_sb *b) { memset(b, 0, sizeof *b); }

void arag_sb_init_counter(arag_sb *b) {
  memset(b, 0, sizeof *b);
  b->count_only = 1;
}

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

int arag_sb_reserve(arag_sb *b, size_t extra) { return b->count_only ? 1 : sb_reserve(b, extra); }

void arag_sb_append_slow(arag_sb *b, const char *s, size_t n) {
  if (b->count_only) {
    b->len += n;
    return;
  }
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
  if (b->count_only) {
    b->len += (size_t)n;
    return;
  }
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
  if (b->count_only) {
    if (len) *len = b->len;
    memset(b, 0, sizeof *b);
    return NULL;
  }
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

/* Writes the JSON string of the cleaned text (see arag_sb_json_text) to out, or
 * only counts it when out is NULL; returns its length in bytes. out needs room
 * for 6 bytes per input byte plus 5 (quotes and "..."). */
static size_t json_text_core(const char *s, size_t len, uint32_t max_chars, char *out) {
  static const char hex[] = "0123456789abcdef";
  size_t o = 0;
#define PUT(str, n)                                                                                \
  do {                                                                                             \
    if (out) memcpy(out + o, (str), (n));                                                          \
    o += (n);                                                                                      \
  } while (0)
  PUT("\"", 1);
  uint32_t chars = 0;
  size_t i = 0;
  while (i < len) {
    if (max_chars && chars >= max_chars) {
      PUT("...", 3);
      break;
    }
    unsigned char c = (unsigned char)s[i];
    chars++;
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\' && c != '<' && c != '>') {
      if (out) out[o] = (char)c;
      o++;
      i++;
      continue;
    }
    size_t k = utf8_seq((const unsigned char *)s + i, len - i);
    if (k == 0) {
      PUT("\xEF\xBF\xBD", 3);
      i++;
      continue;
    }
    if (k > 1) {
      /* U+2028/U+2029 end lines in some JSON consumers. */
      if (k == 3 && c == 0xE2 && (unsigned char)s[i + 1] == 0x80 &&
          ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9))
        PUT((unsigned char)s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029", 6);
      else
        PUT(s + i, k);
      i += k;
      continue;
    }
    switch (c) {
    case '"':
      PUT("\\\"", 2);
      break;
    case '\\':
      PUT("\\\\", 2);
      break;
    case '\n':
      PUT("\\n", 2);
      break;
    case '\r':
      PUT("\\r", 2);
      break;
    case '\t':
      PUT("\\t", 2);
      break;
    case '<':
      PUT("\\u003c", 6);
      break;
    case '>':
      PUT("\\u003e", 6);
      break;
    default: {
      /* control characters and DEL */
      char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      PUT(u, 6);
    }
    }
    i++;
  }
  PUT("\"", 1);
#undef PUT
  return o;
}

/* Fence tokens can only occur in a text that contains one of their letters
 * next to a '<' or '>' run; most texts have neither '<' nor '>' at all. */
static int may_hold_fence(const char *s, size_t len) {
  return memchr(s, '<', len) != NULL || memchr(s, '>', len) != NULL;
}

void arag_sb_json_text(arag_sb *b, const char *text, size_t text_len, uint32_t max_chars) {
  if (b->oom) return;
  char small[512];
  char *clean = NULL;
  const char *s = text;
  size_t len = text_len;
  if (text_len && may_hold_fence(text, text_len)) {
    clean = text_len <= sizeof small ? small : malloc(text_len);
    if (!clean) {
      b->oom = 1;
      return;
    }
    len = strip_fence_tokens(text, text_len, clean);
    s = clean;
  }
  if (b->count_only) {
    b->len += json_text_core(s, len, max_chars, NULL);
  } else if (len <= (SIZE_MAX - 16) / 6 && sb_reserve(b, len * 6 + 8)) {
    b->len += json_text_core(s, len, max_chars, b->p + b->len);
    b->p[b->len] = 0;
  } else {
    b->oom = 1;
  }
  if (clean && clean != small) free(clean);
}

void arag_sb_fixed(arag_sb *b, double v, int decimals) {
  static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6};
  if (decimals >= 0 && decimals <= 6 && fabs(v) < 1e9) {
    double x = fabs(v) * pow10[decimals], whole = floor(x), frac = x - whole;
    if (x < 1e9 && fabs(frac - 0.5) > 1e-6) {
      unsigned long k = (unsigned long)whole + (frac > 0.5);
      char tmp[24];
      size_t n = sizeof tmp;
      for (int d = 0; d < decimals; d++, k /= 10) tmp[--n] = (char)('0' + k % 10);
      if (decimals) tmp[--n] = '.';
      do tmp[--n] = (char)('0' + k % 10);
      while (k /= 10);
      if (signbit(v)) tmp[--n] = '-';
      arag_sb_append(b, tmp + n, sizeof tmp - n);
      return;
    }
  }
  arag_sb_printf(b, "%.*f", decimals, v);
}

size_t arag_fmt_g4(char *out, double v) {
  static const double pow10[] = {1e-4, 1e-3, 1e-2, 1e-1, 1e0, 1e1, 1e2, 1e3, 1e4};
  static const double scale[] = {1e7, 1e6, 1e5, 1e4, 1e3, 1e2, 1e1, 1e0}; /* 10^(3 - x) */
  double a = v < 0 ? -v : v;
  if (a >= 1e-4 && a < 9999.5) {
    int x = -4; /* decimal exponent of a */
    while (x < 3 && a >= pow10[x + 5]) x++;
    double t = a * scale[x + 4]; /* 4 significant digits before the point */
    double fl = floor(t), frac = t - fl;
    if (t >= 1000.0 && t < 9999.5 && (frac < 0.5 - 1e-6 || frac > 0.5 + 1e-6)) {
      unsigned r = (unsigned)fl + (frac > 0.5);
      if (r >= 1000 && r <= 9999) {
        char d[4] = {(char)('0' + r / 1000), (char)('0' + r / 100 % 10), (char)('0' + r / 10 % 10),
                     (char)('0' + r % 10)};
        size_t n = 0, nd = 4, keep = x >= 0 ? (size_t)x + 1 : 1;
        while (nd > keep && d[nd - 1] == '0') nd--; /* trailing zeros of the fraction */
        if (v < 0) out[n++] = '-';
        if (x >= 0) {
          for (size_t i = 0; i < nd; i++) {
            if (i == (size_t)x + 1) out[n++] = '.';
            out[n++] = d[i];
          }
        } else {
          out[n++] = '0';
          out[n++] = '.';
          for (int z = 0; z < -x - 1; z++) out[n++] = '0';
          for (size_t i = 0; i < nd; i++) out[n++] = d[i];
        }
        out[n] = 0;
        return n;
      }
    }
  }
  int n = snprintf(out, 32, "%.4g", v);
  return n < 0 ? 0 : (size_t)n;
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
