/* Internal data model shared by the catalog, the history, the pipeline and the
 * offline reasoner: items with their metadata and vectors, and user events. */
#ifndef ARAG_MODEL_H
#define ARAG_MODEL_H

#include "arag.h"
#include "snapshot_io.h"
#include <stdint.h>

/* One product. Strings are NUL-terminated, owned by the item, never NULL (empty
 * string when absent). Numbers are NAN when absent. vec is the item's vector of
 * the owner's dimension (supplied, or the built-in embedding of its text); NULL
 * for items held by a catalog, whose index row is the only copy of the vector
 * (read it with arag_catalog_vector). The embedding of the title alone is not
 * kept either: the offline reasoner computes it for the few items it compares.
 * Each saves 2 KiB per item at dimension 512. */
typedef struct arag_item {
  char *id;
  uint32_t id_len;
  char *title;
  char *text; /* description; may be long */
  char *brand;
  char *group;       /* the catalog's variant family ("group"); NULL or "" when absent */
  char **categories; /* category path, general to specific */
  uint32_t n_categories;
  double price;
  double popularity;
  /* Related items ("bought together"): ids with weights (finite, >= 0), in the
   * order given; NULL / 0 when absent. Catalog-side data, not kept in history
   * snapshots. */
  char **related_ids;
  float *related_w;
  uint32_t n_related;
  float *vec;
  uint8_t repeat_purchase; /* "repeat_purchase": shoppers buy it again (a shelf may show
                              it and its variants after a purchase) */
  /* 1 for an item a catalog restored into one block with its strings and arrays
   * (src/catalog/catalog.c): nothing of it is freed on its own. */
  uint8_t in_arena;
  /* Without a brand field: the bytes at the start of the title that name a brand the
   * catalog supports (brands.h), when title_brand_known; a session resolves them for
   * its copies while the catalog is at hand. */
  uint32_t title_brand_len;
  uint8_t title_brand_known;
} arag_item;

typedef enum arag_event_kind {
  ARAG_EV_VIEW = 0,
  ARAG_EV_CART = 1,
  ARAG_EV_PURCHASE = 2,
  ARAG_EV_RATING = 3
} arag_event_kind;

typedef struct arag_event {
  arag_item item; /* own copy; fields may be empty and resolved from a catalog */
  double ts;
  arag_event_kind kind;
  double rating; /* NAN when absent */
} arag_event;

/* Catalog accessors (src/catalog/catalog.c). NULL when absent. Valid until the catalog changes. */
const arag_item *arag_catalog_find(const arag_catalog *cat, const char *id, size_t id_len);
uint32_t arag_catalog_dim(const arag_catalog *cat);
/* A catalog item's vector as its index row stores it (L2-normalized; dequantized
 * in an int8 catalog), into out (arag_catalog_dim floats). */
arag_status arag_catalog_vector(const arag_catalog *cat, const arag_item *it, float *out);
/* Deep copy of a catalog item into dst, with its vector (arag_catalog_vector). On
 * error dst is cleared. */
arag_status arag_catalog_item_copy(const arag_catalog *cat, const arag_item *it, arag_item *dst);
/* Item at an index slot of arag_catalog_index(); NULL for a free slot. */
const arag_item *arag_catalog_item_at(const arag_catalog *cat, uint32_t slot);
/* Title-term document frequencies over the catalog's items (src/catalog/term_df.h). */
struct arag_term_df;
const struct arag_term_df *arag_catalog_terms(const arag_catalog *cat);
/* Whole-text term document frequencies (title, brand, categories, description). */
const struct arag_term_df *arag_catalog_text_terms(const arag_catalog *cat);
/* What tells a brand in the catalog's titles (brands.h), filled into *bs; NULL (and *bs
 * untouched) without a catalog. Valid until the catalog changes. */
struct arag_brand_stats;
const struct arag_brand_stats *arag_catalog_brand_stats(const arag_catalog *cat,
                                                        struct arag_brand_stats *bs);

/* A catalog snapshot written into memory a piece at a time (the wasm module's JS host
 * does so): fed after each piece (end: how many bytes of buf are written, as for
 * arag_snap_sum), the state takes the container's checksum and checks the rows (and
 * int8 scales) that are whole, while they are in cache, as a restore would
 * (arag_index_row_usable). arag_catalog_restore_take_fed then compares the checksum
 * instead of hashing the bytes again and does not read those rows again; any row the
 * state did not find usable (or on a big-endian host, any row) it checks itself, so
 * it refuses exactly what arag_catalog_restore_take refuses. A state of other bytes,
 * or fed short of len, gives ARAG_E_INVALID; NULL: all is done here. */
typedef struct arag_catalog_fed {
  arag_snap_sum sum;
  uint32_t dim, dtype, n, stride; /* the header's shape, once its bytes are in */
  uint32_t rows_ok, scales_ok;    /* the first rows and scales found usable */
  uint8_t header, stop;           /* the header read; stopped at one not usable */
} arag_catalog_fed;
void arag_catalog_fed_init(arag_catalog_fed *f, const uint8_t *buf);
void arag_catalog_fed_feed(arag_catalog_fed *f, size_t end);
arag_status arag_catalog_restore_take_fed(arag_catalog *cat, uint8_t *bytes, size_t len,
                                          const arag_catalog_fed *f);

/* History accessors (src/catalog/history.c): events in ascending (ts, insertion) order. */
const arag_event *arag_history_events(const arag_history *h, uint32_t *n);
uint32_t arag_history_dim(const arag_history *h);
/* The history's index: one row per distinct item id, the vector of its latest event
 * (read-only use; valid until the history changes). */
const arag_index *arag_history_index(const arag_history *h);

#endif
