/* Catalog: items with metadata, an id map, a cosine index over item vectors (f32 or
 * int8), the word counts the offline reasoner weighs words by, and snapshots of all
 * of it. */
#include "brands.h"
#include "embed.h"
#include "errbuf.h"
#include "id_map.h"
#include "index_private.h"
#include "item.h"
#include "json_write.h"
#include "le.h"
#include "model.h"
#include "snapshot_io.h"
#include "term_df.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

struct arag_catalog {
  uint32_t dim;
  arag_limits lim;
  arag_index *ix;
  arag_id_map map;         /* id -> arag_item* (owned) */
  arag_term_df terms;      /* title terms */
  arag_term_df text_terms; /* whole-text terms */
  size_t item_bytes;       /* the items' structs and strings (arag_catalog_memory_bytes) */
  void *arena;             /* a restore's items and their lists, in one block */
  size_t arena_bytes;
  uint8_t *snap; /* the restored snapshot: its rows and text are used where they lie */
  size_t snap_bytes;
  char *item_json;    /* the last arag_catalog_item_json answer */
  arag_term_df leads; /* phrases titles start with (brands.h) */
  /* Restored and not changed since: the arena's items, item i in the index's slot i,
   * found through the index's id map (map is empty until the first change). */
  uint32_t arena_items;
  arag_error err;
};

static void item_free(arag_item *it) {
  if (!it || it->in_arena) return; /* the arena goes as a whole */
  arag_item_clear(it);
  free(it);
}

/* Bytes an item held by a catalog takes: its struct, strings and arrays (vec is NULL). */
static size_t item_bytes(const arag_item *it) {
  size_t b = sizeof *it + it->id_len + 1 + strlen(it->title) + 1 + strlen(it->text) + 1 +
             strlen(it->brand) + 1 + (it->group ? strlen(it->group) + 1 : 0);
  b += (size_t)it->n_categories * sizeof(char *);
  for (uint32_t c = 0; c < it->n_categories; c++) b += strlen(it->categories[c]) + 1;
  b += (size_t)it->n_related * (sizeof(char *) + sizeof(float));
  for (uint32_t r = 0; r < it->n_related; r++) b += strlen(it->related_ids[r]) + 1;
  return b;
}

static void items_free(arag_id_map *map) {
  for (uint32_t i = 0; i < map->cap; i++)
    if (map->e[i].key) item_free((arag_item *)map->e[i].v.ptr);
  arag_id_map_free(map);
}

arag_status arag_catalog_create(uint32_t dim, const arag_limits *limits, arag_catalog **out) {
  return arag_catalog_create_err(dim, ARAG_F32, limits, out, NULL);
}

arag_status arag_catalog_create_dtype(uint32_t dim, arag_dtype dtype, const arag_limits *limits,
                                      arag_catalog **out) {
  return arag_catalog_create_err(dim, dtype, limits, out, NULL);
}

arag_status arag_catalog_create_err(uint32_t dim, arag_dtype dtype, const arag_limits *limits,
                                    arag_catalog **out, arag_error *err) {
  arag_err_clear(err);
  if (!out) return arag_err_set(err, ARAG_E_INVALID, "out is NULL");
  *out = NULL;
  arag_catalog *cat = (arag_catalog *)calloc(1, sizeof(*cat));
  if (!cat) return arag_err_set(err, ARAG_E_NOMEM, "out of memory for a catalog");
  cat->dim = dim;
  cat->text_terms.whole_text = 1;
  cat->leads.lead_phrases = 1;
  arag_status st = arag_item_index_create(dim, dtype, limits, &cat->lim, &cat->ix, err);
  if (st != ARAG_OK) {
    free(cat);
    return st;
  }
  *out = cat;
  return ARAG_OK;
}

/* What a catalog holds (freed on free, replaced on restore): its items, index, arena,
 * snapshot bytes and word counts. */
static void contents_free(arag_catalog *cat) {
  items_free(&cat->map);
  arag_index_free(cat->ix); /* it borrows rows from the snapshot: freed before it */
  cat->ix = NULL;
  free(cat->arena);
  free(cat->snap);
  arag_term_df_free(&cat->terms);
  arag_term_df_free(&cat->text_terms);
  arag_term_df_free(&cat->leads);
}

void arag_catalog_free(arag_catalog *cat) {
  if (!cat) return;
  contents_free(cat);
  free(cat->item_json);
  free(cat);
}

const char *arag_catalog_last_error(const arag_catalog *cat) {
  return cat ? arag_err_msg(&cat->err) : ARAG_ERR_NULL_HANDLE;
}

/* A restored catalog's items go into its own id map before its first change (until
 * then the index's id map finds them). 0 when out of memory (nothing changed). */
static int own_map(arag_catalog *cat) {
  const uint32_t n = cat->arena_items;
  arag_item *items = (arag_item *)cat->arena;
  if (!n) return 1;
  if (!arag_id_map_reserve(&cat->map, n)) return 0;
  for (uint32_t i = 0; i < n; i++)
    arag_id_map_add_new(&cat->map, items[i].id, items[i].id_len,
                        arag_id_hash(items[i].id, items[i].id_len), &items[i]);
  cat->arena_items = 0;
  return 1;
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

static arag_status batch_add(void *user, const cJSON *obj, arag_error *err) {
  batch *b = (batch *)user;
  arag_catalog *cat = b->cat;
  arag_item *it = (arag_item *)malloc(sizeof(*it));
  if (!it) return arag_err_set(err, ARAG_E_NOMEM, "out of memory");
  arag_status st = arag_item_parse(obj, &cat->lim, cat->dim, 1, it, err);
  if (st != ARAG_OK) {
    free(it);
    return st;
  }
  int replaces = arag_id_map_get(&cat->map, it->id, it->id_len) != NULL;
  if (!replaces && cat->map.n >= cat->lim.max_rows) {
    st = arag_err_set(err, ARAG_E_LIMIT, "the catalog is full: max_rows %u items",
                      cat->lim.max_rows);
  } else if (!batch_grow(b, replaces) || !arag_id_map_reserve(&cat->map, cat->map.n + 1)) {
    st = arag_err_set(err, ARAG_E_NOMEM, "out of memory");
  } else {
    size_t row_bytes = arag_index_row_bytes(cat->ix);
    if (replaces)
      arag_index_row_save(cat->ix, it->id, it->id_len, b->undo_rows + b->n_saved * row_bytes);
    st = arag_index_add(cat->ix, it->id, it->id_len, it->vec, cat->dim);
    if (st == ARAG_E_LIMIT && arag_index_compact(cat->ix) == ARAG_OK)
      st = arag_index_add(cat->ix, it->id, it->id_len, it->vec, cat->dim); /* deleted rows freed */
    if (st != ARAG_OK)
      arag_err_set(err, st, "index: %s", arag_err_text(arag_index_last_error(cat->ix)));
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
  if (!own_map(cat)) return arag_err_set(&cat->err, ARAG_E_NOMEM, "out of memory");
  batch b = {cat, NULL, NULL, 0, 0, NULL, 0, 0};
  arag_error err;
  arag_status st = arag_json_each(json, len, batch_add, &b, &err);
  if (st == ARAG_OK && (!reserve_terms(&cat->terms, &b) || !reserve_terms(&cat->text_terms, &b) ||
                        !reserve_terms(&cat->leads, &b)))
    st = arag_err_set(&err, ARAG_E_NOMEM, "out of memory");
  if (st != ARAG_OK) {
    batch_roll_back(&b);
    batch_free(&b);
    return arag_err_set(&cat->err, st, "%s", arag_err_text(err.message));
  }
  for (size_t i = 0; i < b.n; i++) {
    if (b.undo[i]) {
      arag_term_df_count(&cat->terms, b.undo[i], -1);
      arag_term_df_count(&cat->text_terms, b.undo[i], -1);
      arag_term_df_count(&cat->leads, b.undo[i], -1);
      if (!b.undo[i]->in_arena) cat->item_bytes -= item_bytes(b.undo[i]);
    }
    arag_term_df_count(&cat->terms, b.items[i], +1);
    arag_term_df_count(&cat->text_terms, b.items[i], +1);
    arag_term_df_count(&cat->leads, b.items[i], +1);
    cat->item_bytes += item_bytes(b.items[i]);
    item_free(b.undo[i]);
  }
  batch_free(&b);
  return ARAG_OK;
}

arag_status arag_catalog_remove(arag_catalog *cat, const char *id, size_t id_len) {
  if (!cat) return ARAG_E_INVALID;
  if (!id || id_len == 0) return arag_err_set(&cat->err, ARAG_E_INVALID, "empty id");
  arag_item *it = (arag_item *)arag_catalog_find(cat, id, id_len);
  if (!it)
    return arag_err_set(&cat->err, ARAG_E_NOT_FOUND, "no item with id \"%.*s\"",
                        (int)(id_len > 64 ? 64 : id_len), id);
  /* What a restore read, not built: the id map and the word counts' tables. */
  if (!own_map(cat) || !arag_term_df_reserve(&cat->terms, 0) ||
      !arag_term_df_reserve(&cat->text_terms, 0) || !arag_term_df_reserve(&cat->leads, 0))
    return arag_err_set(&cat->err, ARAG_E_NOMEM, "out of memory");
  arag_status st = arag_index_remove(cat->ix, id, id_len);
  if (st != ARAG_OK)
    return arag_err_set(&cat->err, st, "index: %s", arag_err_text(arag_index_last_error(cat->ix)));
  arag_id_map_remove(&cat->map, id, id_len);
  arag_term_df_count(&cat->terms, it, -1);
  arag_term_df_count(&cat->text_terms, it, -1);
  arag_term_df_count(&cat->leads, it, -1);
  if (!it->in_arena) cat->item_bytes -= item_bytes(it);
  item_free(it);
  return ARAG_OK;
}

uint32_t arag_catalog_count(const arag_catalog *cat) {
  return cat ? (cat->arena_items ? cat->arena_items : cat->map.n) : 0;
}

const arag_index *arag_catalog_index(const arag_catalog *cat) { return cat ? cat->ix : NULL; }

size_t arag_catalog_memory_bytes(const arag_catalog *cat) {
  if (!cat) return 0;
  return sizeof *cat + arag_index_memory_bytes(cat->ix) + cat->item_bytes + cat->arena_bytes +
         cat->snap_bytes + arag_id_map_bytes(&cat->map) + arag_term_df_bytes(&cat->terms) +
         arag_term_df_bytes(&cat->text_terms) + arag_term_df_bytes(&cat->leads);
}

arag_status arag_catalog_item_json(arag_catalog *cat, const char *id, size_t id_len,
                                   const char **json, size_t *len) {
  if (!cat) return ARAG_E_INVALID;
  if (!json || !len) return arag_err_set(&cat->err, ARAG_E_INVALID, "json or len is NULL");
  *json = NULL;
  *len = 0;
  const arag_item *it = id && id_len ? arag_catalog_find(cat, id, id_len) : NULL;
  if (!it)
    return arag_err_set(&cat->err, id && id_len ? ARAG_E_NOT_FOUND : ARAG_E_INVALID,
                        "no item with id \"%.*s\"", (int)(id_len > 64 ? 64 : id_len), id ? id : "");
  arag_sb b;
  arag_sb_init(&b);
  int first = 1;
  arag_sb_append(&b, "{", 1);
  const char *keys[4] = {"id", "title", "text", "brand"};
  const char *vals[4] = {it->id, it->title, it->text, it->brand};
  for (int k = 0; k < 4; k++) {
    if (k >= 2 && !vals[k][0]) continue; /* absent: "" */
    arag_jw_key(&b, &first, keys[k]);
    arag_jw_string(&b, vals[k]);
  }
  if (it->n_categories) {
    arag_jw_key(&b, &first, "categories");
    for (uint32_t c = 0; c < it->n_categories; c++) {
      arag_sb_append(&b, c ? "," : "[", 1);
      arag_jw_string(&b, it->categories[c]);
    }
    arag_sb_append(&b, "]", 1);
  }
  const char *nkeys[2] = {"price", "popularity"};
  const double nvals[2] = {it->price, it->popularity};
  for (int k = 0; k < 2; k++) {
    if (isnan(nvals[k])) continue;
    arag_jw_key(&b, &first, nkeys[k]);
    arag_jw_number(&b, nvals[k]);
  }
  if (it->group && it->group[0]) {
    arag_jw_key(&b, &first, "group");
    arag_jw_string(&b, it->group);
  }
  if (it->repeat_purchase) {
    arag_jw_key(&b, &first, "repeat_purchase");
    arag_sb_append(&b, "true", 4);
  }
  if (it->n_related) {
    arag_jw_key(&b, &first, "related");
    for (uint32_t r = 0; r < it->n_related; r++) {
      arag_sb_append(&b, r ? "," : "{", 1);
      arag_jw_string(&b, it->related_ids[r]);
      arag_sb_append(&b, ":", 1);
      arag_jw_number(&b, it->related_w[r]);
    }
    arag_sb_append(&b, "}", 1);
  }
  arag_sb_append(&b, "}", 1);
  size_t n = 0;
  char *out = arag_sb_take(&b, &n);
  if (!out) return arag_err_set(&cat->err, ARAG_E_NOMEM, "out of memory writing an item");
  free(cat->item_json);
  cat->item_json = out;
  *json = out;
  *len = n;
  return ARAG_OK;
}

const arag_item *arag_catalog_find(const arag_catalog *cat, const char *id, size_t id_len) {
  if (!cat || !id) return NULL;
  uint32_t slot;
  if (cat->arena_items)
    return arag_index_slot(cat->ix, id, id_len, &slot) == ARAG_OK && slot < cat->arena_items
               ? (const arag_item *)cat->arena + slot
               : NULL;
  return (const arag_item *)arag_id_map_get(&cat->map, id, id_len);
}

uint32_t arag_catalog_dim(const arag_catalog *cat) { return cat ? cat->dim : 0; }

const arag_term_df *arag_catalog_terms(const arag_catalog *cat) { return cat ? &cat->terms : NULL; }

const arag_term_df *arag_catalog_text_terms(const arag_catalog *cat) {
  return cat ? &cat->text_terms : NULL;
}

const arag_brand_stats *arag_catalog_brand_stats(const arag_catalog *cat, arag_brand_stats *bs) {
  if (!cat) return NULL;
  bs->leads = &cat->leads;
  bs->titles = &cat->terms;
  return bs;
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
  if (cat->arena_items)
    return slot < cat->arena_items ? (const arag_item *)cat->arena + slot : NULL;
  size_t len = 0;
  const char *id = arag_index_id(cat->ix, slot, &len);
  return id ? arag_catalog_find(cat, id, len) : NULL;
}

/* ---- snapshot / restore --------------------------------------------------
 * The container of snapshot_io.h, kind "CATL", version 2, holding (little endian,
 * offsets from the start of the snapshot):
 *   32  u32 dim | u32 dtype | u32 n_items | u32 n_lists (categories + related, all items)
 *   48  u64 text_bytes | u32 stride (floats or bytes per row) | u32 0
 *   64  the rows, in slot order, as the index stores them: n_items rows of stride floats
 *       (normalized) or of stride int8 then n_items f32 scales; padding zero
 *       per item: u32 n_categories | u32 n_related | f64 price | f64 popularity (NaN:
 *         absent) | u32 flags (1: repeat_purchase; not in version 1)
 *       every related weight, f32, item after item
 *       the text: per item its id, title, text, brand, group (not in version 1),
 *         categories and related ids, each NUL-terminated (text_bytes in all)
 *       title word counts, then whole-text word counts (term_df.h)
 *       version 3: then the counts of the phrases titles start with (brands.h; a
 *         restore of version 1 or 2 counts them again from the titles)
 * A restore that is given the bytes to keep (arag_catalog_restore_take) uses the rows
 * and the text where they lie: nothing is parsed, embedded or copied again, and the
 * catalog takes little more than the snapshot's own bytes. */

#define SNAP_VERSION 3u
#define SNAP_ROWS 64u /* offset of the rows: 16-byte aligned for the SIMD kernels */
#define ITEM_RECORD 28u
#define ITEM_RECORD_V1 24u

static size_t item_text_bytes(const arag_item *it) {
  size_t b = it->id_len + 1 + strlen(it->title) + 1 + strlen(it->text) + 1 + strlen(it->brand) + 1 +
             (it->group ? strlen(it->group) : 0) + 1;
  for (uint32_t c = 0; c < it->n_categories; c++) b += strlen(it->categories[c]) + 1;
  for (uint32_t r = 0; r < it->n_related; r++) b += strlen(it->related_ids[r]) + 1;
  return b;
}

static void put_cstr(arag_writer *w, const char *s) { arag_writer_bytes(w, s, strlen(s) + 1); }

/* The rows in slot order, as the index stores them: f32 rows, or the int8 rows then
 * their scales (row: scratch of one row's stored form). */
static void write_rows(const arag_catalog *cat, arag_writer *w, arag_dtype dtype, uint32_t stride,
                       uint8_t *row) {
  const uint32_t n = arag_catalog_count(cat);
  for (int pass = 0; pass < (dtype == ARAG_I8 ? 2 : 1); pass++)
    for (uint32_t s = 0, seen = 0; seen < n; s++) {
      const arag_item *it = arag_catalog_item_at(cat, s);
      if (!it) continue;
      seen++;
      arag_index_row_save(cat->ix, it->id, it->id_len, row);
      if (dtype == ARAG_F32)
        for (uint32_t k = 0; k < stride; k++) arag_writer_f32(w, ((const float *)(void *)row)[k]);
      else if (pass == 0)
        arag_writer_bytes(w, row, stride);
      else
        arag_writer_f32(w, *(const float *)(void *)(row + stride));
    }
}

/* The items in slot order: their records, then every related weight, then the text. */
static void write_items(const arag_catalog *cat, arag_writer *w) {
  const uint32_t n = arag_catalog_count(cat);
  for (int pass = 0; pass < 3; pass++)
    for (uint32_t s = 0, seen = 0; seen < n; s++) {
      const arag_item *it = arag_catalog_item_at(cat, s);
      if (!it) continue;
      seen++;
      if (pass == 0) {
        arag_writer_u32(w, it->n_categories);
        arag_writer_u32(w, it->n_related);
        arag_writer_f64(w, it->price);
        arag_writer_f64(w, it->popularity);
        arag_writer_u32(w, it->repeat_purchase ? 1u : 0u);
      } else if (pass == 1) {
        for (uint32_t k = 0; k < it->n_related; k++) arag_writer_f32(w, it->related_w[k]);
      } else {
        put_cstr(w, it->id);
        put_cstr(w, it->title);
        put_cstr(w, it->text);
        put_cstr(w, it->brand);
        put_cstr(w, it->group ? it->group : "");
        for (uint32_t k = 0; k < it->n_categories; k++) put_cstr(w, it->categories[k]);
        for (uint32_t k = 0; k < it->n_related; k++) put_cstr(w, it->related_ids[k]);
      }
    }
}

arag_status arag_catalog_snapshot(const arag_catalog *cat, uint8_t **out, size_t *out_len) {
  if (!cat) return ARAG_E_INVALID;
  if (!out || !out_len) return ARAG_E_INVALID;
  *out = NULL;
  *out_len = 0;
  arag_dtype dtype;
  arag_metric metric;
  int keep;
  arag_index_shape(cat->ix, &dtype, &metric, &keep);
  const uint32_t n = arag_catalog_count(cat), stride = arag_index_stride(cat->ix);
  const size_t row_bytes = arag_index_row_bytes(cat->ix); /* f32 row, or int8 row and scale */
  size_t text = 0, lists = 0, rels = 0;
  for (uint32_t s = 0, seen = 0; seen < n; s++) {
    const arag_item *it = arag_catalog_item_at(cat, s);
    if (!it) continue;
    seen++;
    text += item_text_bytes(it);
    lists += it->n_categories + it->n_related;
    rels += it->n_related;
  }
  size_t est = SNAP_ROWS + (size_t)n * (row_bytes + ITEM_RECORD) + rels * 4 + text +
               arag_term_df_write_bytes(&cat->terms) + arag_term_df_write_bytes(&cat->text_terms) +
               arag_term_df_write_bytes(&cat->leads);
  uint8_t *row = (uint8_t *)malloc(row_bytes);
  arag_writer w;
  arag_writer_init(&w);
  if (!row || lists > UINT32_MAX || !arag_writer_reserve(&w, est)) {
    free(row);
    return ARAG_E_NOMEM;
  }
  arag_snap_begin(&w, ARAG_SNAP_CATALOG, SNAP_VERSION);
  arag_writer_u32(&w, cat->dim);
  arag_writer_u32(&w, (uint32_t)dtype);
  arag_writer_u32(&w, n);
  arag_writer_u32(&w, (uint32_t)lists);
  arag_writer_u64(&w, text);
  arag_writer_u32(&w, stride);
  arag_writer_u32(&w, 0);
  write_rows(cat, &w, dtype, stride, row); /* items in slot order: one per live slot */
  write_items(cat, &w);
  free(row);
  if (!arag_term_df_write(&cat->terms, &w) || !arag_term_df_write(&cat->text_terms, &w) ||
      !arag_term_df_write(&cat->leads, &w))
    w.failed = 1;
  arag_snap_end(&w);
  if (w.failed) {
    arag_writer_free(&w);
    return ARAG_E_NOMEM;
  }
  *out = arag_writer_take(&w, out_len);
  return ARAG_OK;
}

/* The text's strings one after another, their ends found 64 bytes at a time: a bit for
 * each NUL of a block, so that a string's end costs a bit scan, not a search of its
 * bytes (a restore finds the end of every string of the catalog). */
typedef struct str_scan {
  char *text;
  size_t len;
  size_t at;     /* where the next string starts */
  size_t block;  /* the offset of the 64 bytes mask covers */
  uint64_t mask; /* the NULs of the block at or after at, a bit each */
} str_scan;

/* Bit i set when p[i] is NUL, for i < n <= 64. */
static uint64_t nul_bits(const char *p, size_t n) {
  uint64_t m = 0;
#if defined(__wasm_simd128__)
  if (n == 64) {
    for (int k = 0; k < 4; k++)
      m |= (uint64_t)(uint32_t)wasm_i8x16_bitmask(
               wasm_i8x16_eq(wasm_v128_load(p + 16 * k), wasm_i8x16_splat(0)))
           << (16 * k);
    return m;
  }
#elif defined(__SSE2__)
  if (n == 64) {
    for (int k = 0; k < 4; k++)
      m |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(
               _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k)), _mm_setzero_si128()))
           << (16 * k);
    return m;
  }
#endif
  for (size_t i = 0; i < n; i++) m |= (uint64_t)(p[i] == 0) << i;
  return m;
}

static void str_scan_init(str_scan *sc, char *text, size_t len) {
  sc->text = text;
  sc->len = len;
  sc->at = sc->block = 0;
  sc->mask = nul_bits(text, len < 64 ? len : 64);
}

/* The next NUL-terminated string of the text, of at most max bytes (and at least one
 * with nonempty); NULL when it runs past the end, is empty or is too long (*over: the
 * last). */
static char *next_str(str_scan *sc, uint32_t max, int nonempty, uint32_t *len, int *over) {
  while (!sc->mask) {
    if (sc->len - sc->block <= 64) return NULL; /* no NUL left */
    sc->block += 64;
    size_t n = sc->len - sc->block;
    sc->mask = nul_bits(sc->text + sc->block, n < 64 ? n : 64);
  }
  size_t z = sc->block + (size_t)__builtin_ctzll(sc->mask), n = z - sc->at;
  char *s = sc->text + sc->at;
  if (n > max) *over = 1;
  if (n > max || (nonempty && n == 0)) return NULL;
  sc->mask &= sc->mask - 1;
  sc->at = z + 1;
  *len = (uint32_t)n;
  return s;
}

static int number_ok(double x) { return isnan(x) || isfinite(x); }

static void swap32(void *p, size_t n) {
  uint8_t *b = (uint8_t *)p;
  for (size_t i = 0; i < n; i++, b += 4) {
    uint8_t t = b[0];
    b[0] = b[3];
    b[3] = t;
    t = b[1];
    b[1] = b[2];
    b[2] = t;
  }
}

/* The row stride of dim values of dtype (floats or bytes: rows of 16 bytes; past
 * UINT32_MAX for the largest dims, which no stride field holds). */
static uint64_t stride_for(uint32_t dim, uint32_t dtype) {
  return dtype == ARAG_I8 ? ((uint64_t)dim + 15) / 16 * 16 : ((uint64_t)dim + 3) / 4 * 4;
}

/* A catalog snapshot's sections, found and checked before anything is allocated. */
typedef struct layout {
  uint32_t version, dim, dtype, n, lists, stride;
  uint64_t text_bytes, n_rel;
  uint8_t *rows;       /* n rows of the index's stride, where they lie */
  float *scales;       /* int8: n scales; else NULL */
  const uint8_t *recs; /* n item records */
  size_t recs_len;
  float *weights;                        /* n_rel related weights */
  char *text;                            /* text_bytes */
  arag_reader r;                         /* after the text: the word counts */
  uint32_t rows_checked, scales_checked; /* found usable as the bytes came */
} layout;

/* Opens the container and reads the header: dims, counts and where rows and records lie. */
static arag_status open_layout(arag_catalog *cat, uint8_t *bytes, size_t len,
                               const arag_snap_sum *sum, layout *L) {
  arag_error e;
  uint32_t zero = 0;
  arag_reader *r = &L->r;
  arag_status st = arag_snap_open_summed(bytes, len, ARAG_SNAP_CATALOG, 1, SNAP_VERSION, sum,
                                         &L->version, r, &e);
  if (st != ARAG_OK) return arag_err_set(&cat->err, st, "%s", arag_err_text(e.message));
  if (!arag_reader_u32(r, &L->dim) || !arag_reader_u32(r, &L->dtype) ||
      !arag_reader_u32(r, &L->n) || !arag_reader_u32(r, &L->lists) ||
      !arag_reader_u64(r, &L->text_bytes) || !arag_reader_u32(r, &L->stride) ||
      !arag_reader_u32(r, &zero))
    return arag_err_set(&cat->err, ARAG_E_CORRUPT, "catalog snapshot truncated in its header");
  uint32_t dim = L->dim, dtype = L->dtype, n = L->n;
  if (dim == 0 || (dtype != ARAG_F32 && dtype != ARAG_I8) || zero != 0 ||
      L->stride != stride_for(dim, dtype))
    return arag_err_set(&cat->err, ARAG_E_CORRUPT,
                        "catalog snapshot header is inconsistent (dim %u dtype %u)", dim, dtype);
  if (dim > cat->lim.max_dim)
    return arag_err_set(&cat->err, ARAG_E_LIMIT, "catalog snapshot dim %u is above max_dim %u", dim,
                        cat->lim.max_dim);
  if (n > cat->lim.max_rows)
    return arag_err_set(&cat->err, ARAG_E_LIMIT, "catalog snapshot has %u items, above max_rows %u",
                        n, cat->lim.max_rows);
  /* The sections, by their sizes (bounded by the bytes there are). */
  size_t row_size = dtype == ARAG_I8 ? L->stride : (size_t)L->stride * 4, rows_len;
  const size_t record = L->version >= 2 ? ITEM_RECORD : ITEM_RECORD_V1;
  if (!arag_size_mul(row_size + (dtype == ARAG_I8 ? 4 : 0), n, &rows_len) ||
      !arag_size_mul(record, n, &L->recs_len) || rows_len > arag_reader_left(r))
    return arag_err_set(&cat->err, ARAG_E_CORRUPT, "catalog snapshot truncated in its rows");
  L->rows = (uint8_t *)arag_reader_view(r, (size_t)n * row_size);
  L->scales = (float *)(void *)arag_reader_view(r, dtype == ARAG_I8 ? (size_t)n * 4 : 0);
  L->recs = arag_reader_view(r, L->recs_len);
  if (!L->recs)
    return arag_err_set(&cat->err, ARAG_E_CORRUPT, "catalog snapshot truncated in its items");
  return ARAG_OK;
}

static double le_f64(const uint8_t *b) {
  uint64_t u = arag_le64(b);
  double x;
  memcpy(&x, &u, 8);
  return x;
}

/* Reads item record i into it's counts, numbers and flags (the records' bytes were
 * found whole by open_layout: read in place). */
static void read_record(const layout *L, uint32_t i, arag_item *it, uint32_t *flags) {
  const uint8_t *b = L->recs + (size_t)i * (L->version >= 2 ? ITEM_RECORD : ITEM_RECORD_V1);
  it->n_categories = arag_le32(b);
  it->n_related = arag_le32(b + 4);
  it->price = le_f64(b + 8);
  it->popularity = le_f64(b + 16);
  *flags = L->version >= 2 ? arag_le32(b + 24) : 0;
}

/* Checks the item records (counts, numbers, flags), then finds the weights and the text
 * after them (turned little endian in place on other hosts) and checks the weights. */
static arag_status check_records(arag_catalog *cat, layout *L) {
  uint64_t n_lists = 0;
  L->n_rel = 0;
  for (uint32_t i = 0; i < L->n; i++) {
    arag_item it;
    uint32_t flags;
    read_record(L, i, &it, &flags);
    if (flags > 1)
      return arag_err_set(&cat->err, ARAG_E_CORRUPT,
                          "catalog snapshot item %u has unknown flags %u", i, flags);
    if (it.n_categories > ARAG_ITEM_MAX_CATEGORIES || it.n_related > ARAG_ITEM_MAX_RELATED)
      return arag_err_set(&cat->err, ARAG_E_CORRUPT,
                          "catalog snapshot item %u has %u categories and %u "
                          "related items",
                          i, it.n_categories, it.n_related);
    if (!number_ok(it.price) || !number_ok(it.popularity))
      return arag_err_set(&cat->err, ARAG_E_CORRUPT,
                          "catalog snapshot item %u has an infinite number", i);
    L->n_rel += it.n_related;
    n_lists += (uint64_t)it.n_categories + it.n_related;
  }
  if (n_lists != L->lists)
    return arag_err_set(&cat->err, ARAG_E_CORRUPT,
                        "catalog snapshot list count %u does not match its items", L->lists);
  L->weights = (float *)(void *)arag_reader_view(&L->r, (size_t)L->n_rel * 4);
  if (!L->weights || L->text_bytes > arag_reader_left(&L->r))
    return arag_err_set(&cat->err, ARAG_E_CORRUPT, "catalog snapshot truncated in its text");
  L->text = (char *)arag_reader_view(&L->r, (size_t)L->text_bytes);
  if (!arag_host_little_endian()) { /* the wire is little endian: turn it around in place */
    if (L->dtype == ARAG_F32) swap32(L->rows, (size_t)L->n * L->stride);
    if (L->scales) swap32(L->scales, L->n);
    swap32(L->weights, (size_t)L->n_rel);
  }
  for (uint64_t k = 0; k < L->n_rel; k++)
    if (!isfinite(L->weights[k]) || !(L->weights[k] >= 0.0f))
      return arag_err_set(&cat->err, ARAG_E_CORRUPT, "catalog snapshot has a bad related weight");
  return ARAG_OK;
}

/* What a restore builds before it swaps it in (freed whole on failure). */
typedef struct restored {
  arag_index *ix;
  arag_term_df terms, text_terms, leads;
  arag_item *items; /* the arena: n items, then every list */
  size_t arena;
  char **ids;
  uint32_t *id_lens, *id_hashes; /* per item: its id, for the index's id map */
} restored;

static void restored_free(restored *R) {
  arag_term_df_free(&R->terms);
  arag_term_df_free(&R->text_terms);
  arag_term_df_free(&R->leads);
  arag_index_free(R->ix);
  free(R->items);
  free(R->ids);
  free(R->id_lens);
  free(R->id_hashes);
}

/* The next string of an item's text, or NULL (*over when it is past its limit). */
#define NEXT(max, nonempty, lenp) next_str(&sc, (max), (nonempty), (lenp), &over)

/* The items, their strings where they lie in the text. */
static arag_status build_items(arag_catalog *cat, const layout *L, restored *R) {
  char **list = (char **)(R->items + L->n);
  str_scan sc;
  str_scan_init(&sc, L->text, (size_t)L->text_bytes);
  float *w = L->weights;
  const uint32_t max_id = cat->lim.max_id_bytes, max_text = cat->lim.max_text_bytes;
  for (uint32_t i = 0; i < L->n; i++) {
    arag_item *it = &R->items[i];
    uint32_t l = 0, t = 0, flags;
    int over = 0, ok;
    read_record(L, i, it, &flags);
    it->repeat_purchase = (uint8_t)(flags & 1u);
    it->group = NULL;
    it->vec = NULL;
    it->in_arena = 1;
    it->title_brand_len = 0;
    it->title_brand_known = 0;
    ok = (it->id = NEXT(max_id, 1, &it->id_len)) && (it->title = NEXT(max_text, 0, &l)) &&
         (it->text = NEXT(max_text, 0, &l)) && (it->brand = NEXT(max_text, 0, &l)) &&
         (L->version < 2 || (it->group = NEXT(max_text, 0, &l)));
    it->categories = it->n_categories ? list : NULL;
    for (t = 0; ok && t < it->n_categories; t++) ok = (*list++ = NEXT(max_text, 0, &l)) != NULL;
    it->related_ids = it->n_related ? list : NULL;
    it->related_w = it->n_related ? w : NULL;
    w += it->n_related;
    for (t = 0; ok && t < it->n_related; t++) ok = (*list++ = NEXT(max_id, 1, &l)) != NULL;
    if (!ok && over)
      return arag_err_set(&cat->err, ARAG_E_LIMIT,
                          "catalog snapshot item %u has an id or text past max_id_bytes %u or "
                          "max_text_bytes %u",
                          i, max_id, max_text);
    if (!ok)
      return arag_err_set(&cat->err, ARAG_E_CORRUPT,
                          "catalog snapshot: the text of item %u runs out, is not "
                          "NUL-terminated, or has an empty id",
                          i);
    R->ids[i] = it->id;
    R->id_lens[i] = it->id_len;
    R->id_hashes[i] = arag_id_hash(it->id, it->id_len);
  }
  if (sc.at != sc.len)
    return arag_err_set(&cat->err, ARAG_E_CORRUPT, "catalog snapshot has text past its last item");
  return ARAG_OK;
}
#undef NEXT

/* The phrases titles start with, counted again from the titles (versions 1 and 2 do not
 * keep them: a few hashes per title). */
static arag_status count_leads(arag_catalog *cat, const layout *L, restored *R,
                               arag_budget *budget) {
  for (uint32_t i = 0; i < L->n; i++) {
    if (!arag_term_df_reserve(&R->leads, 2 * ARAG_BRAND_LEVELS))
      return arag_err_set(&cat->err, ARAG_E_NOMEM, "out of memory restoring the catalog");
    arag_term_df_count(&R->leads, &R->items[i], +1);
  }
  if (!arag_budget_take(budget, arag_term_df_bytes(&R->leads)))
    return arag_err_set(&cat->err, ARAG_E_LIMIT,
                        "restoring the catalog takes more than max_restore_bytes %u",
                        cat->lim.max_restore_bytes);
  return ARAG_OK;
}

/* The index on the rows where they lie (it refuses repeated ids and bad rows; its id map
 * finds the items too until the catalog first changes) and the word counts read where
 * they lie (the title-start phrases too from version 3; counted again before). */
static arag_status build_tables(arag_catalog *cat, layout *L, restored *R, arag_budget *budget) {
  arag_error e;
  arag_status st =
      arag_index_create_err(L->dim, (arag_dtype)L->dtype, ARAG_COSINE, 0, &cat->lim, &R->ix, &e);
  if (st != ARAG_OK)
    return arag_err_set(&cat->err, st, "catalog snapshot: %s", arag_err_text(e.message));
  st = arag_index_borrow_rows(R->ix, L->n, R->ids, R->id_lens, R->id_hashes, L->rows, L->scales,
                              L->rows_checked, L->scales_checked, L->text, L->text_bytes, budget);
  if (st != ARAG_OK)
    return arag_err_set(&cat->err, st, "catalog snapshot: %s",
                        arag_err_text(arag_index_last_error(R->ix)));
  st = arag_term_df_read(&R->terms, &L->r, L->n, budget, &e);
  if (st == ARAG_OK) st = arag_term_df_read(&R->text_terms, &L->r, L->n, budget, &e);
  if (st == ARAG_OK && L->version >= 3) st = arag_term_df_read(&R->leads, &L->r, L->n, budget, &e);
  if (st != ARAG_OK) return arag_err_set(&cat->err, st, "%s", arag_err_text(e.message));
  if (arag_reader_left(&L->r) != 0)
    return arag_err_set(&cat->err, ARAG_E_CORRUPT,
                        "catalog snapshot has %zu unexpected trailing bytes",
                        arag_reader_left(&L->r));
  return L->version >= 3 ? ARAG_OK : count_leads(cat, L, R, budget);
}

/* Swaps the restored contents in; the catalog keeps its limits and error buffer, and
 * now the bytes. */
static void swap_in(arag_catalog *cat, const layout *L, restored *R, uint8_t *bytes, size_t len) {
  free(R->ids);
  free(R->id_lens);
  free(R->id_hashes);
  contents_free(cat);
  cat->dim = L->dim;
  cat->ix = R->ix;
  cat->arena_items = L->n; /* found through the index's id map: the catalog's is empty */
  cat->terms = R->terms;
  cat->text_terms = R->text_terms;
  cat->leads = R->leads;
  cat->arena = R->items;
  cat->arena_bytes = R->arena;
  cat->snap = bytes;
  cat->snap_bytes = len;
  cat->item_bytes = 0;
}

#if defined(__wasm__)
/* What a restore allocates for its word counts: the directories of the (version 3:
 * three) tables behind the reader, by their word counts (term_df.h; cut short at bytes
 * that run out). */
static size_t word_table_bytes(arag_reader r, uint32_t version) {
  size_t b = 0;
  for (uint32_t t = 0; t < (version >= 3 ? 3u : 2u); t++) {
    uint32_t docs = 0, m = 0;
    if (!arag_reader_u32(&r, &docs) || !arag_reader_u32(&r, &m) ||
        !arag_reader_view(&r, (size_t)m * 12))
      break;
    b += arag_term_df_read_bytes(m);
  }
  return b;
}

#endif

/* Makes room at once for what a restore of L allocates besides the arena: a wasm module's
 * memory grows in steps that cost milliseconds each (a 100,000-item restore in a fresh
 * module grew three times). One block of their size, freed at once: the allocator grows
 * the memory once, or not at all when it has that room free, and carves the tables out
 * of it; never more than the restore's budget has left (the word counts are not checked
 * yet). Natively there is nothing to gain. */
static void make_room(const layout *L, size_t arena, const arag_budget *budget) {
#if defined(__wasm__)
  const size_t n = L->n;
  size_t need =
      arena + n * 12 + arag_id_map_bytes_for(L->n) + n * 9 + word_table_bytes(L->r, L->version);
  need += need / 16 + 4096;
  void *volatile block = malloc(need < budget->left ? need : budget->left);
  free(block);
#else
  (void)L;
  (void)arena;
  (void)budget;
#endif
}

arag_status arag_catalog_restore_take(arag_catalog *cat, uint8_t *bytes, size_t len) {
  return arag_catalog_restore_take_fed(cat, bytes, len, NULL);
}

void arag_catalog_fed_init(arag_catalog_fed *f, const uint8_t *buf) {
  memset(f, 0, sizeof *f);
  arag_snap_sum_init(&f->sum, buf);
}

/* The rows, then (int8) the scales, whole in buf's first end bytes and not checked yet. */
static void fed_check(arag_catalog_fed *f, const uint8_t *buf, uint64_t end) {
  const uint64_t row_bytes = f->dtype == ARAG_I8 ? f->stride : (uint64_t)f->stride * 4;
  const uint64_t rows_end = SNAP_ROWS + (uint64_t)f->n * row_bytes;
  uint64_t whole = end > SNAP_ROWS ? (end - SNAP_ROWS) / row_bytes : 0;
  for (whole = whole < f->n ? whole : f->n; f->rows_ok < whole; f->rows_ok++)
    if (!arag_index_row_usable((arag_dtype)f->dtype, f->dim, f->stride,
                               buf + SNAP_ROWS + f->rows_ok * row_bytes)) {
      f->stop = 1;
      return;
    }
  whole = f->dtype == ARAG_I8 && end > rows_end ? (end - rows_end) / 4 : 0;
  for (whole = whole < f->n ? whole : f->n; f->scales_ok < whole; f->scales_ok++) {
    float x;
    memcpy(&x, buf + rows_end + (uint64_t)f->scales_ok * 4, 4);
    if (!arag_index_scale_usable(x)) {
      f->stop = 1;
      return;
    }
  }
}

void arag_catalog_fed_feed(arag_catalog_fed *f, size_t end) {
  if (!f) return;
  arag_snap_sum_feed(&f->sum, end);
  const uint8_t *b = f->sum.buf;
  if (!b || f->stop || end < SNAP_ROWS || !arag_host_little_endian()) return; /* LE rows only */
  if (!f->header) {
    f->header = 1;
    f->dim = arag_le32(b + 32);
    f->dtype = arag_le32(b + 36);
    f->n = arag_le32(b + 40);
    f->stride = arag_le32(b + 56);
    if (f->dim == 0 || (f->dtype != ARAG_F32 && f->dtype != ARAG_I8) ||
        f->stride != stride_for(f->dim, f->dtype)) {
      f->stop = 1;
      return;
    }
  }
  fed_check(f, b, end);
}

arag_status arag_catalog_restore_take_fed(arag_catalog *cat, uint8_t *bytes, size_t len,
                                          const arag_catalog_fed *f) {
  if (!cat) return ARAG_E_INVALID;
  if (!bytes && len) return arag_err_set(&cat->err, ARAG_E_INVALID, "snapshot bytes are NULL");
  layout L;
  arag_status st = open_layout(cat, bytes, len, f ? &f->sum : NULL, &L);
  /* The rows the feed found usable, when it read the header the layout has (the bytes
   * are the state's: open_layout checked that). */
  L.rows_checked = L.scales_checked = 0;
  if (st == ARAG_OK && f && f->header && f->dim == L.dim && f->dtype == L.dtype && f->n == L.n &&
      f->stride == L.stride) {
    L.rows_checked = f->rows_ok;
    L.scales_checked = f->scales_ok;
  }
  if (st == ARAG_OK) st = check_records(cat, &L);
  if (st != ARAG_OK) return st;
  arag_budget budget = {cat->lim.max_restore_bytes};
  restored R;
  memset(&R, 0, sizeof R);
  R.text_terms.whole_text = 1;
  R.leads.lead_phrases = 1;
  const uint32_t n = L.n;
  R.arena = (size_t)n * sizeof(arag_item) + (size_t)L.lists * sizeof(char *);
  /* The snapshot's own bytes stay: they count, then the items, the lists, the index's
   * arrays and maps and the word counts. */
  if (!arag_budget_take(&budget, len) || !arag_budget_take(&budget, R.arena) ||
      !arag_budget_take(&budget, (size_t)n * (sizeof(char *) + 8) + (size_t)L.dim * 12 + 1024))
    return arag_err_set(&cat->err, ARAG_E_LIMIT,
                        "restoring the catalog takes more than max_restore_bytes %u",
                        cat->lim.max_restore_bytes);
  make_room(&L, R.arena, &budget);
  R.items = (arag_item *)malloc(R.arena ? R.arena : 1); /* every field is set below */
  R.ids = (char **)malloc((n ? n : 1) * sizeof(char *));
  R.id_lens = (uint32_t *)malloc((n ? n : 1) * sizeof(uint32_t));
  R.id_hashes = (uint32_t *)malloc((n ? n : 1) * sizeof(uint32_t));
  if (!R.items || !R.ids || !R.id_lens || !R.id_hashes)
    st = arag_err_set(&cat->err, ARAG_E_NOMEM, "out of memory restoring the catalog");
  if (st == ARAG_OK) st = build_items(cat, &L, &R);
  if (st == ARAG_OK) st = build_tables(cat, &L, &R, &budget);
  if (st != ARAG_OK) {
    restored_free(&R);
    return st;
  }
  swap_in(cat, &L, &R, bytes, len);
  return ARAG_OK;
}

arag_status arag_catalog_restore(arag_catalog *cat, const uint8_t *bytes, size_t len) {
  if (!cat) return ARAG_E_INVALID;
  if (!bytes && len) return arag_err_set(&cat->err, ARAG_E_INVALID, "snapshot bytes are NULL");
  if (len > cat->lim.max_restore_bytes)
    return arag_err_set(&cat->err, ARAG_E_LIMIT,
                        "a %zu-byte snapshot is more than max_restore_bytes %u", len,
                        cat->lim.max_restore_bytes);
  uint8_t *copy = (uint8_t *)malloc(len ? len : 1);
  if (!copy)
    return arag_err_set(&cat->err, ARAG_E_NOMEM, "out of memory for a copy of the snapshot");
  /* One memcpy, then the checksum over the copy: natively, copying and hashing it in
   * pieces measured slower (make bench-catalog's native restores), unlike in wasm, where
   * the JS host folds the checksum into its copy (module_main.c). */
  if (len) memcpy(copy, bytes, len);
  arag_status st = arag_catalog_restore_take(cat, copy, len);
  if (st != ARAG_OK) free(copy);
  return st;
}
