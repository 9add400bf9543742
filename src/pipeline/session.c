/* A recommendation's start and end: the request's overrides and checks, then
 * retrieval and the first phase (arag_pipeline_init); what the host may do to a
 * running one (usage, repair notes, cancel, expire); and freeing it. */
#define _POSIX_C_SOURCE 200809L
#include "pipeline.h"

#include "errbuf.h"

#include "evidence.h"
#include "item.h"
#include "term_df.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double arag_now_ms(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 0;
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

double arag_session_ms(const arag_session *s) { return arag_now_ms() - s->t0_ms; }

/* The request's overrides: "config", then the top-level "k" and "top_k". */
static arag_status apply_overrides(arag_session *s, const cJSON *req, arag_error *err) {
  const cJSON *ov = req ? cJSON_GetObjectItemCaseSensitive(req, "config") : NULL;
  if (ov && !cJSON_IsNull(ov)) {
    if (!cJSON_IsObject(ov))
      return arag_err_set(err, ARAG_E_JSON, "request \"config\" must be an object");
    arag_status st = arag_config_apply(&s->cfg, ov, 1, err);
    if (st != ARAG_OK) return st;
  }
  cJSON *top = cJSON_CreateObject();
  if (!top) return arag_err_set(err, ARAG_E_NOMEM, "out of memory");
  static const char *const top_keys[] = {"k", "top_k"};
  for (int i = 0; i < 2; i++) {
    const cJSON *v = req ? cJSON_GetObjectItemCaseSensitive(req, top_keys[i]) : NULL;
    cJSON *dup = v ? cJSON_Duplicate(v, 1) : NULL;
    if (v && (!dup || !cJSON_AddItemToObject(top, top_keys[i], dup))) {
      cJSON_Delete(dup); /* cJSON leaves an item it could not add with the caller */
      cJSON_Delete(top);
      return arag_err_set(err, ARAG_E_NOMEM, "out of memory");
    }
  }
  arag_status st = arag_config_apply(&s->cfg, top, 1, err);
  cJSON_Delete(top);
  if (st != ARAG_OK) return st;
  if (s->cfg.top_k > s->cfg.max_candidates)
    return arag_err_set(err, ARAG_E_LIMIT, "top_k %u is past max_candidates %u", s->cfg.top_k,
                        s->cfg.max_candidates);
  return ARAG_OK;
}

/* The request's "candidates" (NULL: take them from the catalog), checked. */
static arag_status candidates_arg(const arag_session *s, const arag_catalog *cat, const cJSON *req,
                                  const cJSON **out, arag_error *err) {
  const cJSON *cl = req ? cJSON_GetObjectItemCaseSensitive(req, "candidates") : NULL;
  *out = NULL;
  if (cl && !cJSON_IsNull(cl) && !cJSON_IsArray(cl))
    return arag_err_set(err, ARAG_E_JSON, "\"candidates\" must be an array");
  if (cl && cJSON_IsNull(cl)) cl = NULL;
  if (!cl && !cat)
    return arag_err_set(err, ARAG_E_INVALID, "no candidates and no catalog to take them from");
  if (cl && (uint32_t)cJSON_GetArraySize(cl) > s->cfg.max_candidates)
    return arag_err_set(err, ARAG_E_LIMIT, "%d candidates, max_candidates is %u",
                        cJSON_GetArraySize(cl), s->cfg.max_candidates);
  *out = cl;
  return ARAG_OK;
}

arag_status arag_pipeline_init(arag_session *s, const arag_config *cfg, const arag_catalog *cat,
                               const arag_history *h, const cJSON *req, arag_error *err) {
  s->cfg = *cfg;
  s->state = ARAG_SESSION_RUNNING;
  s->phase = ARAG_PHASE_START;
  s->t0_ms = arag_now_ms();
  arag_bb_init(&s->bb);
  if (req && !cJSON_IsObject(req))
    return arag_err_set(err, ARAG_E_JSON, "request must be a JSON object");
  arag_status st = apply_overrides(s, req, err);
  if (st != ARAG_OK) return st;
  uint32_t cdim = cat ? arag_catalog_dim(cat) : 0, hdim = h ? arag_history_dim(h) : 0;
  s->dim = cdim ? cdim : hdim ? hdim : ARAG_EMBED_DEFAULT_DIM;
  const cJSON *cl = NULL;
  st = candidates_arg(s, cat, req, &cl, err);
  if (st == ARAG_OK) st = arag_retrieve(s, cat, h, cl, err);
  if (st != ARAG_OK) return st;
  s->catalog = cat;
  if (arag_phases_advance(s) != ARAG_OK) return arag_err_set(err, ARAG_E_NOMEM, "out of memory");
  return ARAG_OK;
}

/* Message i of a running session, when it waits for an answer; else -1. */
static int pending_msg(const arag_session *s, uint32_t request_id) {
  if (s->state != ARAG_SESSION_RUNNING) return -1;
  int i = arag_bb_find(&s->bb, request_id);
  return i >= 0 && s->bb.msgs[i].state == ARAG_MSG_IN_FLIGHT ? i : -1;
}

arag_status arag_pipeline_usage(arag_session *s, uint32_t request_id, uint32_t prompt_tokens,
                                uint32_t completion_tokens) {
  int i = pending_msg(s, request_id);
  if (i < 0) return ARAG_E_NOT_FOUND;
  s->bb.msgs[i].prompt_tokens = prompt_tokens;
  s->bb.msgs[i].completion_tokens = completion_tokens;
  return ARAG_OK;
}

arag_status arag_pipeline_repair(arag_session *s, uint32_t request_id, const char *note,
                                 size_t len) {
  int i = pending_msg(s, request_id);
  if (i < 0) return ARAG_E_NOT_FOUND;
  /* A short word of the host's: printable ASCII only, at most 80 bytes. */
  char clean[81];
  size_t n = 0;
  for (size_t k = 0; k < len && n < sizeof clean - 1; k++)
    clean[n++] = note[k] >= 0x20 && note[k] < 0x7F ? note[k] : '?';
  clean[n] = 0;
  char step[48];
  arag_step_name(&s->bb.msgs[i], step, sizeof step);
  arag_strlist_add(&s->bb.msgs[i].repairs, "%s:%s", step, clean);
  return ARAG_OK;
}

void arag_pipeline_expire(arag_session *s) {
  if (s->state == ARAG_SESSION_RUNNING) s->expired = 1;
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

static void free_strings(char **v, uint32_t n) {
  if (v)
    for (uint32_t i = 0; i < n; i++) free(v[i]);
  free(v);
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
  free_strings(s->nli_rationale, s->n_cands);
  free(s->nli_source);
  free(s->accepted);
  free(s->s_user);
  free(s->s_ctx);
  free(s->order);
  free(s->ira_score);
  free_strings(s->ira_reason, s->n_cands);
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
