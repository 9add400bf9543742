/* Native reference for one offline recommendation (built with -O3 -march=native by
 * make native), and a profiling / regression harness for the pipeline.
 *
 *   bench_pipeline_native [--data DIR] [--users 50] [--reps 5] [--events 50] [--cands 50]
 *                         [--mode both|text|catalog] [--dump FILE] [--trace-prompts 1]
 *
 * For each of the first --users users of DIR (ts order, at least 5 interactions) the
 * target is the last interaction, the history the --events interactions before it,
 * padded at the old end to --events with other catalog items (most users have
 * fewer), and the candidates the target plus (--cands - 1) catalog items drawn by
 * a fixed per-user generator (not in the history). Two ways to hand them to the module:
 *   text:    the events and candidates are item objects with their text (title,
 *            categories, text), embedded inside the timed region (history add +
 *            recommend), no catalog;
 *   catalog: the items are in a catalog; the events carry only ids and the
 *            candidates are catalog ids.
 * Each recommendation is repeated --reps times. Prints one JSON object:
 *   {"engine":"native-arag","users","events","cands","reps","offline_ms_per_rec",
 *    "offline_ms_per_rec_catalog","history_add_ms","history_add_ms_catalog"} (medians).
 * --dump FILE writes each user's result JSON (text mode, then catalog mode) as the
 * module returned it but for the values of the timing keys, one line each: two builds agree on
 * their rankings, summaries and traces when their dumps are byte-identical.
 * --trace-prompts 1 keeps every rendered request (what an LLM would get) in the
 * traces, so the dumps compare the prompts too. DIR defaults to
 * $ARAG_DATA_ROOT/amazon-beauty (ARAG_DATA_ROOT: data/ of the repository). */
#define _POSIX_C_SOURCE 200809L
#include "arag.h"

#include "cJSON.h"
#include "tool_util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void die(const char *msg, const char *detail) {
  fprintf(stderr, "bench_pipeline_native: %s%s%s\n", msg, detail ? ": " : "", detail ? detail : "");
  exit(2);
}

/* Items: their JSON line and id, in file order. */
typedef struct item_rec {
  char *id;
  char *line;
} item_rec;

typedef struct inter {
  char *user;
  uint32_t item; /* index into items */
} inter;

static int find_item(item_rec *items, uint32_t n, const char *id) {
  /* items are sorted by id for the lookup (a copy of the order is kept in sorted_idx) */
  uint32_t lo = 0, hi = n;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    int c = strcmp(items[mid].id, id);
    if (c == 0) return (int)mid;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return -1;
}

static int item_cmp(const void *a, const void *b) {
  return strcmp(((const item_rec *)a)->id, ((const item_rec *)b)->id);
}

static uint64_t rng_next(uint64_t *s) {
  uint64_t x = *s;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  *s = x;
  return x;
}

static int dbl_cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, size_t n) {
  if (!n) return 0;
  qsort(v, n, sizeof *v, dbl_cmp);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* One user's inputs, as JSON texts. */
typedef struct user_case {
  char *hist_text;   /* array of event objects with the item fields */
  char *hist_ids;    /* array of {"id","ts"} */
  char *req_text;    /* {"candidates":[item objects]} */
  char *req_catalog; /* {"candidates":[ids]} */
} user_case;

static cJSON *item_obj(const item_rec *it) {
  cJSON *o = cJSON_Parse(it->line);
  if (!o) die("bad item line", it->line);
  cJSON_DeleteItemFromObjectCaseSensitive(o, "vector");
  return o;
}

/* Writes the result text as it is, but for the values of the timing keys. */
static void write_masked(FILE *f, const char *res, size_t len) {
  static const char *const keys[] = {"\"started_ms\":", "\"ended_ms\":", "\"elapsed_ms\":"};
  size_t i = 0;
  while (i < len) {
    size_t klen = 0;
    for (int k = 0; k < 3 && !klen; k++) {
      size_t n = strlen(keys[k]);
      if (len - i >= n && memcmp(res + i, keys[k], n) == 0) klen = n;
    }
    if (!klen) {
      fputc(res[i++], f);
      continue;
    }
    fwrite(res + i, 1, klen, f);
    fputs("T", f);
    i += klen;
    while (i < len && res[i] != ',' && res[i] != '}') i++;
  }
  fputc('\n', f);
}

/* Runs one recommendation; returns ms of (history add + recommend), *hist_ms the add. */
static double run_one(arag_engine *eng, arag_catalog *cat, arag_history *h, const char *hist,
                      const char *req, double *hist_ms, FILE *dump) {
  double t0 = now_ms();
  arag_history_clear(h);
  if (arag_history_add_json(h, hist, strlen(hist)) != ARAG_OK)
    die("history add failed", arag_history_last_error(h));
  double t1 = now_ms();
  uint32_t sid = 0;
  if (arag_recommend_start(eng, cat, h, req, strlen(req), &sid) != ARAG_OK)
    die("recommend failed", arag_engine_last_error(eng));
  const char *res = NULL;
  size_t res_len = 0;
  if (arag_session_result(eng, sid, &res, &res_len) != ARAG_OK)
    die("no result", arag_engine_last_error(eng));
  double t2 = now_ms();
  if (dump) write_masked(dump, res, res_len);
  arag_session_free(eng, sid);
  *hist_ms = t1 - t0;
  return t2 - t0;
}

int main(int argc, char **argv) {
  char dflt[512];
  const char *dir = data_set_dir("amazon-beauty", dflt, sizeof dflt);
  const char *dump_path = NULL;
  const char *mode = "both";
  int users = 50, reps = 5, n_events = 50, n_cands = 50, trace_prompts = 0;
  for (int i = 1; i < argc; i += 2) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) die("missing value for", a);
    if (!strcmp(a, "--data"))
      dir = v;
    else if (!strcmp(a, "--users"))
      users = atoi(v);
    else if (!strcmp(a, "--reps"))
      reps = atoi(v);
    else if (!strcmp(a, "--events"))
      n_events = atoi(v);
    else if (!strcmp(a, "--cands"))
      n_cands = atoi(v);
    else if (!strcmp(a, "--mode"))
      mode = v;
    else if (!strcmp(a, "--dump"))
      dump_path = v;
    else if (!strcmp(a, "--trace-prompts"))
      trace_prompts = atoi(v);
    else
      die("unknown option", a);
  }
  if (users < 1 || reps < 1 || n_events < 1 || n_cands < 2) die("bad counts", NULL);
  int do_text = strcmp(mode, "catalog") != 0, do_cat = strcmp(mode, "text") != 0;

  char path[4096];
  size_t len = 0;
  snprintf(path, sizeof path, "%s/items.jsonl", dir);
  char *items_src = read_file(path, &len);
  if (!items_src) {
    fprintf(stderr,
            "bench_pipeline_native: cannot read %s (set ARAG_DATA_ROOT or pass --data DIR; "
            "`make sample-data` writes a sample data set)\n",
            path);
    return 2;
  }
  uint32_t n_items = 0, cap_items = 1024;
  item_rec *items = malloc(cap_items * sizeof *items);
  for (char *line = strtok(items_src, "\n"); line; line = strtok(NULL, "\n")) {
    cJSON *o = cJSON_Parse(line);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
    if (!cJSON_IsString(id)) die("item without id", line);
    if (n_items == cap_items) items = realloc(items, (cap_items *= 2) * sizeof *items);
    items[n_items].id = strdup(id->valuestring);
    items[n_items].line = line;
    n_items++;
    cJSON_Delete(o);
  }
  qsort(items, n_items, sizeof *items, item_cmp);

  snprintf(path, sizeof path, "%s/interactions.jsonl", dir);
  char *inter_src = read_file(path, &len);
  if (!inter_src) die("cannot read", path);
  uint32_t n_inter = 0, cap_inter = 4096;
  inter *inters = malloc(cap_inter * sizeof *inters);
  for (char *line = strtok(inter_src, "\n"); line; line = strtok(NULL, "\n")) {
    cJSON *o = cJSON_Parse(line);
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(o, "user");
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, "item");
    if (!cJSON_IsString(u) || !cJSON_IsString(it)) die("bad interaction", line);
    int ix = find_item(items, n_items, it->valuestring);
    if (ix < 0) die("unknown item", it->valuestring);
    if (n_inter == cap_inter) inters = realloc(inters, (cap_inter *= 2) * sizeof *inters);
    inters[n_inter].user = strdup(u->valuestring);
    inters[n_inter].item = (uint32_t)ix;
    n_inter++;
    cJSON_Delete(o);
  }

  /* The catalog (all items) for the catalog mode. */
  arag_catalog *cat = NULL;
  if (arag_catalog_create(ARAG_EMBED_DEFAULT_DIM, NULL, &cat) != ARAG_OK) die("catalog", NULL);
  snprintf(path, sizeof path, "%s/items.jsonl", dir);
  char *cat_src = read_file(path, &len);
  if (arag_catalog_add_json(cat, cat_src, len) != ARAG_OK)
    die("catalog add", arag_catalog_last_error(cat));
  free(cat_src);

  /* Users in file order (interactions are grouped by user, then ts). */
  user_case *cases = calloc((size_t)users, sizeof *cases);
  int n_cases = 0;
  uint8_t *mark = calloc(n_items, 1);
  for (uint32_t b = 0; b < n_inter && n_cases < users;) {
    uint32_t e = b;
    while (e < n_inter && !strcmp(inters[e].user, inters[b].user)) e++;
    uint32_t n = e - b;
    if (n >= 5) {
      uint32_t target = inters[e - 1].item;
      uint32_t hn = n - 1 < (uint32_t)n_events ? n - 1 : (uint32_t)n_events;
      uint32_t h0 = e - 1 - hn;
      cJSON *ht = cJSON_CreateArray(), *hi = cJSON_CreateArray();
      uint64_t seed = 0x9E3779B97F4A7C15ull ^ (uint64_t)(n_cases + 1) * 0xBF58476D1CE4E5B9ull;
      for (uint32_t k = b; k < e; k++) mark[inters[k].item] = 1;
      /* Short histories are padded at the old end with other catalog items, so that
       * every user has --events events. */
      uint32_t n_pad = (uint32_t)n_events - hn;
      uint32_t *pad = malloc((n_pad ? n_pad : 1) * sizeof *pad);
      for (uint32_t k = 0; k < n_pad;) {
        uint32_t c = (uint32_t)(rng_next(&seed) % n_items);
        if (mark[c]) continue;
        mark[c] = 1;
        pad[k++] = c;
      }
      for (uint32_t k = 0; k < n_pad + hn; k++) {
        const item_rec *src = k < n_pad ? &items[pad[k]] : &items[inters[h0 + k - n_pad].item];
        cJSON *o = item_obj(src);
        cJSON_AddNumberToObject(o, "ts", (double)k);
        cJSON_AddItemToArray(ht, o);
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "id", src->id);
        cJSON_AddNumberToObject(p, "ts", (double)k);
        cJSON_AddItemToArray(hi, p);
      }
      /* Candidates: the target and distinct negatives outside the history. */
      cJSON *ct = cJSON_CreateArray(), *ci = cJSON_CreateArray();
      uint32_t *picked = malloc((size_t)n_cands * sizeof *picked);
      int np = 0;
      picked[np++] = target;
      while (np < n_cands) {
        uint32_t c = (uint32_t)(rng_next(&seed) % n_items);
        if (mark[c]) continue;
        mark[c] = 1;
        picked[np++] = c;
      }
      /* Target at a per-user position, so that input order says nothing. */
      uint32_t pos = (uint32_t)(rng_next(&seed) % (uint64_t)n_cands);
      uint32_t tmp = picked[0];
      picked[0] = picked[pos];
      picked[pos] = tmp;
      for (int k = 0; k < np; k++) {
        cJSON_AddItemToArray(ct, item_obj(&items[picked[k]]));
        cJSON_AddItemToArray(ci, cJSON_CreateString(items[picked[k]].id));
        mark[picked[k]] = 0;
      }
      for (uint32_t k = b; k < e; k++) mark[inters[k].item] = 0;
      for (uint32_t k = 0; k < n_pad; k++) mark[pad[k]] = 0;
      free(pad);
      free(picked);
      cJSON *rt = cJSON_CreateObject(), *rc = cJSON_CreateObject();
      cJSON_AddItemToObject(rt, "candidates", ct);
      cJSON_AddItemToObject(rc, "candidates", ci);
      user_case *uc = &cases[n_cases++];
      uc->hist_text = cJSON_PrintUnformatted(ht);
      uc->hist_ids = cJSON_PrintUnformatted(hi);
      uc->req_text = cJSON_PrintUnformatted(rt);
      uc->req_catalog = cJSON_PrintUnformatted(rc);
      cJSON_Delete(ht);
      cJSON_Delete(hi);
      cJSON_Delete(rt);
      cJSON_Delete(rc);
    }
    b = e;
  }
  if (!n_cases) die("no user with 5 interactions", dir);

  arag_engine *eng = NULL;
  const char *cfg = trace_prompts ? "{\"backend\":\"offline\",\"trace_prompts\":true}"
                                  : "{\"backend\":\"offline\"}";
  if (arag_engine_create(cfg, strlen(cfg), &eng) != ARAG_OK) die("engine", NULL);
  arag_history *h = NULL;
  if (arag_history_create(ARAG_EMBED_DEFAULT_DIM, NULL, &h) != ARAG_OK) die("history", NULL);

  FILE *dump = NULL;
  if (dump_path) {
    dump = fopen(dump_path, "w");
    if (!dump) die("cannot write", dump_path);
  }
  size_t n_meas = (size_t)n_cases * (size_t)reps;
  double *t_text = malloc(n_meas * sizeof(double)), *h_text = malloc(n_meas * sizeof(double));
  double *t_cat = malloc(n_meas * sizeof(double)), *h_cat = malloc(n_meas * sizeof(double));
  size_t m_text = 0, m_cat = 0;
  double hist_ms = 0;
  for (int u = 0; u < n_cases; u++) {
    if (do_text && dump)
      run_one(eng, NULL, h, cases[u].hist_text, cases[u].req_text, &hist_ms, dump);
    if (do_cat && dump)
      run_one(eng, cat, h, cases[u].hist_ids, cases[u].req_catalog, &hist_ms, dump);
  }
  for (int r = 0; r < reps; r++)
    for (int u = 0; u < n_cases; u++) {
      if (do_text) {
        t_text[m_text] =
            run_one(eng, NULL, h, cases[u].hist_text, cases[u].req_text, &hist_ms, NULL);
        h_text[m_text++] = hist_ms;
      }
      if (do_cat) {
        t_cat[m_cat] =
            run_one(eng, cat, h, cases[u].hist_ids, cases[u].req_catalog, &hist_ms, NULL);
        h_cat[m_cat++] = hist_ms;
      }
    }
  if (dump) fclose(dump);
  printf("{\"engine\":\"native-arag\",\"users\":%d,\"events\":%d,\"cands\":%d,\"reps\":%d,"
         "\"offline_ms_per_rec\":%.4f,\"offline_ms_per_rec_catalog\":%.4f,"
         "\"history_add_ms\":%.4f,\"history_add_ms_catalog\":%.4f}\n",
         n_cases, n_events, n_cands, reps, median(t_text, m_text), median(t_cat, m_cat),
         median(h_text, m_text), median(h_cat, m_cat));

  free(t_text);
  free(h_text);
  free(t_cat);
  free(h_cat);
  for (int u = 0; u < n_cases; u++) {
    free(cases[u].hist_text);
    free(cases[u].hist_ids);
    free(cases[u].req_text);
    free(cases[u].req_catalog);
  }
  free(cases);
  free(mark);
  for (uint32_t i = 0; i < n_items; i++) free(items[i].id);
  free(items);
  for (uint32_t i = 0; i < n_inter; i++) free(inters[i].user);
  free(inters);
  free(items_src);
  free(inter_src);
  arag_history_free(h);
  arag_engine_free(eng);
  arag_catalog_free(cat);
  return 0;
}
