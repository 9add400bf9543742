/* The configuration unit (src/pipeline/config.c): each key's range and message, keys a
 * request may not set, nothing changed by a failed apply, and the JSON form applying
 * back onto the defaults as the same configuration. */
#include "config.h"
#include "errbuf.h"
#include "test.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

/* arag_config_apply and arag_config_parse with err holding the message's text (after its
 * status name; "" on success). */
static arag_status apply_to(arag_config *c, const cJSON *o, int per_request, char *err,
                            size_t cap) {
  arag_error e;
  arag_status st = arag_config_apply(c, o, per_request, &e);
  snprintf(err, cap, "%s", st == ARAG_OK ? "" : arag_err_text(e.message));
  CHECK(st == ARAG_OK || e.status == st);
  return st;
}
static arag_status parse_to(const char *json, size_t len, arag_config *c, char *err, size_t cap) {
  arag_error e;
  arag_status st = arag_config_parse(json, len, c, &e);
  snprintf(err, cap, "%s", st == ARAG_OK ? "" : arag_err_text(e.message));
  CHECK(st == ARAG_OK || e.status == st);
  return st;
}

/* Applies json onto the defaults; the status, and err holds the message. */
static arag_status apply(const char *json, int per_request, arag_config *c, char *err, size_t cap) {
  arag_config_default(c);
  cJSON *o = cJSON_Parse(json);
  CHECK(o != NULL);
  err[0] = 0;
  arag_status st = apply_to(c, o, per_request, err, cap);
  cJSON_Delete(o);
  return st;
}

static void test_messages(void) {
  static const struct {
    const char *json;
    const char *msg;
  } bad[] = {
      {"{\"theta\": 1.5}", "config \"theta\" must be a number in [0, 1]"},
      {"{\"temperature\": -1}", "config \"temperature\" must be a number in [0, 2]"},
      {"{\"nli_batch\": 2.5}", "config \"nli_batch\" must be an integer in [1, 1000]"},
      {"{\"k\": 0}", "config \"k\" must be an integer in [1, 100000]"},
      {"{\"backend\": \"cloud\"}", "config \"backend\" must be \"offline\" or \"host\""},
      {"{\"backend\": 1}", "config \"backend\" must be \"offline\" or \"host\""},
      {"{\"fallback\": \"none\"}", "config \"fallback\" must be \"offline\" or \"retrieval\""},
      {"{\"trace_prompts\": 1}", "config \"trace_prompts\" must be true or false"},
      {"{\"agents\": true}", "config \"agents\" must be an object like {\"nli\": false}"},
      {"{\"agents\": {\"xyz\": true}}",
       "config \"agents.xyz\": unknown agent (uua, nli, csa, ira)"},
      {"{\"agents\": {\"ira\": 0}}", "config \"agents.ira\" must be true or false"},
      {"{\"reasoner\": []}", "config \"reasoner\" must be an object like {\"nli_isim\": 9}"},
      {"{\"reasoner\": {\"nope\": 1}}", "config \"reasoner.nope\": unknown parameter"},
      {"{\"thetaa\": 0.5}", "unknown config key \"thetaa\""},
      {"[1]", "config must be a JSON object"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    arag_config c;
    char err[256];
    arag_status st = apply(bad[i].json, 0, &c, err, sizeof err);
    CHECK(st == ARAG_E_INVALID || st == ARAG_E_JSON);
    if (strcmp(err, bad[i].msg) != 0) {
      fprintf(stderr, "  %s: \"%s\", want \"%s\"\n", bad[i].json, err, bad[i].msg);
      CHECK(0);
    }
  }
}

static void test_per_request(void) {
  const char *engine_only[] = {"max_candidates", "max_request_bytes", "max_answer_bytes"};
  for (int i = 0; i < 3; i++) {
    char json[64], want[128], err[256];
    snprintf(json, sizeof json, "{\"%s\": 2048}", engine_only[i]);
    snprintf(want, sizeof want, "config \"%s\" is an engine limit and cannot be set per request",
             engine_only[i]);
    arag_config c;
    CHECK_EQ_INT(apply(json, 1, &c, err, sizeof err), ARAG_E_INVALID);
    CHECK(strcmp(err, want) == 0);
    CHECK_EQ_INT(apply(json, 0, &c, err, sizeof err), ARAG_OK);
  }
}

/* A failed apply leaves the configuration as it was, even after keys that applied. */
static char *json_text(const arag_config *c) {
  cJSON *j = arag_config_json(c);
  char *s = j ? cJSON_PrintUnformatted(j) : NULL;
  cJSON_Delete(j);
  return s;
}

static void test_all_or_nothing(void) {
  arag_config c;
  arag_config_default(&c);
  char *before = json_text(&c);
  cJSON *o = cJSON_Parse("{\"k\": 3, \"agents\": {\"nli\": false}, \"theta\": 7}");
  char err[256];
  CHECK_EQ_INT(apply_to(&c, o, 0, err, sizeof err), ARAG_E_INVALID);
  char *after = json_text(&c);
  CHECK(before && after && strcmp(before, after) == 0);
  CHECK_EQ_INT(c.k, 10);
  CHECK_EQ_INT(c.agents[1], 1);
  free(before);
  free(after);
  cJSON_Delete(o);
}

static void test_json_round_trip(void) {
  arag_config c;
  char err[256];
  CHECK_EQ_INT(apply("{\"backend\": \"host\", \"fallback\": \"retrieval\", \"theta\": 0.3, "
                     "\"agents\": {\"csa\": false}, \"k\": 7, \"temperature\": 0.7, "
                     "\"trace_prompts\": true}",
                     0, &c, err, sizeof err),
               ARAG_OK);
  CHECK_EQ_INT(c.backend, ARAG_BACKEND_HOST);
  CHECK_EQ_INT(c.fallback, ARAG_FALLBACK_RETRIEVAL);
  CHECK_EQ_INT(c.agents[2], 0);
  CHECK_EQ_INT(c.agents[3], 1);
  CHECK_EQ_INT(c.k, 7);
  CHECK_EQ_INT(c.trace_prompts, 1);
  cJSON *j = arag_config_json(&c);
  CHECK(j != NULL);
  arag_config back;
  arag_config_default(&back);
  CHECK_EQ_INT(apply_to(&back, j, 0, err, sizeof err), ARAG_OK);
  cJSON *j2 = arag_config_json(&back);
  char *a = cJSON_PrintUnformatted(j), *b = cJSON_PrintUnformatted(j2);
  CHECK(a && b && strcmp(a, b) == 0);
  CHECK(back.theta == c.theta && back.temperature == c.temperature);
  free(a);
  free(b);
  cJSON_Delete(j);
  cJSON_Delete(j2);
}

static void test_parse(void) {
  arag_config c;
  char err[256] = "";
  CHECK_EQ_INT(parse_to(NULL, 0, &c, err, sizeof err), ARAG_OK);
  CHECK_EQ_INT(c.top_k, 50);
  CHECK_EQ_INT(parse_to("{\"top_k\": 2000}", 15, &c, err, sizeof err), ARAG_E_LIMIT);
  CHECK(strcmp(err, "\"top_k\" (2000) is past max_candidates (1000)") == 0);
  CHECK_EQ_INT(parse_to("{\"k\": 1", 7, &c, err, sizeof err), ARAG_E_JSON);
  CHECK(strcmp(err, "config is not valid JSON") == 0);
}

int main(void) {
  RUN(test_messages);
  RUN(test_per_request);
  RUN(test_all_or_nothing);
  RUN(test_json_round_trip);
  RUN(test_parse);
  return test_report();
}
