/* The snapshot container, the little-endian byte writer and reader, and the
 * checksums (see snapshot_io.h). */
#include "snapshot_io.h"

#include "errbuf.h"
#include "le.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void arag_writer_init(arag_writer *w) { memset(w, 0, sizeof *w); }

int arag_writer_reserve(arag_writer *w, size_t extra) {
  if (w->failed) return 0;
  size_t need;
  if (!arag_size_add(w->len, extra, &need)) {
    w->failed = 1;
    return 0;
  }
  if (need <= w->cap) return 1;
  size_t cap = w->cap ? w->cap : 256;
  while (cap < need) {
    if (cap > (size_t)-1 / 2) {
      cap = need;
      break;
    }
    cap *= 2;
  }
  uint8_t *nb = realloc(w->buf, cap);
  if (!nb) {
    w->failed = 1;
    return 0;
  }
  w->buf = nb;
  w->cap = cap;
  return 1;
}

void arag_writer_bytes(arag_writer *w, const void *p, size_t n) {
  if (!n || !arag_writer_reserve(w, n)) return;
  memcpy(w->buf + w->len, p, n);
  w->len += n;
}

void arag_writer_u8(arag_writer *w, uint8_t v) { arag_writer_bytes(w, &v, 1); }

void arag_writer_u32(arag_writer *w, uint32_t v) {
  uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  arag_writer_bytes(w, b, 4);
}

void arag_writer_u64(arag_writer *w, uint64_t v) {
  arag_writer_u32(w, (uint32_t)v);
  arag_writer_u32(w, (uint32_t)(v >> 32));
}

void arag_writer_f32(arag_writer *w, float v) {
  uint32_t u;
  memcpy(&u, &v, 4);
  arag_writer_u32(w, u);
}

void arag_writer_f64(arag_writer *w, double v) {
  uint64_t u;
  memcpy(&u, &v, 8);
  arag_writer_u64(w, u);
}

uint8_t *arag_writer_take(arag_writer *w, size_t *len) {
  uint8_t *b = w->failed ? NULL : w->buf;
  if (len) *len = w->failed ? 0 : w->len;
  if (w->failed) free(w->buf);
  arag_writer_init(w);
  return b;
}

void arag_writer_free(arag_writer *w) {
  free(w->buf);
  arag_writer_init(w);
}

void arag_reader_init(arag_reader *r, const uint8_t *p, size_t len) {
  r->p = p;
  r->len = p ? len : 0;
  r->pos = 0;
  r->failed = 0;
}

int arag_reader_bytes(arag_reader *r, void *out, size_t n) {
  const uint8_t *q = arag_reader_view(r, n);
  if (!q) return 0;
  if (n) memcpy(out, q, n);
  return 1;
}

int arag_reader_u8(arag_reader *r, uint8_t *v) { return arag_reader_bytes(r, v, 1); }

int arag_checksum_ok(const uint8_t *buf, size_t len) {
  if (!buf || len < 8) return 0;
  arag_reader r;
  uint64_t stored = 0;
  arag_reader_init(&r, buf + len - 8, 8);
  arag_reader_u64(&r, &stored);
  return stored == arag_fnv1a64(buf, len - 8, ARAG_FNV64_OFFSET);
}

static void put_u64_at(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t container_sum(const uint8_t *buf, size_t len) {
  uint64_t seed = arag_fnv1a64(buf, 24, ARAG_FNV64_OFFSET);
  return arag_xxh64(buf + ARAG_SNAP_HEADER, len - ARAG_SNAP_HEADER, seed);
}

void arag_snap_begin(arag_writer *w, const char *kind, uint32_t version) {
  arag_writer_bytes(w, "ARAG", 4);
  arag_writer_bytes(w, kind, 4);
  arag_writer_u32(w, version);
  arag_writer_u32(w, 0);
  arag_writer_u64(w, 0); /* length and checksum: arag_snap_end */
  arag_writer_u64(w, 0);
}

void arag_snap_seal(uint8_t *buf, size_t len) {
  if (!buf || len < ARAG_SNAP_HEADER) return;
  put_u64_at(buf + 16, (uint64_t)len);
  put_u64_at(buf + 24, container_sum(buf, len));
}

void arag_snap_end(arag_writer *w) {
  if (!w->failed) arag_snap_seal(w->buf, w->len);
}

/* What a kind holds, for messages ("index"), NULL for an unknown kind. */
static const char *kind_name(const uint8_t *k) {
  if (!memcmp(k, ARAG_SNAP_INDEX, 4)) return "index";
  if (!memcmp(k, ARAG_SNAP_HISTORY, 4)) return "history";
  if (!memcmp(k, ARAG_SNAP_CATALOG, 4)) return "catalog";
  return NULL;
}

void arag_snap_sum_init(arag_snap_sum *s, const uint8_t *buf) {
  memset(s, 0, sizeof *s);
  s->buf = buf;
}

void arag_snap_sum_feed(arag_snap_sum *s, size_t end) {
  if (!s || !s->buf || end <= s->done) return;
  if (s->done < ARAG_SNAP_HEADER) {
    if (end < ARAG_SNAP_HEADER) return;
    arag_xxh64_reset(&s->h, arag_fnv1a64(s->buf, 24, ARAG_FNV64_OFFSET));
    s->done = ARAG_SNAP_HEADER;
  }
  arag_xxh64_update(&s->h, s->buf + s->done, end - s->done);
  s->done = end;
}

/* The checksum of buf's len bytes: from sum when it covers exactly them. */
static arag_status checksum_of(const uint8_t *buf, size_t len, const arag_snap_sum *sum,
                               const char *want, uint64_t *out, arag_error *err) {
  if (!sum) {
    *out = container_sum(buf, len);
    return ARAG_OK;
  }
  if (sum->buf != buf)
    return arag_err_set(err, ARAG_E_INVALID, "%s snapshot checksum state is of other bytes", want);
  if (sum->done != len)
    return arag_err_set(err, ARAG_E_INVALID,
                        "%s snapshot checksum state covers %zu of its %zu bytes", want, sum->done,
                        len);
  *out = arag_xxh64_digest(&sum->h);
  return ARAG_OK;
}

arag_status arag_snap_open(const uint8_t *buf, size_t len, const char *kind, uint32_t min_version,
                           uint32_t max_version, uint32_t *version, arag_reader *body,
                           arag_error *err) {
  return arag_snap_open_summed(buf, len, kind, min_version, max_version, NULL, version, body, err);
}

arag_status arag_snap_open_summed(const uint8_t *buf, size_t len, const char *kind,
                                  uint32_t min_version, uint32_t max_version,
                                  const arag_snap_sum *sum, uint32_t *version, arag_reader *body,
                                  arag_error *err) {
  const char *want = kind_name((const uint8_t *)kind);
  if (!buf || len < 8 || memcmp(buf, "ARAG", 4) != 0) {
    return arag_err_set(err, ARAG_E_CORRUPT, "not an arag snapshot (bad magic)");
  }
  if (memcmp(buf + 4, kind, 4) != 0) {
    const char *got = kind_name(buf + 4);
    if (got)
      return arag_err_set(err, ARAG_E_CORRUPT, "this is a %s snapshot, not a%s %s snapshot", got,
                          want[0] == 'i' ? "n" : "", want);
    return arag_err_set(err, ARAG_E_CORRUPT, "not a%s %s snapshot (unknown kind)",
                        want[0] == 'i' ? "n" : "", want);
  }
  if (len < ARAG_SNAP_HEADER) {
    return arag_err_set(err, ARAG_E_CORRUPT, "%s snapshot truncated in its header (%zu bytes)",
                        want, len);
  }
  uint64_t total = arag_le64(buf + 16);
  if (total != len) {
    return arag_err_set(err, ARAG_E_CORRUPT, "%s snapshot is %zu bytes, its header says %llu (%s)",
                        want, len, (unsigned long long)total,
                        total > len ? "truncated" : "trailing bytes");
  }
  uint64_t sum_now = 0;
  arag_status st = checksum_of(buf, len, sum, want, &sum_now, err);
  if (st != ARAG_OK) return st;
  if (arag_le64(buf + 24) != sum_now) {
    return arag_err_set(err, ARAG_E_CORRUPT, "%s snapshot checksum mismatch (%zu bytes: altered)",
                        want, len);
  }
  arag_reader r;
  uint32_t v = 0, flags = 0;
  arag_reader_init(&r, buf + 8, 8);
  arag_reader_u32(&r, &v);
  arag_reader_u32(&r, &flags);
  if (flags != 0) {
    return arag_err_set(err, ARAG_E_CORRUPT, "%s snapshot has unknown flags 0x%x", want, flags);
  }
  if (v < min_version || v > max_version) {
    return arag_err_set(err, ARAG_E_VERSION,
                        "%s snapshot format version %u (this build reads %u to %u)", want, v,
                        min_version, max_version);
  }
  *version = v;
  arag_reader_init(body, buf + ARAG_SNAP_HEADER, len - ARAG_SNAP_HEADER);
  return ARAG_OK;
}
