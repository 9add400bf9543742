/* The string-id hash map: insert/find/remove against a plain array model,
 * including removals that shift probe runs, and a reserve that never fails
 * the following inserts. */
#include "id_map.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>

#define N 3000

static void test_against_model(void) {
  static char keys[N][16];
  static int present[N];
  arag_id_map m;
  arag_id_map_init(&m);
  for (int i = 0; i < N; i++) snprintf(keys[i], sizeof keys[i], "item-%d", i * 7919 % 100003);
  uint32_t x = 12345;
  for (int step = 0; step < 40000; step++) {
    x = x * 1103515245u + 12345u;
    int i = (int)((x >> 8) % N);
    size_t len = strlen(keys[i]);
    if ((x >> 4) & 1) {
      if (!present[i]) {
        CHECK(arag_id_map_reserve(&m, m.n + 1));
        CHECK(arag_id_map_insert(&m, keys[i], (uint32_t)len, (uint32_t)i));
        present[i] = 1;
      }
    } else {
      CHECK_EQ_INT(arag_id_map_remove(&m, keys[i], len), present[i]);
      present[i] = 0;
    }
    if (step % 997 == 0) {
      uint32_t live = 0;
      for (int j = 0; j < N; j++) {
        uint32_t slot = 99999;
        int f = arag_id_map_find(&m, keys[j], strlen(keys[j]), &slot);
        CHECK_EQ_INT(f, present[j]);
        if (f) CHECK_EQ_INT(slot, j);
        live += (uint32_t)present[j];
      }
      CHECK_EQ_INT(m.n, live);
    }
  }
  /* Prefixes and different lengths are different keys. */
  CHECK(!arag_id_map_find(&m, "item", 4, NULL));
  arag_id_map_clear(&m);
  CHECK_EQ_INT(m.n, 0);
  CHECK(!arag_id_map_find(&m, keys[0], strlen(keys[0]), NULL));
  arag_id_map_free(&m);
}

static void test_insert_needs_reserve(void) {
  arag_id_map m;
  arag_id_map_init(&m);
  CHECK(!arag_id_map_insert(&m, "a", 1, 0)); /* no room reserved */
  CHECK(arag_id_map_reserve(&m, 1));
  CHECK(arag_id_map_insert(&m, "a", 1, 0));
  CHECK(arag_id_map_find(&m, "a", 1, NULL));
  CHECK(!arag_id_map_remove(&m, "b", 1));
  CHECK(arag_id_map_bytes(&m) > 0);
  arag_id_map_free(&m);
}

int main(void) {
  RUN(test_against_model);
  RUN(test_insert_needs_reserve);
  return test_report();
}
