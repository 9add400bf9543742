/* The string-id hash map: insert/find/remove against a plain array model,
 * including removals that shift probe runs, a reserve that never fails the
 * following inserts, and pointer values (get/put: insert or replace, the
 * replaced value returned, the key taken from the replacement) against a model
 * too. */
#include "id_map.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void test_pointer_values(void) {
  static char keys[N][16], again[N][16];
  static int vals[N];
  static int *present[N];
  arag_id_map m;
  arag_id_map_init(&m);
  for (int i = 0; i < N; i++) {
    snprintf(keys[i], sizeof keys[i], "p%d", i * 613 % 99991);
    memcpy(again[i], keys[i], sizeof keys[i]);
  }
  CHECK(arag_id_map_get(&m, "p0", 2) == NULL); /* empty table */
  uint32_t x = 777;
  for (int step = 0; step < 30000; step++) {
    x = x * 1103515245u + 12345u;
    int i = (int)((x >> 8) % N);
    /* Alternate the key's bytes between two copies to see the key replaced. */
    const char *key = ((x >> 3) & 1) ? again[i] : keys[i];
    uint32_t len = (uint32_t)strlen(key);
    if ((x >> 4) % 3 != 0) {
      CHECK(arag_id_map_reserve(&m, m.n + 1));
      void *old = (void *)&m;
      CHECK(arag_id_map_put(&m, key, len, &vals[i], &old));
      CHECK(old == (void *)present[i]);
      present[i] = &vals[i];
      uint32_t at = arag_id_hash(key, len) & (m.cap - 1);
      while (m.e[at].len != len || memcmp(m.e[at].key, key, len) != 0) at = (at + 1) & (m.cap - 1);
      CHECK(m.e[at].key == key);
    } else {
      CHECK_EQ_INT(arag_id_map_remove(&m, key, len), present[i] != NULL);
      present[i] = NULL;
    }
    if (step % 991 == 0) {
      uint32_t live = 0;
      for (int j = 0; j < N; j++) {
        CHECK(arag_id_map_get(&m, keys[j], strlen(keys[j])) == (void *)present[j]);
        live += present[j] != NULL;
      }
      CHECK_EQ_INT(m.n, live);
    }
  }
  arag_id_map_free(&m);
}

static void test_put_needs_reserve_for_new_keys(void) {
  arag_id_map m;
  arag_id_map_init(&m);
  int a = 1, b = 2;
  void *old = &m;
  CHECK(!arag_id_map_put(&m, "a", 1, &a, &old)); /* no room reserved */
  CHECK(old == NULL);
  CHECK_EQ_INT(m.n, 0);
  CHECK(arag_id_map_reserve(&m, 1));
  CHECK(arag_id_map_put(&m, "a", 1, &a, NULL));
  uint32_t cap = m.cap;
  while (m.n < cap / 2) { /* fill to the reserved room */
    char k[16];
    snprintf(k, sizeof k, "k%u", m.n);
    char *copy = malloc(sizeof k);
    memcpy(copy, k, sizeof k);
    CHECK(arag_id_map_put(&m, copy, (uint32_t)strlen(copy), copy, NULL));
  }
  CHECK(!arag_id_map_put(&m, "new", 3, &b, NULL)); /* full: a new key fails */
  CHECK(arag_id_map_get(&m, "new", 3) == NULL);
  CHECK(arag_id_map_put(&m, "a", 1, &b, &old)); /* a replacement does not */
  CHECK(old == (void *)&a);
  CHECK(arag_id_map_get(&m, "a", 1) == (void *)&b);
  for (uint32_t i = 0; i < m.cap; i++)
    if (m.e[i].key && m.e[i].v.ptr == (void *)m.e[i].key) free(m.e[i].v.ptr);
  arag_id_map_free(&m);
}

/* With the hash given: insert_new refuses a key that is there (colliding hashes, the
 * same hash of another key, or no room) and adds the rest; add_new adds a pointer; both
 * found afterwards as insert and put would have left them. */
static void test_hashed_inserts(void) {
  arag_id_map m, p;
  arag_id_map_init(&m);
  arag_id_map_init(&p);
  static char keys[200][16];
  CHECK(arag_id_map_reserve(&m, 200) && arag_id_map_reserve(&p, 200));
  for (int i = 0; i < 200; i++) {
    snprintf(keys[i], sizeof keys[i], "sku-%d", i * 31);
    uint32_t len = (uint32_t)strlen(keys[i]), h = arag_id_hash(keys[i], len);
    CHECK_EQ_INT(arag_id_map_insert_new(&m, keys[i], len, h, (uint32_t)i), 1);
    CHECK_EQ_INT(arag_id_map_insert_new(&m, keys[i], len, h, 7), 0); /* there already */
    CHECK_EQ_INT(arag_id_map_add_new(&p, keys[i], len, h, keys[i]), 1);
  }
  CHECK_EQ_INT(m.n, 200);
  for (int i = 0; i < 200; i++) {
    uint32_t slot = 0, len = (uint32_t)strlen(keys[i]);
    CHECK(arag_id_map_find(&m, keys[i], len, &slot) && slot == (uint32_t)i);
    CHECK(arag_id_map_get(&p, keys[i], len) == keys[i]);
  }
  /* Another key under a hash already held is not taken for it. */
  uint32_t h0 = arag_id_hash(keys[0], strlen(keys[0]));
  CHECK_EQ_INT(arag_id_map_insert_new(&m, "other", 5, h0, 1), 1);
  CHECK_EQ_INT(m.n, 201);
  /* Past the reserved room: refused, nothing added. */
  arag_id_map q;
  arag_id_map_init(&q);
  CHECK(arag_id_map_reserve(&q, 1));
  uint32_t added = 0;
  for (int i = 0; i < 200; i++) {
    uint32_t len = (uint32_t)strlen(keys[i]);
    added += (uint32_t)arag_id_map_insert_new(&q, keys[i], len, arag_id_hash(keys[i], len), 0);
  }
  CHECK_EQ_INT(added, q.cap / 2);
  CHECK_EQ_INT(q.n, added);
  arag_id_map_free(&m);
  arag_id_map_free(&p);
  arag_id_map_free(&q);
}

int main(void) {
  RUN(test_against_model);
  RUN(test_insert_needs_reserve);
  RUN(test_pointer_values);
  RUN(test_put_needs_reserve_for_new_keys);
  RUN(test_hashed_inserts);
  return test_report();
}
