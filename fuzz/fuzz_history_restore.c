/* libFuzzer target: any bytes as a history snapshot. With an even first byte the
 * rest is used as-is; with an odd one it gets a valid container length and
 * checksum (snapshot_io.h), so the fuzzer reaches the event checks behind them.
 * Invariants: no crash or leak; a refused restore leaves the history as it was
 * (snapshot bytes); the snapshot of an accepted one restores and snapshots to the
 * same bytes. A small restore budget keeps crafted counts from allocating much. */
#include "model.h"
#include "snapshot_input.h"

#include <stdlib.h>
#include <string.h>

#define D 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t *buf = fuzz_snapshot_input(data, size, &size);
  if (!buf) return 0;
  arag_limits lim;
  arag_limits_default(&lim);
  lim.max_rows = 64;
  lim.max_text_bytes = 4096;
  lim.max_restore_bytes = 1u << 20;
  arag_history *h = NULL;
  if (arag_history_create(D, &lim, &h) != ARAG_OK) abort();
  static const char ev[] = "{\"id\":\"a\",\"title\":\"comb\",\"ts\":1}";
  if (arag_history_add_json(h, ev, sizeof(ev) - 1) != ARAG_OK) abort();
  uint8_t *before = NULL, *after = NULL;
  size_t lb = 0, la = 0;
  if (arag_history_snapshot(h, &before, &lb) != ARAG_OK) abort();
  arag_status st = arag_history_restore(h, buf, size);
  if (arag_history_snapshot(h, &after, &la) != ARAG_OK) abort();
  if (st != ARAG_OK) {
    if (la != lb || memcmp(before, after, lb) != 0) abort();
  } else {
    /* Accepted: its snapshot is a fixed point (restore + snapshot gives it back). */
    arag_history *r = NULL;
    uint8_t *again = NULL;
    size_t lg = 0;
    if (arag_history_create(D, &lim, &r) != ARAG_OK) abort();
    if (arag_history_restore(r, after, la) != ARAG_OK) abort();
    if (arag_history_snapshot(r, &again, &lg) != ARAG_OK) abort();
    if (lg != la || memcmp(again, after, la) != 0) abort();
    if (arag_history_count(r) != arag_history_count(h)) abort();
    arag_free(again);
    arag_history_free(r);
  }
  arag_free(before);
  arag_free(after);
  arag_history_free(h);
  free(buf);
  return 0;
}
