/* Regressions found by the hardening work (fuzzing, injection and fault suites), one
 * test each, named after what went wrong. */
#include "arag.h"
#include "test.h"

#include <string.h>

/* A candidate id with an escaped NUL ("b\u0000zz") was cut to "b" by the NUL-terminated
 * strings inside: the result then named an id the caller never sent (or the request
 * failed with a confusing "duplicate candidate id"). Now refused like item batches. */
static void test_request_nul_escape_refused(void) {
  arag_engine *eng = NULL;
  CHECK_EQ_INT(arag_engine_create(NULL, 0, &eng), ARAG_OK);
  arag_catalog *cat = NULL;
  CHECK_EQ_INT(arag_catalog_create(32, NULL, &cat), ARAG_OK);
  if (!eng || !cat) return;
  const char items[] = "{\"id\":\"b\",\"title\":\"Brush\"}\n{\"id\":\"c\",\"title\":\"Comb\"}";
  CHECK_EQ_INT(arag_catalog_add_json(cat, items, sizeof items - 1), ARAG_OK);
  static const char *const bad[] = {
      "{\"candidates\":[\"b\\u0000zz\",\"c\"]}",
      "{\"candidates\":[{\"id\":\"q\",\"title\":\"a\\u0000 hidden\"},\"b\"]}",
      "{\"candidates\":[\"b\",\"c\"],\"config\":{\"backend\":\"offline\\u0000x\"}}",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    uint32_t sid = 99;
    CHECK_EQ_INT(arag_recommend_start(eng, cat, NULL, bad[i], strlen(bad[i]), &sid), ARAG_E_JSON);
    CHECK_EQ_INT(sid, 0);
    CHECK(strstr(arag_engine_last_error(eng), "NUL") != NULL);
    CHECK_EQ_INT(arag_engine_sessions(eng), 0);
  }
  /* An escaped backslash followed by "u0000" is ordinary text. */
  const char ok[] = "{\"candidates\":[{\"id\":\"q\\\\u0000\",\"title\":\"Slash\"},\"b\"]}";
  uint32_t sid = 0;
  CHECK_EQ_INT(arag_recommend_start(eng, cat, NULL, ok, strlen(ok), &sid), ARAG_OK);
  const char *json = NULL;
  size_t len = 0;
  CHECK_EQ_INT(arag_session_result(eng, sid, &json, &len), ARAG_OK);
  CHECK(json && strstr(json, "\"q\\\\u0000\"") != NULL);
  arag_session_free(eng, sid);
  arag_catalog_free(cat);
  arag_engine_free(eng);
}

int main(void) {
  RUN(test_request_nul_escape_refused);
  return test_report();
}
