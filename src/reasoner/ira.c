/* The offline IRA: reads S_user and S_ctx back as traits (reasoner_traits.h), matches
 * every candidate against them and combines that with the NLI scores, the retrieval
 * similarity and catalog popularity; each reason is the first pieces of the candidate's
 * evidence. */
#include "reasoner_agents.h"
#include "reasoner_profile.h"
#include "reasoner_traits.h"
#include "sort.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* What IRA reads for every candidate, computed once per answer. */
typedef struct ira_ctx {
  const arag_agent_input *in;
  const arag_reasoner_params *p;
  uint32_t n;
  rs_traits *tu, *tc; /* S_user's and S_ctx's traits */
  rs_feat *fs;
  float *ret;      /* retrieval similarity (0 where missing) */
  double mean, sd; /* of ret */
  float *popt;     /* popularity terms (pop_terms) */
  int has_words;   /* S_user carries Words (an LLM's may not: ira_text is left out) */
} ira_ctx;

/* A keyword most candidates carry says little: weigh keyword traits by their rarity
 * among the candidates (an inverse document frequency over the list). */
static void weigh_keywords(rs_traits *t, const rs_feat *fs, uint32_t n, float ira_idf) {
  for (uint32_t k = 0; k < t->n; k++) {
    rs_trait *tr = &t->v[k];
    if (tr->kind != RS_T_KW && tr->kind != RS_T_SKW) continue;
    uint32_t df = 0;
    for (uint32_t i = 0; i < n; i++)
      for (uint32_t q = 0; q < fs[i].n_tok; q++)
        if (fs[i].tok_h[q] == tr->key) {
          df++;
          break;
        }
    float idf = logf((float)(n + 1) / ((float)df + 0.5f)) / logf((float)(n + 1));
    tr->w *= (1.0f - ira_idf) + ira_idf * idf;
  }
}

/* Retrieval similarity, standardized over the candidates, and the popularity terms. */
static void ira_retrieval_popularity(ira_ctx *c) {
  uint32_t n = c->n;
  double popmax = 0, var = 0;
  c->mean = 0;
  for (uint32_t i = 0; i < n; i++) {
    float v = c->in->retrieval ? c->in->retrieval[i] : 0.0f;
    c->ret[i] = isfinite(v) ? v : 0.0f;
    c->mean += c->ret[i];
    double pop = c->in->cands[i]->popularity;
    if (isfinite(pop) && pop > popmax) popmax = pop;
  }
  if (n) c->mean /= n;
  for (uint32_t i = 0; i < n; i++) var += (c->ret[i] - c->mean) * (c->ret[i] - c->mean);
  c->sd = n > 1 ? sqrt(var / n) : 0;
  pop_terms(c->in->cands, n, log1p(popmax), c->popt);
}

/* Everything but the scores: traits, features, keyword rarity, retrieval, popularity. */
static void ira_prepare(ira_ctx *c, const arag_brand_stats *bs) {
  const arag_agent_input *in = c->in;
  rs_traits_parse(in->s_user, c->tu);
  rs_traits_parse(in->s_ctx, c->tc);
  if (in->features)
    memcpy(c->fs, in->features, c->n * sizeof *c->fs);
  else
    for (uint32_t i = 0; i < c->n; i++) rs_item_features(in->cands[i], bs, &c->fs[i]);
  if (c->p->ira_idf != 0 && c->n > 1) {
    weigh_keywords(c->tu, c->fs, c->n, c->p->ira_idf);
    weigh_keywords(c->tc, c->fs, c->n, c->p->ira_idf);
  }
  ira_retrieval_popularity(c);
  c->has_words = 0;
  for (uint32_t k = 0; k < c->tu->n && !c->has_words; k++)
    c->has_words = c->tu->v[k].kind == RS_T_WORD;
}

/* Candidate i's linear score. */
static float ira_score(const ira_ctx *c, uint32_t i) {
  const arag_reasoner_params *p = c->p;
  const arag_agent_input *in = c->in;
  rs_tmatch mu, mc;
  rs_traits_match(c->tu, &c->fs[i], &mu);
  rs_traits_match(c->tc, &c->fs[i], &mc);
  float s = 0;
  if (p->ira_text != 0 && c->has_words) {
    uint64_t keys[ARAG_TEXT_TERM_MAX];
    float w[ARAG_TEXT_TERM_MAX];
    uint32_t m = rs_text_weights(rs_text_df(in), in->cands[i], keys, w, NULL, NULL);
    s += p->ira_text * rs_traits_words(c->tu, keys, w, m);
  }
  if (in->nli) {
    float v = isfinite(in->nli[i].score) ? in->nli[i].score : 0.0f;
    v = v < 1e-4f ? 1e-4f : v > 1 - 1e-4f ? 1 - 1e-4f : v;
    s += p->ira_nli * v + p->ira_nli_logit * logf(v / (1 - v));
  }
  if (c->sd > 1e-9) s += p->ira_ret * (float)((c->ret[i] - c->mean) / c->sd);
  s += p->ira_pop * c->popt[i];
  s += p->ira_u_brand * mu.brand + p->ira_u_cat * mu.cat + p->ira_u_kw * mu.kw +
       p->ira_u_sess * mu.sess;
  s += p->ira_c_brand * mc.brand + p->ira_c_cat * mc.cat + p->ira_c_kw * mc.kw;
  return s;
}

/* Diversity (ira_div): the penalty's unit is the spread of these scores (twice their
 * standard deviation), at least 1. Weights that spread the scores out (ira_text, say)
 * do not weaken diversity, and close scores still part twins. */
static void ira_diversify(ira_ent *e, uint32_t n, const rs_feat *fs, float ira_div) {
  double mean_s = 0, var_s = 0;
  for (uint32_t i = 0; i < n; i++) mean_s += e[i].s;
  mean_s /= n;
  for (uint32_t i = 0; i < n; i++) var_s += (e[i].s - mean_s) * (e[i].s - mean_s);
  double unit = 2 * sqrt(var_s / n);
  diversify(e, n, fs, (float)(ira_div * (unit > 1 ? unit : 1)));
}

/* The ranking JSON: each candidate in order with its reason (the first pieces of its
 * evidence, in plain words) and its score. 0 when out of memory. */
static int ira_write(arag_sb *out, const ira_ctx *c, const ira_ent *e, const rs_ev_set *evs) {
  arag_sb r;
  arag_sb_init(&r);
  arag_sb_puts(out, "{\"ranking\":[");
  for (uint32_t k = 0; k < c->n; k++) {
    uint32_t i = e[k].i;
    const arag_item *it = c->in->cands[i];
    arag_sb_truncate(&r, 0);
    arag_evidence_reason(&r, evs->h, it, &c->fs[i], &evs->ev[i], RS_REASON_SENTENCES);
    if (k) arag_sb_puts(out, ",");
    arag_sb_puts(out, "{\"id\":");
    arag_sb_json_text(out, it->id ? it->id : "", it->id ? strlen(it->id) : 0, 0);
    arag_sb_puts(out, ",\"reason\":");
    arag_sb_json_text(out, r.p ? r.p : "", r.len, 0);
    arag_sb_puts(out, ",\"score\":");
    arag_sb_fixed(out, ira_prob(e[k].s), 4);
    arag_sb_puts(out, "}");
  }
  arag_sb_puts(out, "]}");
  int ok = !r.oom;
  arag_sb_free(&r);
  return ok;
}

char *rs_answer_ira(const arag_agent_input *in, const arag_reasoner_params *p, size_t *len) {
  arag_brand_stats bs_buf;
  const arag_brand_stats *bs = rs_brand_stats(in, &bs_buf);
  uint32_t n = in->n_cands, m = n ? n : 1;
  ira_ctx c = {in,
               p,
               n,
               malloc(sizeof *c.tu),
               malloc(sizeof *c.tc),
               malloc(m * sizeof *c.fs),
               malloc(m * sizeof *c.ret),
               0,
               0,
               malloc(m * sizeof *c.popt),
               0};
  ira_ent *e = malloc(m * sizeof *e);
  rs_ev_set evs;
  arag_sb out;
  arag_sb_init(&out);
  char *res = NULL;
  if (c.tu && c.tc && c.fs && c.ret && c.popt && e) {
    ira_prepare(&c, bs);
    for (uint32_t i = 0; i < n; i++) e[i] = (ira_ent){i, ira_score(&c, i)};
    sort_ira(e, n);
    if (p->ira_div > 0 && n) ira_diversify(e, n, c.fs, p->ira_div);
    if (rs_evidence_get(in, bs, c.fs, &evs)) {
      if (ira_write(&out, &c, e, &evs)) res = arag_sb_take(&out, len);
      rs_evidence_done(&evs);
    }
  }
  free(c.tu);
  free(c.tc);
  free(c.fs);
  free(c.ret);
  free(c.popt);
  free(e);
  arag_sb_free(&out);
  return res;
}
