/* Flat vector index: contiguous 16-byte-aligned rows (f32 and/or int8 with a
 * symmetric per-row scale), upsert by string id through a hash map, soft delete
 * and compaction, exact top-k with a bounded heap, and checksummed snapshots.
 *
 * Every mutating call validates and allocates first, then changes the index;
 * a failing call changes nothing. */
#include "errbuf.h"
#include "id_map.h"
#include "index_private.h"
#include "kernels.h"
#include "le.h"
#include "snapshot_io.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN 16
#ifndef CHUNK
#define CHUNK 256 /* rows scored per kernel call before selection */
#endif
#define MAX_DIM_CAP 65536        /* int8 dot products stay inside int32 */
#define SNAP_V1_MAGIC "ARAGIDX1" /* version 1, before the shared container */
#define SNAP_VERSION 2u

struct arag_index {
  uint32_t dim;
  arag_dtype dtype;
  arag_metric metric;
  int keep_f32;
  arag_kernel kernel;
  arag_limits limits;
  uint32_t stride_f; /* floats per f32 row (multiple of 4) */
  uint32_t stride_q; /* bytes per int8 row (multiple of 16) */
  uint32_t n_slots;  /* used slots, live and deleted */
  uint32_t n_live;
  uint32_t cap;
  float *rows_f;    /* cap * stride_f, when dtype is F32 or keep_f32 */
  int8_t *rows_q;   /* cap * stride_q, when dtype is I8 */
  float *scales;    /* cap, when dtype is I8 */
  uint8_t *deleted; /* cap */
  char **ids;       /* cap; NULL for a deleted slot */
  uint32_t *id_lens;
  size_t id_bytes;
  char *id_arena; /* a restore's ids in one block (ids inside it are not freed one by one) */
  size_t id_arena_len;
  size_t id_arena_live; /* bytes of live ids in the arena (counted in id_bytes too) */
  int id_arena_owned;   /* 0: the arena is its owner's (a catalog's snapshot bytes) */
  int rows_borrowed;    /* rows_f / rows_q / scales lie in memory the owner keeps; the
                         * first growth copies them into the index's own */
  arag_id_map map;
  arag_error err; /* searches write no other field: see search below */
};

typedef struct hit {
  float score;
  uint32_t slot;
} hit;

/* ---------------------------------------------------------------------- */
/* memory helpers                                                          */
/* ---------------------------------------------------------------------- */

static void *alloc_aligned(size_t n) {
  if (n == 0) n = ALIGN;
  size_t r = (n + ALIGN - 1) / ALIGN * ALIGN;
  if (r < n) return NULL;
  return aligned_alloc(ALIGN, r);
}

static int uses_f32(const arag_index *ix) { return ix->dtype == ARAG_F32 || ix->keep_f32; }
static int uses_i8(const arag_index *ix) { return ix->dtype == ARAG_I8; }

static arag_status check_limits_value(arag_error *e, const arag_limits *l) {
  if (!l->max_dim || !l->max_rows || !l->max_id_bytes || !l->max_text_bytes ||
      !l->max_restore_bytes)
    return arag_err_set(e, ARAG_E_INVALID, "limits must all be positive");
  if (l->max_dim > MAX_DIM_CAP)
    return arag_err_set(e, ARAG_E_LIMIT, "max_dim %u is above the supported %u", l->max_dim,
                        MAX_DIM_CAP);
  return ARAG_OK;
}

/* Frees an id of len bytes unless it lives in the arena. */
static void free_id(arag_index *ix, char *id, size_t len) {
  if ((uintptr_t)id - (uintptr_t)ix->id_arena >= ix->id_arena_len)
    free(id);
  else
    ix->id_arena_live -= len + 1;
}

/* Releases everything the index owns except the struct itself. */
static void release(arag_index *ix) {
  for (uint32_t i = 0; i < ix->n_slots; i++) free_id(ix, ix->ids[i], ix->id_lens[i]);
  if (ix->id_arena_owned) free(ix->id_arena);
  if (!ix->rows_borrowed) {
    free(ix->rows_f);
    free(ix->rows_q);
    free(ix->scales);
  }
  free(ix->deleted);
  free(ix->ids);
  free(ix->id_lens);
  arag_id_map_free(&ix->map);
}

/* Sets up an empty index body (no rows). */
static void init_body(arag_index *ix, uint32_t dim, arag_dtype dtype, arag_metric metric,
                      int keep_f32) {
  ix->dim = dim;
  ix->dtype = dtype;
  ix->metric = metric;
  ix->keep_f32 = dtype == ARAG_I8 && keep_f32;
  ix->stride_f = (dim + 3) / 4 * 4;
  ix->stride_q = (dim + 15) / 16 * 16;
  ix->n_slots = ix->n_live = ix->cap = 0;
  ix->rows_f = NULL;
  ix->rows_q = NULL;
  ix->scales = NULL;
  ix->deleted = NULL;
  ix->ids = NULL;
  ix->id_lens = NULL;
  ix->id_bytes = 0;
  ix->id_arena = NULL;
  ix->id_arena_len = ix->id_arena_live = 0;
  ix->id_arena_owned = 1;
  ix->rows_borrowed = 0;
  arag_id_map_init(&ix->map);
}

/* Resizes *p to bytes, keeping its first keep bytes, with realloc (which can
 * grow or shrink in place: no second copy of the rows at the peak). On failure
 * *p is unchanged and 0 is returned. With aligned, a block the allocator did not
 * put on a 16-byte boundary is moved to one when possible (SIMD loads tolerate
 * any alignment, so a misaligned block is slower, never wrong). */
static int re_alloc(void **p, size_t bytes, size_t keep, int aligned) {
  if (bytes == 0) bytes = ALIGN;
  void *q = realloc(*p, bytes);
  if (!q) return 0;
  *p = q;
  if (aligned && ((uintptr_t)q & (ALIGN - 1))) {
    void *a = alloc_aligned(bytes);
    if (a) {
      if (keep) memcpy(a, q, keep < bytes ? keep : bytes);
      free(q);
      *p = a;
    }
  }
  return 1;
}

#define RE_ALLOC(field, bytes, keep, aligned)                                                      \
  do {                                                                                             \
    void *t_ = ix->field;                                                                          \
    if (re_alloc(&t_, (bytes), (keep), (aligned)))                                                 \
      ix->field = t_;                                                                              \
    else                                                                                           \
      ok = 0;                                                                                      \
  } while (0)

/* Borrowed rows become the index's own: copies of the n_slots rows in blocks of cap
 * slots (the owner's memory is left alone). Returns 0, changing nothing, when out of
 * memory. */
static int own_rows(arag_index *ix, size_t cap) {
  size_t n = ix->n_slots, bf = cap * ix->stride_f * sizeof(float), bq = cap * ix->stride_q;
  float *rf = uses_f32(ix) ? alloc_aligned(bf) : NULL;
  int8_t *rq = uses_i8(ix) ? alloc_aligned(bq) : NULL;
  float *sc = uses_i8(ix) ? malloc(cap * sizeof(float)) : NULL;
  if ((uses_f32(ix) && !rf) || (uses_i8(ix) && (!rq || !sc))) {
    free(rf);
    free(rq);
    free(sc);
    return 0;
  }
  if (rf) memcpy(rf, ix->rows_f, n * ix->stride_f * sizeof(float));
  if (rq) {
    memcpy(rq, ix->rows_q, n * ix->stride_q);
    memcpy(sc, ix->scales, n * sizeof(float));
  }
  ix->rows_f = rf;
  ix->rows_q = rq;
  ix->scales = sc;
  ix->rows_borrowed = 0;
  return 1;
}

/* Resizes the row storage to cap slots (cap >= n_slots). Growing fails with 0
 * and leaves cap as it was (arrays already enlarged are just roomier); shrinking
 * never fails (an array that cannot shrink keeps its larger block). */
static int resize(arag_index *ix, uint32_t cap) {
  size_t c = cap ? (size_t)cap : 1, n = ix->n_slots, bf = 0, bq = 0, bi = 0;
  if (ix->rows_borrowed) {
    if (cap <= ix->cap) return 1; /* borrowed rows are not trimmed */
    if (!own_rows(ix, c)) return 0;
    n = c; /* the rows are in place at their new size */
  }
  if (uses_f32(ix) && !arag_size_mul(c, (size_t)ix->stride_f * sizeof(float), &bf)) return 0;
  if (uses_i8(ix) && !arag_size_mul(c, ix->stride_q, &bq)) return 0;
  if (!arag_size_mul(c, sizeof(char *), &bi)) return 0;
  int ok = 1;
  if (uses_f32(ix)) RE_ALLOC(rows_f, bf, n * ix->stride_f * sizeof(float), 1);
  if (uses_i8(ix)) {
    RE_ALLOC(rows_q, bq, n * ix->stride_q, 1);
    RE_ALLOC(scales, c * sizeof(float), n * sizeof(float), 0);
  }
  RE_ALLOC(deleted, c, n, 0);
  RE_ALLOC(ids, bi, n * sizeof(char *), 0);
  RE_ALLOC(id_lens, c * sizeof(uint32_t), n * sizeof(uint32_t), 0);
  if (!ok && cap > ix->cap) return 0;
  ix->cap = cap;
  return 1;
}

/* Grows the row storage (doubling, capped by max_rows) to hold want slots. */
static int grow(arag_index *ix, uint32_t want) {
  if (want <= ix->cap) return 1;
  uint64_t cap = ix->cap ? ix->cap : 16;
  while (cap < want) cap *= 2;
  if (cap > ix->limits.max_rows) cap = ix->limits.max_rows < want ? want : ix->limits.max_rows;
  return resize(ix, (uint32_t)cap);
}

/* ---------------------------------------------------------------------- */
/* create / free / limits                                                  */
/* ---------------------------------------------------------------------- */

arag_status arag_index_create(uint32_t dim, arag_dtype dtype, arag_metric metric, int keep_f32,
                              const arag_limits *limits, arag_index **out) {
  return arag_index_create_err(dim, dtype, metric, keep_f32, limits, out, NULL);
}

arag_status arag_index_create_err(uint32_t dim, arag_dtype dtype, arag_metric metric, int keep_f32,
                                  const arag_limits *limits, arag_index **out, arag_error *err) {
  arag_err_clear(err);
  if (!out) return arag_err_set(err, ARAG_E_INVALID, "out is NULL");
  *out = NULL;
  arag_limits l;
  if (limits)
    l = *limits;
  else
    arag_limits_default(&l);
  arag_status st = check_limits_value(err, &l);
  if (st != ARAG_OK) return st;
  if (dim == 0) return arag_err_set(err, ARAG_E_INVALID, "dim is 0");
  if (dtype != ARAG_F32 && dtype != ARAG_I8)
    return arag_err_set(err, ARAG_E_INVALID, "dtype %d is not ARAG_F32 or ARAG_I8", (int)dtype);
  if (metric != ARAG_COSINE && metric != ARAG_DOT)
    return arag_err_set(err, ARAG_E_INVALID, "metric %d is not ARAG_COSINE or ARAG_DOT",
                        (int)metric);
  if (dim > l.max_dim)
    return arag_err_set(err, ARAG_E_LIMIT, "dim %u is above max_dim %u", dim, l.max_dim);
  arag_index *ix = calloc(1, sizeof *ix);
  if (!ix) return arag_err_set(err, ARAG_E_NOMEM, "out of memory for an index");
  ix->limits = l;
  ix->kernel = ARAG_KERNEL_AUTO;
  init_body(ix, dim, dtype, metric, keep_f32);
  *out = ix;
  return ARAG_OK;
}

void arag_index_free(arag_index *ix) {
  if (!ix) return;
  release(ix);
  free(ix);
}

const char *arag_index_last_error(const arag_index *ix) {
  return ix ? arag_err_msg(&ix->err) : ARAG_ERR_NULL_HANDLE;
}

arag_status arag_index_get_limits(const arag_index *ix, arag_limits *out) {
  if (!ix || !out) return ARAG_E_INVALID;
  *out = ix->limits;
  return ARAG_OK;
}

arag_status arag_index_set_limits(arag_index *ix, const arag_limits *limits) {
  if (!ix) return ARAG_E_INVALID;
  if (!limits) return arag_err_set(&ix->err, ARAG_E_INVALID, "limits is NULL");
  arag_status st = check_limits_value(&ix->err, limits);
  if (st != ARAG_OK) return st;
  if (ix->dim > limits->max_dim)
    return arag_err_set(&ix->err, ARAG_E_LIMIT, "index dim %u is above the new max_dim %u", ix->dim,
                        limits->max_dim);
  if (ix->n_slots > limits->max_rows)
    return arag_err_set(&ix->err, ARAG_E_LIMIT,
                        "index holds %u rows (%u live), above the new max_rows %u", ix->n_slots,
                        ix->n_live, limits->max_rows);
  for (uint32_t i = 0; i < ix->n_slots; i++)
    if (ix->ids[i] && ix->id_lens[i] > limits->max_id_bytes)
      return arag_err_set(&ix->err, ARAG_E_LIMIT,
                          "slot %u has a %u-byte id, above the new max_id_bytes %u", i,
                          ix->id_lens[i], limits->max_id_bytes);
  ix->limits = *limits;
  return ARAG_OK;
}

arag_status arag_index_set_kernel(arag_index *ix, arag_kernel kernel) {
  if (!ix) return ARAG_E_INVALID;
  if (kernel != ARAG_KERNEL_AUTO && kernel != ARAG_KERNEL_SCALAR && kernel != ARAG_KERNEL_SIMD)
    return arag_err_set(&ix->err, ARAG_E_INVALID, "unknown kernel %d", (int)kernel);
  if (kernel == ARAG_KERNEL_SIMD && !ARAG_HAVE_SIMD)
    return arag_err_set(&ix->err, ARAG_E_INVALID,
                        "this build has no SIMD128 kernels (use AUTO or SCALAR)");
  ix->kernel = kernel;
  return ARAG_OK;
}

static int use_simd(const arag_index *ix) {
  return ARAG_HAVE_SIMD && ix->kernel != ARAG_KERNEL_SCALAR;
}

/* ---------------------------------------------------------------------- */
/* vectors                                                                 */
/* ---------------------------------------------------------------------- */

/* Checks a caller's vector and writes its prepared form (normalized for
 * cosine, zero-padded to stride_f) into dst; a refusal's message goes to err. */
static arag_status prepare(const arag_index *ix, arag_error *err, const char *what, const float *v,
                           uint32_t dim, float *dst) {
  if (!v) return arag_err_set(err, ARAG_E_INVALID, "%s vector is NULL", what);
  if (dim != ix->dim)
    return arag_err_set(err, ARAG_E_DIM, "%s vector has %u dims, the index has %u", what, dim,
                        ix->dim);
  double ss = 0;
  for (uint32_t i = 0; i < dim; i++) {
    if (!isfinite(v[i]))
      return arag_err_set(err, ARAG_E_NONFINITE, "%s vector has a non-finite value at %u", what, i);
    ss += (double)v[i] * (double)v[i];
  }
  /* Keep |a|*|b| (a bound on every partial dot product) inside float range. */
  if (!(ss <= 3.0e38))
    return arag_err_set(err, ARAG_E_NONFINITE, "%s vector norm overflows float (squared norm %g)",
                        what, ss);
  if (ix->metric == ARAG_COSINE && ss > 0) {
    double inv = 1.0 / sqrt(ss);
    for (uint32_t i = 0; i < dim; i++) dst[i] = (float)(v[i] * inv);
  } else {
    memcpy(dst, v, (size_t)dim * sizeof(float));
  }
  for (uint32_t i = dim; i < ix->stride_f; i++) dst[i] = 0;
  return ARAG_OK;
}

static void store_row(arag_index *ix, uint32_t slot, const float *v) {
  if (uses_f32(ix))
    memcpy(ix->rows_f + (size_t)slot * ix->stride_f, v, ix->stride_f * sizeof(float));
  if (uses_i8(ix)) {
    int8_t *q = ix->rows_q + (size_t)slot * ix->stride_q;
    ix->scales[slot] = arag_quantize_i8(v, ix->dim, q);
    memset(q + ix->dim, 0, ix->stride_q - ix->dim);
  }
}

static arag_status check_id(arag_index *ix, const char *id, size_t id_len) {
  if (!id || id_len == 0) return arag_err_set(&ix->err, ARAG_E_INVALID, "id is empty");
  if (id_len > ix->limits.max_id_bytes)
    return arag_err_set(&ix->err, ARAG_E_LIMIT, "id has %zu bytes, above max_id_bytes %u", id_len,
                        ix->limits.max_id_bytes);
  return ARAG_OK;
}

static arag_status insert(arag_index *ix, const char *id, size_t id_len, const float *v);

arag_status arag_index_add(arag_index *ix, const char *id, size_t id_len, const float *vec,
                           uint32_t dim) {
  if (!ix) return ARAG_E_INVALID;
  arag_status st = check_id(ix, id, id_len);
  if (st != ARAG_OK) return st;
  float *v = alloc_aligned((size_t)ix->stride_f * sizeof(float));
  if (!v) return arag_err_set(&ix->err, ARAG_E_NOMEM, "out of memory adding a row");
  st = prepare(ix, &ix->err, "inserted", vec, dim, v);
  if (st == ARAG_OK) st = insert(ix, id, id_len, v);
  free(v);
  return st;
}

/* Inserts or updates the row of id with v, prepared. */
static arag_status insert(arag_index *ix, const char *id, size_t id_len, const float *v) {
  uint32_t slot;
  if (arag_id_map_find(&ix->map, id, id_len, &slot)) {
    store_row(ix, slot, v); /* update keeps the slot */
    return ARAG_OK;
  }
  if (ix->n_slots >= ix->limits.max_rows)
    return arag_err_set(&ix->err, ARAG_E_LIMIT,
                        "index is full: %u rows (%u live, %u deleted: compact to reuse them) "
                        "reach max_rows %u",
                        ix->n_slots, ix->n_live, ix->n_slots - ix->n_live, ix->limits.max_rows);
  char *copy = malloc(id_len + 1);
  if (!copy || !grow(ix, ix->n_slots + 1) || !arag_id_map_reserve(&ix->map, ix->map.n + 1)) {
    free(copy);
    return arag_err_set(&ix->err, ARAG_E_NOMEM, "out of memory adding row %u", ix->n_slots);
  }
  memcpy(copy, id, id_len);
  copy[id_len] = '\0';
  slot = ix->n_slots++;
  ix->ids[slot] = copy;
  ix->id_lens[slot] = (uint32_t)id_len;
  ix->deleted[slot] = 0;
  ix->id_bytes += id_len + 1;
  store_row(ix, slot, v);
  arag_id_map_insert(&ix->map, copy, (uint32_t)id_len, slot);
  ix->n_live++;
  return ARAG_OK;
}

size_t arag_index_row_bytes(const arag_index *ix) {
  if (!ix) return 0;
  return (uses_f32(ix) ? ix->stride_f * sizeof(float) : 0) +
         (uses_i8(ix) ? ix->stride_q + sizeof(float) : 0);
}

static arag_status row_copy(arag_index *ix, const char *id, size_t id_len, uint8_t *buf, int save) {
  uint32_t slot;
  if (!ix || !buf) return ARAG_E_INVALID;
  if (!id || !arag_id_map_find(&ix->map, id, id_len, &slot)) return ARAG_E_NOT_FOUND;
  struct {
    void *at;
    size_t n;
  } parts[3] = {{uses_f32(ix) ? ix->rows_f + (size_t)slot * ix->stride_f : NULL,
                 ix->stride_f * sizeof(float)},
                {uses_i8(ix) ? ix->rows_q + (size_t)slot * ix->stride_q : NULL, ix->stride_q},
                {uses_i8(ix) ? &ix->scales[slot] : NULL, sizeof(float)}};
  for (int i = 0; i < 3; i++) {
    if (!parts[i].at) continue;
    if (save)
      memcpy(buf, parts[i].at, parts[i].n);
    else
      memcpy(parts[i].at, buf, parts[i].n);
    buf += parts[i].n;
  }
  return ARAG_OK;
}

arag_status arag_index_row_save(const arag_index *ix, const char *id, size_t id_len, void *buf) {
  return row_copy((arag_index *)ix, id, id_len, (uint8_t *)buf, 1); /* reads only */
}

arag_status arag_index_row_load(arag_index *ix, const char *id, size_t id_len, const void *buf) {
  return row_copy(ix, id, id_len, (uint8_t *)buf, 0); /* reads buf only */
}

arag_status arag_index_remove(arag_index *ix, const char *id, size_t id_len) {
  if (!ix) return ARAG_E_INVALID;
  if (!id || id_len == 0) return arag_err_set(&ix->err, ARAG_E_INVALID, "id is empty");
  uint32_t slot;
  if (!arag_id_map_find(&ix->map, id, id_len, &slot))
    return arag_err_set(&ix->err, ARAG_E_NOT_FOUND, "no row with id \"%.*s\"",
                        (int)(id_len > 64 ? 64 : id_len), id);
  arag_id_map_remove(&ix->map, id, id_len);
  ix->id_bytes -= ix->id_lens[slot] + 1;
  free_id(ix, ix->ids[slot], ix->id_lens[slot]);
  ix->ids[slot] = NULL;
  ix->id_lens[slot] = 0;
  ix->deleted[slot] = 1;
  ix->n_live--;
  return ARAG_OK;
}

arag_status arag_index_unadd(arag_index *ix, const char *id, size_t id_len) {
  uint32_t slot;
  if (!ix || !id || !arag_id_map_find(&ix->map, id, id_len, &slot)) return ARAG_E_NOT_FOUND;
  arag_status st = arag_index_remove(ix, id, id_len);
  if (st == ARAG_OK && slot + 1 == ix->n_slots) {
    ix->deleted[slot] = 0; /* a free slot again, as before the add */
    ix->n_slots--;
  }
  return st;
}

arag_status arag_index_compact(arag_index *ix) {
  if (!ix) return ARAG_E_INVALID;
  uint32_t w = 0;
  for (uint32_t r = 0; r < ix->n_slots; r++) {
    if (ix->deleted[r]) continue;
    if (w != r) {
      if (ix->rows_f)
        memcpy(ix->rows_f + (size_t)w * ix->stride_f, ix->rows_f + (size_t)r * ix->stride_f,
               ix->stride_f * sizeof(float));
      if (ix->rows_q) {
        memcpy(ix->rows_q + (size_t)w * ix->stride_q, ix->rows_q + (size_t)r * ix->stride_q,
               ix->stride_q);
        ix->scales[w] = ix->scales[r];
      }
      ix->ids[w] = ix->ids[r];
      ix->id_lens[w] = ix->id_lens[r];
      ix->deleted[w] = 0;
    }
    w++;
  }
  ix->n_slots = w;
  /* Rebuild the map in place: its table already has room for every id. */
  arag_id_map_clear(&ix->map);
  for (uint32_t s = 0; s < w; s++) arag_id_map_insert(&ix->map, ix->ids[s], ix->id_lens[s], s);
  /* Trim the spare capacity (best effort: on failure the rows stay where they are). */
  if (ix->cap > w) resize(ix, w);
  return ARAG_OK;
}

uint32_t arag_index_count(const arag_index *ix) { return ix ? ix->n_live : 0; }
uint32_t arag_index_slots(const arag_index *ix) { return ix ? ix->n_slots : 0; }
uint32_t arag_index_stride(const arag_index *ix) {
  return !ix ? 0 : uses_f32(ix) ? ix->stride_f : ix->stride_q;
}

void arag_index_shape(const arag_index *ix, arag_dtype *dtype, arag_metric *metric, int *keep_f32) {
  *dtype = ix->dtype;
  *metric = ix->metric;
  *keep_f32 = ix->keep_f32;
}
uint32_t arag_index_dim(const arag_index *ix) { return ix ? ix->dim : 0; }

size_t arag_index_memory_bytes(const arag_index *ix) {
  if (!ix) return 0;
  size_t c = ix->cap, b = sizeof *ix;
  if (ix->rows_f && !ix->rows_borrowed) b += c * ix->stride_f * sizeof(float);
  if (ix->rows_q && !ix->rows_borrowed) b += c * ix->stride_q + c * sizeof(float);
  b += c * (1 + sizeof(char *) + sizeof(uint32_t)) + ix->id_bytes - ix->id_arena_live;
  if (ix->id_arena_owned) b += ix->id_arena_len;
  b += arag_id_map_bytes(&ix->map);
  return b;
}

int arag_index_has(const arag_index *ix, const char *id, size_t id_len) {
  uint32_t slot;
  return ix && id && id_len && arag_id_map_find(&ix->map, id, id_len, &slot);
}

arag_status arag_index_slot(const arag_index *ix, const char *id, size_t id_len, uint32_t *slot) {
  if (!ix) return ARAG_E_INVALID;
  if (!id || !id_len || !slot) return ARAG_E_INVALID;
  if (!arag_id_map_find(&ix->map, id, id_len, slot)) return ARAG_E_NOT_FOUND;
  return ARAG_OK;
}

const char *arag_index_id(const arag_index *ix, uint32_t slot, size_t *id_len) {
  if (id_len) *id_len = 0;
  if (!ix || slot >= ix->n_slots || !ix->ids[slot]) return NULL;
  if (id_len) *id_len = ix->id_lens[slot];
  return ix->ids[slot];
}

arag_status arag_index_vector(const arag_index *ix, uint32_t slot, float *out, uint32_t dim) {
  if (!ix) return ARAG_E_INVALID;
  if (!out) return ARAG_E_INVALID;
  if (dim != ix->dim) return ARAG_E_DIM;
  if (slot >= ix->n_slots || ix->deleted[slot]) return ARAG_E_NOT_FOUND;
  if (ix->rows_f) {
    memcpy(out, ix->rows_f + (size_t)slot * ix->stride_f, (size_t)dim * sizeof(float));
  } else {
    const int8_t *q = ix->rows_q + (size_t)slot * ix->stride_q;
    for (uint32_t i = 0; i < dim; i++) out[i] = (float)q[i] * ix->scales[slot];
  }
  return ARAG_OK;
}

/* ---------------------------------------------------------------------- */
/* search                                                                  */
/* ---------------------------------------------------------------------- */

/* a ranks before b: higher score, then lower slot. */
static inline int better(float sa, uint32_t a, float sb, uint32_t b) {
  return sa > sb || (sa == sb && a < b);
}

/* A bounded min-heap of the best cap hits: the root is the worst kept. */
typedef struct topk {
  hit *h;
  uint32_t n, cap;
} topk;

static void sift_down(hit *h, uint32_t n, uint32_t i) {
  for (;;) {
    uint32_t l = 2 * i + 1, r = l + 1, w = i;
    if (l < n && better(h[w].score, h[w].slot, h[l].score, h[l].slot)) w = l;
    if (r < n && better(h[w].score, h[w].slot, h[r].score, h[r].slot)) w = r;
    if (w == i) return;
    hit t = h[i];
    h[i] = h[w];
    h[w] = t;
    i = w;
  }
}

static inline void topk_push(topk *t, float s, uint32_t slot) {
  if (t->n < t->cap) {
    uint32_t i = t->n++;
    t->h[i].score = s;
    t->h[i].slot = slot;
    while (i) {
      uint32_t p = (i - 1) / 2;
      if (!better(t->h[p].score, t->h[p].slot, t->h[i].score, t->h[i].slot)) break;
      hit x = t->h[p];
      t->h[p] = t->h[i];
      t->h[i] = x;
      i = p;
    }
  } else if (better(s, slot, t->h[0].score, t->h[0].slot)) {
    t->h[0].score = s;
    t->h[0].slot = slot;
    sift_down(t->h, t->n, 0);
  }
}

/* Pops the heap into best-first order (in place). */
static void topk_sort(topk *t) {
  uint32_t n = t->n;
  while (n > 1) {
    hit x = t->h[0];
    t->h[0] = t->h[n - 1];
    t->h[n - 1] = x;
    n--;
    sift_down(t->h, n, 0);
  }
}

/* What one search writes: the prepared query (f32, and int16 lanes for int8 rows) and
 * the scores of one chunk, in one block the search allocates and frees. The index
 * itself is only read, so any number of searches may run on it at once. */
typedef struct scratch {
  float *qf;   /* stride_f floats */
  int16_t *qq; /* stride_q lanes */
  float *buf;  /* CHUNK scores */
  float qscale;
} scratch;

static int scratch_alloc(const arag_index *ix, scratch *sc) {
  size_t bf = (size_t)ix->stride_f * sizeof(float), bq = (size_t)ix->stride_q * sizeof(int16_t);
  uint8_t *p = alloc_aligned(bf + bq + CHUNK * sizeof(float)); /* each part 16-byte aligned */
  sc->qf = (float *)p;
  sc->qq = p ? (int16_t *)(p + bf) : NULL;
  sc->buf = p ? (float *)(p + bf + bq) : NULL;
  sc->qscale = 0;
  return p != NULL;
}

static float score_one(const arag_index *ix, const scratch *sc, uint32_t slot, int exact_f32) {
  int simd = use_simd(ix);
  (void)simd;
  if (exact_f32) {
    const float *row = ix->rows_f + (size_t)slot * ix->stride_f;
#if ARAG_HAVE_SIMD
    if (simd) return arag_dot_f32_simd(row, sc->qf, ix->stride_f);
#endif
    return arag_dot_f32_scalar(row, sc->qf, ix->stride_f);
  }
  const int8_t *row = ix->rows_q + (size_t)slot * ix->stride_q;
  int32_t d;
#if ARAG_HAVE_SIMD
  if (simd)
    d = arag_dot_i8_simd(row, sc->qq, ix->stride_q);
  else
#endif
    d = arag_dot_i8_scalar(row, sc->qq, ix->stride_q);
  return (float)d * (ix->scales[slot] * sc->qscale);
}

/* Scores cnt rows from slot base into sc->buf. */
static void score_chunk(const arag_index *ix, const scratch *sc, uint32_t base, uint32_t cnt,
                        int exact_f32) {
  int simd = use_simd(ix);
  (void)simd;
  if (exact_f32) {
    const float *rows = ix->rows_f + (size_t)base * ix->stride_f;
#if ARAG_HAVE_SIMD
    if (simd)
      arag_scan_f32_simd(rows, ix->stride_f, cnt, sc->qf, ix->stride_f, sc->buf);
    else
#endif
      arag_scan_f32_scalar(rows, ix->stride_f, cnt, sc->qf, ix->stride_f, sc->buf);
    return;
  }
  const int8_t *rows = ix->rows_q + (size_t)base * ix->stride_q;
#if ARAG_HAVE_SIMD
  if (simd)
    arag_scan_i8_simd(rows, ix->stride_q, cnt, ix->scales + base, sc->qq, sc->qscale, ix->stride_q,
                      sc->buf);
  else
#endif
    arag_scan_i8_scalar(rows, ix->stride_q, cnt, ix->scales + base, sc->qq, sc->qscale,
                        ix->stride_q, sc->buf);
}

static void scan_all(const arag_index *ix, const scratch *sc, int exact_f32, topk *t) {
  const float *buf = sc->buf;
  for (uint32_t base = 0; base < ix->n_slots; base += CHUNK) {
    uint32_t cnt = ix->n_slots - base < CHUNK ? ix->n_slots - base : CHUNK;
    score_chunk(ix, sc, base, cnt, exact_f32);
    /* Most chunks hold nothing better than the worst kept hit: skip them whole. */
    if (t->n == t->cap && arag_max_f32(buf, cnt) < t->h[0].score) continue;
    const uint8_t *del = ix->deleted + base;
    int any_deleted = ix->n_live != ix->n_slots;
    for (uint32_t i = 0; i < cnt; i++) {
      if (any_deleted && del[i]) continue;
      if (t->n == t->cap && buf[i] < t->h[0].score) continue; /* fast reject */
      topk_push(t, buf[i], base + i);
    }
  }
}

/* The checks of a search's outputs and allow-list pointer (before the query's). */
static arag_status check_search(arag_error *err, uint32_t k, const uint32_t *allow,
                                uint32_t n_allow, const uint32_t *out_slots,
                                const float *out_scores, const uint32_t *out_n) {
  if (!out_n) return arag_err_set(err, ARAG_E_INVALID, "out_n is NULL");
  if (k && (!out_slots || !out_scores))
    return arag_err_set(err, ARAG_E_INVALID, "out_slots/out_scores is NULL");
  if (!allow && n_allow)
    return arag_err_set(err, ARAG_E_INVALID, "allow is NULL but n_allow is %u", n_allow);
  return ARAG_OK;
}

/* The allow-list's checks (after the query's). */
static arag_status check_allow(const arag_index *ix, arag_error *err, const uint32_t *allow,
                               uint32_t n_allow) {
  if (!allow) return ARAG_OK;
  if (n_allow > ix->limits.max_rows)
    return arag_err_set(err, ARAG_E_LIMIT, "allow-list has %u slots, above max_rows %u", n_allow,
                        ix->limits.max_rows);
  for (uint32_t i = 0; i < n_allow; i++)
    if (allow[i] >= ix->n_slots)
      return arag_err_set(err, ARAG_E_INVALID, "allow-list entry %u is slot %u, past the %u slots",
                          i, allow[i], ix->n_slots);
  return ARAG_OK;
}

/* Scores the allowed slots (each once, live ones only) into t. */
static int scan_allowed(const arag_index *ix, const scratch *sc, const uint32_t *allow,
                        uint32_t n_allow, int exact_f32, topk *t) {
  uint8_t *seen = calloc(((size_t)ix->n_slots + 7) / 8, 1);
  if (!seen) return 0;
  for (uint32_t i = 0; i < n_allow; i++) {
    uint32_t s = allow[i];
    if (ix->deleted[s] || (seen[s >> 3] & (1u << (s & 7)))) continue;
    seen[s >> 3] |= (uint8_t)(1u << (s & 7));
    topk_push(t, score_one(ix, sc, s, exact_f32), s);
  }
  free(seen);
  return 1;
}

/* The best `first` rows into t (the int8 scores when the index is int8). */
static int shortlist(const arag_index *ix, const scratch *sc, const uint32_t *allow,
                     uint32_t n_allow, topk *t) {
  int exact = !uses_i8(ix);
  if (allow) return scan_allowed(ix, sc, allow, n_allow, exact, t);
  scan_all(ix, sc, exact, t);
  return 1;
}

/* The search itself, on an index it only reads; a failure's message goes to err. */
static arag_status search(const arag_index *ix, arag_error *err, const float *query, uint32_t dim,
                          uint32_t k, const uint32_t *allow, uint32_t n_allow, uint32_t rerank,
                          uint32_t *out_slots, float *out_scores, uint32_t *out_n) {
  arag_status st = check_search(err, k, allow, n_allow, out_slots, out_scores, out_n);
  scratch sc;
  if (st != ARAG_OK) return st;
  if (!scratch_alloc(ix, &sc)) return arag_err_set(err, ARAG_E_NOMEM, "out of memory for a search");
  st = prepare(ix, err, "query", query, dim, sc.qf);
  if (st == ARAG_OK) st = check_allow(ix, err, allow, n_allow);
  if (st == ARAG_OK) *out_n = 0;
  uint32_t n_cand = allow ? n_allow : ix->n_live;
  if (n_cand > ix->n_live) n_cand = ix->n_live;
  if (st != ARAG_OK || k == 0 || n_cand == 0) {
    free(sc.qf);
    return st;
  }
  if (k > n_cand) k = n_cand;
  int do_rerank = uses_i8(ix) && ix->keep_f32 && rerank > 0;
  uint64_t first = do_rerank ? (uint64_t)rerank * k : k;
  if (first > n_cand) first = n_cand;
  if (uses_i8(ix)) {
    sc.qscale = arag_quantize_i16q(sc.qf, ix->dim, arag_query_levels(ix->stride_q), sc.qq);
    for (uint32_t i = ix->dim; i < ix->stride_q; i++) sc.qq[i] = 0;
  }
  topk t = {malloc((size_t)first * sizeof(hit)), 0, (uint32_t)first};
  topk t2 = {do_rerank ? malloc((size_t)k * sizeof(hit)) : NULL, 0, k};
  if (!t.h || (do_rerank && !t2.h) || !shortlist(ix, &sc, allow, n_allow, &t)) {
    st = arag_err_set(err, ARAG_E_NOMEM, "out of memory for a top-%u search", (uint32_t)first);
  } else {
    topk *res = &t;
    if (do_rerank) {
      for (uint32_t i = 0; i < t.n; i++)
        topk_push(&t2, score_one(ix, &sc, t.h[i].slot, 1), t.h[i].slot);
      res = &t2;
    }
    topk_sort(res);
    uint32_t n = res->n < k ? res->n : k;
    for (uint32_t i = 0; i < n; i++) {
      out_slots[i] = res->h[i].slot;
      out_scores[i] = res->h[i].score;
    }
    *out_n = n;
  }
  free(t.h);
  free(t2.h);
  free(sc.qf);
  return st;
}

arag_status arag_index_search(const arag_index *ix, const float *query, uint32_t dim, uint32_t k,
                              const uint32_t *allow, uint32_t n_allow, uint32_t rerank,
                              uint32_t *out_slots, float *out_scores, uint32_t *out_n) {
  if (!ix) return ARAG_E_INVALID;
  /* The handle's last error, as every call on it keeps: written only when the search
   * fails (arag_index_search_r leaves the handle alone). */
  arag_error *err = (arag_error *)&ix->err;
  return search(ix, err, query, dim, k, allow, n_allow, rerank, out_slots, out_scores, out_n);
}

arag_status arag_index_search_r(const arag_index *ix, const float *query, uint32_t dim, uint32_t k,
                                const uint32_t *allow, uint32_t n_allow, uint32_t rerank,
                                uint32_t *out_slots, float *out_scores, uint32_t *out_n, char *err,
                                size_t err_len) {
  arag_error e;
  arag_err_clear(&e);
  arag_status st =
      ix ? search(ix, &e, query, dim, k, allow, n_allow, rerank, out_slots, out_scores, out_n)
         : arag_err_set(&e, ARAG_E_INVALID, "index is NULL");
  if (err && err_len) snprintf(err, err_len, "%s", st == ARAG_OK ? "" : arag_err_msg(&e));
  return st;
}

/* ---------------------------------------------------------------------- */
/* snapshot / restore                                                      */
/* ---------------------------------------------------------------------- */
/*
 * Version 2: the container of snapshot_io.h, kind "INDX", holding the body
 *   u32 dim  u32 dtype  u32 metric  u32 keep_f32  u32 n_slots  u32 n_live
 *   per slot: u8 deleted, u32 id_len, id bytes (id_len 0 for a deleted slot)
 *   per slot: dim f32 (when F32 or keep_f32)
 *   per slot: f32 scale, dim int8 (when I8)
 * (little endian). Version 1 was the same body framed as
 *   "ARAGIDX1"  u32 version=1  body  u64 FNV-1a 64 of every byte before it
 * and is still read.
 */

size_t arag_index_body_bytes(const arag_index *ix, int live_only) {
  uint32_t n = live_only ? ix->n_live : ix->n_slots;
  size_t rowb = (uses_f32(ix) ? (size_t)ix->dim * 4 : 0) + (uses_i8(ix) ? ix->dim + 4u : 0);
  size_t b = 24 + ix->id_bytes + (size_t)n * 5, data;
  if (!arag_size_mul(rowb, n, &data) || !arag_size_add(b, data, &b)) return (size_t)-1;
  return b;
}

void arag_index_write_body(const arag_index *ix, arag_writer *w, int live_only) {
  arag_writer_u32(w, ix->dim);
  arag_writer_u32(w, (uint32_t)ix->dtype);
  arag_writer_u32(w, (uint32_t)ix->metric);
  arag_writer_u32(w, (uint32_t)ix->keep_f32);
  arag_writer_u32(w, live_only ? ix->n_live : ix->n_slots);
  arag_writer_u32(w, ix->n_live);
  for (uint32_t s = 0; s < ix->n_slots; s++) {
    if (live_only && ix->deleted[s]) continue;
    arag_writer_u8(w, ix->deleted[s]);
    arag_writer_u32(w, ix->deleted[s] ? 0 : ix->id_lens[s]);
    if (!ix->deleted[s]) arag_writer_bytes(w, ix->ids[s], ix->id_lens[s]);
  }
  const int little = arag_host_little_endian();
  if (uses_f32(ix))
    for (uint32_t s = 0; s < ix->n_slots; s++) {
      if (live_only && ix->deleted[s]) continue;
      const float *r = ix->rows_f + (size_t)s * ix->stride_f;
      if (little)
        arag_writer_bytes(w, r, (size_t)ix->dim * sizeof(float)); /* the wire format */
      else
        for (uint32_t i = 0; i < ix->dim; i++) arag_writer_f32(w, r[i]);
    }
  if (uses_i8(ix))
    for (uint32_t s = 0; s < ix->n_slots; s++) {
      if (live_only && ix->deleted[s]) continue;
      arag_writer_f32(w, ix->scales[s]);
      arag_writer_bytes(w, ix->rows_q + (size_t)s * ix->stride_q, ix->dim);
    }
}

arag_status arag_index_snapshot(const arag_index *ix, uint8_t **out, size_t *out_len) {
  if (!ix) return ARAG_E_INVALID;
  if (!out || !out_len) return ARAG_E_INVALID;
  *out = NULL;
  *out_len = 0;
  arag_writer w;
  arag_writer_init(&w);
  size_t est = arag_index_body_bytes(ix, 0);
  if (est == (size_t)-1 || !arag_writer_reserve(&w, est + ARAG_SNAP_HEADER)) return ARAG_E_NOMEM;
  arag_snap_begin(&w, ARAG_SNAP_INDEX, SNAP_VERSION);
  arag_index_write_body(ix, &w, 0);
  arag_snap_end(&w);
  if (w.failed) {
    arag_writer_free(&w);
    return ARAG_E_NOMEM;
  }
  *out = arag_writer_take(&w, out_len);
  return ARAG_OK;
}

#define CORRUPT(...)                                                                               \
  do {                                                                                             \
    st = arag_err_set(&ix->err, ARAG_E_CORRUPT, __VA_ARGS__);                                      \
    goto fail;                                                                                     \
  } while (0)

/* Bytes of one slot in the row storage (rows, scale, deleted flag, id pointer and length). */
static size_t slot_bytes(const arag_index *ix) {
  return (uses_f32(ix) ? (size_t)ix->stride_f * sizeof(float) : 0) +
         (uses_i8(ix) ? (size_t)ix->stride_q + sizeof(float) : 0) + 1 + sizeof(char *) +
         sizeof(uint32_t);
}

/* A restored f32 row is usable: finite with a norm whose square fits a float. A
 * cosine index stores unit (or zero) rows, so every value within [-1, 1] (a little
 * rounding allowed) is enough, and cheap to check; other rows sum their squares. */
static int row_sound(const float *row, uint32_t dim, arag_metric metric) {
  if (metric == ARAG_COSINE) {
    /* |x| <= 1.0001 on the bits (NaN and infinities are above): a loop that vectorizes. */
    const uint32_t lim = 0x3f800347u; /* the bits of 1.0001f */
    uint32_t over = 0;
    for (uint32_t i = 0; i < dim; i++) {
      uint32_t u;
      memcpy(&u, &row[i], 4);
      over |= (u & 0x7fffffffu) > lim;
    }
    return !over;
  }
  double ss = 0;
  for (uint32_t i = 0; i < dim; i++) ss += (double)row[i] * (double)row[i];
  return ss <= 3.0e38;
}

int arag_index_row_usable(arag_dtype dtype, uint32_t dim, uint32_t stride, const void *row) {
  if (dtype == ARAG_F32) {
    const float *f = (const float *)row;
    if (!row_sound(f, dim, ARAG_COSINE)) return 0;
    for (uint32_t i = dim; i < stride; i++)
      if (f[i] != 0.0f) return 0;
    return 1;
  }
  const int8_t *q = (const int8_t *)row;
  for (uint32_t i = dim; i < stride; i++)
    if (q[i]) return 0;
  return 1;
}

int arag_index_scale_usable(float scale) {
  return isfinite(scale) && scale >= 0 && scale <= 2.0e17f;
}

/* A body's header, checked against ix's limits and the bytes left. */
typedef struct body_header {
  uint32_t dim, dtype, metric, keep, n_slots, n_live;
} body_header;

static arag_status load_header(arag_index *ix, arag_reader *r, body_header *hd) {
  if (!arag_reader_u32(r, &hd->dim) || !arag_reader_u32(r, &hd->dtype) ||
      !arag_reader_u32(r, &hd->metric) || !arag_reader_u32(r, &hd->keep) ||
      !arag_reader_u32(r, &hd->n_slots) || !arag_reader_u32(r, &hd->n_live))
    return arag_err_set(&ix->err, ARAG_E_CORRUPT, "index snapshot truncated in its header");
  if (hd->dim == 0 || hd->dtype > ARAG_I8 || hd->metric > ARAG_DOT || hd->keep > 1 ||
      (hd->keep && hd->dtype != ARAG_I8) || hd->n_live > hd->n_slots)
    return arag_err_set(&ix->err, ARAG_E_CORRUPT,
                        "index snapshot header is inconsistent (dim %u dtype %u metric %u)",
                        hd->dim, hd->dtype, hd->metric);
  if (hd->dim > ix->limits.max_dim)
    return arag_err_set(&ix->err, ARAG_E_LIMIT, "snapshot dim %u is above max_dim %u", hd->dim,
                        ix->limits.max_dim);
  if (hd->n_slots > ix->limits.max_rows)
    return arag_err_set(&ix->err, ARAG_E_LIMIT, "snapshot has %u rows, above max_rows %u",
                        hd->n_slots, ix->limits.max_rows);
  /* Each slot takes at least 5 bytes: reject absurd counts before allocating. */
  if (hd->n_slots > arag_reader_left(r) / 5)
    return arag_err_set(&ix->err, ARAG_E_CORRUPT, "snapshot row count %u exceeds its size",
                        hd->n_slots);
  return ARAG_OK;
}

/* Bytes the ids of n_slots records take in one block, NUL included, counted ahead (a
 * bad record stops the count; reading them names it). */
static size_t ids_arena_bytes(arag_reader ahead, uint32_t n_slots) {
  size_t arena = 0;
  for (uint32_t s = 0; s < n_slots; s++) {
    uint8_t del;
    uint32_t il;
    if (!arag_reader_u8(&ahead, &del) || !arag_reader_u32(&ahead, &il) ||
        !arag_reader_view(&ahead, del ? 0 : il))
      break;
    if (!del) arena += (size_t)il + 1;
  }
  return arena;
}

#define LOAD_CORRUPT(...) arag_err_set(&ix->err, ARAG_E_CORRUPT, __VA_ARGS__)

/* Reads the n_slots id records into tmp (its arena of arena bytes allocated). */
static arag_status load_ids(arag_index *ix, arag_index *tmp, arag_reader *r, const body_header *hd,
                            size_t arena) {
  size_t used = 0;
  uint32_t live = 0;
  for (uint32_t s = 0; s < hd->n_slots; s++) {
    uint8_t del;
    uint32_t il;
    if (!arag_reader_u8(r, &del) || !arag_reader_u32(r, &il))
      return LOAD_CORRUPT("snapshot truncated in ids");
    if (del > 1 || (del && il) || (!del && !il))
      return LOAD_CORRUPT("snapshot slot %u has a bad id record", s);
    tmp->deleted[s] = del;
    tmp->ids[s] = NULL;
    tmp->id_lens[s] = 0;
    tmp->n_slots = s + 1;
    if (del) continue;
    if (il > ix->limits.max_id_bytes)
      return arag_err_set(&ix->err, ARAG_E_LIMIT, "snapshot slot %u has a %u-byte id, above %u", s,
                          il, ix->limits.max_id_bytes);
    const uint8_t *p = arag_reader_view(r, il);
    if (!p) return LOAD_CORRUPT("snapshot truncated in ids");
    if (live >= hd->n_live) return LOAD_CORRUPT("snapshot has more live rows than its header says");
    if (arag_id_map_find(&tmp->map, (const char *)p, il, NULL))
      return LOAD_CORRUPT("snapshot repeats the id \"%.*s\"", (int)(il > 64 ? 64 : il),
                          (const char *)p);
    if ((size_t)il + 1 > arena - used) return LOAD_CORRUPT("snapshot truncated in ids");
    char *copy = tmp->id_arena + used;
    used += (size_t)il + 1;
    memcpy(copy, p, il);
    copy[il] = '\0';
    tmp->ids[s] = copy;
    tmp->id_lens[s] = il;
    tmp->id_bytes += (size_t)il + 1;
    arag_id_map_insert(&tmp->map, copy, il, s);
    live++;
  }
  if (live != hd->n_live)
    return LOAD_CORRUPT("snapshot live row count %u does not match its header %u", live,
                        hd->n_live);
  tmp->n_live = live;
  return ARAG_OK;
}

/* Reads the f32 rows (as stored on the wire: little endian) into tmp, each checked. */
static arag_status load_f32_rows(arag_index *ix, arag_index *tmp, arag_reader *r) {
  const int little = arag_host_little_endian();
  uint32_t dim = tmp->dim;
  for (uint32_t s = 0; s < tmp->n_slots; s++) {
    float *row = tmp->rows_f + (size_t)s * tmp->stride_f;
    const uint8_t *p = arag_reader_view(r, (size_t)dim * 4);
    if (!p) return LOAD_CORRUPT("snapshot truncated in f32 rows");
    if (little) {
      memcpy(row, p, (size_t)dim * 4); /* the wire format */
    } else {
      for (uint32_t i = 0; i < dim; i++) {
        uint32_t u = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
                     (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
        memcpy(&row[i], &u, 4);
      }
    }
    if (!row_sound(row, dim, tmp->metric))
      return LOAD_CORRUPT("snapshot row %u has a non-finite value or norm", s);
    for (uint32_t i = dim; i < tmp->stride_f; i++) row[i] = 0;
  }
  return ARAG_OK;
}

/* Reads the int8 rows and their scales into tmp, each scale checked. */
static arag_status load_i8_rows(arag_index *ix, arag_index *tmp, arag_reader *r) {
  for (uint32_t s = 0; s < tmp->n_slots; s++) {
    float sc;
    int8_t *row = tmp->rows_q + (size_t)s * tmp->stride_q;
    if (!arag_reader_f32(r, &sc) || !arag_reader_bytes(r, row, tmp->dim))
      return LOAD_CORRUPT("snapshot truncated in int8 rows");
    if (!isfinite(sc) || sc < 0 || sc > 2.0e17f)
      return LOAD_CORRUPT("snapshot row %u has a bad scale", s);
    tmp->scales[s] = sc;
    memset(row + tmp->dim, 0, tmp->stride_q - tmp->dim);
  }
  return ARAG_OK;
}

/* Takes the restore's allocations from budget and makes them in tmp (an empty body of
 * hd's shape): the row storage, the id map and an arena of arena bytes. */
static arag_status load_alloc(arag_index *ix, arag_index *tmp, const body_header *hd, size_t arena,
                              arag_budget *budget) {
  size_t rows;
  if (!arag_size_mul(slot_bytes(tmp), hd->n_slots ? hd->n_slots : 1, &rows) ||
      !arag_budget_take(budget, rows) ||
      !arag_budget_take(budget, arag_id_map_bytes_for(hd->n_live)))
    return arag_err_set(&ix->err, ARAG_E_LIMIT,
                        "restoring the index rows takes more than max_restore_bytes %u",
                        ix->limits.max_restore_bytes);
  if (!arag_budget_take(budget, arena))
    return arag_err_set(&ix->err, ARAG_E_LIMIT,
                        "restoring the ids takes more than max_restore_bytes %u",
                        ix->limits.max_restore_bytes);
  if (!resize(tmp, hd->n_slots) || !arag_id_map_reserve(&tmp->map, hd->n_live) ||
      (arena && !(tmp->id_arena = malloc(arena))))
    return arag_err_set(&ix->err, ARAG_E_NOMEM, "out of memory restoring %u rows", hd->n_slots);
  tmp->id_arena_len = tmp->id_arena_live = arena;
  return ARAG_OK;
}

arag_status arag_index_load_body(arag_index *ix, arag_reader *r, arag_budget *budget) {
  body_header hd = {0};
  arag_status st = load_header(ix, r, &hd);
  if (st != ARAG_OK) return st;
  arag_index tmp;
  memset(&tmp, 0, sizeof tmp);
  tmp.limits = ix->limits;
  init_body(&tmp, hd.dim, (arag_dtype)hd.dtype, (arag_metric)hd.metric, (int)hd.keep);
  size_t arena = ids_arena_bytes(*r, hd.n_slots);
  st = load_alloc(ix, &tmp, &hd, arena, budget);
  if (st == ARAG_OK) st = load_ids(ix, &tmp, r, &hd, arena);
  if (st == ARAG_OK && uses_f32(&tmp)) st = load_f32_rows(ix, &tmp, r);
  if (st == ARAG_OK && uses_i8(&tmp)) st = load_i8_rows(ix, &tmp, r);
  if (st != ARAG_OK) {
    release(&tmp);
    return st;
  }
  /* Success: swap the new body in, keep the handle's limits, kernel and error. */
  release(ix);
  tmp.limits = ix->limits;
  tmp.kernel = ix->kernel;
  memcpy(&tmp.err, &ix->err, sizeof tmp.err);
  *ix = tmp;
  return ARAG_OK;
}

arag_status arag_index_restore(arag_index *ix, const uint8_t *bytes, size_t len) {
  if (!ix) return ARAG_E_INVALID;
  if (!bytes) return arag_err_set(&ix->err, ARAG_E_INVALID, "snapshot bytes are NULL");
  arag_reader r;
  if (len >= 8 && memcmp(bytes, SNAP_V1_MAGIC, 8) == 0) {
    uint32_t version = 0;
    arag_reader_init(&r, bytes + 8, len - 8);
    if (!arag_reader_u32(&r, &version))
      return arag_err_set(&ix->err, ARAG_E_CORRUPT, "snapshot truncated in its header");
    if (version != 1)
      return arag_err_set(&ix->err, ARAG_E_VERSION,
                          "index snapshot format version %u (this build reads 1 and %u)", version,
                          SNAP_VERSION);
    if (len < 8 + 4 + 24 + 8 || !arag_checksum_ok(bytes, len))
      return arag_err_set(&ix->err, ARAG_E_CORRUPT,
                          "index snapshot checksum mismatch (%zu bytes: truncated or altered)",
                          len);
    arag_reader_init(&r, bytes + 12, len - 12 - 8);
  } else {
    arag_error e;
    uint32_t version;
    arag_status st =
        arag_snap_open(bytes, len, ARAG_SNAP_INDEX, SNAP_VERSION, SNAP_VERSION, &version, &r, &e);
    if (st != ARAG_OK) return arag_err_set(&ix->err, st, "%s", arag_err_text(e.message));
  }
  arag_budget budget = {ix->limits.max_restore_bytes};
  arag_index tmp;
  memset(&tmp, 0, sizeof tmp);
  tmp.limits = ix->limits;
  arag_status st = arag_index_load_body(&tmp, &r, &budget);
  if (st == ARAG_OK && arag_reader_left(&r) != 0)
    st = arag_err_set(&tmp.err, ARAG_E_CORRUPT, "snapshot has %zu unexpected trailing bytes",
                      arag_reader_left(&r));
  if (st != ARAG_OK) {
    release(&tmp);
    memcpy(&ix->err, &tmp.err, sizeof ix->err);
    return st;
  }
  release(ix);
  tmp.kernel = ix->kernel;
  memcpy(&tmp.err, &ix->err, sizeof tmp.err);
  *ix = tmp;
  return ARAG_OK;
}

arag_status arag_index_borrow_rows(arag_index *ix, uint32_t n, char *const *ids,
                                   const uint32_t *id_lens, const uint32_t *id_hashes, void *rows,
                                   float *scales, uint32_t rows_checked, uint32_t scales_checked,
                                   char *arena, size_t arena_len, arag_budget *budget) {
  arag_status st = ARAG_OK;
  if (ix->n_slots || ix->cap || ix->keep_f32 || ix->metric != ARAG_COSINE)
    return arag_err_set(&ix->err, ARAG_E_STATE, "rows can only be lent to an empty index");
  if (n > ix->limits.max_rows)
    return arag_err_set(&ix->err, ARAG_E_LIMIT, "snapshot has %u rows, above max_rows %u", n,
                        ix->limits.max_rows);
  size_t c = n ? n : 1;
  if (!arag_budget_take(budget, c * (1 + sizeof(char *) + sizeof(uint32_t))) ||
      !arag_budget_take(budget, arag_id_map_bytes_for(n)))
    return arag_err_set(&ix->err, ARAG_E_LIMIT,
                        "restoring the index takes more than "
                        "max_restore_bytes %u",
                        ix->limits.max_restore_bytes);
  ix->deleted = calloc(c, 1);
  ix->ids = malloc(c * sizeof(char *));
  ix->id_lens = malloc(c * sizeof(uint32_t));
  if (!ix->deleted || !ix->ids || !ix->id_lens || !arag_id_map_reserve(&ix->map, n)) {
    st = arag_err_set(&ix->err, ARAG_E_NOMEM, "out of memory restoring %u rows", n);
    goto fail;
  }
  for (uint32_t s = 0; s < n; s++) {
    if (!id_lens[s]) CORRUPT("snapshot row %u has an empty id", s);
    if (id_lens[s] > ix->limits.max_id_bytes) {
      st = arag_err_set(&ix->err, ARAG_E_LIMIT, "snapshot row %u has a %u-byte id, above %u", s,
                        id_lens[s], ix->limits.max_id_bytes);
      goto fail;
    }
    if (!arag_id_map_insert_new(&ix->map, ids[s], id_lens[s], id_hashes[s], s))
      CORRUPT("snapshot repeats the id \"%.*s\"", (int)(id_lens[s] > 64 ? 64 : id_lens[s]), ids[s]);
    ix->ids[s] = ids[s];
    ix->id_lens[s] = id_lens[s];
    ix->id_bytes += (size_t)id_lens[s] + 1;
  }
  /* The rows are used as they lie: each must be sound, its padding zero (those the
   * caller found so, as the bytes came, are not read again). */
  const uint32_t stride = uses_f32(ix) ? ix->stride_f : ix->stride_q;
  const size_t row_bytes = uses_f32(ix) ? (size_t)stride * 4 : stride;
  for (uint32_t s = 0; s < n; s++) {
    const uint8_t *row = (const uint8_t *)rows + (size_t)s * row_bytes;
    if (uses_i8(ix) && s >= scales_checked && !arag_index_scale_usable(scales[s]))
      CORRUPT("snapshot row %u has a bad scale", s);
    if (s < rows_checked || arag_index_row_usable(ix->dtype, ix->dim, stride, row)) continue;
    if (uses_f32(ix) && !row_sound((const float *)(const void *)row, ix->dim, ix->metric))
      CORRUPT("snapshot row %u has a non-finite value or norm", s);
    CORRUPT("snapshot row %u has non-zero padding", s);
  }
  if (uses_f32(ix))
    ix->rows_f = (float *)rows;
  else {
    ix->rows_q = (int8_t *)rows;
    ix->scales = scales;
  }
  ix->rows_borrowed = 1;
  ix->id_arena = arena;
  ix->id_arena_len = arena_len;
  ix->id_arena_live = ix->id_bytes;
  ix->id_arena_owned = 0;
  ix->cap = ix->n_slots = ix->n_live = n;
  return ARAG_OK;
fail:
  free(ix->deleted);
  free(ix->ids);
  free(ix->id_lens);
  ix->deleted = NULL;
  ix->ids = NULL;
  ix->id_lens = NULL;
  ix->id_bytes = 0;
  arag_id_map_free(&ix->map);
  return st;
}
