/* History: one user's events in (ts, insertion) order, an index over the
 * latest event vector of each distinct item, and snapshot/restore bytes. */
#include "embed.h"
#include "errbuf.h"
#include "id_map.h"
#include "item.h"
#include "model.h"
#include "snapshot_io.h"
#include "sort.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The event of an item id whose vector is in the index. */
typedef struct latest_rec {
  char *id;
  uint32_t id_len;
  double ts;
  uint64_t seq;
} latest_rec;

struct arag_history {
  uint32_t dim;
  arag_limits lim;
  size_t max_bytes; /* memory budget of the events and their index rows */
  size_t bytes;     /* what they take now (event_cost summed) */
  arag_index *ix;
  arag_event *events; /* ascending (ts, seq) */
  uint64_t *seqs;     /* insertion number of each event */
  size_t n;
  uint64_t next_seq;
  arag_id_map latest; /* id -> latest_rec* (owned) */
  /* An event whose vector is all zeros (an id-only event: its text, and the vector,
   * come from the catalog at recommendation time) keeps vec NULL, not 4*dim bytes of
   * zeros; zeros stands in for it where a vector is read. */
  float *zeros;
  arag_error err;
};

static const float *ev_vec(const arag_history *h, const arag_item *it) {
  return it->vec ? it->vec : h->zeros;
}

/* Memory one event takes, counted generously: the event, its strings and related
 * list, its vector and an index row (a repeated id shares its row, a zero vector is
 * dropped: both counted anyway), and a malloc header per block. */
#define ALLOC_OVERHEAD 16
static size_t event_cost(const arag_item *it, uint32_t dim) {
  size_t n = sizeof(arag_event) + sizeof(uint64_t) + 2 * (4 * (size_t)dim + ALLOC_OVERHEAD);
  n += it->id_len + 2 * ALLOC_OVERHEAD; /* the event's id and the index's copy */
  const char *str[3] = {it->title, it->text, it->brand};
  for (int i = 0; i < 3; i++) n += (str[i] ? strlen(str[i]) : 0) + 1 + ALLOC_OVERHEAD;
  for (uint32_t c = 0; c < it->n_categories; c++)
    n += sizeof(char *) + strlen(it->categories[c]) + 1 + ALLOC_OVERHEAD;
  for (uint32_t r = 0; r < it->n_related; r++)
    n += sizeof(char *) + sizeof(float) + strlen(it->related_ids[r]) + 1 + ALLOC_OVERHEAD;
  return n;
}

static void drop_zero_vec(arag_item *it, uint32_t dim) {
  if (!it->vec) return;
  for (uint32_t d = 0; d < dim; d++)
    if (it->vec[d] != 0.0f) return;
  free(it->vec);
  it->vec = NULL;
}

static int later(double ts_a, uint64_t seq_a, double ts_b, uint64_t seq_b) {
  return ts_a > ts_b || (ts_a == ts_b && seq_a > seq_b);
}

static void latest_free_all(arag_id_map *m) {
  for (uint32_t i = 0; i < m->cap; i++) {
    latest_rec *r = (latest_rec *)m->e[i].v.ptr;
    if (m->e[i].key && r) {
      free(r->id);
      free(r);
    }
  }
  arag_id_map_free(m);
}

static void events_free(arag_event *ev, size_t n) {
  for (size_t i = 0; i < n; i++) arag_item_clear(&ev[i].item);
  free(ev);
}

arag_status arag_history_create(uint32_t dim, const arag_limits *limits, arag_history **out) {
  return arag_history_create_err(dim, limits, out, NULL);
}

arag_status arag_history_create_err(uint32_t dim, const arag_limits *limits, arag_history **out,
                                    arag_error *err) {
  arag_err_clear(err);
  if (!out) return arag_err_set(err, ARAG_E_INVALID, "out is NULL");
  *out = NULL;
  arag_history *h = (arag_history *)calloc(1, sizeof(*h));
  if (!h) return arag_err_set(err, ARAG_E_NOMEM, "out of memory for a history");
  h->dim = dim;
  h->max_bytes = ARAG_HISTORY_DEFAULT_MAX_BYTES;
  arag_status st = arag_item_index_create(dim, ARAG_F32, limits, &h->lim, &h->ix, err);
  if (st != ARAG_OK) {
    free(h);
    return st;
  }
  h->zeros = (float *)calloc(dim, sizeof(float));
  if (!h->zeros) {
    arag_index_free(h->ix);
    free(h);
    return arag_err_set(err, ARAG_E_NOMEM, "out of memory for a history");
  }
  *out = h;
  return ARAG_OK;
}

void arag_history_free(arag_history *h) {
  if (!h) return;
  events_free(h->events, h->n);
  free(h->seqs);
  latest_free_all(&h->latest);
  arag_index_free(h->ix);
  free(h->zeros);
  free(h);
}

const char *arag_history_last_error(const arag_history *h) {
  return h ? arag_err_msg(&h->err) : ARAG_ERR_NULL_HANDLE;
}

uint32_t arag_history_count(const arag_history *h) { return h ? (uint32_t)h->n : 0; }
size_t arag_history_memory_bytes(const arag_history *h) { return h ? h->bytes : 0; }
size_t arag_history_max_bytes(const arag_history *h) { return h ? h->max_bytes : 0; }

arag_status arag_history_set_max_bytes(arag_history *h, size_t max_bytes) {
  if (!h) return ARAG_E_INVALID;
  if (max_bytes == 0) return arag_err_set(&h->err, ARAG_E_INVALID, "max_bytes must be at least 1");
  if (h->bytes > max_bytes)
    return arag_err_set(&h->err, ARAG_E_LIMIT, "the history takes %zu bytes, more than %zu",
                        h->bytes, max_bytes);
  h->max_bytes = max_bytes;
  return ARAG_OK;
}
uint32_t arag_history_dim(const arag_history *h) { return h ? h->dim : 0; }

const arag_event *arag_history_events(const arag_history *h, uint32_t *n) {
  if (n) *n = h ? (uint32_t)h->n : 0;
  return h ? h->events : NULL;
}

void arag_history_clear(arag_history *h) {
  if (!h) return;
  arag_index *fresh = NULL;
  if (arag_index_create(h->dim, ARAG_F32, ARAG_COSINE, 0, &h->lim, &fresh) == ARAG_OK) {
    arag_index_free(h->ix);
    h->ix = fresh;
  } else {
    for (uint32_t i = 0; i < h->latest.cap; i++)
      if (h->latest.e[i].key) arag_index_remove(h->ix, h->latest.e[i].key, h->latest.e[i].len);
    arag_index_compact(h->ix);
  }
  events_free(h->events, h->n);
  free(h->seqs);
  latest_free_all(&h->latest);
  h->events = NULL;
  h->seqs = NULL;
  h->n = 0;
  h->next_seq = 0;
  h->bytes = 0;
}

/* ---- add_json ----------------------------------------------------------- */

typedef struct ev_batch {
  arag_history *h;
  arag_event *ev;
  int *has_ts;
  size_t n, cap;
  size_t bytes; /* event_cost of the batch */
} ev_batch;

static arag_status ev_batch_add(void *user, const cJSON *obj, arag_error *err) {
  ev_batch *b = (ev_batch *)user;
  if (b->h->n + b->n >= b->h->lim.max_rows)
    return arag_err_set(err, ARAG_E_LIMIT, "history would hold more than max_rows (%u) events",
                        b->h->lim.max_rows);
  if (b->n == b->cap) {
    size_t cap = b->cap ? 2 * b->cap : 16;
    arag_event *ev = (arag_event *)realloc(b->ev, cap * sizeof(*ev));
    if (ev) b->ev = ev;
    int *has = (int *)realloc(b->has_ts, cap * sizeof(*has));
    if (has) b->has_ts = has;
    if (!ev || !has) return arag_err_set(err, ARAG_E_NOMEM, "out of memory");
    b->cap = cap;
  }
  arag_status st =
      arag_event_parse(obj, &b->h->lim, b->h->dim, &b->ev[b->n], &b->has_ts[b->n], err);
  if (st != ARAG_OK) return st;
  b->bytes += event_cost(&b->ev[b->n].item, b->h->dim);
  b->n++;
  if (b->h->bytes + b->bytes > b->h->max_bytes)
    return arag_err_set(err, ARAG_E_LIMIT,
                        "history would take more than max_bytes (%zu bytes) of memory",
                        b->h->max_bytes);
  return ARAG_OK;
}

typedef struct sort_key {
  double ts;
  uint64_t seq;
  size_t idx;
} sort_key;

static int cmp_key(const sort_key *x, const sort_key *y) {
  if (x->ts < y->ts) return -1;
  if (x->ts > y->ts) return 1;
  return x->seq < y->seq ? -1 : (x->seq > y->seq ? 1 : 0);
}
ARAG_DEFINE_SORT(sort_keys, sort_key, cmp_key)

/* One index change: the id's latest event becomes batch event `idx`. */
typedef struct update {
  size_t idx;
  latest_rec *rec;   /* existing record, or NULL for a new id */
  latest_rec *fresh; /* preallocated record for a new id */
} update;

/* One add_json call's work: the parsed batch, its keys in (ts, seq) order, the index
 * updates it makes and the merged event arrays it swaps in. */
typedef struct adding {
  ev_batch b;
  sort_key *keys;
  update *ups;
  size_t n_ups, n_new_ids;
  arag_event *merged;
  uint64_t *mseqs;
  arag_id_map pending; /* id -> its update in ups */
} adding;

/* Timestamps and insertion numbers. A missing ts follows the latest so far. */
static void stamp(const arag_history *h, adding *a) {
  int have = h->n > 0;
  double max_ts = have ? h->events[h->n - 1].ts : 0.0;
  for (size_t i = 0; i < a->b.n; i++) {
    arag_event *ev = &a->b.ev[i];
    if (!a->b.has_ts[i]) ev->ts = have ? max_ts + 1.0 : 0.0;
    if (!have || ev->ts > max_ts) max_ts = ev->ts;
    have = 1;
    a->keys[i].ts = ev->ts;
    a->keys[i].seq = h->next_seq + i;
    a->keys[i].idx = i;
  }
}

/* The latest event per id within the batch, with the id's stored record. */
static void plan_updates(const arag_history *h, adding *a) {
  for (size_t i = 0; i < a->b.n; i++) {
    const arag_item *it = &a->b.ev[i].item;
    const sort_key *k = a->keys;
    update *u = (update *)arag_id_map_get(&a->pending, it->id, it->id_len);
    if (u) {
      if (later(k[i].ts, k[i].seq, k[u->idx].ts, k[u->idx].seq)) u->idx = i;
      continue;
    }
    u = &a->ups[a->n_ups++];
    u->idx = i;
    u->rec = (latest_rec *)arag_id_map_get(&h->latest, it->id, it->id_len);
    arag_id_map_put(&a->pending, it->id, it->id_len, u, NULL);
  }
}

/* Keeps only the updates newer than the indexed event, with a record allocated for each
 * new id. Returns 0 when out of memory (the kept updates' records are freed with a). */
static int keep_newer(adding *a) {
  size_t kept = 0;
  for (size_t u = 0; u < a->n_ups; u++) {
    update up = a->ups[u];
    const sort_key *k = &a->keys[up.idx];
    if (up.rec && !later(k->ts, k->seq, up.rec->ts, up.rec->seq)) continue;
    if (!up.rec) {
      const arag_item *it = &a->b.ev[up.idx].item;
      up.fresh = (latest_rec *)calloc(1, sizeof(latest_rec));
      if (up.fresh) up.fresh->id = (char *)malloc(it->id_len + 1);
      if (!up.fresh || !up.fresh->id) {
        free(up.fresh);
        a->n_ups = kept;
        return 0;
      }
      memcpy(up.fresh->id, it->id, it->id_len + 1);
      up.fresh->id_len = it->id_len;
      a->n_new_ids++;
    }
    a->ups[kept++] = up;
  }
  a->n_ups = kept;
  return 1;
}

/* The index changes, rolled back (each row as it was) when one fails. */
static arag_status apply_index(arag_history *h, const adding *a) {
  arag_status st = ARAG_OK;
  size_t applied = 0;
  for (; applied < a->n_ups; applied++) {
    const arag_item *it = &a->b.ev[a->ups[applied].idx].item;
    st = arag_index_add(h->ix, it->id, it->id_len, it->vec, h->dim);
    if (st != ARAG_OK) break;
  }
  if (st == ARAG_OK) return ARAG_OK;
  arag_err_set(&h->err, st, "index: %s", arag_err_text(arag_index_last_error(h->ix)));
  for (size_t u = applied; u-- > 0;) {
    const arag_item *it = &a->b.ev[a->ups[u].idx].item;
    if (!a->ups[u].rec) {
      arag_index_remove(h->ix, it->id, it->id_len);
      continue;
    }
    for (size_t e = 0; e < h->n; e++)
      if (h->seqs[e] == a->ups[u].rec->seq)
        arag_index_add(h->ix, it->id, it->id_len, ev_vec(h, &h->events[e].item), h->dim);
  }
  return st;
}

/* Commit: the records, then the events merged in (ts, seq) order. */
static void commit(arag_history *h, adding *a) {
  for (size_t u = 0; u < a->n_ups; u++) {
    latest_rec *r = a->ups[u].rec ? a->ups[u].rec : a->ups[u].fresh;
    r->ts = a->keys[a->ups[u].idx].ts;
    r->seq = a->keys[a->ups[u].idx].seq;
    if (!a->ups[u].rec) arag_id_map_put(&h->latest, r->id, r->id_len, r, NULL);
    a->ups[u].fresh = NULL;
  }
  const ev_batch *b = &a->b;
  const sort_key *keys = a->keys;
  for (size_t k = 0; k < b->n; k++) drop_zero_vec(&b->ev[k].item, h->dim);
  sort_keys(a->keys, b->n);
  size_t i = 0, j = 0, m = 0;
  while (i < h->n || j < b->n) {
    int take_old =
        j >= b->n || (i < h->n && !later(h->events[i].ts, h->seqs[i], keys[j].ts, keys[j].seq));
    if (take_old) {
      a->merged[m] = h->events[i];
      a->mseqs[m++] = h->seqs[i++];
    } else {
      a->merged[m] = b->ev[keys[j].idx];
      a->mseqs[m++] = keys[j++].seq;
    }
  }
  free(h->events);
  free(h->seqs);
  h->events = a->merged;
  h->seqs = a->mseqs;
  h->n = m;
  h->next_seq += b->n;
  h->bytes += b->bytes;
  a->merged = NULL;
  a->mseqs = NULL;
  a->b.n = 0; /* the events are the history's now */
}

/* Frees what an add_json call holds; failed: the batch's events and fresh records too. */
static void adding_free(adding *a, int failed) {
  for (size_t u = 0; failed && u < a->n_ups; u++)
    if (a->ups && a->ups[u].fresh) {
      free(a->ups[u].fresh->id);
      free(a->ups[u].fresh);
    }
  for (size_t k = 0; failed && k < a->b.n; k++) arag_item_clear(&a->b.ev[k].item);
  free(a->b.ev);
  free(a->b.has_ts);
  free(a->keys);
  free(a->ups);
  free(a->merged);
  free(a->mseqs);
  arag_id_map_free(&a->pending);
}

arag_status arag_history_add_json(arag_history *h, const char *json, size_t len) {
  if (!h) return ARAG_E_INVALID;
  adding a;
  memset(&a, 0, sizeof a);
  a.b.h = h;
  arag_error err;
  arag_status st = arag_json_each(json, len, ev_batch_add, &a.b, &err);
  if (st != ARAG_OK) {
    arag_err_set(&h->err, st, "%s", arag_err_text(err.message));
    adding_free(&a, 1);
    return st;
  }
  size_t n = a.b.n;
  if (n > 0) {
    a.keys = (sort_key *)malloc(n * sizeof(*a.keys));
    a.ups = (update *)calloc(n, sizeof(*a.ups));
    a.merged = (arag_event *)malloc((h->n + n) * sizeof(*a.merged));
    a.mseqs = (uint64_t *)malloc((h->n + n) * sizeof(*a.mseqs));
    int ok = a.keys && a.ups && a.merged && a.mseqs && n <= UINT32_MAX &&
             arag_id_map_reserve(&a.pending, (uint32_t)n);
    if (ok) {
      stamp(h, &a);
      plan_updates(h, &a);
      ok = keep_newer(&a) && h->latest.n + a.n_new_ids <= UINT32_MAX &&
           arag_id_map_reserve(&h->latest, (uint32_t)(h->latest.n + a.n_new_ids));
    }
    st = ok ? apply_index(h, &a) : arag_err_set(&h->err, ARAG_E_NOMEM, "out of memory");
    if (st == ARAG_OK) commit(h, &a);
  }
  adding_free(&a, st != ARAG_OK);
  return st;
}

/* ---- snapshot / restore --------------------------------------------------
 * Version 2: the container of snapshot_io.h, kind "HIST", holding the body
 *   u32 dim | u32 n_events | u64 next_seq
 *   per event: u64 seq | f64 ts | u8 kind | f64 rating | f64 price | f64 popularity |
 *              str id | str title | str text | str brand | u32 n_categories | str... |
 *              u8 has_vec | f32[dim] vec (only when has_vec is 1)
 * (little endian; str = u32 length + bytes). Version 1 framed the same events as
 *   "ARHS" | u32 version (1) | u32 dim | u32 n_events | u64 next_seq | u64 total_len |
 *   events | u64 FNV-1a 64 of every byte before it
 * and is still read. A vector that is the built-in embedding of the event's fields
 * is not stored (has_vec 0) but recomputed on restore: the embedder is
 * deterministic, and snapshots stay small (a supplied vector costs 4*dim bytes, a
 * text-embedded one nothing). */

#define SNAP_V1_MAGIC "ARHS"
#define SNAP_V1_HEADER 32u
#define SNAP_VERSION 2u
#define EVENT_MIN_BYTES 62u /* an event with empty strings, no categories, no vector */

static void put_str(arag_writer *w, const char *s, size_t n) {
  arag_writer_u32(w, (uint32_t)n);
  arag_writer_bytes(w, s, n);
}

static size_t event_bytes(const arag_event *e, uint32_t dim, int has_vec) {
  const arag_item *it = &e->item;
  size_t n = EVENT_MIN_BYTES + it->id_len + strlen(it->title) + strlen(it->text) +
             strlen(it->brand) + (has_vec ? 4 * (size_t)dim : 0);
  for (uint32_t c = 0; c < it->n_categories; c++) n += 4 + strlen(it->categories[c]);
  return n;
}

arag_status arag_history_snapshot(const arag_history *h, uint8_t **out, size_t *out_len) {
  if (!h || !out || !out_len) return ARAG_E_INVALID;
  /* Which vectors differ from the built-in embedding of their event's fields. */
  uint8_t *has_vec = (uint8_t *)malloc(h->n ? h->n : 1);
  float *derived = (float *)malloc((size_t)h->dim * sizeof(float));
  if (!has_vec || !derived) {
    free(has_vec);
    free(derived);
    return ARAG_E_NOMEM;
  }
  size_t total = ARAG_SNAP_HEADER + 16;
  for (size_t i = 0; i < h->n; i++) {
    const arag_item *it = &h->events[i].item;
    has_vec[i] = arag_embed_item(it, h->dim, derived) != ARAG_OK ||
                 memcmp(derived, ev_vec(h, it), (size_t)h->dim * sizeof(float)) != 0;
    total += event_bytes(&h->events[i], h->dim, has_vec[i]);
  }
  free(derived);
  arag_writer w;
  arag_writer_init(&w);
  if (!arag_writer_reserve(&w, total)) {
    free(has_vec);
    return ARAG_E_NOMEM;
  }
  arag_snap_begin(&w, ARAG_SNAP_HISTORY, SNAP_VERSION);
  arag_writer_u32(&w, h->dim);
  arag_writer_u32(&w, (uint32_t)h->n);
  arag_writer_u64(&w, h->next_seq);
  for (size_t i = 0; i < h->n; i++) {
    const arag_event *e = &h->events[i];
    const arag_item *it = &e->item;
    arag_writer_u64(&w, h->seqs[i]);
    arag_writer_f64(&w, e->ts);
    arag_writer_u8(&w, (uint8_t)e->kind);
    arag_writer_f64(&w, e->rating);
    arag_writer_f64(&w, it->price);
    arag_writer_f64(&w, it->popularity);
    put_str(&w, it->id, it->id_len);
    put_str(&w, it->title, strlen(it->title));
    put_str(&w, it->text, strlen(it->text));
    put_str(&w, it->brand, strlen(it->brand));
    arag_writer_u32(&w, it->n_categories);
    for (uint32_t c = 0; c < it->n_categories; c++)
      put_str(&w, it->categories[c], strlen(it->categories[c]));
    arag_writer_u8(&w, has_vec[i]);
    for (uint32_t d = 0; has_vec[i] && d < h->dim; d++) arag_writer_f32(&w, ev_vec(h, it)[d]);
  }
  free(has_vec);
  arag_snap_end(&w);
  if (w.failed) {
    arag_writer_free(&w);
    return ARAG_E_NOMEM;
  }
  *out = arag_writer_take(&w, out_len);
  return ARAG_OK;
}

/* Reads a string of at most max bytes into a new NUL-terminated copy. Returns 1, 0
 * (truncated), -1 (over max), -2 (out of memory). */
static int get_str(arag_reader *r, uint32_t max, char **out, uint32_t *len_out) {
  uint32_t n;
  if (!arag_reader_u32(r, &n)) return 0;
  if (n > max) return -1;
  const uint8_t *p = arag_reader_view(r, n);
  if (!p) return 0;
  char *s = (char *)malloc((size_t)n + 1);
  if (!s) return -2;
  memcpy(s, p, n);
  s[n] = '\0';
  *out = s;
  if (len_out) *len_out = n;
  return 1;
}

static arag_status str_status(arag_history *h, int rc) {
  switch (rc) {
  case 0:
    return arag_err_set(&h->err, ARAG_E_CORRUPT, "snapshot truncated");
  case -1:
    return arag_err_set(&h->err, ARAG_E_LIMIT, "snapshot: a string is over the limits");
  default:
    return arag_err_set(&h->err, ARAG_E_NOMEM, "out of memory");
  }
}

/* Reads one event; *bytes adds its event_cost, which must stay within max_bytes
 * (checked before its vector is allocated). */
static arag_status read_event(arag_history *h, arag_reader *r, arag_event *e, uint64_t *seq,
                              uint64_t next_seq, size_t *bytes) {
  arag_item *it = &e->item;
  uint8_t kind;
  uint32_t ncat, id_len = 0;
  if (!arag_reader_u64(r, seq) || !arag_reader_f64(r, &e->ts) || !arag_reader_u8(r, &kind) ||
      !arag_reader_f64(r, &e->rating) || !arag_reader_f64(r, &it->price) ||
      !arag_reader_f64(r, &it->popularity))
    return arag_err_set(&h->err, ARAG_E_CORRUPT, "snapshot truncated");
  if (kind > ARAG_EV_RATING)
    return arag_err_set(&h->err, ARAG_E_CORRUPT, "snapshot: bad event kind");
  e->kind = (arag_event_kind)kind;
  if (!isfinite(e->ts) || *seq >= next_seq)
    return arag_err_set(&h->err, ARAG_E_CORRUPT, "snapshot: bad event time or number");
  /* As in event JSON: a number is finite, or absent (NaN). */
  if (isinf(e->rating) || isinf(it->price) || isinf(it->popularity))
    return arag_err_set(&h->err, ARAG_E_CORRUPT,
                        "snapshot: a rating, price or popularity is not finite");
  char **fields[4] = {&it->id, &it->title, &it->text, &it->brand};
  for (int f = 0; f < 4; f++) {
    int rc = get_str(r, f == 0 ? h->lim.max_id_bytes : h->lim.max_text_bytes, fields[f],
                     f == 0 ? &id_len : NULL);
    if (rc != 1) return str_status(h, rc);
  }
  it->id_len = id_len;
  if (id_len == 0 || strlen(it->id) != id_len)
    return arag_err_set(&h->err, ARAG_E_CORRUPT, "snapshot: bad id");
  if (!arag_reader_u32(r, &ncat))
    return arag_err_set(&h->err, ARAG_E_CORRUPT, "snapshot truncated");
  if (ncat > ARAG_ITEM_MAX_CATEGORIES)
    return arag_err_set(&h->err, ARAG_E_CORRUPT, "snapshot: too many categories");
  if (ncat) {
    it->categories = (char **)calloc(ncat, sizeof(char *));
    if (!it->categories) return arag_err_set(&h->err, ARAG_E_NOMEM, "out of memory");
    for (uint32_t c = 0; c < ncat; c++) {
      int rc = get_str(r, h->lim.max_text_bytes, &it->categories[c], NULL);
      if (rc != 1) return str_status(h, rc);
      it->n_categories = c + 1;
    }
  }
  uint8_t has_vec;
  if (!arag_reader_u8(r, &has_vec))
    return arag_err_set(&h->err, ARAG_E_CORRUPT, "snapshot truncated");
  if (has_vec > 1) return arag_err_set(&h->err, ARAG_E_CORRUPT, "snapshot: bad vector flag");
  if (has_vec && arag_reader_left(r) < 4 * (size_t)h->dim)
    return arag_err_set(&h->err, ARAG_E_CORRUPT, "snapshot truncated");
  *bytes += event_cost(it, h->dim);
  if (*bytes > h->max_bytes)
    return arag_err_set(&h->err, ARAG_E_LIMIT,
                        "snapshot would take more than max_bytes (%zu bytes) of memory",
                        h->max_bytes);
  it->vec = (float *)malloc(4 * (size_t)h->dim);
  if (!it->vec) return arag_err_set(&h->err, ARAG_E_NOMEM, "out of memory");
  if (!has_vec) {
    if (arag_embed_item(it, h->dim, it->vec) != ARAG_OK)
      return arag_err_set(&h->err, ARAG_E_NOMEM, "out of memory");
    return ARAG_OK;
  }
  double ss = 0.0;
  for (uint32_t d = 0; d < h->dim; d++) {
    arag_reader_f32(r, &it->vec[d]); /* cannot fail: the length was checked above */
    if (!isfinite(it->vec[d]))
      return arag_err_set(&h->err, ARAG_E_CORRUPT, "snapshot: non-finite vector");
    ss += (double)it->vec[d] * it->vec[d];
  }
  if (!(ss <= 3.0e38))
    return arag_err_set(&h->err, ARAG_E_CORRUPT, "snapshot: vector norm overflows float");
  return ARAG_OK;
}

/* Opens history snapshot bytes of either version: the events' reader and the header. */
static arag_status open_snapshot(arag_history *h, const uint8_t *bytes, size_t len, arag_reader *r,
                                 uint32_t *dim, uint32_t *n, uint64_t *next_seq) {
  if (len >= 4 && memcmp(bytes, SNAP_V1_MAGIC, 4) == 0) {
    if (len < SNAP_V1_HEADER + 8)
      return arag_err_set(&h->err, ARAG_E_CORRUPT, "not a history snapshot (too short)");
    uint32_t version = 0;
    uint64_t total = 0;
    arag_reader_init(r, bytes + 4, SNAP_V1_HEADER - 4);
    arag_reader_u32(r, &version);
    arag_reader_u32(r, dim);
    arag_reader_u32(r, n);
    arag_reader_u64(r, next_seq);
    arag_reader_u64(r, &total);
    if (total != len)
      return arag_err_set(&h->err, ARAG_E_CORRUPT, "snapshot length %zu, header says %llu", len,
                          (unsigned long long)total);
    if (!arag_checksum_ok(bytes, len))
      return arag_err_set(&h->err, ARAG_E_CORRUPT, "snapshot checksum mismatch");
    if (version != 1)
      return arag_err_set(&h->err, ARAG_E_VERSION,
                          "history snapshot version %u, this build reads 1 and %u", version,
                          SNAP_VERSION);
    arag_reader_init(r, bytes + SNAP_V1_HEADER, len - SNAP_V1_HEADER - 8);
    return ARAG_OK;
  }
  arag_error e;
  uint32_t version;
  arag_status st =
      arag_snap_open(bytes, len, ARAG_SNAP_HISTORY, SNAP_VERSION, SNAP_VERSION, &version, r, &e);
  if (st != ARAG_OK) return arag_err_set(&h->err, st, "%s", arag_err_text(e.message));
  if (!arag_reader_u32(r, dim) || !arag_reader_u32(r, n) || !arag_reader_u64(r, next_seq))
    return arag_err_set(&h->err, ARAG_E_CORRUPT, "history snapshot truncated in its header");
  return ARAG_OK;
}

/* The header's counts against h: its dimension, max_rows, the bytes there are and the
 * memory budget of the tables sized by the count. */
static arag_status check_counts(arag_history *h, uint32_t dim, uint32_t n, const arag_reader *r) {
  if (dim != h->dim)
    return arag_err_set(&h->err, ARAG_E_DIM, "snapshot dimension %u, history dimension %u", dim,
                        h->dim);
  if (n > h->lim.max_rows)
    return arag_err_set(&h->err, ARAG_E_LIMIT, "snapshot has %u events, over max_rows %u", n,
                        h->lim.max_rows);
  /* Refuse counts the bytes cannot hold. */
  if (n > arag_reader_left(r) / EVENT_MIN_BYTES)
    return arag_err_set(&h->err, ARAG_E_CORRUPT, "snapshot event count does not fit its length");
  if ((uint64_t)n * (sizeof(arag_event) + sizeof(uint64_t) + 2 * 4 * (uint64_t)h->dim) >
      h->max_bytes)
    return arag_err_set(&h->err, ARAG_E_LIMIT,
                        "snapshot would take more than max_bytes (%zu bytes) of memory",
                        h->max_bytes);
  return ARAG_OK;
}

/* What a restore builds before it swaps it in. */
typedef struct restoring {
  arag_event *ev;
  uint64_t *seqs;
  size_t got; /* events read (the last maybe in part) */
  size_t used;
  arag_id_map latest;
  arag_index *ix;
} restoring;

/* Reads the n events, each within the memory budget, in (ts, seq) order. */
static arag_status read_events(arag_history *h, arag_reader *r, uint32_t n, uint64_t next_seq,
                               restoring *R) {
  for (; R->got < n; R->got++) {
    size_t i = R->got;
    arag_status st = read_event(h, r, &R->ev[i], &R->seqs[i], next_seq, &R->used);
    if (st != ARAG_OK) {
      R->got++; /* free the partly read event too */
      return st;
    }
    if (i > 0 && !later(R->ev[i].ts, R->seqs[i], R->ev[i - 1].ts, R->seqs[i - 1])) {
      R->got++;
      return arag_err_set(&h->err, ARAG_E_CORRUPT, "snapshot events out of order");
    }
  }
  if (arag_reader_left(r) != 0)
    return arag_err_set(&h->err, ARAG_E_CORRUPT, "snapshot has trailing bytes");
  return ARAG_OK;
}

/* The latest event per id (the last occurrence in (ts, seq) order), then an index of
 * those events' vectors. */
static arag_status index_latest(arag_history *h, size_t n, restoring *R) {
  for (size_t i = 0; i < n; i++) {
    const arag_item *it = &R->ev[i].item;
    latest_rec *rec = (latest_rec *)arag_id_map_get(&R->latest, it->id, it->id_len);
    if (!rec) {
      rec = (latest_rec *)calloc(1, sizeof(*rec));
      if (rec) rec->id = (char *)malloc(it->id_len + 1);
      if (!rec || !rec->id) {
        free(rec);
        return arag_err_set(&h->err, ARAG_E_NOMEM, "out of memory");
      }
      memcpy(rec->id, it->id, it->id_len + 1);
      rec->id_len = it->id_len;
      arag_id_map_put(&R->latest, rec->id, rec->id_len, rec, NULL);
    }
    rec->ts = R->ev[i].ts;
    rec->seq = R->seqs[i];
  }
  arag_status st = arag_index_create(h->dim, ARAG_F32, ARAG_COSINE, 0, &h->lim, &R->ix);
  if (st != ARAG_OK) return arag_err_set(&h->err, st, "cannot create the index");
  for (size_t i = 0; i < n; i++) {
    const arag_item *it = &R->ev[i].item;
    const latest_rec *rec = (const latest_rec *)arag_id_map_get(&R->latest, it->id, it->id_len);
    if (rec->seq != R->seqs[i]) continue;
    st = arag_index_add(R->ix, it->id, it->id_len, it->vec, h->dim);
    if (st != ARAG_OK)
      return arag_err_set(&h->err, st, "index: %s", arag_err_text(arag_index_last_error(R->ix)));
  }
  return ARAG_OK;
}

arag_status arag_history_restore(arag_history *h, const uint8_t *bytes, size_t len) {
  if (!h) return ARAG_E_INVALID;
  if (!bytes && len) return arag_err_set(&h->err, ARAG_E_INVALID, "NULL snapshot bytes");
  arag_reader r;
  uint32_t dim = 0, n = 0;
  uint64_t next_seq = 0;
  arag_status st = open_snapshot(h, bytes, len, &r, &dim, &n, &next_seq);
  if (st == ARAG_OK) st = check_counts(h, dim, n, &r);
  if (st != ARAG_OK) return st;
  restoring R;
  memset(&R, 0, sizeof R);
  R.ev = (arag_event *)calloc(n ? n : 1, sizeof(*R.ev));
  R.seqs = (uint64_t *)malloc((n ? n : 1) * sizeof(*R.seqs));
  if (!R.ev || !R.seqs || !arag_id_map_reserve(&R.latest, n))
    st = arag_err_set(&h->err, ARAG_E_NOMEM, "out of memory");
  if (st == ARAG_OK) st = read_events(h, &r, n, next_seq, &R);
  if (st == ARAG_OK) st = index_latest(h, n, &R);
  if (st != ARAG_OK) {
    if (R.ev) events_free(R.ev, R.got);
    free(R.seqs);
    latest_free_all(&R.latest);
    arag_index_free(R.ix);
    return st;
  }
  for (size_t i = 0; i < n; i++) drop_zero_vec(&R.ev[i].item, h->dim);
  /* Swap in. */
  events_free(h->events, h->n);
  free(h->seqs);
  latest_free_all(&h->latest);
  arag_index_free(h->ix);
  h->events = R.ev;
  h->seqs = R.seqs;
  h->n = n;
  h->next_seq = next_seq;
  h->latest = R.latest;
  h->ix = R.ix;
  h->bytes = R.used;
  return ARAG_OK;
}

const arag_index *arag_history_index(const arag_history *h) { return h ? h->ix : NULL; }
