#include "evidence.h"

#include "agent_parse.h"
#include "brands.h"
#include "json_write.h"
#include "reasoner_profile.h"
#include "words.h"

#include <cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const KIND_NAMES[] = {"repeat",  "bought_together", "title_words",
                                         "brand",   "category",        "price",
                                         "popular", "text_words"};

const char *arag_ev_kind_name(arag_ev_kind k) {
  return (unsigned)k < sizeof KIND_NAMES / sizeof KIND_NAMES[0] ? KIND_NAMES[k] : "";
}

void arag_ev_history_free(arag_ev_history *h) {
  if (!h) return;
  free(h->item);
  free(h->f);
  free(h->purchases);
  free(h->title_terms);
  free(h->n_title_terms);
  free(h->text_terms);
  free(h->n_text_terms);
  free(h->lead_keys);
  free(h->title_norm);
  free(h->title_key);
  free(h->title_head);
  free(h->post_item);
  free(h->post_next);
  free(h->title_share);
  free(h->related);
  free(h);
}

static void hash_related(const arag_item *a, uint64_t *rh);

static int same_id(const arag_item *a, const arag_item *b) {
  return a->id_len == b->id_len && memcmp(a->id, b->id, a->id_len) == 0;
}

/* Is history item i the item itself (f: its features)? Hashes first. */
static int is_self(const arag_ev_history *h, uint32_t i, const arag_item *it, const rs_feat *f) {
  return h->f[i].id_h == f->id_h && same_id(h->item[i], it);
}

static uint32_t title_slot(const arag_ev_history *h, uint64_t key) {
  uint32_t mask = h->title_cap - 1, i = (uint32_t)(key ^ key >> 32) & mask;
  while (h->title_head[i] && h->title_key[i] != key) i = (i + 1) & mask;
  return i;
}

/* The titles' words, inverted (evidence.h): 0 when out of memory. */
static int index_titles(arag_ev_history *h) {
  uint32_t posts = 0;
  for (uint32_t i = 0; i < h->n; i++) posts += h->n_title_terms[i];
  uint32_t cap = 16;
  while (cap < 2 * posts) cap *= 2;
  h->title_cap = cap;
  h->title_key = malloc(cap * sizeof *h->title_key);
  h->title_head = calloc(cap, sizeof *h->title_head);
  h->post_item = malloc((posts ? posts : 1) * sizeof *h->post_item);
  h->post_next = malloc((posts ? posts : 1) * sizeof *h->post_next);
  h->title_share = malloc((h->n ? h->n : 1) * sizeof *h->title_share);
  if (!h->title_key || !h->title_head || !h->post_item || !h->post_next || !h->title_share)
    return 0;
  /* Titles last to first, each posting put at its list's head: lists in ascending order. */
  uint32_t p = 0;
  for (uint32_t i = h->n; i-- > 0;) {
    const uint64_t *hk = h->title_terms + (size_t)i * ARAG_TERM_MAX;
    for (uint32_t j = 0; j < h->n_title_terms[i]; j++) {
      uint32_t slot = title_slot(h, hk[j]);
      uint32_t head = h->title_head[slot];
      if (head && h->post_item[head - 1] == i) continue; /* a word twice in one title */
      h->title_key[slot] = hk[j];
      h->post_item[p] = i;
      h->post_next[p] = head ? head - 1 : UINT32_MAX;
      h->title_head[slot] = ++p;
    }
  }
  return 1;
}

arag_ev_history *arag_ev_history_build(const arag_event *const *long_term, uint32_t n_long,
                                       const arag_event *const *session, uint32_t n_sess,
                                       const arag_brand_stats *bs) {
  uint32_t n = n_long + n_sess;
  arag_ev_history *h = calloc(1, sizeof *h);
  if (!h) return NULL;
  uint32_t cap = n ? n : 1;
  h->item = malloc(cap * sizeof *h->item);
  h->f = malloc(cap * sizeof *h->f);
  h->purchases = calloc(cap, sizeof *h->purchases);
  h->title_terms = malloc((size_t)cap * ARAG_TERM_MAX * sizeof *h->title_terms);
  h->n_title_terms = malloc(cap * sizeof *h->n_title_terms);
  uint32_t ntext = n < ARAG_EV_TEXT_ITEMS ? n : ARAG_EV_TEXT_ITEMS;
  h->text_terms = malloc((size_t)(ntext ? ntext : 1) * ARAG_TEXT_TERM_MAX * sizeof *h->text_terms);
  h->n_text_terms = calloc(ntext ? ntext : 1, sizeof *h->n_text_terms);
  h->lead_keys = calloc((size_t)cap * ARAG_EV_LEAD_BRANDS, sizeof *h->lead_keys);
  h->title_norm = calloc(cap, sizeof *h->title_norm);
  h->related = malloc((size_t)cap * ARAG_ITEM_MAX_RELATED * sizeof *h->related);
  if (!h->item || !h->f || !h->purchases || !h->title_terms || !h->n_title_terms ||
      !h->text_terms || !h->n_text_terms || !h->lead_keys || !h->title_norm || !h->related) {
    arag_ev_history_free(h);
    return NULL;
  }
  for (uint32_t i = n; i-- > 0;) {
    const arag_event *e = i < n_long ? long_term[i] : session[i - n_long];
    uint32_t k = 0;
    uint64_t idh = rs_hash(e->item.id ? e->item.id : "", e->item.id_len);
    while (k < h->n && !(h->f[k].id_h == idh && same_id(h->item[k], &e->item))) k++;
    if (k == h->n) {
      h->item[k] = &e->item;
      rs_item_features(&e->item, bs, &h->f[k]);
      h->n_title_terms[k] = arag_title_terms(&e->item, h->title_terms + (size_t)k * ARAG_TERM_MAX);
      hash_related(&e->item, h->related + (size_t)k * ARAG_ITEM_MAX_RELATED);
      if (!e->item.brand || !e->item.brand[0]) {
        /* Every brand its title starts with (a session resolved the item's own). */
        const char *t = e->item.title ? e->item.title : "";
        uint32_t ends[ARAG_EV_LEAD_BRANDS], m = arag_title_brands(t, bs, ends);
        if (!m && e->item.title_brand_known && e->item.title_brand_len)
          ends[m++] = e->item.title_brand_len;
        for (uint32_t q = 0; q < m; q++)
          h->lead_keys[(size_t)k * ARAG_EV_LEAD_BRANDS + q] = arag_brand_key(t, ends[q]);
      }
      if (k < ARAG_EV_TEXT_ITEMS) {
        uint32_t tf[ARAG_TEXT_TERM_MAX];
        h->n_text_terms[k] = arag_text_terms(
            &e->item, h->text_terms + (size_t)k * ARAG_TEXT_TERM_MAX, tf, NULL, NULL);
      }
      h->n++;
    }
    if (e->kind == ARAG_EV_PURCHASE) h->purchases[k]++;
  }
  if (!index_titles(h)) {
    arag_ev_history_free(h);
    return NULL;
  }
  return h;
}

static int dbl_desc(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x < y) - (x > y);
}

double arag_ev_popular_cut(const arag_item *const *cands, uint32_t n) {
  double *p = malloc((n ? n : 1) * sizeof *p);
  if (!p) return NAN;
  uint32_t m = 0;
  for (uint32_t i = 0; i < n; i++)
    if (isfinite(cands[i]->popularity)) p[m++] = cands[i]->popularity;
  double cut = NAN;
  if (m >= ARAG_EV_POPULAR_MIN) {
    qsort(p, m, sizeof *p, dbl_desc);
    cut = p[(m - 1) / 4];
  }
  free(p);
  return cut;
}

/* Categories equal label by label, exactly (as the data has them). */
static int same_path(const arag_item *a, const arag_item *b, uint32_t depth) {
  if (a->n_categories < depth || b->n_categories < depth) return 0;
  for (uint32_t d = 0; d < depth; d++)
    if (strcmp(a->categories[d] ? a->categories[d] : "", b->categories[d] ? b->categories[d] : ""))
      return 0;
  return 1;
}

/* The levels two paths share exactly: their keys (case-insensitive, see rs_feat) find
 * the depth, the labels confirm it. */
static uint32_t shared_depth(const arag_item *a, const rs_feat *fa, const arag_item *b,
                             const rs_feat *fb) {
  uint32_t d = rs_shared_depth(fa->cat_h, fa->n_cat, fb->cat_h, fb->n_cat);
  while (d > 0 && !same_path(a, b, d)) d--;
  return d;
}

/* A word shown as shared: one with a letter that is not a function, joining or measure
 * word. */
static int telling_word(const char *s, uint32_t n) {
  int letter = 0;
  for (uint32_t i = 0; i < n && !letter; i++) {
    unsigned char c = (unsigned char)s[i];
    letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
  }
  return letter &&
         !(arag_word_class(s, n) & (ARAG_WORD_FUNCTION | ARAG_WORD_JOINING | ARAG_WORD_MEASURE));
}

typedef struct pick {
  uint32_t k;
  float w;
} pick;

/* Keeps the ARAG_EV_WORDS heaviest of the picks seen (ties: the earlier). */
static void keep_top(pick *top, uint32_t *n, uint32_t k, float w) {
  if (*n == ARAG_EV_WORDS && !(w > top[ARAG_EV_WORDS - 1].w)) return;
  uint32_t q = *n < ARAG_EV_WORDS ? (*n)++ : ARAG_EV_WORDS - 1;
  for (; q > 0 && top[q - 1].w < w; q--) top[q] = top[q - 1];
  top[q] = (pick){k, w};
}

/* The history item whose title shares the most telling words with the candidate's: the
 * largest share of rarity-weighted words (as the reasoner's title overlap), at least
 * 0.2 of it; its words rarest first. */
static int title_words(arag_ev_history *h, const arag_item *it, const rs_feat *f,
                       const arag_term_df *df, arag_ev *ev) {
  if (!h->norms_done || h->norms_df != df) {
    /* Each history title's summed word weights, once per catalog table. */
    for (uint32_t i = 0; i < h->n; i++) {
      const uint64_t *hk = h->title_terms + (size_t)i * ARAG_TERM_MAX;
      h->title_norm[i] = 0;
      for (uint32_t j = 0; j < h->n_title_terms[i]; j++) h->title_norm[i] += rs_term_idf(df, hk[j]);
    }
    h->norms_done = 1;
    h->norms_df = df;
  }
  uint64_t keys[ARAG_TERM_MAX];
  uint32_t at[ARAG_TERM_MAX], len[ARAG_TERM_MAX];
  uint32_t n = arag_title_terms_at(it, keys, at, len);
  float w[ARAG_TERM_MAX], norm = 0;
  uint8_t ok[ARAG_TERM_MAX];
  /* The brand's words are shown apart, as brand evidence. */
  arag_word_at bw[16];
  uint32_t nb = f->brand_h ? arag_title_words(f->brand.s, f->brand.len, bw, 16) : 0;
  for (uint32_t k = 0; k < n; k++) {
    w[k] = rs_term_idf(df, keys[k]);
    norm += w[k];
    int of_brand = 0;
    for (uint32_t j = 0; j < nb && !of_brand; j++) of_brand = bw[j].key == keys[k];
    ok[k] = !of_brand && telling_word(it->title + at[k], len[k]);
  }
  /* Each title's sum of the weights of the words it shares, word by word in the
   * candidate's order (the titles that hold a word: from the inverted table). */
  float *share = h->title_share;
  for (uint32_t i = 0; i < h->n; i++) share[i] = 0;
  for (uint32_t k = 0; k < n; k++) {
    if (!ok[k]) continue;
    uint32_t head = h->title_head[title_slot(h, keys[k])];
    for (uint32_t q = head ? head - 1 : UINT32_MAX; q != UINT32_MAX; q = h->post_next[q])
      share[h->post_item[q]] += w[k];
  }
  float best = 0;
  int32_t best_i = -1;
  for (uint32_t i = 0; i < h->n; i++) {
    float s = share[i], hnorm = h->title_norm[i];
    if (s <= 0 || is_self(h, i, it, f)) continue;
    if (norm <= 0 || hnorm <= 0) continue;
    s /= sqrtf(norm) * sqrtf(hnorm);
    if (s > best) best = s, best_i = (int32_t)i;
  }
  if (best_i < 0 || best < 0.2f) return 0;
  const uint64_t *hk = h->title_terms + (size_t)best_i * ARAG_TERM_MAX;
  uint32_t hn = h->n_title_terms[best_i], np = 0;
  pick top[ARAG_EV_WORDS];
  for (uint32_t k = 0; k < n; k++) {
    if (!ok[k]) continue;
    for (uint32_t j = 0; j < hn; j++)
      if (hk[j] == keys[k]) {
        keep_top(top, &np, k, w[k]);
        break;
      }
  }
  memset(ev, 0, sizeof *ev);
  ev->kind = ARAG_EV_TITLE_WORDS;
  ev->item = best_i;
  for (uint32_t q = 0; q < np; q++) {
    ev->word[q] = it->title + at[top[q].k];
    ev->word_len[q] = len[top[q].k];
  }
  ev->n_words = np;
  return np > 0;
}

/* Words the candidate's text shares with one of the ARAG_EV_TEXT_ITEMS most recent
 * history items' texts (each word of two or more catalog items), rarest first. */
static int text_words(const arag_ev_history *h, const arag_item *it, const rs_feat *f,
                      const arag_term_df *df, arag_ev *ev) {
  uint64_t keys[ARAG_TEXT_TERM_MAX];
  uint32_t tf[ARAG_TEXT_TERM_MAX], len[ARAG_TEXT_TERM_MAX];
  const char *at[ARAG_TEXT_TERM_MAX];
  uint32_t n = arag_text_terms(it, keys, tf, at, len);
  float w[ARAG_TEXT_TERM_MAX];
  for (uint32_t k = 0; k < n; k++) {
    uint32_t d = df && df->docs ? arag_term_df_get(df, keys[k]) : 2;
    w[k] = d >= 2 && telling_word(at[k], len[k])
               ? logf(((float)(df && df->docs ? df->docs : 2) + 1.0f) / ((float)d + 1.0f)) + 1.0f
               : 0.0f;
  }
  float best = 0;
  int32_t best_i = -1;
  for (uint32_t i = 0; i < h->n && i < ARAG_EV_TEXT_ITEMS; i++) {
    if (is_self(h, i, it, f)) continue;
    const uint64_t *hk = h->text_terms + (size_t)i * ARAG_TEXT_TERM_MAX;
    uint32_t m = h->n_text_terms[i];
    float s = 0;
    for (uint32_t k = 0; k < n; k++) {
      if (!(w[k] > 0)) continue;
      for (uint32_t j = 0; j < m; j++)
        if (hk[j] == keys[k]) {
          s += w[k];
          break;
        }
    }
    if (s > best) best = s, best_i = (int32_t)i;
  }
  if (best_i < 0) return 0;
  const uint64_t *hk = h->text_terms + (size_t)best_i * ARAG_TEXT_TERM_MAX;
  uint32_t m = h->n_text_terms[best_i], np = 0;
  pick top[ARAG_EV_WORDS];
  for (uint32_t k = 0; k < n; k++) {
    if (!(w[k] > 0)) continue;
    for (uint32_t j = 0; j < m; j++)
      if (hk[j] == keys[k]) {
        keep_top(top, &np, k, w[k]);
        break;
      }
  }
  memset(ev, 0, sizeof *ev);
  ev->kind = ARAG_EV_TEXT_WORDS;
  ev->item = best_i;
  for (uint32_t q = 0; q < np; q++) {
    ev->word[q] = at[top[q].k];
    ev->word_len[q] = len[top[q].k];
  }
  ev->n_words = np;
  return np > 0;
}

/* The weight a's "related" list gives b (0: none); rh: the hashes of a's related ids,
 * bh: the hash of b's id (compared first, then the ids). */
static float related_weight(const arag_item *a, const uint64_t *rh, const arag_item *b,
                            uint64_t bh) {
  float w = 0;
  for (uint32_t k = 0; k < a->n_related && k < ARAG_ITEM_MAX_RELATED; k++)
    if (rh[k] == bh && a->related_ids[k] && strcmp(a->related_ids[k], b->id) == 0 &&
        isfinite(a->related_w[k]) && a->related_w[k] > w)
      w = a->related_w[k];
  return w;
}

static void hash_related(const arag_item *a, uint64_t *rh) {
  for (uint32_t k = 0; k < a->n_related && k < ARAG_ITEM_MAX_RELATED; k++) {
    const char *r = a->related_ids[k] ? a->related_ids[k] : "";
    rh[k] = rs_hash(r, strlen(r));
  }
}

static int rests_on(const arag_ev_history *h, uint32_t i, const arag_item *it, const rs_feat *f,
                    const arag_ev *ev);

static arag_ev *add_ev(arag_evidence *out) {
  arag_ev *e = &out->e[out->n++];
  memset(e, 0, sizeof *e);
  e->item = -1;
  return e;
}

/* repeat: the item itself is in the history, with its purchases. */
static void ev_repeat(arag_ev_history *h, const arag_item *it, const rs_feat *f,
                      arag_evidence *out) {
  for (uint32_t i = 0; i < h->n; i++)
    if (is_self(h, i, it, f)) {
      arag_ev *e = add_ev(out);
      e->kind = ARAG_EV_REPEAT;
      e->value = h->purchases[i];
      return;
    }
}

/* bought together: the heaviest partner (ties: the most recent) */
static void ev_bought_together(arag_ev_history *h, const arag_item *it, const rs_feat *f,
                               arag_evidence *out) {
  float best_w = 0;
  int32_t best_i = -1;
  uint64_t rh[ARAG_ITEM_MAX_RELATED];
  hash_related(it, rh);
  for (uint32_t i = 0; i < h->n; i++) {
    if (is_self(h, i, it, f)) continue;
    float w1 = it->n_related ? related_weight(it, rh, h->item[i], h->f[i].id_h) : 0;
    float w2 = h->item[i]->n_related
                   ? related_weight(h->item[i], h->related + (size_t)i * ARAG_ITEM_MAX_RELATED, it,
                                    f->id_h)
                   : 0;
    float w = w1 > w2 ? w1 : w2;
    if (w > best_w) best_w = w, best_i = (int32_t)i;
  }
  if (best_i >= 0) {
    arag_ev *e = add_ev(out);
    e->kind = ARAG_EV_BOUGHT_TOGETHER;
    e->item = best_i;
    e->value = best_w;
  }
}

/* category: the deepest path below the root shared with a history item */
static void ev_category(arag_ev_history *h, const arag_item *it, const rs_feat *f,
                        arag_evidence *out) {
  uint32_t depth = 0;
  for (uint32_t i = 0; i < h->n; i++) {
    if (is_self(h, i, it, f)) continue;
    if (depth >= f->n_cat) break;
    uint32_t d = shared_depth(it, f, h->item[i], &h->f[i]);
    if (d > depth) depth = d;
  }
  if (depth >= 2) {
    arag_ev *e = add_ev(out);
    e->kind = ARAG_EV_CATEGORY;
    e->depth = depth;
  }
}

/* price: within the range of at least two priced history items */
static void ev_price(arag_ev_history *h, const arag_item *it, const rs_feat *f,
                     arag_evidence *out) {
  if (!isfinite(it->price) || it->price < 0) return;
  double lo = INFINITY, hi = -INFINITY;
  uint32_t priced = 0;
  for (uint32_t i = 0; i < h->n; i++) {
    double p = h->item[i]->price;
    if (is_self(h, i, it, f) || !isfinite(p) || p < 0) continue;
    priced++;
    if (p < lo) lo = p;
    if (p > hi) hi = p;
  }
  if (priced >= 2 && it->price >= lo && it->price <= hi) {
    arag_ev *e = add_ev(out);
    e->kind = ARAG_EV_PRICE;
    e->value = it->price;
    e->low = lo;
    e->high = hi;
  }
}

void arag_evidence_of(arag_ev_history *h, const arag_item *it, const rs_feat *f,
                      const arag_term_df *title_df, const arag_term_df *text_df, double popular_cut,
                      arag_evidence *out) {
  memset(out, 0, sizeof *out);
  ev_repeat(h, it, f, out);
  ev_bought_together(h, it, f, out);
  arag_ev tw;
  if (title_words(h, it, f, title_df, &tw)) out->e[out->n++] = tw;
  /* brand: history items of the same brand, or (without a brand field) whose titles
   * start with it as a brand the catalog supports */
  if (f->brand_h) {
    arag_ev b = {.kind = ARAG_EV_BRAND, .item = -1};
    for (uint32_t i = 0; i < h->n; i++)
      if (rests_on(h, i, it, f, &b)) {
        out->e[out->n++] = b;
        break;
      }
  }
  ev_category(h, it, f, out);
  ev_price(h, it, f, out);
  /* popular */
  if (isfinite(popular_cut) && isfinite(it->popularity) && it->popularity > 0 &&
      it->popularity >= popular_cut) {
    arag_ev *e = add_ev(out);
    e->kind = ARAG_EV_POPULAR;
    e->value = it->popularity;
  }
  int other = 0;
  for (uint32_t k = 0; k < out->n; k++) other |= out->e[k].kind != ARAG_EV_POPULAR;
  if (!other && text_words(h, it, f, text_df, &tw) && out->n < ARAG_EV_MAX) out->e[out->n++] = tw;
}

/* ------------------------------------------------------------------------ */
/* JSON and plain words                                                      */
/* ------------------------------------------------------------------------ */

/* The history items an entry of many rests on (all of them, most recent first). */
static int rests_on(const arag_ev_history *h, uint32_t i, const arag_item *it, const rs_feat *f,
                    const arag_ev *ev) {
  if (is_self(h, i, it, f)) return 0;
  switch (ev->kind) {
  case ARAG_EV_BRAND:
    if (h->f[i].brand_h == f->brand_h) return 1;
    for (uint32_t q = 0; q < ARAG_EV_LEAD_BRANDS; q++)
      if (h->lead_keys[(size_t)i * ARAG_EV_LEAD_BRANDS + q] == f->brand_h) return 1;
    return 0;
  case ARAG_EV_CATEGORY:
    return same_path(it, h->item[i], ev->depth);
  case ARAG_EV_PRICE:
    return isfinite(h->item[i]->price) && h->item[i]->price >= 0;
  default:
    return 0;
  }
}

static uint32_t count_on(const arag_ev_history *h, const arag_item *it, const rs_feat *f,
                         const arag_ev *ev, int32_t *only) {
  uint32_t c = 0;
  for (uint32_t i = 0; i < h->n; i++)
    if (rests_on(h, i, it, f, ev)) {
      if (!c && only) *only = (int32_t)i;
      c++;
    }
  return c;
}

/* s[0 .. n) as a JSON string. */
static void json_span(arag_sb *b, const char *s, size_t n) {
  char buf[256];
  if (n >= sizeof buf) n = sizeof buf - 1;
  memcpy(buf, s, n);
  buf[n] = 0;
  arag_jw_string(b, buf);
}

/* A history title as a reason quotes it: cut at a word boundary, "…" when cut. */
static void put_title(arag_sb *b, const arag_item *it, int json) {
  const char *t = it->title ? it->title : "";
  uint32_t n = (uint32_t)strlen(t), k = rs_cut_words(t, n, ARAG_EV_TITLE_BYTES);
  char buf[ARAG_EV_TITLE_BYTES + 8];
  memcpy(buf, t, k);
  if (k < n) memcpy(buf + k, "\xe2\x80\xa6", 3), k += 3;
  buf[k] = 0;
  if (json)
    arag_jw_string(b, buf);
  else
    arag_sb_append(b, buf, k);
}

/* The ids of the history items entry e rests on: the candidate itself for a repeat
 * purchase, none for popularity (it rests on no history item). */
static void put_items(arag_sb *b, const arag_ev_history *h, const arag_item *it, const rs_feat *f,
                      const arag_ev *e) {
  arag_sb_append(b, "[", 1);
  if (e->kind == ARAG_EV_REPEAT) {
    arag_jw_string(b, it->id);
  } else if (e->item >= 0) {
    arag_jw_string(b, h->item[e->item]->id);
  } else if (e->kind != ARAG_EV_POPULAR) {
    int c = 0;
    for (uint32_t i = 0; i < h->n; i++)
      if (rests_on(h, i, it, f, e)) {
        if (c++) arag_sb_append(b, ",", 1);
        arag_jw_string(b, h->item[i]->id);
      }
  }
  arag_sb_append(b, "]", 1);
}

/* The members only entry e's kind has. */
static void put_kind_fields(arag_sb *b, int *first, const arag_item *it, const rs_feat *f,
                            const arag_ev *e) {
  switch (e->kind) {
  case ARAG_EV_REPEAT:
    arag_jw_key(b, first, "bought");
    arag_jw_number(b, e->value);
    break;
  case ARAG_EV_BOUGHT_TOGETHER:
    arag_jw_key(b, first, "count");
    arag_jw_number(b, e->value);
    break;
  case ARAG_EV_TITLE_WORDS:
  case ARAG_EV_TEXT_WORDS:
    arag_jw_key(b, first, "words");
    arag_sb_append(b, "[", 1);
    for (uint32_t q = 0; q < e->n_words; q++) {
      if (q) arag_sb_append(b, ",", 1);
      json_span(b, e->word[q], e->word_len[q]);
    }
    arag_sb_append(b, "]", 1);
    break;
  case ARAG_EV_BRAND:
    arag_jw_key(b, first, "brand");
    json_span(b, f->brand.s, f->brand.len);
    break;
  case ARAG_EV_CATEGORY:
    arag_jw_key(b, first, "path");
    arag_sb_append(b, "[", 1);
    for (uint32_t d = 0; d < e->depth; d++) {
      if (d) arag_sb_append(b, ",", 1);
      arag_jw_string(b, it->categories[d] ? it->categories[d] : "");
    }
    arag_sb_append(b, "]", 1);
    break;
  case ARAG_EV_PRICE:
    arag_jw_key(b, first, "price");
    arag_jw_number(b, e->value);
    arag_jw_key(b, first, "low");
    arag_jw_number(b, e->low);
    arag_jw_key(b, first, "high");
    arag_jw_number(b, e->high);
    break;
  case ARAG_EV_POPULAR:
    arag_jw_key(b, first, "popularity");
    arag_jw_number(b, e->value);
    break;
  }
}

void arag_evidence_json(arag_sb *b, const arag_ev_history *h, const arag_item *it, const rs_feat *f,
                        const arag_evidence *ev, uint32_t cited) {
  arag_sb_append(b, "[", 1);
  for (uint32_t k = 0; k < ev->n; k++) {
    const arag_ev *e = &ev->e[k];
    int first = 1;
    arag_sb_append(b, k ? ",{" : "{", k ? 2 : 1);
    arag_jw_key(b, &first, "kind");
    arag_jw_string(b, arag_ev_kind_name(e->kind));
    arag_jw_key(b, &first, "items");
    put_items(b, h, it, f, e);
    int32_t only = e->item;
    if (only < 0 && e->kind != ARAG_EV_REPEAT && e->kind != ARAG_EV_POPULAR &&
        count_on(h, it, f, e, &only) != 1)
      only = -1;
    if (only >= 0) {
      arag_jw_key(b, &first, "title");
      put_title(b, h->item[only], 1);
    }
    put_kind_fields(b, &first, it, f, e);
    if (cited >> k & 1u) {
      arag_jw_key(b, &first, "cited");
      arag_sb_append(b, "true", 4);
    }
    arag_sb_append(b, "}", 1);
  }
  arag_sb_append(b, "]", 1);
}

/* ------------------------------------------------------------------------ */
/* Citations                                                                 */
/* ------------------------------------------------------------------------ */

/* The one history item an IRA prompt names for entry e (-1: none). */
static int32_t shown_item(const arag_ev_history *h, const arag_item *it, const rs_feat *f,
                          const arag_ev *e) {
  if (e->item >= 0) return e->item;
  if (e->kind != ARAG_EV_BRAND && e->kind != ARAG_EV_CATEGORY) return -1;
  int32_t first = -1;
  return count_on(h, it, f, e, &first) ? first : -1;
}

void arag_evidence_prompt(arag_sb *b, const arag_ev_history *h, const arag_item *it,
                          const rs_feat *f, const arag_evidence *ev) {
  if (!ev->n) return;
  arag_sb t;
  arag_sb_init(&t);
  arag_sb_append(b, "[", 1);
  for (uint32_t k = 0; k < ev->n; k++) {
    const arag_ev *e = &ev->e[k];
    int32_t one = shown_item(h, it, f, e);
    arag_sb_truncate(&t, 0);
    arag_sb_puts(&t, arag_ev_kind_name(e->kind));
    if (one >= 0) {
      arag_sb_append(&t, ":", 1);
      arag_sb_puts(&t, h->item[one]->id);
    }
    if (k) arag_sb_append(b, ",", 1);
    if (t.oom) {
      /* No room for the id: the kind alone. */
      arag_jw_string(b, arag_ev_kind_name(e->kind));
    } else {
      arag_sb_json_text(b, t.p, t.len, 0);
    }
  }
  arag_sb_append(b, "]", 1);
  arag_sb_free(&t);
}

/* Whether id is among entry e's items. */
static int among_items(const arag_ev_history *h, const arag_item *it, const rs_feat *f,
                       const arag_ev *e, const char *id) {
  if (e->kind == ARAG_EV_REPEAT) return strcmp(it->id, id) == 0;
  if (e->kind == ARAG_EV_POPULAR) return 0;
  for (uint32_t i = 0; i < h->n; i++)
    if (strcmp(h->item[i]->id, id) == 0)
      return e->item >= 0 ? (int32_t)i == e->item : rests_on(h, i, it, f, e);
  return 0;
}

int arag_evidence_cite(const arag_ev_history *h, const arag_item *it, const rs_feat *f,
                       const arag_evidence *ev, const char *kind, const char *const *ids,
                       uint32_t n) {
  if (!kind) return -1;
  for (uint32_t k = 0; k < ev->n; k++) {
    const arag_ev *e = &ev->e[k];
    if (strcmp(arag_ev_kind_name(e->kind), kind) != 0) continue;
    uint32_t q = 0;
    while (q < n && ids[q] && among_items(h, it, f, e, ids[q])) q++;
    return q == n ? (int)k : -1;
  }
  return -1;
}

/* Two parsed citations alike: the same kind and the same ids in the same order. */
static int same_cite(const cJSON *a, const cJSON *b) { return cJSON_Compare(a, b, 1); }

uint32_t arag_evidence_check_cites(const arag_ev_history *h, const arag_item *it, const rs_feat *f,
                                   const arag_evidence *ev, const cJSON *entry, uint32_t *cited) {
  const cJSON *d = cJSON_GetObjectItemCaseSensitive(entry, "cite_dropped");
  uint32_t dropped = cJSON_IsNumber(d) && d->valuedouble > 0 ? (uint32_t)d->valuedouble : 0;
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(entry, "cite");
  const cJSON *c, *walk = cJSON_IsArray(list) ? list : NULL;
  cJSON_ArrayForEach(c, walk) {
    const char *ids[ARAG_CITE_IDS];
    uint32_t n = 0;
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(c, "kind");
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(c, "items"), *x;
    int ok = cJSON_IsString(kind) && cJSON_IsArray(items);
    const cJSON *ids_walk = ok ? items : NULL;
    cJSON_ArrayForEach(x, ids_walk) {
      if (n == ARAG_CITE_IDS || !cJSON_IsString(x)) {
        ok = 0;
        break;
      }
      ids[n++] = x->valuestring;
    }
    int again = 0;
    for (const cJSON *p = list->child; ok && p != c && !again; p = p->next) again = same_cite(p, c);
    int k = ok && !again ? arag_evidence_cite(h, it, f, ev, kind->valuestring, ids, n) : -1;
    if (k < 0) {
      dropped++;
      continue;
    }
    *cited |= 1u << k;
  }
  return dropped;
}

/* "a", "a" and "b", "a", "b" and "c". */
static void put_words(arag_sb *b, const arag_ev *e) {
  for (uint32_t q = 0; q < e->n_words; q++) {
    if (q) arag_sb_puts(b, q + 1 == e->n_words ? " and " : ", ");
    arag_sb_append(b, "\"", 1);
    arag_sb_append(b, e->word[q], e->word_len[q]);
    arag_sb_append(b, "\"", 1);
  }
}

/* A price as the reasons write it: whole numbers without decimals, else two. */
static void put_price(arag_sb *b, double v) {
  if (v == floor(v) && fabs(v) < 1e15)
    arag_sb_printf(b, "%.0f", v);
  else
    arag_sb_printf(b, "%.2f", v);
}

void arag_evidence_reason(arag_sb *b, const arag_ev_history *h, const arag_item *it,
                          const rs_feat *f, const arag_evidence *ev, uint32_t max_sentences) {
  uint32_t said = 0;
  int32_t quoted[ARAG_EV_MAX]; /* history items a sentence named by title */
  uint32_t n_quoted = 0;
  for (uint32_t k = 0; k < ev->n && said < max_sentences; k++) {
    const arag_ev *e = &ev->e[k];
    int32_t only = e->item;
    uint32_t n = 0;
    if (e->kind == ARAG_EV_BRAND || e->kind == ARAG_EV_CATEGORY) {
      n = count_on(h, it, f, e, &only);
      if (n != 1) only = -1;
    }
    /* A brand or category resting on one item a sentence already named says nothing
     * new about it: the next piece of evidence is said instead. */
    int again = 0;
    for (uint32_t q = 0; q < n_quoted && only >= 0 && e->item < 0; q++) again |= quoted[q] == only;
    if (again) continue;
    if (only >= 0) quoted[n_quoted++] = only;
    if (said++) arag_sb_append(b, " ", 1);
    switch (e->kind) {
    case ARAG_EV_REPEAT:
      if (e->value >= 2)
        arag_sb_printf(b, "You bought this %.0f times before.", e->value);
      else if (e->value >= 1)
        arag_sb_puts(b, "You bought this before.");
      else
        arag_sb_puts(b, "You have seen this before.");
      break;
    case ARAG_EV_BOUGHT_TOGETHER:
      arag_sb_puts(b, "Shoppers bought it together with your ");
      put_title(b, h->item[e->item], 0);
      arag_sb_puts(b, ".");
      break;
    case ARAG_EV_TITLE_WORDS:
      arag_sb_puts(b, "Shares ");
      put_words(b, e);
      arag_sb_puts(b, " with your ");
      put_title(b, h->item[e->item], 0);
      arag_sb_puts(b, ".");
      break;
    case ARAG_EV_TEXT_WORDS:
      arag_sb_puts(b, "Mentions ");
      put_words(b, e);
      arag_sb_puts(b, ", like your ");
      put_title(b, h->item[e->item], 0);
      arag_sb_puts(b, ".");
      break;
    case ARAG_EV_BRAND:
    case ARAG_EV_CATEGORY:
      if (e->kind == ARAG_EV_BRAND) {
        arag_sb_puts(b, "From ");
        arag_sb_append(b, f->brand.s, f->brand.len);
      } else {
        const char *leaf = it->categories[e->depth - 1] ? it->categories[e->depth - 1] : "";
        arag_sb_puts(b, "In ");
        arag_sb_puts(b, leaf);
      }
      if (only >= 0) {
        arag_sb_puts(b, ", like your ");
        put_title(b, h->item[only], 0);
        arag_sb_puts(b, ".");
      } else {
        arag_sb_printf(b, ", like %u of your items.", n);
      }
      break;
    case ARAG_EV_PRICE:
      arag_sb_puts(b, "Priced like your items, from ");
      put_price(b, e->low);
      arag_sb_puts(b, " to ");
      put_price(b, e->high);
      arag_sb_puts(b, ".");
      break;
    case ARAG_EV_POPULAR:
      arag_sb_puts(b, "Popular with other shoppers.");
      break;
    }
  }
}
