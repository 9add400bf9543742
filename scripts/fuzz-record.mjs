#!/usr/bin/env node
// Merges one run of scripts/fuzz.sh (its summary.json) into the fuzz figures' JSON
// (docs/figures/fuzz.json): each target run replaces its own entry, the others stay as
// they were measured, each with its date and compiler.
//   node scripts/fuzz-record.mjs FIGURES_JSON SUMMARY_JSON "COMPILER VERSION"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const [file, summary, compiler = ''] = process.argv.slice(2);
if (!file || !summary) {
  console.error('usage: node scripts/fuzz-record.mjs FIGURES_JSON SUMMARY_JSON [COMPILER]');
  process.exit(2);
}
const run = JSON.parse(readFileSync(summary, 'utf8'));
const old = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { targets: [] };
const date = new Date().toISOString().slice(0, 10);
const byName = new Map(old.targets.map((t) => [t.target, t]));
for (const t of run) byName.set(t.target, { ...t, date, compiler: compiler.trim() });
const out = {
  what: 'scripts/fuzz.sh: each libFuzzer target (ASan + UBSan) for its seconds from a copy of its seed corpus, after replaying fuzz/regressions/',
  targets: [...byName.values()].sort((a, b) => a.target.localeCompare(b.target)),
};
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
console.log(`fuzz: ${run.length} target${run.length === 1 ? '' : 's'} recorded in ${file}`);
