/* Native soak: N recommendations with mixed faults (tests/fault_provider.h) on real
 * data, one engine, a fresh history per recommendation. Prints resident memory along
 * the run and a JSON summary; exits 1 if any recommendation failed (did not end, or
 * ended with an order that is not a permutation of its candidates). Run it under
 * LeakSanitizer (the ASan build) or valgrind for the leak check.
 *   soak_native [--n 10000] [--data DIR] [--items 3000] [--seed 1] [--faults 300] */
#define _POSIX_C_SOURCE 200809L
#include "../tests/fault_provider.h"
#include "arag.h"
#include "tool_util.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_CANDS 20
#define MAX_HIST 40

typedef struct user {
  uint32_t first, n; /* events [first, first + n) of the event table */
} user;

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static long rss_kb(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long pages = 0, res = 0;
  if (!f) return -1;
  if (fscanf(f, "%ld %ld", &pages, &res) != 2) res = -1;
  fclose(f);
  return res < 0 ? -1 : res * 4;
}

int main(int argc, char **argv) {
  long n_recs = 10000, max_items = 3000, seed = 1, permille = 300;
  char dflt[512];
  const char *data = data_set_dir("amazon-beauty", dflt, sizeof dflt);
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--n") == 0)
      n_recs = atol(argv[i + 1]);
    else if (strcmp(argv[i], "--data") == 0)
      data = argv[i + 1];
    else if (strcmp(argv[i], "--items") == 0)
      max_items = atol(argv[i + 1]);
    else if (strcmp(argv[i], "--seed") == 0)
      seed = atol(argv[i + 1]);
    else if (strcmp(argv[i], "--faults") == 0)
      permille = atol(argv[i + 1]);
    else {
      fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  char path[1024];
  size_t len = 0;
  snprintf(path, sizeof path, "%s/items.jsonl", data);
  char *items_text = read_file(path, &len);
  if (!items_text) {
    fprintf(stderr,
            "soak_native: cannot read %s (set ARAG_DATA_ROOT or pass --data DIR; `make "
            "sample-data` writes a sample data set)\n",
            path);
    return 2;
  }
  /* The first max_items lines go into the catalog; their ids into a sorted table. */
  char **ids = calloc((size_t)max_items, sizeof *ids);
  long n_items = 0;
  char *end = items_text;
  for (char *line = items_text; *line && n_items < max_items; line = end) {
    end = strchr(line, '\n');
    end = end ? end + 1 : line + strlen(line);
    cJSON *o = cJSON_ParseWithLength(line, (size_t)(end - line));
    cJSON *id = cJSON_GetObjectItem(o, "id");
    if (cJSON_IsString(id)) ids[n_items++] = strdup(id->valuestring);
    cJSON_Delete(o);
  }
  arag_catalog *cat = NULL;
  if (arag_catalog_create(ARAG_EMBED_DEFAULT_DIM, NULL, &cat) != ARAG_OK ||
      arag_catalog_add_json(cat, items_text, (size_t)(end - items_text)) != ARAG_OK) {
    fprintf(stderr, "catalog: %s\n", cat ? arag_catalog_last_error(cat) : "create failed");
    return 1;
  }
  free(items_text);
  qsort(ids, (size_t)n_items, sizeof *ids, cmp_str);

  /* Users: runs of consecutive interactions of one user, on catalog items. */
  snprintf(path, sizeof path, "%s/interactions.jsonl", data);
  char *inter = read_file(path, &len);
  if (!inter) {
    fprintf(stderr, "%s: cannot read\n", path);
    return 2;
  }
  char **ev_id = NULL;
  uint32_t n_ev = 0, cap_ev = 0, n_users = 0, cap_users = 0;
  user *users = NULL;
  char last_user[128] = "";
  for (char *line = inter; *line; line = end) {
    end = strchr(line, '\n');
    end = end ? end + 1 : line + strlen(line);
    cJSON *o = cJSON_ParseWithLength(line, (size_t)(end - line));
    cJSON *u = cJSON_GetObjectItem(o, "user"), *it = cJSON_GetObjectItem(o, "item");
    if (cJSON_IsString(u) && cJSON_IsString(it)) {
      char *key = it->valuestring;
      char **hit = bsearch(&key, ids, (size_t)n_items, sizeof *ids, cmp_str);
      if (hit) {
        if (strcmp(u->valuestring, last_user) != 0) {
          snprintf(last_user, sizeof last_user, "%s", u->valuestring);
          if (n_users == cap_users) {
            cap_users = cap_users ? cap_users * 2 : 256;
            users = realloc(users, cap_users * sizeof *users);
          }
          users[n_users++] = (user){n_ev, 0};
        }
        if (n_ev == cap_ev) {
          cap_ev = cap_ev ? cap_ev * 2 : 1024;
          ev_id = realloc(ev_id, cap_ev * sizeof *ev_id);
        }
        ev_id[n_ev++] = *hit;
        users[n_users - 1].n++;
      }
    }
    cJSON_Delete(o);
  }
  free(inter);
  uint32_t n_ok_users = 0;
  for (uint32_t i = 0; i < n_users; i++)
    if (users[i].n >= 3) users[n_ok_users++] = users[i];
  if (!n_ok_users) {
    fprintf(stderr, "no user with 3 interactions on the first %ld items\n", n_items);
    return 1;
  }

  const char *cfg = "{\"backend\":\"host\",\"max_in_flight\":6}";
  arag_engine *eng = NULL;
  if (arag_engine_create(cfg, strlen(cfg), &eng) != ARAG_OK) return 1;
  fp_provider p;
  fp_init(&p, eng, (uint64_t)seed, (uint32_t)permille);
  arag_engine_set_fetch(eng, fp_on_fetch, &p);

  long failed = 0, degraded = 0, step = n_recs >= 20 ? n_recs / 20 : 1;
  long rss0 = rss_kb();
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  printf("soak_native: %ld recommendations, %ld items, %u users, faults %ld/1000\n", n_recs,
         n_items, n_ok_users, permille);
  printf("%8s %10s %10s\n", "recs", "rss_kb", "sessions");
  fp_buf curve = {0};
  for (long r = 0; r < n_recs; r++) {
    const user *u = &users[(uint32_t)r % n_ok_users];
    uint32_t nh = u->n - 1 < MAX_HIST ? u->n - 1 : MAX_HIST;
    uint32_t from = u->first + (u->n - 1 - nh);
    fp_buf hb = {0}, rb = {0};
    for (uint32_t e = 0; e < nh; e++)
      fp_printf(&hb, "{\"id\":\"%s\",\"ts\":%u,\"kind\":\"%s\"}\n", ev_id[from + e], e,
                e % 4 ? "purchase" : "view");
    const char *cands[N_CANDS];
    cands[0] = ev_id[u->first + u->n - 1];
    int nc = 1;
    while (nc < N_CANDS) {
      const char *c = ids[fp_next(&p) % (uint32_t)n_items];
      int dup = 0;
      for (int j = 0; j < nc; j++) dup |= cands[j] == c;
      if (!dup) cands[nc++] = c;
    }
    fp_printf(&rb, "{\"k\":10,\"candidates\":[");
    for (int j = 0; j < nc; j++) fp_printf(&rb, "%s\"%s\"", j ? "," : "", cands[j]);
    fp_printf(&rb, "]}");
    arag_history *h = NULL;
    uint32_t sid = 0;
    int ok = arag_history_create(ARAG_EMBED_DEFAULT_DIM, NULL, &h) == ARAG_OK &&
             (nh == 0 || arag_history_add_json(h, hb.s, hb.n) == ARAG_OK) &&
             arag_recommend_start(eng, cat, h, rb.s, rb.n, &sid) == ARAG_OK;
    if (ok) {
      fp_pump(&p);
      arag_session_state st = ARAG_SESSION_RUNNING;
      const char *json = NULL;
      size_t jl = 0;
      ok = arag_session_state_get(eng, sid, &st) == ARAG_OK && st == ARAG_SESSION_DONE &&
           arag_session_result(eng, sid, &json, &jl) == ARAG_OK;
      cJSON *res = ok ? cJSON_ParseWithLength(json, jl) : NULL;
      const cJSON *order = cJSON_GetObjectItem(res, "order");
      ok = ok && cJSON_GetArraySize(order) == nc;
      uint8_t seen[N_CANDS] = {0};
      const cJSON *o;
      cJSON_ArrayForEach(o, order) {
        int f = -1;
        for (int j = 0; j < nc; j++)
          if (cJSON_IsString(o) && strcmp(o->valuestring, cands[j]) == 0) f = j;
        if (f < 0 || seen[f]) ok = 0;
        if (f >= 0) seen[f] = 1;
      }
      if (cJSON_GetArraySize(cJSON_GetObjectItem(res, "degraded"))) degraded++;
      cJSON_Delete(res);
      arag_session_free(eng, sid);
    }
    if (!ok) {
      failed++;
      fprintf(stderr, "recommendation %ld failed: %s\n", r, arag_engine_last_error(eng));
    }
    arag_history_free(h);
    free(hb.s);
    free(rb.s);
    fp_reset(&p);
    if ((r + 1) % step == 0 || r + 1 == n_recs) {
      long kb = rss_kb();
      printf("%8ld %10ld %10u\n", r + 1, kb, arag_engine_sessions(eng));
      fp_printf(&curve, "%s[%ld,%ld]", curve.n ? "," : "", r + 1, kb);
      fflush(stdout);
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  long faults = 0;
  for (int f = FP_SLOW; f < FP_N; f++) faults += f != FP_SLOW ? p.injected[f] : 0;
  printf("soak-summary {\"recommendations\":%ld,\"failed\":%ld,\"degraded\":%ld,\"requests\":%ld,"
         "\"faults\":%ld,\"deliver_errors\":%ld,\"sessions_left\":%u,\"seconds\":%.1f,"
         "\"rss_kb_start\":%ld,\"rss_kb_curve\":[%s],\"injected\":{",
         n_recs, failed, degraded, p.requests, faults, p.deliver_errors, arag_engine_sessions(eng),
         secs, rss0, curve.s ? curve.s : "");
  for (int f = 0; f < FP_N; f++)
    printf("%s\"%s\":%ld", f ? "," : "", fp_fault_names[f], p.injected[f]);
  printf("}}\n");
  int bad = failed || p.deliver_errors || arag_engine_sessions(eng);
  free(curve.s);
  fp_free(&p);
  arag_engine_free(eng);
  arag_catalog_free(cat);
  for (long i = 0; i < n_items; i++) free(ids[i]);
  free(ids);
  free(ev_id);
  free(users);
  return bad ? 1 : 0;
}
