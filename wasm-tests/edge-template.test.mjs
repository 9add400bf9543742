// The edge worker template (examples/edge-worker) the way its README says to use it: copied,
// `npm install` (here: the npm pack tarball, offline), then the README's own commands, read
// from the README and run as written: `npx wrangler deploy` (with --dry-run: nothing leaves
// this machine) with no warning, for wrangler.toml and for the Workers AI configuration,
// `npx wrangler dev` answering the README's POST /recommend, offline; then the README's
// `npx arag catalog build` writing the catalog into catalog/ (a static asset), and the
// shopper's events answered by id with no candidates.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { copyFileSync, readFileSync, readdirSync } from 'node:fs';
import { installConsumer, sh, wranglerDev } from './helpers/tarball.mjs';
import { ROOT } from './helpers/common.mjs';
import { sampleDataSet } from './helpers/data.mjs';

const TEMPLATE = join(ROOT, 'examples', 'edge-worker');
const README = readFileSync(join(TEMPLATE, 'README.md'), 'utf8');

const stops = [];
after(async () => {
  for (const s of stops.reverse()) await s();
});

/** A command of the README, checked to be there word for word, as argv. */
function readmeCommand(line) {
  assert.ok(README.includes(line), `examples/edge-worker/README.md no longer says \`${line}\``);
  return line.split(/\s+/);
}

/** The JSON body of the README's n-th curl request (-d '...'). */
function readmeBody(n) {
  const bodies = [...README.matchAll(/curl -s localhost:8787\/recommend -H 'content-type: application\/json' -d '([^']+)'/g)].map((m) => m[1]);
  assert.ok(bodies[n], `the README's curl request ${n + 1} is missing`);
  return bodies[n];
}

// npx finds wrangler and arag as a user's install would have them (wrangler here is the
// repository's pinned devDependency, arag the tarball); offline, metrics off, no login.
function run(dir, line, extra = []) {
  const [npx, ...args] = readmeCommand(line);
  assert.equal(npx, 'npx');
  return sh('npx', [...args, ...extra], { cwd: dir, env: { WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', XDG_CONFIG_HOME: join(dir, '.config'), npm_config_offline: 'true' } });
}

const noWarning = (r, what) => assert.doesNotMatch(r.out, /WARNING|\[warn|▲/i, `${what} warned:\n${r.out}`);

test('edge worker template from the tarball: the README\'s deploy (dry run) and dev commands as written', async () => {
  const dir = installConsumer(TEMPLATE, 'edge-worker');
  // `--outdir out` keeps a copy of what would be uploaded, to look into.
  const dry = run(dir, 'npx wrangler deploy', ['--dry-run', '--outdir', 'out']);
  noWarning(dry, 'npx wrangler deploy --dry-run');
  assert.match(dry.out, /env\.ARAG_LLM \("offline"\)/);
  assert.doesNotMatch(dry.out, /env\.AI\b/, 'no AI binding in the default configuration');
  assert.equal(readdirSync(join(dir, 'out')).filter((f) => f.endsWith('.wasm')).length, 1, 'the module is in the upload');

  const ai = run(dir, 'npx wrangler deploy -c wrangler.workers-ai.toml', ['--dry-run']);
  noWarning(ai, 'npx wrangler deploy -c wrangler.workers-ai.toml --dry-run');
  assert.match(ai.out, /env\.AI\s+AI/);
  assert.match(ai.out, /env\.ARAG_LLM \("workers-ai"\)/);
  assert.match(ai.out, /env\.TOKEN_BUDGET \(TokenBudget\)\s+Durable Object/);

  readmeCommand('npx wrangler dev');
  const dev = await wranglerDev(dir, { readme: true });
  stops.push(dev.stop);
  const res = await fetch(`${dev.url}/recommend`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: readmeBody(0) });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  const body = JSON.parse(text);
  assert.deepEqual(body.items.map((i) => i.id).sort(), ['c1', 'c2']);
  assert.equal(body.items[0].id, 'c1', 'the lipstick first after a lipstick purchase');
  const health = await (await fetch(`${dev.url}/health`)).json();
  assert.equal(health.catalog.items, 0, 'no catalog until one is built');
  await dev.stop();
  stops.pop();

  // The catalog, built with the package's own command into the assets folder, from an
  // items.jsonl beside it as the README has it (the sample data set's).
  copyFileSync(join(sampleDataSet(), 'items.jsonl'), join(dir, 'items.jsonl'));
  const built = run(dir, 'npx arag catalog build --data items.jsonl --dtype int8 --out catalog/catalog.snap', ['--quiet']);
  assert.match(built.out, /catalog\/catalog\.snap: \d+ items \(int8/);
  const dry2 = run(dir, 'npx wrangler deploy', ['--dry-run']);
  noWarning(dry2, 'npx wrangler deploy --dry-run with a catalog');
  assert.match(dry2.out, /env\.CATALOG_ASSETS\s+Assets/);
  const dev2 = await wranglerDev(dir, { readme: true });
  stops.push(dev2.stop);
  // The README's request with the sample catalog's ids in place of its sku-1.
  const res2 = await fetch(`${dev2.url}/recommend`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: readmeBody(1).replace('"sku-1"', '"demo-0001"'),
  });
  const text2 = await res2.text();
  assert.equal(res2.status, 200, text2);
  const out2 = JSON.parse(text2);
  assert.equal(out2.items.length, 10);
  assert.equal(out2.catalog.source, 'catalog');
  assert.ok(out2.items.every((i) => /^demo-\d{4}$/.test(i.id) && i.id !== 'demo-0001'));
  // The asset is the worker's to read, not the public's.
  const pub = await fetch(`${dev2.url}/catalog.snap`);
  assert.equal(pub.status, 404);
});
