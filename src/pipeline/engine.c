/* The engine: its configuration (config.c parses it), the table of live sessions,
 * and the public entry points of a recommendation (start, deliver, usage, state,
 * result, cancel, free). */
#include "pipeline.h"

#include "errbuf.h"
#include "host_fetch.h"
#include "json_alloc.h"
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct arag_engine {
  arag_config cfg;
  arag_fetch_fn fetch;
  void *fetch_user;
  arag_session **sessions; /* sorted by id (ids only grow) */
  uint32_t n_sessions, cap_sessions;
  uint32_t next_id;
  arag_error err;
  char *config_json;
};

arag_status arag_engine_create(const char *config_json, size_t len, arag_engine **out) {
  return arag_engine_create_err(config_json, len, out, NULL);
}

arag_status arag_engine_create_err(const char *config_json, size_t len, arag_engine **out,
                                   arag_error *err) {
  arag_err_clear(err);
  if (!out) return arag_err_set(err, ARAG_E_INVALID, "out is NULL");
  *out = NULL;
  arag_config cfg;
  arag_status st = arag_config_parse(config_json, len, &cfg, err);
  if (st != ARAG_OK) return st;
  arag_engine *e = calloc(1, sizeof *e);
  if (!e) return arag_err_set(err, ARAG_E_NOMEM, "out of memory for an engine");
  e->cfg = cfg;
  e->fetch = arag_default_fetch();
  e->fetch_user = e;
  e->next_id = 1;
  *out = e;
  return ARAG_OK;
}

arag_status arag_engine_configure(arag_engine *eng, const char *config_json, size_t len) {
  if (!eng) return ARAG_E_INVALID;
  if (!config_json && len) return arag_err_set(&eng->err, ARAG_E_INVALID, "config_json is NULL");
  if (!len) return ARAG_OK;
  unsigned long failures = arag_json_alloc_failures();
  cJSON *root = cJSON_ParseWithLength(config_json, len);
  if (!root && arag_json_alloc_failures() != failures)
    return arag_err_set(&eng->err, ARAG_E_NOMEM, "out of memory parsing the config");
  if (!root) return arag_err_set(&eng->err, ARAG_E_JSON, "config is not valid JSON");
  arag_config cfg = eng->cfg;
  arag_status st = arag_config_apply(&cfg, root, 0, &eng->err);
  cJSON_Delete(root);
  if (st != ARAG_OK) return st;
  eng->cfg = cfg;
  return ARAG_OK;
}

void arag_engine_free(arag_engine *eng) {
  if (!eng) return;
  for (uint32_t i = 0; i < eng->n_sessions; i++) arag_pipeline_destroy(eng->sessions[i]);
  free(eng->sessions);
  free(eng->config_json);
  free(eng);
}

const char *arag_engine_last_error(const arag_engine *eng) {
  return eng ? arag_err_msg(&eng->err) : ARAG_ERR_NULL_HANDLE;
}

void arag_engine_set_fetch(arag_engine *eng, arag_fetch_fn fn, void *user) {
  if (!eng) return;
  if (fn) {
    eng->fetch = fn;
    eng->fetch_user = user;
  } else {
    eng->fetch = arag_default_fetch();
    eng->fetch_user = eng;
  }
}

const char *arag_engine_config(arag_engine *eng) {
  if (!eng) return NULL;
  cJSON *o = arag_config_json(&eng->cfg);
  char *s = o ? cJSON_PrintUnformatted(o) : NULL;
  cJSON_Delete(o);
  if (!s) {
    arag_err_set(&eng->err, ARAG_E_NOMEM, "out of memory");
    return NULL;
  }
  free(eng->config_json);
  eng->config_json = s;
  return s;
}

uint32_t arag_engine_sessions(const arag_engine *eng) { return eng ? eng->n_sessions : 0; }

static int find_index(const arag_engine *eng, uint32_t id) {
  uint32_t lo = 0, hi = eng->n_sessions;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (eng->sessions[mid]->id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < eng->n_sessions && eng->sessions[lo]->id == id ? (int)lo : -1;
}

static arag_session *find_session(arag_engine *eng, uint32_t id) {
  int i = find_index(eng, id);
  return i < 0 ? NULL : eng->sessions[i];
}

/* Whether JSON text holds a \u0000 escape. Strings are NUL-terminated inside the
 * library, so a candidate id "b\u0000c" would silently become "b" (and come back in
 * the result as an id the caller never sent): refused, as item batches refuse it. */
static int has_nul_escape(const char *s, size_t len) {
  for (size_t i = 0; i + 1 < len; i++) {
    if (s[i] != '\\') continue;
    if (s[i + 1] == 'u' && i + 5 < len && s[i + 2] == '0' && s[i + 3] == '0' && s[i + 4] == '0' &&
        s[i + 5] == '0')
      return 1;
    i++; /* skip the escaped character ("\\" is a backslash) */
  }
  return 0;
}

arag_status arag_recommend_start(arag_engine *eng, const arag_catalog *catalog,
                                 const arag_history *history, const char *request_json, size_t len,
                                 uint32_t *session_out) {
  if (!eng) return ARAG_E_INVALID;
  if (!session_out) return arag_err_set(&eng->err, ARAG_E_INVALID, "session_out is NULL");
  *session_out = 0;
  if (!request_json && len) return arag_err_set(&eng->err, ARAG_E_INVALID, "request_json is NULL");
  if (len > eng->cfg.max_request_bytes)
    return arag_err_set(&eng->err, ARAG_E_LIMIT, "request is %zu bytes, max_request_bytes is %u",
                        len, eng->cfg.max_request_bytes);
  cJSON *req = NULL;
  if (len) {
    unsigned long failures = arag_json_alloc_failures();
    req = cJSON_ParseWithLength(request_json, len);
    if (!req && arag_json_alloc_failures() != failures)
      return arag_err_set(&eng->err, ARAG_E_NOMEM, "out of memory parsing the request");
    if (!req) return arag_err_set(&eng->err, ARAG_E_JSON, "request is not valid JSON");
    if (has_nul_escape(request_json, len)) {
      cJSON_Delete(req);
      return arag_err_set(&eng->err, ARAG_E_JSON, "request: a string contains \\u0000 (NUL)");
    }
  }
  if (eng->n_sessions == eng->cap_sessions) {
    uint32_t cap = eng->cap_sessions ? eng->cap_sessions * 2 : 16;
    arag_session **t = realloc(eng->sessions, cap * sizeof *t);
    if (!t) {
      cJSON_Delete(req);
      return arag_err_set(&eng->err, ARAG_E_NOMEM, "out of memory");
    }
    eng->sessions = t;
    eng->cap_sessions = cap;
  }
  arag_session *s = calloc(1, sizeof *s);
  if (!s) {
    cJSON_Delete(req);
    return arag_err_set(&eng->err, ARAG_E_NOMEM, "out of memory");
  }
  arag_error err;
  arag_err_clear(&err);
  arag_status st = arag_pipeline_init(s, &eng->cfg, catalog, history, req, &err);
  cJSON_Delete(req);
  if (st == ARAG_OK && s->cfg.backend == ARAG_BACKEND_HOST && !eng->fetch)
    st = arag_err_set(&err, ARAG_E_STATE,
                      "backend \"host\" needs a fetch callback (arag_engine_set_fetch)");
  if (st != ARAG_OK) {
    arag_pipeline_destroy(s);
    return arag_err_set(&eng->err, st, "%s", arag_err_text(err.message));
  }
  s->id = eng->next_id++;
  if (eng->next_id == 0) eng->next_id = 1;
  s->fetch = eng->fetch;
  s->fetch_user = eng->fetch_user;
  eng->sessions[eng->n_sessions++] = s;
  *session_out = s->id;
  arag_pipeline_pump(s);
  /* Offline sessions are done here; the catalog pointer is only valid during this call. */
  s = find_session(eng, *session_out);
  if (s) s->catalog = NULL;
  return ARAG_OK;
}

arag_status arag_context_vector(arag_engine *eng, const arag_catalog *catalog,
                                const arag_history *history, float *out, uint32_t dim) {
  if (!eng) return ARAG_E_INVALID;
  if (!out) return arag_err_set(&eng->err, ARAG_E_INVALID, "out is NULL");
  uint32_t cdim = catalog ? arag_catalog_dim(catalog) : 0;
  uint32_t hdim = history ? arag_history_dim(history) : 0;
  uint32_t want = cdim ? cdim : hdim ? hdim : ARAG_EMBED_DEFAULT_DIM;
  if (dim != want)
    return arag_err_set(&eng->err, ARAG_E_DIM, "dim is %u, the recommendation's dimension is %u",
                        dim, want);
  arag_error err;
  arag_err_clear(&err);
  arag_status st = arag_pipeline_context(&eng->cfg, catalog, history, out, dim, &err);
  if (st != ARAG_OK) return arag_err_set(&eng->err, st, "%s", arag_err_text(err.message));
  return ARAG_OK;
}

arag_status arag_deliver(arag_engine *eng, uint32_t session, uint32_t request_id, int status,
                         const char *body, size_t len) {
  if (!eng) return ARAG_E_INVALID;
  if (!body && len) return arag_err_set(&eng->err, ARAG_E_INVALID, "body is NULL");
  arag_session *s = find_session(eng, session);
  if (!s) return arag_err_set(&eng->err, ARAG_E_NOT_FOUND, "no session %u", session);
  arag_status st = arag_pipeline_deliver(s, request_id, status, body, len);
  if (st != ARAG_OK)
    return arag_err_set(&eng->err, st, "session %u has no pending request %u", session, request_id);
  arag_pipeline_pump(s);
  return ARAG_OK;
}

arag_status arag_report_usage(arag_engine *eng, uint32_t session, uint32_t request_id,
                              uint32_t prompt_tokens, uint32_t completion_tokens) {
  if (!eng) return ARAG_E_INVALID;
  arag_session *s = find_session(eng, session);
  if (!s) return arag_err_set(&eng->err, ARAG_E_NOT_FOUND, "no session %u", session);
  arag_status st = arag_pipeline_usage(s, request_id, prompt_tokens, completion_tokens);
  if (st != ARAG_OK)
    return arag_err_set(&eng->err, st, "session %u has no pending request %u", session, request_id);
  return ARAG_OK;
}

arag_status arag_report_repair(arag_engine *eng, uint32_t session, uint32_t request_id,
                               const char *note, size_t len) {
  if (!eng) return ARAG_E_INVALID;
  if (!note && len) return arag_err_set(&eng->err, ARAG_E_INVALID, "note is NULL");
  arag_session *s = find_session(eng, session);
  if (!s) return arag_err_set(&eng->err, ARAG_E_NOT_FOUND, "no session %u", session);
  arag_status st = arag_pipeline_repair(s, request_id, note, len);
  if (st != ARAG_OK)
    return arag_err_set(&eng->err, st, "session %u has no pending request %u", session, request_id);
  return ARAG_OK;
}

arag_status arag_session_deadline_ms(arag_engine *eng, uint32_t session, uint32_t *ms) {
  if (!eng || !ms) return ARAG_E_INVALID;
  *ms = 0;
  arag_session *s = find_session(eng, session);
  if (!s) return arag_err_set(&eng->err, ARAG_E_NOT_FOUND, "no session %u", session);
  *ms = s->cfg.backend == ARAG_BACKEND_HOST ? s->cfg.deadline_ms : 0;
  return ARAG_OK;
}

arag_status arag_session_expire(arag_engine *eng, uint32_t session) {
  if (!eng) return ARAG_E_INVALID;
  arag_session *s = find_session(eng, session);
  if (!s) return arag_err_set(&eng->err, ARAG_E_NOT_FOUND, "no session %u", session);
  if (s->state != ARAG_SESSION_RUNNING)
    return arag_err_set(&eng->err, ARAG_E_STATE, "session %u is not running", session);
  arag_pipeline_expire(s);
  arag_pipeline_pump(s);
  return ARAG_OK;
}

arag_status arag_session_state_get(arag_engine *eng, uint32_t session, arag_session_state *out) {
  if (!eng || !out) return ARAG_E_INVALID;
  arag_session *s = find_session(eng, session);
  if (!s) return arag_err_set(&eng->err, ARAG_E_NOT_FOUND, "no session %u", session);
  *out = s->state;
  return ARAG_OK;
}

arag_status arag_session_result(arag_engine *eng, uint32_t session, const char **json,
                                size_t *len) {
  if (!eng || !json) return ARAG_E_INVALID;
  *json = NULL;
  if (len) *len = 0;
  arag_session *s = find_session(eng, session);
  if (!s) return arag_err_set(&eng->err, ARAG_E_NOT_FOUND, "no session %u", session);
  if (s->state == ARAG_SESSION_CANCELLED)
    return arag_err_set(&eng->err, ARAG_E_CANCELLED, "session %u was cancelled", session);
  if (s->state != ARAG_SESSION_DONE)
    return arag_err_set(&eng->err, ARAG_E_STATE, "session %u is still running", session);
  if (!s->result) return arag_err_set(&eng->err, ARAG_E_NOMEM, "out of memory building the result");
  *json = s->result;
  if (len) *len = s->result_len;
  return ARAG_OK;
}

arag_status arag_session_cancel(arag_engine *eng, uint32_t session) {
  if (!eng) return ARAG_E_INVALID;
  arag_session *s = find_session(eng, session);
  if (!s) return arag_err_set(&eng->err, ARAG_E_NOT_FOUND, "no session %u", session);
  if (s->state != ARAG_SESSION_RUNNING)
    return arag_err_set(&eng->err, ARAG_E_STATE, "session %u is not running", session);
  arag_pipeline_cancel(s);
  return ARAG_OK;
}

void arag_session_free(arag_engine *eng, uint32_t session) {
  if (!eng) return;
  int i = find_index(eng, session);
  if (i < 0) return;
  arag_session *s = eng->sessions[i];
  memmove(&eng->sessions[i], &eng->sessions[i + 1],
          (eng->n_sessions - (uint32_t)i - 1) * sizeof *eng->sessions);
  eng->n_sessions--;
  if (s->busy) {
    /* Inside this session's fetch loop: it frees itself on the way out. */
    arag_pipeline_cancel(s);
    s->free_pending = 1;
  } else {
    arag_pipeline_destroy(s);
  }
}
