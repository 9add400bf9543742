/* Snapshot bytes: the writer/reader helpers, FNV-1a (published test vectors), the
 * container (kind, length, checksum, flags and version checks), index snapshot round
 * trips (f32, int8 + f32, deleted rows, empty), the streaming XXH64 and the checksum a
 * state takes while the bytes are written, version-1 index snapshots made
 * before the container (tests/fixtures), and refusal of every single-byte
 * corruption, every truncation, a newer format version, inconsistent contents and
 * snapshots past the limits and the restore budget, each leaving the target index
 * untouched. */
#include "arag.h"
#include "snapshot_io.h"
#include "test.h"
#include "test_util.h"

#include <stdint.h>
#include <stdlib.h>

static uint64_t rng_state = 0x452821e638d01377ull;
static float frand(void) { return test_frand(&rng_state); }

static void test_fnv_vectors(void) {
  /* Reference values from the FNV specification's test suite. */
  CHECK(arag_fnv1a64("", 0, ARAG_FNV64_OFFSET) == 0xcbf29ce484222325ull);
  CHECK(arag_fnv1a64("a", 1, ARAG_FNV64_OFFSET) == 0xaf63dc4c8601ec8cull);
  CHECK(arag_fnv1a64("foobar", 6, ARAG_FNV64_OFFSET) == 0x85944171f73967e8ull);
  CHECK(arag_fnv1a32("", 0) == 0x811c9dc5u);
  CHECK(arag_fnv1a32("a", 1) == 0xe40c292cu);
  CHECK(arag_fnv1a32("foobar", 6) == 0xbf9cf968u);
  /* XXH64, seed 0, as the xxHash reference tool (xxhsum -H1) gives them: short inputs,
   * and 39 bytes (the four lanes, then the tail). */
  CHECK(arag_xxh64("", 0, 0) == 0xef46db3751d8e999ull);
  CHECK(arag_xxh64("a", 1, 0) == 0xd24ec4f1a98c6e5bull);
  CHECK(arag_xxh64("abc", 3, 0) == 0x44bc2cf5ad770999ull);
  const char *nobody = "Nobody inspects the spammish repetition";
  CHECK(arag_xxh64(nobody, strlen(nobody), 0) == 0xfbcea83c8a378bf1ull);
  /* 63 bytes: one round of the lanes, three 8-byte words, a 4-byte word, 3 bytes. */
  const char *digits = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde";
  CHECK(arag_xxh64(digits, 63, 0) == 0x3fa8ceec90675311ull);
}

/* The streaming XXH64 over pieces of random sizes (0 to 100 bytes, some past a stripe)
 * gives the one-shot digest, for every length 0..300 and seeds 0 and another. */
static void test_xxh64_streaming(void) {
  uint8_t data[300];
  for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)test_rnd(&rng_state);
  const uint64_t seeds[2] = {0, 0x9E3779B97F4A7C15ull};
  for (int si = 0; si < 2; si++) {
    for (size_t len = 0; len <= sizeof data; len++) {
      arag_xxh64_state st;
      arag_xxh64_reset(&st, seeds[si]);
      for (size_t at = 0; at < len;) {
        size_t n = test_rnd(&rng_state) % 101;
        if (n > len - at) n = len - at;
        arag_xxh64_update(&st, data + at, n);
        at += n;
      }
      CHECK(arag_xxh64_digest(&st) == arag_xxh64(data, len, seeds[si]));
    }
  }
  /* A published vector, fed a byte at a time. */
  const char *digits = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde";
  arag_xxh64_state st;
  arag_xxh64_reset(&st, 0);
  for (int i = 0; i < 63; i++) arag_xxh64_update(&st, digits + i, 1);
  CHECK(arag_xxh64_digest(&st) == 0x3fa8ceec90675311ull);
}

/* The container's checksum from a state fed while the bytes were written: the same
 * verdicts as hashing them at once; a state of other bytes or fed short is refused. */
static void test_container_summed(void) {
  arag_writer w;
  arag_writer_init(&w);
  arag_snap_begin(&w, ARAG_SNAP_HISTORY, 7);
  for (int i = 0; i < 70000; i++) arag_writer_u32(&w, test_rnd(&rng_state));
  arag_snap_end(&w);
  size_t len;
  uint8_t *src = arag_writer_take(&w, &len);
  uint8_t *b = malloc(len);
  arag_error err;
  uint32_t version = 0;
  arag_reader body;
  arag_snap_sum sum;
  /* Written in pieces of random sizes, the first shorter than the header. */
  arag_snap_sum_init(&sum, b);
  for (size_t at = 0; at < len;) {
    size_t n = at == 0 ? 5 : 1 + test_rnd(&rng_state) % 70000;
    if (n > len - at) n = len - at;
    memcpy(b + at, src + at, n);
    at += n;
    arag_snap_sum_feed(&sum, at);
    CHECK_EQ_INT(sum.done, at < ARAG_SNAP_HEADER ? 0 : at);
  }
  CHECK_EQ_INT(arag_snap_open_summed(b, len, ARAG_SNAP_HISTORY, 1, 7, &sum, &version, &body, &err),
               ARAG_OK);
  CHECK_EQ_INT(arag_reader_left(&body), len - ARAG_SNAP_HEADER);
  /* A byte altered before it was written (in transit) is refused by the state's digest. */
  b[len / 2] ^= 1;
  arag_snap_sum_init(&sum, b);
  arag_snap_sum_feed(&sum, len);
  CHECK_EQ_INT(arag_snap_open_summed(b, len, ARAG_SNAP_HISTORY, 1, 7, &sum, &version, &body, &err),
               ARAG_E_CORRUPT);
  CHECK(strstr(err.message, "checksum mismatch") != NULL);
  b[len / 2] ^= 1;
  arag_snap_sum_init(&sum, b);
  arag_snap_sum_feed(&sum, len / 3);
  arag_snap_sum_feed(&sum, len / 3); /* fed again to where it is: nothing more hashed */
  arag_snap_sum_feed(&sum, len);
  CHECK_EQ_INT(arag_snap_open_summed(b, len, ARAG_SNAP_HISTORY, 1, 7, &sum, &version, &body, &err),
               ARAG_OK);
  /* A state fed short of the end, not fed at all, or of other bytes: refused. */
  arag_snap_sum part;
  arag_snap_sum_init(&part, b);
  arag_snap_sum_feed(&part, len - 1);
  CHECK_EQ_INT(arag_snap_open_summed(b, len, ARAG_SNAP_HISTORY, 1, 7, &part, &version, &body, &err),
               ARAG_E_INVALID);
  CHECK(strstr(err.message, "covers") != NULL);
  arag_snap_sum_init(&part, b);
  CHECK_EQ_INT(arag_snap_open_summed(b, len, ARAG_SNAP_HISTORY, 1, 7, &part, &version, &body, &err),
               ARAG_E_INVALID);
  CHECK_EQ_INT(arag_snap_open_summed(b, len, ARAG_SNAP_HISTORY, 1, 7, &sum, &version, &body, &err),
               ARAG_OK);
  CHECK_EQ_INT(
      arag_snap_open_summed(src, len, ARAG_SNAP_HISTORY, 1, 7, &sum, &version, &body, &err),
      ARAG_E_INVALID);
  CHECK(strstr(err.message, "other bytes") != NULL);
  /* Truncated bytes are refused as truncated before the state is looked at. */
  CHECK_EQ_INT(
      arag_snap_open_summed(b, len - 1, ARAG_SNAP_HISTORY, 1, 7, &sum, &version, &body, &err),
      ARAG_E_CORRUPT);
  CHECK(strstr(err.message, "truncated") != NULL);
  free(b);
  free(src);
}

static void test_writer_reader(void) {
  arag_writer w;
  arag_writer_init(&w);
  arag_writer_u8(&w, 0xab);
  arag_writer_u32(&w, 0x01020304u);
  arag_writer_u64(&w, 0x1122334455667788ull);
  arag_writer_f32(&w, -1.5f);
  arag_writer_f64(&w, 3.25);
  for (int i = 0; i < 1000; i++) arag_writer_u32(&w, (uint32_t)i);    /* forces growth */
  arag_writer_u64(&w, arag_fnv1a64(w.buf, w.len, ARAG_FNV64_OFFSET)); /* a version-1 trailer */
  size_t len;
  uint8_t *b = arag_writer_take(&w, &len);
  CHECK(b != NULL);
  CHECK_EQ_INT(len, 1 + 4 + 8 + 4 + 8 + 4000 + 8);
  /* Little endian on the wire, whatever the host. */
  CHECK(b[1] == 0x04 && b[2] == 0x03 && b[3] == 0x02 && b[4] == 0x01);
  CHECK(b[5] == 0x88 && b[12] == 0x11);
  CHECK(arag_checksum_ok(b, len));
  arag_reader r;
  arag_reader_init(&r, b, len - 8);
  uint8_t u8;
  uint32_t u32;
  uint64_t u64;
  float f;
  double d;
  CHECK(arag_reader_u8(&r, &u8) && u8 == 0xab);
  CHECK(arag_reader_u32(&r, &u32) && u32 == 0x01020304u);
  CHECK(arag_reader_u64(&r, &u64) && u64 == 0x1122334455667788ull);
  CHECK(arag_reader_f32(&r, &f) && f == -1.5f);
  CHECK(arag_reader_f64(&r, &d) && d == 3.25);
  for (uint32_t i = 0; i < 1000; i++) {
    CHECK(arag_reader_u32(&r, &u32));
    CHECK_EQ_INT(u32, i);
  }
  CHECK_EQ_INT(arag_reader_left(&r), 0);
  u32 = 77;
  CHECK(!arag_reader_u32(&r, &u32));
  CHECK_EQ_INT(u32, 77);
  CHECK(r.failed);
  CHECK(!arag_reader_u8(&r, &u8));
  b[100] ^= 1;
  CHECK(!arag_checksum_ok(b, len));
  CHECK(!arag_checksum_ok(b, 7));
  free(b);
}

static uint64_t le64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

static void test_container(void) {
  arag_writer w;
  arag_writer_init(&w);
  arag_snap_begin(&w, ARAG_SNAP_HISTORY, 7);
  arag_writer_bytes(&w, "body", 4);
  arag_snap_end(&w);
  size_t len;
  uint8_t *b = arag_writer_take(&w, &len);
  CHECK_EQ_INT(len, 36);
  CHECK(memcmp(b, "ARAGHIST", 8) == 0);
  CHECK(b[8] == 7 && b[9] == 0 && b[12] == 0);
  CHECK_EQ_INT(le64(b + 16), 36);
  /* The checksum: XXH64 of the body seeded with the FNV-1a 64 of the header's first
   * 24 bytes. */
  uint64_t seed = arag_fnv1a64(b, 24, ARAG_FNV64_OFFSET);
  CHECK(le64(b + 24) == arag_xxh64("body", 4, seed));
  arag_error err;
  uint32_t version = 0;
  arag_reader body;
  CHECK_EQ_INT(arag_snap_open(b, len, ARAG_SNAP_HISTORY, 1, 7, &version, &body, &err), ARAG_OK);
  CHECK_EQ_INT(version, 7);
  CHECK_EQ_INT(arag_reader_left(&body), 4);
  CHECK(memcmp(arag_reader_view(&body, 4), "body", 4) == 0);
  /* Another kind, an unknown kind, not a snapshot. */
  CHECK_EQ_INT(arag_snap_open(b, len, ARAG_SNAP_CATALOG, 1, 7, &version, &body, &err),
               ARAG_E_CORRUPT);
  CHECK(strstr(err.message, "history snapshot, not a catalog") != NULL);
  b[4] = 'X';
  CHECK_EQ_INT(arag_snap_open(b, len, ARAG_SNAP_INDEX, 1, 7, &version, &body, &err),
               ARAG_E_CORRUPT);
  CHECK(strstr(err.message, "not an index snapshot") != NULL);
  b[4] = 'H';
  b[0] = 'X';
  CHECK_EQ_INT(arag_snap_open(b, len, ARAG_SNAP_HISTORY, 1, 7, &version, &body, &err),
               ARAG_E_CORRUPT);
  CHECK(strstr(err.message, "magic") != NULL);
  b[0] = 'A';
  /* Truncated (in the header, in the body) and trailing bytes. */
  CHECK_EQ_INT(arag_snap_open(b, 20, ARAG_SNAP_HISTORY, 1, 7, &version, &body, &err),
               ARAG_E_CORRUPT);
  CHECK_EQ_INT(arag_snap_open(b, 35, ARAG_SNAP_HISTORY, 1, 7, &version, &body, &err),
               ARAG_E_CORRUPT);
  CHECK(strstr(err.message, "truncated") != NULL);
  uint8_t *longer = malloc(len + 1);
  memcpy(longer, b, len);
  longer[len] = 0;
  CHECK_EQ_INT(arag_snap_open(longer, len + 1, ARAG_SNAP_HISTORY, 1, 7, &version, &body, &err),
               ARAG_E_CORRUPT);
  CHECK(strstr(err.message, "trailing") != NULL);
  free(longer);
  /* A body byte altered; then the same with the checksum made to match. */
  b[33] ^= 1;
  CHECK_EQ_INT(arag_snap_open(b, len, ARAG_SNAP_HISTORY, 1, 7, &version, &body, &err),
               ARAG_E_CORRUPT);
  CHECK(strstr(err.message, "checksum") != NULL);
  arag_snap_seal(b, len);
  CHECK_EQ_INT(arag_snap_open(b, len, ARAG_SNAP_HISTORY, 1, 7, &version, &body, &err), ARAG_OK);
  /* Versions outside the range read, unknown flags. */
  CHECK_EQ_INT(arag_snap_open(b, len, ARAG_SNAP_HISTORY, 1, 6, &version, &body, &err),
               ARAG_E_VERSION);
  CHECK(strstr(err.message, "version 7 (this build reads 1 to 6)") != NULL);
  CHECK_EQ_INT(arag_snap_open(b, len, ARAG_SNAP_HISTORY, 8, 9, &version, &body, &err),
               ARAG_E_VERSION);
  b[12] = 1;
  arag_snap_seal(b, len);
  CHECK_EQ_INT(arag_snap_open(b, len, ARAG_SNAP_HISTORY, 1, 7, &version, &body, &err),
               ARAG_E_CORRUPT);
  CHECK(strstr(err.message, "flags") != NULL);
  CHECK_EQ_INT(arag_snap_open(NULL, 0, ARAG_SNAP_HISTORY, 1, 7, &version, &body, &err),
               ARAG_E_CORRUPT);
  free(b);
  /* The budget: takes what fits, refuses what does not and keeps what was left. */
  arag_budget bud = {100};
  CHECK(arag_budget_take(&bud, 60));
  CHECK(!arag_budget_take(&bud, 41));
  CHECK(arag_budget_take(&bud, 40));
  CHECK_EQ_INT(bud.left, 0);
  CHECK(!arag_budget_take(&bud, 1));
}

static arag_index *sample(arag_dtype dt, int keep, uint32_t n, uint32_t dim) {
  arag_index *ix = NULL;
  CHECK_EQ_INT(arag_index_create(dim, dt, ARAG_COSINE, keep, NULL, &ix), ARAG_OK);
  char id[32];
  float *v = malloc(dim * sizeof(float));
  for (uint32_t i = 0; i < n; i++) {
    for (uint32_t j = 0; j < dim; j++) v[j] = frand();
    snprintf(id, sizeof id, "item-%u", i);
    CHECK_EQ_INT(arag_index_add(ix, id, strlen(id), v, dim), ARAG_OK);
  }
  free(v);
  return ix;
}

/* Equal observable state: count, dim, ids per slot, vectors, search results. */
static int equal_index(arag_index *a, arag_index *b, uint32_t slots) {
  int ok = arag_index_count(a) == arag_index_count(b) && arag_index_dim(a) == arag_index_dim(b);
  uint32_t dim = arag_index_dim(a);
  float *va = malloc(dim * sizeof(float)), *vb = malloc(dim * sizeof(float));
  for (uint32_t s = 0; ok && s < slots; s++) {
    size_t la, lb;
    const char *ia = arag_index_id(a, s, &la), *ib = arag_index_id(b, s, &lb);
    if ((ia == NULL) != (ib == NULL) || la != lb || (ia && memcmp(ia, ib, la))) ok = 0;
    if (ia && ok) {
      ok = arag_index_vector(a, s, va, dim) == ARAG_OK &&
           arag_index_vector(b, s, vb, dim) == ARAG_OK && memcmp(va, vb, dim * sizeof(float)) == 0;
    }
  }
  for (uint32_t j = 0; j < dim; j++) va[j] = (float)(j % 5) - 2.0f;
  uint32_t sa[16], sb[16], na = 0, nb = 0;
  float ca[16], cb[16];
  if (ok && (arag_index_search(a, va, dim, 16, NULL, 0, 2, sa, ca, &na) != ARAG_OK ||
             arag_index_search(b, va, dim, 16, NULL, 0, 2, sb, cb, &nb) != ARAG_OK || na != nb ||
             memcmp(sa, sb, na * 4) || memcmp(ca, cb, na * 4)))
    ok = 0;
  free(va);
  free(vb);
  return ok;
}

static void test_round_trip(void) {
  for (int variant = 0; variant < 3; variant++) {
    arag_dtype dt = variant ? ARAG_I8 : ARAG_F32;
    int keep = variant == 2;
    arag_index *a = sample(dt, keep, 120, 21);
    for (int i = 0; i < 120; i += 7) {
      char id[32];
      snprintf(id, sizeof id, "item-%d", i);
      CHECK_EQ_INT(arag_index_remove(a, id, strlen(id)), ARAG_OK);
    }
    uint8_t *bytes = NULL;
    size_t len = 0;
    CHECK_EQ_INT(arag_index_snapshot(a, &bytes, &len), ARAG_OK);
    CHECK(len > 56 && memcmp(bytes, "ARAGINDX", 8) == 0 && bytes[8] == 2);
    /* Restore into an index of another shape: it takes the snapshot's shape. */
    arag_index *b = NULL;
    CHECK_EQ_INT(arag_index_create(3, ARAG_F32, ARAG_DOT, 0, NULL, &b), ARAG_OK);
    CHECK_EQ_INT(arag_index_add(b, "old", 3, (const float[]){1, 2, 3}, 3), ARAG_OK);
    CHECK_EQ_INT(arag_index_restore(b, bytes, len), ARAG_OK);
    CHECK(equal_index(a, b, 120));
    uint32_t slot;
    CHECK_EQ_INT(arag_index_slot(b, "old", 3, &slot), ARAG_E_NOT_FOUND);
    CHECK_EQ_INT(arag_index_slot(b, "item-8", 6, &slot), ARAG_OK);
    CHECK_EQ_INT(slot, 8);
    /* Same bytes again. */
    uint8_t *bytes2 = NULL;
    size_t len2 = 0;
    CHECK_EQ_INT(arag_index_snapshot(b, &bytes2, &len2), ARAG_OK);
    CHECK(len2 == len && memcmp(bytes, bytes2, len) == 0);
    /* Compaction and further adds work on a restored index. */
    CHECK_EQ_INT(arag_index_compact(b), ARAG_OK);
    CHECK_EQ_INT(arag_index_count(b), arag_index_count(a));
    float v[21] = {1};
    CHECK_EQ_INT(arag_index_add(b, "fresh", 5, v, 21), ARAG_OK);
    arag_free(bytes);
    arag_free(bytes2);
    arag_index_free(a);
    arag_index_free(b);
  }
  /* Empty index. */
  arag_index *e = sample(ARAG_F32, 0, 0, 4), *f = sample(ARAG_F32, 0, 3, 4);
  uint8_t *bytes;
  size_t len;
  CHECK_EQ_INT(arag_index_snapshot(e, &bytes, &len), ARAG_OK);
  CHECK_EQ_INT(arag_index_restore(f, bytes, len), ARAG_OK);
  CHECK_EQ_INT(arag_index_count(f), 0);
  arag_free(bytes);
  arag_index_free(e);
  arag_index_free(f);
}

static void test_corruption_refused(void) {
  for (int variant = 0; variant < 2; variant++) {
    arag_index *a = sample(variant ? ARAG_I8 : ARAG_F32, variant, 5, 6);
    CHECK_EQ_INT(arag_index_remove(a, "item-2", 6), ARAG_OK);
    uint8_t *bytes;
    size_t len;
    CHECK_EQ_INT(arag_index_snapshot(a, &bytes, &len), ARAG_OK);
    /* The target holds other contents that must survive every failed restore. */
    arag_index *t = sample(ARAG_F32, 0, 9, 6), *ref = NULL;
    uint8_t *tb;
    size_t tlen;
    CHECK_EQ_INT(arag_index_snapshot(t, &tb, &tlen), ARAG_OK);
    CHECK_EQ_INT(arag_index_create(6, ARAG_F32, ARAG_COSINE, 0, NULL, &ref), ARAG_OK);
    CHECK_EQ_INT(arag_index_restore(ref, tb, tlen), ARAG_OK);
    uint8_t *copy = malloc(len);
    int refused = 0, wrong_code = 0;
    for (size_t i = 0; i < len; i++) {
      for (int flip = 0; flip < 2; flip++) {
        memcpy(copy, bytes, len);
        copy[i] ^= flip ? 0xff : 0x01;
        arag_status st = arag_index_restore(t, copy, len);
        refused += st != ARAG_OK;
        wrong_code += st != ARAG_E_CORRUPT && st != ARAG_E_VERSION;
      }
    }
    CHECK_EQ_INT(refused, 2 * len);
    CHECK_EQ_INT(wrong_code, 0);
    for (size_t cut = 0; cut < len; cut++) {
      arag_status st = arag_index_restore(t, bytes, cut);
      CHECK_EQ_INT(st, ARAG_E_CORRUPT);
    }
    /* Trailing garbage is refused too. */
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, bytes, len);
    longer[len] = 0;
    CHECK_EQ_INT(arag_index_restore(t, longer, len + 1), ARAG_E_CORRUPT);
    CHECK(strstr(arag_index_last_error(t), "ARAG_E_CORRUPT") != NULL);
    CHECK(equal_index(t, ref, 9));
    free(longer);
    free(copy);
    arag_free(bytes);
    arag_free(tb);
    arag_index_free(a);
    arag_index_free(t);
    arag_index_free(ref);
  }
}

/* Rewrites a u32 field and the checksum, so only the semantic check can refuse. */
static void patch_u32(uint8_t *b, size_t len, size_t off, uint32_t v) {
  b[off] = (uint8_t)v;
  b[off + 1] = (uint8_t)(v >> 8);
  b[off + 2] = (uint8_t)(v >> 16);
  b[off + 3] = (uint8_t)(v >> 24);
  arag_snap_seal(b, len);
}

static void test_version_and_semantics(void) {
  arag_index *a = sample(ARAG_F32, 0, 4, 8), *t = sample(ARAG_F32, 0, 2, 8);
  uint8_t *bytes;
  size_t len;
  CHECK_EQ_INT(arag_index_snapshot(a, &bytes, &len), ARAG_OK);
  uint8_t *c = malloc(len);
  /* A newer format version, and version 1 inside the container (it never was). */
  memcpy(c, bytes, len);
  patch_u32(c, len, 8, 3);
  CHECK_EQ_INT(arag_index_restore(t, c, len), ARAG_E_VERSION);
  CHECK(strstr(arag_index_last_error(t), "version 3") != NULL);
  patch_u32(c, len, 8, 1);
  CHECK_EQ_INT(arag_index_restore(t, c, len), ARAG_E_VERSION);
  /* Duplicate ids with a valid checksum: "item-0" -> "item-1". */
  memcpy(c, bytes, len);
  size_t first_id = 32 + 24 + 5;
  CHECK(memcmp(c + first_id, "item-0", 6) == 0);
  c[first_id + 5] = '1';
  arag_snap_seal(c, len);
  CHECK_EQ_INT(arag_index_restore(t, c, len), ARAG_E_CORRUPT);
  CHECK(strstr(arag_index_last_error(t), "repeats") != NULL);
  /* Bad dtype, zero dim, live count above slots. */
  memcpy(c, bytes, len);
  patch_u32(c, len, 36, 9);
  CHECK_EQ_INT(arag_index_restore(t, c, len), ARAG_E_CORRUPT);
  memcpy(c, bytes, len);
  patch_u32(c, len, 32, 0);
  CHECK_EQ_INT(arag_index_restore(t, c, len), ARAG_E_CORRUPT);
  memcpy(c, bytes, len);
  patch_u32(c, len, 52, 5);
  CHECK_EQ_INT(arag_index_restore(t, c, len), ARAG_E_CORRUPT);
  /* A NaN in a row. */
  memcpy(c, bytes, len);
  float nan = NAN;
  memcpy(c + len - 4, &nan, 4);
  arag_snap_seal(c, len);
  CHECK_EQ_INT(arag_index_restore(t, c, len), ARAG_E_CORRUPT);
  /* A restore budget below what the rows take. */
  arag_limits l;
  arag_index_get_limits(t, &l);
  l.max_restore_bytes = 500;
  CHECK_EQ_INT(arag_index_set_limits(t, &l), ARAG_OK);
  CHECK_EQ_INT(arag_index_restore(t, bytes, len), ARAG_E_LIMIT);
  CHECK(strstr(arag_index_last_error(t), "max_restore_bytes") != NULL);
  CHECK_EQ_INT(arag_index_count(t), 2);
  l.max_restore_bytes = 0;
  CHECK_EQ_INT(arag_index_set_limits(t, &l), ARAG_E_INVALID);
  arag_limits_default(&l);
  CHECK_EQ_INT(arag_index_set_limits(t, &l), ARAG_OK);
  CHECK_EQ_INT(arag_index_restore(t, bytes, len), ARAG_OK);
  CHECK(arag_index_memory_bytes(t) <= (size_t)len * 2 + 4096);
  arag_index_free(t);
  t = sample(ARAG_F32, 0, 2, 8);
  /* Past the target's limits. */
  arag_index_get_limits(t, &l);
  l.max_rows = 3;
  CHECK_EQ_INT(arag_index_set_limits(t, &l), ARAG_OK);
  CHECK_EQ_INT(arag_index_restore(t, bytes, len), ARAG_E_LIMIT);
  l.max_rows = 10;
  l.max_dim = 7;
  CHECK_EQ_INT(arag_index_set_limits(t, &l), ARAG_E_LIMIT); /* t itself has dim 8 */
  arag_index *small = NULL;
  l.max_dim = 7;
  CHECK_EQ_INT(arag_index_create(4, ARAG_F32, ARAG_COSINE, 0, &l, &small), ARAG_OK);
  CHECK_EQ_INT(arag_index_restore(small, bytes, len), ARAG_E_LIMIT);
  l.max_dim = 8;
  l.max_id_bytes = 5;
  CHECK_EQ_INT(arag_index_set_limits(small, &l), ARAG_OK);
  CHECK_EQ_INT(arag_index_restore(small, bytes, len), ARAG_E_LIMIT);
  CHECK(strstr(arag_index_last_error(small), "id") != NULL);
  CHECK_EQ_INT(arag_index_dim(small), 4);
  CHECK_EQ_INT(arag_index_count(t), 2);
  CHECK_EQ_INT(arag_index_restore(t, NULL, 10), ARAG_E_INVALID);
  CHECK_EQ_INT(arag_index_restore(t, (const uint8_t *)"ARAHIDX0........", 16), ARAG_E_CORRUPT);
  CHECK(strstr(arag_index_last_error(t), "magic") != NULL);
  CHECK_EQ_INT(arag_index_restore(t, (const uint8_t *)"ARAGIDX1\2\0\0\0....", 16), ARAG_E_VERSION);
  CHECK_EQ_INT(arag_index_count(t), 2);
  free(c);
  arag_free(bytes);
  arag_index_free(a);
  arag_index_free(t);
  arag_index_free(small);
}

/* Version-1 snapshots (before the container), written by the library before the
 * format changed (tests/fixtures/README.md): they restore to the index the same
 * calls build now, and snapshot again in the current format. */
static void vec(uint32_t i, uint32_t dim, float *v) {
  for (uint32_t j = 0; j < dim; j++) v[j] = (float)((int)((i * 7 + j * 3) % 11) - 5) / 4.0f;
}

static void test_version1_fixtures(void) {
  static const char *const ids[] = {"alpha", "beta", "gamma", "delta", "epsilon"};
  float v[24];
  for (int variant = 0; variant < 2; variant++) {
    uint32_t dim = variant ? 20 : 8, n = variant ? 4 : 5;
    arag_index *want = NULL, *got = NULL;
    CHECK_EQ_INT(arag_index_create(dim, variant ? ARAG_I8 : ARAG_F32,
                                   variant ? ARAG_DOT : ARAG_COSINE, variant, NULL, &want),
                 ARAG_OK);
    for (uint32_t i = 0; i < n; i++) {
      vec(i + (variant ? 10 : 0), dim, v);
      CHECK_EQ_INT(arag_index_add(want, ids[i], strlen(ids[i]), v, dim), ARAG_OK);
    }
    if (!variant) CHECK_EQ_INT(arag_index_remove(want, "beta", 4), ARAG_OK);
    size_t len = 0;
    char *old = test_read_file(
        variant ? "tests/fixtures/index-v1-i8.snap" : "tests/fixtures/index-v1-f32.snap", &len);
    CHECK(old != NULL);
    if (!old) {
      arag_index_free(want);
      continue;
    }
    CHECK(memcmp(old, "ARAGIDX1", 8) == 0);
    CHECK_EQ_INT(arag_index_create(3, ARAG_F32, ARAG_COSINE, 0, NULL, &got), ARAG_OK);
    CHECK_EQ_INT(arag_index_restore(got, (const uint8_t *)old, len), ARAG_OK);
    CHECK(equal_index(want, got, 5));
    uint8_t *a, *b;
    size_t la, lb;
    CHECK_EQ_INT(arag_index_snapshot(want, &a, &la), ARAG_OK);
    CHECK_EQ_INT(arag_index_snapshot(got, &b, &lb), ARAG_OK);
    CHECK(la == lb && memcmp(a, b, la) == 0);
    CHECK(memcmp(b, "ARAGINDX", 8) == 0);
    /* The old format's own checks still hold: a flipped byte, a cut. */
    old[len / 2] ^= 1;
    CHECK_EQ_INT(arag_index_restore(got, (const uint8_t *)old, len), ARAG_E_CORRUPT);
    old[len / 2] ^= 1;
    CHECK_EQ_INT(arag_index_restore(got, (const uint8_t *)old, len - 1), ARAG_E_CORRUPT);
    CHECK(equal_index(want, got, 5));
    arag_free(a);
    arag_free(b);
    free(old);
    arag_index_free(want);
    arag_index_free(got);
  }
}

int main(void) {
  RUN(test_fnv_vectors);
  RUN(test_writer_reader);
  RUN(test_container);
  RUN(test_xxh64_streaming);
  RUN(test_container_summed);
  RUN(test_version1_fixtures);
  RUN(test_round_trip);
  RUN(test_corruption_refused);
  RUN(test_version_and_semantics);
  return test_report();
}
