/* The offline reasoner: the four agent contracts answered in C (see reasoner.h). */
#include "reasoner.h"

#include "evidence.h"
#include "reasoner_profile.h"
#include "reasoner_traits.h"
#include "sort.h"
#include "strbuf.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* The defaults: one configuration for every catalog, chosen on two Amazon review
 * data sets with tools/eval_native, keeping only weights that helped on both. What was
 * measured for each, and what was tried and left out: docs/offline-reasoner.md
 * ("Experiment log"). */
void arag_reasoner_params_default(arag_reasoner_params *p) {
  /* Profile: recency weight 0.7^age, session events count 2.5x. */
  p->decay = 0.7f;
  p->sess_boost = 2.5f;
  /* A session about something else than the older history: those older events weigh
   * 1 - 0.75 * shift (interest.h). */
  p->shift = 0.75f;
  /* NLI: the best title-word overlap with the 10 most recent events (words weighed by
   * their rarity in the catalog), category depth, the same product line, a repeat
   * purchase. Brand loyalty is weighed once, by IRA, from S_user. The hashed-embedding
   * cosine (nli_sim) is off: it stays for hosts whose embeddings carry meaning. */
  p->sim_window = 10;
  p->sim_decay = 0.95f;
  p->nli_bias = -3.0f;
  p->nli_brand = 0.0f;
  p->nli_brandn = 0.0f;
  p->nli_cat = 2.0f;
  p->nli_line = 3.0f;
  p->nli_sess = 0.0f;
  p->nli_sim = 0.0f;
  p->nli_rsim = 0.0f;
  p->nli_psim = 0.0f;
  p->nli_isim = 9.0f;
  p->nli_rep = 3.0f;
  /* A price near the user's typical price (the recency-weighted mean). */
  p->nli_price = 0.5f;
  /* Bought together: a candidate and one of the 10 most recent events on each other's
   * "related" lists, weighed by log(1 + shoppers) and 0.9^age. */
  p->nli_rel = 4.5f;
  p->rel_decay = 0.9f;
  p->rel_window = 10;
  /* IRA: NLI score, standardized retrieval similarity, popularity among the candidates,
   * S_user's brands, category paths and keywords (weighed by rarity among the
   * candidates). S_ctx's traits are read but weigh 0 (ira_c_*): hosts ranking retrieved
   * candidates may set them. */
  p->ira_nli = 1.0f;
  p->ira_nli_logit = 0.0f;
  p->ira_ret = 0.05f;
  p->ira_pop = 0.7f;
  p->ira_div = 0.0f;
  p->ira_idf = 1.0f;
  p->ira_u_brand = 2.0f;
  p->ira_u_cat = 0.25f;
  p->ira_u_kw = 0.25f;
  p->ira_u_sess = 0.0f;
  /* S_user's Words: the candidate's cosine with the whole history's text. */
  p->ira_text = 2.0f;
  p->ira_c_brand = 0.0f;
  p->ira_c_cat = 0.0f;
  p->ira_c_kw = 0.0f;
}

/* Every parameter by name, with its range (weights may be negative; rates and
 * shares are in [0, 1]; windows are event counts). */
typedef struct rs_param {
  const char *name;
  size_t off;
  int is_uint;
  float lo, hi;
} rs_param;

#define RS_W(f)                                                                                    \
  { #f, offsetof(arag_reasoner_params, f), 0, -1000.0f, 1000.0f }
#define RS_R(f)                                                                                    \
  { #f, offsetof(arag_reasoner_params, f), 0, 0.0f, 1.0f }
#define RS_N(f)                                                                                    \
  { #f, offsetof(arag_reasoner_params, f), 1, 0.0f, 10000.0f }
static const rs_param PARAMS[] = {
    RS_R(decay),         RS_W(sess_boost), RS_N(sim_window), RS_R(sim_decay),  RS_W(nli_bias),
    RS_W(nli_brand),     RS_W(nli_brandn), RS_W(nli_rsim),   RS_W(nli_line),   RS_W(nli_cat),
    RS_W(nli_sess),      RS_W(nli_sim),    RS_W(nli_psim),   RS_W(nli_rep),    RS_W(nli_isim),
    RS_W(nli_price),     RS_W(nli_rel),    RS_R(rel_decay),  RS_N(rel_window), RS_W(ira_nli),
    RS_W(ira_nli_logit), RS_W(ira_ret),    RS_W(ira_pop),    RS_R(ira_div),    RS_R(ira_idf),
    RS_W(ira_u_brand),   RS_W(ira_u_cat),  RS_W(ira_u_kw),   RS_W(ira_u_sess), RS_W(ira_c_brand),
    RS_W(ira_c_cat),     RS_W(ira_c_kw),   RS_W(ira_text),   RS_R(shift),
};
#undef RS_W
#undef RS_R
#undef RS_N

uint32_t arag_reasoner_params_count(void) { return sizeof PARAMS / sizeof PARAMS[0]; }

const char *arag_reasoner_params_name(uint32_t i) {
  return i < arag_reasoner_params_count() ? PARAMS[i].name : NULL;
}

double arag_reasoner_params_get(const arag_reasoner_params *p, uint32_t i) {
  if (i >= arag_reasoner_params_count()) return NAN;
  const char *at = (const char *)p + PARAMS[i].off;
  return PARAMS[i].is_uint ? (double)*(const uint32_t *)at : (double)*(const float *)at;
}

int arag_reasoner_params_set(arag_reasoner_params *p, const char *name, double v, double *lo,
                             double *hi) {
  for (uint32_t i = 0; i < arag_reasoner_params_count(); i++) {
    const rs_param *q = &PARAMS[i];
    if (strcmp(name, q->name) != 0) continue;
    if (lo) *lo = q->lo;
    if (hi) *hi = q->hi;
    if (!isfinite(v) || v < q->lo || v > q->hi || (q->is_uint && v != floor(v))) return -2;
    char *at = (char *)p + q->off;
    if (q->is_uint)
      *(uint32_t *)at = (uint32_t)v;
    else
      *(float *)at = (float)v;
    return 0;
  }
  return -1;
}

/* ------------------------------------------------------------------------ */
/* Small helpers                                                             */
/* ------------------------------------------------------------------------ */

/* Appends untrusted text for a summary line: separators of the trait format
 * (newline, ';') become spaces. */
static void put_clean(arag_sb *b, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '\n' || c == '\r' || c == ';' || c == '\t') c = ' ';
    arag_sb_append(b, &c, 1);
  }
}

static int pct(float w, float total) {
  if (total <= 0) return 0;
  int p = (int)lroundf(100.0f * w / total);
  return p < 0 ? 0 : p > 100 ? 100 : p;
}

/* Are two words the same but for a final "s" on one ("curl", "curls")? */
static int same_but_s(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la + 1 == lb) return b[la] == 's' && memcmp(a, b, la) == 0;
  if (lb + 1 == la) return a[lb] == 's' && memcmp(a, b, lb) == 0;
  return 0;
}

/* Deepest label of a path display "A > B > C". */
static const char *leaf_of(const char *path) {
  const char *leaf = path;
  for (const char *q = path; (q = strstr(q, " > ")) != NULL; q += 3) leaf = q + 3;
  return leaf;
}

typedef struct rank_ent {
  const rs_agg *a;
  float key;
} rank_ent;

static int rank_cmp(const rank_ent *a, const rank_ent *b) {
  if (a->key != b->key) return a->key > b->key ? -1 : 1;
  if (a->a->last != b->a->last) return a->a->last > b->a->last ? -1 : 1;
  return a->a->key < b->a->key ? -1 : a->a->key > b->a->key;
}
ARAG_DEFINE_SORT(sort_ranks, rank_ent, rank_cmp)

/* The top k aggregates by weight (or by session weight), ties: most recent, key. */
static uint32_t top_aggs(const rs_profile *pr, const rs_agg *a, uint32_t n, int session,
                         rank_ent *out, uint32_t k) {
  uint32_t m = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (session && !a[i].n_sess) continue;
    float w = a[i].w;
    if (session) {
      w = 0;
      /* The session weight: sum over this trait's session events is not kept;
       * n_sess with the most recent event as tie-break reads well enough. */
      w = (float)a[i].n_sess;
    }
    out[m++] = (rank_ent){&a[i], w};
  }
  (void)pr;
  sort_ranks(out, m);
  return m < k ? m : k;
}

static void put_trait_line(arag_sb *b, const rs_profile *pr, const char *label, const rs_agg *a,
                           uint32_t n, int session, uint32_t k, rank_ent *tmp) {
  uint32_t m = top_aggs(pr, a, n, session, tmp, k);
  if (!m) return;
  arag_sb_puts(b, label);
  arag_sb_puts(b, ": ");
  uint32_t of = session ? pr->n_sess_items : pr->n_items;
  for (uint32_t i = 0; i < m; i++) {
    const rs_agg *g = tmp[i].a;
    if (i) arag_sb_puts(b, "; ");
    const char *s = rs_str(pr, g->off);
    put_clean(b, s, strlen(s));
    uint32_t cnt = session ? g->n_sess : g->n;
    int p = session ? pct((float)g->n_sess, (float)pr->n_sess_items) : pct(g->w, pr->w_total);
    arag_sb_printf(b, " (%u of %u, %d%%)", cnt, of, p);
  }
  arag_sb_puts(b, "\n");
}

/* ------------------------------------------------------------------------ */
/* UUA                                                                       */
/* ------------------------------------------------------------------------ */

static char *answer_uua(const arag_agent_input *in, const arag_reasoner_params *p, size_t *len) {
  int owned;
  rs_profile *pr = rs_profile_get(in, p, &owned);
  if (!pr) return NULL;
  uint32_t cap = pr->n_brands + pr->n_paths + pr->n_terms + 1;
  rank_ent *tmp = malloc(cap * sizeof *tmp);
  arag_sb sum, out;
  arag_sb_init(&sum);
  arag_sb_init(&out);
  if (!tmp) goto done;
  if (!pr->n_ev) {
    arag_sb_puts(&sum, "No history yet: no preferences known.");
  } else {
    arag_sb_printf(&sum, "Based on %u past items (%u in this session)", pr->n_items,
                   pr->n_sess_items);
    uint32_t m = top_aggs(pr, pr->paths, pr->n_paths, 0, tmp, 1);
    if (m) {
      arag_sb_puts(&sum, ", mostly ");
      const char *leaf = leaf_of(rs_str(pr, tmp[0].a->off));
      put_clean(&sum, leaf, strlen(leaf));
    }
    m = top_aggs(pr, pr->brands, pr->n_brands, 0, tmp, 1);
    if (m && tmp[0].a->n >= 2) {
      arag_sb_puts(&sum, ", often from ");
      const char *s = rs_str(pr, tmp[0].a->off);
      put_clean(&sum, s, strlen(s));
    }
    /* The session's topics: its three leading keywords, a plural of one named
     * already left out ("curl, curls"). */
    m = top_aggs(pr, pr->terms, pr->n_terms, 1, tmp, pr->n_terms);
    const char *topic[3];
    uint32_t nt = 0;
    for (uint32_t i = 0; i < m && nt < 3; i++) {
      const char *s = rs_str(pr, tmp[i].a->off);
      int plural = 0;
      for (uint32_t j = 0; j < nt && !plural; j++) plural = same_but_s(s, topic[j]);
      if (!plural) topic[nt++] = s;
    }
    if (nt) {
      arag_sb_puts(&sum, "; this session is about ");
      for (uint32_t i = 0; i < nt; i++) {
        if (i) arag_sb_puts(&sum, i + 1 == nt ? " and " : ", ");
        put_clean(&sum, topic[i], strlen(topic[i]));
      }
    }
    arag_sb_puts(&sum, ".\n");
    put_trait_line(&sum, pr, "Brands", pr->brands, pr->n_brands, 0, 5, tmp);
    put_trait_line(&sum, pr, "Categories", pr->paths, pr->n_paths, 0, 4, tmp);
    put_trait_line(&sum, pr, "Keywords", pr->terms, pr->n_terms, 0, 10, tmp);
    if (pr->n_words) {
      /* The history's words with their weights, which IRA reads back (ira_text). */
      arag_sb_puts(&sum, "Words: ");
      for (uint32_t i = 0; i < pr->n_words; i++) {
        const char *w = rs_str(pr, pr->words[i].off);
        if (i) arag_sb_puts(&sum, "; ");
        put_clean(&sum, w, strlen(w));
        arag_sb_puts(&sum, " (");
        arag_sb_fixed(&sum, 100.0 * pr->words[i].w, 1);
        arag_sb_puts(&sum, "%)");
      }
      arag_sb_puts(&sum, "\n");
    }
    if (pr->n_price && pr->price_w > 0)
      arag_sb_printf(&sum, "Price: %.2f to %.2f, typically %.2f\n", pr->price_lo, pr->price_hi,
                     pr->price_sum_w / pr->price_w);
    put_trait_line(&sum, pr, "Session brands", pr->brands, pr->n_brands, 1, 3, tmp);
    put_trait_line(&sum, pr, "Session categories", pr->paths, pr->n_paths, 1, 3, tmp);
    put_trait_line(&sum, pr, "Session keywords", pr->terms, pr->n_terms, 1, 6, tmp);
  }
  if (sum.len && sum.p[sum.len - 1] == '\n') sum.p[--sum.len] = 0;
  arag_sb_puts(&out, "{\"summary\":");
  arag_sb_json_text(&out, sum.p ? sum.p : "", sum.len, 0);
  arag_sb_puts(&out, ",\"interests\":[");
  uint32_t n_int = 0;
  uint32_t m = top_aggs(pr, pr->brands, pr->n_brands, 0, tmp, 3);
  for (uint32_t i = 0; i < m; i++) {
    const char *s = rs_str(pr, tmp[i].a->off);
    if (n_int++) arag_sb_puts(&out, ",");
    arag_sb_json_text(&out, s, strlen(s), 0);
  }
  m = top_aggs(pr, pr->paths, pr->n_paths, 0, tmp, 3);
  for (uint32_t i = 0; i < m; i++) {
    const char *s = leaf_of(rs_str(pr, tmp[i].a->off));
    if (n_int++) arag_sb_puts(&out, ",");
    arag_sb_json_text(&out, s, strlen(s), 0);
  }
  m = top_aggs(pr, pr->terms, pr->n_terms, 0, tmp, 5);
  for (uint32_t i = 0; i < m; i++) {
    const char *s = rs_str(pr, tmp[i].a->off);
    if (n_int++) arag_sb_puts(&out, ",");
    arag_sb_json_text(&out, s, strlen(s), 0);
  }
  arag_sb_puts(&out, "]}");
done:;
  int failed = !tmp || sum.oom; /* a summary cut short by out of memory is not given */
  free(tmp);
  arag_sb_free(&sum);
  if (owned) rs_profile_free(pr);
  if (failed) {
    arag_sb_free(&out);
    return NULL;
  }
  return arag_sb_take(&out, len);
}

/* ------------------------------------------------------------------------ */
/* NLI                                                                       */
/* ------------------------------------------------------------------------ */

static float nli_score(const arag_reasoner_params *p, const rs_match *m) {
  float x = p->nli_bias + p->nli_brand * m->brand_w + p->nli_brandn * logf(1.0f + m->brand_n) +
            p->nli_cat * m->cat +
            p->nli_line * (m->line >= 2 ? (float)(m->line - 1) / (RS_LEAD - 1) : 0.0f) +
            p->nli_sess * (float)((m->brand_sess_n > 0) + (m->cat_sess > 0)) +
            p->nli_sim * m->wsim + p->nli_isim * m->isim + p->nli_rsim * m->rsim +
            p->nli_psim * m->psim + p->nli_rep * (m->rep_n ? 1.0f : 0.0f) +
            p->nli_price * m->price + p->nli_rel * m->rel;
  return 1.0f / (1.0f + expf(-x));
}

/* The evidence of the input's candidates: the session's, or computed here from the
 * input (a call without a session: tests, tools). */
typedef struct rs_ev_set {
  const arag_evidence *ev; /* per candidate */
  const arag_ev_history *h;
  arag_evidence *own_ev;
  arag_ev_history *own_h;
} rs_ev_set;

static int evidence_get(const arag_agent_input *in, const arag_brand_stats *bs, const rs_feat *fs,
                        rs_ev_set *set) {
  memset(set, 0, sizeof *set);
  if (in->evidence && in->ev_history) {
    set->ev = in->evidence;
    set->h = in->ev_history;
    return 1;
  }
  set->own_h =
      arag_ev_history_build(in->long_term, in->n_long_term, in->session, in->n_session, bs);
  set->own_ev = malloc((in->n_cands ? in->n_cands : 1) * sizeof *set->own_ev);
  if (!set->own_h || !set->own_ev) {
    arag_ev_history_free(set->own_h);
    free(set->own_ev);
    return 0;
  }
  double cut = arag_ev_popular_cut(in->cands, in->n_cands);
  for (uint32_t i = 0; i < in->n_cands; i++)
    arag_evidence_of(set->own_h, in->cands[i], &fs[i], rs_title_df(in), rs_text_df(in), cut,
                     &set->own_ev[i]);
  set->ev = set->own_ev;
  set->h = set->own_h;
  return 1;
}

static void evidence_done(rs_ev_set *set) {
  arag_ev_history_free(set->own_h);
  free(set->own_ev);
}

static char *answer_nli(const arag_agent_input *in, const arag_reasoner_params *p, size_t *len) {
  arag_brand_stats bs_buf;
  const arag_brand_stats *bs = rs_brand_stats(in, &bs_buf);
  int owned;
  rs_profile *pr = rs_profile_get(in, p, &owned);
  if (!pr) return NULL;
  rs_feat *fs = malloc((in->n_cands ? in->n_cands : 1) * sizeof *fs);
  rs_ev_set evs;
  char *res = NULL;
  if (!fs) goto done;
  if (in->features)
    memcpy(fs, in->features, in->n_cands * sizeof *fs);
  else
    for (uint32_t i = 0; i < in->n_cands; i++) rs_item_features(in->cands[i], bs, &fs[i]);
  if (!evidence_get(in, bs, fs, &evs)) goto done;
  arag_sb out, r;
  arag_sb_init(&out);
  arag_sb_init(&r);
  arag_sb_puts(&out, "{\"items\":[");
  for (uint32_t i = 0; i < in->n_cands; i++) {
    const arag_item *it = in->cands[i];
    rs_match m;
    rs_profile_match(pr, rs_title_df(in), it, &fs[i], &m);
    float s = pr->n_ev ? nli_score(p, &m) : 0.5f;
    const char *label = s >= 0.6f ? "supports" : (s < 0.25f ? "contradicts" : "neutral");
    /* The rationale: every piece of the item's evidence in plain words. */
    arag_sb_truncate(&r, 0);
    arag_evidence_reason(&r, evs.h, it, &fs[i], &evs.ev[i], ARAG_EV_MAX);
    if (i) arag_sb_puts(&out, ",");
    arag_sb_puts(&out, "{\"id\":");
    arag_sb_json_text(&out, it->id ? it->id : "", it->id ? strlen(it->id) : 0, 0);
    arag_sb_puts(&out, ",\"score\":");
    arag_sb_fixed(&out, s, 4);
    arag_sb_puts(&out, ",\"label\":\"");
    arag_sb_puts(&out, label);
    arag_sb_puts(&out, "\",\"rationale\":");
    arag_sb_json_text(&out, r.p ? r.p : "", r.len, 0);
    arag_sb_puts(&out, "}");
  }
  arag_sb_puts(&out, "]}");
  if (!r.oom)
    res = arag_sb_take(&out, len);
  else
    arag_sb_free(&out);
  arag_sb_free(&r);
  evidence_done(&evs);
done:
  free(fs);
  if (owned) rs_profile_free(pr);
  return res;
}

/* ------------------------------------------------------------------------ */
/* CSA                                                                       */
/* ------------------------------------------------------------------------ */

typedef struct csa_occ {
  uint64_t key;
  uint32_t cand;
  uint32_t depth; /* paths: prefix depth */
  rs_span disp;
} csa_occ;

static int csa_cmp(const csa_occ *x, const csa_occ *y) {
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  return x->cand < y->cand ? -1 : x->cand > y->cand;
}
ARAG_DEFINE_SORT(sort_csa_occs, csa_occ, csa_cmp)

typedef struct csa_trait {
  const csa_occ *o; /* first occurrence */
  uint32_t n;
  float w;
} csa_trait;

static int csa_trait_cmp(const csa_trait *x, const csa_trait *y) {
  if (x->w != y->w) return x->w > y->w ? -1 : 1;
  if (x->n != y->n) return x->n > y->n ? -1 : 1;
  if (x->o->depth != y->o->depth) return x->o->depth > y->o->depth ? -1 : 1;
  return x->o->key < y->o->key ? -1 : x->o->key > y->o->key;
}
ARAG_DEFINE_SORT(sort_csa_traits, csa_trait, csa_trait_cmp)

/* Groups sorted occurrences into traits shared by at least min_n candidates. */
static uint32_t csa_group(csa_occ *o, uint32_t n, const float *w, uint32_t min_n, csa_trait *out) {
  sort_csa_occs(o, n);
  uint32_t k = 0;
  for (uint32_t i = 0; i < n;) {
    uint32_t j = i, cnt = 0, prev = UINT32_MAX;
    float sw = 0;
    while (j < n && o[j].key == o[i].key) {
      if (o[j].cand != prev) cnt++, sw += w[o[j].cand], prev = o[j].cand;
      j++;
    }
    if (cnt >= min_n) out[k++] = (csa_trait){&o[i], cnt, sw};
    i = j;
  }
  sort_csa_traits(out, k);
  return k;
}

static void csa_put_path(arag_sb *b, const arag_item *it, uint32_t depth) {
  for (uint32_t d = 0; d < depth && d < it->n_categories; d++) {
    const char *c = it->categories[d] ? it->categories[d] : "";
    if (d) arag_sb_puts(b, " > ");
    size_t cl = strlen(c);
    for (size_t i = 0; i < cl; i++) {
      char ch = c[i];
      if (ch == ';' || ch == '\n' || ch == '\r' || ch == '(') ch = ' ';
      arag_sb_append(b, &ch, 1);
    }
  }
}

static char *answer_csa(const arag_agent_input *in, const arag_reasoner_params *p, size_t *len) {
  arag_brand_stats bs_buf;
  const arag_brand_stats *bs = rs_brand_stats(in, &bs_buf);
  (void)p;
  uint32_t n = in->n_cands;
  arag_sb sum, out;
  arag_sb_init(&sum);
  arag_sb_init(&out);
  rs_feat *f = malloc((n ? n : 1) * sizeof *f);
  float *w = malloc((n ? n : 1) * sizeof *w);
  csa_occ *ob = malloc((n ? n : 1) * sizeof *ob);
  csa_occ *op = malloc((size_t)(n ? n : 1) * RS_MAX_CAT * sizeof *op);
  csa_occ *ot = malloc((size_t)(n ? n : 1) * RS_MAX_TOK * sizeof *ot);
  csa_trait *tr = malloc((size_t)(n ? n : 1) * RS_MAX_TOK * sizeof *tr);
  char *res = NULL;
  if (!f || !w || !ob || !op || !ot || !tr) goto done;
  uint32_t nb = 0, np = 0, nt = 0;
  float wt = 0;
  for (uint32_t i = 0; i < n; i++) {
    rs_item_features(in->cands[i], bs, &f[i]);
    float s = in->nli ? in->nli[i].score : 1.0f;
    w[i] = isfinite(s) && s > 0 ? s : 0.0f;
    wt += w[i];
    if (f[i].brand_h) ob[nb++] = (csa_occ){f[i].brand_h, i, 0, f[i].brand};
    for (uint32_t d = 1; d < f[i].n_cat; d++) /* below the root */
      op[np++] = (csa_occ){f[i].cat_h[d], i, d + 1, {0, 0}};
    for (uint32_t k = 0; k < f[i].n_tok; k++)
      ot[nt++] = (csa_occ){f[i].tok_h[k], i, 0, f[i].tok[k]};
  }
  if (!n) {
    arag_sb_puts(&sum, "No accepted items: nothing in common to report.");
  } else {
    uint32_t min_n = n >= 3 ? 2 : 1;
    arag_sb_printf(&sum, "%u accepted item%s", n, n == 1 ? "" : "s");
    uint32_t k = csa_group(ob, nb, w, min_n, tr);
    uint32_t said = 0;
    if (k) {
      arag_sb_printf(&sum, "%s brand ", said++ ? "," : " share");
      put_clean(&sum, tr[0].o->disp.s, tr[0].o->disp.len);
      arag_sb_printf(&sum, " (%u)", tr[0].n);
    }
    csa_trait tb[5];
    uint32_t kb = k < 5 ? k : 5;
    memcpy(tb, tr, kb * sizeof *tb);
    uint32_t kp = csa_group(op, np, w, min_n, tr);
    /* Drop a path when a deeper one with the same count is listed. Such a path
     * covers the same candidates, so it has the same weight and count and a
     * greater depth: it sorts first, and only earlier entries need a look. */
    csa_trait tp[4];
    uint32_t mp = 0;
    for (uint32_t i = 0; i < kp && mp < 4; i++) {
      int covered = 0;
      for (uint32_t j = 0; j < i && !covered; j++) {
        if (tr[j].o->depth <= tr[i].o->depth || tr[j].n != tr[i].n) continue;
        const rs_feat *fj = &f[tr[j].o->cand];
        covered = fj->cat_h[tr[i].o->depth - 1] == tr[i].o->key;
      }
      if (!covered) tp[mp++] = tr[i];
    }
    if (mp) {
      const arag_item *it = in->cands[tp[0].o->cand];
      const char *label = it->categories[tp[0].o->depth - 1];
      arag_sb_printf(&sum, "%s category ", said++ ? "," : " share");
      put_clean(&sum, label ? label : "", label ? strlen(label) : 0);
      arag_sb_printf(&sum, " (%u)", tp[0].n);
    }
    uint32_t kt = csa_group(ot, nt, w, min_n, tr);
    if (kt > 8) kt = 8;
    if (kt) {
      arag_sb_printf(&sum, "%s words ", said++ ? "," : " share");
      for (uint32_t i = 0; i < kt && i < 3; i++) {
        if (i) arag_sb_puts(&sum, ", ");
        for (uint32_t c = 0; c < tr[i].o->disp.len; c++) {
          char ch = tr[i].o->disp.s[c];
          if (ch >= 'A' && ch <= 'Z') ch = (char)(ch + 32);
          arag_sb_append(&sum, &ch, 1);
        }
      }
    }
    if (!said) arag_sb_puts(&sum, " have no brand, category or words in common");
    arag_sb_puts(&sum, ".\n");
    if (kb) {
      arag_sb_puts(&sum, "Brands: ");
      for (uint32_t i = 0; i < kb; i++) {
        if (i) arag_sb_puts(&sum, "; ");
        put_clean(&sum, tb[i].o->disp.s, tb[i].o->disp.len);
        arag_sb_printf(&sum, " (%u of %u, %d%%)", tb[i].n, n, pct(tb[i].w, wt));
      }
      arag_sb_puts(&sum, "\n");
    }
    if (mp) {
      arag_sb_puts(&sum, "Categories: ");
      for (uint32_t i = 0; i < mp; i++) {
        if (i) arag_sb_puts(&sum, "; ");
        csa_put_path(&sum, in->cands[tp[i].o->cand], tp[i].o->depth);
        arag_sb_printf(&sum, " (%u of %u, %d%%)", tp[i].n, n, pct(tp[i].w, wt));
      }
      arag_sb_puts(&sum, "\n");
    }
    if (kt) {
      arag_sb_puts(&sum, "Keywords: ");
      for (uint32_t i = 0; i < kt; i++) {
        if (i) arag_sb_puts(&sum, "; ");
        for (uint32_t c = 0; c < tr[i].o->disp.len; c++) {
          char ch = tr[i].o->disp.s[c];
          if (ch >= 'A' && ch <= 'Z') ch = (char)(ch + 32);
          if (ch == ';' || ch == '\n') ch = ' ';
          arag_sb_append(&sum, &ch, 1);
        }
        arag_sb_printf(&sum, " (%u of %u, %d%%)", tr[i].n, n, pct(tr[i].w, wt));
      }
      arag_sb_puts(&sum, "\n");
    }
  }
  if (sum.len && sum.p[sum.len - 1] == '\n') sum.p[--sum.len] = 0;
  arag_sb_puts(&out, "{\"summary\":");
  arag_sb_json_text(&out, sum.p ? sum.p : "", sum.len, 0);
  arag_sb_puts(&out, "}");
  if (!sum.oom) res = arag_sb_take(&out, len);
done:
  free(f);
  free(w);
  free(ob);
  free(op);
  free(ot);
  free(tr);
  arag_sb_free(&sum);
  arag_sb_free(&out);
  return res;
}

/* ------------------------------------------------------------------------ */
/* IRA                                                                       */
/* ------------------------------------------------------------------------ */

typedef struct ira_ent {
  uint32_t i;
  float s;
} ira_ent;

static int ira_cmp(const ira_ent *x, const ira_ent *y) {
  if (x->s != y->s) return x->s > y->s ? -1 : 1;
  return x->i < y->i ? -1 : x->i > y->i;
}
ARAG_DEFINE_SORT(sort_ira, ira_ent, ira_cmp)

/* Sentences of evidence in an IRA reason (an NLI rationale says all of them). */
#define RS_REASON_SENTENCES 2

/* IRA's score in [0, 1], as its schema asks: a logistic of the linear score, so the
 * order is the same and scores compare across requests. On the sample data sets the
 * linear score of a candidate has median 0.3 (score 0.20) and the top item's median is
 * 1.35-1.7 (0.67-0.80); a strong match with a brand and repeat near 4 gives 0.998. */
static float ira_prob(float s) { return 1.0f / (1.0f + expf(-2.0f * (s - 1.0f))); }

/* How alike two candidates are, in [0, 1]: half for the same brand, half for the
 * share of title keywords they have in common (Jaccard). Variants of one product
 * ("Mineral Sunscreen SPF 30" and "..., Coral") come near 1. */
static float cand_sim(const rs_feat *a, const rs_feat *b) {
  float s = a->brand_h && a->brand_h == b->brand_h ? 0.5f : 0.0f;
  uint32_t common = 0;
  for (uint32_t x = 0; x < a->n_tok; x++)
    for (uint32_t y = 0; y < b->n_tok; y++)
      if (a->tok_h[x] == b->tok_h[y]) {
        common++;
        break;
      }
  uint32_t uni = a->n_tok + b->n_tok - common;
  if (uni) s += 0.5f * (float)common / (float)uni;
  return s;
}

/* Greedy diversification (maximal marginal relevance) of the sorted list: each next
 * place goes to the candidate whose score minus w times its similarity to the most
 * alike candidate already placed is highest; e[k].s becomes that adjusted score, so
 * scores still do not rise down the list. Only the first RS_DIV_TOP places are
 * chosen this way (quadratic work); the rest keep their order below them. */
#define RS_DIV_TOP 100
static void diversify(ira_ent *e, uint32_t n, const rs_feat *fs, float w) {
  uint32_t m = n < RS_DIV_TOP ? n : RS_DIV_TOP;
  float red[RS_DIV_TOP] = {0};
  for (uint32_t k = 0; k < m; k++) {
    if (k) {
      const rs_feat *last = &fs[e[k - 1].i];
      for (uint32_t c = k; c < m; c++) {
        float v = cand_sim(&fs[e[c].i], last);
        if (v > red[c]) red[c] = v;
      }
    }
    uint32_t best = k;
    float bs = e[k].s - w * red[k];
    for (uint32_t c = k + 1; c < m; c++) {
      float v = e[c].s - w * red[c];
      if (v > bs) best = c, bs = v; /* ties: the earlier (better unadjusted) one */
    }
    /* Move it up, the others keeping their order (so ties stay in score order). */
    ira_ent t = e[best];
    float tr = red[best];
    memmove(&e[k + 1], &e[k], (best - k) * sizeof *e);
    memmove(&red[k + 1], &red[k], (best - k) * sizeof *red);
    e[k] = t;
    red[k] = tr;
    e[k].s = bs;
  }
  /* Below the chosen places nothing is adjusted; keep them from scoring above. */
  for (uint32_t k = m; k < n; k++)
    if (e[k].s > e[m - 1].s) e[k].s = e[m - 1].s;
}

static int float_cmp(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

static float pop_term(double pop, double lpmax) {
  return lpmax > 0 && isfinite(pop) && pop > 0 ? (float)(log1p(pop) / lpmax) : 0.0f;
}

/* Each candidate's popularity term: log(1 + popularity) over the largest among the
 * candidates, in [0, 1]. A candidate whose catalog line carries no popularity (a new
 * listing, or an item the host has no figures for) gets the median of those that do:
 * missing figures are not a record of no sales, and 0 would rank it under every item
 * with one. A popularity of 0 given by the host stays 0. Without any figures: all 0. */
static void pop_terms(const arag_item *const *cands, uint32_t n, double lpmax, float *out) {
  uint32_t known = 0;
  for (uint32_t i = 0; i < n; i++)
    if (!isnan(cands[i]->popularity)) out[known++] = pop_term(cands[i]->popularity, lpmax);
  float median = 0;
  if (known && known < n) {
    qsort(out, known, sizeof *out, float_cmp);
    median = known % 2 ? out[known / 2] : 0.5f * (out[known / 2 - 1] + out[known / 2]);
  }
  for (uint32_t i = 0; i < n; i++)
    out[i] = isnan(cands[i]->popularity) ? median : pop_term(cands[i]->popularity, lpmax);
}

static char *answer_ira(const arag_agent_input *in, const arag_reasoner_params *p, size_t *len) {
  arag_brand_stats bs_buf;
  const arag_brand_stats *bs = rs_brand_stats(in, &bs_buf);
  uint32_t n = in->n_cands;
  rs_traits *tu = malloc(sizeof *tu);
  rs_traits *tc = malloc(sizeof *tc);
  ira_ent *e = malloc((n ? n : 1) * sizeof *e);
  float *ret = malloc((n ? n : 1) * sizeof *ret);
  float *popt = malloc((n ? n : 1) * sizeof *popt);
  rs_feat *fs = malloc((n ? n : 1) * sizeof *fs);
  rs_ev_set evs;
  int have_evs = 0;
  arag_sb out, r;
  arag_sb_init(&out);
  arag_sb_init(&r);
  char *res = NULL;
  if (!tu || !tc || !e || !ret || !popt || !fs) goto done;
  rs_traits_parse(in->s_user, tu);
  rs_traits_parse(in->s_ctx, tc);
  if (in->features)
    memcpy(fs, in->features, n * sizeof *fs);
  else
    for (uint32_t i = 0; i < n; i++) rs_item_features(in->cands[i], bs, &fs[i]);
  if (p->ira_idf != 0 && n > 1) {
    /* A keyword most candidates carry says little: weigh keyword traits by their
     * rarity among the candidates (an inverse document frequency over the list). */
    rs_traits *ts[2] = {tu, tc};
    for (int t = 0; t < 2; t++)
      for (uint32_t k = 0; k < ts[t]->n; k++) {
        rs_trait *tr = &ts[t]->v[k];
        if (tr->kind != RS_T_KW && tr->kind != RS_T_SKW) continue;
        uint32_t df = 0;
        for (uint32_t i = 0; i < n; i++)
          for (uint32_t q = 0; q < fs[i].n_tok; q++)
            if (fs[i].tok_h[q] == tr->key) {
              df++;
              break;
            }
        float idf = logf((float)(n + 1) / ((float)df + 0.5f)) / logf((float)(n + 1));
        tr->w *= (1.0f - p->ira_idf) + p->ira_idf * idf;
      }
  }
  /* Retrieval similarity, standardized over the candidates. */
  double mean = 0, var = 0, popmax = 0;
  for (uint32_t i = 0; i < n; i++) {
    float v = in->retrieval ? in->retrieval[i] : 0.0f;
    ret[i] = isfinite(v) ? v : 0.0f;
    mean += ret[i];
    double pop = in->cands[i]->popularity;
    if (isfinite(pop) && pop > popmax) popmax = pop;
  }
  if (n) mean /= n;
  for (uint32_t i = 0; i < n; i++) var += (ret[i] - mean) * (ret[i] - mean);
  double sd = n > 1 ? sqrt(var / n) : 0;
  double lpmax = log1p(popmax);
  pop_terms(in->cands, n, lpmax, popt);
  const arag_term_df *text_df = rs_text_df(in);
  int has_words = 0; /* an S_user without Words (an LLM's, say) leaves ira_text out */
  for (uint32_t k = 0; k < tu->n && !has_words; k++) has_words = tu->v[k].kind == RS_T_WORD;
  for (uint32_t i = 0; i < n; i++) {
    rs_tmatch mu, mc;
    rs_traits_match(tu, &fs[i], &mu);
    rs_traits_match(tc, &fs[i], &mc);
    float s = 0;
    if (p->ira_text != 0 && has_words) {
      uint64_t keys[ARAG_TEXT_TERM_MAX];
      float w[ARAG_TEXT_TERM_MAX];
      uint32_t m = rs_text_weights(text_df, in->cands[i], keys, w, NULL, NULL);
      s += p->ira_text * rs_traits_words(tu, keys, w, m);
    }
    if (in->nli) {
      float v = isfinite(in->nli[i].score) ? in->nli[i].score : 0.0f;
      v = v < 1e-4f ? 1e-4f : v > 1 - 1e-4f ? 1 - 1e-4f : v;
      s += p->ira_nli * v + p->ira_nli_logit * logf(v / (1 - v));
    }
    if (sd > 1e-9) s += p->ira_ret * (float)((ret[i] - mean) / sd);
    s += p->ira_pop * popt[i];
    s += p->ira_u_brand * mu.brand + p->ira_u_cat * mu.cat + p->ira_u_kw * mu.kw +
         p->ira_u_sess * mu.sess;
    s += p->ira_c_brand * mc.brand + p->ira_c_cat * mc.cat + p->ira_c_kw * mc.kw;
    e[i] = (ira_ent){i, s};
  }
  sort_ira(e, n);
  if (p->ira_div > 0 && n) {
    /* The penalty's unit: the spread of these scores (twice their standard
     * deviation), at least 1. Weights that spread the scores out (ira_text, say)
     * do not weaken diversity, and close scores still part twins. */
    double mean_s = 0, var_s = 0;
    for (uint32_t i = 0; i < n; i++) mean_s += e[i].s;
    mean_s /= n;
    for (uint32_t i = 0; i < n; i++) var_s += (e[i].s - mean_s) * (e[i].s - mean_s);
    double unit = 2 * sqrt(var_s / n);
    diversify(e, n, fs, (float)(p->ira_div * (unit > 1 ? unit : 1)));
  }
  /* The reasons: the first two pieces of each candidate's evidence, in plain words. */
  if (!evidence_get(in, bs, fs, &evs)) goto done;
  have_evs = 1;
  arag_sb_puts(&out, "{\"ranking\":[");
  for (uint32_t k = 0; k < n; k++) {
    uint32_t i = e[k].i;
    const arag_item *it = in->cands[i];
    arag_sb_truncate(&r, 0);
    arag_evidence_reason(&r, evs.h, it, &fs[i], &evs.ev[i], RS_REASON_SENTENCES);
    if (k) arag_sb_puts(&out, ",");
    arag_sb_puts(&out, "{\"id\":");
    arag_sb_json_text(&out, it->id ? it->id : "", it->id ? strlen(it->id) : 0, 0);
    arag_sb_puts(&out, ",\"reason\":");
    arag_sb_json_text(&out, r.p ? r.p : "", r.len, 0);
    arag_sb_puts(&out, ",\"score\":");
    arag_sb_fixed(&out, ira_prob(e[k].s), 4);
    arag_sb_puts(&out, "}");
  }
  arag_sb_puts(&out, "]}");
  if (!r.oom) res = arag_sb_take(&out, len);
done:
  if (have_evs) evidence_done(&evs);
  free(tu);
  free(tc);
  free(e);
  free(ret);
  free(popt);
  free(fs);
  arag_sb_free(&r);
  arag_sb_free(&out);
  return res;
}

/* ------------------------------------------------------------------------ */

char *arag_reasoner_answer_with(const arag_agent_input *in, const arag_reasoner_params *p,
                                size_t *len) {
  if (len) *len = 0;
  if (!in || !p) return NULL;
  if ((in->n_cands && !in->cands) || (in->n_long_term && !in->long_term) ||
      (in->n_session && !in->session))
    return NULL;
  switch (in->agent) {
  case ARAG_AGENT_UUA:
    return answer_uua(in, p, len);
  case ARAG_AGENT_NLI:
    return answer_nli(in, p, len);
  case ARAG_AGENT_CSA:
    return answer_csa(in, p, len);
  case ARAG_AGENT_IRA:
    return answer_ira(in, p, len);
  }
  return NULL;
}

char *arag_reasoner_answer(const arag_agent_input *in, size_t *len) {
  arag_reasoner_params p;
  arag_reasoner_params_default(&p);
  return arag_reasoner_answer_with(in, &p, len);
}
