/* libFuzzer target: any bytes as the answers a host delivers to a running
 * recommendation. The input is cut into chunks at each "\n--\n"; each chunk answers
 * the oldest open agent request: its first byte picks the status (its low 4 bits: 200
 * mostly, then the host's failure statuses 0-5, 429, 503), the rest is the body; with
 * the high bit set the body is first reported as a host repair; 0x7f calls the
 * deadline instead (arag_session_expire). Requests left when the chunks run out get a
 * correct answer. Invariants: no crash or leak; every delivery is accepted; the
 * session ends with an order that is a permutation of the candidates; a failed call is
 * answered by the offline reasoner and named in fallbacks with a known cause. */
#include "../tests/fault_provider.h"
#include "arag.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

#define D 32
#define N_CANDS 8

static const char items[] =
    "{\"id\":\"a\",\"title\":\"Red Lipstick\",\"categories\":[\"Beauty\",\"Lips\"]}\n"
    "{\"id\":\"b\",\"title\":\"Argan Shampoo\",\"brand\":\"Oilo\",\"price\":7.5}\n"
    "{\"id\":\"c\",\"title\":\"Nail Polish Coral\"}\n"
    "{\"id\":\"d\",\"title\":\"Volume Mascara\",\"text\":\"Black, smudge-proof\"}\n"
    "{\"id\":\"e\",\"title\":\"Vitamin C Serum\"}\n"
    "{\"id\":\"f\",\"title\":\"Matte Lipstick Nude\"}\n"
    "{\"id\":\"12\",\"title\":\"Hair Mask\"}\n"
    "{\"id\":\"x y\",\"title\":\"Cuticle Oil\"}\n";
static const char *const cands[N_CANDS] = {"a", "b", "c", "d", "e", "f", "12", "x y"};
static const char events[] = "{\"id\":\"a\",\"ts\":1,\"kind\":\"purchase\"}\n"
                             "{\"id\":\"c\",\"ts\":2}\n{\"id\":\"f\",\"ts\":3,\"kind\":\"cart\"}\n";
static const char request[] = "{\"candidates\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"12\",\"x "
                              "y\"],\"k\":5,\"config\":{\"nli_batch\":3,\"min_keep\":2}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const int statuses[16] = {200, 200, 200, 200, 200, 200, 200, 200,
                                   0,   1,   2,   3,   4,   5,   429, 503};
  arag_catalog *cat = NULL;
  arag_history *h = NULL;
  arag_engine *eng = NULL;
  if (arag_catalog_create(D, NULL, &cat) != ARAG_OK) abort();
  if (arag_catalog_add_json(cat, items, sizeof items - 1) != ARAG_OK) abort();
  if (arag_history_create(D, NULL, &h) != ARAG_OK) abort();
  if (arag_history_add_json(h, events, sizeof events - 1) != ARAG_OK) abort();
  const char *cfg = "{\"backend\":\"host\",\"max_in_flight\":2}";
  if (arag_engine_create(cfg, strlen(cfg), &eng) != ARAG_OK) abort();
  fp_provider p;
  fp_init(&p, eng, 7, 0); /* no faults of its own: the input is the fault */
  arag_engine_set_fetch(eng, fp_on_fetch, &p);
  uint32_t sid = 0;
  if (arag_recommend_start(eng, cat, h, request, sizeof request - 1, &sid) != ARAG_OK) abort();
  /* SYNC draws were answered inside the callback already; that is fine. */
  const char *text = (const char *)data;
  size_t pos = 0;
  int any_fault = 0;
  for (;;) {
    int open = -1;
    for (int i = 0; i < p.n; i++)
      if (!p.reqs[i].answered) {
        open = i;
        break;
      }
    if (open < 0) break;
    if (pos >= size) {
      fp_answer_one(&p, open);
      continue;
    }
    const char *end = NULL;
    for (size_t i = pos; i + 4 <= size; i++)
      if (memcmp(text + i, "\n--\n", 4) == 0) {
        end = text + i;
        break;
      }
    size_t clen = end ? (size_t)(end - (text + pos)) : size - pos;
    const char *chunk = text + pos;
    pos = end ? (size_t)(end - text) + 4 : size;
    uint8_t op = clen ? (uint8_t)chunk[0] : 0;
    if (op == 0x7f) {
      /* The host's timer: the deadline, now. Every open call is answered offline. */
      if (arag_session_expire(eng, sid) != ARAG_OK) abort();
      for (int i = 0; i < p.n; i++) p.reqs[i].answered = 1;
      any_fault = 1;
      break;
    }
    int status = statuses[op & 15];
    if (status != 200) any_fault = 1;
    p.reqs[open].answered = 1;
    uint32_t rid = p.reqs[open].rid;
    if ((op & 0x80) && arag_report_repair(eng, sid, rid, chunk + 1, clen - 1) != ARAG_OK) abort();
    if (arag_deliver(eng, sid, rid, status, clen ? chunk + 1 : "", clen ? clen - 1 : 0) != ARAG_OK)
      abort();
  }
  if (p.deliver_errors) abort();
  arag_session_state state;
  if (arag_session_state_get(eng, sid, &state) != ARAG_OK || state != ARAG_SESSION_DONE) abort();
  const char *json = NULL;
  size_t len = 0;
  if (arag_session_result(eng, sid, &json, &len) != ARAG_OK) abort();
  cJSON *res = cJSON_ParseWithLength(json, len);
  if (!res) abort();
  const cJSON *order = cJSON_GetObjectItem(res, "order");
  if (cJSON_GetArraySize(order) != N_CANDS) abort();
  uint8_t seen[N_CANDS] = {0};
  const cJSON *o;
  cJSON_ArrayForEach(o, order) {
    int found = -1;
    for (int j = 0; j < N_CANDS; j++)
      if (cJSON_IsString(o) && strcmp(o->valuestring, cands[j]) == 0) found = j;
    if (found < 0 || seen[found]) abort();
    seen[found] = 1;
  }
  if (cJSON_GetArraySize(cJSON_GetObjectItem(res, "items")) != 5) abort();
  if (any_fault && cJSON_GetArraySize(cJSON_GetObjectItem(res, "degraded")) == 0) abort();
  if (any_fault && cJSON_GetArraySize(cJSON_GetObjectItem(res, "fallbacks")) == 0) abort();
  static const char *const causes[] = {"network", "timeout", "budget", "deadline",     "cancelled",
                                       "refusal", "status",  "parse",  "out_of_memory"};
  const cJSON *f;
  cJSON_ArrayForEach(f, cJSON_GetObjectItem(res, "fallbacks")) {
    const cJSON *c = cJSON_GetObjectItem(f, "cause"), *fb = cJSON_GetObjectItem(f, "fallback");
    int known = 0;
    for (size_t k = 0; cJSON_IsString(c) && k < sizeof causes / sizeof causes[0]; k++)
      known |= strcmp(c->valuestring, causes[k]) == 0;
    if (!known || !cJSON_IsString(fb) || strcmp(fb->valuestring, "offline") != 0) abort();
  }
  cJSON_Delete(res);
  arag_session_free(eng, sid);
  if (arag_engine_sessions(eng) != 0) abort();
  fp_free(&p);
  arag_engine_free(eng);
  arag_history_free(h);
  arag_catalog_free(cat);
  return 0;
}
