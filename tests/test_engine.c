/* Engine: configuration parsing and validation, per-request overrides, limits and
 * input errors (clear status, message, no session created). */
#include "arag.h"
#include "strbuf.h"
#include "test.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

static arag_engine *engine(const char *cfg) {
  arag_engine *e = NULL;
  arag_status st = arag_engine_create(cfg, cfg ? strlen(cfg) : 0, &e);
  CHECK_EQ_INT(st, ARAG_OK);
  return e;
}

static cJSON *config_of(arag_engine *e) {
  const char *s = arag_engine_config(e);
  CHECK(s != NULL);
  return s ? cJSON_Parse(s) : NULL;
}

static void test_defaults(void) {
  arag_engine *e = engine(NULL);
  cJSON *c = config_of(e);
  CHECK(c != NULL);
  if (c) {
    CHECK(strcmp(cJSON_GetObjectItem(c, "backend")->valuestring, "offline") == 0);
    CHECK_NEAR(cJSON_GetObjectItem(c, "theta")->valuedouble, 0.5, 0);
    CHECK_EQ_INT(cJSON_GetObjectItem(c, "nli_batch")->valueint, 10);
    CHECK_EQ_INT(cJSON_GetObjectItem(c, "session_len")->valueint, 5);
    CHECK_EQ_INT(cJSON_GetObjectItem(c, "long_term_len")->valueint, 50);
    CHECK_EQ_INT(cJSON_GetObjectItem(c, "k")->valueint, 10);
    CHECK_EQ_INT(cJSON_GetObjectItem(c, "max_candidates")->valueint, 1000);
    cJSON *a = cJSON_GetObjectItem(c, "agents");
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(a, "uua")) &&
          cJSON_IsTrue(cJSON_GetObjectItem(a, "nli")) &&
          cJSON_IsTrue(cJSON_GetObjectItem(a, "csa")) &&
          cJSON_IsTrue(cJSON_GetObjectItem(a, "ira")));
  }
  cJSON_Delete(c);
  arag_engine_free(e);

  /* Empty string is the defaults too; values round-trip. */
  e = engine("{\"backend\":\"host\",\"theta\":0.3,\"min_keep\":0,\"nli_batch\":1,"
             "\"max_in_flight\":2,\"top_k\":20,\"k\":5,\"session_len\":3,\"long_term_len\":7,"
             "\"agents\":{\"nli\":false},\"max_prompt_item_chars\":64,\"max_tokens\":99,"
             "\"temperature\":0.7,\"max_candidates\":100}");
  c = config_of(e);
  if (c) {
    CHECK(strcmp(cJSON_GetObjectItem(c, "backend")->valuestring, "host") == 0);
    CHECK_NEAR(cJSON_GetObjectItem(c, "theta")->valuedouble, 0.3, 1e-12);
    CHECK_EQ_INT(cJSON_GetObjectItem(c, "min_keep")->valueint, 0);
    CHECK_EQ_INT(cJSON_GetObjectItem(c, "nli_batch")->valueint, 1);
    CHECK_EQ_INT(cJSON_GetObjectItem(c, "max_in_flight")->valueint, 2);
    CHECK_EQ_INT(cJSON_GetObjectItem(c, "top_k")->valueint, 20);
    CHECK_EQ_INT(cJSON_GetObjectItem(c, "k")->valueint, 5);
    CHECK_EQ_INT(cJSON_GetObjectItem(c, "session_len")->valueint, 3);
    CHECK_EQ_INT(cJSON_GetObjectItem(c, "long_term_len")->valueint, 7);
    CHECK_EQ_INT(cJSON_GetObjectItem(c, "max_prompt_item_chars")->valueint, 64);
    CHECK_EQ_INT(cJSON_GetObjectItem(c, "max_tokens")->valueint, 99);
    CHECK_NEAR(cJSON_GetObjectItem(c, "temperature")->valuedouble, 0.7, 1e-12);
    CHECK_EQ_INT(cJSON_GetObjectItem(c, "max_candidates")->valueint, 100);
    cJSON *a = cJSON_GetObjectItem(c, "agents");
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(a, "nli")) &&
          cJSON_IsTrue(cJSON_GetObjectItem(a, "uua")));
    /* The effective config re-creates the same engine. */
    char *again = cJSON_PrintUnformatted(c);
    arag_engine *e2 = engine(again);
    CHECK(e2 && strcmp(arag_engine_config(e2), again) == 0);
    arag_engine_free(e2);
    free(again);
  }
  cJSON_Delete(c);
  arag_engine_free(e);
}

static void test_bad_config(void) {
  const char *bad[] = {"{\"theta\": 1.5}",
                       "{\"theta\": \"high\"}",
                       "{\"nli_batch\": 0}",
                       "{\"nli_batch\": 2.5}",
                       "{\"max_in_flight\": -1}",
                       "{\"k\": 0}",
                       "{\"backend\": \"cloud\"}",
                       "{\"agents\": {\"xyz\": true}}",
                       "{\"agents\": {\"nli\": 0}}",
                       "{\"agents\": true}",
                       "{\"thetaa\": 0.5}",
                       "{\"temperature\": 3}",
                       "{\"max_prompt_item_chars\": 1}",
                       "{\"top_k\": 2000}",
                       "[1,2]",
                       "{\"theta\": 0.5",
                       "not json"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    arag_engine *e = (arag_engine *)&bad; /* must be reset to NULL */
    arag_status st = arag_engine_create(bad[i], strlen(bad[i]), &e);
    /* "top_k" past max_candidates is the limit; the rest bad values or bad JSON. */
    CHECK(st == (strstr(bad[i], "top_k") ? ARAG_E_LIMIT
                 : st == ARAG_E_JSON     ? ARAG_E_JSON
                                         : ARAG_E_INVALID));
    CHECK(e == NULL);
    if (st == ARAG_OK) arag_engine_free(e);
  }
  CHECK_EQ_INT(arag_engine_create("{}", 2, NULL), ARAG_E_INVALID);

  /* arag_engine_configure gives the message, all-or-nothing. */
  arag_engine *e = engine(NULL);
  const char *before = arag_engine_config(e);
  char *saved = before ? arag_strndup(before, strlen(before)) : NULL;
  const char *cfg = "{\"k\": 3, \"nli_batch\": 0}";
  CHECK_EQ_INT(arag_engine_configure(e, cfg, strlen(cfg)), ARAG_E_INVALID);
  CHECK(strstr(arag_engine_last_error(e), "nli_batch") != NULL);
  CHECK(saved && strcmp(arag_engine_config(e), saved) == 0);
  cfg = "{\"agents\": {\"uua\": 1}}";
  CHECK_EQ_INT(arag_engine_configure(e, cfg, strlen(cfg)), ARAG_E_INVALID);
  CHECK(strstr(arag_engine_last_error(e), "agents.uua") != NULL);
  cfg = "{\"colour\": 1}";
  CHECK_EQ_INT(arag_engine_configure(e, cfg, strlen(cfg)), ARAG_E_INVALID);
  CHECK(strstr(arag_engine_last_error(e), "colour") != NULL);
  cfg = "{\"k\": 3, \"theta\": 0.25}";
  CHECK_EQ_INT(arag_engine_configure(e, cfg, strlen(cfg)), ARAG_OK);
  cJSON *c = config_of(e);
  CHECK(c && cJSON_GetObjectItem(c, "k")->valueint == 3);
  CHECK(c && fabs(cJSON_GetObjectItem(c, "theta")->valuedouble - 0.25) < 1e-12);
  cJSON_Delete(c);
  free(saved);
  arag_engine_free(e);
}

static arag_catalog *catalog(void) {
  arag_catalog *cat = NULL;
  CHECK_EQ_INT(arag_catalog_create(ARAG_EMBED_DEFAULT_DIM, NULL, &cat), ARAG_OK);
  const char *items = "{\"id\":\"a\",\"title\":\"Red lipstick\"}\n"
                      "{\"id\":\"b\",\"title\":\"Blue nail polish\"}\n"
                      "{\"id\":\"c\",\"title\":\"Herbal shampoo\"}\n";
  CHECK_EQ_INT(arag_catalog_add_json(cat, items, strlen(items)), ARAG_OK);
  return cat;
}

/* start must fail with want, name `needle` in the message and create no session. */
static void start_fails(arag_engine *e, const arag_catalog *cat, const char *req, arag_status want,
                        const char *needle) {
  uint32_t sid = 77;
  arag_status st = arag_recommend_start(e, cat, NULL, req, req ? strlen(req) : 0, &sid);
  CHECK_EQ_INT(st, want);
  CHECK_EQ_INT(sid, 0);
  CHECK_EQ_INT(arag_engine_sessions(e), 0);
  if (needle && !strstr(arag_engine_last_error(e), needle)) {
    fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", arag_engine_last_error(e), needle);
    CHECK(0);
  }
}

static void test_request_errors(void) {
  arag_engine *e = engine("{\"max_candidates\": 3, \"top_k\": 3}");
  arag_catalog *cat = catalog();
  start_fails(e, cat, "{\"candidates\": [\"a\", \"zzz\"]}", ARAG_E_NOT_FOUND, "zzz");
  start_fails(e, cat, "{\"candidates\": [\"a\", \"a\"]}", ARAG_E_INVALID, "duplicate");
  start_fails(e, cat, "{\"candidates\": []}", ARAG_E_INVALID, "empty");
  start_fails(e, cat, "{\"candidates\": [\"a\",\"b\",\"c\",\"d\"]}", ARAG_E_LIMIT,
              "max_candidates");
  start_fails(e, cat, "{\"candidates\": [1]}", ARAG_E_JSON, "candidate 0");
  start_fails(e, cat, "{\"candidates\": \"a\"}", ARAG_E_JSON, "candidates");
  start_fails(e, cat, "{\"candidates\": [{\"id\":\"x\",\"vector\":[1,2]}]}", ARAG_E_DIM,
              "candidate 0");
  start_fails(e, cat, "{\"candidates\": [\"a\"", ARAG_E_JSON, "JSON");
  start_fails(e, cat, "[]", ARAG_E_JSON, "object");
  start_fails(e, cat, "{\"config\": {\"theta\": 9}}", ARAG_E_INVALID, "theta");
  start_fails(e, cat, "{\"config\": {\"agents\": {\"nli\": \"no\"}}}", ARAG_E_INVALID,
              "agents.nli");
  start_fails(e, cat, "{\"config\": {\"max_candidates\": 5}}", ARAG_E_INVALID, "max_candidates");
  start_fails(e, cat, "{\"config\": 3}", ARAG_E_JSON, "config");
  start_fails(e, cat, "{\"k\": 0}", ARAG_E_INVALID, "\"k\"");
  start_fails(e, cat, "{\"top_k\": 50}", ARAG_E_LIMIT, "top_k");
  start_fails(e, NULL, "{}", ARAG_E_INVALID, "catalog");
  start_fails(e, NULL, "{\"candidates\": [\"a\"]}", ARAG_E_INVALID, "no catalog");
  CHECK_EQ_INT(arag_recommend_start(e, cat, NULL, "{}", 2, NULL), ARAG_E_INVALID);
  arag_engine_free(e);

  /* Oversized request. */
  e = engine("{\"max_request_bytes\": 1024}");
  char big[2048];
  memset(big, ' ', sizeof big);
  memcpy(big, "{}", 2);
  uint32_t sid = 5;
  CHECK_EQ_INT(arag_recommend_start(e, cat, NULL, big, sizeof big, &sid), ARAG_E_LIMIT);
  CHECK_EQ_INT(arag_engine_sessions(e), 0);
  CHECK(strstr(arag_engine_last_error(e), "max_request_bytes") != NULL);
  arag_engine_free(e);

  /* Host backend without a fetch callback (native builds have no default). */
  e = engine("{\"backend\": \"host\"}");
  start_fails(e, cat, "{}", ARAG_E_STATE, "fetch");
  arag_engine_free(e);

  /* The engine keeps working after errors: a good request now succeeds. */
  e = engine(NULL);
  start_fails(e, cat, "{\"candidates\": [\"nope\"]}", ARAG_E_NOT_FOUND, "nope");
  const char *ok = "{\"candidates\": [\"a\", {\"id\":\"new\",\"title\":\"Pink lipstick\"}]}";
  CHECK_EQ_INT(arag_recommend_start(e, cat, NULL, ok, strlen(ok), &sid), ARAG_OK);
  CHECK(sid != 0);
  const char *res = NULL;
  size_t len = 0;
  CHECK_EQ_INT(arag_session_result(e, sid, &res, &len), ARAG_OK);
  cJSON *r = res ? cJSON_Parse(res) : NULL;
  CHECK(r && cJSON_GetArraySize(cJSON_GetObjectItem(r, "order")) == 2);
  cJSON_Delete(r);
  /* Sessions of unknown ids. */
  arag_session_state st;
  CHECK_EQ_INT(arag_session_state_get(e, sid + 1, &st), ARAG_E_NOT_FOUND);
  CHECK_EQ_INT(arag_session_cancel(e, sid + 1), ARAG_E_NOT_FOUND);
  CHECK_EQ_INT(arag_session_result(e, sid + 1, &res, &len), ARAG_E_NOT_FOUND);
  arag_session_free(e, sid + 1); /* no-op */
  CHECK_EQ_INT(arag_engine_sessions(e), 1);
  arag_engine_free(e); /* frees the live session */
  arag_catalog_free(cat);
}

static void test_context_split(void) {
  /* session_len / long_term_len cut the history: check through the trace. */
  arag_history *h = NULL;
  CHECK_EQ_INT(arag_history_create(ARAG_EMBED_DEFAULT_DIM, NULL, &h), ARAG_OK);
  arag_sb b;
  arag_sb_init(&b);
  for (int i = 0; i < 12; i++)
    arag_sb_printf(&b, "{\"id\":\"h%d\",\"ts\":%d,\"title\":\"lipstick %d\"}\n", i, i, i);
  char *s = arag_sb_take(&b, NULL);
  CHECK_EQ_INT(arag_history_add_json(h, s, strlen(s)), ARAG_OK);
  free(s);
  arag_engine *e = engine("{\"session_len\": 3, \"long_term_len\": 4}");
  const char *req = "{\"candidates\": [{\"id\":\"x\",\"title\":\"lipstick red\"},"
                    "{\"id\":\"y\",\"title\":\"garden hose\"}]}";
  uint32_t sid = 0;
  CHECK_EQ_INT(arag_recommend_start(e, NULL, h, req, strlen(req), &sid), ARAG_OK);
  const char *res = NULL;
  CHECK_EQ_INT(arag_session_result(e, sid, &res, NULL), ARAG_OK);
  cJSON *r = res ? cJSON_Parse(res) : NULL;
  cJSON *ctx = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "trace"), "context");
  cJSON *lt = cJSON_GetObjectItem(ctx, "long_term"), *se = cJSON_GetObjectItem(ctx, "session");
  CHECK_EQ_INT(cJSON_GetArraySize(lt), 4);
  CHECK_EQ_INT(cJSON_GetArraySize(se), 3);
  CHECK(lt && strcmp(cJSON_GetArrayItem(lt, 0)->valuestring, "h5") == 0);
  CHECK(se && strcmp(cJSON_GetArrayItem(se, 2)->valuestring, "h11") == 0);
  /* Retrieval: the lipstick candidate is nearer a lipstick history. */
  cJSON *i0 = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "trace"), "i0");
  CHECK(i0 && strcmp(cJSON_GetObjectItem(cJSON_GetArrayItem(i0, 0), "id")->valuestring, "x") == 0);
  cJSON_Delete(r);
  arag_engine_free(e);
  arag_history_free(h);
}

static void test_ties_keep_input_order(void) {
  /* No history: every cosine is 0, so I0 is the input order. */
  arag_engine *e = engine(NULL);
  const char *req =
      "{\"candidates\": [{\"id\":\"3\",\"title\":\"c\"},{\"id\":\"1\",\"title\":\"a\"},"
      "{\"id\":\"2\",\"title\":\"b\"}], \"config\": {\"agents\": {\"ira\": false, "
      "\"nli\": false}}}";
  uint32_t sid = 0;
  CHECK_EQ_INT(arag_recommend_start(e, NULL, NULL, req, strlen(req), &sid), ARAG_OK);
  const char *res = NULL;
  CHECK_EQ_INT(arag_session_result(e, sid, &res, NULL), ARAG_OK);
  cJSON *r = res ? cJSON_Parse(res) : NULL;
  cJSON *order = cJSON_GetObjectItem(r, "order");
  CHECK(order && strcmp(cJSON_GetArrayItem(order, 0)->valuestring, "3") == 0 &&
        strcmp(cJSON_GetArrayItem(order, 1)->valuestring, "1") == 0 &&
        strcmp(cJSON_GetArrayItem(order, 2)->valuestring, "2") == 0);
  cJSON_Delete(r);
  arag_engine_free(e);
}

static void test_edge_inputs(void) {
  arag_catalog *cat = catalog();
  arag_engine *e = engine(NULL);
  /* Every catalog item is in the history: I0 is empty, the session still ends. */
  arag_history *h = NULL;
  CHECK_EQ_INT(arag_history_create(ARAG_EMBED_DEFAULT_DIM, NULL, &h), ARAG_OK);
  const char *ev = "{\"id\":\"a\",\"ts\":1}\n{\"id\":\"b\",\"ts\":2}\n{\"id\":\"c\",\"ts\":3}";
  CHECK_EQ_INT(arag_history_add_json(h, ev, strlen(ev)), ARAG_OK);
  uint32_t sid = 0;
  CHECK_EQ_INT(arag_recommend_start(e, cat, h, "{}", 2, &sid), ARAG_OK);
  const char *res = NULL;
  CHECK_EQ_INT(arag_session_result(e, sid, &res, NULL), ARAG_OK);
  cJSON *r = res ? cJSON_Parse(res) : NULL;
  CHECK(r && cJSON_GetArraySize(cJSON_GetObjectItem(r, "order")) == 0);
  CHECK(r && cJSON_GetArraySize(cJSON_GetObjectItem(r, "items")) == 0);
  CHECK(r && cJSON_GetObjectItem(cJSON_GetObjectItem(r, "usage"), "calls")->valueint == 0);
  cJSON_Delete(r);
  arag_history_free(h);

  /* A history in another dimension: the events take the catalog's vectors. */
  CHECK_EQ_INT(arag_history_create(64, NULL, &h), ARAG_OK);
  const char *ev2 = "{\"id\":\"a\",\"ts\":1,\"title\":\"Red lipstick\"}";
  CHECK_EQ_INT(arag_history_add_json(h, ev2, strlen(ev2)), ARAG_OK);
  const char *req = "{\"candidates\": [\"c\", \"b\"], \"config\": {\"agents\": {\"ira\": false, "
                    "\"nli\": false}}}";
  CHECK_EQ_INT(arag_recommend_start(e, cat, h, req, strlen(req), &sid), ARAG_OK);
  CHECK_EQ_INT(arag_session_result(e, sid, &res, NULL), ARAG_OK);
  r = res ? cJSON_Parse(res) : NULL;
  cJSON *i0 = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "trace"), "i0");
  CHECK_EQ_INT(cJSON_GetArraySize(i0), 2);
  /* Scored in the catalog's 512-d space (ASan would catch a 64-d vector read as
   * 512-d): values are finite and I0 is in descending order. */
  if (cJSON_GetArraySize(i0) == 2)
    CHECK(cJSON_GetObjectItem(cJSON_GetArrayItem(i0, 0), "retrieval")->valuedouble >=
          cJSON_GetObjectItem(cJSON_GetArrayItem(i0, 1), "retrieval")->valuedouble);
  cJSON_Delete(r);
  arag_history_free(h);
  arag_engine_free(e);
  arag_catalog_free(cat);
}

int main(void) {
  RUN(test_defaults);
  RUN(test_bad_config);
  RUN(test_request_errors);
  RUN(test_context_split);
  RUN(test_ties_keep_input_order);
  RUN(test_edge_inputs);
  return test_report();
}
