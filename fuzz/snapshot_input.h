/* The input of the snapshot fuzzers: the first byte chooses how, the rest is the
 * snapshot. Bit 0 set: the copy gets a valid container length and checksum
 * (arag_snap_seal), so the fuzzer reaches the checks behind them; the harness reads the
 * other bits. Returns a malloc'd copy of the rest (its length in *len), NULL when the
 * input is empty or memory ran out. */
#ifndef ARAG_FUZZ_SNAPSHOT_INPUT_H
#define ARAG_FUZZ_SNAPSHOT_INPUT_H

#include "snapshot_io.h"

#include <stdlib.h>
#include <string.h>

static uint8_t *fuzz_snapshot_input(const uint8_t *data, size_t size, size_t *len) {
  if (size < 1) return NULL;
  uint8_t *buf = malloc(size);
  if (!buf) return NULL;
  memcpy(buf, data + 1, size - 1);
  *len = size - 1;
  if (data[0] & 1) arag_snap_seal(buf, *len);
  return buf;
}

#endif
