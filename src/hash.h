/* FNV-1a, the one hash of the library (header-only): 64-bit for snapshot checksums,
 * term keys, the embedder's features and the reasoner's word keys, 32-bit for the id
 * map's buckets. Byte by byte, so a caller can fold case or skip bytes as it goes
 * (arag_fnv64_byte); reference values in tests/test_snapshot.c. */
#ifndef ARAG_HASH_H
#define ARAG_HASH_H

#include <stddef.h>
#include <stdint.h>

#define ARAG_FNV64_OFFSET 0xcbf29ce484222325ull
#define ARAG_FNV64_PRIME 0x100000001b3ull
#define ARAG_FNV32_OFFSET 2166136261u
#define ARAG_FNV32_PRIME 16777619u

static inline uint64_t arag_fnv64_byte(uint64_t h, uint8_t b) { return (h ^ b) * ARAG_FNV64_PRIME; }

/* FNV-1a 64 of n bytes, continuing from h (ARAG_FNV64_OFFSET to start). */
static inline uint64_t arag_fnv1a64(const void *p, size_t n, uint64_t h) {
  const uint8_t *b = (const uint8_t *)p;
  for (size_t i = 0; i < n; i++) h = arag_fnv64_byte(h, b[i]);
  return h;
}

static inline uint32_t arag_fnv1a32(const void *p, size_t n) {
  const uint8_t *b = (const uint8_t *)p;
  uint32_t h = ARAG_FNV32_OFFSET;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * ARAG_FNV32_PRIME;
  return h;
}

#endif
