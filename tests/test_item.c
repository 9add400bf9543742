/* Item and event JSON parsing: every field, every wrong type, limits, copies,
 * and the batch splitter (object, array, JSON lines). */
#include "embed.h"
#include "errbuf.h"
#include "item.h"
#include "test.h"

#include <stdlib.h>

#define D 32

static arag_limits lim;
static arag_error error;

/* Parses text as one JSON object into an item; returns the status. */
static arag_status parse_item(const char *json, int require_title, arag_item *it) {
  cJSON *obj = cJSON_Parse(json);
  CHECK(obj != NULL);
  arag_err_clear(&error);
  arag_status st = arag_item_parse(obj, &lim, D, require_title, it, &error);
  cJSON_Delete(obj);
  return st;
}

static arag_status parse_event(const char *json, arag_event *ev, int *has_ts) {
  cJSON *obj = cJSON_Parse(json);
  CHECK(obj != NULL);
  arag_err_clear(&error);
  arag_status st = arag_event_parse(obj, &lim, D, ev, has_ts, &error);
  cJSON_Delete(obj);
  return st;
}

/* Expects the status, a message naming `field`, and a cleared item. */
static void expect_fail(const char *json, int require_title, arag_status want, const char *field) {
  arag_item it;
  arag_status st = parse_item(json, require_title, &it);
  CHECK_EQ_INT(st, want);
  if (st != want) fprintf(stderr, "  input: %s\n", json);
  CHECK(strstr(error.message, field) != NULL);
  if (!strstr(error.message, field))
    fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", error.message, field);
  CHECK(it.id == NULL && it.title == NULL && it.vec == NULL && it.categories == NULL);
}

static void test_all_fields(void) {
  arag_item it;
  CHECK_EQ_INT(parse_item("{\"id\":\"B1\",\"title\":\"Red Lipstick\",\"text\":\"Long lasting.\","
                          "\"categories\":[\"Beauty\",\"Makeup\",\"Lips\"],\"brand\":\"Acme\","
                          "\"price\":12.5,\"popularity\":3,\"extra\":{\"ignored\":[1,2]}}",
                          1, &it),
               ARAG_OK);
  CHECK(strcmp(it.id, "B1") == 0);
  CHECK_EQ_INT(it.id_len, 2);
  CHECK(strcmp(it.title, "Red Lipstick") == 0);
  CHECK(strcmp(it.text, "Long lasting.") == 0);
  CHECK(strcmp(it.brand, "Acme") == 0);
  CHECK_EQ_INT(it.n_categories, 3);
  CHECK(strcmp(it.categories[0], "Beauty") == 0 && strcmp(it.categories[2], "Lips") == 0);
  CHECK_NEAR(it.price, 12.5, 0);
  CHECK_NEAR(it.popularity, 3, 0);
  CHECK(it.vec != NULL);
  float v[D];
  CHECK_EQ_INT(arag_embed_item(&it, D, v), ARAG_OK);
  CHECK(memcmp(v, it.vec, sizeof(v)) == 0);
  arag_item_clear(&it);
  CHECK(it.id == NULL);

  /* Minimal item: absent strings are "", numbers NAN. Nulls count as absent. */
  CHECK_EQ_INT(parse_item("{\"id\":\"x\",\"title\":\"t\",\"text\":null,\"price\":null}", 1, &it),
               ARAG_OK);
  CHECK(it.text && it.text[0] == '\0' && it.brand && it.brand[0] == '\0');
  CHECK(isnan(it.price) && isnan(it.popularity));
  CHECK_EQ_INT(it.n_categories, 0);
  arag_item_clear(&it);
}

static void test_vector_field(void) {
  char json[1024];
  int n = snprintf(json, sizeof(json), "{\"id\":\"v\",\"title\":\"Blue Shampoo\",\"vector\":[");
  for (int i = 0; i < D; i++) n += snprintf(json + n, sizeof(json) - n, "%s%d", i ? "," : "", i);
  snprintf(json + n, sizeof(json) - n, "]}");
  arag_item it;
  CHECK_EQ_INT(parse_item(json, 1, &it), ARAG_OK);
  for (int i = 0; i < D; i++) CHECK(it.vec[i] == (float)i);
  arag_item_clear(&it);

  expect_fail("{\"id\":\"v\",\"title\":\"t\",\"vector\":[1,2,3]}", 1, ARAG_E_DIM, "vector");
  expect_fail("{\"id\":\"v\",\"title\":\"t\",\"vector\":\"1,2\"}", 1, ARAG_E_JSON, "vector");
  /* a non-number element, a float overflow (1e39 is inf as f32) */
  n = snprintf(json, sizeof(json), "{\"id\":\"v\",\"title\":\"t\",\"vector\":[");
  for (int i = 0; i < D; i++)
    n += snprintf(json + n, sizeof(json) - n, "%s%s", i ? "," : "", i == 5 ? "\"x\"" : "1");
  snprintf(json + n, sizeof(json) - n, "]}");
  expect_fail(json, 1, ARAG_E_JSON, "vector");
  n = snprintf(json, sizeof(json), "{\"id\":\"v\",\"title\":\"t\",\"vector\":[");
  for (int i = 0; i < D; i++)
    n += snprintf(json + n, sizeof(json) - n, "%s%s", i ? "," : "", i == 7 ? "1e39" : "1");
  snprintf(json + n, sizeof(json) - n, "]}");
  expect_fail(json, 1, ARAG_E_NONFINITE, "vector");
  /* finite as f32 but the norm overflows */
  n = snprintf(json, sizeof(json), "{\"id\":\"v\",\"title\":\"t\",\"vector\":[");
  for (int i = 0; i < D; i++) n += snprintf(json + n, sizeof(json) - n, "%s3e37", i ? "," : "");
  snprintf(json + n, sizeof(json) - n, "]}");
  expect_fail(json, 1, ARAG_E_NONFINITE, "vector");
  /* longer than max_dim */
  arag_limits saved = lim;
  lim.max_dim = 4;
  expect_fail("{\"id\":\"v\",\"title\":\"t\",\"vector\":[1,2,3,4,5]}", 1, ARAG_E_LIMIT, "vector");
  lim = saved;
}

static void test_wrong_types(void) {
  expect_fail("{\"title\":\"t\"}", 1, ARAG_E_JSON, "id");
  expect_fail("{\"id\":7,\"title\":\"t\"}", 1, ARAG_E_JSON, "id");
  expect_fail("{\"id\":\"\",\"title\":\"t\"}", 1, ARAG_E_INVALID, "id");
  expect_fail("{\"id\":\"a\"}", 1, ARAG_E_JSON, "title");
  expect_fail("{\"id\":\"a\",\"title\":5}", 1, ARAG_E_JSON, "title");
  expect_fail("{\"id\":\"a\",\"title\":\"t\",\"text\":[]}", 1, ARAG_E_JSON, "text");
  expect_fail("{\"id\":\"a\",\"title\":\"t\",\"brand\":true}", 1, ARAG_E_JSON, "brand");
  expect_fail("{\"id\":\"a\",\"title\":\"t\",\"categories\":\"Beauty\"}", 1, ARAG_E_JSON,
              "categories");
  expect_fail("{\"id\":\"a\",\"title\":\"t\",\"categories\":[\"a\",2]}", 1, ARAG_E_JSON,
              "categories");
  expect_fail("{\"id\":\"a\",\"title\":\"t\",\"price\":\"12\"}", 1, ARAG_E_JSON, "price");
  expect_fail("{\"id\":\"a\",\"title\":\"t\",\"price\":1e999}", 1, ARAG_E_JSON, "price");
  expect_fail("{\"id\":\"a\",\"title\":\"t\",\"popularity\":{}}", 1, ARAG_E_JSON, "popularity");
  /* not an object */
  arag_item it;
  cJSON *arr = cJSON_Parse("[1]");
  CHECK_EQ_INT(arag_item_parse(arr, &lim, D, 1, &it, &error), ARAG_E_JSON);
  cJSON_Delete(arr);
}

static void test_limits(void) {
  arag_limits saved = lim;
  lim.max_id_bytes = 4;
  lim.max_text_bytes = 8;
  expect_fail("{\"id\":\"abcde\",\"title\":\"t\"}", 1, ARAG_E_LIMIT, "id");
  expect_fail("{\"id\":\"a\",\"title\":\"123456789\"}", 1, ARAG_E_LIMIT, "title");
  expect_fail("{\"id\":\"a\",\"title\":\"t\",\"text\":\"123456789\"}", 1, ARAG_E_LIMIT, "text");
  expect_fail("{\"id\":\"a\",\"title\":\"t\",\"brand\":\"123456789\"}", 1, ARAG_E_LIMIT, "brand");
  expect_fail("{\"id\":\"a\",\"title\":\"t\",\"categories\":[\"123456789\"]}", 1, ARAG_E_LIMIT,
              "categories");
  arag_item it;
  CHECK_EQ_INT(parse_item("{\"id\":\"abcd\",\"title\":\"12345678\"}", 1, &it), ARAG_OK);
  arag_item_clear(&it);
  lim = saved;
  char json[2048];
  int n = snprintf(json, sizeof(json), "{\"id\":\"a\",\"title\":\"t\",\"categories\":[");
  for (int i = 0; i <= ARAG_ITEM_MAX_CATEGORIES; i++)
    n += snprintf(json + n, sizeof(json) - n, "%s\"c\"", i ? "," : "");
  snprintf(json + n, sizeof(json) - n, "]}");
  expect_fail(json, 1, ARAG_E_LIMIT, "categories");
}

static void test_brand_from_text(void) {
  arag_item it;
  CHECK_EQ_INT(parse_item("{\"id\":\"0\",\"title\":\"HP 74 Ink\",\"text\":\"Brand: HP. HP 74 "
                          "Black & 75 Tri-color. Works with v2.5 printers.\"}",
                          1, &it),
               ARAG_OK);
  CHECK(strcmp(it.brand, "HP") == 0);
  arag_item_clear(&it);
  CHECK_EQ_INT(parse_item("{\"id\":\"2\",\"title\":\"x\",\"text\":\"Brand: Scholastic.\"}", 1, &it),
               ARAG_OK);
  CHECK(strcmp(it.brand, "Scholastic") == 0);
  arag_item_clear(&it);
  /* A dot inside the brand name that is not followed by a space. */
  CHECK_EQ_INT(parse_item("{\"id\":\"3\",\"title\":\"x\",\"text\":\"Brand: Post-it.com Inc. "
                          "Notes.\"}",
                          1, &it),
               ARAG_OK);
  CHECK(strcmp(it.brand, "Post-it.com Inc") == 0);
  arag_item_clear(&it);
  /* An explicit brand wins; no prefix, no brand. */
  CHECK_EQ_INT(parse_item("{\"id\":\"4\",\"title\":\"x\",\"brand\":\"Acme\",\"text\":\"Brand: HP. "
                          "y\"}",
                          1, &it),
               ARAG_OK);
  CHECK(strcmp(it.brand, "Acme") == 0);
  arag_item_clear(&it);
  CHECK_EQ_INT(parse_item("{\"id\":\"5\",\"title\":\"x\",\"text\":\"Made by HP.\"}", 1, &it),
               ARAG_OK);
  CHECK(strcmp(it.brand, "") == 0);
  arag_item_clear(&it);
}

static void test_events(void) {
  arag_event ev;
  int has_ts = -1;
  CHECK_EQ_INT(parse_event("{\"id\":\"B1\"}", &ev, &has_ts), ARAG_OK);
  CHECK_EQ_INT(has_ts, 0);
  CHECK_EQ_INT(ev.kind, ARAG_EV_PURCHASE);
  CHECK(isnan(ev.rating));
  CHECK(strcmp(ev.item.title, "") == 0);
  CHECK(ev.item.vec != NULL);
  arag_item_clear(&ev.item);

  const char *kinds[] = {"view", "cart", "purchase", "rating"};
  for (int k = 0; k < 4; k++) {
    char json[128];
    snprintf(json, sizeof(json), "{\"id\":\"B1\",\"ts\":17.5,\"kind\":\"%s\",\"rating\":4}",
             kinds[k]);
    CHECK_EQ_INT(parse_event(json, &ev, &has_ts), ARAG_OK);
    CHECK_EQ_INT(ev.kind, k);
    CHECK(strcmp(arag_event_kind_name(ev.kind, ARAG_EV_PURCHASE), kinds[k]) == 0);
    CHECK_EQ_INT(has_ts, 1);
    CHECK_NEAR(ev.ts, 17.5, 0);
    CHECK_NEAR(ev.rating, 4, 0);
    arag_item_clear(&ev.item);
  }
  /* A kind out of range reads as the caller's fallback. */
  CHECK(strcmp(arag_event_kind_name((arag_event_kind)9, ARAG_EV_VIEW), "view") == 0);
  CHECK(strcmp(arag_event_kind_name((arag_event_kind)9, ARAG_EV_PURCHASE), "purchase") == 0);
  const char *bad[][2] = {
      {"{\"id\":\"a\",\"kind\":\"like\"}", "kind"},  {"{\"id\":\"a\",\"kind\":3}", "kind"},
      {"{\"id\":\"a\",\"ts\":\"yesterday\"}", "ts"}, {"{\"id\":\"a\",\"rating\":[5]}", "rating"},
      {"{\"id\":\"a\",\"title\":1}", "title"},       {"{\"ts\":1}", "id"}};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    CHECK_EQ_INT(parse_event(bad[i][0], &ev, &has_ts), ARAG_E_JSON);
    CHECK(strstr(error.message, bad[i][1]) != NULL);
    CHECK(ev.item.id == NULL && ev.item.vec == NULL);
  }
}

static void test_copy(void) {
  arag_item a, b;
  CHECK_EQ_INT(parse_item("{\"id\":\"c1\",\"title\":\"Comb\",\"categories\":[\"A\",\"B\"],"
                          "\"price\":2}",
                          1, &a),
               ARAG_OK);
  CHECK_EQ_INT(arag_item_copy(&b, &a, D), ARAG_OK);
  CHECK(b.id != a.id && strcmp(b.id, a.id) == 0 && b.id_len == a.id_len);
  CHECK(strcmp(b.title, a.title) == 0 && b.categories != a.categories);
  CHECK_EQ_INT(b.n_categories, 2);
  CHECK(strcmp(b.categories[1], "B") == 0);
  CHECK(memcmp(a.vec, b.vec, D * sizeof(float)) == 0);
  CHECK_NEAR(b.price, 2, 0);
  arag_item_clear(&a);
  arag_item_clear(&b);
}

typedef struct collected {
  int n;
  char ids[8][16];
  int fail_at; /* fail on this object (0-based), -1 never */
} collected;

static arag_status collect(void *user, const cJSON *obj, arag_error *e) {
  collected *c = (collected *)user;
  if (c->n == c->fail_at) return arag_err_set(e, ARAG_E_INVALID, "refused");
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(obj, "id");
  snprintf(c->ids[c->n++ & 7], 16, "%s", cJSON_IsString(id) ? id->valuestring : "?");
  return ARAG_OK;
}

static arag_status each(const char *json, collected *c, int fail_at) {
  memset(c, 0, sizeof(*c));
  c->fail_at = fail_at;
  arag_err_clear(&error);
  return arag_json_each(json, strlen(json), collect, c, &error);
}

static void test_related(void) {
  arag_item it, cp;
  CHECK_EQ_INT(parse_item("{\"id\":\"B1\",\"title\":\"Lipstick\","
                          "\"related\":{\"B2\":3,\"B9\":0.5,\"B3\":0}}",
                          1, &it),
               ARAG_OK);
  CHECK_EQ_INT(it.n_related, 3);
  CHECK(it.related_ids && strcmp(it.related_ids[0], "B2") == 0 &&
        strcmp(it.related_ids[1], "B9") == 0 && strcmp(it.related_ids[2], "B3") == 0);
  CHECK(it.related_w && it.related_w[0] == 3.0f && it.related_w[1] == 0.5f &&
        it.related_w[2] == 0.0f);
  CHECK_EQ_INT(arag_item_copy(&cp, &it, D), ARAG_OK);
  CHECK_EQ_INT(cp.n_related, 3);
  CHECK(cp.related_ids != it.related_ids && strcmp(cp.related_ids[1], "B9") == 0);
  CHECK(cp.related_ids[1] != it.related_ids[1] && cp.related_w[1] == 0.5f);
  arag_item_clear(&it);
  CHECK(it.related_ids == NULL && it.related_w == NULL && it.n_related == 0);
  CHECK(strcmp(cp.related_ids[0], "B2") == 0); /* the copy outlives the original */
  arag_item_clear(&cp);

  /* Absent, null and empty: no related items. */
  CHECK_EQ_INT(parse_item("{\"id\":\"B1\",\"title\":\"x\",\"related\":null}", 1, &it), ARAG_OK);
  CHECK(it.n_related == 0 && it.related_ids == NULL);
  arag_item_clear(&it);
  CHECK_EQ_INT(parse_item("{\"id\":\"B1\",\"title\":\"x\",\"related\":{}}", 1, &it), ARAG_OK);
  CHECK(it.n_related == 0 && it.related_ids == NULL);
  arag_item_clear(&it);

  /* Wrong types and values. */
  expect_fail("{\"id\":\"B1\",\"title\":\"x\",\"related\":[\"B2\"]}", 1, ARAG_E_JSON, "related");
  expect_fail("{\"id\":\"B1\",\"title\":\"x\",\"related\":\"B2\"}", 1, ARAG_E_JSON, "related");
  expect_fail("{\"id\":\"B1\",\"title\":\"x\",\"related\":{\"B2\":\"3\"}}", 1, ARAG_E_JSON,
              "related");
  expect_fail("{\"id\":\"B1\",\"title\":\"x\",\"related\":{\"B2\":1,\"B3\":-1}}", 1, ARAG_E_INVALID,
              "B3");
  expect_fail("{\"id\":\"B1\",\"title\":\"x\",\"related\":{\"B2\":1e39}}", 1, ARAG_E_INVALID,
              "related");
  expect_fail("{\"id\":\"B1\",\"title\":\"x\",\"related\":{\"\":1}}", 1, ARAG_E_INVALID, "related");

  /* Limits: 64 entries pass, 65 do not; an id over max_id_bytes does not. */
  char buf[4096];
  for (int n = 64; n <= 65; n++) {
    size_t o = (size_t)snprintf(buf, sizeof buf, "{\"id\":\"B1\",\"title\":\"x\",\"related\":{");
    for (int i = 0; i < n; i++)
      o += (size_t)snprintf(buf + o, sizeof buf - o, "%s\"R%d\":%d", i ? "," : "", i, i);
    snprintf(buf + o, sizeof buf - o, "}}");
    if (n == 64) {
      CHECK_EQ_INT(parse_item(buf, 1, &it), ARAG_OK);
      CHECK_EQ_INT(it.n_related, 64);
      CHECK(strcmp(it.related_ids[63], "R63") == 0 && it.related_w[63] == 63.0f);
      arag_item_clear(&it);
    } else {
      expect_fail(buf, 1, ARAG_E_LIMIT, "related");
    }
  }
  size_t o = (size_t)snprintf(buf, sizeof buf, "{\"id\":\"B1\",\"title\":\"x\",\"related\":{\"");
  for (uint32_t i = 0; i <= lim.max_id_bytes && o + 8 < sizeof buf; i++) buf[o++] = 'a';
  snprintf(buf + o, sizeof buf - o, "\":1}}");
  expect_fail(buf, 1, ARAG_E_LIMIT, "max_id_bytes");
}

static void test_json_each(void) {
  collected c;
  CHECK_EQ_INT(each("{\"id\":\"a\"}", &c, -1), ARAG_OK);
  CHECK_EQ_INT(c.n, 1);
  CHECK_EQ_INT(each(" [ {\"id\":\"a\"}, {\"id\":\"b\"} ] \n", &c, -1), ARAG_OK);
  CHECK_EQ_INT(c.n, 2);
  CHECK(strcmp(c.ids[1], "b") == 0);
  CHECK_EQ_INT(each("{\"id\":\"a\"}\n{\"id\":\"b\"}\r\n\n{\"id\":\"c\"}\n", &c, -1), ARAG_OK);
  CHECK_EQ_INT(c.n, 3);
  CHECK(strcmp(c.ids[2], "c") == 0);
  /* An escaped NUL would silently cut a string short: refused. An escaped
   * backslash followed by "u0000" is ordinary text. */
  CHECK_EQ_INT(each("{\"id\":\"a\"}\n{\"id\":\"b\\u0000c\"}", &c, -1), ARAG_E_JSON);
  CHECK(strstr(error.message, "line 2") != NULL && strstr(error.message, "u0000") != NULL);
  CHECK_EQ_INT(c.n, 0);
  CHECK_EQ_INT(each("{\"id\":\"b\\\\u0000c\"}", &c, -1), ARAG_OK);
  CHECK(strcmp(c.ids[0], "b\\u0000c") == 0);
  CHECK_EQ_INT(each("{\"id\":\"b\\u0041\"}", &c, -1), ARAG_OK);
  CHECK(strcmp(c.ids[0], "bA") == 0);
  /* A UTF-8 byte order mark (files saved on some systems) is skipped. */
  CHECK_EQ_INT(each("\xEF\xBB\xBF{\"id\":\"a\"}\r\n{\"id\":\"b\"}\r\n", &c, -1), ARAG_OK);
  CHECK_EQ_INT(c.n, 2);
  CHECK_EQ_INT(each("[]", &c, -1), ARAG_OK);
  CHECK_EQ_INT(c.n, 0);
  /* errors name the place */
  CHECK_EQ_INT(each("", &c, -1), ARAG_E_JSON);
  CHECK_EQ_INT(each("  \n ", &c, -1), ARAG_E_JSON);
  CHECK_EQ_INT(each("{\"id\":\"a\"}\n{\"id\":\"b\"}\n{\"id\":\"c\",}\n", &c, -1), ARAG_E_JSON);
  CHECK(strstr(error.message, "line 3") != NULL);
  CHECK_EQ_INT(each("{\"id\":\"a\"}\n\"str\"\n", &c, -1), ARAG_E_JSON);
  CHECK(strstr(error.message, "line 2") != NULL);
  CHECK_EQ_INT(each("[{\"id\":\"a\"}, 5]", &c, -1), ARAG_E_JSON);
  CHECK(strstr(error.message, "element 1") != NULL);
  CHECK_EQ_INT(each("[{\"id\":\"a\"}", &c, -1), ARAG_E_JSON);
  CHECK_EQ_INT(each("[{\"id\":\"a\"}] x", &c, -1), ARAG_E_JSON);
  CHECK(strstr(error.message, "line 1") != NULL &&
        strstr(error.message, "malformed JSON array") != NULL);
  /* Elements are parsed one at a time: the callback saw "a" before the error. */
  CHECK_EQ_INT(c.n, 1);
  CHECK_EQ_INT(each("[{\"id\":\"a\"},\n{\"id\":\"b\"}\n,]", &c, -1), ARAG_E_JSON);
  CHECK(strstr(error.message, "line 3") != NULL);
  CHECK_EQ_INT(c.n, 2);
  CHECK_EQ_INT(each("[ ]", &c, -1), ARAG_OK);
  CHECK_EQ_INT(each("[ ] ,", &c, -1), ARAG_E_JSON);
  CHECK_EQ_INT(each("[,]", &c, -1), ARAG_E_JSON);
  CHECK_EQ_INT(each("[{\"id\":\"a\"} {\"id\":\"b\"}]", &c, -1), ARAG_E_JSON);
  CHECK_EQ_INT(each("[\n{\"id\":\"a\"}\n,\n{\"id\":\"b\"}\n]\n", &c, -1), ARAG_OK);
  CHECK_EQ_INT(c.n, 2);
  /* the callback's status and message come back with the position */
  CHECK_EQ_INT(each("[{\"id\":\"a\"},{\"id\":\"b\"},{\"id\":\"c\"}]", &c, 1), ARAG_E_INVALID);
  CHECK(strstr(error.message, "element 1") != NULL && strstr(error.message, "refused") != NULL);
  CHECK_EQ_INT(each("{\"id\":\"a\"}\n\n{\"id\":\"b\"}", &c, 1), ARAG_E_INVALID);
  CHECK(strstr(error.message, "line 3") != NULL);
  /* not NUL-terminated: the length is honoured */
  const char buf[] = "{\"id\":\"a\"}{\"id\":\"b\"}";
  memset(&c, 0, sizeof(c));
  c.fail_at = -1;
  CHECK_EQ_INT(arag_json_each(buf, 10, collect, &c, &error), ARAG_OK);
  CHECK_EQ_INT(c.n, 1);
}

int main(void) {
  arag_limits_default(&lim);
  RUN(test_all_fields);
  RUN(test_vector_field);
  RUN(test_wrong_types);
  RUN(test_limits);
  RUN(test_brand_from_text);
  RUN(test_events);
  RUN(test_copy);
  RUN(test_related);
  RUN(test_json_each);
  return test_report();
}
