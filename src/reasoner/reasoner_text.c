#include "reasoner_text.h"

#include "brands.h"
#include "hash.h"
#include "words.h"

#include <string.h>
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

uint64_t rs_hash(const char *s, size_t n) {
  uint64_t h = arag_fnv1a64(s, n, ARAG_FNV64_OFFSET);
  return h ? h : 1;
}

uint64_t rs_word_key(const char *s, size_t n) {
  uint64_t h = ARAG_FNV64_OFFSET;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (!arag_word_byte(c)) continue;
    if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
    h = arag_fnv64_byte(h, c);
    k++;
  }
  if (!k) return 0;
  return h ? h : 1;
}

/* Next word at *pos (arag_next_word), as a span. */
static int next_word(const char *s, size_t n, size_t *pos, rs_span *w) {
  const char *word;
  size_t len;
  if (!arag_next_word(s, n, pos, &word, &len)) return 0;
  w->s = word;
  w->len = (uint32_t)len;
  return 1;
}

uint64_t rs_cat_key(uint64_t parent, const char *s, size_t n) {
  while (n && (s[0] == ' ' || s[0] == '\t')) s++, n--;
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
  uint64_t h = arag_fnv64_byte(parent ? parent : ARAG_FNV64_OFFSET, 0x3e); /* level separator */
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
    h = arag_fnv64_byte(h, c);
  }
  return h ? h : 1;
}

#define RS_BRAND_WORDS 8

/* Cut to at most max bytes at a word boundary (a space), or at a UTF-8 boundary when
 * the first word alone is longer. */
static uint32_t cut_words(const char *s, uint32_t n, uint32_t max) {
  if (n <= max) return n;
  uint32_t k = max;
  while (k > 0 && s[k] != ' ') k--;
  while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == ',' || s[k - 1] == '-')) k--;
  if (k) return k;
  k = max;
  while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
  return k;
}

uint32_t rs_cut_words(const char *s, uint32_t n, uint32_t max) { return cut_words(s, n, max); }

void rs_item_features(const arag_item *it, const arag_brand_stats *bs, rs_feat *f) {
  memset(f, 0, sizeof *f);
  f->id_h = rs_hash(it->id ? it->id : "", it->id ? strlen(it->id) : 0);
  const char *title = it->title ? it->title : "";
  size_t tlen = strlen(title);
  /* The brand: the field, else a phrase the catalog supports at the start of the title
   * (resolved by the session, or here from the catalog's counts). */
  const char *bsrc = NULL;
  uint32_t blen = 0;
  if (it->brand && it->brand[0]) {
    bsrc = it->brand;
    blen = (uint32_t)strlen(it->brand);
  } else {
    blen = it->title_brand_known ? it->title_brand_len : arag_title_brand(title, bs);
    if (blen > tlen) blen = 0;
    bsrc = title;
  }
  if (blen) {
    blen = cut_words(bsrc, blen, RS_BRAND_BYTES);
    f->brand_h = arag_brand_key(bsrc, blen);
    if (f->brand_h) f->brand = (rs_span){bsrc, blen};
  }
  uint64_t parent = 0;
  for (uint32_t d = 0; d < it->n_categories && d < RS_MAX_CAT; d++) {
    const char *c = it->categories[d] ? it->categories[d] : "";
    parent = rs_cat_key(parent, c, strlen(c));
    f->cat_h[f->n_cat++] = parent;
  }
  size_t pos = 0;
  rs_span w;
  while (f->n_lead < RS_LEAD && next_word(title, tlen, &pos, &w)) {
    uint64_t k = rs_word_key(w.s, w.len);
    if (k) f->lead_h[f->n_lead++] = k;
  }
  /* Every word of the brand stays out of the keywords ("Glow" and "Works" of "Puffin
   * Glow Works" as well as "Puffin"): the brand is a trait of its own. */
  uint64_t brand_w[RS_BRAND_WORDS];
  uint32_t n_bw = 0;
  if (f->brand_h) {
    pos = 0;
    while (n_bw < RS_BRAND_WORDS && next_word(f->brand.s, f->brand.len, &pos, &w)) {
      uint64_t k = w.len <= RS_MAX_WORD ? rs_word_key(w.s, w.len) : 0;
      if (k) brand_w[n_bw++] = k;
    }
  }
  /* Leading title words of the brand's words: the product line starts after them. */
  while (f->brand_h && f->n_lead_brand < f->n_lead) {
    int in_brand = 0;
    for (uint32_t i = 0; i < n_bw && !in_brand; i++)
      in_brand = brand_w[i] == f->lead_h[f->n_lead_brand];
    if (!in_brand) break;
    f->n_lead_brand++;
  }
  pos = 0;
  while (f->n_tok < RS_MAX_TOK && next_word(title, tlen, &pos, &w)) {
    if (w.len < 2 || w.len > RS_MAX_WORD) continue;
    if (arag_word_is_filler(w.s, w.len)) continue;
    uint64_t k = rs_word_key(w.s, w.len);
    if (!k) continue;
    int dup = 0;
    for (uint32_t i = 0; i < n_bw; i++) dup |= brand_w[i] == k;
    if (dup) continue;
    for (uint32_t i = 0; i < f->n_tok; i++) dup |= f->tok_h[i] == k;
    if (dup) continue;
    f->tok_h[f->n_tok] = k;
    f->tok[f->n_tok] = w;
    f->n_tok++;
  }
}

/* The scalar and SIMD paths add in the same order (8 lanes, lane l into
 * accumulator l, then lanes l and l + 4, then the same tree), and nothing is
 * contracted into FMA (the build passes -ffp-contract=off), so native and
 * WebAssembly builds give the same bits. */
float rs_dot(const float *a, const float *b, uint32_t n) {
  uint32_t i = 0;
  float s0, s1, s2, s3;
#ifdef __wasm_simd128__
  v128_t acc0 = wasm_f32x4_splat(0.0f), acc1 = wasm_f32x4_splat(0.0f);
  for (; i + 8 <= n; i += 8) {
    acc0 = wasm_f32x4_add(acc0, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
    acc1 =
        wasm_f32x4_add(acc1, wasm_f32x4_mul(wasm_v128_load(a + i + 4), wasm_v128_load(b + i + 4)));
  }
  v128_t acc = wasm_f32x4_add(acc0, acc1);
  s0 = wasm_f32x4_extract_lane(acc, 0);
  s1 = wasm_f32x4_extract_lane(acc, 1);
  s2 = wasm_f32x4_extract_lane(acc, 2);
  s3 = wasm_f32x4_extract_lane(acc, 3);
#else
  float l[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; k++) {
      float m = a[i + k] * b[i + k];
      l[k] = l[k] + m;
    }
  s0 = l[0] + l[4];
  s1 = l[1] + l[5];
  s2 = l[2] + l[6];
  s3 = l[3] + l[7];
#endif
  for (; i < n; i++) {
    float m = a[i] * b[i];
    s0 = s0 + m;
  }
  return (s0 + s1) + (s2 + s3);
}
