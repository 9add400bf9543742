/* Little-endian integers at any alignment: the snapshot formats' byte order, read the
 * same on every host (one load, and a byte swap only on a big-endian one). */
#ifndef ARAG_LE_H
#define ARAG_LE_H

#include <stdint.h>
#include <string.h>

/* 1 on a little-endian host, where the wire's rows can be used where they lie. */
static inline int arag_host_little_endian(void) {
  const uint16_t probe = 1;
  uint8_t first;
  memcpy(&first, &probe, 1);
  return first == 1;
}

static inline uint32_t arag_le32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap32(v);
#endif
  return v;
}

static inline uint64_t arag_le64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

#endif
