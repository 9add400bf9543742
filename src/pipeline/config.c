/* The configuration of an engine and of one request (config.h): defaults, the keys
 * that set it, and its JSON form. */
#include "config.h"

#include "agents.h"
#include "errbuf.h"
#include "json_alloc.h"
#include <math.h>
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
#define N_UINT_KEYS (sizeof uint_keys / sizeof uint_keys[0])

static arag_status read_bool(const cJSON *v, const char *name, int *out, arag_error *err) {
  if (!cJSON_IsBool(v))
    return arag_err_set(err, ARAG_E_INVALID, "config \"%s\" must be true or false", name);
  *out = cJSON_IsTrue(v);
  return ARAG_OK;
}

/* One of the integer keys; *done tells whether key is one. */
static arag_status apply_uint(arag_config *t, const char *key, const cJSON *v, int per_request,
                              int *done, arag_error *err) {
  for (size_t i = 0; i < N_UINT_KEYS; i++) {
    const uint_key *u = &uint_keys[i];
    if (strcmp(key, u->name) != 0) continue;
    if (per_request && u->engine_only)
      return arag_err_set(err, ARAG_E_INVALID,
                          "config \"%s\" is an engine limit and cannot be set per request", key);
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
        v->valuedouble != floor(v->valuedouble) || v->valuedouble < u->min ||
        v->valuedouble > u->max)
      return arag_err_set(err, ARAG_E_INVALID, "config \"%s\" must be an integer in [%u, %u]", key,
                          u->min, u->max);
    *(uint32_t *)((char *)t + u->off) = (uint32_t)v->valuedouble;
    *done = 1;
  }
  return ARAG_OK;
}

/* "backend" and "fallback": one of two words each. */
static arag_status apply_choice(arag_config *t, const char *key, const cJSON *v, arag_error *err) {
  const char *s = cJSON_IsString(v) && v->valuestring ? v->valuestring : "";
  if (strcmp(key, "backend") == 0) {
    if (strcmp(s, "offline") == 0)
      t->backend = ARAG_BACKEND_OFFLINE;
    else if (strcmp(s, "host") == 0)
      t->backend = ARAG_BACKEND_HOST;
    else
      return arag_err_set(err, ARAG_E_INVALID,
                          "config \"backend\" must be \"offline\" or \"host\"");
    return ARAG_OK;
  }
  if (strcmp(s, "offline") == 0)
    t->fallback = ARAG_FALLBACK_OFFLINE;
  else if (strcmp(s, "retrieval") == 0)
    t->fallback = ARAG_FALLBACK_RETRIEVAL;
  else
    return arag_err_set(err, ARAG_E_INVALID,
                        "config \"fallback\" must be \"offline\" or \"retrieval\"");
  return ARAG_OK;
}

/* "theta" in [0, 1] and "temperature" in [0, 2]. */
static arag_status apply_real(arag_config *t, const char *key, const cJSON *v, arag_error *err) {
  int is_theta = strcmp(key, "theta") == 0;
  double hi = is_theta ? 1 : 2;
  if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= hi))
    return arag_err_set(err, ARAG_E_INVALID, "config \"%s\" must be a number in [0, %g]", key, hi);
  *(is_theta ? &t->theta : &t->temperature) = v->valuedouble;
  return ARAG_OK;
}

/* "agents": {"nli": false, ...}, names from the agent table. */
static arag_status apply_agents(arag_config *t, const cJSON *v, arag_error *err) {
  if (!cJSON_IsObject(v))
    return arag_err_set(err, ARAG_E_INVALID,
                        "config \"agents\" must be an object like {\"nli\": false}");
  const cJSON *a;
  cJSON_ArrayForEach(a, v) {
    int which = arag_agent_by_name(a->string);
    if (which < 0)
      return arag_err_set(err, ARAG_E_INVALID,
                          "config \"agents.%.40s\": unknown agent (uua, nli, csa, ira)",
                          a->string ? a->string : "");
    char name[16];
    snprintf(name, sizeof name, "agents.%s", arag_agent_name((arag_agent)which));
    arag_status st = read_bool(a, name, &t->agents[which], err);
    if (st != ARAG_OK) return st;
  }
  return ARAG_OK;
}

/* "reasoner": the offline reasoner's weights by name (reasoner.h). */
static arag_status apply_reasoner(arag_config *t, const cJSON *v, arag_error *err) {
  if (!cJSON_IsObject(v))
    return arag_err_set(err, ARAG_E_INVALID,
                        "config \"reasoner\" must be an object like {\"nli_isim\": 9}");
  const cJSON *w;
  cJSON_ArrayForEach(w, v) {
    const char *name = w->string ? w->string : "";
    double lo = 0, hi = 0;
    double val = cJSON_IsNumber(w) ? w->valuedouble : NAN;
    int rc = arag_reasoner_params_set(&t->reasoner, name, val, &lo, &hi);
    if (rc == -1)
      return arag_err_set(err, ARAG_E_INVALID, "config \"reasoner.%.40s\": unknown parameter",
                          name);
    if (rc != 0)
      return arag_err_set(err, ARAG_E_INVALID,
                          "config \"reasoner.%.40s\" must be a number in [%g, %g]", name, lo, hi);
  }
  return ARAG_OK;
}

static arag_status apply_key(arag_config *t, const char *key, const cJSON *v, int per_request,
                             arag_error *err) {
  int done = 0;
  arag_status st = apply_uint(t, key, v, per_request, &done, err);
  if (st != ARAG_OK || done) return st;
  if (strcmp(key, "backend") == 0 || strcmp(key, "fallback") == 0)
    return apply_choice(t, key, v, err);
  if (strcmp(key, "theta") == 0 || strcmp(key, "temperature") == 0)
    return apply_real(t, key, v, err);
  if (strcmp(key, "trace_prompts") == 0) return read_bool(v, key, &t->trace_prompts, err);
  if (strcmp(key, "agents") == 0) return apply_agents(t, v, err);
  if (strcmp(key, "shelf") == 0) return arag_shelf_apply(&t->shelf, v, err);
  if (strcmp(key, "reasoner") == 0) return apply_reasoner(t, v, err);
  return arag_err_set(err, ARAG_E_INVALID, "unknown config key \"%.60s\"", key);
}

arag_status arag_config_apply(arag_config *c, const cJSON *obj, int per_request, arag_error *err) {
  if (!cJSON_IsObject(obj)) return arag_err_set(err, ARAG_E_JSON, "config must be a JSON object");
  arag_config t = *c;
  const cJSON *v;
  cJSON_ArrayForEach(v, obj) {
    arag_status st = apply_key(&t, v->string ? v->string : "", v, per_request, err);
    if (st != ARAG_OK) return st;
  }
  arag_status st = arag_config_check(&t, err);
  if (st != ARAG_OK) return st;
  *c = t;
  return ARAG_OK;
}

arag_status arag_config_check(const arag_config *c, arag_error *err) {
  if (c->top_k > c->max_candidates)
    return arag_err_set(err, ARAG_E_LIMIT, "\"top_k\" (%u) is past max_candidates (%u)", c->top_k,
                        c->max_candidates);
  return ARAG_OK;
}

arag_status arag_config_parse(const char *json, size_t len, arag_config *cfg, arag_error *err) {
  arag_config_default(cfg);
  if (!json || len == 0) return ARAG_OK;
  unsigned long failures = arag_json_alloc_failures();
  cJSON *root = cJSON_ParseWithLength(json, len);
  if (!root && arag_json_alloc_failures() != failures)
    return arag_err_set(err, ARAG_E_NOMEM, "out of memory parsing the config");
  if (!root) return arag_err_set(err, ARAG_E_JSON, "config is not valid JSON");
  arag_status st = arag_config_apply(cfg, root, 0, err);
  cJSON_Delete(root);
  return st;
}

cJSON *arag_config_json(const arag_config *c) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  cJSON_AddStringToObject(o, "backend", c->backend == ARAG_BACKEND_HOST ? "host" : "offline");
  cJSON_AddNumberToObject(o, "theta", c->theta);
  for (size_t i = 0; i < N_UINT_KEYS; i++)
    cJSON_AddNumberToObject(o, uint_keys[i].name,
                            *(const uint32_t *)((const char *)c + uint_keys[i].off));
  cJSON_AddNumberToObject(o, "temperature", c->temperature);
  cJSON *a = cJSON_AddObjectToObject(o, "agents");
  for (int i = 0; i < ARAG_AGENT_COUNT; i++)
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
