#!/usr/bin/env node
// What a shopper sees on a shelf of 6, measured for docs/reasons.md, docs/shelf.md and
// docs/offline-reasoner.md: for the sample data set and each real data set present, every
// user's recommendation from the whole catalog checked by the reason checker
// (web/src/eval/check-reasons.mjs: false claims, variants of one product, the largest
// brand's share) with the module's defaults (the storefront's), with the shelf's rules off,
// and, with --before REV, the module at that revision with its defaults; and the
// interest-shift scenarios (web/src/eval/interest-shift.mjs) with the shift on and off.
// The ranking quality of the same settings is the evaluation's (docs/figures/eval-*.json:
// arag, arag-no-shift, arag-storefront), which the renderer reads beside this file.
//
//   node scripts/storefront-figures.mjs [--before REV | --before-dist DIR] [--users N]
//                                       [--json docs/figures/storefront.json]
//
// --before REV builds the module at REV in a temporary git worktree (make wasm).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { checkReasons } from '../web/src/eval/check-reasons.mjs';
import { shiftScenarios } from '../web/src/eval/interest-shift.mjs';
import { writeSampleData } from './sample-data.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const K = 6;

const { values: o } = parseArgs({
  options: {
    before: { type: 'string' },
    'before-dist': { type: 'string' },
    users: { type: 'string', default: '0' },
    json: { type: 'string', default: join(ROOT, 'docs', 'figures', 'storefront.json') },
  },
});

function buildAt(rev) {
  const dir = mkdtempSync(join(tmpdir(), 'arag-before-'));
  execFileSync('git', ['worktree', 'add', '--detach', dir, rev], { cwd: ROOT, stdio: 'ignore' });
  execFileSync('make', ['wasm'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  return dir;
}

let beforeTree = null;
let beforeDist = o['before-dist'] ? resolve(o['before-dist']) : null;
let beforeRev = null;
if (o.before) {
  beforeRev = execFileSync('git', ['rev-parse', '--short', o.before], { cwd: ROOT, encoding: 'utf8' }).trim();
  process.stderr.write(`storefront-figures: building the module at ${beforeRev}\n`);
  beforeTree = buildAt(o.before);
  beforeDist = join(beforeTree, 'dist');
}

const dist = join(ROOT, 'dist');
const users = Number(o.users) || 0;
const dataRoot = process.env.ARAG_DATA_ROOT ? resolve(process.env.ARAG_DATA_ROOT) : join(ROOT, 'data');
const sets = [['sample-shop', writeSampleData()]];
for (const n of ['amazon-beauty', 'amazon-office']) {
  const d = join(dataRoot, n);
  if (existsSync(join(d, 'items.jsonl'))) sets.push([n, d]);
  else process.stderr.write(`storefront-figures: ${d} not found: skipped (set ARAG_DATA_ROOT)\n`);
}

const pick = (r) => ({
  users: r.users,
  items: r.items,
  claims: r.claims,
  false_claims: r.false_claims,
  false_claim_share: r.false_claim_share,
  variant_duplicate_share: r.shelf.variant_duplicate_share,
  largest_brand_share: r.shelf.largest_brand_share,
  shelves_over_half_one_brand: r.shelf.shelves_over_half_one_brand,
});

const out = {
  command: `node scripts/storefront-figures.mjs${beforeRev ? ` --before ${beforeRev}` : ''}${users ? ` --users ${users}` : ''}`,
  k: K,
  before_rev: beforeRev,
  sets: {},
};
try {
  for (const [name, data] of sets) {
    process.stderr.write(`storefront-figures: ${name}\n`);
    const s = {};
    s.after = pick(await checkReasons({ data, dist, k: K, users }));
    s.shelf_off = pick(await checkReasons({ data, dist, k: K, users, config: { shelf: false } }));
    if (beforeDist) s.before = pick(await checkReasons({ data, dist: beforeDist, k: K, users }));
    const on = await shiftScenarios({ data, dist, k: K });
    if (on.scenarios) {
      const off = await shiftScenarios({ data, dist, k: K, config: { reasoner: { shift: 0 } } });
      const keep = (r) => ({ share_new: r.share_new, half_new: r.half_new, share_old: r.share_old });
      s.shift = { scenarios: on.scenarios, level: on.level, on: keep(on), off: keep(off) };
    }
    out.sets[name] = s;
  }
} finally {
  if (beforeTree) {
    execFileSync('git', ['worktree', 'remove', '--force', beforeTree], { cwd: ROOT, stdio: 'ignore' });
    rmSync(beforeTree, { recursive: true, force: true });
  }
}
writeFileSync(o.json, `${JSON.stringify(out, null, 2)}\n`);
process.stderr.write(`storefront-figures: wrote ${o.json}\n`);
