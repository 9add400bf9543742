#include "shelf.h"

#include "errbuf.h"

#include "variants.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void arag_shelf_default(arag_shelf_cfg *c) {
  c->one_per_family = 1;
  c->hide_bought_variants = 1;
  c->max_brand_share = 0.5;
  c->brand_reach = 8;
  c->size = 0;
}

void arag_shelf_off(arag_shelf_cfg *c) {
  c->one_per_family = 0;
  c->hide_bought_variants = 0;
  c->max_brand_share = 1.0;
  c->brand_reach = 8;
  c->size = 0;
}

int arag_shelf_active(const arag_shelf_cfg *c) {
  return c->one_per_family || c->hide_bought_variants || c->max_brand_share < 1.0;
}

arag_status arag_shelf_apply(arag_shelf_cfg *c, const cJSON *v, arag_error *err) {
  if (cJSON_IsBool(v)) {
    if (cJSON_IsTrue(v))
      arag_shelf_default(c);
    else
      arag_shelf_off(c);
    return ARAG_OK;
  }
  if (!cJSON_IsObject(v)) {
    return arag_err_set(
        err, ARAG_E_INVALID,
        "config \"shelf\" must be true, false or an object like {\"max_brand_share\": 0.5}");
  }
  const cJSON *x;
  cJSON_ArrayForEach(x, v) {
    const char *k = x->string ? x->string : "";
    int *flag = strcmp(k, "one_per_family") == 0         ? &c->one_per_family
                : strcmp(k, "hide_bought_variants") == 0 ? &c->hide_bought_variants
                                                         : NULL;
    if (flag) {
      if (!cJSON_IsBool(x)) {
        return arag_err_set(err, ARAG_E_INVALID, "config \"shelf.%s\" must be true or false", k);
      }
      *flag = cJSON_IsTrue(x);
    } else if (strcmp(k, "max_brand_share") == 0) {
      if (!cJSON_IsNumber(x) || !(x->valuedouble > 0 && x->valuedouble <= 1)) {
        return arag_err_set(err, ARAG_E_INVALID,
                            "config \"shelf.max_brand_share\" must be a number in (0, 1]");
      }
      c->max_brand_share = x->valuedouble;
    } else if (strcmp(k, "brand_reach") == 0 || strcmp(k, "size") == 0) {
      double lo = strcmp(k, "size") == 0 ? 0 : 1, hi = strcmp(k, "size") == 0 ? 100000 : 1000;
      if (!cJSON_IsNumber(x) || x->valuedouble != floor(x->valuedouble) || x->valuedouble < lo ||
          x->valuedouble > hi) {
        return arag_err_set(err, ARAG_E_INVALID,
                            "config \"shelf.%s\" must be an integer in [%.0f, %.0f]", k, lo, hi);
      }
      *(k[0] == 's' ? &c->size : &c->brand_reach) = (uint32_t)x->valuedouble;
    } else {
      return arag_err_set(
          err, ARAG_E_INVALID,
          "config \"shelf.%.40s\": unknown setting (one_per_family, hide_bought_variants, "
          "max_brand_share, brand_reach, size)",
          k);
    }
  }
  return ARAG_OK;
}

cJSON *arag_shelf_json(const arag_shelf_cfg *c) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  if (!cJSON_AddBoolToObject(o, "one_per_family", c->one_per_family) ||
      !cJSON_AddBoolToObject(o, "hide_bought_variants", c->hide_bought_variants) ||
      !cJSON_AddNumberToObject(o, "max_brand_share", c->max_brand_share) ||
      !cJSON_AddNumberToObject(o, "brand_reach", c->brand_reach) ||
      !cJSON_AddNumberToObject(o, "size", c->size)) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

enum { FREE = 0, PLACED, ASIDE, OVER_SHARE };

typedef struct shelf_state {
  const arag_shelf_cfg *c;
  const arag_variant_key *key; /* per rank position */
  const uint64_t *brand;       /* per rank position */
  uint8_t *state;
  const arag_variant_key *bought;
  uint32_t n_bought;
  const uint32_t *placed; /* positions on the shelf so far */
  uint32_t n_placed;
} shelf_state;

/* Does a rule other than the brand's share keep position p off the shelf? */
static int set_aside(const shelf_state *s, uint32_t p, const arag_item *it) {
  if (s->c->hide_bought_variants && !it->repeat_purchase)
    for (uint32_t b = 0; b < s->n_bought; b++)
      if (arag_variants(&s->key[p], &s->bought[b])) return 1;
  if (s->c->one_per_family)
    for (uint32_t q = 0; q < s->n_placed; q++)
      if (arag_variants(&s->key[p], &s->key[s->placed[q]])) return 1;
  return 0;
}

int arag_shelf_arrange(const arag_shelf_cfg *c, uint32_t k, uint32_t *order, uint32_t n,
                       const arag_item *cands, const rs_feat *feats, const arag_event *events,
                       uint32_t n_events) {
  if (c->size) k = c->size;
  if (!arag_shelf_active(c) || !n || !k) return 1;
  if (k > n) k = n;
  arag_variant_key *key = malloc(n * sizeof *key);
  arag_variant_key *bought = malloc((n_events ? n_events : 1) * sizeof *bought);
  uint64_t *brand = malloc(n * sizeof *brand);
  uint8_t *state = calloc(n, 1);
  uint32_t *placed = malloc(n * sizeof *placed);
  uint32_t *out = malloc(n * sizeof *out);
  int ok = key && bought && brand && state && placed && out;
  if (ok) {
    for (uint32_t p = 0; p < n; p++) {
      arag_variant_key_of(&cands[order[p]], &feats[order[p]], &key[p]);
      brand[p] = feats[order[p]].brand_h;
    }
    uint32_t n_bought = 0;
    for (uint32_t i = 0; i < n_events && c->hide_bought_variants; i++) {
      if (events[i].kind != ARAG_EV_CART && events[i].kind != ARAG_EV_PURCHASE) continue;
      rs_feat f;
      rs_item_features(&events[i].item, NULL, &f);
      arag_variant_key_of(&events[i].item, &f, &bought[n_bought++]);
    }
    shelf_state s = {c, key, brand, state, bought, n_bought, placed, 0};
    double share = c->max_brand_share * (double)k + 1e-9;
    uint32_t cap = c->max_brand_share >= 1.0 ? k : share < 1.0 ? 1u : (uint32_t)share;
    uint64_t reach64 = (uint64_t)c->brand_reach * k;
    uint32_t reach = reach64 < n ? (uint32_t)reach64 : n;
    for (uint32_t p = 0; p < n && s.n_placed < k; p++) {
      if (set_aside(&s, p, &cands[order[p]])) {
        state[p] = ASIDE;
        continue;
      }
      if (brand[p] && cap < k) {
        uint32_t same = 0;
        for (uint32_t q = 0; q < s.n_placed; q++) same += brand[placed[q]] == brand[p];
        if (same >= cap) {
          /* Over its share: set aside when another brand's item the rules allow ranks
           * within reach. */
          int other = 0;
          for (uint32_t q = p + 1; q < reach && !other; q++)
            other = state[q] == FREE && brand[q] != brand[p] && !set_aside(&s, q, &cands[order[q]]);
          if (other) {
            state[p] = OVER_SHARE;
            continue;
          }
        }
      }
      state[p] = PLACED;
      placed[s.n_placed++] = p;
    }
    /* Too few for the shelf: the items set aside, a brand's over its share first. */
    for (int pass = 0; pass < 2 && s.n_placed < k; pass++)
      for (uint32_t p = 0; p < n && s.n_placed < k; p++)
        if (state[p] == (pass ? ASIDE : OVER_SHARE)) {
          state[p] = PLACED;
          placed[s.n_placed++] = p;
        }
    uint32_t m = 0;
    for (uint32_t q = 0; q < s.n_placed; q++) out[m++] = order[placed[q]];
    for (uint32_t p = 0; p < n; p++)
      if (state[p] != PLACED) out[m++] = order[p];
    memcpy(order, out, n * sizeof *order);
  }
  free(key);
  free(bought);
  free(brand);
  free(state);
  free(placed);
  free(out);
  return ok;
}
