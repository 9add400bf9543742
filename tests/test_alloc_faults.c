/* Allocation-failure injection. Every allocation an operation makes is made to fail
 * in turn: the n-th alone, then the n-th and every one after it. Each time the
 * operation either succeeds with the result it gives without the failure or reports
 * out of memory (never a JSON or network error that blames the input or the
 * provider); what it was given is unchanged; and every block it allocated is freed.
 *
 * This binary wraps malloc, calloc, realloc, aligned_alloc and free (linker --wrap, CMakeLists.txt)
 * to fail on schedule and to count live blocks; in the sanitizer build LeakSanitizer
 * checks again at exit. */
#include "agent_parse.h"
#include "arag.h"
#include "fault_provider.h"
#include "test.h"

#include <cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t align, size_t n);
void __real_free(void *p);

static struct {
  int armed;    /* count (and fail) allocations */
  long count;   /* allocations since af_on() */
  long fail_at; /* the allocation that fails (1-based) */
  int sticky;   /* ... and every one after it */
  long failed;  /* failures given since af_on() */
  long live;    /* blocks allocated and not freed (all time) */
} af;

static int af_should_fail(void) {
  if (!af.armed) return 0;
  af.count++;
  if (af.count == af.fail_at || (af.sticky && af.count > af.fail_at)) {
    af.failed++;
    return 1;
  }
  return 0;
}

void *__wrap_malloc(size_t n) {
  if (af_should_fail()) return NULL;
  void *p = __real_malloc(n);
  if (p) af.live++;
  return p;
}

void *__wrap_calloc(size_t n, size_t size) {
  if (af_should_fail()) return NULL;
  void *p = __real_calloc(n, size);
  if (p) af.live++;
  return p;
}

void *__wrap_realloc(void *p, size_t n) {
  if (af_should_fail()) return NULL;
  void *q = __real_realloc(p, n);
  if (q && !p) af.live++;
  return q;
}

void *__wrap_aligned_alloc(size_t align, size_t n) {
  if (af_should_fail()) return NULL;
  void *p = __real_aligned_alloc(align, n);
  if (p) af.live++;
  return p;
}

void __wrap_free(void *p) {
  if (p) af.live--;
  __real_free(p);
}

static void af_on(void) {
  af.count = 0;
  af.failed = 0;
  af.armed = 1;
}
static void af_off(void) { af.armed = 0; }
/* Reference runs: counted, never failed. */
static void af_never(void) {
  af.fail_at = LONG_MAX;
  af.sticky = 0;
}

/* Runs op with the n-th allocation failing (then the n-th onwards), n = 1, 2, ...
 * until op runs through without meeting a failure. op arms the injection around the
 * call under test only (af_on/af_off), checks its outcome and frees what it made. */
static long sweeps, sweep_points;

static void sweep(const char *name, void (*op)(void)) {
  long points = 0;
  for (int sticky = 0; sticky < 2; sticky++) {
    for (long k = 1;; k++) {
      long live = af.live;
      int failures = test_failures;
      af.fail_at = k;
      af.sticky = sticky;
      op();
      af_off();
      CHECK_EQ_INT(af.live, live);
      if (test_failures != failures)
        fprintf(stderr, "  %s: allocation %ld failing%s\n", name, k, sticky ? " onwards" : "");
      if (!af.failed) break;
      points++;
      if (test_failures - failures > 0 && test_failures > 50) break;
    }
  }
  af_never();
  CHECK(points > 0); /* the operation allocates: the sweep reached it */
  fprintf(stderr, "  %s: %ld failure points\n", name, points);
  sweeps++;
  sweep_points += points;
}

/* ---- agent answers ------------------------------------------------------ */

static char *print(const cJSON *v) { return v ? cJSON_PrintUnformatted(v) : NULL; }

static const char *const ids4[] = {"P1", "P2", "P3", "P4"};

typedef struct parse_ref {
  int rc;
  char *out;
  char *summary;
} parse_ref;

static int has_oom_note(const arag_strlist *l) {
  for (uint32_t i = 0; i < l->n; i++)
    if (strstr(l->v[i], "out_of_memory")) return 1;
  return l->oom; /* the note itself could not be kept */
}

static parse_ref ref_uua, ref_csa, ref_nli, ref_nli1, ref_ira;

static const char uua_text[] = "Sure! {\"summary\":\" Buys lip colour \",\"interests\":"
                               "[\"lipstick\",\" nail polish \",3,\"\",\"serum\"]}";
static const char csa_text[] = "```json\n{\"context_summary\":\"Lip items fit\"}\n```";
static const char nli_text[] =
    "{\"items\":[{\"id\":\"P1\",\"score\":0.9,\"label\":\"supports\",\"rationale\":\"r1\"},"
    "{\"id\":\" P2 \",\"score\":\"40%\",\"rationale\":\"r2\"},{\"id\":\"P9\",\"score\":1},"
    "{\"id\":\"P3\",\"label\":\"Contradiction\",\"reason\":\"r3\"}]}";
static const char nli1_text[] = "{\"id\":\"P2\",\"score\":0.7,\"label\":\"supports\"}";
static const char ira_text[] = "{\"ranking\":[{\"id\":\"P3\",\"score\":0.9,\"reason\":\" best \"},"
                               "{\"id\":\"P1\",\"score\":\"2\"},\"P4\",{\"id\":\"P3\"}]}";

static void run_summary(arag_agent agent, const char *text, parse_ref *ref, int take_ref) {
  char *sum = NULL;
  cJSON *out = NULL;
  arag_strlist rep = {0}, deg = {0};
  if (!take_ref) af_on();
  int rc = arag_parse_summary(agent, text, strlen(text), "s", &sum, &out, &rep, &deg);
  af_off();
  char *o = print(out);
  if (take_ref) {
    ref->rc = rc;
    ref->out = o;
    ref->summary = sum;
    CHECK_EQ_INT(rc, 0);
    CHECK(o != NULL);
  } else if (rc == 0) {
    CHECK(o && strcmp(o, ref->out) == 0);
    CHECK(sum && strcmp(sum, ref->summary) == 0);
  } else {
    CHECK_EQ_INT(rc, -1);
    CHECK(out == NULL && sum == NULL);
    if (af.failed) CHECK(has_oom_note(&deg) || !af.sticky);
  }
  if (!take_ref) {
    free(o);
    free(sum);
  }
  cJSON_Delete(out);
  arag_strlist_free(&rep);
  arag_strlist_free(&deg);
}

static void op_parse_uua(void) { run_summary(ARAG_AGENT_UUA, uua_text, &ref_uua, 0); }
static void op_parse_csa(void) { run_summary(ARAG_AGENT_CSA, csa_text, &ref_csa, 0); }

static void run_nli(const char *text, parse_ref *ref, int take_ref) {
  arag_nli_verdict v[4];
  char *rat[4];
  uint8_t have[4];
  cJSON *out = NULL;
  arag_strlist rep = {0}, deg = {0};
  memset(v, 0, sizeof v);
  if (!take_ref) af_on();
  int rc = arag_parse_nli(text, strlen(text), "n", ids4, 4, v, rat, have, &out, &rep, &deg);
  af_off();
  char *o = print(out);
  if (take_ref) {
    ref->rc = rc;
    ref->out = o;
    CHECK(rc > 0);
    CHECK(o != NULL);
  } else if (rc >= 0) {
    CHECK_EQ_INT(rc, ref->rc);
    CHECK(o && strcmp(o, ref->out) == 0);
  } else {
    CHECK(out == NULL);
    for (int i = 0; i < 4; i++) CHECK(!have[i]);
    if (af.failed && af.sticky) CHECK(has_oom_note(&deg));
  }
  for (int i = 0; i < 4; i++)
    if (have[i]) free(rat[i]);
  if (!take_ref) free(o);
  cJSON_Delete(out);
  arag_strlist_free(&rep);
  arag_strlist_free(&deg);
}

static void op_parse_nli(void) { run_nli(nli_text, &ref_nli, 0); }
static void op_parse_nli_single(void) { run_nli(nli1_text, &ref_nli1, 0); }

static void run_ira(parse_ref *ref, int take_ref) {
  uint32_t order[4];
  float score[4];
  char *reason[4];
  cJSON *out = NULL;
  arag_strlist rep = {0}, deg = {0};
  if (!take_ref) af_on();
  int rc = arag_parse_ira(ira_text, strlen(ira_text), "i", ids4, 4, order, score, reason, &out,
                          &rep, &deg);
  af_off();
  char *o = print(out);
  if (take_ref) {
    ref->rc = rc;
    ref->out = o;
    CHECK(rc > 0);
  } else if (rc >= 0) {
    CHECK_EQ_INT(rc, ref->rc);
    CHECK(o && strcmp(o, ref->out) == 0);
  } else {
    CHECK(out == NULL);
    for (int i = 0; i < 4; i++) CHECK(reason[i] == NULL && order[i] == (uint32_t)i);
    if (af.failed && af.sticky) CHECK(has_oom_note(&deg));
  }
  for (int i = 0; i < 4; i++) free(reason[i]);
  if (!take_ref) free(o);
  cJSON_Delete(out);
  arag_strlist_free(&rep);
  arag_strlist_free(&deg);
}

static void op_parse_ira(void) { run_ira(&ref_ira, 0); }

static void test_agent_answers(void) {
  run_summary(ARAG_AGENT_UUA, uua_text, &ref_uua, 1);
  run_summary(ARAG_AGENT_CSA, csa_text, &ref_csa, 1);
  run_nli(nli_text, &ref_nli, 1);
  run_nli(nli1_text, &ref_nli1, 1);
  run_ira(&ref_ira, 1);
  sweep("parse_summary uua", op_parse_uua);
  sweep("parse_summary csa", op_parse_csa);
  sweep("parse_nli", op_parse_nli);
  sweep("parse_nli single object", op_parse_nli_single);
  sweep("parse_ira", op_parse_ira);
  parse_ref *refs[] = {&ref_uua, &ref_csa, &ref_nli, &ref_nli1, &ref_ira};
  for (int i = 0; i < 5; i++) {
    free(refs[i]->out);
    free(refs[i]->summary);
  }
}

/* ---- engine, requests and recommendations ------------------------------- */

static const char catalog_jsonl[] =
    "{\"id\":\"P1\",\"title\":\"Red lipstick\",\"brand\":\"Acme\",\"categories\":[\"Lips\"],"
    "\"price\":9.5,\"popularity\":12}\n"
    "{\"id\":\"P2\",\"title\":\"Pink nail "
    "polish\",\"brand\":\"Nailco\",\"categories\":[\"Nails\"]}\n"
    "{\"id\":\"P3\",\"title\":\"Matte red lipstick\",\"brand\":\"Acme\",\"price\":11}\n"
    "{\"id\":\"P4\",\"title\":\"Hair serum\",\"text\":\"For dry hair\",\"popularity\":3}\n"
    "{\"id\":\"P5\",\"title\":\"Lip liner\",\"brand\":\"Acme\",\"categories\":[\"Lips\"]}\n";
static const char history_jsonl[] =
    "{\"id\":\"P1\",\"ts\":1,\"kind\":\"purchase\"}\n"
    "{\"id\":\"X7\",\"ts\":2,\"kind\":\"view\",\"title\":\"Lip gloss\",\"rating\":4}\n"
    "{\"id\":\"P5\",\"ts\":3,\"kind\":\"cart\"}\n";
static const char request_json[] =
    "{\"candidates\":[\"P2\",\"P3\",\"P4\",{\"id\":\"N1\",\"title\":\"Nude lipstick\","
    "\"brand\":\"Acme\"}],\"k\":3,\"config\":{\"nli_batch\":2}}";

static arag_catalog *g_cat;
static arag_history *g_hist;
static char *ref_order_offline, *ref_order_host;

/* The result's items and order (what a shopper sees), as JSON text. */
static char *order_of(const char *json, size_t len) {
  cJSON *r = cJSON_ParseWithLength(json, len);
  cJSON *keep = cJSON_CreateObject();
  cJSON_AddItemReferenceToObject(keep, "items", cJSON_GetObjectItem(r, "items"));
  cJSON_AddItemReferenceToObject(keep, "order", cJSON_GetObjectItem(r, "order"));
  char *o = print(keep);
  cJSON_Delete(keep);
  cJSON_Delete(r);
  return o;
}

static int has_degradation(const char *json, size_t len, const char *needle) {
  cJSON *r = cJSON_ParseWithLength(json, len);
  int found = 0;
  const cJSON *d;
  cJSON *list = cJSON_GetObjectItem(r, "degraded");
  cJSON_ArrayForEach(d, list) {
    if (cJSON_IsString(d) && strstr(d->valuestring, needle)) found = 1;
  }
  cJSON_Delete(r);
  return found;
}

static int degradations(const char *json, size_t len) {
  cJSON *r = cJSON_ParseWithLength(json, len);
  int n = cJSON_GetArraySize(cJSON_GetObjectItem(r, "degraded"));
  cJSON_Delete(r);
  return n;
}

/* Checks a finished session's result against the reference order. */
static void check_session(arag_engine *eng, uint32_t sid, const char *ref_order) {
  arag_session_state state = ARAG_SESSION_RUNNING;
  CHECK_EQ_INT(arag_session_state_get(eng, sid, &state), ARAG_OK);
  CHECK_EQ_INT(state, ARAG_SESSION_DONE);
  const char *json = NULL;
  size_t len = 0;
  arag_status st = arag_session_result(eng, sid, &json, &len);
  CHECK(st == ARAG_OK || st == ARAG_E_NOMEM);
  if (st != ARAG_OK || !ref_order) return;
  /* Out of memory in a step is a degradation of its own, never a network error. */
  CHECK(!has_degradation(json, len, ":network"));
  if (degradations(json, len) == 0) {
    char *o = order_of(json, len);
    CHECK(o && strcmp(o, ref_order) == 0);
    if (o && strcmp(o, ref_order)) fprintf(stderr, "  got %s\n  want %s\n", o, ref_order);
    free(o);
  }
}

static void op_engine_create(void) {
  static const char cfg[] = "{\"backend\":\"offline\",\"theta\":0.4,\"agents\":{\"csa\":false},"
                            "\"reasoner\":{\"ira_div\":0.5}}";
  arag_engine *eng = NULL;
  af_on();
  arag_status st = arag_engine_create(cfg, strlen(cfg), &eng);
  af_off();
  CHECK(st == ARAG_OK || st == ARAG_E_NOMEM);
  CHECK((st == ARAG_OK) == (eng != NULL));
  arag_engine_free(eng);
}

static void op_recommend_offline(void) {
  arag_engine *eng = NULL;
  CHECK_EQ_INT(arag_engine_create(NULL, 0, &eng), ARAG_OK);
  uint32_t sid = 0;
  af_on();
  arag_status st =
      arag_recommend_start(eng, g_cat, g_hist, request_json, strlen(request_json), &sid);
  af_off();
  if (!ref_order_offline) {
    CHECK_EQ_INT(st, ARAG_OK);
    const char *json = NULL;
    size_t len = 0;
    CHECK_EQ_INT(arag_session_result(eng, sid, &json, &len), ARAG_OK);
    CHECK_EQ_INT(degradations(json, len), 0);
    ref_order_offline = order_of(json, len);
  } else if (st == ARAG_OK) {
    check_session(eng, sid, ref_order_offline);
  } else {
    /* A request the engine could not parse for want of memory is not bad JSON. */
    CHECK_EQ_INT(st, ARAG_E_NOMEM);
    CHECK(strstr(arag_engine_last_error(eng), "valid JSON") == NULL);
    CHECK_EQ_INT(arag_engine_sessions(eng), 0);
  }
  arag_session_free(eng, sid);
  CHECK_EQ_INT(arag_engine_sessions(eng), 0);
  arag_engine_free(eng);
}

static void op_context_vector(void) {
  arag_engine *eng = NULL;
  CHECK_EQ_INT(arag_engine_create(NULL, 0, &eng), ARAG_OK);
  float u[64]; /* the catalog's dimension */
  af_on();
  arag_status st = arag_context_vector(eng, g_cat, g_hist, u, 64);
  af_off();
  CHECK(st == ARAG_OK || st == ARAG_E_NOMEM);
  if (st == ARAG_OK) {
    double norm = 0;
    for (int d = 0; d < 64; d++) norm += (double)u[d] * u[d];
    CHECK(norm > 0.999 && norm < 1.001);
  }
  arag_engine_free(eng);
}

/* Host backend: the provider's own work runs without injection; the engine's
 * start, deliveries and result run with it. */
static fp_provider g_fp;

static void quiet_fetch(void *user, uint32_t session, uint32_t rid, const char *json, size_t len) {
  int armed = af.armed;
  af.armed = 0;
  fp_on_fetch(user, session, rid, json, len);
  af.armed = armed;
}

static void pump_armed(fp_provider *p) {
  for (int i = 0; i < p->n; i++) {
    if (p->reqs[i].answered) continue;
    p->reqs[i].answered = 1;
    af.armed = 0;
    int status = 200;
    size_t len = 0;
    uint32_t session = p->reqs[i].session, rid = p->reqs[i].rid;
    char *body = fp_answer(&p->reqs[i], &status, &len);
    af.armed = 1;
    arag_report_usage(p->eng, session, rid, 100, 20);
    arag_deliver(p->eng, session, rid, status, body ? body : "", len);
    af.armed = 0;
    free(body);
    af.armed = 1;
    i = -1; /* deliveries may have added requests: start over */
  }
}

static void op_recommend_host(void) {
  static const char cfg[] = "{\"backend\":\"host\",\"max_in_flight\":2}";
  arag_engine *eng = NULL;
  CHECK_EQ_INT(arag_engine_create(cfg, strlen(cfg), &eng), ARAG_OK);
  fp_init(&g_fp, eng, 7, 0);
  arag_engine_set_fetch(eng, quiet_fetch, &g_fp);
  uint32_t sid = 0;
  af_on();
  arag_status st =
      arag_recommend_start(eng, g_cat, g_hist, request_json, strlen(request_json), &sid);
  if (st == ARAG_OK) pump_armed(&g_fp);
  af_off();
  if (!ref_order_host) {
    CHECK_EQ_INT(st, ARAG_OK);
    const char *json = NULL;
    size_t len = 0;
    CHECK_EQ_INT(arag_session_result(eng, sid, &json, &len), ARAG_OK);
    CHECK_EQ_INT(degradations(json, len), 0);
    ref_order_host = order_of(json, len);
  } else if (st == ARAG_OK) {
    check_session(eng, sid, ref_order_host);
  } else {
    CHECK_EQ_INT(st, ARAG_E_NOMEM);
    CHECK(strstr(arag_engine_last_error(eng), "valid JSON") == NULL);
  }
  arag_session_free(eng, sid);
  CHECK_EQ_INT(arag_engine_sessions(eng), 0);
  fp_free(&g_fp);
  arag_engine_free(eng);
}

static void test_engine_and_recommend(void) {
  CHECK_EQ_INT(arag_catalog_create(64, NULL, &g_cat), ARAG_OK);
  CHECK_EQ_INT(arag_catalog_add_json(g_cat, catalog_jsonl, strlen(catalog_jsonl)), ARAG_OK);
  CHECK_EQ_INT(arag_history_create(64, NULL, &g_hist), ARAG_OK);
  CHECK_EQ_INT(arag_history_add_json(g_hist, history_jsonl, strlen(history_jsonl)), ARAG_OK);
  sweep("engine_create", op_engine_create);
  op_recommend_offline(); /* the reference */
  sweep("recommend offline", op_recommend_offline);
  sweep("context_vector", op_context_vector);
  op_recommend_host();
  sweep("recommend host", op_recommend_host);
  free(ref_order_offline);
  free(ref_order_host);
  arag_history_free(g_hist);
  arag_catalog_free(g_cat);
}

/* ---- history and catalog ------------------------------------------------ */

static uint8_t *g_snap;
static size_t g_snap_len;

/* A history holding two events, as before each operation. */
static arag_history *two_events(void) {
  static const char ev[] = "{\"id\":\"A\",\"ts\":1,\"title\":\"Blue pen\"}\n"
                           "{\"id\":\"B\",\"ts\":2,\"title\":\"Notebook\",\"price\":3}\n";
  arag_history *h = NULL;
  CHECK_EQ_INT(arag_history_create(64, NULL, &h), ARAG_OK);
  CHECK_EQ_INT(arag_history_add_json(h, ev, strlen(ev)), ARAG_OK);
  return h;
}

/* Its snapshot bytes equal want (NULL: the two-event history's own). */
static void check_unchanged(arag_history *h, const uint8_t *want, size_t want_len) {
  uint8_t *snap = NULL;
  size_t len = 0;
  arag_history *ref = want ? NULL : two_events();
  uint8_t *ref_snap = NULL;
  size_t ref_len = 0;
  if (ref) CHECK_EQ_INT(arag_history_snapshot(ref, &ref_snap, &ref_len), ARAG_OK);
  CHECK_EQ_INT(arag_history_snapshot(h, &snap, &len), ARAG_OK);
  const uint8_t *w = want ? want : ref_snap;
  size_t wl = want ? want_len : ref_len;
  CHECK(snap && w && len == wl && memcmp(snap, w, len) == 0);
  arag_free(snap);
  arag_free(ref_snap);
  arag_history_free(ref);
}

static void op_history_restore(void) {
  arag_history *h = two_events();
  af_on();
  arag_status st = arag_history_restore(h, g_snap, g_snap_len);
  af_off();
  CHECK(st == ARAG_OK || st == ARAG_E_NOMEM);
  check_unchanged(h, st == ARAG_OK ? g_snap : NULL, g_snap_len);
  arag_history_free(h);
}

static void op_history_add(void) {
  static const char more[] = "[{\"id\":\"C\",\"ts\":0.5,\"title\":\"Stapler\",\"kind\":\"view\"},"
                             "{\"id\":\"A\",\"ts\":3,\"vector\":[" /* 64 numbers */
                             "1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,"
                             "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2]}]";
  arag_history *h = two_events();
  af_on();
  arag_status st = arag_history_add_json(h, more, strlen(more));
  af_off();
  CHECK(st == ARAG_OK || st == ARAG_E_NOMEM);
  if (st == ARAG_OK)
    CHECK_EQ_INT(arag_history_count(h), 4);
  else
    check_unchanged(h, NULL, 0);
  arag_history_free(h);
}

static void op_catalog_add(void) {
  arag_catalog *cat = NULL;
  CHECK_EQ_INT(arag_catalog_create(64, NULL, &cat), ARAG_OK);
  CHECK_EQ_INT(arag_catalog_add_json(cat, catalog_jsonl, 80), ARAG_E_JSON); /* cut mid-line */
  af_on();
  arag_status st = arag_catalog_add_json(cat, catalog_jsonl, strlen(catalog_jsonl));
  af_off();
  CHECK(st == ARAG_OK || st == ARAG_E_NOMEM);
  CHECK_EQ_INT(arag_catalog_count(cat), st == ARAG_OK ? 5 : 0);
  arag_catalog_free(cat);
}

/* ---- snapshots and restores ---------------------------------------------- */

static const char snap_items[] =
    "{\"id\":\"a\",\"title\":\"Rose Face Balm\",\"text\":\"Brand: Moss. For dry skin.\","
    "\"categories\":[\"Skin\",\"Balm\"],\"price\":9.5,\"popularity\":3,\"related\":{\"b\":2}}\n"
    "{\"id\":\"b\",\"title\":\"Argan Curl Cream\",\"brand\":\"Quill\",\"related\":{\"a\":1,"
    "\"c\":0.5}}\n{\"id\":\"c\",\"title\":\"Matte Lipstick Red\"}\n"
    "{\"id\":\"d\",\"title\":\"Mint Gel Pen\",\"categories\":[\"Office\"]}\n";
static arag_catalog *g_src; /* the catalog whose snapshot is restored / taken */
static uint8_t *g_cat_snap; /* its snapshot */
static size_t g_cat_snap_len;
static arag_index *g_ix_src; /* an index with a deleted row */
static uint8_t *g_ix_snap;
static size_t g_ix_snap_len;

/* The bytes of a catalog's or an index's snapshot (counted allocations are off). */
static uint8_t *cat_bytes(const arag_catalog *c, size_t *len) {
  uint8_t *b = NULL;
  CHECK_EQ_INT(arag_catalog_snapshot(c, &b, len), ARAG_OK);
  return b;
}

/* A catalog holding one item of its own, which a failed restore must keep. */
static arag_catalog *own_catalog(void) {
  static const char mine[] = "{\"id\":\"mine\",\"title\":\"My Own Thing\",\"categories\":[\"x\"]}";
  arag_catalog *c = NULL;
  CHECK_EQ_INT(arag_catalog_create(8, NULL, &c), ARAG_OK);
  CHECK_EQ_INT(arag_catalog_add_json(c, mine, strlen(mine)), ARAG_OK);
  return c;
}

static void op_catalog_restore(void) {
  arag_catalog *c = own_catalog();
  size_t before_len = 0, after_len = 0;
  uint8_t *before = cat_bytes(c, &before_len);
  af_on();
  arag_status st = arag_catalog_restore(c, g_cat_snap, g_cat_snap_len);
  af_off();
  CHECK(st == ARAG_OK || st == ARAG_E_NOMEM);
  uint8_t *after = cat_bytes(c, &after_len);
  const uint8_t *want = st == ARAG_OK ? g_cat_snap : before;
  size_t want_len = st == ARAG_OK ? g_cat_snap_len : before_len;
  CHECK(after_len == want_len && memcmp(after, want, want_len) == 0);
  arag_free(before);
  arag_free(after);
  arag_catalog_free(c);
}

static void op_catalog_snapshot(void) {
  uint8_t *b = NULL;
  size_t len = 0;
  af_on();
  arag_status st = arag_catalog_snapshot(g_src, &b, &len);
  af_off();
  CHECK(st == ARAG_OK || st == ARAG_E_NOMEM);
  /* A fallback path (the word counts' sort without its scratch) gives the same bytes. */
  if (st == ARAG_OK)
    CHECK(len == g_cat_snap_len && memcmp(b, g_cat_snap, len) == 0);
  else
    CHECK(b == NULL && len == 0);
  arag_free(b);
}

static void op_index_restore(void) {
  arag_index *ix = NULL;
  CHECK_EQ_INT(arag_index_create(4, ARAG_F32, ARAG_DOT, 0, NULL, &ix), ARAG_OK);
  CHECK_EQ_INT(arag_index_add(ix, "mine", 4, (const float[]){1, 2, 3, 4}, 4), ARAG_OK);
  af_on();
  arag_status st = arag_index_restore(ix, g_ix_snap, g_ix_snap_len);
  af_off();
  CHECK(st == ARAG_OK || st == ARAG_E_NOMEM);
  uint8_t *b = NULL;
  size_t len = 0;
  CHECK_EQ_INT(arag_index_snapshot(ix, &b, &len), ARAG_OK);
  if (st == ARAG_OK)
    CHECK(len == g_ix_snap_len && memcmp(b, g_ix_snap, len) == 0);
  else
    CHECK(arag_index_count(ix) == 1 && arag_index_dim(ix) == 4);
  arag_free(b);
  arag_index_free(ix);
}

static void op_index_snapshot(void) {
  uint8_t *b = NULL;
  size_t len = 0;
  af_on();
  arag_status st = arag_index_snapshot(g_ix_src, &b, &len);
  af_off();
  CHECK(st == ARAG_OK || st == ARAG_E_NOMEM);
  if (st == ARAG_OK) CHECK(len == g_ix_snap_len && memcmp(b, g_ix_snap, len) == 0);
  arag_free(b);
}

static void op_history_snapshot(void) {
  arag_history *h = two_events();
  uint8_t *b = NULL;
  size_t len = 0;
  af_on();
  arag_status st = arag_history_snapshot(h, &b, &len);
  af_off();
  CHECK(st == ARAG_OK || st == ARAG_E_NOMEM);
  if (st == ARAG_OK) check_unchanged(h, b, len);
  arag_free(b);
  arag_history_free(h);
}

static void test_snapshots(void) {
  for (int dt = 0; dt < 2; dt++) {
    CHECK_EQ_INT(arag_catalog_create_dtype(16, dt ? ARAG_I8 : ARAG_F32, NULL, &g_src), ARAG_OK);
    CHECK_EQ_INT(arag_catalog_add_json(g_src, snap_items, strlen(snap_items)), ARAG_OK);
    CHECK_EQ_INT(arag_catalog_remove(g_src, "d", 1), ARAG_OK);
    g_cat_snap = cat_bytes(g_src, &g_cat_snap_len);
    sweep(dt ? "catalog_restore int8" : "catalog_restore f32", op_catalog_restore);
    sweep(dt ? "catalog_snapshot int8" : "catalog_snapshot f32", op_catalog_snapshot);
    arag_free(g_cat_snap);
    arag_catalog_free(g_src);
  }
  CHECK_EQ_INT(arag_index_create(16, ARAG_I8, ARAG_COSINE, 1, NULL, &g_ix_src), ARAG_OK);
  for (int i = 0; i < 5; i++) {
    float v[16];
    char id[8];
    for (int d = 0; d < 16; d++) v[d] = (float)((i * 5 + d * 3) % 7) - 3.0f;
    snprintf(id, sizeof id, "r%d", i);
    CHECK_EQ_INT(arag_index_add(g_ix_src, id, strlen(id), v, 16), ARAG_OK);
  }
  CHECK_EQ_INT(arag_index_remove(g_ix_src, "r2", 2), ARAG_OK);
  CHECK_EQ_INT(arag_index_snapshot(g_ix_src, &g_ix_snap, &g_ix_snap_len), ARAG_OK);
  sweep("index_restore", op_index_restore);
  sweep("index_snapshot", op_index_snapshot);
  sweep("history_snapshot", op_history_snapshot);
  arag_free(g_ix_snap);
  arag_index_free(g_ix_src);
}

/* ---- create calls: out of memory is reported as such, with a message ---- */

/* A create either makes its handle or fails with ARAG_E_NOMEM, *out NULL and err saying
 * "ARAG_E_NOMEM: out of memory ...". */
static void check_create(arag_status st, const void *out, const arag_error *err) {
  if (st == ARAG_OK) {
    CHECK(out != NULL && err->status == ARAG_OK && err->message[0] == '\0');
    return;
  }
  CHECK_EQ_INT(st, ARAG_E_NOMEM);
  CHECK_EQ_INT(err->status, ARAG_E_NOMEM);
  CHECK(out == NULL);
  CHECK(strncmp(err->message, "ARAG_E_NOMEM: out of memory", 27) == 0);
}

static void op_create_index(void) {
  arag_error err;
  arag_index *ix = NULL;
  af_on();
  arag_status st = arag_index_create_err(32, ARAG_I8, ARAG_DOT, 1, NULL, &ix, &err);
  af_off();
  check_create(st, ix, &err);
  arag_index_free(ix);
}

static void op_create_catalog(void) {
  arag_error err;
  arag_catalog *cat = NULL;
  af_on();
  arag_status st = arag_catalog_create_err(32, ARAG_F32, NULL, &cat, &err);
  af_off();
  check_create(st, cat, &err);
  arag_catalog_free(cat);
}

static void op_create_history(void) {
  arag_error err;
  arag_history *h = NULL;
  af_on();
  arag_status st = arag_history_create_err(32, NULL, &h, &err);
  af_off();
  check_create(st, h, &err);
  arag_history_free(h);
}

static void op_create_engine(void) {
  arag_error err;
  arag_engine *eng = NULL;
  const char *cfg = "{\"k\": 4, \"shelf\": {\"size\": 6}}";
  af_on();
  arag_status st = arag_engine_create_err(cfg, strlen(cfg), &eng, &err);
  af_off();
  check_create(st, eng, &err);
  arag_engine_free(eng);
}

static void test_creates(void) {
  sweep("index_create_err", op_create_index);
  sweep("catalog_create_err", op_create_catalog);
  sweep("history_create_err", op_create_history);
  sweep("engine_create_err", op_create_engine);
}

static void test_history_and_catalog(void) {
  arag_history *h = NULL;
  CHECK_EQ_INT(arag_history_create(64, NULL, &h), ARAG_OK);
  CHECK_EQ_INT(arag_history_add_json(h, history_jsonl, strlen(history_jsonl)), ARAG_OK);
  CHECK_EQ_INT(arag_history_snapshot(h, &g_snap, &g_snap_len), ARAG_OK);
  arag_history_free(h);
  sweep("history_restore", op_history_restore);
  sweep("history_add_json", op_history_add);
  sweep("catalog_add_json", op_catalog_add);
  arag_free(g_snap);
}

int main(void) {
  af_never();
  RUN(test_agent_answers);
  RUN(test_engine_and_recommend);
  RUN(test_history_and_catalog);
  RUN(test_snapshots);
  RUN(test_creates);
  /* One JSON line: scripts/hardening-record.mjs reads it into docs/figures/hardening.json. */
  fprintf(stderr,
          "alloc-faults-summary {\"operations\":%ld,\"failure_points\":%ld,\"failures\":%d}\n",
          sweeps, sweep_points, test_failures);
  return test_report();
}
