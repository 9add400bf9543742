#include "blackboard.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void arag_bb_init(arag_blackboard *bb) { memset(bb, 0, sizeof *bb); }

static void msg_free(arag_bb_msg *m) {
  free(m->request_json);
  free(m->response);
  cJSON_Delete(m->output);
  cJSON_Delete(m->inputs);
  arag_strlist_free(&m->repairs);
  arag_strlist_free(&m->degraded);
}

void arag_bb_free(arag_blackboard *bb) {
  for (uint32_t i = 0; i < bb->n; i++) msg_free(&bb->msgs[i]);
  free(bb->msgs);
  arag_strlist_free(&bb->degraded);
  memset(bb, 0, sizeof *bb);
}

int arag_bb_add(arag_blackboard *bb, uint32_t request_id, arag_agent agent, int batch,
                uint32_t first, uint32_t count) {
  if (bb->n == bb->cap) {
    uint32_t cap = bb->cap ? bb->cap * 2 : 8;
    arag_bb_msg *m = realloc(bb->msgs, cap * sizeof *m);
    if (!m) {
      bb->oom = 1;
      return -1;
    }
    bb->msgs = m;
    bb->cap = cap;
  }
  arag_bb_msg *m = &bb->msgs[bb->n];
  memset(m, 0, sizeof *m);
  m->request_id = request_id;
  m->agent = agent;
  m->batch = batch;
  m->first = first;
  m->count = count;
  m->state = ARAG_MSG_QUEUED;
  m->status = -1;
  m->started_ms = -1;
  m->ended_ms = -1;
  m->prompt_tokens = -1;
  m->completion_tokens = -1;
  return (int)bb->n++;
}

int arag_bb_find(const arag_blackboard *bb, uint32_t request_id) {
  /* Request ids are assigned in increasing order: binary search. */
  uint32_t lo = 0, hi = bb->n;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (bb->msgs[mid].request_id < request_id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < bb->n && bb->msgs[lo].request_id == request_id ? (int)lo : -1;
}

void arag_bb_degrade(arag_blackboard *bb, int i, const char *fmt, ...) {
  char tmp[320];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (i >= 0 && (uint32_t)i < bb->n) arag_strlist_add(&bb->msgs[i].degraded, "%s", tmp);
  arag_strlist_add(&bb->degraded, "%s", tmp);
}

void arag_bb_answer(arag_blackboard *bb, int i, int status, double ended_ms, const char *body,
                    size_t len) {
  arag_bb_msg *m = &bb->msgs[i];
  m->status = status;
  m->ended_ms = ended_ms;
  m->state = ARAG_MSG_DONE;
  m->response_chars = len;
  size_t keep = len < ARAG_BB_RESPONSE_EXCERPT ? len : ARAG_BB_RESPONSE_EXCERPT;
  /* Do not cut a UTF-8 sequence in half. */
  while (keep < len && keep > 0 && ((unsigned char)body[keep] & 0xC0) == 0x80) keep--;
  free(m->response);
  m->response = body ? arag_strndup(body, keep) : arag_strndup("", 0);
}

static cJSON *strlist_json(const arag_strlist *l) {
  cJSON *a = cJSON_CreateArray();
  if (!a) return NULL;
  for (uint32_t i = 0; i < l->n; i++) cJSON_AddItemToArray(a, cJSON_CreateString(l->v[i]));
  return a;
}

static double ms3(double ms) { return ms < 0 ? ms : floor(ms * 1000.0 + 0.5) / 1000.0; }

static const char *state_name(arag_msg_state s) {
  switch (s) {
  case ARAG_MSG_QUEUED:
    return "queued";
  case ARAG_MSG_IN_FLIGHT:
    return "in_flight";
  case ARAG_MSG_DONE:
    return "done";
  default:
    return "abandoned";
  }
}

cJSON *arag_bb_messages_json(const arag_blackboard *bb) {
  cJSON *arr = cJSON_CreateArray();
  if (!arr) return NULL;
  for (uint32_t i = 0; i < bb->n; i++) {
    const arag_bb_msg *m = &bb->msgs[i];
    cJSON *o = cJSON_CreateObject();
    if (!o) {
      cJSON_Delete(arr);
      return NULL;
    }
    cJSON_AddItemToArray(arr, o);
    cJSON_AddNumberToObject(o, "request_id", m->request_id);
    cJSON_AddStringToObject(o, "agent", arag_agent_name(m->agent));
    if (m->batch >= 0)
      cJSON_AddNumberToObject(o, "batch", m->batch);
    else
      cJSON_AddNullToObject(o, "batch");
    cJSON_AddStringToObject(o, "state", state_name(m->state));
    if (m->status >= 0)
      cJSON_AddNumberToObject(o, "status", m->status);
    else
      cJSON_AddNullToObject(o, "status");
    cJSON_AddNumberToObject(o, "started_ms", ms3(m->started_ms));
    cJSON_AddNumberToObject(o, "ended_ms", ms3(m->ended_ms));
    cJSON_AddNumberToObject(o, "prompt_chars", (double)m->prompt_chars);
    cJSON_AddNumberToObject(o, "response_chars", (double)m->response_chars);
    if (m->prompt_tokens >= 0)
      cJSON_AddNumberToObject(o, "prompt_tokens", (double)m->prompt_tokens);
    else
      cJSON_AddNullToObject(o, "prompt_tokens");
    if (m->completion_tokens >= 0)
      cJSON_AddNumberToObject(o, "completion_tokens", (double)m->completion_tokens);
    else
      cJSON_AddNullToObject(o, "completion_tokens");
    if (m->agent == ARAG_AGENT_NLI) {
      cJSON_AddNumberToObject(o, "first", m->first);
      cJSON_AddNumberToObject(o, "count", m->count);
    }
    cJSON_AddItemToObject(o, "degraded", strlist_json(&m->degraded));
    cJSON_AddItemToObject(o, "repairs", strlist_json(&m->repairs));
    if (m->inputs)
      cJSON_AddItemToObject(o, "inputs", cJSON_Duplicate(m->inputs, 1));
    else
      cJSON_AddNullToObject(o, "inputs");
    if (m->request_json) {
      cJSON *req = cJSON_Parse(m->request_json);
      if (req) cJSON_AddItemToObject(o, "request", req);
    }
    if (m->response)
      cJSON_AddStringToObject(o, "response", m->response);
    else
      cJSON_AddNullToObject(o, "response");
    if (m->output)
      cJSON_AddItemToObject(o, "output", cJSON_Duplicate(m->output, 1));
    else
      cJSON_AddNullToObject(o, "output");
  }
  return arr;
}
