#include "reasoner_profile.h"

#include "embed.h"
#include "interest.h"
#include "item.h"
#include "sort.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RS_TITLE_KEEP 80u

/* Appends bytes to the string arena; returns the offset or UINT32_MAX on OOM. */
static uint32_t put_str(rs_profile *pr, const char *s, size_t n) {
  if (pr->strs_len + n + 1 > pr->strs_cap) {
    size_t cap = pr->strs_cap ? pr->strs_cap : 1024;
    while (cap < pr->strs_len + n + 1) cap *= 2;
    char *p = realloc(pr->strs, cap);
    if (!p) return UINT32_MAX;
    pr->strs = p;
    pr->strs_cap = cap;
  }
  uint32_t off = (uint32_t)pr->strs_len;
  if (n) memcpy(pr->strs + off, s, n);
  pr->strs[off + n] = 0;
  pr->strs_len += n + 1;
  return off;
}

/* Cut to at most max bytes at a UTF-8 boundary. */
static size_t utf8_cut(const char *s, size_t n, size_t max) {
  if (n <= max) return n;
  size_t k = max;
  while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
  return k;
}

typedef struct occ {
  uint64_t key;
  uint32_t ev;
  rs_span disp;  /* terms and brands: into the event item */
  uint32_t ncat; /* paths: depth used */
} occ;

static int occ_cmp(const occ *x, const occ *y) {
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  return x->ev < y->ev ? -1 : x->ev > y->ev;
}
ARAG_DEFINE_SORT(sort_occs, occ, occ_cmp)

/* A whole-text term of one event while the profile is built. */
typedef struct tw_ent {
  uint64_t key;
  float w;
  uint32_t len;
  const char *s; /* its first occurrence, in the event's item */
} tw_ent;

static int tw_key_cmp(const tw_ent *x, const tw_ent *y) {
  return x->key < y->key ? -1 : x->key > y->key;
}
ARAG_DEFINE_SORT(sort_tw_keys, tw_ent, tw_key_cmp)

static int tw_w_cmp(const tw_ent *x, const tw_ent *y) {
  if (x->w != y->w) return x->w > y->w ? -1 : 1;
  return x->key < y->key ? -1 : x->key > y->key;
}
ARAG_DEFINE_SORT(sort_tw_weights, tw_ent, tw_w_cmp)

static const arag_event *event_at(const arag_agent_input *in, uint32_t i) {
  return i < in->n_long_term ? in->long_term[i] : in->session[i - in->n_long_term];
}

/* Merges sorted occurrences into aggregates; display strings are made by mk. */
typedef uint32_t (*disp_fn)(rs_profile *pr, const arag_agent_input *in, const occ *o);

static uint32_t disp_span(rs_profile *pr, const arag_agent_input *in, const occ *o) {
  (void)in;
  return put_str(pr, o->disp.s, utf8_cut(o->disp.s, o->disp.len, 60));
}

static uint32_t disp_lower(rs_profile *pr, const arag_agent_input *in, const occ *o) {
  (void)in;
  uint32_t off = put_str(pr, o->disp.s, utf8_cut(o->disp.s, o->disp.len, RS_MAX_WORD));
  if (off == UINT32_MAX) return off;
  for (char *c = pr->strs + off; *c; c++)
    if (*c >= 'A' && *c <= 'Z') *c = (char)(*c + 32);
  return off;
}

static uint32_t disp_path(rs_profile *pr, const arag_agent_input *in, const occ *o) {
  const arag_item *it = &event_at(in, o->ev)->item;
  char buf[256];
  size_t n = 0;
  for (uint32_t d = 0; d < o->ncat; d++) {
    const char *c = it->categories[d] ? it->categories[d] : "";
    size_t cl = strlen(c);
    /* "; " and newlines separate traits in summaries: keep them out of labels. */
    if (d && n + 3 < sizeof buf) memcpy(buf + n, " > ", 3), n += 3;
    for (size_t i = 0; i < cl && n + 1 < sizeof buf; i++)
      buf[n++] = (c[i] == ';' || c[i] == '\n' || c[i] == '\r' || c[i] == '(') ? ' ' : c[i];
  }
  return put_str(pr, buf, utf8_cut(buf, n, sizeof buf - 1));
}

typedef struct id_at {
  uint64_t id_h;
  uint32_t i;
} id_at;

static int id_at_cmp(const id_at *x, const id_at *y) {
  if (x->id_h != y->id_h) return x->id_h < y->id_h ? -1 : 1;
  return x->i < y->i ? -1 : x->i > y->i;
}
ARAG_DEFINE_SORT(sort_id_at, id_at, id_at_cmp)

/* Marks each item's most recent event (latest) and counts the distinct items, of the
 * whole history and of the session. 0 when out of memory. */
static int count_items(rs_profile *pr) {
  id_at *v = malloc((pr->n_ev ? pr->n_ev : 1) * sizeof *v);
  if (!v) return 0;
  for (uint32_t i = 0; i < pr->n_ev; i++) v[i] = (id_at){pr->ev[i].id_h, i};
  sort_id_at(v, pr->n_ev);
  for (uint32_t k = 0; k < pr->n_ev; k++) {
    if (k + 1 < pr->n_ev && v[k + 1].id_h == v[k].id_h) continue;
    rs_event *e = &pr->ev[v[k].i];
    e->latest = 1;
    pr->n_items++;
    pr->n_sess_items += e->sess ? 1u : 0u;
  }
  free(v);
  return 1;
}

static rs_agg *merge(rs_profile *pr, const arag_agent_input *in, occ *o, uint32_t n, disp_fn mk,
                     uint32_t *n_out) {
  *n_out = 0;
  if (!n) return calloc(1, sizeof(rs_agg));
  sort_occs(o, n);
  rs_agg *a = calloc(n, sizeof *a);
  if (!a) return NULL;
  uint32_t k = 0;
  for (uint32_t i = 0; i < n;) {
    uint32_t j = i;
    rs_agg *g = &a[k++];
    g->key = o[i].key;
    uint32_t prev = UINT32_MAX;
    while (j < n && o[j].key == o[i].key) {
      if (o[j].ev != prev) { /* the weight of every event, one count per item */
        const rs_event *e = &pr->ev[o[j].ev];
        g->w += e->w;
        g->n += e->latest;
        g->n_sess += e->latest && e->sess ? 1u : 0u;
        prev = o[j].ev;
      }
      j++;
    }
    g->last = o[j - 1].ev;
    g->off = mk(pr, in, &o[j - 1]);
    if (g->off == UINT32_MAX) {
      free(a);
      return NULL;
    }
    i = j;
  }
  *n_out = k;
  return a;
}

void rs_profile_free(void *p) {
  rs_profile *pr = p;
  if (!pr) return;
  free(pr->ev);
  free(pr->focus);
  free(pr->sim_terms);
  free(pr->brands);
  free(pr->paths);
  free(pr->terms);
  free(pr->pvec);
  free(pr->rel);
  free(pr->words);
  free(pr->strs);
  free(pr);
}

static void normalize(float *v, uint32_t dim) {
  double s = 0;
  for (uint32_t i = 0; i < dim; i++) s += (double)v[i] * v[i];
  if (s <= 0) return;
  float inv = (float)(1.0 / sqrt(s));
  for (uint32_t i = 0; i < dim; i++) v[i] *= inv;
}

const arag_term_df *rs_title_df(const arag_agent_input *in) {
  return in->title_df ? in->title_df : arag_catalog_terms(in->catalog);
}

const arag_term_df *rs_text_df(const arag_agent_input *in) {
  return in->text_df ? in->text_df : arag_catalog_text_terms(in->catalog);
}

const arag_brand_stats *rs_brand_stats(const arag_agent_input *in, arag_brand_stats *buf) {
  return arag_catalog_brand_stats(in->catalog, buf);
}

float rs_term_idf(const arag_term_df *df, uint64_t key) {
  if (!df || !df->docs) return 1.0f;
  return logf(((float)df->docs + 1.0f) / ((float)arag_term_df_get(df, key) + 0.5f));
}

uint32_t rs_text_weights(const arag_term_df *df, const arag_item *it, uint64_t *keys, float *w,
                         const char **at, uint32_t *len) {
  uint32_t tf[ARAG_TEXT_TERM_MAX];
  uint32_t n = arag_text_terms(it, keys, tf, at, len);
  double s = 0;
  for (uint32_t k = 0; k < n; k++) {
    float idf = 1.0f;
    if (df && df->docs) {
      uint32_t d = arag_term_df_get(df, keys[k]);
      idf = d < 2 ? 0.0f : logf(((float)df->docs + 1.0f) / ((float)d + 1.0f)) + 1.0f;
    }
    w[k] = (tf[k] > 1 ? 1.0f + logf((float)tf[k]) : 1.0f) * idf;
    s += (double)w[k] * w[k];
  }
  float inv = s > 0 ? (float)(1.0 / sqrt(s)) : 0.0f;
  for (uint32_t k = 0; k < n; k++) w[k] *= inv;
  return n;
}

static void weigh_terms(rs_terms *t, const arag_term_df *df) {
  float s = 0;
  for (uint32_t k = 0; k < t->n; k++) s += t->w[k] = rs_term_idf(df, t->key[k]);
  t->norm = sqrtf(s);
}

/* Rarity-weighted overlap of two term sets, in [0, 1]. */
static float terms_sim(const rs_terms *a, const rs_terms *b) {
  if (!(a->norm > 0) || !(b->norm > 0)) return 0.0f;
  float s = 0;
  for (uint32_t i = 0; i < a->n; i++)
    for (uint32_t j = 0; j < b->n; j++)
      if (a->key[i] == b->key[j]) {
        s += a->w[i];
        break;
      }
  return s / (a->norm * b->norm);
}

/* pr->words from the RS_WORDS_WINDOW most recent events (see RS_WORDS). 0 when out
 * of memory. */
static int history_words(rs_profile *pr, const arag_agent_input *in) {
  uint32_t n_ev = pr->n_ev < RS_WORDS_WINDOW ? pr->n_ev : RS_WORDS_WINDOW;
  tw_ent *t = malloc((size_t)n_ev * ARAG_TEXT_TERM_MAX * sizeof *t);
  pr->words = calloc(RS_WORDS, sizeof *pr->words);
  if (!t || !pr->words) {
    free(t);
    return 0;
  }
  const arag_term_df *df = rs_text_df(in);
  uint64_t keys[ARAG_TEXT_TERM_MAX];
  float w[ARAG_TEXT_TERM_MAX];
  const char *at[ARAG_TEXT_TERM_MAX];
  uint32_t len[ARAG_TEXT_TERM_MAX];
  uint32_t n = 0;
  for (uint32_t i = pr->n_ev > RS_WORDS_WINDOW ? pr->n_ev - RS_WORDS_WINDOW : 0; i < pr->n_ev;
       i++) {
    uint32_t m = rs_text_weights(df, &event_at(in, i)->item, keys, w, at, len);
    for (uint32_t k = 0; k < m; k++)
      if (w[k] > 0) t[n++] = (tw_ent){keys[k], w[k] * pr->focus[i], len[k], at[k]};
  }
  /* Sums by term; the stable sort keeps each sum in event order (the same bits on
   * every target) and the first occurrence first. */
  sort_tw_keys(t, n);
  uint32_t u = 0;
  for (uint32_t k = 0; k < n; k++) {
    if (u && t[u - 1].key == t[k].key)
      t[u - 1].w += t[k].w;
    else
      t[u++] = t[k];
  }
  double s2 = 0;
  for (uint32_t k = 0; k < u; k++) s2 += (double)t[k].w * t[k].w;
  sort_tw_weights(t, u);
  int ok = 1;
  for (uint32_t k = 0; k < u && pr->n_words < RS_WORDS && s2 > 0; k++) {
    /* A word cut for display would read back as another: longer ones are left out. */
    if (t[k].len > RS_MAX_WORD) continue;
    uint32_t off = put_str(pr, t[k].s, t[k].len);
    if (off == UINT32_MAX) {
      ok = 0;
      break;
    }
    for (char *c = pr->strs + off; *c; c++)
      if (*c >= 'A' && *c <= 'Z') *c = (char)(*c + 32);
    pr->words[pr->n_words++] = (rs_word){t[k].key, (float)(t[k].w / sqrt(s2)), off};
  }
  free(t);
  return ok;
}

/* The occurrences of brands, category paths and title keywords over the events, merged
 * into the profile's aggregates at the end of its build. */
typedef struct occs {
  occ *b, *p, *t;
  uint32_t nb, np, nt;
} occs;

/* The parameters, the arrays and their counts; 0 when out of memory. */
static int profile_alloc(rs_profile *pr, const arag_agent_input *in, const arag_reasoner_params *p,
                         occs *o) {
  uint32_t n = in->n_long_term + in->n_session, m = n ? n : 1;
  pr->dim = in->dim;
  pr->n_ev = n;
  pr->n_sess = in->n_session;
  pr->decay = p->decay;
  pr->sess_boost = p->sess_boost;
  pr->shift = p->shift;
  pr->sim_decay = p->sim_decay;
  pr->sim_window = p->sim_window;
  pr->rel_decay = p->rel_decay;
  pr->rel_window = p->rel_window;
  pr->rel_ev0 = n < p->rel_window ? 0 : n - p->rel_window;
  pr->n_sim = n < p->sim_window ? n : p->sim_window;
  pr->sim_ev0 = n - pr->n_sim;
  pr->ev = calloc(m, sizeof *pr->ev);
  pr->sim_terms = calloc(pr->n_sim ? pr->n_sim : 1, sizeof *pr->sim_terms);
  /* pvec, the recent title embeddings and the candidate's in one block. */
  pr->pvec = calloc((size_t)pr->dim * (2 + pr->n_sim) + 1, sizeof(float));
  o->b = calloc(m, sizeof(occ));
  o->p = calloc(m, sizeof(occ));
  o->t = calloc((size_t)m * RS_MAX_TOK, sizeof(occ));
  /* Each event's interest-shift factor (interest.h). */
  pr->focus = malloc(m * sizeof *pr->focus);
  if (!pr->ev || !pr->sim_terms || !pr->pvec || !o->b || !o->p || !o->t || !pr->focus) return 0;
  pr->simvec = pr->pvec + pr->dim;
  pr->title_tmp = pr->simvec + (size_t)pr->dim * pr->n_sim;
  pr->price_lo = INFINITY;
  pr->price_hi = -INFINITY;
  return 1;
}

/* Event i's part of the profile: its weight, hashes, title, occurrences, vector, title
 * embedding and price. 0 when out of memory. */
static int profile_event(rs_profile *pr, const arag_agent_input *in, const arag_reasoner_params *p,
                         const arag_brand_stats *bs, uint32_t i, occs *o) {
  uint32_t n = pr->n_ev, dim = pr->dim;
  const arag_item *it = &event_at(in, i)->item;
  rs_event *re = &pr->ev[i];
  rs_feat f;
  rs_item_features(it, bs, &f);
  uint32_t age = n - 1 - i;
  re->sess = i >= in->n_long_term;
  re->w = powf(p->decay, (float)age) * (re->sess ? p->sess_boost : 1.0f) * pr->focus[i];
  re->id_h = f.id_h;
  re->brand_h = f.brand_h;
  memcpy(re->cat_h, f.cat_h, sizeof f.cat_h);
  re->n_cat = f.n_cat;
  memcpy(re->lead_h, f.lead_h, sizeof f.lead_h);
  re->n_lead = f.n_lead;
  if (i >= pr->sim_ev0) {
    rs_terms *t = &pr->sim_terms[i - pr->sim_ev0];
    t->n = arag_title_terms(it, t->key);
    weigh_terms(t, rs_title_df(in));
  }
  const char *t = it->title ? it->title : "";
  size_t tl = utf8_cut(t, strlen(t), RS_TITLE_KEEP);
  re->title_off = put_str(pr, t, tl);
  if (re->title_off == UINT32_MAX) return 0;
  re->title_len = (uint32_t)tl;
  pr->w_total += re->w;
  if (re->sess) pr->w_sess += re->w;
  if (f.brand_h) o->b[o->nb++] = (occ){f.brand_h, i, f.brand, 0};
  if (f.n_cat) o->p[o->np++] = (occ){f.cat_h[f.n_cat - 1], i, {0, 0}, f.n_cat};
  for (uint32_t k = 0; k < f.n_tok; k++) o->t[o->nt++] = (occ){f.tok_h[k], i, f.tok[k], 0};
  if (it->vec)
    for (uint32_t d = 0; d < dim; d++) pr->pvec[d] += re->w * it->vec[d];
  if (i >= pr->sim_ev0 &&
      arag_embed_raw(t, strlen(t), dim, pr->simvec + (size_t)(i - pr->sim_ev0) * dim) != ARAG_OK)
    return 0;
  if (isfinite(it->price) && it->price >= 0) {
    if (it->price < pr->price_lo) pr->price_lo = it->price;
    if (it->price > pr->price_hi) pr->price_hi = it->price;
    pr->price_sum_w += re->w * it->price;
    pr->price_w += re->w;
    pr->n_price++;
  }
  return 1;
}

/* The "related" lists of the last rel_window events. 0 when out of memory. */
static int profile_related(rs_profile *pr, const arag_agent_input *in) {
  uint32_t n_rel = 0;
  for (uint32_t i = pr->rel_ev0; i < pr->n_ev; i++) n_rel += event_at(in, i)->item.n_related;
  if (!n_rel) return 1;
  pr->rel = malloc(n_rel * sizeof *pr->rel);
  if (!pr->rel) return 0;
  for (uint32_t i = pr->rel_ev0; i < pr->n_ev; i++) {
    const arag_item *it = &event_at(in, i)->item;
    for (uint32_t k = 0; k < it->n_related; k++) {
      const char *rid = it->related_ids[k] ? it->related_ids[k] : "";
      float w = it->related_w[k];
      if (!(w > 0) || !isfinite(w)) continue;
      pr->rel[pr->n_rel++] = (rs_rel){rs_hash(rid, strlen(rid)), w, i};
    }
  }
  return 1;
}

/* Every part of the profile after the interest shift; 0 when out of memory. */
static int profile_fill(rs_profile *pr, const arag_agent_input *in, const arag_reasoner_params *p,
                        occs *o) {
  arag_brand_stats bs_buf;
  const arag_brand_stats *bs = rs_brand_stats(in, &bs_buf);
  for (uint32_t i = 0; i < pr->n_ev; i++)
    if (!profile_event(pr, in, p, bs, i, o)) return 0;
  normalize(pr->pvec, pr->dim);
  if (!count_items(pr)) return 0;
  if (pr->n_ev && !history_words(pr, in)) return 0;
  if (!profile_related(pr, in)) return 0;
  pr->brands = merge(pr, in, o->b, o->nb, disp_span, &pr->n_brands);
  if (!pr->brands) return 0;
  pr->paths = merge(pr, in, o->p, o->np, disp_path, &pr->n_paths);
  if (!pr->paths) return 0;
  pr->terms = merge(pr, in, o->t, o->nt, disp_lower, &pr->n_terms);
  return pr->terms != NULL;
}

rs_profile *rs_profile_build(const arag_agent_input *in, const arag_reasoner_params *p) {
  rs_profile *pr = calloc(1, sizeof *pr);
  if (!pr) return NULL;
  uint32_t n = in->n_long_term + in->n_session;
  occs o = {0};
  const arag_event **evs = malloc((n ? n : 1) * sizeof *evs);
  int ok = evs && profile_alloc(pr, in, p, &o);
  if (ok) {
    for (uint32_t i = 0; i < n; i++) evs[i] = event_at(in, i);
    arag_shift sh;
    arag_interest_shift(evs, n, p->shift, &sh, pr->focus);
    ok = profile_fill(pr, in, p, &o);
  }
  free(o.b);
  free(o.p);
  free(o.t);
  free(evs);
  if (ok) return pr;
  rs_profile_free(pr);
  return NULL;
}

rs_profile *rs_profile_get(const arag_agent_input *in, const arag_reasoner_params *p, int *owned) {
  *owned = 0;
  if (in->scratch && *in->scratch) {
    rs_profile *pr = *in->scratch;
    if (pr->n_ev == in->n_long_term + in->n_session && pr->n_sess == in->n_session &&
        pr->dim == in->dim && pr->decay == p->decay && pr->sess_boost == p->sess_boost &&
        pr->sim_decay == p->sim_decay && pr->sim_window == p->sim_window && pr->shift == p->shift)
      return pr;
  }
  rs_profile *pr = rs_profile_build(in, p);
  if (!pr) return NULL;
  if (in->scratch && in->free_scratch) {
    if (*in->scratch && *in->free_scratch) (*in->free_scratch)(*in->scratch);
    *in->scratch = pr;
    *in->free_scratch = rs_profile_free;
  } else {
    *owned = 1;
  }
  return pr;
}

/* The best title-word overlap (rarity-weighted) with a recent event, decayed by age. */
static void match_title_words(const rs_profile *pr, const arag_term_df *df, const arag_item *it,
                              rs_match *m) {
  rs_terms tt;
  tt.n = arag_title_terms(it, tt.key);
  weigh_terms(&tt, df);
  float fac = 1.0f;
  for (uint32_t i = pr->n_ev; i-- > pr->sim_ev0; fac *= pr->sim_decay) {
    float s = terms_sim(&tt, rs_event_terms(pr, i)) * fac * pr->focus[i];
    if (s > m->isim) {
      m->isim = s;
      m->isim_ev = (int32_t)i;
    }
  }
}

/* Against every event: the same item, brand, product line and category. */
static void match_events(const rs_profile *pr, const rs_feat *f, rs_match *m) {
  float cat_w = 0;
  for (uint32_t i = 0; i < pr->n_ev; i++) {
    const rs_event *e = &pr->ev[i];
    if (e->id_h == f->id_h) m->rep_n++;
    if (f->brand_h && e->brand_h == f->brand_h) {
      m->brand_n++;
      m->brand_sess_n += e->sess ? 1u : 0u;
      m->brand_w += e->w;
    }
    uint32_t lw = rs_shared_depth(f->lead_h, f->n_lead, e->lead_h, e->n_lead);
    /* With a brand field, the brand's own leading words are the brand, not a
     * product line: "Puffin Glow Works Hyaluronic Serum" and "Puffin Glow Works Sun
     * Fluid" share none; the line counts from the first word after the brand, as
     * if the brand were one word. amazon-office (brands in the text) NDCG@5 0.3508
     * -> 0.3518; amazon-beauty (no brand field) is unchanged. */
    if (f->n_lead_brand) lw = lw > f->n_lead_brand ? lw - f->n_lead_brand + 1 : 0;
    if (lw && lw >= m->line) {
      m->line = lw;
      m->line_ev = (int32_t)i;
    }
    uint32_t d = rs_shared_depth(f->cat_h, f->n_cat, e->cat_h, e->n_cat);
    if (d >= 2) {
      m->cat_n++;
      m->cat_sess += e->sess ? 1u : 0u;
      cat_w += e->w * rs_depth_score(d, f->n_cat > e->n_cat ? f->n_cat : e->n_cat);
      if (d > m->cat_depth) m->cat_depth = d;
    }
  }
  if (pr->w_total > 0) {
    m->brand_w /= pr->w_total;
    m->cat = cat_w / pr->w_total;
  }
}

/* The embedded title's cosine with the recent events' (best, decayed best, recent sum). */
static void match_title_embedding(rs_profile *pr, const arag_item *it, rs_match *m) {
  const char *title = it->title ? it->title : "";
  const float *tv = pr->title_tmp;
  if (arag_embed_raw(title, strlen(title), pr->dim, pr->title_tmp) != ARAG_OK) return;
  float fac = 1.0f;
  for (uint32_t k = pr->n_sim; k-- > 0; fac *= pr->sim_decay) {
    float s = rs_dot(tv, pr->simvec + (size_t)k * pr->dim, pr->dim);
    if (m->sim_ev < 0 || s > m->sim) {
      m->sim = s;
      m->sim_ev = (int32_t)(pr->sim_ev0 + k);
    }
    if (s * fac > m->wsim) m->wsim = s * fac;
    uint32_t age = pr->n_sim - 1 - k;
    if (age < 5) m->rsim += s * (float)(1.0 / (1u << age));
  }
}

/* Bought together with a recent event: the larger weight of the two lists (either may
 * be absent), independent of list order. */
static void match_related(const rs_profile *pr, const arag_item *it, const rs_feat *f,
                          rs_match *m) {
  uint64_t rh[ARAG_ITEM_MAX_RELATED];
  uint32_t nr = it->n_related < ARAG_ITEM_MAX_RELATED ? it->n_related : ARAG_ITEM_MAX_RELATED;
  for (uint32_t k = 0; k < nr; k++) {
    const char *rid = it->related_ids[k] ? it->related_ids[k] : "";
    rh[k] = rs_hash(rid, strlen(rid));
  }
  if (!nr && !pr->n_rel) return;
  float best = 0;
  for (uint32_t i = pr->rel_ev0; i < pr->n_ev; i++) {
    const rs_event *e = &pr->ev[i];
    if (e->id_h == f->id_h) continue;
    float w = 0;
    for (uint32_t k = 0; k < nr; k++)
      if (rh[k] == e->id_h && isfinite(it->related_w[k]) && it->related_w[k] > w)
        w = it->related_w[k];
    for (uint32_t k = 0; k < pr->n_rel; k++)
      if (pr->rel[k].ev == i && pr->rel[k].id_h == f->id_h && pr->rel[k].w > w) w = pr->rel[k].w;
    if (!(w > 0)) continue;
    float c = logf(1.0f + w) * powf(pr->rel_decay, (float)(pr->n_ev - 1 - i)) * pr->focus[i];
    m->rel += c;
    if (c >= best) {
      best = c;
      m->rel_w = w;
      m->rel_ev = (int32_t)i;
    }
  }
}

void rs_profile_match(rs_profile *pr, const arag_term_df *df, const arag_item *it, const rs_feat *f,
                      rs_match *m) {
  memset(m, 0, sizeof *m);
  m->sim_ev = -1;
  m->isim_ev = -1;
  m->line_ev = -1;
  m->rel_ev = -1;
  match_title_words(pr, df, it, m);
  match_events(pr, f, m);
  if (pr->price_w > 0 && pr->price_sum_w > 0 && isfinite(it->price) && it->price > 0) {
    /* Ratio to the typical price, either way, with basic arithmetic only (the
     * same bits on every target): 1 at the typical price, 0 from 4x away. */
    double q = it->price * pr->price_w / pr->price_sum_w;
    if (q > 0 && q < 1) q = 1 / q;
    m->price = q >= 1 && q < 4 ? (float)(1 - (q - 1) / 3) : 0.0f;
  }
  match_title_embedding(pr, it, m);
  if (it->vec) m->psim = rs_dot(it->vec, pr->pvec, pr->dim);
  match_related(pr, it, f, m);
}
