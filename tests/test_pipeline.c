#define _POSIX_C_SOURCE 200809L
/* Recommendation sessions against a scripted provider: the calls they make, in
 * parallel and in order, answered inside the fetch callback or later; many sessions at
 * once, cancelling, usage reports and the deadline. */
#include "scripted_host.h"

static void test_happy_path_async(void) {
  host h;
  arag_engine *eng = make_engine(&h, HOST);
  char *reqj = make_request("\"k\":5");
  uint32_t sid = 0;
  CHECK_EQ_INT(arag_recommend_start(eng, fx.cat, fx.hist, reqj, strlen(reqj), &sid), ARAG_OK);
  free(reqj);
  CHECK(sid != 0);
  /* UUA and both NLI batches are out before any answer. */
  CHECK_EQ_INT(h.n, 3);
  CHECK_EQ_INT(count_agent(&h, sid, "uua"), 1);
  CHECK_EQ_INT(count_agent(&h, sid, "nli"), 2);
  CHECK_EQ_INT(h.reqs[1].n_ids + h.reqs[2].n_ids, 20);
  CHECK_EQ_INT(h.reqs[1].n_ids, 10);
  arag_session_state st;
  CHECK_EQ_INT(arag_session_state_get(eng, sid, &st), ARAG_OK);
  CHECK_EQ_INT(st, ARAG_SESSION_RUNNING);
  const char *json;
  CHECK_EQ_INT(arag_session_result(eng, sid, &json, NULL), ARAG_E_STATE);
  /* The UUA sees long-term and session context separately: 3 + 5 events. */
  const req *u = find_req(&h, sid, "uua");
  CHECK(u && strstr(u->user, "long_term: 3 events") && strstr(u->user, "session: 5 events"));
  /* Answer NLI first, then UUA: CSA waits for both. */
  answer(&h, 2);
  answer(&h, 1);
  CHECK_EQ_INT(count_agent(&h, sid, "csa"), 0);
  answer(&h, 0);
  CHECK_EQ_INT(count_agent(&h, sid, "csa"), 1);
  const req *c = find_req(&h, sid, "csa");
  /* theta 0.5: the 10 even ids pass */
  CHECK(c && strstr(c->user, "accepted: 10 items") != NULL);
  CHECK(c && strstr(c->user, "Likes lipstick and nail polish") != NULL);
  for (int i = 0; c && i < c->n_ids; i++) CHECK(atoi(c->ids[i]) % 2 == 0);
  deliver_all(&h);
  const req *ira = find_req(&h, sid, "ira");
  CHECK(ira && ira->n_ids == 20);
  CHECK(ira && strstr(ira->user, "context_summary: \"Wants lip products now\"") != NULL);
  cJSON *res = result_of(eng, sid);
  CHECK(res && check_permutation(res, 5));
  if (res) {
    /* The IRA answered the candidates reversed: the order is I0 reversed. */
    for (int i = 0; i < 20; i++) CHECK(strcmp(order_at(res, i), i0_at(res, 19 - i)) == 0);
    CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(res, "degraded")), 0);
    cJSON *it0 = cJSON_GetArrayItem(cJSON_GetObjectItem(res, "items"), 0);
    char want[32];
    snprintf(want, sizeof want, "because %s", order_at(res, 0));
    CHECK(strcmp(cJSON_GetObjectItem(it0, "reason")->valuestring, want) == 0);
    /* Without an IRA score: 0.5 * (1 - rank / n) + 0.5 * NLI score. */
    double nli_top = atoi(order_at(res, 0)) % 2 == 0 ? 0.9 : 0.2;
    CHECK_NEAR(cJSON_GetObjectItem(it0, "score")->valuedouble, 0.5 + 0.5 * nli_top, 1e-3);
    cJSON *it1 = cJSON_GetArrayItem(cJSON_GetObjectItem(res, "items"), 1);
    double nli_2nd = atoi(order_at(res, 1)) % 2 == 0 ? 0.9 : 0.2;
    CHECK_NEAR(cJSON_GetObjectItem(it1, "score")->valuedouble,
               0.5 * (1.0 - 1.0 / 20) + 0.5 * nli_2nd, 1e-3);
    cJSON *trace = cJSON_GetObjectItem(res, "trace");
    CHECK(strcmp(cJSON_GetObjectItem(trace, "s_user")->valuestring,
                 "Likes lipstick and nail polish\nInterests: lips") == 0);
    CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(trace, "messages")), 5);
    CHECK_EQ_INT(cJSON_GetObjectItem(trace, "accepted")->valueint, 10);
    /* The whole recommendation took at least as long as its last message. */
    cJSON *last = cJSON_GetArrayItem(cJSON_GetObjectItem(trace, "messages"), 4);
    CHECK(cJSON_GetObjectItem(trace, "elapsed_ms")->valuedouble >=
          cJSON_GetObjectItem(last, "ended_ms")->valuedouble - 1e-3);
    cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(trace, "messages")) {
      CHECK_EQ_INT(cJSON_GetObjectItem(m, "status")->valueint, 200);
      CHECK(cJSON_GetObjectItem(m, "ended_ms")->valuedouble >=
            cJSON_GetObjectItem(m, "started_ms")->valuedouble);
      CHECK(cJSON_GetObjectItem(m, "prompt_chars")->valueint > 0);
      CHECK(cJSON_IsObject(cJSON_GetObjectItem(m, "output")));
      cJSON *in = cJSON_GetObjectItem(m, "inputs");
      CHECK(cJSON_IsObject(in));
      const char *ag = cJSON_GetObjectItem(m, "agent")->valuestring;
      int n_in = cJSON_GetArraySize(cJSON_GetObjectItem(in, "candidates"));
      CHECK_EQ_INT(n_in, strcmp(ag, "nli") == 0   ? 10
                         : strcmp(ag, "csa") == 0 ? 10
                         : strcmp(ag, "ira") == 0 ? 20
                                                  : 0);
      if (strcmp(ag, "ira") == 0)
        CHECK(cJSON_IsTrue(cJSON_GetObjectItem(in, "s_user")) &&
              cJSON_IsTrue(cJSON_GetObjectItem(in, "s_ctx")));
    }
    cJSON *nli = cJSON_GetObjectItem(trace, "nli");
    CHECK_EQ_INT(cJSON_GetArraySize(nli), 20);
    cJSON *v;
    cJSON_ArrayForEach(v, nli) {
      int even = atoi(cJSON_GetObjectItem(v, "id")->valuestring) % 2 == 0;
      CHECK_EQ_INT(cJSON_IsTrue(cJSON_GetObjectItem(v, "accepted")), even);
      CHECK(strcmp(cJSON_GetObjectItem(v, "label")->valuestring,
                   even ? "supports" : "contradicts") == 0);
    }
    cJSON *usage = cJSON_GetObjectItem(res, "usage");
    CHECK_EQ_INT(cJSON_GetObjectItem(usage, "calls")->valueint, 5);
    CHECK(cJSON_GetObjectItem(usage, "prompt_chars")->valuedouble > 1000);
  }
  /* Deliveries after the end, or twice, change nothing. */
  CHECK_EQ_INT(arag_deliver(eng, sid, h.reqs[0].rid, 200, "{}", 2), ARAG_E_NOT_FOUND);
  CHECK_EQ_INT(arag_engine_sessions(eng), 1);
  arag_session_free(eng, sid);
  CHECK_EQ_INT(arag_engine_sessions(eng), 0);
  CHECK_EQ_INT(arag_session_state_get(eng, sid, &st), ARAG_E_NOT_FOUND);
  finish(&h, res);
}

static void test_sync_inside_callback(void) {
  host h;
  arag_engine *eng = make_engine(&h, "{\"backend\":\"host\",\"max_in_flight\":1,\"nli_batch\":1}");
  h.sync = 1;
  char *reqj = make_request(NULL);
  uint32_t sid = 0;
  CHECK_EQ_INT(arag_recommend_start(eng, fx.cat, fx.hist, reqj, strlen(reqj), &sid), ARAG_OK);
  free(reqj);
  arag_session_state st;
  CHECK_EQ_INT(arag_session_state_get(eng, sid, &st), ARAG_OK);
  CHECK_EQ_INT(st, ARAG_SESSION_DONE);
  CHECK_EQ_INT(h.n, 1 + 20 + 1 + 1);
  CHECK_EQ_INT(h.max_outstanding, 1);
  cJSON *res = result_of(eng, sid);
  CHECK(res && check_permutation(res, 10));
  finish(&h, res);
}

static void test_max_in_flight(void) {
  host h;
  arag_engine *eng = make_engine(&h, "{\"backend\":\"host\",\"max_in_flight\":2,\"nli_batch\":3}");
  char *reqj = make_request(NULL);
  uint32_t sid = 0;
  CHECK_EQ_INT(arag_recommend_start(eng, fx.cat, fx.hist, reqj, strlen(reqj), &sid), ARAG_OK);
  free(reqj);
  CHECK_EQ_INT(h.n, 2);
  /* One answer at a time, newest first: never more than 2 outstanding. */
  for (int guard = 0; guard < 100; guard++) {
    int open = -1;
    for (int i = h.n - 1; i >= 0; i--)
      if (!h.reqs[i].answered) {
        open = i;
        break;
      }
    if (open < 0) break;
    CHECK(h.outstanding <= 2);
    answer(&h, open);
  }
  CHECK_EQ_INT(h.max_outstanding, 2);
  CHECK_EQ_INT(count_agent(&h, sid, "nli"), 7);
  arag_session_state st;
  CHECK_EQ_INT(arag_session_state_get(eng, sid, &st), ARAG_OK);
  CHECK_EQ_INT(st, ARAG_SESSION_DONE);
  cJSON *res = result_of(eng, sid);
  CHECK(res && check_permutation(res, 10));
  finish(&h, res);
}

static uint32_t lcg(uint32_t *s) { return *s = *s * 1664525u + 1013904223u; }

static void test_many_sessions(void) {
  host h;
  arag_engine *eng = make_engine(&h, "{\"backend\":\"host\",\"max_in_flight\":3,\"nli_batch\":5}");
  enum { N = 200 };
  uint32_t sids[N];
  char *reqj = make_request("\"k\":3");
  for (int i = 0; i < N; i++)
    CHECK_EQ_INT(arag_recommend_start(eng, fx.cat, fx.hist, reqj, strlen(reqj), &sids[i]), ARAG_OK);
  free(reqj);
  CHECK_EQ_INT(arag_engine_sessions(eng), N);
  CHECK_EQ_INT(h.n, 3 * N);
  /* Answer open requests in a pseudo-random order across sessions. */
  uint32_t seed = 12345;
  for (int guard = 0; guard < 100000; guard++) {
    int open = 0;
    for (int i = 0; i < h.n; i++) open += !h.reqs[i].answered;
    if (!open) break;
    int pick = (int)(lcg(&seed) % (uint32_t)open);
    for (int i = 0; i < h.n; i++)
      if (!h.reqs[i].answered && pick-- == 0) {
        answer(&h, i);
        break;
      }
  }
  CHECK_EQ_INT(h.deliver_errors, 0);
  CHECK_EQ_INT(h.n, N * (1 + 4 + 1 + 1));
  int done = 0, perms = 0;
  cJSON *first = NULL;
  for (int i = 0; i < N; i++) {
    arag_session_state st;
    if (arag_session_state_get(eng, sids[i], &st) == ARAG_OK && st == ARAG_SESSION_DONE) done++;
    cJSON *res = result_of(eng, sids[i]);
    if (res && check_permutation(res, 3)) perms++;
    /* Same inputs, same answers: same order in every session. */
    if (i == 0) {
      first = res;
      continue;
    }
    if (res && first)
      CHECK(
          cJSON_Compare(cJSON_GetObjectItem(res, "order"), cJSON_GetObjectItem(first, "order"), 1));
    cJSON_Delete(res);
  }
  cJSON_Delete(first);
  CHECK_EQ_INT(done, N);
  CHECK_EQ_INT(perms, N);
  for (int i = 0; i < N; i += 2) arag_session_free(eng, sids[i]);
  CHECK_EQ_INT(arag_engine_sessions(eng), N / 2);
  finish(&h, NULL); /* the engine frees the rest */
}

static void test_cancel_and_unknown(void) {
  host h;
  arag_engine *eng = make_engine(&h, HOST);
  char *reqj = make_request(NULL);
  uint32_t sid = 0;
  CHECK_EQ_INT(arag_recommend_start(eng, fx.cat, fx.hist, reqj, strlen(reqj), &sid), ARAG_OK);
  CHECK_EQ_INT(h.n, 3);
  /* Unknown session or request: not found, nothing changes. */
  CHECK_EQ_INT(arag_deliver(eng, sid + 1000, 1, 200, "{}", 2), ARAG_E_NOT_FOUND);
  CHECK(strstr(arag_engine_last_error(eng), "session") != NULL);
  CHECK_EQ_INT(arag_deliver(eng, sid, 9999, 200, "{}", 2), ARAG_E_NOT_FOUND);
  CHECK_EQ_INT(arag_report_usage(eng, sid, 9999, 1, 1), ARAG_E_NOT_FOUND);
  CHECK_EQ_INT(arag_deliver(eng, 0, 1, 200, "{}", 2), ARAG_E_NOT_FOUND);
  CHECK_EQ_INT(h.n, 3);
  answer(&h, 0);
  CHECK_EQ_INT(h.deliver_errors, 0);
  CHECK_EQ_INT(arag_deliver(eng, sid, h.reqs[0].rid, 200, "{}", 2), ARAG_E_NOT_FOUND);
  arag_session_state st;
  CHECK_EQ_INT(arag_session_state_get(eng, sid, &st), ARAG_OK);
  CHECK_EQ_INT(st, ARAG_SESSION_RUNNING);
  /* Cancel: later deliveries are not found, no new requests, no result. */
  CHECK_EQ_INT(arag_session_cancel(eng, sid), ARAG_OK);
  CHECK_EQ_INT(arag_session_state_get(eng, sid, &st), ARAG_OK);
  CHECK_EQ_INT(st, ARAG_SESSION_CANCELLED);
  deliver_all(&h);
  CHECK_EQ_INT(h.deliver_errors, 2);
  CHECK_EQ_INT(h.n, 3);
  const char *json;
  CHECK_EQ_INT(arag_session_result(eng, sid, &json, NULL), ARAG_E_CANCELLED);
  CHECK_EQ_INT(arag_session_cancel(eng, sid), ARAG_E_STATE);
  arag_session_free(eng, sid);
  CHECK_EQ_INT(arag_engine_sessions(eng), 0);
  finish(&h, NULL);

  /* Cancel from inside the callback: nothing more is sent. */
  eng = make_engine(&h, HOST);
  h.mode = M_CANCEL_IN_CB;
  CHECK_EQ_INT(arag_recommend_start(eng, fx.cat, fx.hist, reqj, strlen(reqj), &sid), ARAG_OK);
  CHECK_EQ_INT(h.n, 1);
  CHECK_EQ_INT(arag_session_state_get(eng, sid, &st), ARAG_OK);
  CHECK_EQ_INT(st, ARAG_SESSION_CANCELLED);
  finish(&h, NULL);

  /* Free from inside the callback: the session goes away safely. */
  eng = make_engine(&h, HOST);
  h.mode = M_FREE_IN_CB;
  CHECK_EQ_INT(arag_recommend_start(eng, fx.cat, fx.hist, reqj, strlen(reqj), &sid), ARAG_OK);
  CHECK_EQ_INT(h.n, 1);
  CHECK_EQ_INT(arag_engine_sessions(eng), 0);
  CHECK_EQ_INT(arag_session_state_get(eng, sid, &st), ARAG_E_NOT_FOUND);
  finish(&h, NULL);
  free(reqj);
}

static void test_usage(void) {
  host h;
  arag_engine *eng = make_engine(&h, "{\"backend\":\"host\",\"trace_prompts\":true}");
  h.report_usage = 1;
  h.sync = 1;
  char *reqj = make_request(NULL);
  uint32_t sid = 0;
  CHECK_EQ_INT(arag_recommend_start(eng, fx.cat, fx.hist, reqj, strlen(reqj), &sid), ARAG_OK);
  free(reqj);
  CHECK_EQ_INT(h.deliver_errors, 0);
  cJSON *res = result_of(eng, sid);
  if (res) {
    cJSON *u = cJSON_GetObjectItem(res, "usage");
    CHECK_EQ_INT(cJSON_GetObjectItem(u, "calls")->valueint, 5);
    CHECK_EQ_INT(cJSON_GetObjectItem(u, "prompt_tokens")->valueint, 500);
    CHECK_EQ_INT(cJSON_GetObjectItem(u, "completion_tokens")->valueint, 35);
    cJSON *m =
        cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(res, "trace"), "messages"), 0);
    CHECK_EQ_INT(cJSON_GetObjectItem(m, "prompt_tokens")->valueint, 100);
    /* trace_prompts keeps each request as sent. */
    cJSON *rq = cJSON_GetObjectItem(m, "request");
    CHECK(cJSON_IsObject(rq) && strcmp(cJSON_GetObjectItem(rq, "agent")->valuestring, "uua") == 0 &&
          cJSON_GetArraySize(cJSON_GetObjectItem(rq, "messages")) == 2);
  }
  finish(&h, res);
}

static void test_deep_sync_chain(void) {
  /* 200 candidates, one NLI call each, all answered inside the callback: the
   * engine loops instead of recursing. */
  host h;
  arag_engine *eng = make_engine(&h, "{\"backend\":\"host\",\"nli_batch\":1,\"max_in_flight\":1}");
  h.sync = 1;
  arag_sb b;
  arag_sb_init(&b);
  arag_sb_puts(&b, "{\"candidates\":[");
  for (int i = 0; i < 200; i++)
    arag_sb_printf(&b, "%s{\"id\":\"%d\",\"title\":\"Item %d lipstick\"}", i ? "," : "", 1000 + i,
                   i);
  arag_sb_puts(&b, "]}");
  char *reqj = arag_sb_take(&b, NULL);
  uint32_t sid = 0;
  CHECK_EQ_INT(arag_recommend_start(eng, NULL, fx.hist, reqj, strlen(reqj), &sid), ARAG_OK);
  free(reqj);
  CHECK_EQ_INT(h.n, 203);
  cJSON *res = result_of(eng, sid);
  CHECK(res && check_permutation(res, 10));
  finish(&h, res);
}

static void sleep_ms(int ms) {
  struct timespec ts = {0, (long)ms * 1000000L};
  nanosleep(&ts, NULL);
}

static void test_deadline(void) {
  host h;
  /* The defaults: 20 s with a host backend, none offline. */
  arag_engine *eng = make_engine(&h, HOST);
  char *reqj = make_request(NULL);
  uint32_t sid = 0, ms = 7;
  CHECK_EQ_INT(arag_recommend_start(eng, fx.cat, fx.hist, reqj, strlen(reqj), &sid), ARAG_OK);
  CHECK_EQ_INT(arag_session_deadline_ms(eng, sid, &ms), ARAG_OK);
  CHECK_EQ_INT(ms, 20000);
  CHECK_EQ_INT(arag_session_deadline_ms(eng, sid + 99, &ms), ARAG_E_NOT_FOUND);
  /* UUA answers, then the host's timer says the time is up: the NLI batches still
   * out and the CSA and IRA never sent are answered offline, and the session ends. */
  answer(&h, 0);
  CHECK_EQ_INT(h.n, 3);
  CHECK_EQ_INT(arag_session_expire(eng, sid), ARAG_OK);
  arag_session_state st = ARAG_SESSION_RUNNING;
  CHECK_EQ_INT(arag_session_state_get(eng, sid, &st), ARAG_OK);
  CHECK_EQ_INT(st, ARAG_SESSION_DONE);
  CHECK_EQ_INT(h.n, 3); /* nothing more went out */
  CHECK_EQ_INT(arag_session_expire(eng, sid), ARAG_E_STATE);
  /* Late answers are refused and change nothing. */
  deliver_all(&h);
  CHECK_EQ_INT(h.deliver_errors, 2);
  cJSON *res = result_of(eng, sid);
  CHECK(res && check_permutation(res, 10));
  if (res) {
    CHECK(strcmp(trace_of(res, "s_user")->valuestring,
                 "Likes lipstick and nail polish\nInterests: lips") == 0);
    CHECK(fallback_of(res, "uua") == NULL);
    CHECK(fallback_is(res, "nli_batch_0", "deadline", "offline", 10));
    CHECK(fallback_is(res, "nli_batch_1", "deadline", "offline", 10));
    CHECK(fallback_is(res, "csa", "deadline", "offline", 0));
    CHECK(fallback_is(res, "ira", "deadline", "offline", 20));
    CHECK(has_degraded(res, "csa:deadline") && has_degraded(res, "ira:deadline"));
    /* Sent: UUA and two NLI batches; CSA and IRA never left. */
    CHECK_EQ_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(res, "usage"), "calls")->valueint, 3);
  }
  cJSON_Delete(res);
  host_reset(&h);

  /* The engine's own clock, checked on a delivery: the delivered answer is used,
   * the rest is answered offline. */
  /* 250 ms: room for a slow start under sanitizers on a loaded machine. */
  CHECK_EQ_INT(arag_engine_configure(eng, "{\"deadline_ms\":250}", 19), ARAG_OK);
  CHECK_EQ_INT(arag_recommend_start(eng, fx.cat, fx.hist, reqj, strlen(reqj), &sid), ARAG_OK);
  CHECK_EQ_INT(h.n, 3);
  sleep_ms(300);
  answer(&h, 1); /* NLI batch 0 */
  CHECK_EQ_INT(arag_session_state_get(eng, sid, &st), ARAG_OK);
  CHECK_EQ_INT(st, ARAG_SESSION_DONE);
  res = result_of(eng, sid);
  if (res) {
    CHECK(fallback_of(res, "nli_batch_0") == NULL);
    CHECK(fallback_is(res, "uua", "deadline", "offline", 0));
    CHECK(fallback_is(res, "nli_batch_1", "deadline", "offline", 10));
    cJSON *v0 = cJSON_GetArrayItem(trace_of(res, "nli"), 0);
    CHECK(strcmp(cJSON_GetObjectItem(v0, "source")->valuestring, "agent") == 0);
  }
  cJSON_Delete(res);
  host_reset(&h);

  /* deadline_ms 0: no deadline; the retrieval fallback at a deadline. */
  CHECK_EQ_INT(arag_engine_configure(eng, "{\"deadline_ms\":0,\"fallback\":\"retrieval\"}", 41),
               ARAG_OK);
  CHECK_EQ_INT(arag_recommend_start(eng, fx.cat, fx.hist, reqj, strlen(reqj), &sid), ARAG_OK);
  CHECK_EQ_INT(arag_session_deadline_ms(eng, sid, &ms), ARAG_OK);
  CHECK_EQ_INT(ms, 0);
  sleep_ms(10);
  answer(&h, 0);
  CHECK_EQ_INT(arag_session_state_get(eng, sid, &st), ARAG_OK);
  CHECK_EQ_INT(st, ARAG_SESSION_RUNNING);
  CHECK_EQ_INT(arag_session_expire(eng, sid), ARAG_OK);
  res = result_of(eng, sid);
  CHECK(res && check_permutation(res, 10));
  if (res) {
    CHECK(fallback_is(res, "ira", "deadline", "retrieval", 20));
    for (int i = 0; i < 20; i++) CHECK(strcmp(order_at(res, i), i0_at(res, i)) == 0);
  }
  finish(&h, res);
  free(reqj);

  /* Offline: no deadline to report. */
  eng = make_engine(&h, "{}");
  reqj = make_request(NULL);
  CHECK_EQ_INT(arag_recommend_start(eng, fx.cat, fx.hist, reqj, strlen(reqj), &sid), ARAG_OK);
  CHECK_EQ_INT(arag_session_deadline_ms(eng, sid, &ms), ARAG_OK);
  CHECK_EQ_INT(ms, 0);
  CHECK_EQ_INT(arag_session_expire(eng, sid), ARAG_E_STATE);
  free(reqj);
  finish(&h, NULL);
}

int main(void) {
  if (!fixture_open()) return test_report();
  RUN(test_happy_path_async);
  RUN(test_sync_inside_callback);
  RUN(test_max_in_flight);
  RUN(test_many_sessions);
  RUN(test_cancel_and_unknown);
  RUN(test_usage);
  RUN(test_deep_sync_chain);
  RUN(test_deadline);
  fixture_close();
  return test_report();
}
