/* catalog_native: catalog snapshots natively, to compare with the wasm builds and to
 * time them (wasm-tests/catalog-snapshot.node.test.mjs, wasm-tests/bench/catalog.bench.mjs).
 *
 *   catalog_native snapshot ITEMS.jsonl OUT [f32|int8]
 *       builds a catalog from the items (built-in embedder, 512 dimensions) and writes
 *       its snapshot
 *   catalog_native recommend SNAPSHOT CASES.json
 *       restores the snapshot and prints, one line per case {"events": [...],
 *       "request": {...}}, the offline result JSON without its timings
 *   catalog_native bench ITEMS.jsonl [f32|int8] [REPS]
 *       prints {"build_ms", "snapshot_ms", "restore_ms", "snapshot_bytes",
 *       "memory_bytes", "items"}: the build from JSON lines, the snapshot, and the best
 *       of REPS (default 5) restores into a fresh catalog */
#define _POSIX_C_SOURCE 200809L
#include "arag.h"
#include "tool_util.h"
#include <cJSON.h>

#include <string.h>

static int die(const char *what, const char *detail) {
  fprintf(stderr, "catalog_native: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  return 1;
}

static arag_dtype dtype_of(const char *s) {
  return s && strcmp(s, "int8") == 0 ? ARAG_I8 : ARAG_F32;
}

static arag_catalog *build(const char *path, arag_dtype dtype, double *ms) {
  size_t len = 0;
  char *json = read_file(path, &len);
  if (!json) {
    die("cannot read", path);
    return NULL;
  }
  arag_catalog *cat = NULL;
  if (arag_catalog_create_dtype(ARAG_EMBED_DEFAULT_DIM, dtype, NULL, &cat) != ARAG_OK) {
    free(json);
    return NULL;
  }
  double t0 = now_ms();
  arag_status st = arag_catalog_add_json(cat, json, len);
  if (ms) *ms = now_ms() - t0;
  free(json);
  if (st != ARAG_OK) {
    die(path, arag_catalog_last_error(cat));
    arag_catalog_free(cat);
    return NULL;
  }
  return cat;
}

static void drop_timings(cJSON *j) {
  static const char *const keys[] = {"elapsed_ms", "started_ms", "ended_ms"};
  for (int k = 0; k < 3; k++) cJSON_DeleteItemFromObjectCaseSensitive(j, keys[k]);
  cJSON *c;
  cJSON_ArrayForEach(c, j) drop_timings(c);
}

static int recommend(const char *snap_path, const char *cases_path) {
  size_t len = 0, clen = 0;
  char *bytes = read_file(snap_path, &len), *cases_text = read_file(cases_path, &clen);
  if (!bytes || !cases_text) return die("cannot read", bytes ? cases_path : snap_path);
  arag_catalog *cat = NULL;
  arag_engine *eng = NULL;
  cJSON *cases = cJSON_ParseWithLength(cases_text, clen);
  int rc = 0;
  if (arag_catalog_create(8, NULL, &cat) != ARAG_OK || !cases ||
      arag_engine_create(NULL, 0, &eng) != ARAG_OK)
    return die("setup failed", NULL);
  if (arag_catalog_restore(cat, (const uint8_t *)bytes, len) != ARAG_OK)
    return die("restore", arag_catalog_last_error(cat));
  uint32_t dim = arag_index_dim(arag_catalog_index(cat));
  const cJSON *c;
  cJSON_ArrayForEach(c, cases) {
    arag_history *h = NULL;
    char *events = cJSON_PrintUnformatted(cJSON_GetObjectItem(c, "events"));
    char *req = cJSON_PrintUnformatted(cJSON_GetObjectItem(c, "request"));
    uint32_t sid = 0;
    const char *out = NULL;
    size_t out_len = 0;
    if (arag_history_create(dim, NULL, &h) != ARAG_OK ||
        arag_history_add_json(h, events, strlen(events)) != ARAG_OK ||
        arag_recommend_start(eng, cat, h, req, strlen(req), &sid) != ARAG_OK ||
        arag_session_result(eng, sid, &out, &out_len) != ARAG_OK) {
      rc = die("recommend", arag_engine_last_error(eng));
    } else {
      cJSON *j = cJSON_ParseWithLength(out, out_len);
      drop_timings(j);
      char *s = cJSON_PrintUnformatted(j);
      printf("%s\n", s);
      cJSON_free(s);
      cJSON_Delete(j);
    }
    arag_session_free(eng, sid);
    arag_history_free(h);
    cJSON_free(events);
    cJSON_free(req);
  }
  cJSON_Delete(cases);
  arag_engine_free(eng);
  arag_catalog_free(cat);
  free(bytes);
  free(cases_text);
  return rc;
}

int main(int argc, char **argv) {
  if (argc >= 4 && strcmp(argv[1], "snapshot") == 0) {
    arag_catalog *cat = build(argv[2], dtype_of(argc > 4 ? argv[4] : NULL), NULL);
    uint8_t *b = NULL;
    size_t n = 0;
    if (!cat || arag_catalog_snapshot(cat, &b, &n) != ARAG_OK) return die("snapshot failed", NULL);
    FILE *f = fopen(argv[3], "wb");
    if (!f || fwrite(b, 1, n, f) != n || fclose(f) != 0) return die("cannot write", argv[3]);
    arag_free(b);
    arag_catalog_free(cat);
    return 0;
  }
  if (argc == 4 && strcmp(argv[1], "recommend") == 0) return recommend(argv[2], argv[3]);
  if (argc >= 3 && strcmp(argv[1], "bench") == 0) {
    double build_ms = 0, t0;
    arag_catalog *cat = build(argv[2], dtype_of(argc > 3 ? argv[3] : NULL), &build_ms);
    int reps = argc > 4 ? atoi(argv[4]) : 5;
    if (!cat) return 1;
    uint8_t *b = NULL;
    size_t n = 0;
    t0 = now_ms();
    if (arag_catalog_snapshot(cat, &b, &n) != ARAG_OK) return die("snapshot failed", NULL);
    double snap_ms = now_ms() - t0, best = 1e300;
    size_t mem = 0;
    for (int r = 0; r < (reps > 0 ? reps : 1); r++) {
      arag_catalog *fresh = NULL;
      arag_catalog_create(8, NULL, &fresh);
      t0 = now_ms();
      if (arag_catalog_restore(fresh, b, n) != ARAG_OK)
        return die("restore", arag_catalog_last_error(fresh));
      double ms = now_ms() - t0;
      if (ms < best) best = ms;
      mem = arag_catalog_memory_bytes(fresh);
      arag_catalog_free(fresh);
    }
    printf("{\"items\":%u,\"build_ms\":%.3f,\"snapshot_ms\":%.3f,\"restore_ms\":%.3f,"
           "\"snapshot_bytes\":%zu,\"memory_bytes\":%zu}\n",
           arag_catalog_count(cat), build_ms, snap_ms, best, n, mem);
    arag_free(b);
    arag_catalog_free(cat);
    return 0;
  }
  fprintf(stderr, "usage: catalog_native snapshot ITEMS.jsonl OUT [f32|int8]\n"
                  "       catalog_native recommend SNAPSHOT CASES.json\n"
                  "       catalog_native bench ITEMS.jsonl [f32|int8] [REPS]\n");
  return 2;
}
