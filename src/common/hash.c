/* XXH64 (see hash.h), after the xxHash specification: four lanes of 8-byte
 * words, then the remaining words, 4-byte word and bytes, then the avalanche. */
#include "hash.h"
#include "le.h"

#include <string.h>

#define P1 0x9E3779B185EBCA87ull
#define P2 0xC2B2AE3D27D4EB4Full
#define P3 0x165667B19E3779F9ull
#define P4 0x85EBCA77C2B2AE63ull
#define P5 0x27D4EB2F165667C5ull

static inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static inline uint64_t round64(uint64_t acc, uint64_t input) {
  acc += input * P2;
  acc = rotl(acc, 31);
  return acc * P1;
}

static inline uint64_t merge(uint64_t acc, uint64_t val) {
  acc ^= round64(0, val);
  return acc * P1 + P4;
}

/* The last bytes (fewer than 32) after the lanes merged into h, and the avalanche. */
static uint64_t finish(uint64_t h, const uint8_t *p, const uint8_t *end) {
  for (; p + 8 <= end; p += 8) {
    h ^= round64(0, arag_le64(p));
    h = rotl(h, 27) * P1 + P4;
  }
  if (p + 4 <= end) {
    h ^= (uint64_t)arag_le32(p) * P1;
    h = rotl(h, 23) * P2 + P3;
    p += 4;
  }
  for (; p < end; p++) {
    h ^= (uint64_t)(*p) * P5;
    h = rotl(h, 11) * P1;
  }
  h ^= h >> 33;
  h *= P2;
  h ^= h >> 29;
  h *= P3;
  h ^= h >> 32;
  return h;
}

static uint64_t merge_lanes(const uint64_t v[4]) {
  uint64_t h = rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18);
  for (int i = 0; i < 4; i++) h = merge(h, v[i]);
  return h;
}

/* Runs the four lanes over the 32-byte stripes of [p, end); returns where they stop. */
static const uint8_t *stripes(uint64_t v[4], const uint8_t *p, const uint8_t *end) {
  uint64_t v1 = v[0], v2 = v[1], v3 = v[2], v4 = v[3];
  for (; end - p >= 32; p += 32) {
    v1 = round64(v1, arag_le64(p));
    v2 = round64(v2, arag_le64(p + 8));
    v3 = round64(v3, arag_le64(p + 16));
    v4 = round64(v4, arag_le64(p + 24));
  }
  v[0] = v1, v[1] = v2, v[2] = v3, v[3] = v4;
  return p;
}

static void lanes_init(uint64_t v[4], uint64_t seed) {
  v[0] = seed + P1 + P2, v[1] = seed + P2, v[2] = seed, v[3] = seed - P1;
}

uint64_t arag_xxh64(const void *data, size_t len, uint64_t seed) {
  const uint8_t *p = (const uint8_t *)data, *end = p + len;
  uint64_t h;
  if (len >= 32) {
    uint64_t v[4];
    lanes_init(v, seed);
    p = stripes(v, p, end);
    h = merge_lanes(v);
  } else {
    h = seed + P5;
  }
  return finish(h + (uint64_t)len, p, end);
}

void arag_xxh64_reset(arag_xxh64_state *s, uint64_t seed) {
  memset(s, 0, sizeof *s);
  s->seed = seed;
  lanes_init(s->v, seed);
}

void arag_xxh64_update(arag_xxh64_state *s, const void *data, size_t len) {
  const uint8_t *p = (const uint8_t *)data, *end = p + len;
  s->total += (uint64_t)len;
  if (s->buffered) { /* complete the stripe begun by the last call */
    size_t take = 32 - s->buffered < len ? 32 - s->buffered : len;
    memcpy(s->buf + s->buffered, p, take);
    s->buffered += (uint32_t)take;
    p += take;
    if (s->buffered < 32) return;
    stripes(s->v, s->buf, s->buf + 32);
    s->buffered = 0;
  }
  p = stripes(s->v, p, end);
  if (p < end) memcpy(s->buf, p, (size_t)(end - p));
  s->buffered = (uint32_t)(end - p);
}

uint64_t arag_xxh64_digest(const arag_xxh64_state *s) {
  uint64_t h = s->total >= 32 ? merge_lanes(s->v) : s->seed + P5;
  return finish(h + s->total, s->buf, s->buf + s->buffered);
}
