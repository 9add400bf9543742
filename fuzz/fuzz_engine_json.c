/* libFuzzer target: any bytes as engine configuration and recommendation request
 * JSON. The input is split at its first NUL byte: the part before is a config, the
 * part after a request (without a NUL, the whole input is tried as both).
 * Invariants: no crash or leak; a refused config leaves the engine's effective
 * configuration byte for byte as it was and names the problem; an accepted config
 * is a fixed point (its own JSON re-applied gives the same JSON); a refused request
 * leaves no session; an accepted request, offline or answered by a provider with
 * seeded faults, ends with an order that is a permutation of I0 (no duplicates,
 * only candidates the request could name). */
#include "../tests/fault_provider.h"
#include "arag.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

#define D 32

static const char items[] =
    "{\"id\":\"a\",\"title\":\"Red Lipstick\",\"categories\":[\"Beauty\",\"Lips\"]}\n"
    "{\"id\":\"b\",\"title\":\"Argan Shampoo\",\"brand\":\"Oilo\",\"price\":7.5}\n"
    "{\"id\":\"c\",\"title\":\"Nail Polish Coral\"}\n"
    "{\"id\":\"d\",\"title\":\"Volume Mascara\",\"text\":\"Black, smudge-proof\"}\n"
    "{\"id\":\"e\",\"title\":\"Vitamin C Serum\"}\n"
    "{\"id\":\"f\",\"title\":\"Matte Lipstick Nude\"}\n";
static const char events[] = "{\"id\":\"a\",\"ts\":1,\"kind\":\"purchase\"}\n"
                             "{\"id\":\"c\",\"ts\":2}\n{\"id\":\"f\",\"ts\":3,\"kind\":\"cart\"}\n";

static char *dup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (!d) abort();
  return memcpy(d, s, n);
}

static void check_result(arag_engine *eng, uint32_t sid, const arag_catalog *cat) {
  arag_session_state state;
  if (arag_session_state_get(eng, sid, &state) != ARAG_OK) abort();
  if (state != ARAG_SESSION_DONE) abort();
  const char *json = NULL;
  size_t len = 0;
  if (arag_session_result(eng, sid, &json, &len) != ARAG_OK) abort();
  cJSON *res = cJSON_ParseWithLength(json, len);
  if (!res) abort();
  const cJSON *order = cJSON_GetObjectItem(res, "order");
  const cJSON *i0 = cJSON_GetObjectItem(cJSON_GetObjectItem(res, "trace"), "i0");
  int n = cJSON_GetArraySize(i0);
  if (cJSON_GetArraySize(order) != n) abort();
  for (int i = 0; i < n; i++) {
    const cJSON *o = cJSON_GetArrayItem(order, i);
    if (!cJSON_IsString(o)) abort();
    int found = 0;
    for (int j = 0; j < n; j++) {
      const cJSON *id = cJSON_GetObjectItem(cJSON_GetArrayItem(i0, j), "id");
      if (cJSON_IsString(id) && strcmp(id->valuestring, o->valuestring) == 0) found++;
      if (j != i && strcmp(cJSON_GetArrayItem(order, j)->valuestring, o->valuestring) == 0)
        abort(); /* duplicate */
    }
    if (found != 1) abort();
  }
  (void)cat;
  cJSON_Delete(res);
}

static void try_request(arag_engine *eng, const arag_catalog *cat, const arag_history *h,
                        const char *req, size_t len, fp_provider *p) {
  uint32_t sid = 0;
  arag_status st = arag_recommend_start(eng, cat, h, req, len, &sid);
  if (st != ARAG_OK) {
    if (arag_engine_sessions(eng) != 0) abort();
    if (!arag_engine_last_error(eng)[0]) abort();
    return;
  }
  if (p) fp_pump(p);
  check_result(eng, sid, cat);
  arag_session_free(eng, sid);
  if (arag_engine_sessions(eng) != 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  const char *nul = memchr(text, 0, size);
  const char *cfg = text, *req = text;
  size_t cfg_len = size, req_len = size;
  if (nul) {
    cfg_len = (size_t)(nul - text);
    req = nul + 1;
    req_len = size - cfg_len - 1;
  }

  /* 1. create with the config */
  arag_engine *eng = NULL;
  if (arag_engine_create(cfg, cfg_len, &eng) == ARAG_OK) {
    char *c1 = dup(arag_engine_config(eng));
    if (arag_engine_configure(eng, c1, strlen(c1)) != ARAG_OK) abort();
    if (strcmp(c1, arag_engine_config(eng)) != 0) abort();
    free(c1);
    arag_engine_free(eng);
  } else if (eng) {
    abort(); /* a failing create hands out no handle */
  }

  /* 2. configure a default engine: all-or-nothing */
  eng = NULL;
  if (arag_engine_create(NULL, 0, &eng) != ARAG_OK) abort();
  char *before = dup(arag_engine_config(eng));
  if (arag_engine_configure(eng, cfg, cfg_len) != ARAG_OK) {
    if (strcmp(before, arag_engine_config(eng)) != 0) abort();
    if (!arag_engine_last_error(eng)[0]) abort();
  }
  free(before);
  arag_engine_free(eng);

  /* 3. the request, offline and against a faulty provider */
  arag_catalog *cat = NULL;
  arag_history *h = NULL;
  if (arag_catalog_create(D, NULL, &cat) != ARAG_OK) abort();
  if (arag_catalog_add_json(cat, items, sizeof items - 1) != ARAG_OK) abort();
  if (arag_history_create(D, NULL, &h) != ARAG_OK) abort();
  if (arag_history_add_json(h, events, sizeof events - 1) != ARAG_OK) abort();
  if (arag_engine_create(NULL, 0, &eng) != ARAG_OK) abort();
  try_request(eng, cat, h, req, req_len, NULL);
  arag_engine_free(eng);

  const char *host = "{\"backend\":\"host\",\"max_candidates\":64}";
  if (arag_engine_create(host, strlen(host), &eng) != ARAG_OK) abort();
  fp_provider p;
  fp_init(&p, eng, size, 400);
  arag_engine_set_fetch(eng, fp_on_fetch, &p);
  try_request(eng, cat, h, req, req_len, &p);
  fp_free(&p);
  arag_engine_free(eng);
  arag_history_free(h);
  arag_catalog_free(cat);
  return 0;
}
