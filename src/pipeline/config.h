/* The engine-wide configuration a recommendation runs with (src/pipeline/config.c):
 * its defaults, the JSON keys that set it (engine config and a request's "config"),
 * and its JSON form for the trace and arag_engine_config. Internal. */
#ifndef ARAG_CONFIG_H
#define ARAG_CONFIG_H

#include "arag.h"
#include "reasoner.h"
#include "shelf.h"
#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

typedef enum arag_backend { ARAG_BACKEND_OFFLINE = 0, ARAG_BACKEND_HOST = 1 } arag_backend;

/* Who answers an agent whose call failed or whose answer was unusable: the offline
 * reasoner from the same input (the default), or the retrieval fallbacks (no
 * summary, the retrieval score, the retrieval order). */
typedef enum arag_fallback { ARAG_FALLBACK_OFFLINE = 0, ARAG_FALLBACK_RETRIEVAL = 1 } arag_fallback;

typedef struct arag_config {
  arag_backend backend;
  double theta;
  uint32_t min_keep;
  uint32_t nli_batch;
  uint32_t max_in_flight;
  uint32_t top_k;
  uint32_t k;
  uint32_t session_len;
  uint32_t long_term_len;
  int agents[4]; /* indexed by arag_agent */
  uint32_t max_prompt_item_chars;
  uint32_t max_tokens;       /* cap on a call's max_tokens (each is sized from its batch) */
  uint32_t reasoning_tokens; /* added to every call's max_tokens: a reasoning model's room */
  double temperature;
  uint32_t max_candidates;    /* engine-level only */
  uint32_t max_request_bytes; /* engine-level only */
  int trace_prompts;          /* keep every request JSON in the trace */
  arag_fallback fallback;
  uint32_t deadline_ms;          /* whole recommendation (host backend); 0: none */
  uint32_t max_answer_bytes;     /* engine-level only: longer answers are cut first */
  arag_reasoner_params reasoner; /* the offline reasoner's weights */
  arag_shelf_cfg shelf;          /* how the first k places are arranged (shelf.h) */
} arag_config;

void arag_config_default(arag_config *c);
/* Applies the keys of obj (a JSON object) onto *c. per_request: only the keys a
 * request may override. On error *c is unchanged and err names the key. */
arag_status arag_config_apply(arag_config *c, const cJSON *obj, int per_request, arag_error *err);
/* The rules between keys (top_k not past max_candidates: ARAG_E_LIMIT), checked by every
 * arag_config_apply. */
arag_status arag_config_check(const arag_config *c, arag_error *err);
/* The defaults with an engine's config JSON text applied (none when len is 0). */
arag_status arag_config_parse(const char *json, size_t len, arag_config *cfg, arag_error *err);
cJSON *arag_config_json(const arag_config *c);

#endif
