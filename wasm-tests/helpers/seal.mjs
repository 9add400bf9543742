// Seals altered snapshot bytes as the library would have written them: the container's
// length and checksum (src/common/snapshot_io.h: XXH64 of the body, seeded with the
// FNV-1a 64 of bytes 0 to 23), so that a test reaches the checks behind the checksum.
// XXH64 after the xxHash specification, on BigInt: slow, for test-sized snapshots.
const M = (1n << 64n) - 1n;
const P1 = 0x9e3779b185ebca87n;
const P2 = 0xc2b2ae3d27d4eb4fn;
const P3 = 0x165667b19e3779f9n;
const P4 = 0x85ebca77c2b2ae63n;
const P5 = 0x27d4eb2f165667c5n;

const rotl = (x, r) => ((x << BigInt(r)) | (x >> BigInt(64 - r))) & M;
const round = (acc, input) => (rotl((acc + input * P2) & M, 31) * P1) & M;
const merge = (acc, v) => ((((acc ^ round(0n, v)) * P1) & M) + P4) & M;

/** XXH64 of bytes (a Uint8Array) with a BigInt seed. */
export function xxh64(bytes, seed) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = bytes.length;
  let p = 0;
  let h;
  if (len >= 32) {
    const v = [(seed + P1 + P2) & M, (seed + P2) & M, seed, (seed - P1) & M];
    for (; len - p >= 32; p += 32) for (let k = 0; k < 4; k++) v[k] = round(v[k], dv.getBigUint64(p + 8 * k, true));
    h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) & M;
    for (const x of v) h = merge(h, x);
  } else {
    h = (seed + P5) & M;
  }
  h = (h + BigInt(len)) & M;
  for (; p + 8 <= len; p += 8) h = (rotl(h ^ round(0n, dv.getBigUint64(p, true)), 27) * P1 + P4) & M;
  if (p + 4 <= len) {
    h = (rotl(h ^ ((BigInt(dv.getUint32(p, true)) * P1) & M), 23) * P2 + P3) & M;
    p += 4;
  }
  for (; p < len; p++) h = (rotl(h ^ ((BigInt(bytes[p]) * P5) & M), 11) * P1) & M;
  h = ((h ^ (h >> 33n)) * P2) & M;
  h = ((h ^ (h >> 29n)) * P3) & M;
  return h ^ (h >> 32n);
}

/** Writes the length and checksum of a snapshot's header into its bytes (in place). */
export function sealSnapshot(bytes) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  dv.setBigUint64(16, BigInt(bytes.length), true);
  let seed = 0xcbf29ce484222325n;
  for (let i = 0; i < 24; i++) seed = ((seed ^ BigInt(bytes[i])) * 0x100000001b3n) & M;
  dv.setBigUint64(24, xxh64(bytes.subarray(32), seed), true);
  return bytes;
}
