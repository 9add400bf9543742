// The documentation cannot drift: the figures tool (scripts/figures.mjs) redraws blocks
// from their JSON and --check fails on a block that differs; the renderers print what the
// JSON says; every relative link in README.md and docs/ points at a file and heading
// that exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { updateFigures } from '../scripts/figures.mjs';
import { render as renderEval } from '../scripts/figures/eval.mjs';
import { render as renderPipeline } from '../scripts/figures/bench-pipeline.mjs';
import { render as renderHardening } from '../scripts/figures/hardening.mjs';
import { render as renderBundle } from '../scripts/figures/bundle-size.mjs';
import { render as renderLlm } from '../scripts/figures/llm.mjs';
import { render as renderInt8 } from '../scripts/figures/int8-eval.mjs';
import { render as renderNoWords } from '../scripts/figures/no-words.mjs';
import { ROOT } from './helpers/common.mjs';

const run = promisify(execFile);

function fixture(files) {
  const root = mkdtempSync(join(tmpdir(), 'arag-figures-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

const RENDERER = `export function render(j, { view, figure }) {
  if (view === 'sum') return 'sum ' + (j.a + figure('other').b);
  return '| a | b |\\n|---|---|\\n| ' + j.a + ' | ' + j.b + ' |';
}\n`;

test('figures: a block is drawn from its JSON, a change is caught by --check and redrawn', async () => {
  const root = fixture({
    'docs/figures/speed-demo.json': '{"a": 1, "b": 2}',
    'docs/figures/other.json': '{"b": 40}',
    'scripts/figures/speed.mjs': RENDERER,
    'README.md': 'Intro.\n\n<!-- figures:speed-demo -->\nstale text\n<!-- /figures:speed-demo -->\n\nEnd.\n',
    'docs/page.md': '# P\n\n<!-- figures:speed-demo:sum -->\n<!-- /figures:speed-demo:sum -->\n',
  });
  try {
    let r = await updateFigures({ root, check: true });
    assert.deepEqual(r.errors, []);
    assert.equal(r.blocks, 2);
    assert.deepEqual(r.changed, ['README.md:3: figures:speed-demo', 'docs/page.md:3: figures:speed-demo:sum']);
    assert.match(readFileSync(join(root, 'README.md'), 'utf8'), /stale text/, '--check writes nothing');
    r = await updateFigures({ root });
    assert.equal(readFileSync(join(root, 'README.md'), 'utf8'), 'Intro.\n\n<!-- figures:speed-demo -->\n| a | b |\n|---|---|\n| 1 | 2 |\n<!-- /figures:speed-demo -->\n\nEnd.\n');
    assert.equal(readFileSync(join(root, 'docs/page.md'), 'utf8'), '# P\n\n<!-- figures:speed-demo:sum -->\nsum 41\n<!-- /figures:speed-demo:sum -->\n');
    assert.deepEqual((await updateFigures({ root, check: true })).changed, []);
    // A new measurement: the JSON changes, the committed block no longer matches.
    writeFileSync(join(root, 'docs/figures/speed-demo.json'), '{"a": 7, "b": 2}');
    assert.deepEqual((await updateFigures({ root, check: true })).changed, ['README.md:3: figures:speed-demo', 'docs/page.md:3: figures:speed-demo:sum']);
    // The command line: exit 1 naming the block, then a redraw, then 0.
    const cli = join(ROOT, 'scripts/figures.mjs');
    const bad = await run(process.execPath, [cli, '--check', '--root', root]).catch((e) => e);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /figures: README\.md:3: figures:speed-demo differs from its JSON \(run node scripts\/figures\.mjs\)/);
    const redraw = await run(process.execPath, [cli, '--root', root]);
    assert.match(redraw.stdout, /figures: 2 blocks, 2 rewritten, 0 errors/);
    assert.match(readFileSync(join(root, 'README.md'), 'utf8'), /\| 7 \| 2 \|/);
    const good = await run(process.execPath, [cli, '--check', '--root', root]);
    assert.match(good.stdout, /figures: 2 blocks checked, 0 differ, 0 errors/);
    const usage = await run(process.execPath, [cli, '--frobnicate']).catch((e) => e);
    assert.equal(usage.code, 2);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('figures: a missing JSON, renderer or closing marker is an error and nothing is written', async () => {
  const root = fixture({
    'docs/figures/speed-demo.json': '{"a": 1, "b": 2}',
    'scripts/figures/speed.mjs': RENDERER,
    'README.md': '<!-- figures:speed-demo -->\nold\n<!-- /figures:speed-demo -->\n',
    'docs/a.md': '<!-- figures:nothing-here -->\n<!-- /figures:nothing-here -->\n',
    'docs/b.md': 'x\n<!-- figures:speed-demo -->\nno end\n',
    'docs/c.md': '<!-- figures:zzz -->\n<!-- /figures:zzz -->\n',
  });
  writeFileSync(join(root, 'docs/figures/zzz.json'), '{}');
  try {
    const r = await updateFigures({ root });
    assert.deepEqual(r.errors, [
      'docs/a.md:1: figures:nothing-here: no renderer scripts/figures/nothing-here.mjs (nor one of a prefix)',
      'docs/b.md:2: figures:speed-demo is not closed by <!-- /figures:speed-demo -->',
      'docs/c.md:1: figures:zzz: no renderer scripts/figures/zzz.mjs (nor one of a prefix)',
    ]);
    assert.equal(readFileSync(join(root, 'README.md'), 'utf8'), '<!-- figures:speed-demo -->\nold\n<!-- /figures:speed-demo -->\n', 'no page half redrawn');
    writeFileSync(join(root, 'scripts/figures/nothing.mjs'), RENDERER);
    const r2 = await updateFigures({ root, check: true });
    assert.match(r2.errors[0], /^docs\/a\.md:1: figures:nothing-here: no docs\/figures\/nothing-here\.json$/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("the repository's figures match their JSON (what make test's docs-check runs)", async () => {
  const r = await updateFigures({ root: ROOT, check: true });
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.changed, []);
  assert.ok(r.blocks >= 10, `${r.blocks} blocks`);
  assert.deepEqual(r.unused, []);
});

test("the eval renderer prints the JSON: every method, its metrics, arag's gain and interval", () => {
  const j = JSON.parse(readFileSync(join(ROOT, 'docs/figures/eval-amazon-beauty.json'), 'utf8'));
  const md = renderEval(j, { view: null, figure: () => null });
  const rows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith(`| ${j.dataset} |`));
  assert.deepEqual(rows.map((l) => l.split('|')[1].trim().replace(/\*/g, '')), Object.keys(j.methods));
  for (const l of rows) {
    const cells = l.split('|').slice(1, -1).map((c) => c.trim().replace(/\*/g, ''));
    const m = j.methods[cells[0]];
    assert.deepEqual(cells.slice(1, 6).map(Number), ['ndcg@5', 'hit@5', 'ndcg@10', 'hit@10', 'mrr'].map((k) => Number(m[k].toFixed(3))));
  }
  const g = j.gain_over_best_baseline.arag;
  const arag = rows.find((l) => l.startsWith('| **arag** |'));
  assert.ok(arag.includes(`+${(100 * g['ndcg@5']).toFixed(1)}%`), arag);
  assert.ok(arag.includes(`[+${(100 * g.ci['ndcg@5'][0]).toFixed(1)}, +${(100 * g.ci['ndcg@5'][1]).toFixed(1)}]`), arag);
  const bt = renderEval(j, { view: 'by-target', figure: () => null });
  assert.ok(bt.startsWith(`${j.dataset}: ${j.by_target.in_history.users.toLocaleString('en-US')} users' targets`));
  assert.throws(() => renderEval(j, { view: 'nope' }), /unknown view "nope"/);
});

test('the pipeline renderer: one catalog figure for every page that quotes it', () => {
  const j = JSON.parse(readFileSync(join(ROOT, 'docs/figures/bench-pipeline.json'), 'utf8'));
  const md = renderPipeline(j, { view: 'catalog-memory' });
  assert.ok(md.includes(`${(j.catalog_heap_bytes / 1e6).toFixed(1)} MB of heap, ${j.catalog_heap_bytes_per_item.toLocaleString('en-US')} bytes per item`), md);
  const marker = '<!-- figures:bench-pipeline:catalog-memory -->';
  const pages = readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => readFileSync(join(ROOT, 'docs', f), 'utf8'))
    .filter((text) => text.includes(marker));
  assert.ok(pages.length >= 1, 'some page quotes the catalog figure');
  for (const p of pages) assert.ok(p.includes(md), 'the block is the rendered figure');
});

// GitHub's heading anchors: lower case, punctuation other than '-' and '_' dropped, spaces to '-'.
function anchors(text) {
  const out = new Set();
  let fence = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) fence = !fence;
    const m = !fence && /^#{1,6} (.*)$/.exec(line);
    if (m) out.add(m[1].trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-'));
  }
  return out;
}

const committed = (name) => JSON.parse(readFileSync(join(ROOT, `docs/figures/${name}.json`), 'utf8'));

test('the hardening renderer prints the counts the suites printed, not a copy', () => {
  const j = committed('hardening');
  const md = renderHardening(j, { view: null });
  const f = j.native_faults;
  assert.ok(md.includes(`${f.requests.toLocaleString('en-US')} agent requests; ${f.faults.toLocaleString('en-US')} faults`), md);
  assert.ok(md.includes(`All ${f.done.toLocaleString('en-US')} finished sessions`));
  const e = j.wasm_faults.emscripten;
  const w = j.wasm_faults.wasi;
  assert.ok(md.includes(`${(e.injected + w.injected).toLocaleString('en-US')} of ${(e.calls + w.calls).toLocaleString('en-US')} calls faulty`));
  // Another run's counts give another table; a fence-respecting model swayed is said so.
  const other = structuredClone(j);
  other.native_faults.requests = 12345;
  other.injection.fenced.swayed = 2;
  assert.ok(renderHardening(other, { view: null }).includes('12,345 agent requests'));
  const prose = renderHardening(other, { view: 'injection' });
  assert.match(prose.replace(/\s+/g, ' '), new RegExp(`2 of the other ${j.injection.cases - j.injection.refusedNul} moved the item`));
  assert.doesNotMatch(prose, /none of the other/);
  assert.throws(() => renderHardening(j, { view: 'nope' }), /unknown view/);
});

test('the bundle renderer: one row per entry, sizes from the JSON', () => {
  const j = committed('bundle-size');
  const md = renderBundle(j, { view: null });
  const rows = md.split('\n').filter((l) => l.startsWith('| `'));
  assert.deepEqual(rows.map((l) => l.split('|')[1].trim().replace(/`/g, '')), j.bundles.map((b) => b.imports));
  for (const [i, b] of j.bundles.entries()) assert.ok(rows[i].includes(`${(b.bytes / 1024).toFixed(1)} KB`), rows[i]);
  const llmOnly = j.bundles.find((b) => b.imports === 'openAIChat');
  assert.equal(llmOnly.emscripten_glue, false, 'an LLM-only bundle leaves the module loader out');
});

test('the llm renderer: what an IRA answer takes, said from the JSON whichever way it falls', () => {
  const j = committed('llm');
  const a = j.ira_answer_tokens;
  const md = renderLlm(j, { view: 'ira-answer' });
  assert.ok(md.includes(`take ${a.reasons_15_words.min.toLocaleString('en-US')}-${a.reasons_15_words.max.toLocaleString('en-US')} tokens`), md);
  // Answers that fit: the room left is said, not a count past the cap.
  const fits = structuredClone(j);
  Object.assign(fits.ira_answer_tokens.reasons_15_words, { min: 1250, p50: 1300, max: 1470, over_max_tokens: 0, over_800: fits.ira_answer_tokens.answers });
  const fit = renderLlm(fits, { view: 'ira-answer' });
  assert.match(fit, new RegExp(`IRA's ${a.ira_max_tokens.toLocaleString('en-US')} leave at least ${(a.ira_max_tokens - 1470).toLocaleString('en-US')} to spare`));
  assert.match(fit, /the old fixed 800 cut every one/);
  assert.match(renderLlm(j, { view: 'offline-scores' }), new RegExp(`the median first item ${a.scores.first.p50.toFixed(2)}`));
});

test("eval_native's figures: the catalog's counts and the ablation without Words, from their JSON", () => {
  const j = committed('int8-eval');
  const noHistory = renderInt8(j, { view: 'no-history' });
  const words = renderInt8(j, { view: 'words' });
  for (const s of j.sets) {
    const c = s.catalog;
    assert.ok(noHistory.includes(`| ${s.dataset} | ${c.targets_in_no_history.toLocaleString('en-US')} of ${c.eligible_users.toLocaleString('en-US')} `), noHistory);
    assert.ok(words.includes(`| ${s.dataset} | ${c.items.toLocaleString('en-US')} | ${c.title_words.toLocaleString('en-US')} |`), words);
  }
  assert.throws(() => renderInt8({ sets: [{ ...j.sets[0], catalog: undefined }] }, { view: 'words' }), /make eval-figures/);
  const figure = (name) => committed(name);
  const nw = committed('no-words-amazon-beauty');
  const md = renderNoWords(nw, { view: null, figure });
  assert.ok(md.includes(`without \`Words\` ${nw.by_target.in_no_history.methods.arag['ndcg@5'].toFixed(3)}`), md);
  // Another run than the one it is set beside is refused, not drawn.
  assert.throws(() => renderNoWords({ ...nw, users: nw.users - 1 }, { view: null, figure }), /not the same users/);
});

test('every relative link in README.md and docs/ names a file and a heading that exist', () => {
  const pages = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  let links = 0;
  for (const page of pages) {
    const text = readFileSync(join(ROOT, page), 'utf8');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      links++;
      const [path, hash] = target.split('#');
      const file = path ? resolve(dirname(join(ROOT, page)), path) : join(ROOT, page);
      assert.ok(existsSync(file), `${page}: ${target}: no such file`);
      if (hash) assert.ok(anchors(readFileSync(file, 'utf8')).has(hash), `${page}: ${target}: no such heading`);
    }
  }
  assert.ok(links > 20, `${links} links checked`);
});
