/* Native reference for the built-in embedder and the catalog/history loaders
 * (built with -O3 -march=native by make native). Prints one JSON object:
 *   {"engine":"native-arag","data","titles","dim","ns_per_title","catalog_items",
 *    "catalog_load_ms","ns_per_item_load","history_events","us_per_event_add",
 *    "history_snapshot_bytes","history_snapshot_ms","history_restore_ms"}
 * Usage: bench_embed_native [--data DIR] [--dim 512] [--reps 5]
 * DIR defaults to $ARAG_DATA_ROOT/amazon-beauty (ARAG_DATA_ROOT: data/ of the repository). */
#define _POSIX_C_SOURCE 200809L
#include "arag.h"

#include "cJSON.h"
#include "embed.h"
#include "tool_util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  char dflt[512];
  const char *data = data_set_dir("amazon-beauty", dflt, sizeof dflt);
  uint32_t dim = ARAG_EMBED_DEFAULT_DIM;
  int reps = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--data"))
      data = argv[i + 1];
    else if (!strcmp(argv[i], "--dim"))
      dim = (uint32_t)atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--reps"))
      reps = atoi(argv[i + 1]);
    else {
      fprintf(stderr, "usage: bench_embed_native [--data DIR] [--dim 512] [--reps 5]\n");
      return 2;
    }
  }
  if (reps < 1 || reps > 100 || dim == 0 || dim > 4096) {
    fprintf(stderr, "bench_embed_native: bad --reps or --dim\n");
    return 2;
  }
  char path[1024];
  snprintf(path, sizeof(path), "%s/items.jsonl", data);
  size_t len = 0;
  char *json = read_file(path, &len);
  if (!json) {
    fprintf(stderr,
            "bench_embed_native: cannot read %s (set ARAG_DATA_ROOT or pass --data DIR; `make "
            "sample-data` writes a sample data set)\n",
            path);
    return 2;
  }
  /* Titles, and the items as struct for the field-aware embedding. */
  size_t cap = 1024, n = 0;
  char **titles = (char **)malloc(cap * sizeof(char *));
  for (char *line = strtok(json, "\n"); line; line = strtok(NULL, "\n")) {
    cJSON *o = cJSON_Parse(line);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "title");
    if (cJSON_IsString(t)) {
      if (n == cap) titles = (char **)realloc(titles, (cap *= 2) * sizeof(char *));
      titles[n++] = strdup(t->valuestring);
    }
    cJSON_Delete(o);
  }
  free(json);
  float *v = (float *)malloc(dim * sizeof(float));
  double *runs = (double *)malloc((size_t)reps * sizeof(double));
  float guard = 0;
  for (int r = 0; r < reps; r++) {
    double t0 = now_ms();
    for (size_t i = 0; i < n; i++) {
      arag_embed_text(titles[i], strlen(titles[i]), dim, v);
      guard += v[i % dim];
    }
    runs[r] = (now_ms() - t0) * 1e6 / (double)n;
  }
  qsort(runs, (size_t)reps, sizeof(double), cmp_double);
  double ns_title = runs[reps / 2];

  /* Catalog load: the whole items.jsonl through arag_catalog_add_json. */
  json = read_file(path, &len);
  uint32_t count = 0;
  for (int r = 0; r < reps; r++) {
    arag_catalog *cat = NULL;
    if (arag_catalog_create(dim, NULL, &cat) != ARAG_OK) return 1;
    double t0 = now_ms();
    arag_status st = arag_catalog_add_json(cat, json, len);
    runs[r] = now_ms() - t0;
    if (st != ARAG_OK) {
      fprintf(stderr, "bench_embed_native: %s\n", arag_catalog_last_error(cat));
      return 1;
    }
    count = arag_catalog_count(cat);
    arag_catalog_free(cat);
  }
  qsort(runs, (size_t)reps, sizeof(double), cmp_double);
  double load_ms = runs[reps / 2];
  double ns_item = load_ms * 1e6 / (count ? count : 1);
  free(json);

  /* History: 2,000 events added one at a time (titles of the data set),
   * then a snapshot and a restore. */
  arag_history *h = NULL, *r = NULL;
  if (arag_history_create(dim, NULL, &h) != ARAG_OK ||
      arag_history_create(dim, NULL, &r) != ARAG_OK)
    return 1;
  size_t n_ev = 2000;
  double t0 = now_ms();
  for (size_t i = 0; i < n_ev; i++) {
    cJSON *o = cJSON_CreateObject();
    char id[32];
    snprintf(id, sizeof(id), "item%zu", i % 500);
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "title", titles[i % n]);
    cJSON_AddStringToObject(o, "kind", "view");
    char *ev = cJSON_PrintUnformatted(o);
    arag_status st = arag_history_add_json(h, ev, strlen(ev));
    cJSON_free(ev);
    cJSON_Delete(o);
    if (st != ARAG_OK) {
      fprintf(stderr, "bench_embed_native: %s\n", arag_history_last_error(h));
      return 1;
    }
  }
  double add_us = (now_ms() - t0) * 1e3 / (double)n_ev;
  uint8_t *snap = NULL;
  size_t snap_len = 0;
  t0 = now_ms();
  if (arag_history_snapshot(h, &snap, &snap_len) != ARAG_OK) return 1;
  double snap_ms = now_ms() - t0;
  t0 = now_ms();
  if (arag_history_restore(r, snap, snap_len) != ARAG_OK) return 1;
  double restore_ms = now_ms() - t0;
  arag_free(snap);
  arag_history_free(h);
  arag_history_free(r);

  printf("{\"engine\":\"native-arag\",\"data\":\"%s\",\"titles\":%zu,\"dim\":%u,"
         "\"ns_per_title\":%.0f,\"catalog_items\":%u,\"catalog_load_ms\":%.1f,"
         "\"ns_per_item_load\":%.0f,\"history_events\":%zu,\"us_per_event_add\":%.1f,"
         "\"history_snapshot_bytes\":%zu,\"history_snapshot_ms\":%.2f,"
         "\"history_restore_ms\":%.2f}\n",
         data, n, dim, ns_title, count, load_ms, ns_item, n_ev, add_us, snap_len, snap_ms,
         restore_ms);
  fprintf(stderr, "guard %g\n", (double)guard);
  for (size_t i = 0; i < n; i++) free(titles[i]);
  free(titles);
  free(v);
  free(runs);
  return 0;
}
