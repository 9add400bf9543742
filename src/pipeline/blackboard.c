#include "blackboard.h"

#include "json_write.h"

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

static void strlist_write(arag_sb *b, const arag_strlist *l) {
  arag_sb_append(b, "[", 1);
  for (uint32_t i = 0; i < l->n; i++) {
    if (i) arag_sb_append(b, ",", 1);
    arag_jw_string(b, l->v[i]);
  }
  arag_sb_append(b, "]", 1);
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

/* Optional numbers: null when negative. */
static void num_or_null(arag_sb *b, int *first, const char *key, double v) {
  arag_jw_key(b, first, key);
  if (v >= 0)
    arag_jw_number(b, v);
  else
    arag_sb_append(b, "null", 4);
}

void arag_bb_messages_write(const arag_blackboard *bb, arag_sb *b) {
  arag_sb_append(b, "[", 1);
  for (uint32_t i = 0; i < bb->n; i++) {
    const arag_bb_msg *m = &bb->msgs[i];
    int first = 1;
    arag_sb_append(b, i ? ",{" : "{", i ? 2 : 1);
    arag_jw_key(b, &first, "request_id");
    arag_jw_number(b, m->request_id);
    arag_jw_key(b, &first, "agent");
    arag_jw_string(b, arag_agent_name(m->agent));
    num_or_null(b, &first, "batch", m->batch);
    arag_jw_key(b, &first, "state");
    arag_jw_string(b, state_name(m->state));
    num_or_null(b, &first, "status", m->status);
    arag_jw_key(b, &first, "started_ms");
    arag_jw_number(b, ms3(m->started_ms));
    arag_jw_key(b, &first, "ended_ms");
    arag_jw_number(b, ms3(m->ended_ms));
    arag_jw_key(b, &first, "prompt_chars");
    arag_jw_number(b, (double)m->prompt_chars);
    arag_jw_key(b, &first, "response_chars");
    arag_jw_number(b, (double)m->response_chars);
    num_or_null(b, &first, "prompt_tokens", (double)m->prompt_tokens);
    num_or_null(b, &first, "completion_tokens", (double)m->completion_tokens);
    if (m->agent == ARAG_AGENT_NLI) {
      arag_jw_key(b, &first, "first");
      arag_jw_number(b, m->first);
      arag_jw_key(b, &first, "count");
      arag_jw_number(b, m->count);
    }
    arag_jw_key(b, &first, "cause");
    if (m->cause)
      arag_jw_string(b, m->cause);
    else
      arag_sb_append(b, "null", 4);
    arag_jw_key(b, &first, "fallback");
    if (m->fallback)
      arag_jw_string(b, m->fallback);
    else
      arag_sb_append(b, "null", 4);
    arag_jw_key(b, &first, "degraded");
    strlist_write(b, &m->degraded);
    arag_jw_key(b, &first, "repairs");
    strlist_write(b, &m->repairs);
    arag_jw_key(b, &first, "inputs");
    if (m->inputs)
      arag_jw_value(b, m->inputs);
    else
      arag_sb_append(b, "null", 4);
    if (m->request_json) {
      cJSON *req = cJSON_Parse(m->request_json);
      if (req) {
        arag_jw_key(b, &first, "request");
        arag_jw_value(b, req);
        cJSON_Delete(req);
      }
    }
    arag_jw_key(b, &first, "response");
    if (m->response)
      arag_jw_string(b, m->response);
    else
      arag_sb_append(b, "null", 4);
    arag_jw_key(b, &first, "output");
    if (m->output)
      arag_jw_value(b, m->output);
    else
      arag_sb_append(b, "null", 4);
    arag_sb_append(b, "}", 1);
  }
  arag_sb_append(b, "]", 1);
}
