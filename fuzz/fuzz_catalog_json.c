/* libFuzzer target: any bytes as catalog and history JSON (object, array, JSON
 * lines), and as text for the embedder. Invariants: no crash or leak; a failed
 * add changes nothing (count, the seed items' vectors, snapshot bytes); a
 * successful add leaves every item findable with a finite vector in the index; embeddings are unit
 * length or zero. */
#include "embed.h"
#include "model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define D 16

static const char seed_items[] = "{\"id\":\"a\",\"title\":\"Red Lipstick\"}\n"
                                 "{\"id\":\"b\",\"title\":\"Argan Shampoo\",\"ts\":3}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  arag_limits lim;
  arag_limits_default(&lim);
  lim.max_rows = 64;
  lim.max_text_bytes = 4096;
  lim.max_id_bytes = 64;

  arag_catalog *cat = NULL;
  if (arag_catalog_create(D, &lim, &cat) != ARAG_OK) abort();
  if (arag_catalog_add_json(cat, seed_items, sizeof(seed_items) - 1) != ARAG_OK) abort();
  uint32_t before = arag_catalog_count(cat);
  float va[D], vb[D], v[D];
  if (arag_catalog_vector(cat, arag_catalog_find(cat, "a", 1), va) != ARAG_OK ||
      arag_catalog_vector(cat, arag_catalog_find(cat, "b", 1), vb) != ARAG_OK)
    abort();
  arag_status st = arag_catalog_add_json(cat, text, size);
  if (st != ARAG_OK) {
    if (arag_catalog_count(cat) != before) abort();
    if (arag_catalog_vector(cat, arag_catalog_find(cat, "a", 1), v) != ARAG_OK ||
        memcmp(v, va, sizeof v) != 0)
      abort();
    if (arag_catalog_vector(cat, arag_catalog_find(cat, "b", 1), v) != ARAG_OK ||
        memcmp(v, vb, sizeof v) != 0)
      abort();
    if (!arag_catalog_find(cat, "a", 1) ||
        strcmp(arag_catalog_find(cat, "a", 1)->title, "Red Lipstick") != 0)
      abort();
    if (!arag_catalog_last_error(cat)[0]) abort();
  }
  if (arag_index_count(arag_catalog_index(cat)) != arag_catalog_count(cat)) abort();
  for (uint32_t s = 0; s < 200; s++) {
    const arag_item *it = arag_catalog_item_at(cat, s);
    if (!it) continue;
    if (arag_catalog_find(cat, it->id, it->id_len) != it || it->vec) abort();
    if (arag_catalog_vector(cat, it, v) != ARAG_OK) abort();
    for (uint32_t d = 0; d < D; d++)
      if (!isfinite(v[d])) abort();
  }
  arag_catalog_free(cat);

  arag_history *h = NULL;
  if (arag_history_create(D, &lim, &h) != ARAG_OK) abort();
  if (arag_history_add_json(h, seed_items, sizeof(seed_items) - 1) != ARAG_OK) abort();
  uint8_t *snap0 = NULL, *snap1 = NULL;
  size_t len0 = 0, len1 = 0;
  if (arag_history_snapshot(h, &snap0, &len0) != ARAG_OK) abort();
  st = arag_history_add_json(h, text, size);
  if (arag_history_snapshot(h, &snap1, &len1) != ARAG_OK) abort();
  if (st != ARAG_OK && (len0 != len1 || memcmp(snap0, snap1, len0) != 0)) abort();
  uint32_t n;
  const arag_event *ev = arag_history_events(h, &n);
  for (uint32_t i = 1; i < n; i++)
    if (ev[i].ts < ev[i - 1].ts) abort();
  /* The snapshot restores to the same bytes. */
  arag_history *r = NULL;
  if (arag_history_create(D, &lim, &r) != ARAG_OK) abort();
  if (arag_history_restore(r, snap1, len1) != ARAG_OK) abort();
  uint8_t *snap2 = NULL;
  size_t len2 = 0;
  if (arag_history_snapshot(r, &snap2, &len2) != ARAG_OK) abort();
  if (len2 != len1 || memcmp(snap1, snap2, len1) != 0) abort();
  arag_free(snap0);
  arag_free(snap1);
  arag_free(snap2);
  arag_history_free(r);
  arag_history_free(h);

  if (arag_embed_text(text, size, D, v) == ARAG_OK) {
    double ss = 0;
    for (int i = 0; i < D; i++) ss += (double)v[i] * v[i];
    if (!(ss == 0.0 || fabs(ss - 1.0) < 1e-4)) abort();
  } else if (size <= ARAG_EMBED_MAX_TEXT) {
    abort();
  }
  return 0;
}
