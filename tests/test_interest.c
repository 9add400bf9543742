/* Interest shifts (src/reasoner/interest.c): the newest run of a topic the older events are not
 * about weighs them down, by how new the topic is and how long the run; the engine's
 * trace tells the shift, and the shelf follows it. */
#include "arag.h"
#include "interest.h"
#include "model.h"
#include "test.h"

#include "cJSON.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EV 32

typedef struct hist {
  arag_event ev[MAX_EV];
  const arag_event *p[MAX_EV];
  char *cats[MAX_EV][3];
  uint32_t n;
} hist;

/* Appends an event whose item has the category path "a > b > c" (NULL levels end it). */
static void add(hist *h, const char *a, const char *b, const char *c) {
  arag_event *e = &h->ev[h->n];
  memset(e, 0, sizeof *e);
  const char *lv[3] = {a, b, c};
  uint32_t n = 0;
  while (n < 3 && lv[n]) {
    h->cats[h->n][n] = (char *)lv[n];
    n++;
  }
  e->item.categories = n ? h->cats[h->n] : NULL;
  e->item.n_categories = n;
  h->p[h->n] = e;
  h->n++;
}

static arag_shift shift_of(hist *h, float strength, float *w) {
  arag_shift s;
  arag_interest_shift(h->p, h->n, strength, &s, w);
  return s;
}

static void test_shift(void) {
  float w[MAX_EV];
  /* Ten events in one category, then three in another: the whole shift. */
  hist h = {0};
  for (int i = 0; i < 10; i++) add(&h, "Skin Care", "Serums", NULL);
  for (int i = 0; i < 3; i++) add(&h, "Hair Care", "Shampoo", NULL);
  arag_shift s = shift_of(&h, 0.75f, w);
  CHECK_NEAR(s.shift, 1.0, 1e-6);
  CHECK_EQ_INT(s.run, 3);
  CHECK_EQ_INT(s.first, 10);
  for (int i = 0; i < 10; i++) CHECK_NEAR(w[i], 0.25, 1e-6);
  for (int i = 10; i < 13; i++) CHECK_NEAR(w[i], 1.0, 1e-6);
  /* Strength 0: every weight as usual, the shift still told. */
  s = shift_of(&h, 0.0f, w);
  CHECK_NEAR(s.shift, 1.0, 1e-6);
  for (int i = 0; i < 13; i++) CHECK_NEAR(w[i], 1.0, 1e-6);

  /* One event elsewhere moves nothing (a stray click), two half of it. */
  hist one = {0};
  for (int i = 0; i < 10; i++) add(&one, "Skin Care", "Serums", NULL);
  add(&one, "Hair Care", "Shampoo", NULL);
  s = shift_of(&one, 0.75f, w);
  CHECK_NEAR(s.shift, 0.0, 1e-9);
  CHECK_EQ_INT(s.run, 1);
  CHECK_NEAR(w[0], 1.0, 1e-9);
  add(&one, "Hair Care", "Conditioner", NULL);
  s = shift_of(&one, 0.75f, w);
  CHECK_NEAR(s.shift, 0.5, 1e-6);
  CHECK_NEAR(w[0], 0.625, 1e-6);

  /* A topic the older events were partly about is less new: 2 of 8 before the run. */
  hist back = {0};
  for (int i = 0; i < 2; i++) add(&back, "Hair Care", "Conditioner", NULL);
  for (int i = 0; i < 6; i++) add(&back, "Skin Care", "Serums", NULL);
  for (int i = 0; i < 3; i++) add(&back, "Hair Care", "Shampoo", NULL);
  s = shift_of(&back, 1.0f, w);
  CHECK_NEAR(s.shift, 0.75, 1e-6);
  CHECK_EQ_INT(s.run, 3);
  CHECK_NEAR(w[0], 1.0, 1e-6); /* of the run's topic: its usual weight */
  CHECK_NEAR(w[2], 0.25, 1e-6);

  /* Levels every event shares are not a topic: under one root, the next level is. */
  hist rooted = {0};
  for (int i = 0; i < 4; i++) add(&rooted, "Beauty", "Skin Care", "Face");
  for (int i = 0; i < 3; i++) add(&rooted, "Beauty", "Hair Care", "Styling");
  s = shift_of(&rooted, 0.75f, w);
  CHECK_NEAR(s.shift, 1.0, 1e-6);
  /* All under "Beauty > Skin Care": Face and Body are the topics. */
  hist deep = {0};
  for (int i = 0; i < 4; i++) add(&deep, "Beauty", "Skin Care", "Face");
  for (int i = 0; i < 3; i++) add(&deep, "Beauty", "Skin Care", "Body");
  s = shift_of(&deep, 0.75f, w);
  CHECK_NEAR(s.shift, 1.0, 1e-6);
  CHECK_EQ_INT(s.run, 3);

  /* Topics taking turns, one topic throughout, no categories, one event: no shift. */
  hist same = {0};
  for (int i = 0; i < 8; i++) add(&same, "Skin Care", i % 2 ? "Serums" : "Toner", NULL);
  s = shift_of(&same, 0.75f, w);
  CHECK_NEAR(s.shift, 0.0, 1e-9); /* leaves taking turns: runs of one */
  CHECK_EQ_INT(s.run, 1);
  hist flat = {0};
  for (int i = 0; i < 8; i++) add(&flat, "Skin Care", "Serums", NULL);
  s = shift_of(&flat, 0.75f, w);
  CHECK_NEAR(s.shift, 0.0, 1e-9);
  for (int i = 0; i < 8; i++) CHECK_NEAR(w[i], 1.0, 1e-9);
  hist none = {0};
  for (int i = 0; i < 5; i++) add(&none, NULL, NULL, NULL);
  s = shift_of(&none, 0.75f, w);
  CHECK_NEAR(s.shift, 0.0, 1e-9);
  hist single = {0};
  add(&single, "Hair Care", NULL, NULL);
  s = shift_of(&single, 0.75f, w);
  CHECK_NEAR(s.shift, 0.0, 1e-9);
  CHECK_NEAR(w[0], 1.0, 1e-9);

  /* Events without categories inside the run are passed over and keep their weight;
   * older ones without categories are of the older interest. Case and spaces around a
   * level do not make another topic. */
  hist gaps = {0};
  add(&gaps, NULL, NULL, NULL);
  for (int i = 0; i < 5; i++) add(&gaps, "Office", "Pens", NULL);
  add(&gaps, "Outdoor", "Camping", NULL);
  add(&gaps, NULL, NULL, NULL);
  add(&gaps, " outdoor ", "Hiking", NULL);
  add(&gaps, "OUTDOOR", NULL, NULL);
  s = shift_of(&gaps, 0.75f, w);
  CHECK_EQ_INT(s.run, 3);
  CHECK_EQ_INT(s.first, 6);
  CHECK_NEAR(s.shift, 1.0, 1e-6);
  CHECK_NEAR(w[0], 0.25, 1e-6);
  CHECK_NEAR(w[5], 0.25, 1e-6);
  CHECK_NEAR(w[7], 1.0, 1e-6);
}

/* Through the engine: the trace tells the shift and the weight the older events got;
 * the shelf of a catalog follows the new topic. */
static void test_engine(void) {
  arag_catalog *cat = NULL;
  CHECK_EQ_INT(arag_catalog_create(64, NULL, &cat), ARAG_OK);
  char line[256];
  for (int i = 0; i < 30; i++) {
    snprintf(line, sizeof line,
             "{\"id\":\"s%d\",\"title\":\"Serum %c%c\",\"categories\":[\"Skin Care\",\"Serums\"]}",
             i, 'a' + i % 26, 'a' + i / 3);
    CHECK_EQ_INT(arag_catalog_add_json(cat, line, strlen(line)), ARAG_OK);
    snprintf(line, sizeof line,
             "{\"id\":\"h%d\",\"title\":\"Tent %c%c\",\"categories\":[\"Outdoor\",\"Camping\"]}", i,
             'a' + i % 26, 'a' + i / 3);
    CHECK_EQ_INT(arag_catalog_add_json(cat, line, strlen(line)), ARAG_OK);
  }
  arag_history *h = NULL;
  CHECK_EQ_INT(arag_history_create(64, NULL, &h), ARAG_OK);
  for (int i = 0; i < 10; i++) {
    snprintf(line, sizeof line, "{\"id\":\"s%d\",\"ts\":%d}", i, i);
    CHECK_EQ_INT(arag_history_add_json(h, line, strlen(line)), ARAG_OK);
  }
  for (int i = 0; i < 3; i++) {
    snprintf(line, sizeof line, "{\"id\":\"h%d\",\"ts\":%d}", i, 10 + i);
    CHECK_EQ_INT(arag_history_add_json(h, line, strlen(line)), ARAG_OK);
  }
  int counts[2] = {0, 0};
  const char *cfgs[2] = {"{\"reasoner\":{\"shift\":0}}", "{}"};
  for (int on = 0; on < 2; on++) {
    arag_engine *e = NULL;
    CHECK_EQ_INT(arag_engine_create(cfgs[on], strlen(cfgs[on]), &e), ARAG_OK);
    if (!e) continue;
    uint32_t sid = 0;
    const char *req = "{\"k\":6,\"config\":{\"shelf\":false}}";
    CHECK_EQ_INT(arag_recommend_start(e, cat, h, req, strlen(req), &sid), ARAG_OK);
    const char *json = NULL;
    size_t len = 0;
    CHECK_EQ_INT(arag_session_result(e, sid, &json, &len), ARAG_OK);
    cJSON *r = json ? cJSON_ParseWithLength(json, len) : NULL;
    CHECK(r != NULL);
    if (r) {
      cJSON *items = cJSON_GetObjectItem(r, "items"), *it;
      cJSON_ArrayForEach(it, items) {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(it, "id"));
        counts[on] += id && id[0] == 'h';
      }
      cJSON *sh = cJSON_GetObjectItem(
          cJSON_GetObjectItem(cJSON_GetObjectItem(r, "trace"), "context"), "shift");
      CHECK(sh != NULL);
      CHECK_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(sh, "share")), 1.0, 1e-9);
      CHECK_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(sh, "run")), 3);
      CHECK_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(sh, "older_weight")), on ? 0.25 : 1.0,
                 1e-9);
      cJSON_Delete(r);
    }
    arag_session_free(e, sid);
    arag_engine_free(e);
  }
  /* With the shift, at least half of the six are tents (the sample sets' scenarios,
   * wasm-tests/interest-shift.test.mjs, compare it with the shift off). */
  CHECK(counts[1] >= 3);
  arag_history_free(h);
  arag_catalog_free(cat);
}

int main(void) {
  RUN(test_shift);
  RUN(test_engine);
  return test_report();
}
