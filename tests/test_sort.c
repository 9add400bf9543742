/* ARAG_DEFINE_SORT: sorted and stable at every length around the run and merge
 * boundaries, with many ties. */
#include "sort.h"

#include <stdint.h>

#include "test.h"

typedef struct pair {
  uint32_t key, pos;
} pair;

static int key_cmp(const pair *a, const pair *b) { return a->key < b->key ? -1 : a->key > b->key; }
ARAG_DEFINE_SORT(sort_pairs, pair, key_cmp)

static void test_sorted_and_stable(void) {
  uint64_t r = 0x9E3779B97F4A7C15ull;
  static pair a[1100];
  int bad = 0;
  for (size_t n = 0; n <= 1100; n += (n < 70 ? 1 : 37)) {
    uint32_t keys = n < 40 ? 3 : (uint32_t)(n / 4 + 1); /* ties at every length */
    uint32_t count[300] = {0};
    for (size_t i = 0; i < n; i++) {
      r ^= r << 13, r ^= r >> 7, r ^= r << 17;
      a[i] = (pair){(uint32_t)(r % keys), (uint32_t)i};
      count[a[i].key]++;
    }
    sort_pairs(a, n);
    for (size_t i = 1; i < n; i++)
      if (a[i - 1].key > a[i].key || (a[i - 1].key == a[i].key && a[i - 1].pos > a[i].pos)) bad++;
    for (size_t i = 0; i < n; i++) count[a[i].key]--; /* a permutation of the input */
    for (uint32_t k = 0; k < keys; k++) bad += count[k] != 0;
  }
  CHECK_EQ_INT(bad, 0);
}

static void test_reverse_and_equal(void) {
  static pair a[517];
  for (uint32_t i = 0; i < 517; i++) a[i] = (pair){516 - i, i};
  sort_pairs(a, 517);
  int bad = 0;
  for (uint32_t i = 0; i < 517; i++) bad += a[i].key != i || a[i].pos != 516 - i;
  for (uint32_t i = 0; i < 517; i++) a[i] = (pair){7, i};
  sort_pairs(a, 517);
  for (uint32_t i = 0; i < 517; i++) bad += a[i].pos != i;
  CHECK_EQ_INT(bad, 0);
}

int main(void) {
  RUN(test_sorted_and_stable);
  RUN(test_reverse_and_equal);
  return test_report();
}
