// The edge worker template (examples/edge-worker) the way its README says to use it: copied,
// `npm install` (here: the npm pack tarball, offline), `wrangler deploy --dry-run` with no
// warnings, and `wrangler dev --local` answering the README's POST /recommend, offline.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { bin, installConsumer, sh, wranglerDev } from './helpers/tarball.mjs';
import { ROOT } from './helpers/common.mjs';

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
});
