/* The one error type: arag_err_set / arag_err_prefix, the NULL-handle message, what each
 * create call reports when it fails (the _err variants), the one top_k rule, and the
 * module's description of itself (arag_abi_json) against the compiler's layout. */
#include "arag.h"
#include "cJSON.h"
#include "errbuf.h"
#include "test.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_STR(a, b)                                                                            \
  do {                                                                                             \
    const char *sa_ = (a), *sb_ = (b);                                                             \
    CHECK(strcmp(sa_, sb_) == 0);                                                                  \
    if (strcmp(sa_, sb_) != 0) fprintf(stderr, "  \"%s\"\n  != \"%s\"\n", sa_, sb_);               \
  } while (0)

static void test_set_and_prefix(void) {
  arag_error e;
  arag_err_clear(&e);
  CHECK_EQ_INT(e.status, ARAG_OK);
  CHECK_STR(e.message, "");
  CHECK_EQ_INT(arag_err_set(&e, ARAG_E_DIM, "vector has %u dims", 3u), ARAG_E_DIM);
  CHECK_EQ_INT(e.status, ARAG_E_DIM);
  CHECK_STR(e.message, "ARAG_E_DIM: vector has 3 dims");
  CHECK_STR(arag_err_text(e.message), "vector has 3 dims");
  CHECK_STR(arag_err_text("no status here"), "no status here");
  /* Its own message as an argument. */
  arag_err_set(&e, ARAG_E_LIMIT, "again: %s", e.message);
  CHECK_STR(e.message, "ARAG_E_LIMIT: again: ARAG_E_DIM: vector has 3 dims");
  /* Context from a caller, after the status name. */
  arag_err_set(&e, ARAG_E_JSON, "\"title\" is missing");
  CHECK_EQ_INT(arag_err_prefix(&e, ARAG_E_JSON, "item %d", 7), ARAG_E_JSON);
  CHECK_STR(e.message, "ARAG_E_JSON: item 7: \"title\" is missing");
  /* NULL: nothing written, the status returned. */
  CHECK_EQ_INT(arag_err_set(NULL, ARAG_E_NOMEM, "x"), ARAG_E_NOMEM);
  CHECK_EQ_INT(arag_err_prefix(NULL, ARAG_E_NOMEM, "x"), ARAG_E_NOMEM);
  /* Cut to fit, NUL-terminated. */
  char long_text[1000];
  memset(long_text, 'x', sizeof long_text - 1);
  long_text[sizeof long_text - 1] = '\0';
  arag_err_set(&e, ARAG_E_INVALID, "%s", long_text);
  CHECK_EQ_INT(strlen(e.message), ARAG_ERROR_MESSAGE_BYTES - 1);
  CHECK(strncmp(e.message, "ARAG_E_INVALID: xxx", 19) == 0);
  arag_err_prefix(&e, ARAG_E_INVALID, "item %d", 1);
  CHECK_EQ_INT(strlen(e.message), ARAG_ERROR_MESSAGE_BYTES - 1);
  CHECK(strncmp(e.message, "ARAG_E_INVALID: item 1: xxx", 27) == 0);
  /* Every status: the message starts with the name arag_strerror gives. */
  for (int s = 0; s <= ARAG_E_CANCELLED; s++) {
    arag_err_set(&e, (arag_status)s, "t");
    const char *name = arag_strerror((arag_status)s);
    size_t n = strcspn(name, ":");
    CHECK(strncmp(e.message, name, n) == 0 && strcmp(e.message + n, ": t") == 0);
  }
}

static void test_null_handles(void) {
  CHECK_STR(arag_index_last_error(NULL), ARAG_ERR_NULL_HANDLE);
  CHECK_STR(arag_catalog_last_error(NULL), ARAG_ERR_NULL_HANDLE);
  CHECK_STR(arag_history_last_error(NULL), ARAG_ERR_NULL_HANDLE);
  CHECK_STR(arag_engine_last_error(NULL), ARAG_ERR_NULL_HANDLE);
  CHECK_STR(ARAG_ERR_NULL_HANDLE, "ARAG_E_INVALID: NULL handle");
}

/* A create that must fail with want and message msg, leaving *out NULL. */
#define CREATE_FAILS(call, out, want, msg)                                                         \
  do {                                                                                             \
    arag_error err_;                                                                               \
    memset(&err_, 0x5a, sizeof err_);                                                              \
    (out) = (void *)&err_; /* must be reset */                                                     \
    arag_error *errp_ = &err_;                                                                     \
    arag_status st_ = (call);                                                                      \
    CHECK_EQ_INT(st_, want);                                                                       \
    CHECK_EQ_INT(err_.status, want);                                                               \
    CHECK((out) == NULL);                                                                          \
    CHECK_STR(err_.message, msg);                                                                  \
    (void)errp_;                                                                                   \
  } while (0)

static arag_limits limits_with(uint32_t max_dim) {
  arag_limits l;
  arag_limits_default(&l);
  l.max_dim = max_dim;
  return l;
}

static void test_index_create(void) {
  arag_index *ix;
  arag_limits zero = limits_with(0), huge = limits_with(1u << 30), small = limits_with(4);
  CREATE_FAILS(arag_index_create_err(0, ARAG_F32, ARAG_COSINE, 0, NULL, &ix, errp_), ix,
               ARAG_E_INVALID, "ARAG_E_INVALID: dim is 0");
  CREATE_FAILS(arag_index_create_err(8, (arag_dtype)7, ARAG_COSINE, 0, NULL, &ix, errp_), ix,
               ARAG_E_INVALID, "ARAG_E_INVALID: dtype 7 is not ARAG_F32 or ARAG_I8");
  CREATE_FAILS(arag_index_create_err(8, ARAG_F32, (arag_metric)9, 0, NULL, &ix, errp_), ix,
               ARAG_E_INVALID, "ARAG_E_INVALID: metric 9 is not ARAG_COSINE or ARAG_DOT");
  CREATE_FAILS(arag_index_create_err(5000, ARAG_F32, ARAG_COSINE, 0, NULL, &ix, errp_), ix,
               ARAG_E_LIMIT, "ARAG_E_LIMIT: dim 5000 is above max_dim 4096");
  CREATE_FAILS(arag_index_create_err(8, ARAG_F32, ARAG_COSINE, 0, &small, &ix, errp_), ix,
               ARAG_E_LIMIT, "ARAG_E_LIMIT: dim 8 is above max_dim 4");
  CREATE_FAILS(arag_index_create_err(8, ARAG_F32, ARAG_COSINE, 0, &zero, &ix, errp_), ix,
               ARAG_E_INVALID, "ARAG_E_INVALID: limits must all be positive");
  CREATE_FAILS(arag_index_create_err(8, ARAG_F32, ARAG_COSINE, 0, &huge, &ix, errp_), ix,
               ARAG_E_LIMIT, "ARAG_E_LIMIT: max_dim 1073741824 is above the supported 65536");
  arag_error err;
  CHECK_EQ_INT(arag_index_create_err(8, ARAG_F32, ARAG_COSINE, 0, NULL, NULL, &err),
               ARAG_E_INVALID);
  CHECK_STR(err.message, "ARAG_E_INVALID: out is NULL");
  /* Success clears it; NULL err is fine; the plain create fails alike. */
  arag_err_set(&err, ARAG_E_DIM, "stale");
  CHECK_EQ_INT(arag_index_create_err(8, ARAG_I8, ARAG_DOT, 1, NULL, &ix, &err), ARAG_OK);
  CHECK(ix != NULL);
  CHECK_EQ_INT(err.status, ARAG_OK);
  CHECK_STR(err.message, "");
  arag_index_free(ix);
  CHECK_EQ_INT(arag_index_create_err(5000, ARAG_F32, ARAG_COSINE, 0, NULL, &ix, NULL),
               ARAG_E_LIMIT);
  CHECK_EQ_INT(arag_index_create(5000, ARAG_F32, ARAG_COSINE, 0, NULL, &ix), ARAG_E_LIMIT);
  CHECK(ix == NULL);
}

static void test_catalog_history_create(void) {
  arag_catalog *cat;
  arag_history *h;
  arag_limits small = limits_with(32), zero = limits_with(0);
  CREATE_FAILS(arag_catalog_create_err(0, ARAG_F32, NULL, &cat, errp_), cat, ARAG_E_INVALID,
               "ARAG_E_INVALID: dim is 0");
  CREATE_FAILS(arag_catalog_create_err(64, ARAG_F32, &small, &cat, errp_), cat, ARAG_E_LIMIT,
               "ARAG_E_LIMIT: dim 64 is above max_dim 32");
  CREATE_FAILS(arag_catalog_create_err(8, (arag_dtype)3, NULL, &cat, errp_), cat, ARAG_E_INVALID,
               "ARAG_E_INVALID: dtype 3 is not ARAG_F32 or ARAG_I8");
  CREATE_FAILS(arag_catalog_create_err(8, ARAG_F32, &zero, &cat, errp_), cat, ARAG_E_INVALID,
               "ARAG_E_INVALID: limits must all be positive");
  CREATE_FAILS(arag_history_create_err(0, NULL, &h, errp_), h, ARAG_E_INVALID,
               "ARAG_E_INVALID: dim is 0");
  CREATE_FAILS(arag_history_create_err(9000, NULL, &h, errp_), h, ARAG_E_LIMIT,
               "ARAG_E_LIMIT: dim 9000 is above max_dim 4096");
  CREATE_FAILS(arag_history_create_err(8, &zero, &h, errp_), h, ARAG_E_INVALID,
               "ARAG_E_INVALID: limits must all be positive");
  arag_error err;
  CHECK_EQ_INT(arag_catalog_create_err(8, ARAG_I8, NULL, &cat, &err), ARAG_OK);
  CHECK_EQ_INT(err.status, ARAG_OK);
  arag_catalog_free(cat);
  CHECK_EQ_INT(arag_history_create_err(8, NULL, &h, &err), ARAG_OK);
  CHECK_STR(err.message, "");
  arag_history_free(h);
  CHECK_EQ_INT(arag_catalog_create_err(8, ARAG_F32, NULL, NULL, &err), ARAG_E_INVALID);
  CHECK_STR(err.message, "ARAG_E_INVALID: out is NULL");
  CHECK_EQ_INT(arag_history_create_err(8, NULL, NULL, &err), ARAG_E_INVALID);
  CHECK_STR(err.message, "ARAG_E_INVALID: out is NULL");
}

static arag_status engine_create_str(const char *cfg, arag_engine **out, arag_error *err) {
  return arag_engine_create_err(cfg, cfg ? strlen(cfg) : 0, out, err);
}

static void test_engine_create(void) {
  arag_engine *e;
  CREATE_FAILS(engine_create_str("{\"theta\": ", &e, errp_), e, ARAG_E_JSON,
               "ARAG_E_JSON: config is not valid JSON");
  CREATE_FAILS(engine_create_str("[1]", &e, errp_), e, ARAG_E_JSON,
               "ARAG_E_JSON: config must be a JSON object");
  CREATE_FAILS(engine_create_str("{\"thetaa\": 0.5}", &e, errp_), e, ARAG_E_INVALID,
               "ARAG_E_INVALID: unknown config key \"thetaa\"");
  CREATE_FAILS(engine_create_str("{\"k\": 0}", &e, errp_), e, ARAG_E_INVALID,
               "ARAG_E_INVALID: config \"k\" must be an integer in [1, 100000]");
  CREATE_FAILS(engine_create_str("{\"top_k\": 2000}", &e, errp_), e, ARAG_E_LIMIT,
               "ARAG_E_LIMIT: \"top_k\" (2000) is past max_candidates (1000)");
  arag_error err;
  CHECK_EQ_INT(engine_create_str("{}", NULL, &err), ARAG_E_INVALID);
  CHECK_STR(err.message, "ARAG_E_INVALID: out is NULL");
  CHECK_EQ_INT(engine_create_str("{\"k\": 4}", &e, &err), ARAG_OK);
  CHECK_EQ_INT(err.status, ARAG_OK);

  /* The top_k rule is one rule: configure and a request's own top_k or config say the
   * same, with the same status. */
  CHECK_EQ_INT(arag_engine_configure(e, "{\"top_k\": 2000}", 15), ARAG_E_LIMIT);
  CHECK_STR(arag_engine_last_error(e),
            "ARAG_E_LIMIT: \"top_k\" (2000) is past max_candidates (1000)");
  arag_catalog *cat = NULL;
  CHECK_EQ_INT(arag_catalog_create(8, NULL, &cat), ARAG_OK);
  const char *reqs[] = {"{\"top_k\": 2000}", "{\"config\": {\"top_k\": 2000}}"};
  for (int i = 0; i < 2; i++) {
    uint32_t sid = 9;
    CHECK_EQ_INT(arag_recommend_start(e, cat, NULL, reqs[i], strlen(reqs[i]), &sid), ARAG_E_LIMIT);
    CHECK_STR(arag_engine_last_error(e),
              "ARAG_E_LIMIT: \"top_k\" (2000) is past max_candidates (1000)");
  }
  arag_catalog_free(cat);
  arag_engine_free(e);
}

/* arag_abi_json: the statuses are arag_strerror's, the layouts the compiler's. */
static void test_abi_json(void) {
  char *json = arag_abi_json();
  CHECK(json != NULL);
  cJSON *root = cJSON_Parse(json);
  CHECK(root != NULL);
  if (!root) {
    arag_free(json);
    return;
  }
  const cJSON *enums = cJSON_GetObjectItem(root, "enums");
  const cJSON *st = cJSON_GetObjectItem(enums, "arag_status");
  CHECK_EQ_INT(cJSON_GetArraySize(st), ARAG_E_CANCELLED + 1);
  const cJSON *v;
  cJSON_ArrayForEach(v, st) {
    const char *name = arag_strerror((arag_status)v->valueint);
    CHECK(strncmp(name, v->string, strlen(v->string)) == 0 && name[strlen(v->string)] == ':');
  }
  CHECK_EQ_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(enums, "arag_dtype"), "ARAG_I8")->valueint,
               ARAG_I8);
  CHECK_EQ_INT(
      cJSON_GetObjectItem(cJSON_GetObjectItem(enums, "arag_fetch_status"), "ARAG_FETCH_REFUSAL")
          ->valueint,
      ARAG_FETCH_REFUSAL);
  CHECK_EQ_INT(
      cJSON_GetObjectItem(cJSON_GetObjectItem(enums, "arag_session_state"), "ARAG_SESSION_DONE")
          ->valueint,
      ARAG_SESSION_DONE);
  const cJSON *structs = cJSON_GetObjectItem(root, "structs");
  const cJSON *lim = cJSON_GetObjectItem(structs, "arag_limits");
  CHECK_EQ_INT(cJSON_GetObjectItem(lim, "size")->valueint, sizeof(arag_limits));
  size_t sum = 0;
  const cJSON *f;
  cJSON_ArrayForEach(f, cJSON_GetObjectItem(lim, "fields")) {
    sum += (size_t)cJSON_GetObjectItem(f, "size")->valueint;
  }
  CHECK_EQ_INT(sum, sizeof(arag_limits)); /* no field left out */
  const cJSON *err = cJSON_GetObjectItem(structs, "arag_error");
  CHECK_EQ_INT(cJSON_GetObjectItem(err, "size")->valueint, sizeof(arag_error));
  const cJSON *msg = cJSON_GetArrayItem(cJSON_GetObjectItem(err, "fields"), 1);
  CHECK_EQ_INT(cJSON_GetObjectItem(msg, "offset")->valueint, offsetof(arag_error, message));
  CHECK_EQ_INT(cJSON_GetObjectItem(msg, "size")->valueint, ARAG_ERROR_MESSAGE_BYTES);
  cJSON_Delete(root);
  arag_free(json);
}

int main(void) {
  RUN(test_set_and_prefix);
  RUN(test_null_handles);
  RUN(test_index_create);
  RUN(test_catalog_history_create);
  RUN(test_engine_create);
  RUN(test_abi_json);
  return test_report();
}
