/* Snapshot bytes: the container every snapshot shares (index, history, catalog), a
 * growable little-endian writer, a bounds-checked reader, the checksums and the byte
 * budget of a restore.
 *
 * Writer: every put_* sets w->failed on allocation failure (or size overflow)
 * and then does nothing, so a snapshot is written straight through and checked
 * once at the end. Reader: every get_* returns 0 when the bytes run out (and
 * sets r->failed), leaving the output untouched. */
#ifndef ARAG_SNAPSHOT_IO_H
#define ARAG_SNAPSHOT_IO_H

#include "arag.h"
#include "hash.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

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
int arag_reader_u8(arag_reader *r, uint8_t *v);
static inline size_t arag_reader_left(const arag_reader *r) { return r->len - r->pos; }

/* Inline: a restore reads a few numbers per item and per word count, millions of them
 * in a large catalog. */
/* Pointer to the next n bytes without copying (NULL when fewer remain). */
static inline const uint8_t *arag_reader_view(arag_reader *r, size_t n) {
  if (r->failed || n > r->len - r->pos) {
    r->failed = 1;
    return NULL;
  }
  const uint8_t *q = r->p + r->pos;
  r->pos += n;
  return q;
}

static inline int arag_reader_u32(arag_reader *r, uint32_t *v) {
  const uint8_t *b = arag_reader_view(r, 4);
  if (!b) return 0;
  *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
  return 1;
}

static inline int arag_reader_u64(arag_reader *r, uint64_t *v) {
  const uint8_t *b = arag_reader_view(r, 8);
  if (!b) return 0;
  uint64_t x = 0;
  for (int i = 7; i >= 0; i--) x = x << 8 | b[i];
  *v = x;
  return 1;
}

static inline int arag_reader_f32(arag_reader *r, float *v) {
  uint32_t u;
  if (!arag_reader_u32(r, &u)) return 0;
  memcpy(v, &u, 4);
  return 1;
}

static inline int arag_reader_f64(arag_reader *r, double *v) {
  uint64_t u;
  if (!arag_reader_u64(r, &u)) return 0;
  memcpy(v, &u, 8);
  return 1;
}

/* Checks that the last 8 bytes of buf are the FNV-1a 64 of the bytes before
 * them (the trailer of the version-1 index and history formats, before the
 * container). Returns 1 when they match (0 also for len < 8). */
int arag_checksum_ok(const uint8_t *buf, size_t len);

/* The container (little endian):
 *    0  "ARAG"  magic
 *    4  kind    four ASCII bytes naming the body: "INDX" index, "HIST" history,
 *               "CATL" catalog
 *    8  u32     version of that kind's body format
 *   12  u32     flags, 0 (a reader refuses other values)
 *   16  u64     length of the whole snapshot, header included
 *   24  u64     checksum: XXH64 of the body, seeded with the FNV-1a 64 of bytes 0..23
 *               (so it covers every byte but its own)
 *   32  body
 * A reader checks all of it before it reads a byte of the body: truncated, altered
 * or foreign bytes are refused as such, never half read. */
#define ARAG_SNAP_HEADER 32u
#define ARAG_SNAP_INDEX "INDX"
#define ARAG_SNAP_HISTORY "HIST"
#define ARAG_SNAP_CATALOG "CATL"

/* Starts a snapshot of kind (4 bytes) and body version: the header, with length and
 * checksum left to arag_snap_end. */
void arag_snap_begin(arag_writer *w, const char *kind, uint32_t version);
/* Fills in the length and the checksum once the body is written. */
void arag_snap_end(arag_writer *w);
/* Writes length = len and the checksum into bytes that start with a header (what
 * arag_snap_end does; fuzzers use it to get past the checks to the body). */
void arag_snap_seal(uint8_t *buf, size_t len);
/* Checks snapshot bytes of kind whose body versions this build reads in the
 * container are min_version .. max_version: on success *version is the body's
 * version and *body reads exactly the body. Otherwise ARAG_E_CORRUPT (not a
 * snapshot, another kind, truncated, trailing bytes, checksum mismatch, unknown
 * flags) or ARAG_E_VERSION, with a message in err. */
arag_status arag_snap_open(const uint8_t *buf, size_t len, const char *kind, uint32_t min_version,
                           uint32_t max_version, uint32_t *version, arag_reader *body,
                           arag_error *err);

/* The container's checksum taken while the bytes arrive: a host that writes a snapshot
 * into buf piece by piece feeds the state after each piece (end: how many bytes of buf
 * are written), so each is hashed while it is still in cache instead of all of it read
 * again afterwards. Nothing is hashed until the header's 32 bytes are there (they seed
 * the hash); bytes before a state's end must not change after it was fed. */
typedef struct arag_snap_sum {
  arag_xxh64_state h;
  const uint8_t *buf;
  size_t done; /* bytes of buf hashed (0, or from 32 on: the header and the body's start) */
} arag_snap_sum;
void arag_snap_sum_init(arag_snap_sum *s, const uint8_t *buf);
void arag_snap_sum_feed(arag_snap_sum *s, size_t end);
/* arag_snap_open taking the checksum from a state fed with every byte of buf (sum NULL:
 * hashed here). A state of other bytes, or not fed to len, gives ARAG_E_INVALID. */
arag_status arag_snap_open_summed(const uint8_t *buf, size_t len, const char *kind,
                                  uint32_t min_version, uint32_t max_version,
                                  const arag_snap_sum *sum, uint32_t *version, arag_reader *body,
                                  arag_error *err);

/* The bytes a restore may still allocate (limits.max_restore_bytes at the start):
 * each allocation takes its size first and the restore fails with ARAG_E_LIMIT when
 * the budget would go below zero, so crafted counts cannot make it allocate more. */
typedef struct arag_budget {
  size_t left;
} arag_budget;
static inline int arag_budget_take(arag_budget *b, size_t n) {
  if (n > b->left) return 0;
  b->left -= n;
  return 1;
}

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
