/* The pipeline driven in-process by a scripted provider, for the test_pipeline*.c suites:
 * a small catalog and history, and a fetch callback that records the requests and answers
 * them from a script, inside the callback or later. Define _POSIX_C_SOURCE before including. */
#ifndef SCRIPTED_HOST_H
#define SCRIPTED_HOST_H

#include "arag.h"
#include "strbuf.h"
#include "test.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_ITEMS 24
#define MAX_IDS 256

/* ------------------------------------------------------------------------ */
/* Fixtures                                                                  */
/* ------------------------------------------------------------------------ */

static const char *const kinds[] = {"Lipstick", "Nail Polish", "Shampoo", "Mascara"};

/* Catalog: numeric-looking ids "100".."123" (so answers may give them as numbers). */
static inline arag_catalog *make_catalog(void) {
  arag_catalog *cat = NULL;
  if (arag_catalog_create(ARAG_EMBED_DEFAULT_DIM, NULL, &cat) != ARAG_OK) return NULL;
  arag_sb b;
  arag_sb_init(&b);
  for (int i = 0; i < N_ITEMS; i++)
    arag_sb_printf(&b,
                   "{\"id\":\"%d\",\"title\":\"Brand%d %s shade %d\",\"categories\":[\"Beauty\","
                   "\"%s\"]}\n",
                   100 + i, i % 3, kinds[i % 4], i, kinds[i % 4]);
  char *s = arag_sb_take(&b, NULL);
  arag_status st = arag_catalog_add_json(cat, s, strlen(s));
  free(s);
  if (st != ARAG_OK) {
    fprintf(stderr, "catalog: %s\n", arag_catalog_last_error(cat));
    arag_catalog_free(cat);
    return NULL;
  }
  return cat;
}

/* History: 8 events on items 100..107 (text from the catalog). */
static inline arag_history *make_history(void) {
  arag_history *h = NULL;
  if (arag_history_create(ARAG_EMBED_DEFAULT_DIM, NULL, &h) != ARAG_OK) return NULL;
  arag_sb b;
  arag_sb_init(&b);
  for (int i = 0; i < 8; i++)
    arag_sb_printf(&b, "{\"id\":\"%d\",\"ts\":%d,\"kind\":\"purchase\"}\n", 100 + i, i);
  char *s = arag_sb_take(&b, NULL);
  arag_status st = arag_history_add_json(h, s, strlen(s));
  free(s);
  if (st != ARAG_OK) {
    fprintf(stderr, "history: %s\n", arag_history_last_error(h));
    arag_history_free(h);
    return NULL;
  }
  return h;
}

/* Candidates: ids 104..123 (20), as a request JSON with extra text. */
static inline char *make_request(const char *extra) {
  arag_sb b;
  arag_sb_init(&b);
  arag_sb_puts(&b, "{\"candidates\":[");
  for (int i = 4; i < N_ITEMS; i++) arag_sb_printf(&b, "%s\"%d\"", i > 4 ? "," : "", 100 + i);
  arag_sb_printf(&b, "]%s%s}", extra && extra[0] ? "," : "", extra ? extra : "");
  return arag_sb_take(&b, NULL);
}

/* ------------------------------------------------------------------------ */
/* Scripted provider                                                         */
/* ------------------------------------------------------------------------ */

enum {
  M_GOOD = 0,
  M_UUA_500,
  M_NLI0_STATUS0,
  M_NLI_TRUNC,
  M_CSA_TRUNC,
  M_IRA_OFFSCHEMA,
  M_IRA_BADIDS,
  M_IRA_EMPTY,
  M_REPAIRS,
  M_CANCEL_IN_CB,
  M_FREE_IN_CB,
  M_NLI_OFFSCHEMA,
  M_ALL_FAIL, /* every call times out */
  M_CAUSES,   /* each step fails with another cause */
  M_NLI_HALF, /* the first NLI batch judges only its first half */
  M_IRA_HALF  /* the others time out; IRA ranks only half of the candidates */
};

typedef struct req {
  uint32_t session, rid;
  char agent[8];
  char *user;   /* the user message */
  char *system; /* the system message */
  char ids[MAX_IDS][16];
  int n_ids;
  int answered;
  int max_tokens;
} req;

typedef struct host {
  arag_engine *eng;
  req *reqs;
  int n, cap;
  int sync;
  int mode;
  int outstanding, max_outstanding;
  int report_usage;
  int deliver_errors;
} host;

static inline void parse_request(req *r, const char *json, size_t len) {
  cJSON *root = cJSON_ParseWithLength(json, len);
  CHECK(root != NULL);
  if (!root) return;
  snprintf(r->agent, sizeof r->agent, "%s", cJSON_GetObjectItem(root, "agent")->valuestring);
  r->max_tokens = cJSON_GetObjectItem(root, "max_tokens")->valueint;
  cJSON *usr = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "messages"), 1);
  const char *u = cJSON_GetObjectItem(usr, "content")->valuestring;
  r->user = arag_strndup(u, strlen(u));
  const char *sy =
      cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(root, "messages"), 0), "content")
          ->valuestring;
  r->system = arag_strndup(sy, strlen(sy));
  /* Candidate ids: the JSON lines after "candidates:" or "accepted:". */
  int in_cands = 0;
  char *copy = arag_strndup(u, strlen(u));
  for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n")) {
    if (strncmp(line, "candidates:", 11) == 0 || strncmp(line, "accepted:", 9) == 0) {
      in_cands = 1;
      continue;
    }
    if (line[0] != '{') {
      if (strchr(line, ':')) in_cands = 0;
      continue;
    }
    if (!in_cands) continue;
    cJSON *o = cJSON_Parse(line);
    cJSON *id = cJSON_GetObjectItem(o, "id");
    if (cJSON_IsString(id) && r->n_ids < MAX_IDS)
      snprintf(r->ids[r->n_ids++], sizeof r->ids[0], "%s", id->valuestring);
    cJSON_Delete(o);
  }
  free(copy);
  cJSON_Delete(root);
}

/* The scripted answer for request r: malloc'ed body, *status. */
static inline char *script(host *h, const req *r, int *status) {
  arag_sb b;
  arag_sb_init(&b);
  *status = 200;
  int mode = h->mode;
  if (mode == M_ALL_FAIL || (mode == M_IRA_HALF && strcmp(r->agent, "ira") != 0)) {
    *status = ARAG_FETCH_TIMEOUT;
    arag_sb_puts(&b, "timed out after 30000 ms");
    return arag_sb_take(&b, NULL);
  }
  if (mode == M_CAUSES) {
    /* uua: budget, nli_batch_0: cancelled, nli_batch_1: 503, csa: refusal, ira: network */
    int nli1 = strcmp(r->agent, "nli") == 0 && r->rid == 3;
    *status = strcmp(r->agent, "uua") == 0   ? ARAG_FETCH_BUDGET
              : strcmp(r->agent, "csa") == 0 ? ARAG_FETCH_REFUSAL
              : strcmp(r->agent, "ira") == 0 ? ARAG_FETCH_NETWORK
              : nli1                         ? 503
                                             : ARAG_FETCH_CANCELLED;
    arag_sb_puts(&b, "failed");
    return arag_sb_take(&b, NULL);
  }
  if (strcmp(r->agent, "uua") == 0) {
    if (mode == M_UUA_500) {
      *status = 500;
      arag_sb_puts(&b, "internal server error");
    } else if (mode == M_REPAIRS) {
      arag_sb_puts(&b,
                   "```json\n{\"summary\": \"Likes lipstick\", \"interests\": [\"lips\"]}\n```");
    } else {
      arag_sb_puts(&b, "{\"summary\":\"Likes lipstick and nail polish\",\"interests\":[\"lips\"]}");
    }
  } else if (strcmp(r->agent, "nli") == 0) {
    int first_batch = r->rid == 2; /* request 1 is the UUA */
    if (mode == M_NLI0_STATUS0 && first_batch) {
      *status = 0;
      arag_sb_puts(&b, "timeout");
    } else if (mode == M_NLI_TRUNC && first_batch) {
      arag_sb_printf(&b, "{\"items\":[{\"id\":\"%s\",\"score\":0.9,\"lab", r->ids[0]);
    } else if (mode == M_NLI_OFFSCHEMA && first_batch) {
      arag_sb_puts(&b, "{\"answer\": \"they all look fine\"}");
    } else {
      if (mode == M_REPAIRS) arag_sb_puts(&b, "Sure, here are my judgments:\n");
      arag_sb_puts(&b, "{\"items\":[");
      int n_ids = mode == M_NLI_HALF && first_batch ? r->n_ids / 2 : r->n_ids;
      for (int i = 0; i < n_ids; i++) {
        int even = atoi(r->ids[i]) % 2 == 0;
        if (mode == M_REPAIRS)
          arag_sb_printf(&b, "%s{\"id\":%s,\"score\":%s,\"label\":\"%s\",\"rationale\":\"r%s\"}",
                         i ? "," : "", r->ids[i], even ? "1.5" : "-0.3",
                         even ? "SUPPORTS" : "Contradicts", r->ids[i]);
        else
          arag_sb_printf(&b,
                         "%s{\"id\":\"%s\",\"score\":%s,\"label\":\"%s\",\"rationale\":\"r%s\"}",
                         i ? "," : "", r->ids[i], even ? "0.9" : "0.2",
                         even ? "supports" : "contradicts", r->ids[i]);
      }
      arag_sb_puts(&b, "]}");
      if (mode == M_REPAIRS) arag_sb_puts(&b, "\nLet me know if you need more.");
    }
  } else if (strcmp(r->agent, "csa") == 0) {
    if (mode == M_CSA_TRUNC)
      arag_sb_puts(&b, "{\"summary\": \"The shopper wants");
    else
      arag_sb_puts(&b, "{\"summary\":\"Wants lip products now\"}");
  } else {
    if (mode == M_IRA_OFFSCHEMA) {
      arag_sb_puts(&b, "{\"best\": \"104\"}");
    } else if (mode == M_IRA_EMPTY) {
      arag_sb_puts(&b, "{\"ranking\": []}");
    } else if (mode == M_IRA_BADIDS) {
      /* unknown, a good one, its duplicate, another good one; the rest missing */
      arag_sb_printf(&b,
                     "{\"ranking\":[{\"id\":\"999\",\"reason\":\"x\"},{\"id\":\"%s\",\"reason\":"
                     "\"a\"},{\"id\":\"%s\"},{\"id\":\"%s\",\"reason\":\"b\"}]}",
                     r->ids[r->n_ids - 1], r->ids[r->n_ids - 1], r->ids[r->n_ids - 2]);
    } else {
      /* The candidates in reverse; numbers instead of strings in repair mode. */
      arag_sb_puts(&b, "{\"ranking\":[");
      for (int i = r->n_ids - 1; i >= (mode == M_IRA_HALF ? r->n_ids / 2 : 0); i--) {
        if (mode == M_REPAIRS)
          arag_sb_printf(&b, "%s{\"id\":%s,\"reason\":\"because %s\",\"score\":%s}",
                         i < r->n_ids - 1 ? "," : "", r->ids[i], r->ids[i],
                         i == r->n_ids - 1 ? "3" : "0.5");
        else
          arag_sb_printf(&b, "%s{\"id\":\"%s\",\"reason\":\"because %s\"}",
                         i < r->n_ids - 1 ? "," : "", r->ids[i], r->ids[i]);
      }
      arag_sb_puts(&b, "]}");
    }
  }
  return arag_sb_take(&b, NULL);
}

static inline void answer(host *h, int i) {
  if (h->reqs[i].answered) return;
  h->reqs[i].answered = 1;
  int status = 0;
  char *body = script(h, &h->reqs[i], &status);
  uint32_t sid = h->reqs[i].session, rid = h->reqs[i].rid;
  if (h->report_usage && arag_report_usage(h->eng, sid, rid, 100, 7) != ARAG_OK)
    h->deliver_errors++;
  h->outstanding--;
  if (arag_deliver(h->eng, sid, rid, status, body, strlen(body)) != ARAG_OK) h->deliver_errors++;
  free(body);
}

static inline void on_fetch(void *user, uint32_t session, uint32_t request_id, const char *json,
                            size_t len) {
  host *h = user;
  if (h->n == h->cap) {
    h->cap = h->cap ? h->cap * 2 : 64;
    h->reqs = realloc(h->reqs, (size_t)h->cap * sizeof *h->reqs);
  }
  req *r = &h->reqs[h->n];
  memset(r, 0, sizeof *r);
  r->session = session;
  r->rid = request_id;
  parse_request(r, json, len);
  int idx = h->n++;
  h->outstanding++;
  if (h->outstanding > h->max_outstanding) h->max_outstanding = h->outstanding;
  if (h->mode == M_CANCEL_IN_CB) {
    CHECK_EQ_INT(arag_session_cancel(h->eng, session), ARAG_OK);
    return;
  }
  if (h->mode == M_FREE_IN_CB) {
    arag_session_free(h->eng, session);
    return;
  }
  if (h->sync) answer(h, idx);
}

/* Answers every open request (and the ones those answers cause), oldest first. */
static inline void deliver_all(host *h) {
  for (int again = 1; again;) {
    again = 0;
    for (int i = 0; i < h->n; i++)
      if (!h->reqs[i].answered) {
        answer(h, i);
        again = 1;
      }
  }
}

static inline int count_agent(const host *h, uint32_t session, const char *agent) {
  int n = 0;
  for (int i = 0; i < h->n; i++)
    if ((!session || h->reqs[i].session == session) && strcmp(h->reqs[i].agent, agent) == 0) n++;
  return n;
}

static inline const req *find_req(const host *h, uint32_t session, const char *agent) {
  for (int i = 0; i < h->n; i++)
    if (h->reqs[i].session == session && strcmp(h->reqs[i].agent, agent) == 0) return &h->reqs[i];
  return NULL;
}

static inline void host_reset(host *h) {
  for (int i = 0; i < h->n; i++) free(h->reqs[i].user), free(h->reqs[i].system);
  free(h->reqs);
  arag_engine *e = h->eng;
  memset(h, 0, sizeof *h);
  h->eng = e;
}

static inline arag_engine *make_engine(host *h, const char *config) {
  memset(h, 0, sizeof *h);
  arag_engine *eng = NULL;
  CHECK_EQ_INT(arag_engine_create(config, strlen(config), &eng), ARAG_OK);
  if (eng) arag_engine_set_fetch(eng, on_fetch, h);
  h->eng = eng;
  return eng;
}

static inline cJSON *result_of(arag_engine *eng, uint32_t sid) {
  const char *json = NULL;
  size_t len = 0;
  arag_status st = arag_session_result(eng, sid, &json, &len);
  CHECK_EQ_INT(st, ARAG_OK);
  if (st != ARAG_OK) return NULL;
  CHECK_EQ_INT(len, strlen(json));
  cJSON *r = cJSON_ParseWithLength(json, len);
  CHECK(r != NULL);
  return r;
}

/* order is a permutation of trace.i0 and items are its first k. */
static inline int check_permutation(const cJSON *res, int k) {
  cJSON *order = cJSON_GetObjectItem(res, "order");
  cJSON *i0 = cJSON_GetObjectItem(cJSON_GetObjectItem(res, "trace"), "i0");
  cJSON *items = cJSON_GetObjectItem(res, "items");
  int n = cJSON_GetArraySize(i0);
  if (n == 0 || cJSON_GetArraySize(order) != n) return 0;
  if (cJSON_GetArraySize(items) != (k < n ? k : n)) return 0;
  for (int i = 0; i < n; i++) {
    const char *id = cJSON_GetArrayItem(order, i)->valuestring;
    int found = 0, dup = 0;
    for (int j = 0; j < n; j++) {
      if (strcmp(cJSON_GetObjectItem(cJSON_GetArrayItem(i0, j), "id")->valuestring, id) == 0)
        found++;
      if (j != i && strcmp(cJSON_GetArrayItem(order, j)->valuestring, id) == 0) dup++;
    }
    if (found != 1 || dup) return 0;
    if (i < cJSON_GetArraySize(items) &&
        strcmp(cJSON_GetObjectItem(cJSON_GetArrayItem(items, i), "id")->valuestring, id) != 0)
      return 0;
  }
  return 1;
}

static inline int has_degraded(const cJSON *res, const char *name) {
  cJSON *d;
  cJSON_ArrayForEach(d, cJSON_GetObjectItem(res, "degraded")) if (strcmp(d->valuestring, name) ==
                                                                  0) return 1;
  return 0;
}

static inline const char *order_at(const cJSON *res, int i) {
  return cJSON_GetArrayItem(cJSON_GetObjectItem(res, "order"), i)->valuestring;
}

static inline const char *i0_at(const cJSON *res, int i) {
  cJSON *i0 = cJSON_GetObjectItem(cJSON_GetObjectItem(res, "trace"), "i0");
  return cJSON_GetObjectItem(cJSON_GetArrayItem(i0, i), "id")->valuestring;
}

typedef struct fixture {
  arag_catalog *cat;
  arag_history *hist;
} fixture;

static fixture fx;

/* Runs one session with the given mode; returns its parsed result (or NULL). */
static inline cJSON *run_mode(host *h, int mode, const char *config, const char *extra) {
  arag_engine *eng = make_engine(h, config);
  if (!eng) return NULL;
  h->mode = mode;
  char *reqj = make_request(extra);
  uint32_t sid = 0;
  CHECK_EQ_INT(arag_recommend_start(eng, fx.cat, fx.hist, reqj, strlen(reqj), &sid), ARAG_OK);
  free(reqj);
  deliver_all(h);
  arag_session_state state = ARAG_SESSION_RUNNING;
  CHECK_EQ_INT(arag_session_state_get(eng, sid, &state), ARAG_OK);
  CHECK_EQ_INT(state, ARAG_SESSION_DONE);
  cJSON *res = state == ARAG_SESSION_DONE ? result_of(eng, sid) : NULL;
  CHECK_EQ_INT(h->deliver_errors, 0);
  return res;
}

static inline void finish(host *h, cJSON *res) {
  cJSON_Delete(res);
  arag_engine_free(h->eng);
  host_reset(h);
}

/* The shelf's rules off: these tests read the model's order as it answered it
 * (test_shelf_over_a_model has them on). */
#define HOST "{\"backend\":\"host\",\"max_in_flight\":16,\"shelf\":false}"

/* The retrieval fallbacks (config "fallback": "retrieval"); the retrieval order as it is
 * (the shelf's rules off). */
#define HOST_RETRIEVAL                                                                             \
  "{\"backend\":\"host\",\"max_in_flight\":16,\"fallback\":\"retrieval\",\"shelf\":false}"

static inline cJSON *trace_of(const cJSON *res, const char *key) {
  return cJSON_GetObjectItem(cJSON_GetObjectItem(res, "trace"), key);
}

static inline const cJSON *fallback_of(const cJSON *res, const char *step) {
  const cJSON *f;
  cJSON_ArrayForEach(f, cJSON_GetObjectItem(res, "fallbacks")) {
    if (strcmp(cJSON_GetObjectItem(f, "step")->valuestring, step) == 0) return f;
  }
  return NULL;
}

static inline int fallback_is(const cJSON *res, const char *step, const char *cause, const char *fb,
                              int items) {
  const cJSON *f = fallback_of(res, step);
  return f && strcmp(cJSON_GetObjectItem(f, "cause")->valuestring, cause) == 0 &&
         strcmp(cJSON_GetObjectItem(f, "fallback")->valuestring, fb) == 0 &&
         cJSON_GetObjectItem(f, "items")->valueint == items;
}

/* The catalog and history every test reads (fx); 0 when they could not be made. */
static inline int fixture_open(void) {
  fx.cat = make_catalog();
  fx.hist = make_history();
  CHECK(fx.cat != NULL && fx.hist != NULL);
  return fx.cat && fx.hist;
}

static inline void fixture_close(void) {
  arag_catalog_free(fx.cat);
  arag_history_free(fx.hist);
}

#endif
