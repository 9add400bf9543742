#!/usr/bin/env node
// The outputs a refactoring must leave byte for byte as they were (make golden): the
// evaluation JSON of the sample data set and of each real data set present, every
// rendered prompt of LLM-backed recommendations with their results (a recording against
// the deterministic OpenAI-compatible test server), and the catalog, index and history
// snapshots of the sample. Run it before and after a change and compare the folders:
//   node scripts/golden-outputs.mjs OUT_DIR && diff -r BEFORE AFTER
// Needs make wasm and make sample-data.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = process.argv[2];
if (!out) {
  console.error('usage: node scripts/golden-outputs.mjs OUT_DIR');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const cli = join(root, 'web/bin/arag.mjs');
// Asynchronous: the LLM test server below answers from this process meanwhile.
const arag = (...args) => promisify(execFile)(process.execPath, [cli, ...args], { maxBuffer: 1 << 26 });
const sample = join(root, 'build/data/sample-shop');
const dataRoot = process.env.ARAG_DATA_ROOT || join(root, 'data');
const methods = 'recency,rag,popularity,arag,arag-no-nli,arag-no-csa,arag-no-uua,arag-no-shift,arag-storefront';

// 1. The evaluation (offline reasoner) of every data set present.
for (const dir of [sample, join(dataRoot, 'amazon-beauty'), join(dataRoot, 'amazon-office')]) {
  if (!existsSync(join(dir, 'items.jsonl'))) {
    console.log(`golden: ${dir} not found, skipped`);
    continue;
  }
  const name = dir.split('/').pop();
  await arag('eval', '--data', dir, '--methods', methods, '--quiet', '--no-checkpoint', '--json', join(out, `eval-${name}.json`));
  console.log(`golden: eval ${name}`);
}

// 2. Every prompt the four agents are sent, and what the pipeline makes of the answers.
const { startOpenAIServer } = await import(join(root, 'wasm-tests/helpers/openai-test-server.mjs'));
const server = await startOpenAIServer();
try {
  const rec = join(out, 'llm.recording.jsonl');
  await arag('eval', '--data', sample, '--methods', 'arag,arag-storefront', '--users', '40', '--backend', 'openai',
    '--base-url', server.baseURL, '--model', 'golden', '--concurrency', '1', '--llm-concurrency', '1',
    '--no-checkpoint', '--record', rec, '--json', join(out, 'eval-llm.json'));
  // One line per call; the order calls finish in is not part of the output.
  const lines = readFileSync(rec, 'utf8').trim().split('\n');
  writeFileSync(rec, `${[lines[0], ...lines.slice(1).sort()].join('\n')}\n`);
  console.log(`golden: ${lines.length - 1} LLM calls recorded`);
} finally {
  await server.close();
}

// 3. Snapshots: the catalog (f32, int8), an index and a history built from the sample.
for (const dtype of ['f32', 'int8']) await arag('catalog', 'build', '--data', sample, '--dtype', dtype, '--out', join(out, `catalog-${dtype}.snap`));
const { createArag } = await import(join(root, 'dist/index.mjs'));
const a = await createArag();
const cat = a.createCatalog({ snapshot: readFileSync(join(out, 'catalog-f32.snap')) });
writeFileSync(join(out, 'index.snap'), cat.index.snapshot());
const hist = a.createHistory();
const events = readFileSync(join(sample, 'interactions.jsonl'), 'utf8').trim().split('\n').slice(0, 200).map((l) => JSON.parse(l));
hist.add(events.map((e) => ({ ...cat.get(e.item), id: e.item, ts: e.ts, ...(e.kind ? { kind: e.kind } : {}) })));
writeFileSync(join(out, 'history.snap'), hist.snapshot());
console.log(`golden: snapshots written; sha256 of ${out}:`);
for (const f of ['catalog-f32.snap', 'catalog-int8.snap', 'index.snap', 'history.snap']) {
  console.log(`  ${createHash('sha256').update(readFileSync(join(out, f))).digest('hex').slice(0, 16)}  ${f}`);
}
