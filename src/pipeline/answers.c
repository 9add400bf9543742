/* What an answer changes: an agent's answer parsed and applied (a summary, verdicts
 * for a batch, the ranking of I0), or, when the call failed or the answer was
 * unusable or partial, its fallback's (the offline reasoner's answer to the same
 * input, or the retrieval fallback); each step's notes on the blackboard; then the
 * next phase when its phase has no answer pending. */
#include "pipeline.h"

#include "agent_parse.h"
#include "evidence.h"
#include "item.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void arag_step_name(const arag_bb_msg *m, char *buf, size_t cap) {
  if (m->agent == ARAG_AGENT_NLI)
    snprintf(buf, cap, "nli_batch_%d", m->batch);
  else
    snprintf(buf, cap, "%s", arag_agent_name(m->agent));
}

/* Moves the parser's notes onto message i and the session list. */
static void take_notes(arag_session *s, int i, arag_strlist *repairs, arag_strlist *degraded) {
  for (uint32_t k = 0; k < repairs->n; k++)
    arag_strlist_add(&s->bb.msgs[i].repairs, "%s", repairs->v[k]);
  for (uint32_t k = 0; k < degraded->n; k++) arag_bb_degrade(&s->bb, i, "%s", degraded->v[k]);
  arag_strlist_free(repairs);
  arag_strlist_free(degraded);
}

/* The cause a host status names (see arag_fetch_status in arag.h). */
static const char *status_cause(int status) {
  switch (status) {
  case ARAG_LOCAL_OOM:
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

/* I0's order with no ranking: retrieval order, no scores, no reasons. */
static void reset_order(arag_session *s) {
  for (uint32_t j = 0; j < s->n_cands; j++) {
    s->order[j] = j;
    s->ira_score[j] = NAN;
    free(s->ira_reason[j]);
    s->ira_reason[j] = NULL;
  }
}

/* UUA or CSA: the summary replaces the one before. */
static int apply_summary(arag_session *s, const arag_bb_msg *m, const char *body, size_t len,
                         const char *step, cJSON **out, arag_strlist *repairs,
                         arag_strlist *degraded) {
  char *sum = NULL;
  if (arag_parse_summary(m->agent, body, len, step, &sum, out, repairs, degraded) != 0) return -1;
  char **dst = m->agent == ARAG_AGENT_UUA ? &s->s_user : &s->s_ctx;
  free(*dst);
  *dst = sum;
  return 0;
}

/* NLI: verdicts for the batch's candidates that have none yet. */
static int apply_verdicts(arag_session *s, const arag_bb_msg *m, int source, const char *body,
                          size_t len, const char *step, cJSON **out, arag_strlist *repairs,
                          arag_strlist *degraded) {
  uint32_t first = m->first, count = m->count;
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

/* IRA: the order of I0 (the candidates it left out follow in I0 order), and the
 * model's citations checked. */
static int apply_ranking(arag_session *s, int source, const char *body, size_t len,
                         const char *step, cJSON **out, arag_strlist *repairs,
                         arag_strlist *degraded) {
  int got = arag_parse_ira(body, len, step, s->cand_ids, s->n_cands, s->order, s->ira_score,
                           s->ira_reason, out, repairs, degraded);
  if (got > 0 && source == ARAG_SRC_AGENT) check_citations(s, *out, (uint32_t)got, step, degraded);
  if (got == 0) arag_strlist_add(degraded, "%s:empty_ranking", step);
  if (got > 0) return (int)(s->n_cands - (uint32_t)got);
  reset_order(s);
  cJSON_Delete(*out);
  *out = NULL;
  return -1;
}

/* Applies an answer of message i's agent to the session; source says whose it is
 * (ARAG_SRC_AGENT: the call's, ARAG_SRC_OFFLINE: the fallback's). NLI verdicts are
 * written only for candidates that have none yet, so an offline answer fills what
 * the agent's left out. Returns -1 when the answer is unusable (nothing applied),
 * else the number of the call's candidates it left without an answer (NLI: no
 * verdict; IRA: not ranked, appended in I0 order). *out is the validated output. */
static int apply_answer(arag_session *s, int i, int source, const char *body, size_t len,
                        const char *step, cJSON **out, arag_strlist *repairs,
                        arag_strlist *degraded) {
  const arag_bb_msg *m = &s->bb.msgs[i];
  *out = NULL;
  switch (arag_agent_specs[m->agent].answer) {
  case ARAG_ANSWER_SUMMARY:
    return apply_summary(s, m, body, len, step, out, repairs, degraded);
  case ARAG_ANSWER_VERDICTS:
    return apply_verdicts(s, m, source, body, len, step, out, repairs, degraded);
  case ARAG_ANSWER_RANKING:
    return apply_ranking(s, source, body, len, step, out, repairs, degraded);
  }
  return -1;
}

/* The offline reasoner's answer to message i's input (malloc'ed), or NULL. */
static char *offline_answer(arag_session *s, int i, size_t *len) {
  arag_agent_input in;
  arag_call_scratch cs;
  char *ans = NULL;
  if (arag_call_input(s, i, &in, &cs) == 0)
    ans = arag_reasoner_answer_with(&in, &s->cfg.reasoner, len);
  arag_call_scratch_free(&cs);
  return ans;
}

/* The tail of the order (the missing candidates, in I0 order) sorted by rank[]. */
static void sort_tail(uint32_t *tail, uint32_t missing, const uint32_t *rank) {
  /* Insertion sort (missing is small or n is). */
  for (uint32_t a = 1; a < missing; a++) {
    uint32_t x = tail[a], b = a;
    while (b > 0 && rank[tail[b - 1]] > rank[x]) tail[b] = tail[b - 1], b--;
    tail[b] = x;
  }
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
      uint32_t *tail = s->order + (n - missing);
      sort_tail(tail, missing, rank);
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

/* What one answer came to: the validated output, how many of the call's candidates
 * it left unanswered (-1: unusable), and which fallback answered why. */
typedef struct outcome {
  cJSON *out;
  int missing;
  const char *cause;
  const char *fallback;
  uint32_t fb_items;
} outcome;

/* The retrieval fallback of a step with no usable answer (the agent table's note). */
static void retrieval_fallback(arag_session *s, int i, const char *step, arag_strlist *degraded) {
  arag_agent agent = s->bb.msgs[i].agent;
  /* NLI: the verdicts stay unset; leaving the fan-out gives them the retrieval score. */
  if (agent == ARAG_AGENT_IRA) reset_order(s);
  arag_strlist_add(degraded, "%s:%s", step, arag_agent_specs[agent].retrieval_note);
}

/* The offline reasoner answers a failed step, or the candidates a partial answer left
 * out (host backend with fallback "offline"). */
static void offline_fallback(arag_session *s, int i, const char *step, outcome *o,
                             arag_strlist *degraded) {
  if (o->missing > 0 && s->bb.msgs[i].agent == ARAG_AGENT_IRA) {
    /* A partial ranking: the rest in the offline reasoner's order. */
    if (ira_fill_missing(s, i, (uint32_t)o->missing, step) == 0) {
      o->fallback = "offline", o->fb_items = (uint32_t)o->missing, o->cause = "parse";
      arag_strlist_add(degraded, "%s:offline_missing:%d", step, o->missing);
    }
    return;
  }
  size_t alen = 0;
  char *ans = offline_answer(s, i, &alen);
  arag_strlist rep = {0}, deg = {0};
  cJSON *fo = NULL;
  int left = ans ? apply_answer(s, i, ARAG_SRC_OFFLINE, ans, alen, step, &fo, &rep, &deg) : -1;
  arag_strlist_free(&rep);
  arag_strlist_free(&deg);
  free(ans);
  if (left < 0) {
    cJSON_Delete(fo);
    return;
  }
  o->fallback = "offline";
  if (o->missing > 0) {
    /* NLI: verdicts for the candidates the agent left out. */
    o->fb_items = (uint32_t)o->missing;
    o->cause = "parse";
    arag_strlist_add(degraded, "%s:offline_missing:%d", step, o->missing);
    cJSON_Delete(fo);
  } else {
    arag_strlist_add(degraded, "%s:offline", step);
    cJSON_Delete(o->out);
    o->out = fo;
  }
}

/* A runaway answer is cut to what a sane one could hold (the parser salvages the
 * complete items of a cut list): the length to parse. */
static size_t cut_runaway(const arag_session *s, const char *body, size_t len, int status,
                          const char *step, arag_strlist *repairs) {
  if (status != 200 || len <= s->cfg.max_answer_bytes) return len;
  size_t keep = s->cfg.max_answer_bytes;
  while (keep > 0 && ((unsigned char)body[keep] & 0xC0) == 0x80) keep--;
  arag_strlist_add(repairs, "%s:answer_cut:%zu", step, len);
  return keep;
}

void arag_answer_handle(arag_session *s, int i, int status, const char *body, size_t len) {
  arag_bb_msg *m = &s->bb.msgs[i];
  if (m->state == ARAG_MSG_IN_FLIGHT && s->in_flight) s->in_flight--;
  char step[48];
  arag_step_name(m, step, sizeof step);
  arag_strlist repairs = {0}, degraded = {0};
  len = cut_runaway(s, body, len, status, step, &repairs);
  arag_bb_answer(&s->bb, i, status, arag_session_ms(s), body, len);
  outcome o = {NULL, -1, NULL, NULL, 0};
  if (status != 200) {
    o.cause = status_cause(status);
    if (status >= 100 && status <= 999)
      arag_strlist_add(&degraded, "%s:http_%d", step, status);
    else
      arag_strlist_add(&degraded, "%s:%s", step, o.cause);
  } else {
    o.missing = apply_answer(s, i, ARAG_SRC_AGENT, body, len, step, &o.out, &repairs, &degraded);
    if (o.missing < 0) o.cause = "parse";
  }
  /* Whether a failed step is answered by the offline reasoner (host backend with
   * fallback "offline"; the offline backend's own answers have no one else). */
  if (o.missing != 0 && s->cfg.backend == ARAG_BACKEND_HOST &&
      s->cfg.fallback == ARAG_FALLBACK_OFFLINE)
    offline_fallback(s, i, step, &o, &degraded);
  if (o.missing < 0 && !o.fallback) {
    o.fallback = "retrieval";
    retrieval_fallback(s, i, step, &degraded);
  } else if (o.missing > 0 && !o.fallback) {
    o.fallback = "retrieval", o.fb_items = (uint32_t)o.missing, o.cause = "parse";
  }
  m = &s->bb.msgs[i];
  m->output = o.out;
  m->cause = o.fallback ? o.cause : NULL;
  m->fallback = o.fallback;
  m->fallback_items = o.fb_items;
  take_notes(s, i, &repairs, &degraded);
  if (s->pending) s->pending--;
  if (s->pending == 0) arag_phases_advance(s);
}
