#include "reasoner_traits.h"

#include "fast_strtod.h"

#include <stdlib.h>
#include <string.h>

static int prefix_ci(const char *s, size_t n, const char *p) {
  size_t m = strlen(p);
  if (n < m) return 0;
  for (size_t i = 0; i < m; i++) {
    char a = s[i];
    if (a >= 'A' && a <= 'Z') a = (char)(a + 32);
    if (a != p[i]) return 0;
  }
  return 1;
}

static void trim(const char **s, size_t *n) {
  while (*n && ((*s)[0] == ' ' || (*s)[0] == '\t' || (*s)[0] == '-' || (*s)[0] == '*'))
    (*s)++, (*n)--;
  while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '.' ||
                (*s)[*n - 1] == '\r'))
    (*n)--;
}

/* Reads "(a of b, p%)" at the end of an entry; returns the weight, cuts the entry. */
static float entry_weight(const char *s, size_t *n) {
  size_t i = *n;
  while (i > 0 && s[i - 1] != '(') i--;
  if (i == 0 || s[*n - 1] != ')') return 1.0f;
  char buf[48];
  size_t m = *n - 1 - i;
  if (m >= sizeof buf) return 1.0f;
  memcpy(buf, s + i, m);
  buf[m] = 0;
  *n = i - 1;
  while (*n && s[*n - 1] == ' ') (*n)--;
  char *end;
  double a = arag_strtod(buf, &end);
  double b = 0, pct = -1;
  char *of = strstr(buf, "of");
  if (of) b = arag_strtod(of + 2, NULL);
  char *pc = strchr(buf, '%');
  if (pc) {
    char *q = pc;
    while (q > buf && ((q[-1] >= '0' && q[-1] <= '9') || q[-1] == '.')) q--;
    pct = arag_strtod(q, NULL);
  }
  if (pct >= 0) return (float)(pct / 100.0);
  if (end != buf && b > 0) return (float)(a / b);
  return 1.0f;
}

static void add_entry(rs_traits *t, rs_trait_kind kind, const char *s, size_t n) {
  if (t->n >= RS_MAX_TRAITS) return;
  trim(&s, &n);
  float w = entry_weight(s, &n);
  trim(&s, &n);
  if (!n) return;
  rs_trait *tr = &t->v[t->n];
  memset(tr, 0, sizeof *tr);
  tr->kind = kind;
  tr->w = w;
  tr->name.s = s;
  tr->name.len = (uint32_t)n;
  if (kind == RS_T_CAT || kind == RS_T_SCAT) {
    uint64_t parent = 0;
    size_t i = 0;
    while (i <= n && tr->n_path < RS_MAX_CAT) {
      size_t j = i;
      while (j < n && !(s[j] == '>' && j > 0 && s[j - 1] == ' ')) j++;
      size_t e = j;
      parent = rs_cat_key(parent, s + i, e - i);
      tr->path[tr->n_path++] = parent;
      i = j + 1;
      if (j >= n) break;
    }
    if (!tr->n_path) return;
  } else if (kind == RS_T_BRAND || kind == RS_T_SBRAND) {
    tr->key = arag_brand_key(s, n);
    if (!tr->key) return;
  } else {
    tr->key = rs_word_key(s, n);
    if (!tr->key) return;
  }
  t->n++;
}

static const struct {
  const char *label;
  rs_trait_kind kind;
} LABELS[] = {
    {"session brands:", RS_T_SBRAND},
    {"session categories:", RS_T_SCAT},
    {"session keywords:", RS_T_SKW},
    {"brands:", RS_T_BRAND},
    {"categories:", RS_T_CAT},
    {"keywords:", RS_T_KW},
    {"words:", RS_T_WORD},
};

/* Words of a free text as keywords (for summaries without trait lines). */
static void add_words(rs_traits *t, const char *s, size_t n) {
  size_t i = 0;
  while (i < n && t->n < RS_MAX_TRAITS) {
    while (i < n && (s[i] == ' ' || s[i] == ',' || s[i] == '.' || s[i] == '\n' || s[i] == ';' ||
                     s[i] == ':' || s[i] == '(' || s[i] == ')' || s[i] == '"'))
      i++;
    size_t j = i;
    while (j < n && !(s[j] == ' ' || s[j] == ',' || s[j] == '.' || s[j] == '\n' || s[j] == ';' ||
                      s[j] == ':' || s[j] == '(' || s[j] == ')' || s[j] == '"'))
      j++;
    if (j - i >= 4 && j - i <= RS_MAX_WORD) {
      uint64_t k = rs_word_key(s + i, j - i);
      int dup = 0;
      for (uint32_t q = 0; q < t->n && !dup; q++) dup = t->v[q].key == k;
      if (k && !dup) {
        rs_trait *tr = &t->v[t->n++];
        memset(tr, 0, sizeof *tr);
        tr->kind = RS_T_KW;
        tr->key = k;
        tr->w = 0.1f;
        tr->name.s = s + i;
        tr->name.len = (uint32_t)(j - i);
      }
    }
    i = j;
  }
}

void rs_traits_parse(const char *text, rs_traits *t) {
  t->n = 0;
  if (!text) return;
  int structured = 0;
  const char *p = text;
  while (*p) {
    const char *eol = strchr(p, '\n');
    size_t n = eol ? (size_t)(eol - p) : strlen(p);
    const char *s = p;
    size_t m = n;
    trim(&s, &m);
    for (size_t k = 0; k < sizeof LABELS / sizeof LABELS[0]; k++) {
      size_t ll = strlen(LABELS[k].label);
      if (!prefix_ci(s, m, LABELS[k].label)) continue;
      structured = 1;
      const char *q = s + ll;
      size_t rest = m - ll;
      while (rest) {
        const char *semi = memchr(q, ';', rest);
        size_t en = semi ? (size_t)(semi - q) : rest;
        add_entry(t, LABELS[k].kind, q, en);
        if (!semi) break;
        rest -= en + 1;
        q = semi + 1;
      }
      break;
    }
    if (!eol) break;
    p = eol + 1;
  }
  if (!structured) add_words(t, text, strlen(text));
}

void rs_traits_match(const rs_traits *t, const rs_feat *f, rs_tmatch *m) {
  memset(m, 0, sizeof *m);
  for (uint32_t i = 0; i < t->n; i++) {
    const rs_trait *tr = &t->v[i];
    float got = 0;
    switch (tr->kind) {
    case RS_T_BRAND:
    case RS_T_SBRAND:
      if (f->brand_h && tr->key == f->brand_h) got = tr->w;
      break;
    case RS_T_CAT:
    case RS_T_SCAT: {
      uint32_t d = rs_shared_depth(tr->path, tr->n_path, f->cat_h, f->n_cat);
      got = tr->w * rs_depth_score(d, tr->n_path > f->n_cat ? tr->n_path : f->n_cat);
      break;
    }
    case RS_T_KW:
    case RS_T_SKW:
      for (uint32_t k = 0; k < f->n_tok; k++)
        if (f->tok_h[k] == tr->key) got = tr->w;
      break;
    case RS_T_WORD:
      break;
    }
    if (got <= 0) continue;
    switch (tr->kind) {
    case RS_T_BRAND:
      m->brand += got;
      break;
    case RS_T_CAT:
      m->cat += got;
      break;
    case RS_T_KW:
      m->kw += got;
      break;
    default:
      m->sess += got;
      break;
    }
  }
}

float rs_traits_words(const rs_traits *t, const uint64_t *keys, const float *w, uint32_t n) {
  float s = 0;
  for (uint32_t i = 0; i < t->n; i++) {
    const rs_trait *tr = &t->v[i];
    if (tr->kind != RS_T_WORD) continue;
    for (uint32_t k = 0; k < n; k++) {
      if (keys[k] != tr->key) continue;
      s += w[k] * tr->w;
      break;
    }
  }
  return s;
}
