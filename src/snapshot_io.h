/* Byte encoding helpers for snapshots: a growable little-endian writer, a
 * bounds-checked reader, and the FNV-1a 64 checksum. Shared by the index, the
 * history and the catalog snapshots.
 *
 * Writer: every put_* sets w->failed on allocation failure (or size overflow)
 * and then does nothing, so a snapshot is written straight through and checked
 * once at the end. Reader: every get_* returns 0 when the bytes run out (and
 * sets r->failed), leaving the output untouched. */
#ifndef ARAG_SNAPSHOT_IO_H
#define ARAG_SNAPSHOT_IO_H

#include "hash.h"

#include <stddef.h>
#include <stdint.h>

typedef struct arag_writer {
  uint8_t *buf;
  size_t len, cap;
  int failed;
} arag_writer;

void arag_writer_init(arag_writer *w);
/* Make room for at least extra more bytes (returns 0 and sets failed if not). */
int arag_writer_reserve(arag_writer *w, size_t extra);
void arag_writer_bytes(arag_writer *w, const void *p, size_t n);
void arag_writer_u8(arag_writer *w, uint8_t v);
void arag_writer_u32(arag_writer *w, uint32_t v);
void arag_writer_u64(arag_writer *w, uint64_t v);
void arag_writer_f32(arag_writer *w, float v);
void arag_writer_f64(arag_writer *w, double v);
/* Appends FNV-1a 64 of everything written so far (little endian). */
void arag_writer_checksum(arag_writer *w);
/* Hands the buffer over (free with free()/arag_free); the writer is reset. */
uint8_t *arag_writer_take(arag_writer *w, size_t *len);
void arag_writer_free(arag_writer *w);

typedef struct arag_reader {
  const uint8_t *p;
  size_t len, pos;
  int failed;
} arag_reader;

void arag_reader_init(arag_reader *r, const uint8_t *p, size_t len);
int arag_reader_bytes(arag_reader *r, void *out, size_t n);
/* Pointer to the next n bytes without copying (NULL when fewer remain). */
const uint8_t *arag_reader_view(arag_reader *r, size_t n);
int arag_reader_u8(arag_reader *r, uint8_t *v);
int arag_reader_u32(arag_reader *r, uint32_t *v);
int arag_reader_u64(arag_reader *r, uint64_t *v);
int arag_reader_f32(arag_reader *r, float *v);
int arag_reader_f64(arag_reader *r, double *v);
static inline size_t arag_reader_left(const arag_reader *r) { return r->len - r->pos; }

/* Checks that the last 8 bytes of buf are the FNV-1a 64 of the bytes before
 * them. Returns 1 when they match (0 also for len < 8). */
int arag_checksum_ok(const uint8_t *buf, size_t len);

/* Checked size arithmetic: returns 0 on overflow. */
static inline int arag_size_mul(size_t a, size_t b, size_t *out) {
  if (a && b > (size_t)-1 / a) return 0;
  *out = a * b;
  return 1;
}
static inline int arag_size_add(size_t a, size_t b, size_t *out) {
  if (b > (size_t)-1 - a) return 0;
  *out = a + b;
  return 1;
}

#endif
