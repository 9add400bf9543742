/* The engine: configuration, the table of live sessions, and the public entry
 * points of a recommendation (start, deliver, usage, state, result, cancel, free). */
#include "pipeline.h"

#include "errbuf.h"
#include "host_fetch.h"
#include "json_alloc.h"
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_CANDIDATES 1000
#define DEFAULT_MAX_REQUEST_BYTES (4u << 20)
/* A whole recommendation with an LLM, by default: past it the agents still waiting
 * are answered by the offline reasoner. A shopper's page or a Worker's client should
 * not wait longer than this for a shelf. */
#define DEFAULT_DEADLINE_MS 20000
/* An answer longer than this is cut before it is parsed: 50 candidates ranked with
 * reasons take about 8 KB. */
#define DEFAULT_MAX_ANSWER_BYTES (256u << 10)

struct arag_engine {
  arag_config cfg;
  arag_fetch_fn fetch;
  void *fetch_user;
  arag_session **sessions; /* sorted by id (ids only grow) */
  uint32_t n_sessions, cap_sessions;
  uint32_t next_id;
  arag_errbuf err;
  char *config_json;
};

/* ------------------------------------------------------------------------ */
/* Configuration                                                             */
/* ------------------------------------------------------------------------ */

void arag_config_default(arag_config *c) {
  memset(c, 0, sizeof *c);
  c->backend = ARAG_BACKEND_OFFLINE;
  c->theta = 0.5;
  c->min_keep = 3;
  c->nli_batch = 10;
  c->max_in_flight = 6;
  c->top_k = 50;
  c->k = 10;
  c->session_len = 5;
  c->long_term_len = 50;
  for (int i = 0; i < 4; i++) c->agents[i] = 1;
  c->max_prompt_item_chars = 300;
  c->max_tokens = 4096;
  c->reasoning_tokens = 0;
  c->temperature = 0;
  c->max_candidates = DEFAULT_MAX_CANDIDATES;
  c->max_request_bytes = DEFAULT_MAX_REQUEST_BYTES;
  c->trace_prompts = 0;
  c->fallback = ARAG_FALLBACK_OFFLINE;
  c->deadline_ms = DEFAULT_DEADLINE_MS;
  c->max_answer_bytes = DEFAULT_MAX_ANSWER_BYTES;
  arag_reasoner_params_default(&c->reasoner);
  arag_shelf_default(&c->shelf);
}

typedef struct uint_key {
  const char *name;
  size_t off;
  uint32_t min, max;
  int engine_only;
} uint_key;

static const uint_key uint_keys[] = {
    {"min_keep", offsetof(arag_config, min_keep), 0, 100000, 0},
    {"nli_batch", offsetof(arag_config, nli_batch), 1, 1000, 0},
    {"max_in_flight", offsetof(arag_config, max_in_flight), 1, 1000, 0},
    {"top_k", offsetof(arag_config, top_k), 1, 100000, 0},
    {"k", offsetof(arag_config, k), 1, 100000, 0},
    {"session_len", offsetof(arag_config, session_len), 0, 10000, 0},
    {"long_term_len", offsetof(arag_config, long_term_len), 0, 100000, 0},
    {"max_prompt_item_chars", offsetof(arag_config, max_prompt_item_chars), 16, 65536, 0},
    {"max_tokens", offsetof(arag_config, max_tokens), 1, 1000000, 0},
    {"reasoning_tokens", offsetof(arag_config, reasoning_tokens), 0, 1000000, 0},
    {"max_candidates", offsetof(arag_config, max_candidates), 1, 100000, 1},
    {"max_request_bytes", offsetof(arag_config, max_request_bytes), 1024, 1u << 30, 1},
    {"deadline_ms", offsetof(arag_config, deadline_ms), 0, 86400000, 0},
    {"max_answer_bytes", offsetof(arag_config, max_answer_bytes), 1024, 64u << 20, 1},
};

static arag_status cfg_fail(char *err, size_t err_len, arag_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static arag_status cfg_fail(char *err, size_t err_len, arag_status st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, err_len, fmt, ap);
  va_end(ap);
  return st;
}

static arag_status read_bool(const cJSON *v, const char *name, int *out, char *err,
                             size_t err_len) {
  if (!cJSON_IsBool(v))
    return cfg_fail(err, err_len, ARAG_E_INVALID, "config \"%s\" must be true or false", name);
  *out = cJSON_IsTrue(v);
  return ARAG_OK;
}

arag_status arag_config_apply(arag_config *c, const cJSON *obj, int per_request, char *err,
                              size_t err_len) {
  if (!cJSON_IsObject(obj))
    return cfg_fail(err, err_len, ARAG_E_JSON, "config must be a JSON object");
  arag_config t = *c;
  const cJSON *v;
  cJSON_ArrayForEach(v, obj) {
    const char *key = v->string ? v->string : "";
    int done = 0;
    for (size_t i = 0; i < sizeof uint_keys / sizeof uint_keys[0]; i++) {
      const uint_key *u = &uint_keys[i];
      if (strcmp(key, u->name) != 0) continue;
      if (per_request && u->engine_only)
        return cfg_fail(err, err_len, ARAG_E_INVALID,
                        "config \"%s\" is an engine limit and cannot be set per request", key);
      if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
          v->valuedouble != floor(v->valuedouble) || v->valuedouble < u->min ||
          v->valuedouble > u->max)
        return cfg_fail(err, err_len, ARAG_E_INVALID,
                        "config \"%s\" must be an integer in [%u, %u]", key, u->min, u->max);
      *(uint32_t *)((char *)&t + u->off) = (uint32_t)v->valuedouble;
      done = 1;
    }
    if (done) continue;
    if (strcmp(key, "backend") == 0) {
      if (cJSON_IsString(v) && strcmp(v->valuestring, "offline") == 0)
        t.backend = ARAG_BACKEND_OFFLINE;
      else if (cJSON_IsString(v) && strcmp(v->valuestring, "host") == 0)
        t.backend = ARAG_BACKEND_HOST;
      else
        return cfg_fail(err, err_len, ARAG_E_INVALID,
                        "config \"backend\" must be \"offline\" or \"host\"");
    } else if (strcmp(key, "fallback") == 0) {
      if (cJSON_IsString(v) && strcmp(v->valuestring, "offline") == 0)
        t.fallback = ARAG_FALLBACK_OFFLINE;
      else if (cJSON_IsString(v) && strcmp(v->valuestring, "retrieval") == 0)
        t.fallback = ARAG_FALLBACK_RETRIEVAL;
      else
        return cfg_fail(err, err_len, ARAG_E_INVALID,
                        "config \"fallback\" must be \"offline\" or \"retrieval\"");
    } else if (strcmp(key, "theta") == 0) {
      if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= 1))
        return cfg_fail(err, err_len, ARAG_E_INVALID,
                        "config \"theta\" must be a number in [0, 1]");
      t.theta = v->valuedouble;
    } else if (strcmp(key, "temperature") == 0) {
      if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= 2))
        return cfg_fail(err, err_len, ARAG_E_INVALID,
                        "config \"temperature\" must be a number in [0, 2]");
      t.temperature = v->valuedouble;
    } else if (strcmp(key, "trace_prompts") == 0) {
      arag_status st = read_bool(v, key, &t.trace_prompts, err, err_len);
      if (st != ARAG_OK) return st;
    } else if (strcmp(key, "agents") == 0) {
      if (!cJSON_IsObject(v))
        return cfg_fail(err, err_len, ARAG_E_INVALID,
                        "config \"agents\" must be an object like {\"nli\": false}");
      const cJSON *a;
      cJSON_ArrayForEach(a, v) {
        static const char *const names[] = {"uua", "nli", "csa", "ira"};
        int which = -1;
        for (int i = 0; i < 4; i++)
          if (a->string && strcmp(a->string, names[i]) == 0) which = i;
        if (which < 0)
          return cfg_fail(err, err_len, ARAG_E_INVALID,
                          "config \"agents.%.40s\": unknown agent (uua, nli, csa, ira)",
                          a->string ? a->string : "");
        char name[16];
        snprintf(name, sizeof name, "agents.%s", names[which]);
        arag_status st = read_bool(a, name, &t.agents[which], err, err_len);
        if (st != ARAG_OK) return st;
      }
    } else if (strcmp(key, "shelf") == 0) {
      if (arag_shelf_apply(&t.shelf, v, err, err_len) != 0) return ARAG_E_INVALID;
    } else if (strcmp(key, "reasoner") == 0) {
      if (!cJSON_IsObject(v))
        return cfg_fail(err, err_len, ARAG_E_INVALID,
                        "config \"reasoner\" must be an object like {\"nli_isim\": 9}");
      const cJSON *w;
      cJSON_ArrayForEach(w, v) {
        const char *name = w->string ? w->string : "";
        double lo = 0, hi = 0;
        int rc = cJSON_IsNumber(w)
                     ? arag_reasoner_params_set(&t.reasoner, name, w->valuedouble, &lo, &hi)
                     : arag_reasoner_params_set(&t.reasoner, name, NAN, &lo, &hi);
        if (rc == -1)
          return cfg_fail(err, err_len, ARAG_E_INVALID,
                          "config \"reasoner.%.40s\": unknown parameter", name);
        if (rc != 0)
          return cfg_fail(err, err_len, ARAG_E_INVALID,
                          "config \"reasoner.%.40s\" must be a number in [%g, %g]", name, lo, hi);
      }
    } else {
      return cfg_fail(err, err_len, ARAG_E_INVALID, "unknown config key \"%.60s\"", key);
    }
  }
  *c = t;
  return ARAG_OK;
}

cJSON *arag_config_json(const arag_config *c) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  cJSON_AddStringToObject(o, "backend", c->backend == ARAG_BACKEND_HOST ? "host" : "offline");
  cJSON_AddNumberToObject(o, "theta", c->theta);
  for (size_t i = 0; i < sizeof uint_keys / sizeof uint_keys[0]; i++)
    cJSON_AddNumberToObject(o, uint_keys[i].name,
                            *(const uint32_t *)((const char *)c + uint_keys[i].off));
  cJSON_AddNumberToObject(o, "temperature", c->temperature);
  cJSON *a = cJSON_AddObjectToObject(o, "agents");
  for (int i = 0; i < 4; i++)
    cJSON_AddBoolToObject(a, arag_agent_name((arag_agent)i), c->agents[i]);
  cJSON_AddBoolToObject(o, "trace_prompts", c->trace_prompts);
  cJSON_AddStringToObject(o, "fallback",
                          c->fallback == ARAG_FALLBACK_RETRIEVAL ? "retrieval" : "offline");
  cJSON *r = cJSON_AddObjectToObject(o, "reasoner");
  for (uint32_t i = 0; i < arag_reasoner_params_count(); i++) {
    /* Single-precision weights, shown as the shortest decimal that reads back as
     * the same float (0.7, not 0.699999988), so the JSON re-applies to itself. */
    double v = arag_reasoner_params_get(&c->reasoner, i);
    char num[32];
    for (int prec = 6; prec <= 9; prec++) {
      snprintf(num, sizeof num, "%.*g", prec, v);
      if ((float)strtod(num, NULL) == (float)v) break;
    }
    cJSON_AddNumberToObject(r, arag_reasoner_params_name(i), strtod(num, NULL));
  }
  cJSON *sh = arag_shelf_json(&c->shelf);
  if (sh && !cJSON_AddItemToObject(o, "shelf", sh)) cJSON_Delete(sh);
  return o;
}

/* ------------------------------------------------------------------------ */
/* Engine                                                                    */
/* ------------------------------------------------------------------------ */

static arag_status parse_config(const char *json, size_t len, arag_config *cfg, char *err,
                                size_t err_len) {
  arag_config_default(cfg);
  if (!json || len == 0) return ARAG_OK;
  unsigned long failures = arag_json_alloc_failures();
  cJSON *root = cJSON_ParseWithLength(json, len);
  if (!root && arag_json_alloc_failures() != failures)
    return cfg_fail(err, err_len, ARAG_E_NOMEM, "out of memory parsing the config");
  if (!root) return cfg_fail(err, err_len, ARAG_E_JSON, "config is not valid JSON");
  arag_status st = arag_config_apply(cfg, root, 0, err, err_len);
  cJSON_Delete(root);
  if (st == ARAG_OK && cfg->top_k > cfg->max_candidates)
    st = cfg_fail(err, err_len, ARAG_E_INVALID, "config \"top_k\" (%u) is past max_candidates (%u)",
                  cfg->top_k, cfg->max_candidates);
  return st;
}

arag_status arag_engine_create(const char *config_json, size_t len, arag_engine **out) {
  if (!out) return ARAG_E_INVALID;
  *out = NULL;
  arag_config cfg;
  char err[ARAG_ERRBUF_SIZE];
  arag_status st = parse_config(config_json, len, &cfg, err, sizeof err);
  if (st != ARAG_OK) return st == ARAG_E_NOMEM ? st : ARAG_E_INVALID;
  arag_engine *e = calloc(1, sizeof *e);
  if (!e) return ARAG_E_NOMEM;
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
  char err[ARAG_ERRBUF_SIZE] = "";
  arag_status st = arag_config_apply(&cfg, root, 0, err, sizeof err);
  cJSON_Delete(root);
  if (st == ARAG_OK && cfg.top_k > cfg.max_candidates)
    st = cfg_fail(err, sizeof err, ARAG_E_INVALID,
                  "config \"top_k\" (%u) is past max_candidates (%u)", cfg.top_k,
                  cfg.max_candidates);
  if (st != ARAG_OK) return arag_err_set(&eng->err, st, "%s", err);
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
  return eng ? arag_err_msg(&eng->err) : "";
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
  char err[ARAG_ERRBUF_SIZE] = "";
  arag_status st = arag_pipeline_init(s, &eng->cfg, catalog, history, req, err, sizeof err);
  cJSON_Delete(req);
  if (st == ARAG_OK && s->cfg.backend == ARAG_BACKEND_HOST && !eng->fetch) {
    st = ARAG_E_STATE;
    snprintf(err, sizeof err, "backend \"host\" needs a fetch callback (arag_engine_set_fetch)");
  }
  if (st != ARAG_OK) {
    arag_pipeline_destroy(s);
    return arag_err_set(&eng->err, st, "%s", err);
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
  char err[ARAG_ERRBUF_SIZE] = "";
  arag_status st = arag_pipeline_context(&eng->cfg, catalog, history, out, dim, err, sizeof err);
  if (st != ARAG_OK) return arag_err_set(&eng->err, st, "%s", err);
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
