// The edge worker template (examples/edge-worker) the way its README says to use it: copied,
// `npm install` (here: the npm pack tarball, offline), `wrangler deploy --dry-run` with no
// warnings, and `wrangler dev --local` answering the README's POST /recommend, offline;
// then with the catalog the README's `npx arag catalog build` writes into catalog/
// (a static asset), answering the shopper's events by id with no candidates.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { bin, installConsumer, sh, wranglerDev } from './helpers/tarball.mjs';
import { ROOT } from './helpers/common.mjs';
import { sampleDataSet } from './helpers/data.mjs';

const stops = [];
after(async () => {
  for (const s of stops.reverse()) await s();
});

test('edge worker template from the tarball: wrangler deploy --dry-run, wrangler dev --local answers /recommend', async () => {
  const dir = installConsumer(join(ROOT, 'examples', 'edge-worker'), 'edge-worker');
  const env = { WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', XDG_CONFIG_HOME: join(dir, '.config') };
  // --env '': the top-level environment (wrangler.toml also defines a Workers AI one).
  const dry = sh(bin('wrangler'), ['deploy', '--dry-run', '--outdir', 'out', '--env', ''], { cwd: dir, env });
  assert.doesNotMatch(dry.out, /WARNING|\[warn/i, `wrangler deploy --dry-run warned:\n${dry.out}`);
  assert.equal(readdirSync(join(dir, 'out')).filter((f) => f.endsWith('.wasm')).length, 1, 'the module is in the upload');

  const dev = await wranglerDev(dir);
  stops.push(dev.stop);
  const res = await fetch(`${dev.url}/recommend`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      history: [{ id: 'h1', title: 'Red lipstick', kind: 'purchase' }],
      candidates: [{ id: 'c1', title: 'Matte red lipstick' }, { id: 'c2', title: 'Hair serum' }],
      k: 2,
    }),
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  const body = JSON.parse(text);
  assert.deepEqual(body.items.map((i) => i.id).sort(), ['c1', 'c2']);
  assert.equal(body.items[0].id, 'c1', 'the lipstick first after a lipstick purchase');
  const health = await (await fetch(`${dev.url}/health`)).json();
  assert.equal(health.catalog.items, 0, 'no catalog until one is built');
  await dev.stop();
  stops.pop();

  // The catalog, built with the package's own command into the assets folder.
  const built = sh(join(dir, 'node_modules', '.bin', 'arag'), ['catalog', 'build', '--data', sampleDataSet(), '--dtype', 'int8', '--out', 'catalog/catalog.snap', '--quiet'], { cwd: dir, env });
  assert.match(built.out, /catalog\/catalog\.snap: \d+ items \(int8/);
  const dry2 = sh(bin('wrangler'), ['deploy', '--dry-run', '--outdir', 'out', '--env', ''], { cwd: dir, env });
  assert.match(dry2.out, /env\.CATALOG_ASSETS\s+Assets/);
  const dev2 = await wranglerDev(dir);
  stops.push(dev2.stop);
  const res2 = await fetch(`${dev2.url}/recommend`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ history: [{ id: 'demo-0001', ts: 1, kind: 'purchase' }, { id: 'demo-0005', ts: 2, kind: 'view' }], k: 5 }),
  });
  const text2 = await res2.text();
  assert.equal(res2.status, 200, text2);
  const out2 = JSON.parse(text2);
  assert.equal(out2.items.length, 5);
  assert.equal(out2.catalog.source, 'catalog');
  assert.ok(out2.items.every((i) => /^demo-\d{4}$/.test(i.id) && i.id !== 'demo-0001' && i.id !== 'demo-0005'));
  // The asset is the worker's to read, not the public's.
  const pub = await fetch(`${dev2.url}/catalog.snap`);
  assert.equal(pub.status, 404);
});
