#!/usr/bin/env node
// What an int8 catalog costs the ranking: build/native/eval_native (make native) runs arag on
// each data set present with the catalog's vectors in f32 and in int8 (the baselines keep
// f32), and the two NDCG@5 / Hit@5 go to docs/figures/int8-eval.json (docs/js-api.md).
// The f32 run's figures of the catalog (items, word tables, items and targets in no
// history) and its time (the run's seconds, milliseconds per recommendation) go with them
// (docs/evaluation.md, docs/offline-reasoner.md), and arag's NDCG@5 / Hit@5 with IRA's
// diversity step at 1 (--param ira_div=1; docs/offline-reasoner.md).
//   node scripts/int8-figures.mjs [--json docs/figures/int8-eval.json] DATA_DIR...
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const args = process.argv.slice(2);
let out = join(ROOT, 'docs', 'figures', 'int8-eval.json');
const dirs = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--json') out = resolve(args[++i]);
  else dirs.push(args[i]);
}
const tool = join(ROOT, 'build', 'native', 'eval_native');
if (!existsSync(tool)) {
  console.error(`${tool} is missing: make native`);
  process.exit(2);
}
const sets = [];
for (const d of dirs) {
  if (!existsSync(join(d, 'items.jsonl'))) {
    console.error(`int8-figures: ${d} not found: skipped (set ARAG_DATA_ROOT)`);
    continue;
  }
  const row = { dataset: basename(d) };
  for (const dtype of ['f32', 'int8']) {
    const t0 = performance.now();
    const text = execFileSync(tool, ['--data', d, '--methods', 'arag', '--catalog', dtype], { encoding: 'utf8', maxBuffer: 1 << 26 });
    const seconds = Math.round((performance.now() - t0) / 100) / 10;
    const j = JSON.parse(text.trim().split('\n').filter((l) => l.startsWith('{')).pop());
    const m = j.methods.arag;
    row.users = j.users;
    row.split = j.split;
    row[dtype] = { 'ndcg@5': m['ndcg@5'], 'hit@5': m['hit@5'], 'ndcg@5_ci': m['ndcg@5_ci'], ms_per_rec: m.ms_per_rec, seconds };
    if (dtype === 'f32') row.catalog = j.catalog;
  }
  const div = execFileSync(tool, ['--data', d, '--methods', 'arag', '--param', 'ira_div=1'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const dm = JSON.parse(div.trim().split('\n').filter((l) => l.startsWith('{')).pop()).methods.arag;
  row.ira_div_1 = { 'ndcg@5': dm['ndcg@5'], 'hit@5': dm['hit@5'] };
  sets.push(row);
  console.log(`int8-figures: ${row.dataset}: NDCG@5 f32 ${row.f32['ndcg@5']}, int8 ${row.int8['ndcg@5']}`);
}
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ what: 'build/native/eval_native --methods arag --catalog f32|int8, test split, 49 sampled negatives, seed 1', sets }, null, 1)}\n`,
);
