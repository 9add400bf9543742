/* The shelf: variant families (sizes, packs, shades, the catalog's group), the rules on
 * the first places (a family once, nothing just bought again unless a repeat purchase,
 * a brand's share with others in reach), their settings, and the result through the
 * engine. */
#include "arag.h"
#include "errbuf.h"
#include "model.h"
#include "shelf.h"
#include "test.h"
#include "variants.h"

#include "cJSON.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIM 64

/* An item for the relation tests (strings borrowed). */
static arag_item item(const char *id, const char *title, const char *brand, const char *group) {
  arag_item it;
  memset(&it, 0, sizeof it);
  it.id = (char *)id;
  it.id_len = (uint32_t)strlen(id);
  it.title = (char *)title;
  it.text = (char *)"";
  it.brand = (char *)(brand ? brand : "");
  it.group = (char *)group;
  it.title_brand_known = 1; /* no catalog: no title brand */
  return it;
}

static int variants(arag_item a, arag_item b) {
  rs_feat fa, fb;
  rs_item_features(&a, NULL, &fa);
  rs_item_features(&b, NULL, &fb);
  arag_variant_key ka, kb;
  arag_variant_key_of(&a, &fa, &ka);
  arag_variant_key_of(&b, &fb, &kb);
  int x = arag_variants(&ka, &kb), y = arag_variants(&kb, &ka);
  CHECK_EQ_INT(x, y); /* symmetric */
  return x;
}

static void test_variants(void) {
  /* Sizes, counts and packs. */
  CHECK(variants(item("a", "Curls Rock Amplifier 5.07 oz", "TIGI", NULL),
                 item("b", "Curls Rock Amplifier 4 oz, Pack of 2", "TIGI", NULL)));
  CHECK(variants(item("a", "Clear Shampoo 8 Fl Oz", "DHS", NULL),
                 item("b", "Clear Shampoo 8 oz", "DHS", NULL)));
  CHECK(variants(item("a", "Gel Pens, 12-Count", "Pilot", NULL),
                 item("b", "Gel Pens 3-Pack", "Pilot", NULL)));
  /* Colours and shades: named colours, and shade names within two words. */
  CHECK(variants(item("a", "Lavender Bath Bomb Set", "Soapwort", NULL),
                 item("b", "Lavender Bath Bomb Set, Slate", "Soapwort", NULL)));
  CHECK(variants(item("a", "Nail Lacquer, Bubble Bath, 0.5 Fluid Ounce", "OPI", NULL),
                 item("b", "Nail Lacquer, Cajun Shrimp, 0.5 Fluid Ounce", "OPI", NULL)));
  CHECK(variants(item("a", "Shellac Nail Color Rubble, 0.25 Fluid Ounce", "CND", NULL),
                 item("b", "Shellac Nail Color Hot Chilis, 0.25 Fluid Ounce", "CND", NULL)));
  /* One word in common is too little: a shade or another product ("Shellac Remover")? */
  CHECK(!variants(item("a", "Shellac Rubble", "CND", NULL),
                  item("b", "Shellac Remover", "CND", NULL)));
  /* Different products: another word of what the item is, another brand. */
  CHECK(!variants(item("a", "Thickening Shampoo", "Bumble and Bumble", NULL),
                  item("b", "Thickening Conditioner", "Bumble and Bumble", NULL)));
  CHECK(!variants(item("a", "Nail Lacquer, Bubble Bath", "OPI", NULL),
                  item("b", "Nail Envy Strengthener", "OPI", NULL)));
  CHECK(!variants(item("a", "Clear Shampoo 8 oz", "DHS", NULL),
                  item("b", "Clear Shampoo 8 oz", "Neutrogena", NULL)));
  /* The catalog's group decides when both have one. */
  CHECK(variants(item("a", "Aurora Lipstick", "Heron", "heron-lip-1"),
                 item("b", "Midnight Gloss", "Heron", "heron-lip-1")));
  CHECK(!variants(item("a", "Clear Shampoo 8 oz", "DHS", "g1"),
                  item("b", "Clear Shampoo 16 oz", "DHS", "g2")));
  /* Categories: the same path when both have one. */
  arag_item c1 = item("a", "Curl Cream 8 oz", "Bramble", NULL),
            c2 = item("b", "Curl Cream 4 oz", "Bramble", NULL);
  char *p1[2] = {"Hair", "Styling"}, *p2[2] = {"Hair", "Travel"};
  c1.categories = p1, c1.n_categories = 2;
  c2.categories = p1, c2.n_categories = 2;
  CHECK(variants(c1, c2));
  c2.categories = p2;
  CHECK(!variants(c1, c2));
  /* An item is its own variant; an empty title is no one's. */
  CHECK(variants(item("a", "Curl Cream", "B", NULL), item("a", "Other", "B", NULL)));
  CHECK(!variants(item("a", "", "B", NULL), item("b", "", "B", NULL)));
}

/* Candidates (brand, title) in rank order, arranged; writes the new order's ids. */
typedef struct fixture {
  arag_item c[16];
  rs_feat f[16];
  uint32_t order[16];
  uint32_t n;
  arag_event ev[4];
  uint32_t n_ev;
} fixture;

static void add(fixture *x, const char *id, const char *title, const char *brand) {
  x->c[x->n] = item(id, title, brand, NULL);
  x->order[x->n] = x->n;
  x->n++;
}

static void bought(fixture *x, const char *id, const char *title, const char *brand,
                   arag_event_kind kind) {
  memset(&x->ev[x->n_ev], 0, sizeof x->ev[0]);
  x->ev[x->n_ev].item = item(id, title, brand, NULL);
  x->ev[x->n_ev].kind = kind;
  x->n_ev++;
}

static const char *arrange(fixture *x, const arag_shelf_cfg *c, uint32_t k, char *out) {
  for (uint32_t i = 0; i < x->n; i++) rs_item_features(&x->c[i], NULL, &x->f[i]);
  CHECK(arag_shelf_arrange(c, k, x->order, x->n, x->c, x->f, x->ev, x->n_ev));
  out[0] = 0;
  for (uint32_t i = 0; i < x->n; i++) {
    strcat(out, x->c[x->order[i]].id);
    if (i + 1 < x->n) strcat(out, i + 1 == k ? "|" : " ");
  }
  return out;
}

static void test_rules(void) {
  char got[256];
  arag_shelf_cfg on, off;
  arag_shelf_default(&on);
  arag_shelf_off(&off);
  CHECK(!arag_shelf_active(&off) && arag_shelf_active(&on));
  fixture x;
  memset(&x, 0, sizeof x);
  add(&x, "a1", "Curl Cream 8 oz", "Bramble");
  add(&x, "a2", "Curl Cream 4 oz", "Bramble");
  add(&x, "b1", "Sea Salt Spray", "Wavelet");
  add(&x, "a3", "Curl Gel", "Bramble");
  add(&x, "c1", "Wide Tooth Comb", "Thistle");
  add(&x, "a4", "Repair Conditioner", "Bramble");
  add(&x, "a5", "Volume Shampoo", "Bramble");
  /* Off: the ranker's order. */
  CHECK(strcmp(arrange(&x, &off, 4, got), "a1 a2 b1 a3|c1 a4 a5") == 0);
  /* On: the 4 oz variant leaves the shelf; two of four from Bramble at most, with other
   * brands within reach; what is set aside keeps its rank below. */
  memset(x.order, 0, sizeof x.order);
  for (uint32_t i = 0; i < x.n; i++) x.order[i] = i;
  CHECK(strcmp(arrange(&x, &on, 4, got), "a1 b1 a3 c1|a2 a4 a5") == 0);
  /* Too few others: the shelf fills with a brand's items over its share first. */
  for (uint32_t i = 0; i < x.n; i++) x.order[i] = i;
  arag_shelf_cfg near = on;
  near.brand_reach = 1; /* only the first 4 places count as within reach */
  CHECK(strcmp(arrange(&x, &near, 4, got), "a1 b1 a3 c1|a2 a4 a5") == 0);
  for (uint32_t i = 0; i < x.n; i++) x.order[i] = i;
  CHECK(strcmp(arrange(&x, &on, 6, got), "a1 b1 a3 c1 a4 a5|a2") == 0);
  /* The size setting: the rules on the first places whatever k is. */
  for (uint32_t i = 0; i < x.n; i++) x.order[i] = i;
  arag_shelf_cfg sized = on;
  sized.size = 2;
  CHECK(strcmp(arrange(&x, &sized, 7, got), "a1 b1 a2 a3 c1 a4 a5") == 0);
  /* Just bought: no variant on the shelf, unless a repeat purchase; a view alone does not
   * count. */
  for (uint32_t i = 0; i < x.n; i++) x.order[i] = i;
  bought(&x, "h1", "Curl Cream 2 oz", "Bramble", ARAG_EV_VIEW);
  CHECK(strcmp(arrange(&x, &on, 4, got), "a1 b1 a3 c1|a2 a4 a5") == 0);
  x.n_ev = 0;
  bought(&x, "h1", "Curl Cream 2 oz", "Bramble", ARAG_EV_CART);
  for (uint32_t i = 0; i < x.n; i++) x.order[i] = i;
  CHECK(strcmp(arrange(&x, &on, 4, got), "b1 a3 c1 a4|a1 a2 a5") == 0);
  x.c[0].repeat_purchase = 1; /* a1: shoppers buy it again */
  for (uint32_t i = 0; i < x.n; i++) x.order[i] = i;
  CHECK(strcmp(arrange(&x, &on, 4, got), "a1 b1 a3 c1|a2 a4 a5") == 0);
  /* Nothing but variants and one brand: the shelf still has k items. */
  fixture y;
  memset(&y, 0, sizeof y);
  add(&y, "v1", "Nail Lacquer, Red", "OPI");
  add(&y, "v2", "Nail Lacquer, Blue", "OPI");
  add(&y, "v3", "Nail Lacquer, Pink", "OPI");
  CHECK(strcmp(arrange(&y, &on, 3, got), "v1 v2 v3") == 0);
}

static void test_settings(void) {
  arag_shelf_cfg c;
  arag_shelf_default(&c);
  arag_error err;
  const char *bad[] = {"1",
                       "\"yes\"",
                       "{\"max_brand_share\":0}",
                       "{\"max_brand_share\":1.5}",
                       "{\"brand_reach\":0}",
                       "{\"brand_reach\":2.5}",
                       "{\"one_per_family\":1}",
                       "{\"size\":-1}",
                       "{\"colour\":true}"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cJSON *v = cJSON_Parse(bad[i]);
    arag_err_clear(&err);
    CHECK_EQ_INT(arag_shelf_apply(&c, v, &err), ARAG_E_INVALID);
    CHECK(strncmp(err.message, "ARAG_E_INVALID: config \"shelf", 29) == 0);
    cJSON_Delete(v);
  }
  cJSON *v = cJSON_Parse("{\"max_brand_share\":1,\"one_per_family\":false,\"size\":6}");
  CHECK(arag_shelf_apply(&c, v, &err) == 0);
  CHECK(c.max_brand_share == 1.0 && !c.one_per_family && c.hide_bought_variants && c.size == 6);
  cJSON_Delete(v);
  v = cJSON_Parse("false");
  CHECK(arag_shelf_apply(&c, v, &err) == 0 && !arag_shelf_active(&c));
  cJSON_Delete(v);
}

static const char *CATALOG =
    "{\"id\":\"h\",\"title\":\"Curl Cream 8 oz\",\"brand\":\"Bramble\",\"categories\":[\"Hair\"]}\n"
    "{\"id\":\"v\",\"title\":\"Curl Cream 4 oz\",\"brand\":\"Bramble\",\"categories\":[\"Hair\"]}\n"
    "{\"id\":\"r\",\"title\":\"Curl Cream Refill 8 oz\",\"brand\":\"Bramble\",\"categories\":"
    "[\"Hair\"],\"group\":\"bramble-cream\",\"repeat_purchase\":true}\n"
    "{\"id\":\"s\",\"title\":\"Sea Salt Spray\",\"brand\":\"Wavelet\",\"categories\":[\"Hair\"]}\n"
    "{\"id\":\"g\",\"title\":\"Curl Gel\",\"brand\":\"Bramble\",\"categories\":[\"Hair\"]}\n";

static const char *run(arag_engine *e, arag_catalog *cat, arag_history *h, const char *req,
                       cJSON **out) {
  uint32_t sid = 0;
  CHECK_EQ_INT(arag_recommend_start(e, cat, h, req, strlen(req), &sid), ARAG_OK);
  const char *js = NULL;
  size_t n = 0;
  CHECK_EQ_INT(arag_session_result(e, sid, &js, &n), ARAG_OK);
  *out = cJSON_ParseWithLength(js, n);
  static char ids[128];
  ids[0] = 0;
  const cJSON *x;
  cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(*out, "order")) {
    if (ids[0]) strcat(ids, " ");
    strcat(ids, x->valuestring);
  }
  arag_session_free(e, sid);
  return ids;
}

static void test_engine(void) {
  arag_catalog *cat = NULL;
  arag_history *h = NULL;
  arag_engine *e = NULL;
  CHECK_EQ_INT(arag_catalog_create(DIM, NULL, &cat), ARAG_OK);
  CHECK_EQ_INT(arag_catalog_add_json(cat, CATALOG, strlen(CATALOG)), ARAG_OK);
  CHECK_EQ_INT(arag_history_create(DIM, NULL, &h), ARAG_OK);
  const char *ev = "{\"id\":\"h\",\"ts\":1,\"kind\":\"purchase\"}";
  CHECK_EQ_INT(arag_history_add_json(h, ev, strlen(ev)), ARAG_OK);
  CHECK_EQ_INT(arag_engine_create(NULL, 0, &e), ARAG_OK);
  /* The effective config lists the storefront defaults. */
  cJSON *cfg = cJSON_Parse(arag_engine_config(e));
  const cJSON *sh = cJSON_GetObjectItemCaseSensitive(cfg, "shelf");
  CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sh, "one_per_family")));
  CHECK(cJSON_GetObjectItemCaseSensitive(sh, "max_brand_share")->valuedouble == 0.5);
  cJSON_Delete(cfg);
  cJSON *o = NULL;
  /* The 4 oz cream (a variant of the one bought) leaves the shelf of 2; the refill
   * (a repeat purchase, its own group) may stay. */
  const char *ids = run(e, cat, h, "{\"candidates\":[\"v\",\"r\",\"s\",\"g\"],\"k\":2}", &o);
  CHECK(strstr(ids, "v") != ids && strstr(ids, "v") > strstr(ids, " ") + 2);
  const cJSON *items = cJSON_GetObjectItemCaseSensitive(o, "items");
  CHECK_EQ_INT(cJSON_GetArraySize(items), 2);
  for (int i = 0; i < 2; i++) CHECK(strcmp(cJSON_GetArrayItem(items, i)->child->valuestring, "v"));
  CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "order")), 4);
  cJSON_Delete(o);
  /* Per request: off, the ranker's order may show it. */
  const char *req =
      "{\"candidates\":[\"v\",\"r\",\"s\",\"g\"],\"k\":2,\"config\":{\"shelf\":false}}";
  char off_ids[128];
  snprintf(off_ids, sizeof off_ids, "%s", run(e, cat, h, req, &o));
  cJSON_Delete(o);
  CHECK(strchr(off_ids, 'v') != NULL);
  /* A bad setting is refused with its name, nothing starts. */
  uint32_t sid = 0;
  const char *badreq = "{\"candidates\":[\"v\"],\"config\":{\"shelf\":{\"max_brand_share\":2}}}";
  CHECK_EQ_INT(arag_recommend_start(e, cat, h, badreq, strlen(badreq), &sid), ARAG_E_INVALID);
  CHECK(strstr(arag_engine_last_error(e), "shelf.max_brand_share") != NULL);
  CHECK_EQ_INT(arag_engine_sessions(e), 0);

  /* The catalog keeps "group" and "repeat_purchase", through a snapshot too. */
  const char *json = NULL;
  size_t len = 0;
  CHECK_EQ_INT(arag_catalog_item_json(cat, "r", 1, &json, &len), ARAG_OK);
  CHECK(json && strstr(json, "\"group\":\"bramble-cream\"") &&
        strstr(json, "\"repeat_purchase\":true"));
  uint8_t *snap = NULL;
  size_t snap_len = 0;
  CHECK_EQ_INT(arag_catalog_snapshot(cat, &snap, &snap_len), ARAG_OK);
  arag_catalog *back = NULL;
  CHECK_EQ_INT(arag_catalog_create(DIM, NULL, &back), ARAG_OK);
  CHECK_EQ_INT(arag_catalog_restore(back, snap, snap_len), ARAG_OK);
  CHECK_EQ_INT(arag_catalog_item_json(back, "r", 1, &json, &len), ARAG_OK);
  CHECK(json && strstr(json, "\"group\":\"bramble-cream\"") &&
        strstr(json, "\"repeat_purchase\":true"));
  CHECK_EQ_INT(arag_catalog_item_json(back, "v", 1, &json, &len), ARAG_OK);
  CHECK(json && !strstr(json, "group") && !strstr(json, "repeat_purchase"));
  arag_catalog_free(back);
  arag_free(snap);
  /* Item fields of the wrong type are refused. */
  const char *bad1 = "{\"id\":\"x\",\"title\":\"X\",\"group\":7}";
  const char *bad2 = "{\"id\":\"x\",\"title\":\"X\",\"repeat_purchase\":\"yes\"}";
  CHECK_EQ_INT(arag_catalog_add_json(cat, bad1, strlen(bad1)), ARAG_E_JSON);
  CHECK(strstr(arag_catalog_last_error(cat), "group") != NULL);
  CHECK_EQ_INT(arag_catalog_add_json(cat, bad2, strlen(bad2)), ARAG_E_JSON);
  CHECK(strstr(arag_catalog_last_error(cat), "repeat_purchase") != NULL);
  CHECK_EQ_INT(arag_catalog_count(cat), 5);
  arag_engine_free(e);
  arag_history_free(h);
  arag_catalog_free(cat);
}

int main(void) {
  RUN(test_variants);
  RUN(test_rules);
  RUN(test_settings);
  RUN(test_engine);
  return test_report();
}
