/* Catalog: items with metadata, an id map and a cosine f32 index over item vectors. */
#include "embed.h"
#include "errbuf.h"
#include "id_map.h"
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
  arag_id_map map; /* id -> arag_item* (owned) */
  arag_term_df terms;
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
  if (!out) return ARAG_E_INVALID;
  *out = NULL;
  arag_catalog *cat = (arag_catalog *)calloc(1, sizeof(*cat));
  if (!cat) return ARAG_E_NOMEM;
  cat->dim = dim;
  arag_status st = arag_item_index_create(dim, limits, &cat->lim, &cat->ix);
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
  arag_index_free(cat->ix);
  free(cat);
}

const char *arag_catalog_last_error(const arag_catalog *cat) {
  return cat ? cat->err.msg : "NULL catalog";
}

typedef struct batch {
  arag_catalog *cat;
  arag_item **items;
  size_t n, cap;
} batch;

static arag_status batch_add(void *user, const cJSON *obj, char *err, size_t err_len) {
  batch *b = (batch *)user;
  if (b->n >= b->cat->lim.max_rows) {
    snprintf(err, err_len, "more than max_rows (%u) items in one batch", b->cat->lim.max_rows);
    return ARAG_E_LIMIT;
  }
  if (b->n == b->cap) {
    size_t cap = b->cap ? 2 * b->cap : 64;
    arag_item **items = (arag_item **)realloc(b->items, cap * sizeof(*items));
    if (!items) {
      snprintf(err, err_len, "out of memory");
      return ARAG_E_NOMEM;
    }
    b->items = items;
    b->cap = cap;
  }
  arag_item *it = (arag_item *)malloc(sizeof(*it));
  if (!it) {
    snprintf(err, err_len, "out of memory");
    return ARAG_E_NOMEM;
  }
  arag_status st = arag_item_parse(obj, &b->cat->lim, b->cat->dim, 1, it, err, err_len);
  if (st != ARAG_OK) {
    free(it);
    return st;
  }
  b->items[b->n++] = it;
  return ARAG_OK;
}

static void batch_free(batch *b, size_t from) {
  for (size_t i = from; i < b->n; i++) item_free(b->items[i]);
  free(b->items);
}

/* Room in the term table for every title term of the batch it does not hold yet
 * (counted exactly through a scratch table, so a big batch of known words does
 * not inflate the table). */
static int reserve_terms(arag_term_df *t, const batch *b) {
  arag_term_df fresh = {0};
  int ok = 1;
  for (size_t i = 0; i < b->n && ok; i++) {
    uint64_t keys[ARAG_TERM_MAX];
    uint32_t m = arag_title_terms(b->items[i], keys);
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
  batch b = {cat, NULL, 0, 0};
  char msg[ARAG_ERRBUF_SIZE];
  arag_status st = arag_json_each(json, len, batch_add, &b, msg, sizeof(msg));
  if (st != ARAG_OK) {
    batch_free(&b, 0);
    return set_err(cat, st, "%s", msg);
  }
  /* Distinct new ids (a batch may repeat an id: the later element wins). */
  arag_id_map seen = {0};
  size_t n_new = 0;
  if (b.n > UINT32_MAX || !arag_id_map_reserve(&seen, (uint32_t)b.n)) {
    batch_free(&b, 0);
    return set_err(cat, ARAG_E_NOMEM, "out of memory");
  }
  for (size_t i = 0; i < b.n; i++) {
    const arag_item *it = b.items[i];
    if (arag_id_map_get(&cat->map, it->id, it->id_len)) continue;
    void *old = NULL;
    arag_id_map_put(&seen, it->id, (uint32_t)it->id_len, b.items[i], &old);
    if (!old) n_new++;
  }
  arag_id_map_free(&seen);
  if (cat->map.n + n_new > cat->lim.max_rows) {
    batch_free(&b, 0);
    return set_err(cat, ARAG_E_LIMIT, "catalog would hold %zu items, over max_rows %u",
                   cat->map.n + n_new, cat->lim.max_rows);
  }
  arag_item **undo = (arag_item **)calloc(b.n ? b.n : 1, sizeof(*undo));
  if (!undo || !arag_id_map_reserve(&cat->map, (uint32_t)(cat->map.n + n_new)) ||
      !reserve_terms(&cat->terms, &b)) {
    free(undo);
    batch_free(&b, 0);
    return set_err(cat, ARAG_E_NOMEM, "out of memory");
  }
  size_t applied = 0;
  for (; applied < b.n; applied++) {
    arag_item *it = b.items[applied];
    st = arag_index_add(cat->ix, it->id, it->id_len, it->vec, cat->dim);
    if (st == ARAG_E_LIMIT && arag_index_compact(cat->ix) == ARAG_OK)
      st = arag_index_add(cat->ix, it->id, it->id_len, it->vec, cat->dim); /* deleted rows freed */
    if (st != ARAG_OK) break;
    arag_id_map_put(&cat->map, it->id, (uint32_t)it->id_len, it, (void **)&undo[applied]);
  }
  if (st != ARAG_OK) {
    /* Roll back in reverse order: restore replaced items, drop new ones. */
    set_err(cat, st, "item %zu of the batch: index: %s", applied, arag_index_last_error(cat->ix));
    for (size_t i = applied; i-- > 0;) {
      arag_item *it = b.items[i], *old = undo[i];
      if (old) {
        arag_index_add(cat->ix, old->id, old->id_len, old->vec, cat->dim);
        arag_id_map_put(&cat->map, old->id, (uint32_t)old->id_len, old, NULL);
      } else {
        arag_index_remove(cat->ix, it->id, it->id_len);
        arag_id_map_remove(&cat->map, it->id, it->id_len);
      }
    }
    free(undo);
    batch_free(&b, 0);
    return st;
  }
  for (size_t i = 0; i < b.n; i++) {
    if (undo[i]) arag_term_df_count(&cat->terms, undo[i], -1);
    arag_term_df_count(&cat->terms, b.items[i], +1);
    item_free(undo[i]);
  }
  free(undo);
  free(b.items);
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

const arag_item *arag_catalog_item_at(const arag_catalog *cat, uint32_t slot) {
  if (!cat) return NULL;
  size_t len = 0;
  const char *id = arag_index_id(cat->ix, slot, &len);
  return id ? arag_catalog_find(cat, id, len) : NULL;
}
