/* The direct JSON writer prints what cJSON_PrintUnformatted prints, byte for byte. */
#include "json_write.h"
#include "test.h"

#include <cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x243F6A8885A308D3ull;
static uint64_t next_u64(void) {
  uint64_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return rng_state = x;
}

/* Both printers on one tree: 1 when they agree. */
static int same_as_cjson(const cJSON *v) {
  char *want = cJSON_PrintUnformatted(v);
  arag_sb b;
  arag_sb_init(&b);
  arag_jw_value(&b, v);
  size_t len = 0;
  char *got = arag_sb_take(&b, &len);
  int ok = want && got && strcmp(want, got) == 0 && strlen(got) == len;
  if (!ok)
    fprintf(stderr, "  cJSON: %s\n  ours:  %s\n", want ? want : "(null)", got ? got : "(null)");
  free(want);
  free(got);
  return ok;
}

static int number_ok(double d) {
  /* (cJSON_CreateNumber converts NaN to int: set the value afterwards) */
  cJSON *n = cJSON_CreateNumber(0);
  n->valuedouble = d;
  int ok = same_as_cjson(n);
  cJSON_Delete(n);
  return ok;
}

static void test_numbers(void) {
  static const double fixed[] = {0,          -0.0,         1,       -1,     0.5,     0.1,
                                 0.2,        0.3,          1e-4,    -1e-4,  5e-5,    0.12345,
                                 0.1234,     123.4567,     1e10,    1e11,   1e15,    1e16,
                                 -2.5e-7,    1e300,        -1e-300, 5e-324, 1.0 / 3, 2.0 / 3,
                                 99999.9999, 4294967295.0, 0.9999,  1234.5, 0.00015, 7.0e-5};
  int bad = 0;
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) bad += !number_ok(fixed[i]);
  CHECK_EQ_INT(bad, 0);
  CHECK(number_ok(NAN));
  CHECK(number_ok(INFINITY));
  CHECK(number_ok(-INFINITY));
  /* Values the trace prints: rounded to 4 or 3 decimals, integers, floats widened. */
  bad = 0;
  for (int i = 0; i < 20000; i++) {
    uint64_t r = next_u64();
    double x = (double)(int64_t)(r >> 20) / (double)(1ull << (r & 31));
    double d;
    switch (i % 5) {
    case 0:
      d = floor(x * 10000 + 0.5) / 10000;
      break;
    case 1:
      d = floor(x * 1000.0 + 0.5) / 1000.0;
      break;
    case 2:
      d = (double)(float)((double)(r % 100000) / 100000.0);
      break;
    case 3: {
      double bits;
      uint64_t u = next_u64();
      memcpy(&bits, &u, sizeof bits);
      d = bits;
      break;
    }
    default:
      d = (double)(int64_t)(r % 2000000001) - 1000000000.0;
    }
    bad += !number_ok(d);
  }
  CHECK_EQ_INT(bad, 0);
}

static void test_strings(void) {
  char all[256];
  for (int i = 1; i < 256; i++) all[i - 1] = (char)i;
  all[255] = 0;
  static const char *const s[] = {
      "", "plain", "q\"b\\s/", "\b\f\n\r\t", "caf\xC3\xA9 \xE2\x80\xA8", "\x01\x1f\x7f\xff"};
  for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
    cJSON *v = cJSON_CreateString(s[i]);
    CHECK(same_as_cjson(v));
    cJSON_Delete(v);
  }
  cJSON *v = cJSON_CreateString(all);
  CHECK(same_as_cjson(v));
  cJSON_Delete(v);
  /* A counter counts what a buffer builds. */
  for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
    arag_sb b, c;
    arag_sb_init(&b);
    arag_sb_init_counter(&c);
    arag_jw_string(&b, s[i]);
    arag_jw_string(&c, s[i]);
    arag_jw_string(&b, all);
    arag_jw_string(&c, all);
    CHECK(c.p == NULL && c.len == b.len);
    arag_sb_free(&b);
  }
  /* A NULL string prints "" in both. */
  arag_sb b;
  arag_sb_init(&b);
  arag_jw_string(&b, NULL);
  CHECK(b.len == 2 && memcmp(b.p, "\"\"", 2) == 0);
  arag_sb_free(&b);
}

static void test_trees(void) {
  const char *docs[] = {
      "{}",
      "[]",
      "[null,true,false,1,-2.5,\"x\",[],{}]",
      "{\"a\":{\"b\":[1,2,{\"c\":\"d\\u0001\"}]},\"e\":null,\"\":0.0001,\"k\\\"\":[[[]]]}",
      "{\"items\":[{\"id\":\"B0\",\"score\":0.8765,\"rationale\":\"\\u00e9<>\"}]}",
  };
  for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
    cJSON *v = cJSON_Parse(docs[i]);
    CHECK(v != NULL);
    CHECK(same_as_cjson(v));
    cJSON_Delete(v);
  }
  cJSON *raw = cJSON_CreateRaw("{\"pre\":1}");
  cJSON *arr = cJSON_CreateArray();
  cJSON_AddItemToArray(arr, raw);
  CHECK(same_as_cjson(arr));
  cJSON_Delete(arr);
  /* Object members written with arag_jw_key read back. */
  arag_sb b;
  arag_sb_init(&b);
  int first = 1;
  arag_sb_append(&b, "{", 1);
  arag_jw_key(&b, &first, "a");
  arag_jw_number(&b, 1.5);
  arag_jw_key(&b, &first, "b\"");
  arag_jw_string(&b, "x");
  arag_sb_append(&b, "}", 1);
  CHECK(b.p && strcmp(b.p, "{\"a\":1.5,\"b\\\"\":\"x\"}") == 0);
  arag_sb_free(&b);
  /* An invalid item fails, as cJSON's print does. */
  cJSON bad;
  memset(&bad, 0, sizeof bad);
  bad.type = cJSON_Raw;
  arag_sb_init(&b);
  arag_jw_value(&b, &bad);
  CHECK(b.oom);
  arag_sb_free(&b);
}

int main(void) {
  RUN(test_numbers);
  RUN(test_strings);
  RUN(test_trees);
  return test_report();
}
