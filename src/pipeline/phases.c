/* The four agents in order: arag_phases_advance reads as the recommendation runs.
 * Each phase's calls leave through dispatch.c (to the host's model, or answered in
 * place by the offline reasoner); answers.c applies each answer and, for a call that
 * failed or answered unusably, its fallback, named per agent in the agent table
 * (agents.c): the offline reasoner's answer to the same input, or the retrieval
 * fallback (UUA and CSA skipped, NLI the retrieval score, IRA the order of I0). */
#include "pipeline.h"

#include "sort.h"
#include <stdlib.h>

static int ranked_cmp(const arag_ranked *x, const arag_ranked *y) {
  if (x->score != y->score) return x->score > y->score ? -1 : 1;
  return x->idx < y->idx ? -1 : x->idx > y->idx ? 1 : 0;
}
ARAG_DEFINE_SORT(sort_ranked, arag_ranked, ranked_cmp)

void arag_ranked_sort(arag_ranked *r, uint32_t n) { sort_ranked(r, n); }

static int queue_msg(arag_session *s, arag_agent agent, int batch, uint32_t first, uint32_t count) {
  int i = arag_bb_add(&s->bb, ++s->next_request_id, agent, batch, first, count);
  if (i >= 0) s->pending++;
  return i;
}

/* One call of agent over all of I0, when it is on and there are candidates. -1 when
 * out of memory. */
static int queue_agent(arag_session *s, arag_agent agent) {
  if (!s->n_cands || !s->cfg.agents[agent]) return 0;
  return queue_msg(s, agent, -1, 0, 0) < 0 ? -1 : 0;
}

/* NLI's calls: I0 in batches of nli_batch. */
static int queue_nli_batches(arag_session *s) {
  if (!s->n_cands || !s->cfg.agents[ARAG_AGENT_NLI]) return 0;
  int b = 0;
  for (uint32_t f = 0; f < s->n_cands; f += s->cfg.nli_batch, b++) {
    uint32_t c = s->n_cands - f < s->cfg.nli_batch ? s->n_cands - f : s->cfg.nli_batch;
    if (queue_msg(s, ARAG_AGENT_NLI, b, f, c) < 0) return -1;
  }
  return 0;
}

/* A candidate no NLI answer judged (no fallback either) gets its retrieval score. */
static void settle_verdicts(arag_session *s) {
  if (!s->cfg.agents[ARAG_AGENT_NLI]) return;
  for (uint32_t j = 0; j < s->n_cands; j++) {
    if (s->nli_source[j]) continue;
    float r = s->retrieval[j];
    s->nli[j].score = r < 0 ? 0.0f : r > 1 ? 1.0f : r;
    s->nli[j].label = ARAG_NLI_NEUTRAL;
    s->nli[j].rationale = "";
    s->nli_source[j] = ARAG_SRC_NONE;
  }
}

/* The theta filter: candidates with an NLI score of at least theta are accepted,
 * topped up to min_keep by the best of the rest (all of them when NLI is off). */
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
  arag_ranked *r = malloc(n * sizeof *r);
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

/* IRA off: the final order is by NLI score, ties in retrieval order (NLI off too:
 * retrieval order). */
static void order_without_ira(arag_session *s) {
  if (!s->n_cands || s->cfg.agents[ARAG_AGENT_IRA] || !s->cfg.agents[ARAG_AGENT_NLI]) return;
  arag_ranked *r = malloc(s->n_cands * sizeof *r);
  if (!r) return;
  for (uint32_t j = 0; j < s->n_cands; j++) r[j].score = s->nli[j].score, r[j].idx = j;
  sort_ranked(r, s->n_cands);
  for (uint32_t j = 0; j < s->n_cands; j++) s->order[j] = r[j].idx;
  free(r);
}

arag_status arag_phases_advance(arag_session *s) {
  while (s->pending == 0 && s->phase != ARAG_PHASE_DONE && s->state == ARAG_SESSION_RUNNING) {
    switch (s->phase) {
    case ARAG_PHASE_START:
      /* 1. UUA summarises the history while NLI judges I0 in batches, in parallel. */
      s->phase = ARAG_PHASE_FANOUT;
      if (queue_agent(s, ARAG_AGENT_UUA) < 0 || queue_nli_batches(s) < 0) return ARAG_E_NOMEM;
      break;
    case ARAG_PHASE_FANOUT:
      /* 2. Every candidate has a verdict; the theta filter keeps the supported ones,
       *    and CSA summarises them with the user's summary. */
      settle_verdicts(s);
      filter_theta(s);
      s->phase = ARAG_PHASE_CSA;
      if (queue_agent(s, ARAG_AGENT_CSA) < 0) arag_bb_degrade(&s->bb, -1, "csa:out_of_memory");
      break;
    case ARAG_PHASE_CSA:
      /* 3. IRA ranks all of I0 with both summaries and the verdicts. */
      s->phase = ARAG_PHASE_IRA;
      if (queue_agent(s, ARAG_AGENT_IRA) < 0) arag_bb_degrade(&s->bb, -1, "ira:out_of_memory");
      order_without_ira(s);
      break;
    case ARAG_PHASE_IRA:
      /* 4. The shelf's rules on the first k places, and the result. */
      s->phase = ARAG_PHASE_DONE;
      arag_result_write(s);
      break;
    case ARAG_PHASE_DONE:
      break;
    }
  }
  return ARAG_OK;
}
