/* libFuzzer target: any bytes as an index snapshot. With an even first byte the
 * rest is used as-is (exercises magic, kind, version, length and checksum
 * checks); with an odd one the rest gets a valid length and checksum (the
 * container's, or the version-1 trailer appended to "ARAGIDX1" bytes), so the
 * fuzzer reaches the semantic checks behind them. Invariants: no crash or leak; a
 * refused restore leaves the index as it was (same snapshot bytes); an accepted
 * current-format one snapshots back to exactly the restored bytes, and any
 * accepted one can be searched. */
#include "arag.h"
#include "snapshot_io.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  int fix = data[0] & 1;
  data++;
  size--;
  uint8_t *buf = malloc(size + 8);
  if (!buf) return 0;
  memcpy(buf, data, size);
  size_t len = size;
  int v1 = size >= 8 && memcmp(buf, "ARAGIDX1", 8) == 0;
  if (fix && v1) {
    uint64_t h = arag_fnv1a64(buf, size, ARAG_FNV64_OFFSET);
    for (int i = 0; i < 8; i++) buf[size + i] = (uint8_t)(h >> (8 * i));
    len += 8;
  } else if (fix) {
    arag_snap_seal(buf, len);
  }
  arag_limits lim;
  arag_limits_default(&lim);
  lim.max_rows = 64;
  lim.max_dim = 64;
  lim.max_id_bytes = 32;
  arag_index *ix = NULL;
  if (arag_index_create(4, ARAG_F32, ARAG_COSINE, 0, &lim, &ix) != ARAG_OK) abort();
  const float v[4] = {1, 2, 3, 4};
  if (arag_index_add(ix, "a", 1, v, 4) != ARAG_OK) abort();
  uint8_t *before = NULL, *after = NULL;
  size_t lb = 0, la = 0;
  if (arag_index_snapshot(ix, &before, &lb) != ARAG_OK) abort();
  arag_status st = arag_index_restore(ix, buf, len);
  if (arag_index_snapshot(ix, &after, &la) != ARAG_OK) abort();
  if (st != ARAG_OK) {
    if (la != lb || memcmp(before, after, lb) != 0) abort();
  } else {
    if (!v1 && (la != len || memcmp(after, buf, len) != 0)) abort();
    uint32_t dim = arag_index_dim(ix), slots[8], n = 0;
    float q[64] = {0}, scores[8];
    q[0] = 1;
    if (arag_index_search(ix, q, dim, 8, NULL, 0, 2, slots, scores, &n) != ARAG_OK) abort();
    if (n > arag_index_count(ix)) abort();
    if (arag_index_compact(ix) != ARAG_OK) abort();
  }
  arag_free(before);
  arag_free(after);
  arag_index_free(ix);
  free(buf);
  return 0;
}
