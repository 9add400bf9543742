/* Items and events from JSON (src/catalog/item.c): parsing with limits, embedding,
 * copying and freeing the structs of model.h. */
#ifndef ARAG_ITEM_H
#define ARAG_ITEM_H

#include "cJSON.h"
#include "model.h"
#include <stddef.h>

/* Most categories one item may carry. */
#define ARAG_ITEM_MAX_CATEGORIES 64
#define ARAG_ITEM_MAX_RELATED 64

/* Parse one item object into *out (zeroed first; on error *out holds nothing and
 * err gets a message naming the field). require_title: catalog items need a
 * "title" string; events do not. dim: the owner's dimension; a "vector" must
 * have exactly dim finite numbers (ARAG_E_DIM / ARAG_E_NONFINITE). After the
 * fields are read, vec is set: the supplied vector or the field-aware built-in
 * embedding at dim (arag_embed_item). Brand: "brand" when present, else
 * X when "text" starts with "Brand: X.". Unknown fields are ignored. */
arag_status arag_item_parse(const cJSON *obj, const arag_limits *lim, uint32_t dim,
                            int require_title, arag_item *out, arag_error *err);

/* Event: the item fields (only "id" required) plus "ts" (number; *has_ts says
 * whether it was present), "kind" ("view"|"cart"|"purchase"|"rating", default
 * purchase) and "rating" (number, NAN when absent). */
arag_status arag_event_parse(const cJSON *obj, const arag_limits *lim, uint32_t dim,
                             arag_event *out, int *has_ts, arag_error *err);

/* Frees the fields of an item (not the struct) and zeroes it. Safe on a zeroed item. */
void arag_item_clear(arag_item *it);

/* Deep copy (vectors of dimension dim). On ARAG_E_NOMEM dst is zeroed. */
arag_status arag_item_copy(arag_item *dst, const arag_item *src, uint32_t dim);

/* The names of the event kinds, indexed by arag_event_kind: the one spelling events
 * are parsed from and prompts show. */
#define ARAG_EV_KINDS 4
extern const char *const arag_event_kind_names[ARAG_EV_KINDS];
/* kind's name; fallback's when kind is out of range. */
const char *arag_event_kind_name(arag_event_kind kind, arag_event_kind fallback);

/* Parse a batch: one JSON value (an object or an array of objects) or JSON lines
 * (objects one after another, separated by white space). Calls fn for each
 * object; stops at the first status other than ARAG_OK and prefixes fn's
 * message with the position ("element N" for arrays, 0-based; "line N"
 * otherwise, 1-based). A syntax error, a non-object value or empty input gives
 * ARAG_E_JSON with a message naming the line or element. Objects are parsed one
 * at a time, in arrays too (a big array is never parsed whole), so fn may have
 * seen earlier objects when a later one fails: all-or-nothing callers undo them. */
typedef arag_status (*arag_json_each_fn)(void *user, const cJSON *obj, arag_error *err);
/* The item store of a catalog or history: *lim from limits (the defaults when
 * NULL), then a dim-dimensional cosine index of dtype in *ix (the reasons of
 * arag_index_create_err in err). */
arag_status arag_item_index_create(uint32_t dim, arag_dtype dtype, const arag_limits *limits,
                                   arag_limits *lim, arag_index **ix, arag_error *err);

arag_status arag_json_each(const char *json, size_t len, arag_json_each_fn fn, void *user,
                           arag_error *err);

#endif
