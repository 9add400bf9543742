/* Each call of a phase: its structured input, its record on the blackboard, its
 * request rendered and sent through the host's fetch (or its prompt size measured and
 * the offline reasoner answering in place), within max_in_flight and the deadline;
 * and the host's answers coming back. */
#include "pipeline.h"

#include "evidence.h"
#include "item.h"
#include "prompt_render.h"
#include "prompts.h"
#include <stdlib.h>
#include <string.h>

void arag_call_scratch_free(arag_call_scratch *c) {
  free(c->cands);
  free(c->retrieval);
  free(c->nli);
}

/* CSA's candidates: the accepted ones, best NLI score first (ties: retrieval order). */
static int csa_input(arag_session *s, arag_agent_input *in, arag_call_scratch *c) {
  uint32_t n = s->n_cands ? s->n_cands : 1;
  arag_ranked *r = malloc(n * sizeof *r);
  c->cands = malloc(n * sizeof *c->cands);
  c->retrieval = malloc(n * sizeof *c->retrieval);
  c->nli = malloc(n * sizeof *c->nli);
  if (!r || !c->cands || !c->retrieval || !c->nli) {
    free(r);
    return -1;
  }
  uint32_t k = 0;
  for (uint32_t j = 0; j < s->n_cands; j++)
    if (s->accepted[j]) r[k].score = s->nli[j].score, r[k].idx = j, k++;
  int nli_on = s->cfg.agents[ARAG_AGENT_NLI];
  if (nli_on) arag_ranked_sort(r, k);
  for (uint32_t j = 0; j < k; j++) {
    c->cands[j] = s->cand_ptrs[r[j].idx];
    c->retrieval[j] = s->retrieval[r[j].idx];
    c->nli[j] = s->nli[r[j].idx];
  }
  free(r);
  in->cands = c->cands;
  in->n_cands = k;
  in->retrieval = c->retrieval;
  in->nli = nli_on ? c->nli : NULL;
  in->s_user = s->s_user;
  return 0;
}

int arag_call_input(arag_session *s, int i, arag_agent_input *in, arag_call_scratch *c) {
  const arag_bb_msg *m = &s->bb.msgs[i];
  memset(in, 0, sizeof *in);
  memset(c, 0, sizeof *c);
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
  case ARAG_AGENT_UUA: /* the history alone */
    break;
  case ARAG_AGENT_NLI: /* one batch of I0 */
    in->cands = s->cand_ptrs + m->first;
    in->n_cands = m->count;
    in->retrieval = s->retrieval + m->first;
    in->evidence = s->evidence + m->first;
    in->ev_history = s->ev_history;
    in->features = s->cand_feat + m->first;
    break;
  case ARAG_AGENT_CSA:
    return csa_input(s, in, c);
  case ARAG_AGENT_IRA: /* all of I0 */
    in->cands = s->cand_ptrs;
    in->n_cands = s->n_cands;
    in->retrieval = s->retrieval;
    in->evidence = s->evidence;
    in->ev_history = s->ev_history;
    in->features = s->cand_feat;
    in->nli = s->cfg.agents[ARAG_AGENT_NLI] ? s->nli : NULL;
    in->s_user = s->s_user;
    in->s_ctx = s->s_ctx;
    in->cite_k = s->cfg.k < ARAG_CITE_ITEMS_MAX ? s->cfg.k : ARAG_CITE_ITEMS_MAX;
    break;
  }
  return 0;
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

/* What an agent's answer needs, in tokens (the agent table's tokens, tokens_per_cand
 * per candidate and tokens_per_cite per item it cites): a summary of at most 120 words with its
 * interests; per NLI verdict an id, score, label and a rationale of at most 25 words; per ranked
 * candidate an id, a reason of at most 15 words, a score and its citations. The per-candidate room
 * covers the longest of such answers that make bench-llm writes for 200 shoppers, NLI
 * batches and IRA rankings of 50 (docs/llm.md, max_tokens). Then the reasoning
 * allowance, and the configured cap. */
static uint32_t answer_tokens(const arag_config *c, const arag_agent_input *in) {
  const arag_agent_spec *a = &arag_agent_specs[in->agent];
  uint64_t need = a->tokens + (uint64_t)a->tokens_per_cand * in->n_cands;
  need += (uint64_t)a->tokens_per_cite * arag_agent_cited_items(in);
  need += c->reasoning_tokens;
  return need < c->max_tokens ? (uint32_t)need : c->max_tokens;
}

/* Whether the recommendation's deadline has passed (host backend). */
static int deadline_passed(arag_session *s) {
  if (s->expired) return 1;
  if (s->cfg.backend != ARAG_BACKEND_HOST || !s->cfg.deadline_ms) return 0;
  if (arag_session_ms(s) >= (double)s->cfg.deadline_ms) s->expired = 1;
  return s->expired;
}

/* Offline: only the size an LLM prompt would have, measured without building it. */
static size_t offline_prompt_chars(arag_session *s, const arag_agent_input *in,
                                   const arag_render_opts *ro) {
  const arag_prompt *tpl = arag_prompt_get(arag_agent_name(in->agent));
  uint32_t n_ev = s->n_long + s->n_sess;
  if (!s->ev_chars && n_ev) s->ev_chars = calloc(n_ev, sizeof *s->ev_chars);
  if (!s->cand_chars && s->n_cands) s->cand_chars = calloc(s->n_cands, sizeof *s->cand_chars);
  arag_render_memo memo = {s->events, s->ev_chars,   s->ev_chars ? n_ev : 0,
                           s->cands,  s->cand_chars, s->cand_chars ? s->n_cands : 0};
  return arag_render_user_message_len(in, ro, &memo) + (tpl ? tpl->len : 0);
}

/* The offline backend's call: the reasoner answers at once. */
static void answer_offline(arag_session *s, int i, const arag_agent_input *in) {
  size_t alen = 0;
  char *ans = arag_reasoner_answer_with(in, &s->cfg.reasoner, &alen);
  if (ans)
    arag_answer_handle(s, i, 200, ans, alen);
  else
    arag_answer_handle(s, i, ARAG_LOCAL_OOM, "offline reasoner: out of memory", 31);
  free(ans);
}

static void dispatch(arag_session *s, int i) {
  arag_agent_input in;
  arag_call_scratch cs;
  arag_bb_msg *m = &s->bb.msgs[i];
  m->state = ARAG_MSG_IN_FLIGHT;
  m->started_ms = arag_session_ms(s);
  s->in_flight++;
  uint32_t rid = m->request_id;
  if (arag_call_input(s, i, &in, &cs) != 0) {
    arag_call_scratch_free(&cs);
    arag_answer_handle(s, i, ARAG_LOCAL_OOM, "out of memory building the agent input", 38);
    return;
  }
  s->bb.msgs[i].inputs = inputs_json(&in);
  if (s->cfg.backend == ARAG_BACKEND_HOST && deadline_passed(s)) {
    /* Past the deadline nothing more goes out: the fallback answers. */
    arag_call_scratch_free(&cs);
    arag_answer_handle(s, i, ARAG_FETCH_DEADLINE, "the recommendation's deadline passed", 36);
    return;
  }
  arag_render_opts ro = {s->cfg.max_prompt_item_chars, answer_tokens(&s->cfg, &in),
                         s->cfg.temperature};
  size_t len = 0, pchars = 0;
  char *json = NULL;
  if (s->cfg.backend == ARAG_BACKEND_HOST || s->cfg.trace_prompts)
    json = arag_render_request(&in, &ro, &len, &pchars);
  else
    pchars = offline_prompt_chars(s, &in, &ro);
  m = &s->bb.msgs[i];
  m->prompt_chars = pchars;
  m->sent = 1;
  if (json && s->cfg.trace_prompts) m->request_json = arag_strndup(json, len);
  if (s->cfg.backend == ARAG_BACKEND_OFFLINE) {
    free(json);
    answer_offline(s, i, &in);
    arag_call_scratch_free(&cs);
    return;
  }
  arag_call_scratch_free(&cs);
  if (!json) {
    arag_answer_handle(s, i, ARAG_LOCAL_OOM, "out of memory rendering the request", 35);
    return;
  }
  /* The host may deliver (or cancel, or free the session) inside the call. */
  s->fetch(s->fetch_user, s->id, rid, json, len);
  free(json);
}

static int next_queued(arag_session *s) {
  while (s->queue_head < s->bb.n && s->bb.msgs[s->queue_head].state != ARAG_MSG_QUEUED)
    s->queue_head++;
  return s->queue_head < s->bb.n ? (int)s->queue_head : -1;
}

/* Past the deadline: every call still in flight is answered by the fallback (the
 * queued ones are, as they are dispatched). */
static void expire_in_flight(arag_session *s) {
  for (uint32_t i = 0; i < s->bb.n && s->state == ARAG_SESSION_RUNNING; i++)
    if (s->bb.msgs[i].state == ARAG_MSG_IN_FLIGHT)
      arag_answer_handle(s, (int)i, ARAG_FETCH_DEADLINE, "the recommendation's deadline passed",
                         36);
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

arag_status arag_pipeline_deliver(arag_session *s, uint32_t request_id, int status,
                                  const char *body, size_t len) {
  if (s->state != ARAG_SESSION_RUNNING) return ARAG_E_NOT_FOUND;
  int i = arag_bb_find(&s->bb, request_id);
  if (i < 0 || s->bb.msgs[i].state != ARAG_MSG_IN_FLIGHT) return ARAG_E_NOT_FOUND;
  arag_answer_handle(s, i, status < 0 ? 0 : status, body ? body : "", body ? len : 0);
  return ARAG_OK;
}
