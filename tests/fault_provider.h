/* An in-process agent provider with seeded faults, for the native fault property test
 * (tests/test_faults.c) and the native soak tool (tools/soak_native.c).
 *
 * It is an arag fetch callback: each request is recorded with the candidate ids of its
 * data section and a fault drawn from a seeded schedule, and answered later by
 * fp_pump() in a seeded order (slow answers go last, some answers are given inside
 * the callback). A correct answer is valid JSON for the agent's schema; the faults
 * are the ones a real provider shows: slow answers, time-outs and dropped connections
 * (status 0), 429 and 500, truncated JSON, off-schema JSON, an empty answer (a
 * completion with no choices), unknown ids, duplicate ids. */
#ifndef ARAG_FAULT_PROVIDER_H
#define ARAG_FAULT_PROVIDER_H

#include "arag.h"

#include <cJSON.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum fp_fault {
  FP_OK = 0,
  FP_SYNC,      /* correct answer given inside the fetch callback */
  FP_SLOW,      /* correct answer, delivered after every other pending one */
  FP_TIMEOUT,   /* status ARAG_FETCH_TIMEOUT "timed out" */
  FP_DROP,      /* status 0 "connection reset" */
  FP_429,       /* status 429 */
  FP_500,       /* status 500 */
  FP_TRUNCATED, /* the correct answer cut in half */
  FP_OFFSCHEMA, /* valid JSON of another shape */
  FP_EMPTY,     /* status 200, empty body (no choices) */
  FP_UNKNOWN,   /* an id that is not a candidate (lists), else off-schema */
  FP_DUPLICATE, /* an id twice (lists), else off-schema */
  FP_N
} fp_fault;

static const char *const fp_fault_names[FP_N] = {
    "ok",       "sync",      "slow",       "timeout", "drop",        "http_429",
    "http_500", "truncated", "off_schema", "empty",   "unknown_ids", "duplicate_ids"};

#define FP_MAX_IDS 64
#define FP_ID_BYTES 48

typedef struct fp_req {
  uint32_t session, rid;
  char agent[8];
  char ids[FP_MAX_IDS][FP_ID_BYTES];
  int n_ids;
  fp_fault fault;
  int answered;
} fp_req;

typedef struct fp_provider {
  arag_engine *eng;
  uint64_t rng;
  uint32_t fault_permille; /* chance that a request gets a fault other than ok/sync */
  fp_req *reqs;
  int n, cap;
  long injected[FP_N]; /* requests per fault kind (all time) */
  long requests;
  long deliver_errors; /* arag_deliver calls that did not return ARAG_OK */
  long malformed;      /* requests whose JSON the provider could not read */
} fp_provider;

static inline uint32_t fp_next(fp_provider *p) {
  /* xorshift64* */
  p->rng ^= p->rng >> 12;
  p->rng ^= p->rng << 25;
  p->rng ^= p->rng >> 27;
  return (uint32_t)((p->rng * 2685821657736338717ULL) >> 32);
}

static inline void fp_init(fp_provider *p, arag_engine *eng, uint64_t seed, uint32_t permille) {
  memset(p, 0, sizeof *p);
  p->eng = eng;
  p->rng = seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL;
  if (!p->rng) p->rng = 1;
  p->fault_permille = permille;
}

static inline void fp_free(fp_provider *p) {
  free(p->reqs);
  p->reqs = NULL;
  p->n = p->cap = 0;
}

/* Forgets answered requests (between recommendations). */
static inline void fp_reset(fp_provider *p) { p->n = 0; }

/* Candidate ids of the data section: JSON lines after "candidates:" or "accepted:". */
static inline void fp_read_ids(fp_req *r, const char *u) {
  const char *open = strstr(u, "<<<DATA");
  const char *close = open ? strstr(open, "DATA>>>") : NULL;
  if (!open || !close) return;
  int in_list = 0;
  for (const char *line = open; line && line < close;) {
    const char *end = strchr(line, '\n');
    if (!end || end > close) end = close;
    size_t n = (size_t)(end - line);
    if ((n >= 11 && strncmp(line, "candidates:", 11) == 0) ||
        (n >= 9 && strncmp(line, "accepted:", 9) == 0)) {
      in_list = 1;
    } else if (n && line[0] == '{' && in_list) {
      cJSON *o = cJSON_ParseWithLength(line, n);
      cJSON *id = cJSON_GetObjectItem(o, "id");
      if (cJSON_IsString(id) && r->n_ids < FP_MAX_IDS && strlen(id->valuestring) < FP_ID_BYTES)
        snprintf(r->ids[r->n_ids++], FP_ID_BYTES, "%s", id->valuestring);
      cJSON_Delete(o);
    } else if (n && line[0] != '{') {
      in_list = 0;
    }
    line = end < close ? end + 1 : NULL;
  }
}

/* Growable string for answers. */
typedef struct fp_buf {
  char *s;
  size_t n, cap;
} fp_buf;

static inline void fp_printf(fp_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int need = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (need < 0) return;
  if (b->n + (size_t)need + 1 > b->cap) {
    size_t cap = (b->cap ? b->cap * 2 : 256) + (size_t)need;
    char *s = realloc(b->s, cap);
    if (!s) return;
    b->s = s;
    b->cap = cap;
  }
  va_start(ap, fmt);
  vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
  va_end(ap);
  b->n += (size_t)need;
}

/* The answer to r under its fault: malloc'ed body, *status. */
static inline char *fp_answer(const fp_req *r, int *status, size_t *len) {
  fp_buf b = {0};
  fp_printf(&b, "%s", "");
  *status = 200;
  fp_fault f = r->fault;
  int list = strcmp(r->agent, "nli") == 0 || strcmp(r->agent, "ira") == 0;
  if (!list && (f == FP_UNKNOWN || f == FP_DUPLICATE)) f = FP_OFFSCHEMA;
  switch (f) {
  case FP_TIMEOUT:
    *status = ARAG_FETCH_TIMEOUT;
    fp_printf(&b, "timed out after 30000 ms");
    break;
  case FP_DROP:
    *status = 0;
    fp_printf(&b, "fetch failed: socket hang up");
    break;
  case FP_429:
    *status = 429;
    fp_printf(&b, "{\"error\":{\"message\":\"rate limited\"}}");
    break;
  case FP_500:
    *status = 500;
    fp_printf(&b, "{\"error\":{\"message\":\"internal error\"}}");
    break;
  case FP_OFFSCHEMA:
    fp_printf(&b, "{\"answer\":\"I think they are all great\",\"confidence\":[1,2,3]}");
    break;
  case FP_EMPTY:
    break;
  default:
    if (strcmp(r->agent, "uua") == 0) {
      fp_printf(&b, "{\"summary\":\"Buys lip and nail colour, prefers gentle care\","
                    "\"interests\":[\"lipstick\",\"nail polish\"]}");
    } else if (strcmp(r->agent, "csa") == 0) {
      fp_printf(&b, "{\"summary\":\"The accepted items match the recent lip purchases\"}");
    } else if (strcmp(r->agent, "nli") == 0) {
      fp_printf(&b, "{\"items\":[");
      for (int i = 0; i < r->n_ids; i++)
        fp_printf(&b, "%s{\"id\":\"%s\",\"score\":%s,\"label\":\"%s\",\"rationale\":\"r%d\"}",
                  i ? "," : "", r->ids[i], i % 2 ? "0.2" : "0.8",
                  i % 2 ? "contradicts" : "supports", i);
      if (f == FP_UNKNOWN)
        fp_printf(&b,
                  "%s{\"id\":\"NOT-A-CANDIDATE\",\"score\":1,\"label\":\"supports\","
                  "\"rationale\":\"made up\"}",
                  r->n_ids ? "," : "");
      if (f == FP_DUPLICATE && r->n_ids)
        fp_printf(&b, ",{\"id\":\"%s\",\"score\":0.1,\"label\":\"neutral\",\"rationale\":\"dup\"}",
                  r->ids[0]);
      fp_printf(&b, "]}");
    } else {
      fp_printf(&b, "{\"ranking\":[");
      for (int i = r->n_ids - 1; i >= 0; i--)
        fp_printf(&b, "%s{\"id\":\"%s\",\"reason\":\"rank %d\",\"score\":0.5}",
                  i < r->n_ids - 1 ? "," : "", r->ids[i], r->n_ids - i);
      if (f == FP_UNKNOWN)
        fp_printf(&b, "%s{\"id\":\"NOT-A-CANDIDATE\",\"reason\":\"made up\"}", r->n_ids ? "," : "");
      if (f == FP_DUPLICATE && r->n_ids)
        fp_printf(&b, ",{\"id\":\"%s\",\"reason\":\"again\"}", r->ids[0]);
      fp_printf(&b, "]}");
    }
    if (f == FP_TRUNCATED && b.s) {
      b.n /= 2;
      b.s[b.n] = 0;
    }
  }
  *len = b.n;
  return b.s;
}

static inline void fp_answer_one(fp_provider *p, int i) {
  fp_req *r = &p->reqs[i];
  if (r->answered) return;
  r->answered = 1;
  int status = 200;
  size_t len = 0;
  uint32_t session = r->session, rid = r->rid;
  char *body = fp_answer(r, &status, &len);
  /* r may move: delivering can emit new requests (realloc of reqs). */
  if (status == 200) arag_report_usage(p->eng, session, rid, 120 + (uint32_t)len / 4, 30);
  if (arag_deliver(p->eng, session, rid, status, body ? body : "", len) != ARAG_OK)
    p->deliver_errors++;
  free(body);
}

static inline fp_fault fp_draw(fp_provider *p) {
  if (fp_next(p) % 1000 < p->fault_permille) return (fp_fault)(FP_SLOW + fp_next(p) % (FP_N - 2));
  return fp_next(p) % 4 == 0 ? FP_SYNC : FP_OK;
}

/* The fetch callback (user = the provider). */
static inline void fp_on_fetch(void *user, uint32_t session, uint32_t request_id, const char *json,
                               size_t len) {
  fp_provider *p = user;
  if (p->n == p->cap) {
    int cap = p->cap ? p->cap * 2 : 32;
    fp_req *v = realloc(p->reqs, (size_t)cap * sizeof *v);
    if (!v) {
      p->deliver_errors++;
      return;
    }
    p->reqs = v;
    p->cap = cap;
  }
  fp_req *r = &p->reqs[p->n];
  memset(r, 0, sizeof *r);
  r->session = session;
  r->rid = request_id;
  cJSON *root = cJSON_ParseWithLength(json, len);
  cJSON *agent = cJSON_GetObjectItem(root, "agent");
  cJSON *msgs = cJSON_GetObjectItem(root, "messages");
  cJSON *user_msg = cJSON_GetArrayItem(msgs, cJSON_GetArraySize(msgs) - 1);
  cJSON *content = cJSON_GetObjectItem(user_msg, "content");
  if (cJSON_IsString(agent) && cJSON_IsString(content)) {
    snprintf(r->agent, sizeof r->agent, "%s", agent->valuestring);
    fp_read_ids(r, content->valuestring);
  } else {
    p->malformed++;
  }
  cJSON_Delete(root);
  r->fault = fp_draw(p);
  p->injected[r->fault]++;
  p->requests++;
  int idx = p->n++;
  if (r->fault == FP_SYNC) fp_answer_one(p, idx);
}

/* Answers every pending request (and those the answers cause) in a seeded order,
 * slow ones last. Returns the number of answers given. */
static inline int fp_pump(fp_provider *p) {
  int given = 0;
  for (;;) {
    int pending = 0, fast = 0;
    for (int i = 0; i < p->n; i++)
      if (!p->reqs[i].answered) {
        pending++;
        fast += p->reqs[i].fault != FP_SLOW;
      }
    if (!pending) return given;
    int want_slow = fast == 0;
    int pick = (int)(fp_next(p) % (uint32_t)(want_slow ? pending : fast));
    for (int i = 0; i < p->n; i++) {
      const fp_req *r = &p->reqs[i];
      if (r->answered || (!want_slow && r->fault == FP_SLOW)) continue;
      if (pick-- == 0) {
        fp_answer_one(p, i);
        given++;
        break;
      }
    }
  }
}

static inline const fp_req *fp_find(const fp_provider *p, uint32_t session, uint32_t rid) {
  for (int i = 0; i < p->n; i++)
    if (p->reqs[i].session == session && p->reqs[i].rid == rid) return &p->reqs[i];
  return NULL;
}

#endif
