/* Retrieval: the context events copied out of the history (catalog text and vectors
 * filled in), the user context vector, I0 (the request's candidates, or the
 * catalog's nearest to the context without the history's items) in retrieval order,
 * and what every later step reads of each candidate (brand, evidence, features). */
#include "pipeline.h"

#include "errbuf.h"

#include "brands.h"
#include "evidence.h"
#include "index_private.h"
#include "interest.h"
#include "item.h"
#include "reasoner_text.h"
#include "term_df.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Recency weighting of the user context: an event `age` steps before the newest
 * weighs 0.5^(age / HALF_LIFE); session events weigh SESSION_BOOST times more. */
#define CONTEXT_HALF_LIFE 10.0
#define CONTEXT_SESSION_BOOST 2.0

static int vec_nonzero(const float *v, uint32_t dim) {
  if (!v) return 0;
  for (uint32_t i = 0; i < dim; i++)
    if (v[i] != 0.0f) return 1;
  return 0;
}

static double dotf(const float *a, const float *b, uint32_t dim) {
  double d = 0;
  for (uint32_t i = 0; i < dim; i++) d += (double)a[i] * b[i];
  return d;
}

static float cosine(const float *u, double unorm, const float *v, uint32_t dim) {
  if (!v || unorm <= 0) return 0.0f;
  double vn = sqrt(dotf(v, v, dim));
  if (vn <= 0) return 0.0f;
  double c = dotf(u, v, dim) / (unorm * vn);
  if (!isfinite(c)) return 0.0f;
  return (float)c;
}

/* Copies the context events out of the history, filling item fields from the catalog. */
static arag_status resolve_events(arag_session *s, const arag_catalog *cat, const arag_history *h,
                                  arag_error *err) {
  uint32_t n = 0;
  const arag_event *ev = h ? arag_history_events(h, &n) : NULL;
  if (!ev) n = 0;
  uint32_t n_sess = n < s->cfg.session_len ? n : s->cfg.session_len;
  uint32_t rest = n - n_sess;
  uint32_t n_long = rest < s->cfg.long_term_len ? rest : s->cfg.long_term_len;
  uint32_t total = n_long + n_sess;
  s->n_long = n_long;
  s->n_sess = n_sess;
  if (!total) return ARAG_OK;
  s->events = calloc(total, sizeof *s->events);
  s->ev_ptrs = calloc(total, sizeof *s->ev_ptrs);
  if (!s->events || !s->ev_ptrs) return arag_err_set(err, ARAG_E_NOMEM, "out of memory");
  uint32_t hdim = arag_history_dim(h);
  for (uint32_t i = 0; i < total; i++) {
    const arag_event *src = &ev[n - total + i];
    arag_event *dst = &s->events[i];
    const arag_item *ci = cat ? arag_catalog_find(cat, src->item.id, src->item.id_len) : NULL;
    arag_status st;
    int from_catalog =
        ci && (!src->item.title || !src->item.title[0]) && (!src->item.text || !src->item.text[0]);
    if (from_catalog)
      st = arag_catalog_item_copy(cat, ci, &dst->item);
    else
      st = arag_item_copy(&dst->item, &src->item, hdim == s->dim ? s->dim : hdim);
    if (st != ARAG_OK) return arag_err_set(err, st, "out of memory copying events");
    if (!from_catalog && hdim != s->dim) {
      /* The history's vectors live in another space: take the catalog's. */
      free(dst->item.vec);
      dst->item.vec = NULL;
    }
    if (!from_catalog && ci && !vec_nonzero(dst->item.vec, s->dim)) {
      free(dst->item.vec);
      dst->item.vec = malloc(s->dim * sizeof(float));
      if (!dst->item.vec) return arag_err_set(err, ARAG_E_NOMEM, "out of memory");
      st = arag_catalog_vector(cat, ci, dst->item.vec);
      if (st != ARAG_OK) return arag_err_set(err, st, "catalog vector of an event");
    }
    dst->ts = src->ts;
    dst->kind = src->kind;
    dst->rating = src->rating;
    s->ev_ptrs[i] = dst;
  }
  return ARAG_OK;
}

/* Recency-weighted mean of the (unit) event vectors, events of an older interest
 * weighed down after a shift (interest.h). */
static double user_vector(const arag_session *s, float *u) {
  uint32_t total = s->n_long + s->n_sess;
  memset(u, 0, s->dim * sizeof(float));
  float *focus = total ? malloc(total * sizeof *focus) : NULL;
  if (focus) {
    arag_shift sh;
    arag_interest_shift((const arag_event *const *)s->ev_ptrs, total, s->cfg.reasoner.shift, &sh,
                        focus);
  }
  for (uint32_t i = 0; i < total; i++) {
    const float *v = s->events[i].item.vec;
    if (!vec_nonzero(v, s->dim)) continue;
    double norm = sqrt(dotf(v, v, s->dim));
    double age = (double)(total - 1 - i);
    double w = pow(0.5, age / CONTEXT_HALF_LIFE);
    if (i >= s->n_long) w *= CONTEXT_SESSION_BOOST;
    if (focus) w *= focus[i];
    for (uint32_t d = 0; d < s->dim; d++) u[d] += (float)(w * v[d] / norm);
  }
  free(focus);
  return sqrt(dotf(u, u, s->dim));
}

arag_status arag_pipeline_context(const arag_config *cfg, const arag_catalog *cat,
                                  const arag_history *h, float *out, uint32_t dim,
                                  arag_error *err) {
  arag_session *s = calloc(1, sizeof *s);
  if (!s) return arag_err_set(err, ARAG_E_NOMEM, "out of memory");
  s->cfg = *cfg;
  s->dim = dim;
  arag_bb_init(&s->bb);
  arag_status st = resolve_events(s, cat, h, err);
  if (st == ARAG_OK) {
    double norm = user_vector(s, out);
    if (norm > 0)
      for (uint32_t d = 0; d < dim; d++) out[d] = (float)(out[d] / norm);
  }
  arag_pipeline_destroy(s);
  return st;
}

/* The history's index holds one row per distinct item id: a lookup, not a scan of
 * the events. */
static int in_history(const arag_history *h, const char *id, size_t id_len) {
  return h && arag_index_has(arag_history_index(h), id, id_len);
}

/* Candidates from the request: ids resolved in the catalog, objects parsed. */
static arag_status load_candidates(arag_session *s, const arag_catalog *cat, const cJSON *list,
                                   arag_error *err) {
  uint32_t n = (uint32_t)cJSON_GetArraySize(list);
  if (n == 0) return arag_err_set(err, ARAG_E_INVALID, "\"candidates\" is empty");
  if (n > s->cfg.max_candidates)
    return arag_err_set(err, ARAG_E_LIMIT, "%u candidates, max_candidates is %u", n,
                        s->cfg.max_candidates);
  s->cands = calloc(n, sizeof *s->cands);
  if (!s->cands) return arag_err_set(err, ARAG_E_NOMEM, "out of memory");
  arag_limits lim;
  arag_limits_default(&lim);
  uint32_t i = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, list) {
    arag_status st;
    if (cJSON_IsString(e) && e->valuestring) {
      size_t idl = strlen(e->valuestring);
      if (!cat)
        return arag_err_set(err, ARAG_E_INVALID,
                            "candidate %u is an id (\"%.64s\") but no catalog was given", i,
                            e->valuestring);
      const arag_item *ci = arag_catalog_find(cat, e->valuestring, idl);
      if (!ci)
        return arag_err_set(err, ARAG_E_NOT_FOUND, "candidate %u: id \"%.64s\" not in catalog", i,
                            e->valuestring);
      st = arag_catalog_item_copy(cat, ci, &s->cands[i]);
      if (st != ARAG_OK) return arag_err_set(err, st, "candidate %u: copying the catalog item", i);
    } else if (cJSON_IsObject(e)) {
      const cJSON *idv = cJSON_GetObjectItemCaseSensitive(e, "id");
      const arag_item *ci =
          cat && cJSON_IsString(idv) && idv->valuestring && cJSON_GetArraySize(e) == 1
              ? arag_catalog_find(cat, idv->valuestring, strlen(idv->valuestring))
              : NULL;
      if (ci) {
        st = arag_catalog_item_copy(cat, ci, &s->cands[i]);
        if (st != ARAG_OK)
          return arag_err_set(err, st, "candidate %u: copying the catalog item", i);
      } else {
        st = arag_item_parse(e, &lim, s->dim, 0, &s->cands[i], err);
        if (st != ARAG_OK) return arag_err_prefix(err, st, "candidate %u", i);
      }
    } else {
      return arag_err_set(err, ARAG_E_JSON, "candidate %u must be an id string or an item object",
                          i);
    }
    for (uint32_t j = 0; j < i; j++)
      if (strcmp(s->cands[j].id, s->cands[i].id) == 0) {
        s->n_cands = i + 1;
        return arag_err_set(err, ARAG_E_INVALID, "duplicate candidate id \"%.64s\"",
                            s->cands[i].id);
      }
    s->n_cands = ++i;
  }
  return ARAG_OK;
}

/* Top top_k of the catalog by similarity, without the user's history items. */
static arag_status catalog_candidates(arag_session *s, const arag_catalog *cat,
                                      const arag_history *h, const float *u, double unorm,
                                      arag_error *err) {
  const arag_index *ix = arag_catalog_index(cat);
  uint32_t live = arag_index_count(ix);
  uint32_t n_hist = 0;
  if (h) arag_history_events(h, &n_hist);
  uint64_t want64 = (uint64_t)s->cfg.top_k + n_hist;
  uint32_t want = want64 > live ? live : (uint32_t)want64;
  if (want == 0) return ARAG_OK;
  uint32_t *slots = malloc(want * sizeof *slots);
  float *scores = malloc(want * sizeof *scores);
  s->cands = calloc(s->cfg.top_k, sizeof *s->cands);
  if (!slots || !scores || !s->cands) {
    free(slots);
    free(scores);
    return arag_err_set(err, ARAG_E_NOMEM, "out of memory");
  }
  uint32_t got = 0;
  arag_status st = ARAG_OK;
  if (unorm > 0) {
    char msg[256];
    st = arag_index_search_r(ix, u, s->dim, want, NULL, 0, 0, slots, scores, &got, msg, sizeof msg);
    if (st != ARAG_OK) arag_err_set(err, st, "catalog search failed: %s", arag_err_text(msg));
  } else {
    /* No usable context: catalog order. */
    uint32_t seen = 0;
    for (uint32_t slot = 0; seen < live && got < want; slot++) {
      if (!arag_catalog_item_at(cat, slot)) continue;
      seen++;
      slots[got++] = slot;
    }
  }
  for (uint32_t i = 0; st == ARAG_OK && i < got && s->n_cands < s->cfg.top_k; i++) {
    const arag_item *it = arag_catalog_item_at(cat, slots[i]);
    if (!it || in_history(h, it->id, it->id_len)) continue;
    st = arag_catalog_item_copy(cat, it, &s->cands[s->n_cands]);
    if (st != ARAG_OK)
      arag_err_set(err, st, "copying a retrieved catalog item");
    else
      s->n_cands++;
  }
  free(slots);
  free(scores);
  return st;
}

static arag_status alloc_state(arag_session *s, arag_error *err) {
  uint32_t n = s->n_cands ? s->n_cands : 1;
  s->cand_ptrs = calloc(n, sizeof *s->cand_ptrs);
  s->cand_ids = calloc(n, sizeof *s->cand_ids);
  s->retrieval = calloc(n, sizeof *s->retrieval);
  s->nli = calloc(n, sizeof *s->nli);
  s->nli_rationale = calloc(n, sizeof *s->nli_rationale);
  s->nli_source = calloc(n, 1);
  s->accepted = calloc(n, 1);
  s->order = calloc(n, sizeof *s->order);
  s->ira_score = calloc(n, sizeof *s->ira_score);
  s->ira_reason = calloc(n, sizeof *s->ira_reason);
  if (!s->cand_ptrs || !s->cand_ids || !s->retrieval || !s->nli || !s->nli_rationale ||
      !s->nli_source || !s->accepted || !s->order || !s->ira_score || !s->ira_reason)
    return arag_err_set(err, ARAG_E_NOMEM, "out of memory");
  for (uint32_t i = 0; i < s->n_cands; i++) {
    s->nli[i].rationale = "";
    s->nli[i].label = ARAG_NLI_NEUTRAL;
    s->order[i] = i;
    s->ira_score[i] = NAN;
  }
  return ARAG_OK;
}

/* Orders the candidates by cosine to the user vector (ties: input order). */
static arag_status order_i0(arag_session *s, const float *u, double unorm, arag_error *err) {
  uint32_t n = s->n_cands;
  if (!n) return ARAG_OK;
  arag_ranked *r = malloc(n * sizeof *r);
  arag_item *sorted = malloc(n * sizeof *sorted);
  if (!r || !sorted) {
    free(r);
    free(sorted);
    return arag_err_set(err, ARAG_E_NOMEM, "out of memory");
  }
  for (uint32_t i = 0; i < n; i++) {
    r[i].score = cosine(u, unorm, s->cands[i].vec, s->dim);
    r[i].idx = i;
  }
  arag_ranked_sort(r, n);
  for (uint32_t i = 0; i < n; i++) {
    sorted[i] = s->cands[r[i].idx];
    s->retrieval[i] = r[i].score;
  }
  free(s->cands);
  s->cands = sorted;
  for (uint32_t i = 0; i < n; i++) {
    s->cand_ptrs[i] = &s->cands[i];
    s->cand_ids[i] = s->cands[i].id;
  }
  free(r);
  return ARAG_OK;
}

/* Resolves the brand of every event and candidate copy without a brand field (a phrase
 * the catalog supports at the start of its title, brands.h), while the catalog is at
 * hand: agents that answer later read it from the copies. */
static void resolve_brands(arag_session *s, const arag_catalog *cat) {
  arag_brand_stats buf;
  const arag_brand_stats *bs = arag_catalog_brand_stats(cat, &buf);
  for (uint32_t i = 0; i < s->n_long + s->n_sess + s->n_cands; i++) {
    arag_item *it =
        i < s->n_long + s->n_sess ? &s->events[i].item : &s->cands[i - s->n_long - s->n_sess];
    if (it->brand && it->brand[0]) continue;
    it->title_brand_len = arag_title_brand(it->title, bs);
    it->title_brand_known = 1;
  }
}

/* Every candidate's evidence against the context events (evidence.h). */
static arag_status compute_evidence(arag_session *s, const arag_catalog *cat, arag_error *err) {
  arag_brand_stats bs;
  s->ev_history =
      arag_ev_history_build(s->ev_ptrs, s->n_long, s->ev_ptrs ? s->ev_ptrs + s->n_long : NULL,
                            s->n_sess, arag_catalog_brand_stats(cat, &bs));
  s->evidence = malloc((s->n_cands ? s->n_cands : 1) * sizeof *s->evidence);
  s->cand_feat = malloc((s->n_cands ? s->n_cands : 1) * sizeof *s->cand_feat);
  if (!s->ev_history || !s->evidence || !s->cand_feat)
    return arag_err_set(err, ARAG_E_NOMEM, "out of memory");
  double cut = arag_ev_popular_cut(s->cand_ptrs, s->n_cands);
  for (uint32_t i = 0; i < s->n_cands; i++) {
    rs_item_features(&s->cands[i], NULL, &s->cand_feat[i]);
    arag_evidence_of(s->ev_history, &s->cands[i], &s->cand_feat[i], arag_catalog_terms(cat),
                     arag_catalog_text_terms(cat), cut, &s->evidence[i]);
  }
  return ARAG_OK;
}

/* One table of src's kind holding src's counts for every word of the session's
 * events and candidates. */
static arag_term_df *copy_terms_of(const arag_session *s, const arag_term_df *src) {
  arag_term_df *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  uint32_t n_ev = s->n_long + s->n_sess;
  uint64_t keys[ARAG_TEXT_TERM_MAX];
  uint64_t room = 0;
  for (uint32_t i = 0; i < n_ev + s->n_cands; i++)
    room +=
        arag_term_df_terms(src, i < n_ev ? &s->events[i].item : &s->cands[i - n_ev], keys, NULL);
  if (room > (1u << 28) || !arag_term_df_reserve(t, (uint32_t)room + 1)) {
    arag_term_df_free(t);
    free(t);
    return NULL;
  }
  t->whole_text = src->whole_text;
  t->docs = src->docs;
  for (uint32_t i = 0; i < n_ev + s->n_cands; i++)
    arag_term_df_copy_item(t, src, i < n_ev ? &s->events[i].item : &s->cands[i - n_ev]);
  return t;
}

static arag_status copy_term_stats(arag_session *s, const arag_catalog *cat) {
  s->title_df = copy_terms_of(s, arag_catalog_terms(cat));
  s->text_df = copy_terms_of(s, arag_catalog_text_terms(cat));
  return s->title_df && s->text_df ? ARAG_OK : ARAG_E_NOMEM;
}

arag_status arag_retrieve(arag_session *s, const arag_catalog *cat, const arag_history *h,
                          const cJSON *cl, arag_error *err) {
  arag_status st = resolve_events(s, cat, h, err);
  if (st != ARAG_OK) return st;
  float *u = calloc(s->dim, sizeof *u);
  if (!u) return arag_err_set(err, ARAG_E_NOMEM, "out of memory");
  double unorm = user_vector(s, u);
  st = cl ? load_candidates(s, cat, cl, err) : catalog_candidates(s, cat, h, u, unorm, err);
  if (st == ARAG_OK) st = alloc_state(s, err);
  if (st == ARAG_OK) st = order_i0(s, u, unorm, err);
  free(u);
  if (st != ARAG_OK) return st;
  resolve_brands(s, cat);
  st = compute_evidence(s, cat, err);
  if (st != ARAG_OK) return st;
  /* A fallback may answer after arag_recommend_start returned, when the catalog is
   * gone: the offline reasoner then reads these copies of its term statistics. */
  if (s->cfg.backend == ARAG_BACKEND_HOST && s->cfg.fallback == ARAG_FALLBACK_OFFLINE && cat) {
    st = copy_term_stats(s, cat);
    if (st != ARAG_OK) return arag_err_set(err, st, "out of memory");
  }
  return ARAG_OK;
}
