/* eval_native: the evaluation protocol of the design notes, natively.
 *
 *   eval_native --data DIR --methods recency,rag,popularity,arag,arag-no-nli,arag-no-csa,
 *                                     arag-no-uua,arag-no-shift,arag-storefront
 *               [--users N] [--seed 1] [--negatives 49] [--resamples 1000]
 *               [--config JSON] [--param name=value ...] [--catalog f32|int8]
 *               [--split test|valid] [--ranks FILE]
 *
 * Items go into a catalog through arag_catalog_add_json (so the item vectors are
 * the product's), each with "popularity" and "related" fields counted over all
 * eligible users' histories (never targets), and "repeat_purchase" when some history
 * holds the item twice. Each user's history goes into an arag_history, and
 * the arag methods run arag_recommend_start on one offline engine with the candidates
 * as ids: the module's own pipeline and reasoner, so what is tuned here is what ships.
 * Each method's request config is the JS harness's (web/src/eval/run.mjs): the
 * ablations switch one agent off; the arag methods rank with the engine's shelf rules
 * off (the paper's protocol); arag-storefront with them on, over a shelf of the first
 * STOREFRONT_K places; arag-no-shift without the interest shift (reasoner.shift 0).
 *
 * --config JSON is engine config, as `arag eval --config`; --param name=value sets one
 * reasoner weight in it ("reasoner": {name: value}), for tuning on --split valid.
 *
 * --catalog int8 gives the pipeline an int8 catalog of the same items (the baselines
 * keep the f32 vectors), to measure what the smaller index costs in quality.
 *
 * --split valid holds out each user's next-to-last interaction and drops the last (as
 * `arag eval --split valid`): tune on it, report on the default test split.
 *
 * Prints a table (per method: NDCG@5 with a bootstrap interval, Hit@5, NDCG@10,
 * Hit@10, MRR, gain over the best of recency/rag with a paired bootstrap interval)
 * and one JSON line; --ranks FILE writes each user's target rank by every method. */
#define _POSIX_C_SOURCE 200809L
#include "arag.h"

#include "cJSON.h"
#include "hash.h"
#include "item.h"
#include "model.h"
#include "term_df.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DIM ARAG_EMBED_DEFAULT_DIM
#define SESSION_LEN 5
/* arag-storefront: the engine's storefront shelf rules over a shelf of this many items
 * (the demo's); the other arag methods rank with them off (the paper's protocol). */
#define STOREFRONT_K 6
#define STR_(x) #x
#define STR(x) STR_(x)
#define LONG_TERM_LEN 50

static void die(const char *msg, const char *detail) {
  fprintf(stderr, "eval_native: %s%s%s\n", msg, detail ? ": " : "", detail ? detail : "");
  exit(2);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) die("cannot open", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *p = malloc((size_t)n + 1);
  if (!p || fread(p, 1, (size_t)n, f) != (size_t)n) die("cannot read", path);
  p[n] = 0;
  fclose(f);
  *len = (size_t)n;
  return p;
}

/* Next non-blank line of JSON-lines text (terminated in place), or NULL at the end;
 * *lineno counts every line read, blank ones too, for file:line messages. */
static char *next_jsonl_line(char **cursor, uint32_t *lineno) {
  while (*cursor && **cursor) {
    char *line = *cursor;
    char *nl = strchr(line, '\n');
    if (nl) *nl = 0;
    *cursor = nl ? nl + 1 : NULL;
    (*lineno)++;
    if (strspn(line, " \t\r") != strlen(line)) return line;
  }
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* String -> index map (open addressing)                                     */
/* ------------------------------------------------------------------------ */

typedef struct smap {
  char **keys;
  uint32_t *vals;
  uint32_t cap, n;
} smap;

static uint64_t fnv64(const char *s, size_t n) { return arag_fnv1a64(s, n, ARAG_FNV64_OFFSET); }

static void smap_init(smap *m, uint32_t cap) {
  m->cap = cap;
  m->n = 0;
  m->keys = calloc(cap, sizeof *m->keys);
  m->vals = calloc(cap, sizeof *m->vals);
  if (!m->keys || !m->vals) die("out of memory", NULL);
}

static uint32_t *smap_slot(smap *m, const char *k, int insert) {
  uint32_t i = (uint32_t)(fnv64(k, strlen(k)) & (m->cap - 1));
  while (m->keys[i]) {
    if (strcmp(m->keys[i], k) == 0) return &m->vals[i];
    i = (i + 1) & (m->cap - 1);
  }
  if (!insert) return NULL;
  if (m->n * 2 >= m->cap) die("map full", NULL);
  size_t l = strlen(k);
  m->keys[i] = malloc(l + 1);
  memcpy(m->keys[i], k, l + 1);
  m->n++;
  m->vals[i] = UINT32_MAX;
  return &m->vals[i];
}

/* ------------------------------------------------------------------------ */
/* Data                                                                      */
/* ------------------------------------------------------------------------ */

typedef struct item_rec {
  char *id;
  char *json; /* the line, with "popularity" added */
  int repeat; /* some history holds it twice: marked "repeat_purchase" */
  double pop;
  uint32_t *rel, *rel_n; /* related items (best first) and their co-occurrence counts */
  uint32_t n_rel;
  /* The catalog's item, with a vector of its own: catalog items keep theirs only
   * in the index, and the baselines and the agent chain read item->vec. */
  arag_item item;
  const arag_item *it; /* &item */
} item_rec;

typedef struct inter {
  uint32_t item;
  double ts;
  uint32_t order;
} inter;

typedef struct user_rec {
  char *id;
  inter *ev;
  uint32_t n, cap;
} user_rec;

typedef struct data {
  item_rec *items;
  uint32_t n_items;
  smap item_ix;
  user_rec *users;
  uint32_t n_users;
} data;

static int inter_cmp(const void *a, const void *b) {
  const inter *x = a, *y = b;
  if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

/* Related items: co-occurrence in the eligible users' histories (never targets).
 * Every pair of different items at most REL_WINDOW positions apart in a history
 * counts once for both; each item keeps its partners by count (ties: id byte
 * order), as many as a catalog item may carry. The JS harness
 * (web/src/eval/baselines.mjs relatedCounts) computes the same lists. Up to 64
 * partners instead of 20 raised amazon-office's NDCG@5 by 0.003 (no worse on
 * either validation split); windows 2, 4, 5 and 10, pairs weighed by 1/gap, and
 * the backward direction weighed 0.5 or 2 each did worse on one data set. */
#define REL_WINDOW 3
#define REL_TOP ARAG_ITEM_MAX_RELATED
#define POPULARITY_DECAY 0.7

typedef struct pair {
  uint32_t a, b;
} pair;

static int pair_cmp(const void *x, const void *y) {
  const pair *p = x, *q = y;
  if (p->a != q->a) return p->a < q->a ? -1 : 1;
  return p->b < q->b ? -1 : p->b > q->b;
}

typedef struct partner {
  uint32_t item, n;
  const char *id;
} partner;

static int partner_cmp(const void *x, const void *y) {
  const partner *p = x, *q = y;
  if (p->n != q->n) return p->n > q->n ? -1 : 1;
  return strcmp(p->id, q->id);
}

static void related_counts(data *d) {
  size_t cap = 1024, n = 0;
  pair *pr = malloc(cap * sizeof *pr);
  for (uint32_t i = 0; i < d->n_users; i++) {
    const user_rec *u = &d->users[i];
    uint32_t h = u->n - 1; /* the history: all but the target */
    for (uint32_t x = 0; x < h; x++)
      for (uint32_t y = x + 1; y < h && y - x <= REL_WINDOW; y++) {
        uint32_t a = u->ev[x].item, b = u->ev[y].item;
        if (a == b) continue;
        if (n + 2 > cap) pr = realloc(pr, (cap *= 2) * sizeof *pr);
        pr[n++] = (pair){a, b};
        pr[n++] = (pair){b, a};
      }
  }
  if (!pr) die("out of memory", NULL);
  qsort(pr, n, sizeof *pr, pair_cmp);
  partner *tmp = malloc((d->n_items + 1) * sizeof *tmp);
  for (size_t i = 0; i < n;) {
    uint32_t a = pr[i].a, m = 0;
    while (i < n && pr[i].a == a) {
      size_t j = i;
      while (j < n && pr[j].a == a && pr[j].b == pr[i].b) j++;
      tmp[m++] = (partner){pr[i].b, (uint32_t)(j - i), d->items[pr[i].b].id};
      i = j;
    }
    qsort(tmp, m, sizeof *tmp, partner_cmp);
    item_rec *r = &d->items[a];
    r->n_rel = m < REL_TOP ? m : REL_TOP;
    r->rel = malloc(r->n_rel * sizeof *r->rel);
    r->rel_n = malloc(r->n_rel * sizeof *r->rel_n);
    for (uint32_t k = 0; k < r->n_rel; k++) r->rel[k] = tmp[k].item, r->rel_n[k] = tmp[k].n;
  }
  free(tmp);
  free(pr);
}

static void load(const char *dir, uint32_t drop, data *d) {
  char path[4096];
  size_t len;
  snprintf(path, sizeof path, "%s/items.jsonl", dir);
  char *txt = read_file(path, &len);
  uint32_t cap = 1024;
  d->items = malloc(cap * sizeof *d->items);
  d->n_items = 0;
  smap_init(&d->item_ix, 1u << 20);
  char *cur = txt;
  uint32_t lineno = 0;
  for (char *line; (line = next_jsonl_line(&cur, &lineno));) {
    cJSON *o = cJSON_Parse(line);
    const cJSON *id = o ? cJSON_GetObjectItemCaseSensitive(o, "id") : NULL;
    if (!cJSON_IsString(id)) {
      fprintf(stderr, "%s:%u: ", path, lineno);
      die("item without a string id", NULL);
    }
    if (d->n_items == cap) d->items = realloc(d->items, (cap *= 2) * sizeof *d->items);
    item_rec *r = &d->items[d->n_items];
    memset(r, 0, sizeof *r);
    r->id = strdup(id->valuestring);
    uint32_t *slot = smap_slot(&d->item_ix, r->id, 1);
    if (*slot != UINT32_MAX) die("duplicate item id", r->id);
    *slot = d->n_items++;
    cJSON_Delete(o);
  }
  free(txt);

  snprintf(path, sizeof path, "%s/interactions.jsonl", dir);
  txt = read_file(path, &len);
  smap users;
  smap_init(&users, 1u << 20);
  uint32_t ucap = 1024;
  d->users = malloc(ucap * sizeof *d->users);
  d->n_users = 0;
  cur = txt;
  lineno = 0;
  uint32_t order = 0;
  for (char *line; (line = next_jsonl_line(&cur, &lineno));) {
    cJSON *o = cJSON_Parse(line);
    const cJSON *u = o ? cJSON_GetObjectItemCaseSensitive(o, "user") : NULL;
    const cJSON *it = o ? cJSON_GetObjectItemCaseSensitive(o, "item") : NULL;
    const cJSON *ts = o ? cJSON_GetObjectItemCaseSensitive(o, "ts") : NULL;
    if (!cJSON_IsString(u) || !cJSON_IsString(it) || !cJSON_IsNumber(ts)) {
      fprintf(stderr, "%s:%u: ", path, lineno);
      die("interaction needs user, item (strings) and ts (number)", NULL);
    }
    uint32_t *ii = smap_slot(&d->item_ix, it->valuestring, 0);
    if (!ii) die("interaction with an unknown item", it->valuestring);
    uint32_t *us = smap_slot(&users, u->valuestring, 1);
    if (*us == UINT32_MAX) {
      if (d->n_users == ucap) d->users = realloc(d->users, (ucap *= 2) * sizeof *d->users);
      user_rec *nu = &d->users[d->n_users];
      memset(nu, 0, sizeof *nu);
      nu->id = strdup(u->valuestring);
      *us = d->n_users++;
    }
    user_rec *ur = &d->users[*us];
    if (ur->n == ur->cap)
      ur->ev = realloc(ur->ev, (ur->cap = ur->cap ? ur->cap * 2 : 8) * sizeof *ur->ev);
    ur->ev[ur->n++] = (inter){*ii, ts->valuedouble, order++};
    cJSON_Delete(o);
  }
  free(txt);
  /* Eligible users (>= 5 interactions after the split drops `drop` from the end),
   * first-appearance order; events by (ts, file order). */
  uint32_t k = 0;
  for (uint32_t i = 0; i < d->n_users; i++) {
    if (d->users[i].n < 5 + drop) {
      free(d->users[i].id);
      free(d->users[i].ev);
      continue;
    }
    qsort(d->users[i].ev, d->users[i].n, sizeof(inter), inter_cmp);
    d->users[i].n -= drop;
    d->users[k++] = d->users[i];
  }
  d->n_users = k;
  for (uint32_t i = 0; i < users.cap; i++) free(users.keys[i]);
  free(users.keys);
  free(users.vals);
  /* Popularity: occurrences in the eligible users' histories (never targets), each
   * weighted POPULARITY_DECAY^k, k the user's later history items (as the JS
   * harness: the same additions in the same order, so the same doubles). */
  for (uint32_t i = 0; i < d->n_users; i++) {
    double w = 1;
    for (uint32_t j = d->users[i].n - 1; j-- > 0; w *= POPULARITY_DECAY)
      d->items[d->users[i].ev[j].item].pop += w;
  }
  related_counts(d);
  /* Repeat purchases: an item some history (never a target) holds twice, as the JS
   * harness marks it (repeatPurchases). */
  for (uint32_t i = 0; i < d->n_users; i++)
    for (uint32_t j = 0; j + 1 < d->users[i].n; j++)
      for (uint32_t q = j + 1; q + 1 < d->users[i].n; q++)
        if (d->users[i].ev[j].item == d->users[i].ev[q].item)
          d->items[d->users[i].ev[j].item].repeat = 1;
}

/* Appends o as one JSON line to a growing buffer and deletes o. */
static void put_json_line(char **buf, size_t *len, size_t *cap, cJSON *o) {
  char *s = cJSON_PrintUnformatted(o);
  if (!s) die("out of memory", NULL);
  size_t sl = strlen(s);
  if (*len + sl + 2 > *cap) *buf = realloc(*buf, *cap = (*len + sl + 2) * 2);
  if (!*buf) die("out of memory", NULL);
  memcpy(*buf + *len, s, sl);
  *len += sl;
  (*buf)[(*len)++] = '\n';
  cJSON_free(s);
  cJSON_Delete(o);
}

/* Catalog lines with "popularity" added. */
/* The f32 catalog (the items' vectors for the baselines and the agent chain) and, for
 * --catalog int8, an int8 catalog of the same items for the pipeline in *pipe. */
static arag_catalog *build_catalog(const char *dir, data *d, int int8, arag_catalog **pipe) {
  char path[4096];
  size_t len;
  snprintf(path, sizeof path, "%s/items.jsonl", dir);
  char *txt = read_file(path, &len);
  size_t cap = len * 2 + 1024, n = 0;
  char *all = malloc(cap);
  char *cur = txt;
  uint32_t k = 0;
  uint32_t lineno = 0;
  for (char *line; (line = next_jsonl_line(&cur, &lineno));) {
    cJSON *o = cJSON_Parse(line);
    cJSON_DeleteItemFromObjectCaseSensitive(o, "popularity");
    cJSON_AddNumberToObject(o, "popularity", d->items[k].pop);
    cJSON_DeleteItemFromObjectCaseSensitive(o, "related");
    if (d->items[k].n_rel) {
      cJSON *rel = cJSON_AddObjectToObject(o, "related");
      for (uint32_t q = 0; q < d->items[k].n_rel; q++)
        cJSON_AddNumberToObject(rel, d->items[d->items[k].rel[q]].id, d->items[k].rel_n[q]);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(o, "repeat_purchase");
    if (d->items[k].repeat) cJSON_AddTrueToObject(o, "repeat_purchase");
    put_json_line(&all, &n, &cap, o);
    k++;
  }
  free(txt);
  arag_limits lim;
  arag_limits_default(&lim);
  arag_catalog *cat;
  if (arag_catalog_create(DIM, &lim, &cat) != ARAG_OK) die("catalog_create failed", NULL);
  arag_status st = arag_catalog_add_json(cat, all, n);
  if (st != ARAG_OK) die("catalog_add_json failed", arag_catalog_last_error(cat));
  *pipe = cat;
  if (int8) {
    if (arag_catalog_create_dtype(DIM, ARAG_I8, &lim, pipe) != ARAG_OK ||
        arag_catalog_add_json(*pipe, all, n) != ARAG_OK)
      die("int8 catalog failed", NULL);
  }
  free(all);
  for (uint32_t i = 0; i < d->n_items; i++) {
    const arag_item *found = arag_catalog_find(cat, d->items[i].id, strlen(d->items[i].id));
    if (!found) die("catalog lost an item", d->items[i].id);
    d->items[i].item = *found;
    d->items[i].item.vec = malloc(DIM * sizeof(float));
    if (!d->items[i].item.vec || arag_catalog_vector(cat, found, d->items[i].item.vec) != ARAG_OK)
      die("no vector for an item", d->items[i].id);
    d->items[i].it = &d->items[i].item;
  }
  return cat;
}

/* ------------------------------------------------------------------------ */
/* Protocol: per-user generator, negatives, candidate list                   */
/* ------------------------------------------------------------------------ */

typedef struct gen {
  uint64_t state;
} gen;

static uint64_t gen_next(gen *g) {
  g->state += 0x9e3779b97f4a7c15ull;
  uint64_t z = g->state;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* cands: out, up to negatives + 1; returns the count and the target's index. */
static uint32_t sample(const data *d, const user_rec *u, uint32_t seed, uint32_t negatives,
                       uint32_t *pool, uint8_t *mark, uint32_t *cands, uint32_t *target_ix) {
  char key[600];
  int kl = snprintf(key, sizeof key, "%u:%s", seed, u->id);
  gen g = {fnv64(key, (size_t)kl)};
  uint32_t target = u->ev[u->n - 1].item;
  for (uint32_t j = 0; j < u->n; j++) mark[u->ev[j].item] = 1;
  uint32_t np = 0;
  for (uint32_t i = 0; i < d->n_items; i++)
    if (!mark[i]) pool[np++] = i;
  for (uint32_t j = 0; j < u->n; j++) mark[u->ev[j].item] = 0;
  uint32_t n = negatives < np ? negatives : np;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t j = i + (uint32_t)(gen_next(&g) % (uint64_t)(np - i));
    uint32_t t = pool[i];
    pool[i] = pool[j];
    pool[j] = t;
  }
  memcpy(cands, pool, n * sizeof *cands);
  cands[n] = target;
  uint32_t len = n + 1;
  for (uint32_t i = len - 1; i >= 1; i--) {
    uint32_t j = (uint32_t)(gen_next(&g) % (uint64_t)(i + 1));
    uint32_t t = cands[i];
    cands[i] = cands[j];
    cands[j] = t;
  }
  for (uint32_t i = 0; i < len; i++)
    if (cands[i] == target) *target_ix = i;
  return len;
}

/* ------------------------------------------------------------------------ */
/* Baselines                                                                 */
/* ------------------------------------------------------------------------ */

static double cos_fd(const float *a, const double *b) {
  double s = 0, na = 0, nb = 0;
  for (uint32_t i = 0; i < DIM; i++) {
    s += a[i] * b[i];
    na += (double)a[i] * a[i];
    nb += b[i] * b[i];
  }
  if (na == 0 || nb == 0) return 0;
  return s / (sqrt(na) * sqrt(nb));
}

static double cosd(const float *a, const float *b) {
  double s = 0, na = 0, nb = 0;
  for (uint32_t i = 0; i < DIM; i++) {
    s += (double)a[i] * b[i];
    na += (double)a[i] * a[i];
    nb += (double)b[i] * b[i];
  }
  if (na == 0 || nb == 0) return 0;
  return s / (sqrt(na) * sqrt(nb));
}

/* Rank (1-based) of cands[t] by descending score, ties by list order. */
static uint32_t rank_of(const double *score, uint32_t n, uint32_t t) {
  uint32_t r = 1;
  for (uint32_t i = 0; i < n; i++)
    if (score[i] > score[t] || (score[i] == score[t] && i < t)) r++;
  return r;
}

/* ------------------------------------------------------------------------ */
/* arag through the module's pipeline                                        */
/* ------------------------------------------------------------------------ */

typedef struct method {
  const char *name;
  int kind;           /* 0 recency, 1 rag, 2 popularity, 3 arag */
  const char *config; /* arag: the request's config, as web/src/eval/run.mjs gives it */
  double *val;        /* n_users x 5 metrics */
  uint32_t *rank;     /* n_users ranks of the target */
  double ms;
  uint32_t calls, degraded;
} method;

/* The arag methods: the engine's config per request (the same as the JS harness's
 * METHODS). The paper's protocol ranks with the shelf rules off; arag-storefront with
 * them on over a shelf of STOREFRONT_K; arag-no-shift without the interest shift. */
static const struct {
  const char *name, *config;
} ARAG_METHODS[] = {
    {"arag", "{\"shelf\":false,\"agents\":{\"uua\":true,\"nli\":true,\"csa\":true,\"ira\":true}}"},
    {"arag-no-nli",
     "{\"shelf\":false,\"agents\":{\"uua\":true,\"nli\":false,\"csa\":true,\"ira\":true}}"},
    {"arag-no-csa",
     "{\"shelf\":false,\"agents\":{\"uua\":true,\"nli\":true,\"csa\":false,\"ira\":true}}"},
    {"arag-no-uua",
     "{\"shelf\":false,\"agents\":{\"uua\":false,\"nli\":true,\"csa\":true,\"ira\":true}}"},
    {"arag-no-shift", "{\"shelf\":false,\"reasoner\":{\"shift\":0},"
                      "\"agents\":{\"uua\":true,\"nli\":true,\"csa\":true,\"ira\":true}}"},
    {"arag-storefront",
     "{\"shelf\":{\"size\":" STR(
         STOREFRONT_K) "},"
                       "\"agents\":{\"uua\":true,\"nli\":true,\"csa\":true,\"ira\":true}}"},
};

/* The target's rank in the engine's answer to one user's request. */
static uint32_t rank_pipeline(method *m, arag_engine *eng, const arag_catalog *cat, const data *d,
                              const user_rec *u, const uint32_t *cands, uint32_t n, uint32_t t) {
  arag_history *h;
  if (arag_history_create(DIM, NULL, &h) != ARAG_OK) die("history_create failed", NULL);
  /* History events as JSON lines: id and ts; the text comes from the catalog. */
  size_t cap = 64 + (size_t)u->n * 300, len = 0;
  char *js = malloc(cap);
  for (uint32_t j = 0; j + 1 < u->n; j++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", d->items[u->ev[j].item].id);
    cJSON_AddNumberToObject(o, "ts", u->ev[j].ts);
    put_json_line(&js, &len, &cap, o);
  }
  arag_status st = arag_history_add_json(h, js, len);
  if (st != ARAG_OK) die("history_add_json failed", arag_history_last_error(h));
  free(js);
  cJSON *req = cJSON_CreateObject();
  cJSON *ids = cJSON_AddArrayToObject(req, "candidates");
  for (uint32_t i = 0; i < n; i++)
    cJSON_AddItemToArray(ids, cJSON_CreateString(d->items[cands[i]].id));
  cJSON_AddNumberToObject(req, "k", n);
  cJSON_AddNumberToObject(req, "top_k", n);
  cJSON_AddItemToObject(req, "config", cJSON_Parse(m->config));
  char *rs = cJSON_PrintUnformatted(req);
  cJSON_Delete(req);
  double t0 = now_ms();
  uint32_t sess;
  st = arag_recommend_start(eng, cat, h, rs, strlen(rs), &sess);
  if (st != ARAG_OK) die("recommend_start failed", arag_engine_last_error(eng));
  arag_session_state state;
  if (arag_session_state_get(eng, sess, &state) != ARAG_OK || state != ARAG_SESSION_DONE)
    die("offline session did not finish inside recommend_start", NULL);
  const char *res;
  size_t res_len;
  if (arag_session_result(eng, sess, &res, &res_len) != ARAG_OK) die("no result", NULL);
  m->ms += now_ms() - t0;
  m->calls++;
  cJSON *o = cJSON_ParseWithLength(res, res_len);
  const cJSON *items = cJSON_GetObjectItemCaseSensitive(o, "items");
  const cJSON *deg = cJSON_GetObjectItemCaseSensitive(o, "degraded");
  if (cJSON_GetArraySize(deg) > 0) m->degraded++;
  uint32_t r = 0, k = 0;
  const cJSON *x;
  const char *tid = d->items[cands[t]].id;
  cJSON_ArrayForEach(x, items) {
    k++;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(x, "id");
    if (cJSON_IsString(id) && strcmp(id->valuestring, tid) == 0 && !r) r = k;
  }
  if (!r) die("target missing from the arag result", tid);
  cJSON_Delete(o);
  free(rs);
  arag_session_free(eng, sess);
  arag_history_free(h);
  return r;
}

/* ------------------------------------------------------------------------ */
/* Metrics and bootstrap                                                     */
/* ------------------------------------------------------------------------ */

enum { M_NDCG5, M_HIT5, M_NDCG10, M_HIT10, M_MRR, N_METRICS };
static const char *const METRIC_NAMES[N_METRICS] = {"ndcg@5", "hit@5", "ndcg@10", "hit@10", "mrr"};

static void metrics_of(uint32_t r, double *v) {
  v[M_NDCG5] = r <= 5 ? 1.0 / log2(r + 1.0) : 0;
  v[M_HIT5] = r <= 5;
  v[M_NDCG10] = r <= 10 ? 1.0 / log2(r + 1.0) : 0;
  v[M_HIT10] = r <= 10;
  v[M_MRR] = 1.0 / r;
}

static double mean_metric(const method *m, uint32_t nu, int k) {
  double s = 0;
  for (uint32_t i = 0; i < nu; i++) s += m->val[i * N_METRICS + k];
  return nu ? s / nu : 0;
}

static int dcmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double quant(const double *s, uint32_t n, double p) {
  double h = (n - 1) * p;
  uint32_t lo = (uint32_t)floor(h);
  uint32_t hi = lo + 1 < n ? lo + 1 : n - 1;
  return s[lo] + (h - lo) * (s[hi] - s[lo]);
}

/* Percentile interval of mean(a) (b NULL) or of mean(a)/mean(b) - 1 (paired). */
static void bootstrap(const method *a, const method *b, uint32_t nu, int k, uint32_t resamples,
                      double *lo, double *hi) {
  double *v = malloc(resamples * sizeof *v);
  gen g = {fnv64("bootstrap", 9)};
  uint32_t nv = 0;
  for (uint32_t r = 0; r < resamples; r++) {
    double sa = 0, sb = 0;
    for (uint32_t i = 0; i < nu; i++) {
      uint32_t j = (uint32_t)(gen_next(&g) % nu);
      sa += a->val[j * N_METRICS + k];
      if (b) sb += b->val[j * N_METRICS + k];
    }
    if (!b)
      v[nv++] = sa / nu;
    else if (sb > 0)
      v[nv++] = sa / sb - 1;
  }
  qsort(v, nv, sizeof *v, dcmp);
  *lo = nv ? quant(v, nv, 0.025) : NAN;
  *hi = nv ? quant(v, nv, 0.975) : NAN;
  free(v);
}

/* ------------------------------------------------------------------------ */
/* Options and methods                                                       */
/* ------------------------------------------------------------------------ */

typedef struct options {
  const char *dir, *methods, *config, *ranks_path;
  char *params; /* --param name=value ...: {"reasoner": {...}} */
  int int8;
  uint32_t drop; /* --split valid: each user's last interaction is dropped first */
  uint32_t max_users, seed, negatives, resamples;
} options;

static void usage(void) {
  fprintf(stderr,
          "usage: eval_native --data DIR --methods recency,rag,popularity,arag,arag-no-nli,"
          "arag-no-csa,arag-no-uua,arag-no-shift,arag-storefront\n"
          "                   [--users N] [--seed 1] [--negatives 49] [--resamples 1000]\n"
          "                   [--config JSON] [--param name=value]... [--catalog f32|int8]\n"
          "                   [--split test|valid] [--ranks FILE]\n");
  exit(2);
}

/* --param name=value: one reasoner weight, added to opt->params. */
static void add_param(options *opt, const char *v) {
  const char *eq = strchr(v, '=');
  char *end = NULL;
  double x = eq ? strtod(eq + 1, &end) : 0;
  if (!eq || eq == v || end == eq + 1 || *end || strchr(v, '"') || strchr(v, '\\')) usage();
  size_t have = opt->params ? strlen(opt->params) : 0, need = have + strlen(v) + 64;
  char *p = realloc(opt->params, need);
  if (!p) die("out of memory", NULL);
  if (!have)
    snprintf(p, need, "{\"reasoner\":{\"%.*s\":%.17g}}", (int)(eq - v), v, x);
  else
    snprintf(p + have - 2, need - have + 2, ",\"%.*s\":%.17g}}", (int)(eq - v), v, x);
  opt->params = p;
}

static options parse_args(int argc, char **argv) {
  options o = {.max_users = UINT32_MAX, .seed = 1, .negatives = 49, .resamples = 1000};
  for (int i = 1; i < argc; i += 2) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) usage();
    if (strcmp(a, "--data") == 0)
      o.dir = v;
    else if (strcmp(a, "--methods") == 0)
      o.methods = v;
    else if (strcmp(a, "--users") == 0)
      o.max_users = (uint32_t)strtoul(v, NULL, 10);
    else if (strcmp(a, "--seed") == 0)
      o.seed = (uint32_t)strtoul(v, NULL, 10);
    else if (strcmp(a, "--negatives") == 0)
      o.negatives = (uint32_t)strtoul(v, NULL, 10);
    else if (strcmp(a, "--resamples") == 0)
      o.resamples = (uint32_t)strtoul(v, NULL, 10);
    else if (strcmp(a, "--config") == 0)
      o.config = v;
    else if (strcmp(a, "--ranks") == 0)
      o.ranks_path = v;
    else if (strcmp(a, "--split") == 0 && (strcmp(v, "test") == 0 || strcmp(v, "valid") == 0))
      o.drop = strcmp(v, "valid") == 0;
    else if (strcmp(a, "--catalog") == 0 && (strcmp(v, "f32") == 0 || strcmp(v, "int8") == 0))
      o.int8 = strcmp(v, "int8") == 0;
    else if (strcmp(a, "--param") == 0)
      add_param(&o, v);
    else
      usage();
  }
  if (!o.dir || !o.methods) usage();
  if (o.resamples < 10) o.resamples = 10;
  return o;
}

/* The methods of a comma-separated list (list is cut in place); returns their number. */
static uint32_t parse_methods(char *list, method *ms, uint32_t max) {
  uint32_t nm = 0;
  for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
    if (nm == max) die("too many methods", NULL);
    method *m = &ms[nm];
    memset(m, 0, sizeof *m);
    m->name = tok;
    m->kind = -1;
    static const char *const baselines[] = {"recency", "rag", "popularity"};
    for (int k = 0; k < 3; k++)
      if (strcmp(tok, baselines[k]) == 0) m->kind = k;
    for (size_t k = 0; k < sizeof ARAG_METHODS / sizeof ARAG_METHODS[0]; k++)
      if (strcmp(tok, ARAG_METHODS[k].name) == 0) m->kind = 3, m->config = ARAG_METHODS[k].config;
    if (m->kind < 0) die("unknown method", tok);
    for (uint32_t j = 0; j < nm; j++)
      if (strcmp(ms[j].name, tok) == 0) die("method given twice", tok);
    nm++;
  }
  return nm;
}

/* The engine the arag methods rank with, configured as web/src/eval/engine.mjs does:
 * no deadline, then --config, then the --param weights, then the protocol's history
 * lengths and the offline backend. */
static arag_engine *make_engine(const options *o) {
  arag_engine *eng;
  if (arag_engine_create("{}", 2, &eng) != ARAG_OK) die("engine_create failed", NULL);
  const char *steps[] = {"{\"deadline_ms\":0}", o->config, o->params,
                         "{\"backend\":\"offline\",\"session_len\":" STR(
                             SESSION_LEN) ",\"long_term_len\":" STR(LONG_TERM_LEN) "}"};
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
    if (steps[i] && arag_engine_configure(eng, steps[i], strlen(steps[i])) != ARAG_OK)
      die("engine config", arag_engine_last_error(eng));
  return eng;
}

/* ------------------------------------------------------------------------ */
/* The run                                                                   */
/* ------------------------------------------------------------------------ */

/* The target's rank by a baseline (kind 0 recency, 1 rag, 2 popularity). */
static uint32_t rank_baseline(int kind, const data *d, const user_rec *u, const uint32_t *cands,
                              uint32_t n, uint32_t t, double *score, double *qd) {
  uint32_t nh = u->n - 1;
  if (kind == 0) {
    for (uint32_t i = 0; i < n; i++) {
      double s = 0, w = 1;
      for (uint32_t a = 0; a < 5 && a < nh; a++, w *= 0.5)
        s += w * cosd(d->items[cands[i]].it->vec, d->items[u->ev[nh - 1 - a].item].it->vec);
      score[i] = s;
    }
  } else if (kind == 1) {
    memset(qd, 0, DIM * sizeof *qd);
    for (uint32_t a = 0; a < nh; a++)
      for (uint32_t k = 0; k < DIM; k++) qd[k] += d->items[u->ev[a].item].it->vec[k];
    for (uint32_t k = 0; k < DIM; k++) qd[k] /= nh;
    for (uint32_t i = 0; i < n; i++) score[i] = cos_fd(d->items[cands[i]].it->vec, qd);
  } else {
    for (uint32_t i = 0; i < n; i++) score[i] = d->items[cands[i]].pop;
  }
  return rank_of(score, n, t);
}

/* Every method on the first nu users: each method's metrics and ranks. */
static void run_users(const options *o, const data *d, const arag_catalog *pipe_cat,
                      arag_engine *eng, method *ms, uint32_t nm, uint32_t nu) {
  uint32_t *pool = malloc(d->n_items * sizeof *pool);
  uint8_t *mark = calloc(d->n_items, 1);
  uint32_t *cands = malloc((o->negatives + 1) * sizeof *cands);
  double *score = malloc((o->negatives + 1) * sizeof *score);
  double *qd = malloc(DIM * sizeof *qd);
  if (!pool || !mark || !cands || !score || !qd) die("out of memory", NULL);
  for (uint32_t ui = 0; ui < nu; ui++) {
    const user_rec *u = &d->users[ui];
    uint32_t t = 0;
    uint32_t n = sample(d, u, o->seed, o->negatives, pool, mark, cands, &t);
    for (uint32_t j = 0; j < nm; j++) {
      method *m = &ms[j];
      uint32_t r = m->kind == 3 ? rank_pipeline(m, eng, pipe_cat, d, u, cands, n, t)
                                : rank_baseline(m->kind, d, u, cands, n, t, score, qd);
      m->rank[ui] = r;
      metrics_of(r, &m->val[(size_t)ui * N_METRICS]);
    }
  }
  free(pool);
  free(mark);
  free(cands);
  free(score);
  free(qd);
}

/* --ranks FILE: one JSON line a user, {"user", "target", "ranks": {method: rank}}, as
 * the records of the JS harness (evaluate()). */
static void write_ranks(const char *path, const data *d, const method *ms, uint32_t nm,
                        uint32_t nu) {
  FILE *f = fopen(path, "w");
  if (!f) die("cannot write", path);
  for (uint32_t ui = 0; ui < nu; ui++) {
    const user_rec *u = &d->users[ui];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "user", u->id);
    cJSON_AddStringToObject(o, "target", d->items[u->ev[u->n - 1].item].id);
    cJSON *r = cJSON_AddObjectToObject(o, "ranks");
    for (uint32_t j = 0; j < nm; j++) cJSON_AddNumberToObject(r, ms[j].name, ms[j].rank[ui]);
    char *s = cJSON_PrintUnformatted(o);
    fprintf(f, "%s\n", s);
    cJSON_free(s);
    cJSON_Delete(o);
  }
  if (fclose(f) != 0) die("cannot write", path);
}

/* ------------------------------------------------------------------------ */
/* The report                                                                */
/* ------------------------------------------------------------------------ */

/* Best baseline of recency/rag by NDCG@5, -1 if neither ran. */
static int best_baseline(const method *ms, uint32_t nm, uint32_t nu) {
  int best = -1;
  for (uint32_t j = 0; j < nm; j++)
    if (ms[j].kind <= 1 &&
        (best < 0 || mean_metric(&ms[j], nu, M_NDCG5) > mean_metric(&ms[best], nu, M_NDCG5)))
      best = (int)j;
  return best;
}

static void add_pair(cJSON *o, const char *key, double lo, double hi, double scale) {
  cJSON *a = cJSON_AddArrayToObject(o, key);
  cJSON_AddItemToArray(a, cJSON_CreateNumber(round(lo * scale) / scale));
  cJSON_AddItemToArray(a, cJSON_CreateNumber(round(hi * scale) / scale));
}

/* One method's row of the table and its JSON (into jm). */
static void report_method(method *m, const method *best, uint32_t nu, uint32_t resamples,
                          cJSON *jm) {
  double lo, hi, glo = NAN, ghi = NAN, g = NAN, gh = NAN;
  bootstrap(m, NULL, nu, M_NDCG5, resamples, &lo, &hi);
  cJSON *o = cJSON_AddObjectToObject(jm, m->name);
  for (int k = 0; k < N_METRICS; k++)
    cJSON_AddNumberToObject(o, METRIC_NAMES[k], round(mean_metric(m, nu, k) * 1e6) / 1e6);
  add_pair(o, "ndcg@5_ci", lo, hi, 1e6);
  if (best && best != m) {
    double b5 = mean_metric(best, nu, M_NDCG5), bh = mean_metric(best, nu, M_HIT5);
    g = b5 > 0 ? mean_metric(m, nu, M_NDCG5) / b5 - 1 : NAN;
    gh = bh > 0 ? mean_metric(m, nu, M_HIT5) / bh - 1 : NAN;
    bootstrap(m, best, nu, M_NDCG5, resamples, &glo, &ghi);
    cJSON_AddNumberToObject(o, "gain_ndcg@5", round(g * 1e4) / 1e4);
    cJSON_AddNumberToObject(o, "gain_hit@5", round(gh * 1e4) / 1e4);
    add_pair(o, "gain_ndcg@5_ci", glo, ghi, 1e4);
  }
  double msr = m->calls ? m->ms / m->calls : NAN;
  if (m->calls) {
    cJSON_AddNumberToObject(o, "ms_per_rec", round(msr * 1e4) / 1e4);
    cJSON_AddNumberToObject(o, "degraded_users", m->degraded);
  }
  char gbuf[64] = "", hbuf[16] = "", mbuf[16] = "";
  if (!isnan(g))
    snprintf(gbuf, sizeof gbuf, "%+6.1f%% [%+.1f%%, %+.1f%%]", g * 100, glo * 100, ghi * 100);
  if (!isnan(gh)) snprintf(hbuf, sizeof hbuf, "%+6.1f%%", gh * 100);
  if (m->calls) snprintf(mbuf, sizeof mbuf, "%.3f", msr);
  printf("%-13s %.4f [%.4f, %.4f] %7.4f %7.4f %7.4f %7.4f  %-28s %-10s %8s\n", m->name,
         mean_metric(m, nu, M_NDCG5), lo, hi, mean_metric(m, nu, M_HIT5),
         mean_metric(m, nu, M_NDCG10), mean_metric(m, nu, M_HIT10), mean_metric(m, nu, M_MRR), gbuf,
         hbuf, mbuf);
}

/* Ablations against the full pipeline (paired bootstrap over the same users). */
static void report_ablations(method *ms, uint32_t nm, uint32_t nu, uint32_t resamples, cJSON *jm) {
  int full = -1;
  for (uint32_t j = 0; j < nm; j++)
    if (strcmp(ms[j].name, "arag") == 0) full = (int)j;
  for (uint32_t j = 0; full >= 0 && j < nm; j++) {
    if (ms[j].kind != 3 || (int)j == full) continue;
    double a5 = mean_metric(&ms[full], nu, M_NDCG5), ah = mean_metric(&ms[full], nu, M_HIT5);
    double g = a5 > 0 ? mean_metric(&ms[j], nu, M_NDCG5) / a5 - 1 : NAN;
    double gh = ah > 0 ? mean_metric(&ms[j], nu, M_HIT5) / ah - 1 : NAN;
    double lo, hi;
    bootstrap(&ms[j], &ms[full], nu, M_NDCG5, resamples, &lo, &hi);
    printf("%-13s vs arag: NDCG@5 %+.1f%% [%+.1f%%, %+.1f%%]  Hit@5 %+.1f%%\n", ms[j].name, g * 100,
           lo * 100, hi * 100, gh * 100);
    cJSON *o = cJSON_GetObjectItemCaseSensitive(jm, ms[j].name);
    cJSON_AddNumberToObject(o, "vs_arag_ndcg@5", round(g * 1e4) / 1e4);
    cJSON_AddNumberToObject(o, "vs_arag_hit@5", round(gh * 1e4) / 1e4);
    add_pair(o, "vs_arag_ndcg@5_ci", lo, hi, 1e4);
  }
}

/* The table and the closing JSON line (which takes the catalog's figures, cat). */
static void report(const options *opt, method *ms, uint32_t nm, uint32_t nu, cJSON *cat) {
  int best = best_baseline(ms, nm, nu);
  printf("data: %s  split: %s  users: %u  candidates: %u  seed: %u\n", opt->dir,
         opt->drop ? "valid" : "test", nu, opt->negatives + 1, opt->seed);
  printf("%-13s %-24s %7s %7s %7s %7s  %-28s %-10s %8s\n", "method", "NDCG@5 [95% CI]", "Hit@5",
         "NDCG@10", "Hit@10", "MRR", "gain NDCG@5 [95% CI]", "gain Hit@5", "ms/rec");
  cJSON *js = cJSON_CreateObject();
  cJSON_AddStringToObject(js, "data", opt->dir);
  cJSON_AddStringToObject(js, "split", opt->drop ? "valid" : "test");
  cJSON_AddNumberToObject(js, "users", nu);
  cJSON_AddNumberToObject(js, "seed", opt->seed);
  cJSON_AddNumberToObject(js, "negatives", opt->negatives);
  if (best >= 0) cJSON_AddStringToObject(js, "best_baseline", ms[best].name);
  cJSON_AddItemToObject(js, "catalog", cat);
  cJSON *jm = cJSON_AddObjectToObject(js, "methods");
  for (uint32_t j = 0; j < nm; j++)
    report_method(&ms[j], best >= 0 ? &ms[best] : NULL, nu, opt->resamples, jm);
  report_ablations(ms, nm, nu, opt->resamples, jm);
  char *line = cJSON_PrintUnformatted(js);
  printf("%s\n", line);
  cJSON_free(line);
  cJSON_Delete(js);
}

static void data_free(data *d) {
  for (uint32_t i = 0; i < d->n_items; i++) {
    free(d->items[i].id);
    free(d->items[i].json);
    free(d->items[i].item.vec);
    free(d->items[i].rel);
    free(d->items[i].rel_n);
  }
  free(d->items);
  for (uint32_t i = 0; i < d->item_ix.cap; i++) free(d->item_ix.keys[i]);
  free(d->item_ix.keys);
  free(d->item_ix.vals);
  for (uint32_t i = 0; i < d->n_users; i++) {
    free(d->users[i].id);
    free(d->users[i].ev);
  }
  free(d->users);
}

int main(int argc, char **argv) {
  options opt = parse_args(argc, argv);
  method ms[16];
  char *mlist = strdup(opt.methods);
  uint32_t nm = parse_methods(mlist, ms, 16);
  arag_engine *eng = make_engine(&opt);

  double t_load = now_ms();
  data d;
  load(opt.dir, opt.drop, &d);
  arag_catalog *pipe_cat = NULL;
  arag_catalog *cat = build_catalog(opt.dir, &d, opt.int8, &pipe_cat);
  t_load = now_ms() - t_load;
  uint32_t nu = d.n_users < opt.max_users ? d.n_users : opt.max_users;
  const arag_term_df *words = arag_catalog_terms(cat), *text_words = arag_catalog_text_terms(cat);
  fprintf(stderr,
          "eval_native: %u items, %u eligible users, evaluating %u (catalog %.0f ms; %u title "
          "words, table %zu bytes; %u words of whole texts, table %zu bytes)\n",
          d.n_items, d.n_users, nu, t_load, words->used, arag_term_df_bytes(words),
          text_words->used, arag_term_df_bytes(text_words));
  /* The sample catalogs hold only items some user touched, so an item in no history
   * is some user's target: the share of such targets against the catalog's share
   * shows how far history popularity is from the targets' own. */
  uint32_t zero_t = 0, zero_c = 0;
  for (uint32_t i = 0; i < d.n_users; i++)
    zero_t += d.items[d.users[i].ev[d.users[i].n - 1].item].pop == 0;
  for (uint32_t k = 0; k < d.n_items; k++) zero_c += d.items[k].pop == 0;
  fprintf(stderr,
          "eval_native: in no history: %u of %u targets (%.1f%%), %u of %u items (%.1f%%)\n",
          zero_t, d.n_users, 100.0 * zero_t / (d.n_users ? d.n_users : 1), zero_c, d.n_items,
          100.0 * zero_c / (d.n_items ? d.n_items : 1));
  /* The same figures in the JSON line (scripts/eval-native-figures.mjs: docs/). */
  cJSON *cat_js = cJSON_CreateObject();
  cJSON_AddNumberToObject(cat_js, "items", d.n_items);
  cJSON_AddNumberToObject(cat_js, "eligible_users", d.n_users);
  cJSON_AddNumberToObject(cat_js, "title_words", words->used);
  cJSON_AddNumberToObject(cat_js, "title_words_bytes", (double)arag_term_df_bytes(words));
  cJSON_AddNumberToObject(cat_js, "text_words", text_words->used);
  cJSON_AddNumberToObject(cat_js, "text_words_bytes", (double)arag_term_df_bytes(text_words));
  cJSON_AddNumberToObject(cat_js, "items_in_no_history", zero_c);
  cJSON_AddNumberToObject(cat_js, "targets_in_no_history", zero_t);

  for (uint32_t j = 0; j < nm; j++) {
    ms[j].val = calloc((size_t)nu * N_METRICS + 1, sizeof(double));
    ms[j].rank = calloc((size_t)nu + 1, sizeof(uint32_t));
    if (!ms[j].val || !ms[j].rank) die("out of memory", NULL);
  }
  run_users(&opt, &d, pipe_cat, eng, ms, nm, nu);
  report(&opt, ms, nm, nu, cat_js);
  if (opt.ranks_path) write_ranks(opt.ranks_path, &d, ms, nm, nu);

  for (uint32_t j = 0; j < nm; j++) {
    free(ms[j].val);
    free(ms[j].rank);
  }
  arag_engine_free(eng);
  free(mlist);
  free(opt.params);
  if (pipe_cat != cat) arag_catalog_free(pipe_cat);
  arag_catalog_free(cat);
  data_free(&d);
  return 0;
}
