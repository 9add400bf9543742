/* One recommendation as a state machine: retrieval (I0, retrieval.c), then UUA and NLI batches
 * in parallel, the theta filter, CSA, IRA, validation into a permutation of I0.
 * Requests leave through the session's fetch callback (or the offline reasoner
 * answers them in place); answers come back through arag_pipeline_deliver. */
#define _POSIX_C_SOURCE 200809L
#include "pipeline.h"

#include "evidence.h"
#include "interest.h"

#include "agent_parse.h"
#include "item.h"
#include "json_write.h"
#include "prompt_render.h"
#include "prompts.h"
#include "sort.h"
#include "strbuf.h"
#include "term_df.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double arag_now_ms(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 0;
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static double rel_ms(const arag_session *s) { return arag_now_ms() - s->t0_ms; }

/* ------------------------------------------------------------------------ */
/* Setup                                                                     */
/* ------------------------------------------------------------------------ */

arag_status arag_session_fail(char *err, size_t err_len, arag_status st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, err_len, fmt, ap);
  va_end(ap);
  return st;
}
#define fail arag_session_fail

typedef arag_ranked ranked;

static int ranked_cmp(const ranked *x, const ranked *y) {
  if (x->score != y->score) return x->score > y->score ? -1 : 1;
  return x->idx < y->idx ? -1 : x->idx > y->idx ? 1 : 0;
}
ARAG_DEFINE_SORT(sort_ranked, ranked, ranked_cmp)

void arag_ranked_sort(arag_ranked *r, uint32_t n) { sort_ranked(r, n); }

static int queue_msg(arag_session *s, arag_agent agent, int batch, uint32_t first, uint32_t count) {
  int i = arag_bb_add(&s->bb, ++s->next_request_id, agent, batch, first, count);
  if (i >= 0) s->pending++;
  return i;
}

static void advance(arag_session *s);

arag_status arag_pipeline_init(arag_session *s, const arag_config *cfg, const arag_catalog *cat,
                               const arag_history *h, const cJSON *req, char *err, size_t err_len) {
  s->cfg = *cfg;
  s->state = ARAG_SESSION_RUNNING;
  s->phase = ARAG_PHASE_FANOUT;
  s->t0_ms = arag_now_ms();
  arag_bb_init(&s->bb);
  if (req && !cJSON_IsObject(req))
    return fail(err, err_len, ARAG_E_JSON, "request must be a JSON object");
  /* Overrides: "config", then the top-level "k" and "top_k". */
  const cJSON *ov = req ? cJSON_GetObjectItemCaseSensitive(req, "config") : NULL;
  if (ov && !cJSON_IsNull(ov)) {
    if (!cJSON_IsObject(ov))
      return fail(err, err_len, ARAG_E_JSON, "request \"config\" must be an object");
    arag_status st = arag_config_apply(&s->cfg, ov, 1, err, err_len);
    if (st != ARAG_OK) return st;
  }
  cJSON *top = cJSON_CreateObject();
  if (!top) return fail(err, err_len, ARAG_E_NOMEM, "out of memory");
  static const char *const top_keys[] = {"k", "top_k"};
  for (int i = 0; i < 2; i++) {
    const cJSON *v = req ? cJSON_GetObjectItemCaseSensitive(req, top_keys[i]) : NULL;
    cJSON *dup = v ? cJSON_Duplicate(v, 1) : NULL;
    if (v && (!dup || !cJSON_AddItemToObject(top, top_keys[i], dup))) {
      cJSON_Delete(dup); /* cJSON leaves an item it could not add with the caller */
      cJSON_Delete(top);
      return fail(err, err_len, ARAG_E_NOMEM, "out of memory");
    }
  }
  arag_status st = arag_config_apply(&s->cfg, top, 1, err, err_len);
  cJSON_Delete(top);
  if (st != ARAG_OK) return st;
  if (s->cfg.top_k > s->cfg.max_candidates)
    return fail(err, err_len, ARAG_E_LIMIT, "top_k %u is past max_candidates %u", s->cfg.top_k,
                s->cfg.max_candidates);

  uint32_t cdim = cat ? arag_catalog_dim(cat) : 0, hdim = h ? arag_history_dim(h) : 0;
  s->dim = cdim ? cdim : hdim ? hdim : ARAG_EMBED_DEFAULT_DIM;
  const cJSON *cl = req ? cJSON_GetObjectItemCaseSensitive(req, "candidates") : NULL;
  if (cl && !cJSON_IsNull(cl) && !cJSON_IsArray(cl))
    return fail(err, err_len, ARAG_E_JSON, "\"candidates\" must be an array");
  if (cl && cJSON_IsNull(cl)) cl = NULL;
  if (!cl && !cat)
    return fail(err, err_len, ARAG_E_INVALID, "no candidates and no catalog to take them from");
  if (cl && (uint32_t)cJSON_GetArraySize(cl) > s->cfg.max_candidates)
    return fail(err, err_len, ARAG_E_LIMIT, "%d candidates, max_candidates is %u",
                cJSON_GetArraySize(cl), s->cfg.max_candidates);

  st = arag_retrieve(s, cat, h, cl, err, err_len);
  if (st != ARAG_OK) return st;

  /* Phase 1: UUA alongside the NLI batches. */
  if (s->n_cands) {
    if (s->cfg.agents[ARAG_AGENT_UUA] && queue_msg(s, ARAG_AGENT_UUA, -1, 0, 0) < 0)
      return fail(err, err_len, ARAG_E_NOMEM, "out of memory");
    if (s->cfg.agents[ARAG_AGENT_NLI]) {
      int b = 0;
      for (uint32_t f = 0; f < s->n_cands; f += s->cfg.nli_batch, b++) {
        uint32_t c = s->n_cands - f < s->cfg.nli_batch ? s->n_cands - f : s->cfg.nli_batch;
        if (queue_msg(s, ARAG_AGENT_NLI, b, f, c) < 0)
          return fail(err, err_len, ARAG_E_NOMEM, "out of memory");
      }
    }
  }
  s->catalog = cat;
  if (s->pending == 0) advance(s);
  return ARAG_OK;
}

/* ------------------------------------------------------------------------ */
/* Agent inputs                                                              */
/* ------------------------------------------------------------------------ */

typedef struct call_scratch {
  const arag_item **cands;
  float *retrieval;
  arag_nli_verdict *nli;
} call_scratch;

static void scratch_free(call_scratch *c) {
  free(c->cands);
  free(c->retrieval);
  free(c->nli);
}

static uint32_t accepted_order(const arag_session *s, uint32_t *idx) {
  uint32_t m = 0;
  for (uint32_t i = 0; i < s->n_cands; i++)
    if (s->accepted[i]) idx[m++] = i;
  return m;
}

/* The structured input of message i. Returns 0, or -1 when out of memory. */
static int build_input(arag_session *s, int i, arag_agent_input *in, call_scratch *c) {
  const arag_bb_msg *m = &s->bb.msgs[i];
  memset(in, 0, sizeof *in);
  memset(c, 0, sizeof *c);
  int nli_on = s->cfg.agents[ARAG_AGENT_NLI];
  in->agent = m->agent;
  in->dim = s->dim;
  in->long_term = s->ev_ptrs;
  in->n_long_term = s->n_long;
  in->session = s->ev_ptrs ? s->ev_ptrs + s->n_long : NULL;
  in->n_session = s->n_sess;
  in->catalog = s->catalog;
  in->title_df = s->title_df;
  in->text_df = s->text_df;
  in->scratch = &s->scratch;
  in->free_scratch = &s->free_scratch;
  switch (m->agent) {
  case ARAG_AGENT_UUA:
    break;
  case ARAG_AGENT_NLI:
    in->cands = s->cand_ptrs + m->first;
    in->n_cands = m->count;
    in->retrieval = s->retrieval + m->first;
    in->evidence = s->evidence + m->first;
    in->ev_history = s->ev_history;
    in->features = s->cand_feat + m->first;
    break;
  case ARAG_AGENT_CSA: {
    uint32_t n = s->n_cands ? s->n_cands : 1;
    uint32_t *idx = malloc(n * sizeof *idx);
    c->cands = malloc(n * sizeof *c->cands);
    c->retrieval = malloc(n * sizeof *c->retrieval);
    c->nli = malloc(n * sizeof *c->nli);
    if (!idx || !c->cands || !c->retrieval || !c->nli) {
      free(idx);
      return -1;
    }
    /* Accepted items, best NLI score first (ties: retrieval order). */
    uint32_t k = accepted_order(s, idx);
    ranked *r = malloc((k ? k : 1) * sizeof *r);
    if (!r) {
      free(idx);
      return -1;
    }
    for (uint32_t j = 0; j < k; j++) r[j].score = s->nli[idx[j]].score, r[j].idx = idx[j];
    if (nli_on) sort_ranked(r, k);
    for (uint32_t j = 0; j < k; j++) {
      c->cands[j] = s->cand_ptrs[r[j].idx];
      c->retrieval[j] = s->retrieval[r[j].idx];
      c->nli[j] = s->nli[r[j].idx];
    }
    free(r);
    free(idx);
    in->cands = c->cands;
    in->n_cands = k;
    in->retrieval = c->retrieval;
    in->nli = nli_on ? c->nli : NULL;
    in->s_user = s->s_user;
    break;
  }
  case ARAG_AGENT_IRA:
    in->cands = s->cand_ptrs;
    in->n_cands = s->n_cands;
    in->retrieval = s->retrieval;
    in->evidence = s->evidence;
    in->ev_history = s->ev_history;
    in->features = s->cand_feat;
    in->nli = nli_on ? s->nli : NULL;
    in->s_user = s->s_user;
    in->s_ctx = s->s_ctx;
    in->cite_k = s->cfg.k;
    break;
  }
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Answers                                                                   */
/* ------------------------------------------------------------------------ */

static void step_name(const arag_bb_msg *m, char *buf, size_t cap) {
  if (m->agent == ARAG_AGENT_NLI)
    snprintf(buf, cap, "nli_batch_%d", m->batch);
  else
    snprintf(buf, cap, "%s", arag_agent_name(m->agent));
}

static void nli_fallback(arag_session *s, uint32_t j) {
  float r = s->retrieval[j];
  s->nli[j].score = r < 0 ? 0.0f : r > 1 ? 1.0f : r;
  s->nli[j].label = ARAG_NLI_NEUTRAL;
  s->nli[j].rationale = "";
  s->nli_source[j] = ARAG_SRC_NONE;
}

/* Moves the parser's notes onto message i and the session list. */
static void take_notes(arag_session *s, int i, arag_strlist *repairs, arag_strlist *degraded) {
  for (uint32_t k = 0; k < repairs->n; k++)
    arag_strlist_add(&s->bb.msgs[i].repairs, "%s", repairs->v[k]);
  for (uint32_t k = 0; k < degraded->n; k++) arag_bb_degrade(&s->bb, i, "%s", degraded->v[k]);
  arag_strlist_free(repairs);
  arag_strlist_free(degraded);
}

/* The status of a step that failed here, before or instead of a call: out of memory
 * building its input, rendering its request or in the offline reasoner. Hosts deliver
 * statuses >= 0 (arag_pipeline_deliver), so this is never a provider's answer. */
#define LOCAL_OOM (-1)

/* The cause a host status names (see arag_fetch_status in arag.h). */
static const char *status_cause(int status) {
  switch (status) {
  case LOCAL_OOM:
    return "out_of_memory";
  case ARAG_FETCH_NETWORK:
    return "network";
  case ARAG_FETCH_TIMEOUT:
    return "timeout";
  case ARAG_FETCH_BUDGET:
    return "budget";
  case ARAG_FETCH_DEADLINE:
    return "deadline";
  case ARAG_FETCH_CANCELLED:
    return "cancelled";
  case ARAG_FETCH_REFUSAL:
    return "refusal";
  default:
    return "status";
  }
}

/* Applies an answer of message i's agent to the session; source says whose it is
 * (ARAG_SRC_AGENT: the call's, ARAG_SRC_OFFLINE: the fallback's). NLI verdicts are
 * written only for candidates that have none yet, so an offline answer fills what
 * the agent's left out. Returns -1 when the answer is unusable (nothing applied),
 * else the number of the call's candidates it left without an answer (NLI: no
 * verdict; IRA: not ranked, appended in I0 order). *out is the validated output. */
/* A model's ranking (the parsed output: its entries follow order[0..got)): each item's
 * citations checked against its evidence (evidence.h). The offline backend's answers
 * cite nothing. */
static void check_citations(arag_session *s, const cJSON *out, uint32_t got, const char *step,
                            arag_strlist *degraded) {
  if (s->cfg.backend != ARAG_BACKEND_HOST || !s->evidence || !s->ev_history) return;
  if (!s->cited) {
    s->cited = calloc(s->n_cands, sizeof *s->cited);
    s->cite_dropped = calloc(s->n_cands, sizeof *s->cite_dropped);
    if (!s->cited || !s->cite_dropped) {
      free(s->cited), free(s->cite_dropped);
      s->cited = s->cite_dropped = NULL;
      arag_strlist_add(degraded, "%s:citations:out_of_memory", step);
      return;
    }
  }
  const cJSON *ranking = cJSON_GetObjectItemCaseSensitive(out, "ranking");
  const cJSON *e = ranking ? ranking->child : NULL;
  for (uint32_t r = 0; r < got && e; r++, e = e->next) {
    uint32_t j = s->order[r];
    s->cited[j] = 0;
    s->cite_dropped[j] = arag_evidence_check_cites(s->ev_history, &s->cands[j], &s->cand_feat[j],
                                                   &s->evidence[j], e, &s->cited[j]);
  }
}

static int apply_answer(arag_session *s, int i, int source, const char *body, size_t len,
                        const char *step, cJSON **out, arag_strlist *repairs,
                        arag_strlist *degraded) {
  const arag_bb_msg *m = &s->bb.msgs[i];
  uint32_t first = m->first, count = m->count;
  *out = NULL;
  switch (m->agent) {
  case ARAG_AGENT_UUA:
  case ARAG_AGENT_CSA: {
    char *sum = NULL;
    if (arag_parse_summary(m->agent, body, len, step, &sum, out, repairs, degraded) != 0) return -1;
    char **dst = m->agent == ARAG_AGENT_UUA ? &s->s_user : &s->s_ctx;
    free(*dst);
    *dst = sum;
    return 0;
  }
  case ARAG_AGENT_NLI: {
    uint8_t *have = calloc(count ? count : 1, 1);
    char **rat = calloc(count ? count : 1, sizeof *rat);
    arag_nli_verdict *v = calloc(count ? count : 1, sizeof *v);
    int r = -1;
    if (have && rat && v) {
      int got = arag_parse_nli(body, len, step, s->cand_ids + first, count, v, rat, have, out,
                               repairs, degraded);
      uint32_t missing = 0;
      for (uint32_t j = 0; j < count; j++) {
        uint32_t c = first + j;
        if (got > 0 && have[j] && s->nli_source[c] == ARAG_SRC_NONE) {
          free(s->nli_rationale[c]);
          s->nli_rationale[c] = rat[j];
          s->nli[c] = v[j];
          s->nli_source[c] = (uint8_t)source;
        } else {
          free(rat[j]);
        }
        missing += s->nli_source[c] == ARAG_SRC_NONE;
      }
      if (got == 0) arag_strlist_add(degraded, "%s:no_valid_items", step);
      r = got > 0 ? (int)missing : -1;
      if (r < 0) {
        cJSON_Delete(*out);
        *out = NULL;
      }
    } else {
      arag_strlist_add(degraded, "%s:out_of_memory", step);
    }
    free(have);
    free(rat);
    free(v);
    return r;
  }
  case ARAG_AGENT_IRA: {
    int got = arag_parse_ira(body, len, step, s->cand_ids, s->n_cands, s->order, s->ira_score,
                             s->ira_reason, out, repairs, degraded);
    if (got > 0 && source == ARAG_SRC_AGENT)
      check_citations(s, *out, (uint32_t)got, step, degraded);
    if (got == 0) arag_strlist_add(degraded, "%s:empty_ranking", step);
    if (got > 0) return (int)(s->n_cands - (uint32_t)got);
    for (uint32_t j = 0; j < s->n_cands; j++) {
      s->order[j] = j;
      s->ira_score[j] = NAN;
      free(s->ira_reason[j]);
      s->ira_reason[j] = NULL;
    }
    cJSON_Delete(*out);
    *out = NULL;
    return -1;
  }
  }
  return -1;
}

/* The offline reasoner's answer to message i's input (malloc'ed), or NULL. */
static char *offline_answer(arag_session *s, int i, size_t *len) {
  arag_agent_input in;
  call_scratch cs;
  char *ans = NULL;
  if (build_input(s, i, &in, &cs) == 0) ans = arag_reasoner_answer_with(&in, &s->cfg.reasoner, len);
  scratch_free(&cs);
  return ans;
}

/* IRA ranked some candidates: the ones it left out (the tail of the order, in I0
 * order) move into the offline reasoner's order, with its reasons. 0 on success. */
static int ira_fill_missing(arag_session *s, int i, uint32_t missing, const char *step) {
  size_t alen = 0;
  char *ans = offline_answer(s, i, &alen);
  uint32_t n = s->n_cands;
  uint32_t *order = malloc((n ? n : 1) * sizeof *order);
  float *score = malloc((n ? n : 1) * sizeof *score);
  char **reason = calloc(n ? n : 1, sizeof *reason);
  uint32_t *rank = malloc((n ? n : 1) * sizeof *rank);
  int ok = -1;
  if (ans && order && score && reason && rank) {
    arag_strlist rep = {0}, deg = {0};
    cJSON *o = NULL;
    int got = arag_parse_ira(ans, alen, step, s->cand_ids, n, order, score, reason, &o, &rep, &deg);
    cJSON_Delete(o);
    arag_strlist_free(&rep);
    arag_strlist_free(&deg);
    if (got > 0) {
      for (uint32_t r = 0; r < n; r++) rank[order[r]] = r;
      /* Insertion sort of the tail by the offline rank (missing is small or n is). */
      uint32_t *tail = s->order + (n - missing);
      for (uint32_t a = 1; a < missing; a++) {
        uint32_t x = tail[a], b = a;
        while (b > 0 && rank[tail[b - 1]] > rank[x]) tail[b] = tail[b - 1], b--;
        tail[b] = x;
      }
      for (uint32_t a = 0; a < missing; a++)
        if (!s->ira_reason[tail[a]])
          s->ira_reason[tail[a]] = reason[tail[a]], reason[tail[a]] = NULL;
      ok = 0;
    }
  }
  if (reason)
    for (uint32_t j = 0; j < n; j++) free(reason[j]);
  free(reason);
  free(order);
  free(score);
  free(rank);
  free(ans);
  return ok;
}

/* The retrieval fallbacks of a step that has no usable answer. */
static void retrieval_fallback(arag_session *s, int i, const char *step, arag_strlist *degraded) {
  switch (s->bb.msgs[i].agent) {
  case ARAG_AGENT_UUA:
    arag_strlist_add(degraded, "uua:skipped");
    break;
  case ARAG_AGENT_CSA:
    arag_strlist_add(degraded, "csa:skipped");
    break;
  case ARAG_AGENT_NLI:
    /* The verdicts stay unset: leaving the fan-out gives them the retrieval score. */
    arag_strlist_add(degraded, "%s:retrieval_fallback", step);
    break;
  case ARAG_AGENT_IRA:
    for (uint32_t j = 0; j < s->n_cands; j++) {
      s->order[j] = j;
      s->ira_score[j] = NAN;
      free(s->ira_reason[j]);
      s->ira_reason[j] = NULL;
    }
    arag_strlist_add(degraded, "ira:fallback_order");
    break;
  }
}

/* Whether a failed step is answered by the offline reasoner (host backend with
 * fallback "offline"; the offline backend's own answers have no one else). */
static int offline_fallback_on(const arag_session *s) {
  return s->cfg.backend == ARAG_BACKEND_HOST && s->cfg.fallback == ARAG_FALLBACK_OFFLINE;
}

static void handle_answer(arag_session *s, int i, int status, const char *body, size_t len) {
  arag_bb_msg *m = &s->bb.msgs[i];
  if (m->state == ARAG_MSG_IN_FLIGHT && s->in_flight) s->in_flight--;
  char step[48];
  step_name(m, step, sizeof step);
  arag_strlist repairs = {0}, degraded = {0};
  if (status == 200 && len > s->cfg.max_answer_bytes) {
    /* A runaway answer: parse what a sane one could hold (the parser salvages the
     * complete items of a cut list). */
    size_t keep = s->cfg.max_answer_bytes;
    while (keep > 0 && ((unsigned char)body[keep] & 0xC0) == 0x80) keep--;
    arag_strlist_add(&repairs, "%s:answer_cut:%zu", step, len);
    len = keep;
  }
  arag_bb_answer(&s->bb, i, status, rel_ms(s), body, len);
  m = &s->bb.msgs[i];
  arag_agent agent = m->agent;
  const char *cause = NULL;
  int missing = -1;
  cJSON *out = NULL;
  if (status != 200) {
    cause = status_cause(status);
    if (status >= 100 && status <= 999)
      arag_strlist_add(&degraded, "%s:http_%d", step, status);
    else
      arag_strlist_add(&degraded, "%s:%s", step, cause);
  } else {
    missing = apply_answer(s, i, ARAG_SRC_AGENT, body, len, step, &out, &repairs, &degraded);
    if (missing < 0) cause = "parse";
  }
  const char *fallback = NULL;
  uint32_t fb_items = 0;
  if (missing != 0 && offline_fallback_on(s)) {
    if (missing > 0 && agent == ARAG_AGENT_IRA) {
      /* A partial ranking: the rest in the offline reasoner's order. */
      if (ira_fill_missing(s, i, (uint32_t)missing, step) == 0) {
        fallback = "offline", fb_items = (uint32_t)missing, cause = "parse";
        arag_strlist_add(&degraded, "%s:offline_missing:%d", step, missing);
      }
    } else {
      size_t alen = 0;
      char *ans = offline_answer(s, i, &alen);
      arag_strlist rep = {0}, deg = {0};
      cJSON *fo = NULL;
      int left = ans ? apply_answer(s, i, ARAG_SRC_OFFLINE, ans, alen, step, &fo, &rep, &deg) : -1;
      arag_strlist_free(&rep);
      arag_strlist_free(&deg);
      free(ans);
      if (left >= 0) {
        fallback = "offline";
        if (missing > 0) {
          /* NLI: verdicts for the candidates the agent left out. */
          fb_items = (uint32_t)missing;
          cause = "parse";
          arag_strlist_add(&degraded, "%s:offline_missing:%d", step, missing);
          cJSON_Delete(fo);
        } else {
          arag_strlist_add(&degraded, "%s:offline", step);
          cJSON_Delete(out);
          out = fo;
        }
      } else {
        cJSON_Delete(fo);
      }
    }
  }
  if (missing < 0 && !fallback) {
    fallback = "retrieval";
    retrieval_fallback(s, i, step, &degraded);
  } else if (missing > 0 && !fallback) {
    fallback = "retrieval", fb_items = (uint32_t)missing, cause = "parse";
  }
  m = &s->bb.msgs[i];
  m->output = out;
  m->cause = fallback ? cause : NULL;
  m->fallback = fallback;
  m->fallback_items = fb_items;
  take_notes(s, i, &repairs, &degraded);
  if (s->pending) s->pending--;
  if (s->pending == 0) advance(s);
}

/* ------------------------------------------------------------------------ */
/* Phases and the result                                                     */
/* ------------------------------------------------------------------------ */

static void filter_theta(arag_session *s) {
  uint32_t n = s->n_cands, kept = 0;
  if (!s->cfg.agents[ARAG_AGENT_NLI]) {
    for (uint32_t j = 0; j < n; j++) s->accepted[j] = 1;
    return;
  }
  for (uint32_t j = 0; j < n; j++) {
    s->accepted[j] = s->nli[j].score >= s->cfg.theta;
    kept += s->accepted[j];
  }
  uint32_t want = s->cfg.min_keep < n ? s->cfg.min_keep : n;
  if (kept >= want) return;
  ranked *r = malloc(n * sizeof *r);
  if (!r) {
    for (uint32_t j = 0; j < want; j++) s->accepted[j] = 1;
    return;
  }
  uint32_t m = 0;
  for (uint32_t j = 0; j < n; j++)
    if (!s->accepted[j]) r[m].score = s->nli[j].score, r[m].idx = j, m++;
  sort_ranked(r, m);
  for (uint32_t j = 0; j < m && kept < want; j++, kept++) s->accepted[r[j].idx] = 1;
  free(r);
}

static float base_score(const arag_session *s, uint32_t j) {
  if (s->cfg.agents[ARAG_AGENT_NLI]) return s->nli[j].score;
  float r = s->retrieval[j];
  return r < 0 ? 0.0f : r > 1 ? 1.0f : r;
}

static double round4(double x) { return floor(x * 10000 + 0.5) / 10000; }

static void finalize(arag_session *s);

static void advance(arag_session *s) {
  while (s->pending == 0 && s->phase != ARAG_PHASE_DONE && s->state == ARAG_SESSION_RUNNING) {
    switch (s->phase) {
    case ARAG_PHASE_FANOUT:
      if (s->cfg.agents[ARAG_AGENT_NLI])
        for (uint32_t j = 0; j < s->n_cands; j++)
          if (!s->nli_source[j]) nli_fallback(s, j);
      filter_theta(s);
      s->phase = ARAG_PHASE_CSA;
      if (s->n_cands && s->cfg.agents[ARAG_AGENT_CSA] && queue_msg(s, ARAG_AGENT_CSA, -1, 0, 0) < 0)
        arag_bb_degrade(&s->bb, -1, "csa:out_of_memory");
      break;
    case ARAG_PHASE_CSA:
      s->phase = ARAG_PHASE_IRA;
      if (s->n_cands && s->cfg.agents[ARAG_AGENT_IRA] && queue_msg(s, ARAG_AGENT_IRA, -1, 0, 0) < 0)
        arag_bb_degrade(&s->bb, -1, "ira:out_of_memory");
      if (s->n_cands && !s->cfg.agents[ARAG_AGENT_IRA] && s->cfg.agents[ARAG_AGENT_NLI]) {
        /* IRA off: order by NLI score, ties in retrieval order. */
        ranked *r = malloc(s->n_cands * sizeof *r);
        if (r) {
          for (uint32_t j = 0; j < s->n_cands; j++) r[j].score = s->nli[j].score, r[j].idx = j;
          sort_ranked(r, s->n_cands);
          for (uint32_t j = 0; j < s->n_cands; j++) s->order[j] = r[j].idx;
          free(r);
        }
      }
      break;
    case ARAG_PHASE_IRA:
      s->phase = ARAG_PHASE_DONE;
      finalize(s);
      break;
    case ARAG_PHASE_DONE:
      break;
    }
  }
}

static void event_ids(arag_sb *b, const arag_session *s, uint32_t from, uint32_t n) {
  arag_sb_append(b, "[", 1);
  for (uint32_t i = 0; i < n; i++) {
    if (i) arag_sb_append(b, ",", 1);
    arag_jw_string(b, s->events[from + i].item.id);
  }
  arag_sb_append(b, "]", 1);
}

static const char *label_str(arag_nli_label l) {
  return l == ARAG_NLI_SUPPORTS      ? "supports"
         : l == ARAG_NLI_CONTRADICTS ? "contradicts"
                                     : "neutral";
}

/* The result JSON, written directly (the same bytes cJSON_PrintUnformatted gives
 * for the same values; see json_write.h). */
static void finalize(arag_session *s) {
  uint32_t n = s->n_cands;
  uint32_t k = s->cfg.k < n ? s->cfg.k : n;
  /* The shelf's rules on the first k places (shelf.h). */
  if (s->cand_feat && !arag_shelf_arrange(&s->cfg.shelf, k, s->order, n, s->cands, s->cand_feat,
                                          s->events ? s->events + s->n_long : NULL, s->n_sess))
    arag_bb_degrade(&s->bb, -1, "shelf:out_of_memory");
  s->state = ARAG_SESSION_DONE;
  s->catalog = NULL;
  arag_sb sb;
  arag_sb *b = &sb;
  arag_sb_init(b);
  /* About 1 KB per candidate (trace included): one allocation, no regrowth copies. */
  arag_sb_reserve(b, 8192 + (size_t)n * 1024);
  int first = 1;
  arag_sb_append(b, "{", 1);
  arag_jw_key(b, &first, "items");
  arag_sb_append(b, "[", 1);
  for (uint32_t r = 0; r < k; r++) {
    uint32_t j = s->order[r];
    double score = s->ira_score[j];
    if (isnan(score)) score = 0.5 * (1.0 - (double)r / (double)n) + 0.5 * (double)base_score(s, j);
    const char *reason = s->ira_reason[j]                          ? s->ira_reason[j]
                         : s->nli_source[j] && s->nli_rationale[j] ? s->nli_rationale[j]
                                                                   : "";
    int f = 1;
    arag_sb_append(b, r ? ",{" : "{", r ? 2 : 1);
    arag_jw_key(b, &f, "id");
    arag_jw_string(b, s->cand_ids[j]);
    arag_jw_key(b, &f, "score");
    arag_jw_number(b, round4(score));
    arag_jw_key(b, &f, "reason");
    arag_jw_string(b, reason);
    if (s->evidence) {
      arag_jw_key(b, &f, "evidence");
      arag_evidence_json(b, s->ev_history, &s->cands[j], &s->cand_feat[j], &s->evidence[j],
                         s->cited ? s->cited[j] : 0);
    }
    arag_sb_append(b, "}", 1);
  }
  arag_sb_append(b, "]", 1);
  arag_jw_key(b, &first, "order");
  arag_sb_append(b, "[", 1);
  for (uint32_t r = 0; r < n; r++) {
    if (r) arag_sb_append(b, ",", 1);
    arag_jw_string(b, s->cand_ids[s->order[r]]);
  }
  arag_sb_append(b, "]", 1);
  arag_jw_key(b, &first, "degraded");
  arag_sb_append(b, "[", 1);
  for (uint32_t i = 0; i < s->bb.degraded.n; i++) {
    if (i) arag_sb_append(b, ",", 1);
    arag_jw_string(b, s->bb.degraded.v[i]);
  }
  arag_sb_append(b, "]", 1);
  /* Every step a fallback answered (or filled in), with the cause. */
  arag_jw_key(b, &first, "fallbacks");
  arag_sb_append(b, "[", 1);
  int fb_first = 1;
  for (uint32_t i = 0; i < s->bb.n; i++) {
    const arag_bb_msg *m = &s->bb.msgs[i];
    if (!m->fallback) continue;
    char step[48];
    step_name(m, step, sizeof step);
    int f = 1;
    arag_sb_append(b, fb_first ? "{" : ",{", fb_first ? 1 : 2);
    fb_first = 0;
    arag_jw_key(b, &f, "step");
    arag_jw_string(b, step);
    arag_jw_key(b, &f, "agent");
    arag_jw_string(b, arag_agent_name(m->agent));
    arag_jw_key(b, &f, "cause");
    arag_jw_string(b, m->cause ? m->cause : "parse");
    arag_jw_key(b, &f, "fallback");
    arag_jw_string(b, m->fallback);
    arag_jw_key(b, &f, "items");
    arag_jw_number(b, m->fallback_items            ? m->fallback_items
                      : m->agent == ARAG_AGENT_NLI ? m->count
                      : m->agent == ARAG_AGENT_IRA ? s->n_cands
                                                   : 0);
    arag_sb_append(b, "}", 1);
  }
  arag_sb_append(b, "]", 1);
  uint64_t pt = 0, ct = 0, pc = 0, calls = 0;
  for (uint32_t i = 0; i < s->bb.n; i++) {
    const arag_bb_msg *m = &s->bb.msgs[i];
    if (m->sent) calls++;
    pc += m->prompt_chars;
    if (m->prompt_tokens > 0) pt += (uint64_t)m->prompt_tokens;
    if (m->completion_tokens > 0) ct += (uint64_t)m->completion_tokens;
  }
  arag_jw_key(b, &first, "usage");
  int f = 1;
  arag_sb_append(b, "{", 1);
  arag_jw_key(b, &f, "calls");
  arag_jw_number(b, (double)calls);
  arag_jw_key(b, &f, "prompt_tokens");
  arag_jw_number(b, (double)pt);
  arag_jw_key(b, &f, "completion_tokens");
  arag_jw_number(b, (double)ct);
  arag_jw_key(b, &f, "prompt_chars");
  arag_jw_number(b, (double)pc);
  arag_sb_append(b, "}", 1);

  arag_jw_key(b, &first, "trace");
  int t = 1;
  arag_sb_append(b, "{", 1);
  cJSON *cfg = arag_config_json(&s->cfg);
  if (cfg) {
    arag_jw_key(b, &t, "config");
    arag_jw_value(b, cfg);
    cJSON_Delete(cfg);
  }
  arag_jw_key(b, &t, "context");
  f = 1;
  arag_sb_append(b, "{", 1);
  arag_jw_key(b, &f, "long_term");
  event_ids(b, s, 0, s->n_long);
  arag_jw_key(b, &f, "session");
  event_ids(b, s, s->n_long, s->n_sess);
  {
    /* The interest shift the context and the offline reasoner weighed (interest.h). */
    uint32_t total = s->n_long + s->n_sess;
    float *w = total ? malloc(total * sizeof *w) : NULL;
    arag_shift sh = {0};
    float older = 1.0f;
    if (w) {
      arag_interest_shift((const arag_event *const *)s->ev_ptrs, total, s->cfg.reasoner.shift, &sh,
                          w);
      if (sh.first) older = w[0];
      for (uint32_t i = 0; i < sh.first; i++)
        if (w[i] < older) older = w[i];
      free(w);
    }
    arag_jw_key(b, &f, "shift");
    int g = 1;
    arag_sb_append(b, "{", 1);
    arag_jw_key(b, &g, "share");
    arag_jw_number(b, round4(sh.shift));
    arag_jw_key(b, &g, "run");
    arag_jw_number(b, (double)sh.run);
    arag_jw_key(b, &g, "older_weight");
    arag_jw_number(b, round4(older));
    arag_sb_append(b, "}", 1);
  }
  arag_sb_append(b, "}", 1);
  arag_jw_key(b, &t, "s_user");
  if (s->s_user)
    arag_jw_string(b, s->s_user);
  else
    arag_sb_append(b, "null", 4);
  arag_jw_key(b, &t, "s_ctx");
  if (s->s_ctx)
    arag_jw_string(b, s->s_ctx);
  else
    arag_sb_append(b, "null", 4);
  arag_jw_key(b, &t, "i0");
  arag_sb_append(b, "[", 1);
  for (uint32_t j = 0; j < n; j++) {
    f = 1;
    arag_sb_append(b, j ? ",{" : "{", j ? 2 : 1);
    arag_jw_key(b, &f, "id");
    arag_jw_string(b, s->cand_ids[j]);
    arag_jw_key(b, &f, "title");
    arag_jw_string(b, s->cands[j].title);
    arag_jw_key(b, &f, "retrieval");
    arag_jw_number(b, round4(s->retrieval[j]));
    arag_sb_append(b, "}", 1);
  }
  arag_sb_append(b, "]", 1);
  arag_jw_key(b, &t, "nli");
  arag_sb_append(b, "[", 1);
  for (uint32_t j = 0; s->cfg.agents[ARAG_AGENT_NLI] && j < n; j++) {
    f = 1;
    arag_sb_append(b, j ? ",{" : "{", j ? 2 : 1);
    arag_jw_key(b, &f, "id");
    arag_jw_string(b, s->cand_ids[j]);
    arag_jw_key(b, &f, "score");
    arag_jw_number(b, round4(s->nli[j].score));
    arag_jw_key(b, &f, "label");
    arag_jw_string(b, label_str(s->nli[j].label));
    arag_jw_key(b, &f, "rationale");
    arag_jw_string(b, s->nli[j].rationale ? s->nli[j].rationale : "");
    arag_jw_key(b, &f, "accepted");
    arag_sb_puts(b, s->accepted[j] ? "true" : "false");
    arag_jw_key(b, &f, "source");
    arag_jw_string(b, s->nli_source[j] == ARAG_SRC_AGENT     ? "agent"
                      : s->nli_source[j] == ARAG_SRC_OFFLINE ? "offline"
                                                             : "retrieval_fallback");
    arag_sb_append(b, "}", 1);
  }
  arag_sb_append(b, "]", 1);
  uint32_t n_acc = 0;
  for (uint32_t j = 0; j < n; j++) n_acc += s->accepted[j];
  arag_jw_key(b, &t, "accepted");
  arag_jw_number(b, n_acc);
  arag_jw_key(b, &t, "elapsed_ms");
  arag_jw_number(b, round4(rel_ms(s)));
  arag_jw_key(b, &t, "messages");
  arag_bb_messages_write(&s->bb, b);
  if (s->cited) {
    /* A model ranked: per item with citations, the kinds that held and the dropped. */
    arag_jw_key(b, &t, "citations");
    arag_sb_append(b, "[", 1);
    int c_first = 1;
    for (uint32_t r = 0; r < n; r++) {
      uint32_t j = s->order[r];
      if (!s->cited[j] && !s->cite_dropped[j]) continue;
      f = 1;
      arag_sb_append(b, c_first ? "{" : ",{", c_first ? 1 : 2);
      c_first = 0;
      arag_jw_key(b, &f, "id");
      arag_jw_string(b, s->cand_ids[j]);
      arag_jw_key(b, &f, "cited");
      arag_sb_append(b, "[", 1);
      for (uint32_t e = 0, q = 0; e < s->evidence[j].n; e++)
        if (s->cited[j] >> e & 1u) {
          if (q++) arag_sb_append(b, ",", 1);
          arag_jw_string(b, arag_ev_kind_name(s->evidence[j].e[e].kind));
        }
      arag_sb_append(b, "]", 1);
      arag_jw_key(b, &f, "dropped");
      arag_jw_number(b, (double)s->cite_dropped[j]);
      arag_sb_append(b, "}", 1);
    }
    arag_sb_append(b, "]", 1);
  }
  arag_sb_append(b, "}}", 2);
  free(s->result);
  s->result = arag_sb_take(b, &s->result_len);
  if (!s->result) s->result_len = 0;
}

/* ------------------------------------------------------------------------ */
/* Sending                                                                   */
/* ------------------------------------------------------------------------ */

static int next_queued(arag_session *s) {
  while (s->queue_head < s->bb.n && s->bb.msgs[s->queue_head].state != ARAG_MSG_QUEUED)
    s->queue_head++;
  return s->queue_head < s->bb.n ? (int)s->queue_head : -1;
}

/* The blackboard's record of what one call was given. */
static cJSON *inputs_json(const arag_agent_input *in) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  cJSON_AddNumberToObject(o, "long_term", in->n_long_term);
  cJSON_AddNumberToObject(o, "session", in->n_session);
  if (in->agent != ARAG_AGENT_UUA) {
    cJSON *ids = cJSON_AddArrayToObject(o, "candidates");
    for (uint32_t j = 0; ids && j < in->n_cands; j++)
      cJSON_AddItemToArray(ids, cJSON_CreateString(in->cands[j]->id));
    cJSON_AddBoolToObject(o, "nli", in->nli != NULL);
  }
  if (in->agent == ARAG_AGENT_CSA || in->agent == ARAG_AGENT_IRA)
    cJSON_AddBoolToObject(o, "s_user", in->s_user != NULL);
  if (in->agent == ARAG_AGENT_IRA) cJSON_AddBoolToObject(o, "s_ctx", in->s_ctx != NULL);
  return o;
}

/* What an agent's answer needs, in tokens, with room to spare: a summary of at most
 * 120 words with its interests; per NLI verdict an id, score, label and a rationale of
 * at most 25 words; per ranked candidate an id, a reason of at most 15 words and a
 * score (a plausible ranking of 50 with reasons is 1,250-1,470 tokens counted with
 * o200k_base: 40 per candidate leaves a third to spare). Then the reasoning allowance,
 * and the configured cap. */
static uint32_t answer_tokens(const arag_config *c, const arag_agent_input *in) {
  uint64_t need;
  switch (in->agent) {
  case ARAG_AGENT_UUA:
    need = 500;
    break;
  case ARAG_AGENT_CSA:
    need = 400;
    break;
  case ARAG_AGENT_NLI:
    need = 100 + 60ull * in->n_cands;
    break;
  default:
    need = 100 + 40ull * in->n_cands;
    break;
  }
  need += c->reasoning_tokens;
  return need < c->max_tokens ? (uint32_t)need : c->max_tokens;
}

/* Whether the recommendation's deadline has passed (host backend). */
static int deadline_passed(arag_session *s) {
  if (s->expired) return 1;
  if (s->cfg.backend != ARAG_BACKEND_HOST || !s->cfg.deadline_ms) return 0;
  if (rel_ms(s) >= (double)s->cfg.deadline_ms) s->expired = 1;
  return s->expired;
}

static void dispatch(arag_session *s, int i) {
  arag_agent_input in;
  call_scratch cs;
  arag_bb_msg *m = &s->bb.msgs[i];
  m->state = ARAG_MSG_IN_FLIGHT;
  m->started_ms = rel_ms(s);
  s->in_flight++;
  uint32_t rid = m->request_id;
  if (build_input(s, i, &in, &cs) != 0) {
    scratch_free(&cs);
    handle_answer(s, i, LOCAL_OOM, "out of memory building the agent input", 38);
    return;
  }
  s->bb.msgs[i].inputs = inputs_json(&in);
  if (s->cfg.backend == ARAG_BACKEND_HOST && deadline_passed(s)) {
    /* Past the deadline nothing more goes out: the fallback answers. */
    scratch_free(&cs);
    handle_answer(s, i, ARAG_FETCH_DEADLINE, "the recommendation's deadline passed", 36);
    return;
  }
  arag_render_opts ro = {s->cfg.max_prompt_item_chars, answer_tokens(&s->cfg, &in),
                         s->cfg.temperature};
  size_t len = 0, pchars = 0;
  char *json = NULL;
  if (s->cfg.backend == ARAG_BACKEND_HOST || s->cfg.trace_prompts) {
    json = arag_render_request(&in, &ro, &len, &pchars);
  } else {
    /* Offline: only the size an LLM prompt would have, measured without building it. */
    const arag_prompt *tpl = arag_prompt_get(arag_agent_name(in.agent));
    uint32_t n_ev = s->n_long + s->n_sess;
    if (!s->ev_chars && n_ev) s->ev_chars = calloc(n_ev, sizeof *s->ev_chars);
    if (!s->cand_chars && s->n_cands) s->cand_chars = calloc(s->n_cands, sizeof *s->cand_chars);
    arag_render_memo memo = {s->events, s->ev_chars,   s->ev_chars ? n_ev : 0,
                             s->cands,  s->cand_chars, s->cand_chars ? s->n_cands : 0};
    pchars = arag_render_user_message_len(&in, &ro, &memo) + (tpl ? tpl->len : 0);
  }
  m = &s->bb.msgs[i];
  m->prompt_chars = pchars;
  m->sent = 1;
  if (json && s->cfg.trace_prompts) m->request_json = arag_strndup(json, len);
  if (s->cfg.backend == ARAG_BACKEND_OFFLINE) {
    free(json);
    size_t alen = 0;
    char *ans = arag_reasoner_answer_with(&in, &s->cfg.reasoner, &alen);
    scratch_free(&cs);
    if (ans)
      handle_answer(s, i, 200, ans, alen);
    else
      handle_answer(s, i, LOCAL_OOM, "offline reasoner: out of memory", 31);
    free(ans);
    return;
  }
  scratch_free(&cs);
  if (!json) {
    handle_answer(s, i, LOCAL_OOM, "out of memory rendering the request", 35);
    return;
  }
  /* The host may deliver (or cancel, or free the session) inside the call. */
  s->fetch(s->fetch_user, s->id, rid, json, len);
  free(json);
}

/* Past the deadline: every call still in flight is answered by the fallback (the
 * queued ones are, as they are dispatched). */
static void expire_in_flight(arag_session *s) {
  for (uint32_t i = 0; i < s->bb.n && s->state == ARAG_SESSION_RUNNING; i++)
    if (s->bb.msgs[i].state == ARAG_MSG_IN_FLIGHT)
      handle_answer(s, (int)i, ARAG_FETCH_DEADLINE, "the recommendation's deadline passed", 36);
}

void arag_pipeline_pump(arag_session *s) {
  if (s->busy) return;
  s->busy = 1;
  if (s->state == ARAG_SESSION_RUNNING && !s->free_pending && s->in_flight && deadline_passed(s))
    expire_in_flight(s);
  while (s->state == ARAG_SESSION_RUNNING && !s->free_pending) {
    if (s->cfg.backend == ARAG_BACKEND_HOST && s->in_flight >= s->cfg.max_in_flight) break;
    int i = next_queued(s);
    if (i < 0) break;
    dispatch(s, i);
  }
  s->busy = 0;
  if (s->free_pending) arag_pipeline_destroy(s);
}

void arag_pipeline_expire(arag_session *s) {
  if (s->state == ARAG_SESSION_RUNNING) s->expired = 1;
}

arag_status arag_pipeline_deliver(arag_session *s, uint32_t request_id, int status,
                                  const char *body, size_t len) {
  if (s->state != ARAG_SESSION_RUNNING) return ARAG_E_NOT_FOUND;
  int i = arag_bb_find(&s->bb, request_id);
  if (i < 0 || s->bb.msgs[i].state != ARAG_MSG_IN_FLIGHT) return ARAG_E_NOT_FOUND;
  handle_answer(s, i, status < 0 ? 0 : status, body ? body : "", body ? len : 0);
  return ARAG_OK;
}

arag_status arag_pipeline_usage(arag_session *s, uint32_t request_id, uint32_t prompt_tokens,
                                uint32_t completion_tokens) {
  if (s->state != ARAG_SESSION_RUNNING) return ARAG_E_NOT_FOUND;
  int i = arag_bb_find(&s->bb, request_id);
  if (i < 0 || s->bb.msgs[i].state != ARAG_MSG_IN_FLIGHT) return ARAG_E_NOT_FOUND;
  s->bb.msgs[i].prompt_tokens = prompt_tokens;
  s->bb.msgs[i].completion_tokens = completion_tokens;
  return ARAG_OK;
}

arag_status arag_pipeline_repair(arag_session *s, uint32_t request_id, const char *note,
                                 size_t len) {
  if (s->state != ARAG_SESSION_RUNNING) return ARAG_E_NOT_FOUND;
  int i = arag_bb_find(&s->bb, request_id);
  if (i < 0 || s->bb.msgs[i].state != ARAG_MSG_IN_FLIGHT) return ARAG_E_NOT_FOUND;
  /* A short word of the host's: printable ASCII only, at most 80 bytes. */
  char clean[81];
  size_t n = 0;
  for (size_t k = 0; k < len && n < sizeof clean - 1; k++)
    clean[n++] = note[k] >= 0x20 && note[k] < 0x7F ? note[k] : '?';
  clean[n] = 0;
  char step[48];
  step_name(&s->bb.msgs[i], step, sizeof step);
  arag_strlist_add(&s->bb.msgs[i].repairs, "%s:%s", step, clean);
  return ARAG_OK;
}

void arag_pipeline_cancel(arag_session *s) {
  if (s->state != ARAG_SESSION_RUNNING) return;
  s->state = ARAG_SESSION_CANCELLED;
  s->catalog = NULL;
  for (uint32_t i = 0; i < s->bb.n; i++)
    if (s->bb.msgs[i].state == ARAG_MSG_QUEUED || s->bb.msgs[i].state == ARAG_MSG_IN_FLIGHT)
      s->bb.msgs[i].state = ARAG_MSG_ABANDONED;
  s->in_flight = 0;
}

void arag_pipeline_destroy(arag_session *s) {
  if (!s) return;
  if (s->events)
    for (uint32_t i = 0; i < s->n_long + s->n_sess; i++) arag_item_clear(&s->events[i].item);
  free(s->events);
  free(s->ev_ptrs);
  free(s->ev_chars);
  free(s->cand_chars);
  if (s->cands)
    for (uint32_t i = 0; i < s->n_cands; i++) arag_item_clear(&s->cands[i]);
  free(s->cands);
  free(s->cand_ptrs);
  free(s->cand_ids);
  free(s->retrieval);
  free(s->nli);
  if (s->nli_rationale)
    for (uint32_t i = 0; i < s->n_cands; i++) free(s->nli_rationale[i]);
  free(s->nli_rationale);
  free(s->nli_source);
  free(s->accepted);
  free(s->s_user);
  free(s->s_ctx);
  free(s->order);
  free(s->ira_score);
  if (s->ira_reason)
    for (uint32_t i = 0; i < s->n_cands; i++) free(s->ira_reason[i]);
  free(s->ira_reason);
  free(s->cited);
  free(s->cite_dropped);
  arag_ev_history_free(s->ev_history);
  free(s->evidence);
  free(s->cand_feat);
  arag_bb_free(&s->bb);
  arag_term_df *dfs[2] = {s->title_df, s->text_df};
  for (int i = 0; i < 2; i++)
    if (dfs[i]) {
      arag_term_df_free(dfs[i]);
      free(dfs[i]);
    }
  if (s->scratch && s->free_scratch) s->free_scratch(s->scratch);
  free(s->result);
  free(s);
}
