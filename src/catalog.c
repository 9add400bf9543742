/* Catalog: items with metadata, an id map and a cosine f32 index over item vectors. */
#include "embed.h"
#include "errbuf.h"
#include "id_map.h"
#include "index_private.h"
#include "item.h"
#include "model.h"
#include "term_df.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct arag_catalog {
  uint32_t dim;
  arag_limits lim;
  arag_index *ix;
  arag_id_map map;         /* id -> arag_item* (owned) */
  arag_term_df terms;      /* title terms */
  arag_term_df text_terms; /* whole-text terms */
  arag_errbuf err;
};

static arag_status set_err(arag_catalog *cat, arag_status st, const char *fmt, ...)
    ARAG_PRINTF(3, 4);
static arag_status set_err(arag_catalog *cat, arag_status st, const char *fmt, ...) {
  char msg[ARAG_ERRBUF_SIZE];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  return arag_err_set(&cat->err, st, "%s", msg);
}

static void item_free(arag_item *it) {
  if (!it) return;
  arag_item_clear(it);
  free(it);
}

arag_status arag_catalog_create(uint32_t dim, const arag_limits *limits, arag_catalog **out) {
  return arag_catalog_create_dtype(dim, ARAG_F32, limits, out);
}

arag_status arag_catalog_create_dtype(uint32_t dim, arag_dtype dtype, const arag_limits *limits,
                                      arag_catalog **out) {
  if (!out) return ARAG_E_INVALID;
  *out = NULL;
  arag_catalog *cat = (arag_catalog *)calloc(1, sizeof(*cat));
  if (!cat) return ARAG_E_NOMEM;
  cat->dim = dim;
  cat->text_terms.whole_text = 1;
  arag_status st = arag_item_index_create(dim, dtype, limits, &cat->lim, &cat->ix);
  if (st != ARAG_OK) {
    free(cat);
    return st;
  }
  *out = cat;
  return ARAG_OK;
}

void arag_catalog_free(arag_catalog *cat) {
  if (!cat) return;
  for (uint32_t i = 0; i < cat->map.cap; i++)
    if (cat->map.e[i].key) item_free((arag_item *)cat->map.e[i].v.ptr);
  arag_id_map_free(&cat->map);
  arag_term_df_free(&cat->terms);
  arag_term_df_free(&cat->text_terms);
  arag_index_free(cat->ix);
  free(cat);
}

const char *arag_catalog_last_error(const arag_catalog *cat) {
  return cat ? cat->err.msg : "NULL catalog";
}

/* A batch is applied item by item as it is parsed, so that each item's vector goes
 * into the index (its only copy) and is freed at once: loading a catalog never
 * holds a second copy of every vector. What it replaced is kept until the batch
 * commits, to roll back to on any error. */
typedef struct batch {
  arag_catalog *cat;
  arag_item **items; /* applied, in order */
  arag_item **undo;  /* per item: the item it replaced, or NULL for a new id */
  size_t n, cap;
  uint8_t *undo_rows; /* the index rows of the replaced items (n_saved of them), stored form */
  size_t n_saved, cap_rows;
} batch;

static int batch_grow(batch *b, int replaces) {
  if (b->n == b->cap) {
    size_t cap = b->cap ? 2 * b->cap : 64;
    arag_item **items = (arag_item **)realloc(b->items, cap * sizeof(*items));
    if (items) b->items = items;
    arag_item **undo = items ? (arag_item **)realloc(b->undo, cap * sizeof(*undo)) : NULL;
    if (!undo) return 0;
    b->undo = undo;
    b->cap = cap;
  }
  if (replaces && b->n_saved == b->cap_rows) {
    size_t cap = b->cap_rows ? 2 * b->cap_rows : 4;
    uint8_t *rows = (uint8_t *)realloc(b->undo_rows, cap * arag_index_row_bytes(b->cat->ix));
    if (!rows) return 0;
    b->undo_rows = rows;
    b->cap_rows = cap;
  }
  return 1;
}

static arag_status batch_add(void *user, const cJSON *obj, char *err, size_t err_len) {
  batch *b = (batch *)user;
  arag_catalog *cat = b->cat;
  arag_item *it = (arag_item *)malloc(sizeof(*it));
  if (!it) {
    snprintf(err, err_len, "out of memory");
    return ARAG_E_NOMEM;
  }
  arag_status st = arag_item_parse(obj, &cat->lim, cat->dim, 1, it, err, err_len);
  if (st != ARAG_OK) {
    free(it);
    return st;
  }
  int replaces = arag_id_map_get(&cat->map, it->id, it->id_len) != NULL;
  if (!replaces && cat->map.n >= cat->lim.max_rows) {
    snprintf(err, err_len, "the catalog is full: max_rows %u items", cat->lim.max_rows);
    st = ARAG_E_LIMIT;
  } else if (!batch_grow(b, replaces) || !arag_id_map_reserve(&cat->map, cat->map.n + 1)) {
    snprintf(err, err_len, "out of memory");
    st = ARAG_E_NOMEM;
  } else {
    size_t row_bytes = arag_index_row_bytes(cat->ix);
    if (replaces)
      arag_index_row_save(cat->ix, it->id, it->id_len, b->undo_rows + b->n_saved * row_bytes);
    st = arag_index_add(cat->ix, it->id, it->id_len, it->vec, cat->dim);
    if (st == ARAG_E_LIMIT && arag_index_compact(cat->ix) == ARAG_OK)
      st = arag_index_add(cat->ix, it->id, it->id_len, it->vec, cat->dim); /* deleted rows freed */
    if (st != ARAG_OK) snprintf(err, err_len, "index: %s", arag_index_last_error(cat->ix));
  }
  if (st != ARAG_OK) {
    item_free(it);
    return st;
  }
  b->n_saved += (size_t)replaces;
  free(it->vec);
  it->vec = NULL;
  b->items[b->n] = it;
  arag_id_map_put(&cat->map, it->id, (uint32_t)it->id_len, it, (void **)&b->undo[b->n]);
  b->n++;
  return ARAG_OK;
}

/* Undoes the applied items in reverse order: replaced items come back with their
 * index rows bit for bit, new ones go. Then frees the batch's items. */
static void batch_roll_back(batch *b) {
  arag_catalog *cat = b->cat;
  for (size_t i = b->n; i-- > 0;) {
    arag_item *it = b->items[i], *old = b->undo[i];
    if (old) {
      b->n_saved--;
      arag_index_row_load(cat->ix, old->id, old->id_len,
                          b->undo_rows + b->n_saved * arag_index_row_bytes(cat->ix));
      arag_id_map_put(&cat->map, old->id, (uint32_t)old->id_len, old, NULL);
    } else {
      arag_index_unadd(cat->ix, it->id, it->id_len);
      arag_id_map_remove(&cat->map, it->id, it->id_len);
    }
  }
  for (size_t i = 0; i < b->n; i++) item_free(b->items[i]);
}

static void batch_free(batch *b) {
  free(b->items);
  free(b->undo);
  free(b->undo_rows);
}

/* Room in a term table for every term of the batch it does not hold yet
 * (counted exactly through a scratch table, so a big batch of known words does
 * not inflate the table). */
static int reserve_terms(arag_term_df *t, const batch *b) {
  arag_term_df fresh = {0};
  int ok = 1;
  for (size_t i = 0; i < b->n && ok; i++) {
    uint64_t keys[ARAG_TEXT_TERM_MAX];
    uint32_t m = arag_term_df_terms(t, b->items[i], keys, NULL);
    for (uint32_t k = 0; k < m && ok; k++) {
      if (arag_term_df_get(t, keys[k]) || arag_term_df_get(&fresh, keys[k])) continue;
      ok = arag_term_df_reserve(&fresh, 1);
      if (ok) arag_term_df_bump(&fresh, keys[k]);
    }
  }
  ok = ok && arag_term_df_reserve(t, fresh.used);
  arag_term_df_free(&fresh);
  return ok;
}

arag_status arag_catalog_add_json(arag_catalog *cat, const char *json, size_t len) {
  if (!cat) return ARAG_E_INVALID;
  batch b = {cat, NULL, NULL, 0, 0, NULL, 0, 0};
  char msg[ARAG_ERRBUF_SIZE];
  arag_status st = arag_json_each(json, len, batch_add, &b, msg, sizeof(msg));
  if (st == ARAG_OK && (!reserve_terms(&cat->terms, &b) || !reserve_terms(&cat->text_terms, &b))) {
    st = ARAG_E_NOMEM;
    snprintf(msg, sizeof msg, "out of memory");
  }
  if (st != ARAG_OK) {
    batch_roll_back(&b);
    batch_free(&b);
    return set_err(cat, st, "%s", msg);
  }
  for (size_t i = 0; i < b.n; i++) {
    if (b.undo[i]) {
      arag_term_df_count(&cat->terms, b.undo[i], -1);
      arag_term_df_count(&cat->text_terms, b.undo[i], -1);
    }
    arag_term_df_count(&cat->terms, b.items[i], +1);
    arag_term_df_count(&cat->text_terms, b.items[i], +1);
    item_free(b.undo[i]);
  }
  batch_free(&b);
  return ARAG_OK;
}

arag_status arag_catalog_remove(arag_catalog *cat, const char *id, size_t id_len) {
  if (!cat) return ARAG_E_INVALID;
  if (!id || id_len == 0) return set_err(cat, ARAG_E_INVALID, "empty id");
  arag_item *it = (arag_item *)arag_id_map_get(&cat->map, id, id_len);
  if (!it)
    return set_err(cat, ARAG_E_NOT_FOUND, "no item with id \"%.*s\"",
                   (int)(id_len > 64 ? 64 : id_len), id);
  arag_status st = arag_index_remove(cat->ix, id, id_len);
  if (st != ARAG_OK) return set_err(cat, st, "index: %s", arag_index_last_error(cat->ix));
  arag_id_map_remove(&cat->map, id, id_len);
  arag_term_df_count(&cat->terms, it, -1);
  arag_term_df_count(&cat->text_terms, it, -1);
  item_free(it);
  return ARAG_OK;
}

uint32_t arag_catalog_count(const arag_catalog *cat) { return cat ? cat->map.n : 0; }

arag_index *arag_catalog_index(arag_catalog *cat) { return cat ? cat->ix : NULL; }

const arag_item *arag_catalog_find(const arag_catalog *cat, const char *id, size_t id_len) {
  if (!cat || !id) return NULL;
  return (const arag_item *)arag_id_map_get(&cat->map, id, id_len);
}

uint32_t arag_catalog_dim(const arag_catalog *cat) { return cat ? cat->dim : 0; }

const arag_term_df *arag_catalog_terms(const arag_catalog *cat) { return cat ? &cat->terms : NULL; }

const arag_term_df *arag_catalog_text_terms(const arag_catalog *cat) {
  return cat ? &cat->text_terms : NULL;
}

arag_status arag_catalog_vector(const arag_catalog *cat, const arag_item *it, float *out) {
  uint32_t slot;
  if (!cat || !it || !out) return ARAG_E_INVALID;
  arag_status st = arag_index_slot(cat->ix, it->id, it->id_len, &slot);
  return st == ARAG_OK ? arag_index_vector(cat->ix, slot, out, cat->dim) : st;
}

arag_status arag_catalog_item_copy(const arag_catalog *cat, const arag_item *it, arag_item *dst) {
  if (!cat || !it || !dst) return ARAG_E_INVALID;
  arag_status st = arag_item_copy(dst, it, cat->dim);
  if (st != ARAG_OK) return st;
  free(dst->vec); /* NULL for items held by a catalog */
  dst->vec = (float *)malloc((size_t)cat->dim * sizeof(float));
  st = dst->vec ? arag_catalog_vector(cat, it, dst->vec) : ARAG_E_NOMEM;
  if (st != ARAG_OK) arag_item_clear(dst);
  return st;
}

const arag_item *arag_catalog_item_at(const arag_catalog *cat, uint32_t slot) {
  if (!cat) return NULL;
  size_t len = 0;
  const char *id = arag_index_id(cat->ix, slot, &len);
  return id ? arag_catalog_find(cat, id, len) : NULL;
}
