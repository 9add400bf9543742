#include "interest.h"

#include <string.h>

#include "hash.h"

/* One level of a category path into a key (case folded, spaces around the level left
 * out): path_key folds the first depth levels, shared() level by level. */
static uint64_t fold_level(uint64_t h, const char *s) {
  s = s ? s : "";
  size_t n = strlen(s);
  while (n && (s[0] == ' ' || s[0] == '\t')) s++, n--;
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
  h = arag_fnv64_byte(h, 0x3e);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
    h = arag_fnv64_byte(h, c);
  }
  return h;
}

/* Key of a category path's first depth levels. */
static uint64_t path_key(const arag_item *it, uint32_t depth) {
  uint64_t h = ARAG_FNV64_OFFSET;
  for (uint32_t d = 0; d < depth; d++) h = fold_level(h, it->categories[d]);
  return h ? h : 1;
}

static uint32_t depth_of(const arag_item *it) {
  uint32_t n = it->categories ? it->n_categories : 0;
  return n < ARAG_SHIFT_DEPTH ? n : ARAG_SHIFT_DEPTH;
}

/* An item's topic key below the common levels; 0 when its path stops there. */
static uint64_t topic_of(const arag_item *it, uint32_t common) {
  return depth_of(it) > common ? path_key(it, common + 1) : 0;
}

/* Levels a and b share: their keys of 1, 2, ... levels compared, each folded from the
 * one before. */
static uint32_t shared(const arag_item *a, const arag_item *b) {
  uint32_t na = depth_of(a), nb = depth_of(b), d = 0;
  uint64_t ha = ARAG_FNV64_OFFSET, hb = ARAG_FNV64_OFFSET;
  while (d < na && d < nb) {
    ha = fold_level(ha, a->categories[d]);
    hb = fold_level(hb, b->categories[d]);
    if ((ha ? ha : 1) != (hb ? hb : 1)) break;
    d++;
  }
  return d;
}

void arag_interest_shift(const arag_event *const *ev, uint32_t n, float strength, arag_shift *out,
                         float *w) {
  memset(out, 0, sizeof *out);
  for (uint32_t i = 0; i < n; i++) w[i] = 1.0f;
  if (n < 2) return;
  /* The levels every event with categories shares. */
  int32_t ref = -1;
  uint32_t common = ARAG_SHIFT_DEPTH;
  for (uint32_t i = 0; i < n; i++) {
    if (!depth_of(&ev[i]->item)) continue;
    if (ref < 0) {
      ref = (int32_t)i;
      common = depth_of(&ev[i]->item);
    } else {
      uint32_t d = shared(&ev[ref]->item, &ev[i]->item);
      if (d < common) common = d;
    }
  }
  if (ref < 0) return;
    /* Topics, one level below (computed as needed: nothing to allocate). */
#define TOPIC(i) topic_of(&ev[i]->item, common)
  uint32_t newest = n;
  while (newest-- > 0 && !TOPIC(newest)) {
  }
  if (newest >= n) return;
  uint64_t t = TOPIC(newest);
  uint32_t run = 0, first = newest;
  for (uint32_t i = newest + 1; i-- > 0;) {
    uint64_t ti = TOPIC(i);
    if (!ti) continue;
    if (ti != t) break;
    run++;
    first = i;
  }
  uint32_t before = 0, same = 0;
  for (uint32_t i = 0; i < first; i++) {
    uint64_t ti = TOPIC(i);
    before += ti != 0;
    same += ti == t;
  }
  if (!before) return;
  float novelty = (float)(before - same) / (float)before;
  float len = run >= ARAG_SHIFT_RUN ? 1.0f : (float)(run - 1) / (ARAG_SHIFT_RUN - 1);
  out->shift = novelty * len;
  out->run = run;
  out->first = first;
  out->topic = t;
  float g = 1.0f - strength * out->shift;
  if (g < 0) g = 0;
  if (g < 1)
    for (uint32_t i = 0; i < first; i++)
      if (TOPIC(i) != t) w[i] = g;
#undef TOPIC
}
