/* The shelf: the first places of a recommendation (k, or size when set), arranged after
 * the ranker so that a storefront does not fill them with one product or one brand:
 *   - one_per_family: a variant family (variants.h) shows once;
 *   - hide_bought_variants: no item the shopper carted or bought in the session, nor a
 *     variant of one, unless the catalog marks it "repeat_purchase";
 *   - max_brand_share: at most this share of the places (at least one) from one brand,
 *     as long as an item of another brand (or of none) ranks within the first
 *     brand_reach * k places; 1: no limit.
 * An item set aside keeps its rank below the shelf. The places are filled in rank order
 * from what the rules allow, then, when that is too few, from the items set aside (a
 * brand's over its share first), so the shelf is never shorter than the ranking. The
 * ranker's scores are left as they were. */
#ifndef ARAG_SHELF_H
#define ARAG_SHELF_H

#include "model.h"
#include "reasoner_text.h"
#include <cJSON.h>

typedef struct arag_shelf_cfg {
  int one_per_family;
  int hide_bought_variants;
  double max_brand_share; /* (0, 1] */
  uint32_t brand_reach;   /* >= 1 */
  uint32_t size;          /* places the rules arrange; 0: the k items returned */
} arag_shelf_cfg;

/* The storefront defaults: every rule on, half the shelf, reach 8 (with a shelf of 6, the
 * first 48 places: about the whole of the default 50 candidates). */
void arag_shelf_default(arag_shelf_cfg *c);
/* Every rule off (the ranker's order as it is). */
void arag_shelf_off(arag_shelf_cfg *c);
int arag_shelf_active(const arag_shelf_cfg *c);

/* Applies "shelf": false | true | {"one_per_family", "hide_bought_variants",
 * "max_brand_share", "brand_reach", "size"} onto *c. On error (ARAG_E_INVALID) err names the
 * key and *c may be partly changed (the caller applies onto a copy). */
arag_status arag_shelf_apply(arag_shelf_cfg *c, const cJSON *v, arag_error *err);
/* The settings as a JSON object (NULL when out of memory). */
cJSON *arag_shelf_json(const arag_shelf_cfg *c);

/* Arranges order[0 .. n) (indices into cands, features feats) so that its first places
 * (c->size, or k when 0) keep the rules; events: the session's events (the ones that count for
 * hide_bought_variants). 0 when out of memory (order unchanged). */
int arag_shelf_arrange(const arag_shelf_cfg *c, uint32_t k, uint32_t *order, uint32_t n,
                       const arag_item *cands, const rs_feat *feats, const arag_event *events,
                       uint32_t n_events);

#endif
