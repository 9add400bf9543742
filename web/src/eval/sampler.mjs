// The protocol's sampling: a stable per-user generator (FNV-1a 64 of `${seed}:${user}`
// seeding splitmix64), negatives by a partial Fisher-Yates over the catalog items the
// user never touched, and the candidate list (negatives + target) shuffled with the same
// generator. The native eval tool implements the same steps; both give the same lists.

const MASK64 = (1n << 64n) - 1n;
const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const encoder = new TextEncoder();

// FNV-1a 64-bit over the UTF-8 bytes of a string (BigInt).
export function fnv1a64(str) {
  let h = FNV_OFFSET;
  for (const b of encoder.encode(str)) {
    h ^= BigInt(b);
    h = (h * FNV_PRIME) & MASK64;
  }
  return h;
}

export class SplitMix64 {
  constructor(state) {
    this.state = BigInt.asUintN(64, BigInt(state));
  }

  // Next 64-bit output (BigInt).
  next() {
    this.state = (this.state + 0x9e3779b97f4a7c15n) & MASK64;
    let z = this.state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    return z ^ (z >> 31n);
  }

  // next() mod n, as a Number (n > 0).
  below(n) {
    return Number(this.next() % BigInt(n));
  }
}

export function userGenerator(seed, user) {
  return new SplitMix64(fnv1a64(`${seed}:${user}`));
}

// catalogIds: all item ids in file order. history: item ids (any order); target: id.
// Returns { candidates: [ids], targetIndex, negatives: n } following the protocol.
export function sampleCandidates(catalogIds, history, target, { negatives = 49, seed = 1, user }) {
  if (typeof user !== 'string') throw new TypeError('sampleCandidates: user id required');
  const exclude = new Set(history);
  exclude.add(target);
  const pool = [];
  for (const id of catalogIds) if (!exclude.has(id)) pool.push(id);
  const gen = userGenerator(seed, user);
  const n = Math.min(negatives, pool.length);
  for (let i = 0; i < n; i++) {
    const j = i + gen.below(pool.length - i);
    const t = pool[i];
    pool[i] = pool[j];
    pool[j] = t;
  }
  const cands = pool.slice(0, n);
  cands.push(target);
  for (let i = cands.length - 1; i >= 1; i--) {
    const j = gen.below(i + 1);
    const t = cands[i];
    cands[i] = cands[j];
    cands[j] = t;
  }
  return { candidates: cands, targetIndex: cands.indexOf(target), negatives: n };
}
