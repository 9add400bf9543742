/* The library's hashes, reference values in tests/test_snapshot.c.
 *
 * FNV-1a (inline): 64-bit for term keys, the embedder's features, the reasoner's word
 * keys and the version-1 snapshot trailers, 32-bit for the id map's buckets. Byte by
 * byte, so a caller can fold case or skip bytes as it goes (arag_fnv64_byte).
 *
 * XXH64 (src/common/hash.c): the snapshot container's checksum. It reads 8-byte words in four
 * independent lanes, about ten times the speed of FNV-1a's byte chain, so checking a
 * catalog snapshot of tens of megabytes costs a few milliseconds, not tens. */
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

/* XXH64 of len bytes with a seed (the xxHash specification's 64-bit hash). */
uint64_t arag_xxh64(const void *p, size_t len, uint64_t seed);

/* The same hash over bytes given in pieces: reset with the seed, update with each
 * piece in order (any sizes), and the digest equals arag_xxh64 of them all at once. */
typedef struct arag_xxh64_state {
  uint64_t v[4], total, seed;
  uint8_t buf[32]; /* the start of a stripe an update left unfinished */
  uint32_t buffered;
} arag_xxh64_state;
void arag_xxh64_reset(arag_xxh64_state *s, uint64_t seed);
void arag_xxh64_update(arag_xxh64_state *s, const void *p, size_t len);
uint64_t arag_xxh64_digest(const arag_xxh64_state *s);

#endif
