#define _POSIX_C_SOURCE 200809L
/* The offline backend, and each agent falling back to the offline reasoner on its own:
 * the same result shape as a model's, catalog mode, the context vector, and the cause
 * each fallback names. */
#include "scripted_host.h"

static void test_offline_backend(void) {
  host h;
  arag_engine *eng = make_engine(&h, "{}");
  char *reqj = make_request("\"k\":4");
  uint32_t sid = 0;
  CHECK_EQ_INT(arag_recommend_start(eng, fx.cat, fx.hist, reqj, strlen(reqj), &sid), ARAG_OK);
  free(reqj);
  CHECK_EQ_INT(h.n, 0); /* the fetch callback is never used */
  arag_session_state st;
  CHECK_EQ_INT(arag_session_state_get(eng, sid, &st), ARAG_OK);
  CHECK_EQ_INT(st, ARAG_SESSION_DONE);
  cJSON *res = result_of(eng, sid);
  CHECK(res && check_permutation(res, 4));
  if (res) {
    CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(res, "degraded")), 0);
    cJSON *trace = cJSON_GetObjectItem(res, "trace");
    CHECK(cJSON_IsString(cJSON_GetObjectItem(trace, "s_user")));
    CHECK(cJSON_IsString(cJSON_GetObjectItem(trace, "s_ctx")));
    CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(trace, "messages")), 5);
    cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(trace, "messages")) {
      CHECK_EQ_INT(cJSON_GetObjectItem(m, "status")->valueint, 200);
      /* The reasoner answers within each schema: nothing to repair (an IRA score
       * out of [0, 1] would be clamped and noted here). */
      CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(m, "repairs")), 0);
    }
    CHECK(strcmp(cJSON_GetObjectItem(cJSON_GetObjectItem(trace, "config"), "backend")->valuestring,
                 "offline") == 0);
    cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(res, "items")) {
      CHECK(cJSON_IsString(cJSON_GetObjectItem(it, "reason")));
      double s = cJSON_GetObjectItem(it, "score")->valuedouble;
      CHECK(s >= 0 && s <= 1);
    }
  }
  finish(&h, res);
}

static void test_catalog_mode(void) {
  /* No candidates: top_k of the catalog, without the user's history items. */
  host h;
  arag_engine *eng = make_engine(&h, "{}");
  const char *reqj = "{\"top_k\": 8, \"k\": 8}";
  uint32_t sid = 0;
  CHECK_EQ_INT(arag_recommend_start(eng, fx.cat, fx.hist, reqj, strlen(reqj), &sid), ARAG_OK);
  cJSON *res = result_of(eng, sid);
  CHECK(res && check_permutation(res, 8));
  if (res) {
    CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(res, "order")), 8);
    for (int i = 0; i < 8; i++) CHECK(atoi(order_at(res, i)) >= 108);
    /* I0 is in descending retrieval order. */
    cJSON *i0 = cJSON_GetObjectItem(cJSON_GetObjectItem(res, "trace"), "i0");
    for (int i = 1; i < 8; i++)
      CHECK(cJSON_GetObjectItem(cJSON_GetArrayItem(i0, i - 1), "retrieval")->valuedouble >=
            cJSON_GetObjectItem(cJSON_GetArrayItem(i0, i), "retrieval")->valuedouble);
  }
  finish(&h, res);
}

static void test_context_vector(void) {
  /* The context the catalog mode retrieves with: searching the catalog with it (the
   * history's items left out) gives I0's candidates in I0's order. */
  host h;
  arag_engine *eng = make_engine(&h, "{}");
  float u[ARAG_EMBED_DEFAULT_DIM];
  CHECK_EQ_INT(arag_context_vector(eng, fx.cat, fx.hist, u, ARAG_EMBED_DEFAULT_DIM), ARAG_OK);
  double norm = 0;
  for (int d = 0; d < ARAG_EMBED_DEFAULT_DIM; d++) norm += (double)u[d] * u[d];
  CHECK(norm > 0.999 && norm < 1.001);
  uint32_t slots[16], got = 0;
  float scores[16];
  const arag_index *ix = arag_catalog_index(fx.cat);
  CHECK_EQ_INT(
      arag_index_search(ix, u, ARAG_EMBED_DEFAULT_DIM, 16, NULL, 0, 0, slots, scores, &got),
      ARAG_OK);
  const char *reqj = "{\"top_k\": 8, \"k\": 8}";
  uint32_t sid = 0;
  CHECK_EQ_INT(arag_recommend_start(eng, fx.cat, fx.hist, reqj, strlen(reqj), &sid), ARAG_OK);
  cJSON *res = result_of(eng, sid);
  cJSON *i0 = res ? cJSON_GetObjectItem(cJSON_GetObjectItem(res, "trace"), "i0") : NULL;
  CHECK_EQ_INT(cJSON_GetArraySize(i0), 8);
  int n = 0;
  for (uint32_t i = 0; i < got && n < 8 && i0; i++) {
    size_t len = 0;
    const char *id = arag_index_id(ix, slots[i], &len);
    if (!id || atoi(id) < 108) continue; /* 100..107 are the history's */
    const char *want = cJSON_GetObjectItem(cJSON_GetArrayItem(i0, n), "id")->valuestring;
    CHECK(len == strlen(want) && memcmp(id, want, len) == 0);
    n++;
  }
  CHECK_EQ_INT(n, 8);
  /* Another dimension is refused; no history gives zeros. */
  CHECK_EQ_INT(arag_context_vector(eng, fx.cat, fx.hist, u, 64), ARAG_E_DIM);
  CHECK(strstr(arag_engine_last_error(eng), "512") != NULL);
  CHECK_EQ_INT(arag_context_vector(eng, fx.cat, NULL, u, ARAG_EMBED_DEFAULT_DIM), ARAG_OK);
  for (int d = 0; d < ARAG_EMBED_DEFAULT_DIM; d++) CHECK(u[d] == 0.0f);
  CHECK_EQ_INT(arag_context_vector(eng, fx.cat, fx.hist, NULL, ARAG_EMBED_DEFAULT_DIM),
               ARAG_E_INVALID);
  finish(&h, res);
}

/* Top-level and trace keys of a result, sorted into one string. */
static void keys_of(const cJSON *o, char *buf, size_t cap) {
  buf[0] = 0;
  const cJSON *c;
  cJSON_ArrayForEach(c, o) {
    strncat(buf, c->string, cap - strlen(buf) - 2);
    strncat(buf, ",", cap - strlen(buf) - 1);
  }
}

static void test_offline_same_shape(void) {
  host h;
  cJSON *host_res = run_mode(&h, M_GOOD, HOST, NULL);
  arag_engine_free(h.eng);
  host_reset(&h);
  arag_engine *eng = make_engine(&h, "{}");
  char *reqj = make_request(NULL);
  uint32_t sid = 0;
  CHECK_EQ_INT(arag_recommend_start(eng, fx.cat, fx.hist, reqj, strlen(reqj), &sid), ARAG_OK);
  free(reqj);
  cJSON *off = result_of(eng, sid);
  CHECK(host_res && off);
  if (host_res && off) {
    char a[512], b[512];
    keys_of(host_res, a, sizeof a);
    keys_of(off, b, sizeof b);
    CHECK(strcmp(a, b) == 0);
    /* A model's ranking adds its citations to the trace (evidence.h); nothing else differs. */
    cJSON *ht = cJSON_GetObjectItem(host_res, "trace");
    CHECK(cJSON_IsArray(cJSON_GetObjectItem(ht, "citations")));
    CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(off, "trace"), "citations") == NULL);
    cJSON_DeleteItemFromObject(ht, "citations");
    keys_of(cJSON_GetObjectItem(host_res, "trace"), a, sizeof a);
    keys_of(cJSON_GetObjectItem(off, "trace"), b, sizeof b);
    CHECK(strcmp(a, b) == 0);
    keys_of(cJSON_GetObjectItem(host_res, "usage"), a, sizeof a);
    keys_of(cJSON_GetObjectItem(off, "usage"), b, sizeof b);
    CHECK(strcmp(a, b) == 0);
    cJSON *hm = cJSON_GetArrayItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(host_res, "trace"), "messages"), 0);
    cJSON *om =
        cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(off, "trace"), "messages"), 0);
    keys_of(hm, a, sizeof a);
    keys_of(om, b, sizeof b);
    CHECK(strcmp(a, b) == 0);
    /* Same I0 either way: retrieval does not depend on the backend. */
    CHECK(cJSON_Compare(cJSON_GetObjectItem(cJSON_GetObjectItem(host_res, "trace"), "i0"),
                        cJSON_GetObjectItem(cJSON_GetObjectItem(off, "trace"), "i0"), 1));
  }
  cJSON_Delete(host_res);
  finish(&h, off);
}

/* The offline backend's result for the standard request (the reference a fallback
 * must reproduce). */
static cJSON *offline_reference(const char *extra) {
  arag_engine *eng = NULL;
  const char *cfg = "{\"shelf\":false}"; /* as HOST */
  CHECK_EQ_INT(arag_engine_create(cfg, strlen(cfg), &eng), ARAG_OK);
  if (!eng) return NULL;
  char *reqj = make_request(extra);
  uint32_t sid = 0;
  CHECK_EQ_INT(arag_recommend_start(eng, fx.cat, fx.hist, reqj, strlen(reqj), &sid), ARAG_OK);
  free(reqj);
  cJSON *res = result_of(eng, sid);
  arag_engine_free(eng);
  return res;
}

/* NLI verdicts without their "source": the same scores, labels and rationales. */
static int same_verdicts(const cJSON *a, const cJSON *b, int from, int to) {
  for (int i = from; i < to; i++) {
    cJSON *x = cJSON_Duplicate(cJSON_GetArrayItem(a, i), 1);
    cJSON *y = cJSON_Duplicate(cJSON_GetArrayItem(b, i), 1);
    cJSON_DeleteItemFromObject(x, "source");
    cJSON_DeleteItemFromObject(y, "source");
    int same = cJSON_Compare(x, y, 1);
    cJSON_Delete(x);
    cJSON_Delete(y);
    if (!same) return 0;
  }
  return 1;
}

static void test_offline_fallback(void) {
  host h;
  cJSON *ref = offline_reference(NULL);
  CHECK(ref != NULL);
  if (!ref) return;

  /* Every call fails: the result is the offline backend's, item for item. */
  cJSON *res = run_mode(&h, M_ALL_FAIL, HOST, NULL);
  CHECK(res && check_permutation(res, 10));
  if (res) {
    CHECK(cJSON_Compare(cJSON_GetObjectItem(res, "items"), cJSON_GetObjectItem(ref, "items"), 1));
    CHECK(cJSON_Compare(cJSON_GetObjectItem(res, "order"), cJSON_GetObjectItem(ref, "order"), 1));
    CHECK(cJSON_Compare(trace_of(res, "s_user"), trace_of(ref, "s_user"), 1));
    CHECK(cJSON_Compare(trace_of(res, "s_ctx"), trace_of(ref, "s_ctx"), 1));
    CHECK(same_verdicts(trace_of(res, "nli"), trace_of(ref, "nli"), 0, 20));
    cJSON *v;
    cJSON_ArrayForEach(v, trace_of(res, "nli"))
        CHECK(strcmp(cJSON_GetObjectItem(v, "source")->valuestring, "offline") == 0);
    CHECK(has_degraded(res, "uua:timeout") && has_degraded(res, "uua:offline"));
    CHECK(has_degraded(res, "nli_batch_1:timeout") && has_degraded(res, "nli_batch_1:offline"));
    CHECK(has_degraded(res, "csa:offline") && has_degraded(res, "ira:offline"));
    CHECK(!has_degraded(res, "ira:fallback_order") && !has_degraded(res, "uua:skipped"));
    CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(res, "fallbacks")), 5);
    CHECK(fallback_is(res, "uua", "timeout", "offline", 0));
    CHECK(fallback_is(res, "nli_batch_0", "timeout", "offline", 10));
    CHECK(fallback_is(res, "ira", "timeout", "offline", 20));
    /* The trace says who answered each message. */
    cJSON *m;
    cJSON_ArrayForEach(m, trace_of(res, "messages")) {
      CHECK(strcmp(cJSON_GetObjectItem(m, "fallback")->valuestring, "offline") == 0);
      CHECK(strcmp(cJSON_GetObjectItem(m, "cause")->valuestring, "timeout") == 0);
      CHECK(cJSON_IsObject(cJSON_GetObjectItem(m, "output")));
    }
    CHECK_EQ_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(res, "usage"), "calls")->valueint, 5);
  }
  finish(&h, res);

  /* An unusable NLI answer: that batch is judged offline, the other by the agent. */
  res = run_mode(&h, M_NLI_OFFSCHEMA, HOST, NULL);
  CHECK(res && check_permutation(res, 10));
  if (res) {
    CHECK(has_degraded(res, "nli_batch_0:off_schema") && has_degraded(res, "nli_batch_0:offline"));
    CHECK(fallback_is(res, "nli_batch_0", "parse", "offline", 10));
    CHECK(fallback_of(res, "nli_batch_1") == NULL);
    CHECK(same_verdicts(trace_of(res, "nli"), trace_of(ref, "nli"), 0, 10));
    cJSON *v10 = cJSON_GetArrayItem(trace_of(res, "nli"), 10);
    CHECK(strcmp(cJSON_GetObjectItem(v10, "source")->valuestring, "agent") == 0);
    CHECK(
        strcmp(
            cJSON_GetObjectItem(cJSON_GetArrayItem(trace_of(res, "nli"), 0), "source")->valuestring,
            "offline") == 0);
  }
  finish(&h, res);

  /* A partial NLI answer: the agent's verdicts are kept, the rest judged offline. */
  res = run_mode(&h, M_NLI_HALF, HOST, NULL);
  CHECK(res && check_permutation(res, 10));
  if (res) {
    CHECK(has_degraded(res, "nli_batch_0:offline_missing:5"));
    CHECK(fallback_is(res, "nli_batch_0", "parse", "offline", 5));
    cJSON *nli = trace_of(res, "nli");
    for (int i = 0; i < 10; i++) {
      cJSON *v = cJSON_GetArrayItem(nli, i);
      const char *src = cJSON_GetObjectItem(v, "source")->valuestring;
      CHECK(strcmp(src, i < 5 ? "agent" : "offline") == 0);
      if (i < 5) {
        int even = atoi(cJSON_GetObjectItem(v, "id")->valuestring) % 2 == 0;
        CHECK_NEAR(cJSON_GetObjectItem(v, "score")->valuedouble, even ? 0.9 : 0.2, 1e-6);
      }
    }
    CHECK(same_verdicts(nli, trace_of(ref, "nli"), 5, 10));
  }
  finish(&h, res);

  /* CSA cut short: the summary comes from the offline reasoner. */
  res = run_mode(&h, M_CSA_TRUNC, HOST, NULL);
  CHECK(res && check_permutation(res, 10));
  CHECK(res && has_degraded(res, "csa:offline") && !has_degraded(res, "csa:skipped"));
  CHECK(res && cJSON_IsString(trace_of(res, "s_ctx")) &&
        strlen(trace_of(res, "s_ctx")->valuestring) > 0);
  const req *ira = find_req(&h, 1, "ira");
  CHECK(ira && strstr(ira->user, "context_summary: null") == NULL);
  finish(&h, res);

  /* An off-schema IRA answer: the offline ranking from the same input. */
  res = run_mode(&h, M_IRA_OFFSCHEMA, HOST, NULL);
  CHECK(res && check_permutation(res, 10));
  CHECK(res && has_degraded(res, "ira:off_schema") && has_degraded(res, "ira:offline"));
  CHECK(res && fallback_is(res, "ira", "parse", "offline", 20));
  finish(&h, res);

  /* A partial ranking: the agent's order first, the rest in the offline order. */
  res = run_mode(&h, M_IRA_HALF, HOST, NULL);
  CHECK(res && check_permutation(res, 10));
  if (res) {
    CHECK(has_degraded(res, "ira:offline_missing:10"));
    CHECK(fallback_is(res, "ira", "parse", "offline", 10));
    for (int i = 0; i < 10; i++) CHECK(strcmp(order_at(res, i), i0_at(res, 19 - i)) == 0);
    /* The tail keeps the offline reasoner's relative order of those ten (its input
     * is the reference's: every other step was answered offline). */
    int last = -1, inorder = 1;
    for (int i = 10; i < 20; i++) {
      int at = -1;
      for (int j = 0; j < 20; j++) {
        const char *o = cJSON_GetArrayItem(cJSON_GetObjectItem(ref, "order"), j)->valuestring;
        if (strcmp(o, order_at(res, i)) == 0) at = j;
      }
      if (at < last) inorder = 0;
      last = at;
    }
    CHECK(inorder);
  }
  finish(&h, res);
  cJSON_Delete(ref);
}

static void test_fallback_causes(void) {
  host h;
  cJSON *res = run_mode(&h, M_CAUSES, HOST, NULL);
  CHECK(res && check_permutation(res, 10));
  if (res) {
    CHECK(fallback_is(res, "uua", "budget", "offline", 0) && has_degraded(res, "uua:budget"));
    CHECK(fallback_is(res, "nli_batch_0", "cancelled", "offline", 10) &&
          has_degraded(res, "nli_batch_0:cancelled"));
    CHECK(fallback_is(res, "nli_batch_1", "status", "offline", 10) &&
          has_degraded(res, "nli_batch_1:http_503"));
    CHECK(fallback_is(res, "csa", "refusal", "offline", 0) && has_degraded(res, "csa:refusal"));
    CHECK(fallback_is(res, "ira", "network", "offline", 20) && has_degraded(res, "ira:network"));
  }
  finish(&h, res);
  /* The same causes with the retrieval fallbacks. */
  res = run_mode(&h, M_CAUSES, HOST_RETRIEVAL, NULL);
  CHECK(res && check_permutation(res, 10));
  if (res) {
    CHECK(fallback_is(res, "uua", "budget", "retrieval", 0) && has_degraded(res, "uua:skipped"));
    CHECK(fallback_is(res, "ira", "network", "retrieval", 20) &&
          has_degraded(res, "ira:fallback_order"));
    for (int i = 0; i < 20; i++) CHECK(strcmp(order_at(res, i), i0_at(res, i)) == 0);
  }
  finish(&h, res);
  /* A config names only the known fallbacks. */
  arag_engine *eng = NULL;
  CHECK_EQ_INT(arag_engine_create("{\"fallback\":\"none\"}", 19, &eng), ARAG_E_INVALID);
  CHECK(eng == NULL);
}

int main(void) {
  if (!fixture_open()) return test_report();
  RUN(test_offline_backend);
  RUN(test_catalog_mode);
  RUN(test_context_vector);
  RUN(test_offline_same_shape);
  RUN(test_offline_fallback);
  RUN(test_fallback_causes);
  fixture_close();
  return test_report();
}
