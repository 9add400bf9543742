#!/usr/bin/env node
// Records one soak run (make soak) in the soak figures' JSON (docs/figures/soak.json):
// reads the `soak-summary {...}` line the run printed (wasm-tests/soak/edge-soak.mjs,
// tools/soak_native) from its log, and under valgrind memcheck's own summary lines, and
// replaces that run's entry, the others kept as they were measured, each with its date.
//   node scripts/soak-record.mjs FIGURES_JSON RUN LOG [NOTE]
//   RUN: edge | native-lsan | native-valgrind
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const RUNS = {
  edge: 'the edge worker in workerd (Miniflare), LLM calls to a local server with seeded faults',
  'native-lsan': 'tools/soak_native, ASan build (LeakSanitizer at exit), seeded faults',
  'native-valgrind': 'tools/soak_native under valgrind memcheck (build without AVX-512), seeded faults',
};
const [file, run, log, note = ''] = process.argv.slice(2);
if (!file || !RUNS[run] || !log) {
  console.error(`usage: node scripts/soak-record.mjs FIGURES_JSON ${Object.keys(RUNS).join('|')} LOG [NOTE]`);
  process.exit(2);
}
const text = readFileSync(log, 'utf8');
const line = text.split('\n').filter((l) => l.startsWith('soak-summary ')).pop();
if (!line) {
  console.error(`soak-record: no soak-summary line in ${log}`);
  process.exit(1);
}
const summary = JSON.parse(line.slice('soak-summary '.length));
const entry = { run, what: RUNS[run], date: new Date().toISOString().slice(0, 10), ...summary };
if (note) entry.note = note;
if (run === 'native-valgrind') {
  // ==123== ERROR SUMMARY: 0 errors from 0 contexts ...
  // ==123==   total heap usage: 62,715,800 allocs, 62,715,800 frees, ...
  const num = (re) => {
    const m = text.match(re);
    return m ? Number(m[1].replace(/,/g, '')) : null;
  };
  entry.valgrind = {
    errors: num(/ERROR SUMMARY: ([\d,]+) errors/),
    allocs: num(/total heap usage: ([\d,]+) allocs/),
    frees: num(/total heap usage: [\d,]+ allocs, ([\d,]+) frees/),
    all_freed: /All heap blocks were freed/.test(text),
  };
}
const old = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { runs: [] };
const runs = old.runs.filter((r) => r.run !== run);
runs.push(entry);
runs.sort((a, b) => Object.keys(RUNS).indexOf(a.run) - Object.keys(RUNS).indexOf(b.run));
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, `${JSON.stringify({ what: 'make soak: SOAK_N recommendations per run', runs }, null, 1)}\n`);
console.log(`soak: ${run} recorded in ${file}`);
