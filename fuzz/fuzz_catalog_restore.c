/* libFuzzer target: any bytes as a catalog snapshot. With an even first byte the
 * rest is used as-is (magic, kind, version, length and checksum checks); with an odd
 * one it gets a valid container length and checksum (snapshot_io.h), so the fuzzer
 * reaches the row, item, text and word-count checks behind them; with bit 1 set the
 * catalog takes the bytes (arag_catalog_restore_take) instead of copying them; bits 2-4
 * (not 0) write them piece by piece, feeding the checksum and row checks after each piece
 * (arag_catalog_fed_feed, as the wasm host does; pieces of 1 to 65,536 bytes) and take
 * them with that state, which must give the status and message a copy's restore gives. Invariants:
 * no crash, leak or undefined behaviour; a refused restore leaves the catalog as it was (the same
 * snapshot bytes); an accepted one snapshots back to exactly the restored bytes, recommends
 * (catalog mode and by id, offline) and takes further adds and removals. Small limits and restore
 * budget keep crafted counts from allocating much. The seeds hold snapshots of format versions
 * 1, 2 and 3 (the title-start phrase counts kept), f32 and int8. */
#include "arag.h"
#include "model.h"
#include "snapshot_input.h"

#include <stdlib.h>
#include <string.h>

static void recommend(arag_catalog *cat) {
  uint32_t dim = arag_index_dim(arag_catalog_index(cat)), sid = 0;
  arag_history *h = NULL;
  arag_engine *eng = NULL;
  if (arag_history_create(dim, NULL, &h) != ARAG_OK || arag_engine_create(NULL, 0, &eng) != ARAG_OK)
    abort();
  static const char ev[] =
      "{\"id\":\"a\",\"ts\":1,\"title\":\"Rose Balm\"}\n{\"id\":\"b\",\"ts\":2}";
  if (arag_history_add_json(h, ev, sizeof ev - 1) != ARAG_OK) abort();
  static const char *const reqs[] = {"{\"k\":3,\"top_k\":8}",
                                     "{\"candidates\":[\"a\",\"b\",\"c\",\"0\",\"1\"],\"k\":2}"};
  for (int q = 0; q < 2; q++) {
    /* Candidates by id may be absent from the catalog (ARAG_E_NOT_FOUND): fine. */
    if (arag_recommend_start(eng, cat, h, reqs[q], strlen(reqs[q]), &sid) != ARAG_OK) continue;
    const char *json = NULL;
    size_t len = 0;
    if (arag_session_result(eng, sid, &json, &len) != ARAG_OK || !json || !len) abort();
    arag_session_free(eng, sid);
  }
  arag_engine_free(eng);
  arag_history_free(h);
}

/* The bytes written into a new buffer piece by piece, the state fed after each, then taken
 * with it (into *out: the catalog's on success, else still to free). The same status and
 * message as restoring a copy into a catalog like cat (lim, one item) must come out. */
static arag_status fed_take(arag_catalog *cat, const arag_limits *lim, const uint8_t *bytes,
                            size_t len, size_t piece, uint8_t **out) {
  uint8_t *buf = malloc(len ? len : 1);
  if (!buf) abort();
  arag_catalog_fed f;
  arag_catalog_fed_init(&f, buf);
  for (size_t at = 0; at < len; at += piece) {
    size_t n = len - at < piece ? len - at : piece;
    memcpy(buf + at, bytes + at, n);
    arag_catalog_fed_feed(&f, at + n);
  }
  arag_catalog *ref = NULL;
  static const char item[] = "{\"id\":\"a\",\"title\":\"Comb\",\"related\":{\"b\":1}}";
  if (arag_catalog_create_dtype(4, ARAG_I8, lim, &ref) != ARAG_OK ||
      arag_catalog_add_json(ref, item, sizeof item - 1) != ARAG_OK)
    abort();
  arag_status want = arag_catalog_restore(ref, bytes, len);
  arag_status st = arag_catalog_restore_take_fed(cat, buf, len, &f);
  if (st != want ||
      (st != ARAG_OK && strcmp(arag_catalog_last_error(cat), arag_catalog_last_error(ref)) != 0))
    abort();
  arag_catalog_free(ref);
  *out = buf;
  return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t *buf = fuzz_snapshot_input(data, size, &size);
  if (!buf) return 0;
  arag_limits lim;
  arag_limits_default(&lim);
  lim.max_rows = 64;
  lim.max_dim = 64;
  lim.max_id_bytes = 64;
  lim.max_text_bytes = 4096;
  lim.max_restore_bytes = 4u << 20;
  arag_catalog *cat = NULL;
  if (arag_catalog_create_dtype(4, ARAG_I8, &lim, &cat) != ARAG_OK) abort();
  static const char item[] = "{\"id\":\"a\",\"title\":\"Comb\",\"related\":{\"b\":1}}";
  if (arag_catalog_add_json(cat, item, sizeof item - 1) != ARAG_OK) abort();
  uint8_t *before = NULL, *after = NULL;
  size_t lb = 0, la = 0;
  if (arag_catalog_snapshot(cat, &before, &lb) != ARAG_OK) abort();
  /* Bit 1 of the first byte: the catalog takes the bytes (and then owns them); bits 2-4:
   * written and fed piece by piece, then taken. */
  static const size_t pieces[8] = {0, 1, 7, 64, 100, 333, 4096, 65536};
  int take = (data[0] >> 1) & 1, fed = (data[0] >> 2) & 7;
  uint8_t *fed_buf = NULL;
  arag_status st = fed    ? fed_take(cat, &lim, buf, size, pieces[fed], &fed_buf)
                   : take ? arag_catalog_restore_take(cat, buf, size)
                          : arag_catalog_restore(cat, buf, size);
  int owned = take && !fed && st == ARAG_OK; /* buf is the catalog's now (compared, never freed) */
  if (fed && st != ARAG_OK) free(fed_buf);   /* else the catalog's; buf holds the same bytes */
  if (arag_catalog_snapshot(cat, &after, &la) != ARAG_OK) abort();
  if (st != ARAG_OK) {
    if (la != lb || memcmp(before, after, lb) != 0) abort();
  } else {
    /* The same bytes back, or, from an older version, bytes of the current one that
     * restore and snapshot to themselves. */
    if (la > 8 && size > 8 && after[8] != buf[8]) {
      arag_catalog *again = NULL;
      uint8_t *twice = NULL;
      size_t lt = 0;
      if (arag_catalog_create(4, &lim, &again) != ARAG_OK ||
          arag_catalog_restore(again, after, la) != ARAG_OK ||
          arag_catalog_snapshot(again, &twice, &lt) != ARAG_OK || lt != la ||
          memcmp(twice, after, la) != 0)
        abort();
      arag_free(twice);
      arag_catalog_free(again);
    } else if (la != size || memcmp(after, buf, size) != 0) {
      abort();
    }
    recommend(cat);
    static const char more[] = "{\"id\":\"new\",\"title\":\"New Brush\",\"categories\":[\"x\"]}";
    uint32_t n = arag_catalog_count(cat), slot;
    int had = arag_index_slot(arag_catalog_index(cat), "new", 3, &slot) == ARAG_OK;
    if (!had && arag_catalog_add_json(cat, more, sizeof more - 1) == ARAG_OK) {
      if (arag_catalog_remove(cat, "new", 3) != ARAG_OK) abort();
    }
    if (arag_catalog_count(cat) != n) abort();
    recommend(cat);
  }
  arag_free(before);
  arag_free(after);
  arag_catalog_free(cat);
  if (!owned) free(buf);
  return 0;
}
