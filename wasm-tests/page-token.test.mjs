// Page tokens, redaction and trace levels of the host library (dist/page-token.mjs,
// redact.mjs, trace-level.mjs), and the `arag token` command that prints a token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DIST, ROOT, requireFile } from './helpers/common.mjs';

requireFile(join(DIST, 'index.mjs'), 'run `make wasm` first');
const { signPageToken, verifyPageToken, PAGE_TOKEN_DEFAULTS, createRedactor, redactSecrets, traceAtLevel, AragError } = await import('../dist/index.mjs');

const SECRET = 'a-page-token-secret-of-at-least-32-bytes';
const ORIGIN = 'https://shop.example';

test('a token verifies with its secret and origin, and carries its budget', async () => {
  const t = await signPageToken({ secret: SECRET, origin: ORIGIN, maxCalls: 7, maxTokens: 900, trace: 'full' });
  const r = await verifyPageToken(t, { secret: SECRET, origin: ORIGIN });
  assert.equal(r.ok, true);
  assert.equal(r.claims.origin, ORIGIN);
  assert.equal(r.claims.maxCalls, 7);
  assert.equal(r.claims.maxTokens, 900);
  assert.equal(r.claims.trace, 'full');
  assert.equal(r.claims.expiresAt - r.claims.issuedAt, PAGE_TOKEN_DEFAULTS.ttlSeconds);
  const t2 = await signPageToken({ secret: SECRET, origin: ORIGIN });
  assert.notEqual((await verifyPageToken(t2, { secret: SECRET })).claims.id, r.claims.id, 'every token has its own id');
});

test('expired, other-origin, forged, tampered and malformed tokens are refused', async () => {
  const now = Date.now();
  const t = await signPageToken({ secret: SECRET, origin: ORIGIN, ttlSeconds: 60, now });
  assert.equal((await verifyPageToken(t, { secret: SECRET, now: now + 61000 })).reason, 'expired');
  assert.equal((await verifyPageToken(t, { secret: SECRET, origin: 'https://evil.example', now })).reason, 'origin');
  assert.equal((await verifyPageToken(t, { secret: `${SECRET}x`, now })).reason, 'signature');
  const [h, c, s] = t.split('.');
  const claims = JSON.parse(Buffer.from(c, 'base64url'));
  claims.c = 1e9;
  assert.equal((await verifyPageToken(`${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`, { secret: SECRET, now })).reason, 'signature');
  for (const bad of ['', 'x', 'apt1.a', 'apt2.a.b', `${h}.${c}`, `${h}.${c}.${s}.x`, `${h}.%%%.${s}`, 'apt1.' + 'a'.repeat(2000) + '.b']) {
    assert.equal((await verifyPageToken(bad, { secret: SECRET, now })).ok, false, bad.slice(0, 20));
  }
  const future = await signPageToken({ secret: SECRET, origin: ORIGIN, now: now + 3600e3 });
  assert.equal((await verifyPageToken(future, { secret: SECRET, now })).reason, 'not_yet_valid');
});

test('a token may name the shopper it speaks for; the name is signed like every claim', async () => {
  const t = await signPageToken({ secret: SECRET, origin: ORIGIN, shopper: 'shopper-42' });
  assert.equal((await verifyPageToken(t, { secret: SECRET, origin: ORIGIN })).claims.shopper, 'shopper-42');
  assert.equal((await verifyPageToken(await signPageToken({ secret: SECRET, origin: ORIGIN }), { secret: SECRET })).claims.shopper, null);
  const long = '\u{1F6D2}'.repeat(64); // 128 UTF-16 units, 256 bytes: the longest a token takes
  assert.equal((await verifyPageToken(await signPageToken({ secret: SECRET, origin: ORIGIN, shopper: long }), { secret: SECRET })).claims.shopper, long);
  for (const bad of ['', 'x'.repeat(129), 'a\uD800b', 42, null]) {
    await assert.rejects(signPageToken({ secret: SECRET, origin: ORIGIN, shopper: bad }), (e) => e instanceof AragError && /shopper/.test(e.message), String(bad));
  }
  // Another shopper written into the claims breaks the signature.
  const [h, claims, sig] = t.split('.');
  const c = JSON.parse(Buffer.from(claims, 'base64url').toString());
  c.sh = 'victim';
  const r = await verifyPageToken(`${h}.${Buffer.from(JSON.stringify(c)).toString('base64url')}.${sig}`, { secret: SECRET });
  assert.deepEqual(r, { ok: false, reason: 'signature' });
});

test('minting refuses a short secret, a lifetime past 24 h, a non-origin, a bad budget', async () => {
  const bad = [
    { secret: 'short', origin: ORIGIN },
    { secret: SECRET, origin: ORIGIN, ttlSeconds: 86401 },
    { secret: SECRET, origin: ORIGIN, ttlSeconds: 0 },
    { secret: SECRET, origin: 'https://shop.example/path' },
    { secret: SECRET, origin: 'javascript:alert(1)' },
    { secret: SECRET, origin: ORIGIN, maxCalls: -1 },
    { secret: SECRET, origin: ORIGIN, maxTokens: 1.5 },
    { secret: SECRET, origin: ORIGIN, trace: 'everything' },
  ];
  for (const o of bad) await assert.rejects(signPageToken(o), AragError, JSON.stringify(o));
  assert.ok(await signPageToken({ secret: SECRET, origin: ORIGIN, ttlSeconds: 86400 }));
});

test('redaction: Bearer credentials, key-shaped strings, configured secrets; product text stays', () => {
  const key = 'my-configured-upstream-key-0123456789';
  const { redact, redactValue } = createRedactor([key]);
  assert.equal(redact('Incorrect API key provided: Bearer sk-proj-abc123DEF456ghi789'), 'Incorrect API key provided: Bearer [redacted]');
  assert.equal(redact(`x ${key} y`), 'x [redacted] y');
  assert.ok(!redact(`key ${key.slice(0, 20)}...`).includes(key.slice(0, 12)));
  assert.equal(redact('use sk-live-4f3a9b2c8d7e6f5a4b3c2d1e'), 'use [redacted]');
  assert.equal(redact('sk-ultra-hydrating-face-cream for dry skin'), 'sk-ultra-hydrating-face-cream for dry skin');
  const v = redactValue({ items: [{ id: 'sk-1234567890abcdefgh12', reason: 'Bearer abcdefgh12345' }], order: ['sk-1234567890abcdefgh12'] });
  assert.equal(v.items[0].id, 'sk-1234567890abcdefgh12', 'ids are the shop\'s');
  assert.equal(v.items[0].reason, 'Bearer [redacted]');
  assert.equal(v.order[0], 'sk-1234567890abcdefgh12');
  assert.equal(redactSecrets('token apt1.eyJv.c2ln here'), 'token [redacted] here');
});

test('trace levels: none, summary without model text, full as is', () => {
  const trace = {
    config: { k: 3 }, context: { session: ['a'] }, s_user: 'likes lip colour', s_ctx: 'ctx',
    i0: [{ id: 'a', title: 'Lipstick', retrieval: 0.5 }],
    nli: [{ id: 'a', score: 0.8, label: 'supports', rationale: 'model text', accepted: true, source: 'agent' }],
    accepted: 1, elapsed_ms: 3,
    messages: [{ request_id: 1, agent: 'uua', status: 200, response: 'raw answer', request_json: '{}', inputs: {}, degraded: [], repairs: [] }],
  };
  assert.equal(traceAtLevel(trace, 'none'), null);
  assert.equal(traceAtLevel(trace, 'full'), trace);
  const s = traceAtLevel(trace, 'summary');
  const text = JSON.stringify(s);
  for (const t of ['likes lip colour', 'model text', 'raw answer', 'Lipstick', 'request_json', 'inputs']) assert.ok(!text.includes(t), t);
  assert.equal(s.nli[0].score, 0.8);
  assert.equal(s.messages[0].status, 200);
  assert.throws(() => traceAtLevel(trace, 'no'), AragError);
});

test('arag token prints a token the worker accepts; the secret comes from the environment only', async () => {
  const bin = join(ROOT, 'web', 'bin', 'arag.mjs');
  const out = execFileSync(process.execPath, [bin, 'token', '--origin', ORIGIN, '--ttl', '120', '--max-calls', '5', '--shopper', 'shopper-7', '--json'], {
    env: { ...process.env, PAGE_TOKEN_SECRET: SECRET },
    encoding: 'utf8',
  });
  const { token, expiresAt } = JSON.parse(out);
  const r = await verifyPageToken(token, { secret: SECRET, origin: ORIGIN });
  assert.equal(r.ok, true);
  assert.equal(r.claims.maxCalls, 5);
  assert.equal(r.claims.shopper, 'shopper-7');
  assert.equal(r.claims.expiresAt, expiresAt);
  const env = { ...process.env };
  delete env.PAGE_TOKEN_SECRET;
  let p = spawnSync(process.execPath, [bin, 'token', '--origin', ORIGIN], { env, encoding: 'utf8' });
  assert.equal(p.status, 2);
  assert.match(p.stderr, /PAGE_TOKEN_SECRET/);
  p = spawnSync(process.execPath, [bin, 'token', '--origin', ORIGIN, '--ttl', '999999'], { env: { ...env, PAGE_TOKEN_SECRET: SECRET }, encoding: 'utf8' });
  assert.equal(p.status, 2);
  assert.match(p.stderr, /ttlSeconds/);
});

test('the storefront demo\'s server mints page tokens for its own origin (with PAGE_TOKEN_SECRET only)', async () => {
  const { startServer } = await import('../web/demo/serve.mjs');
  const s = await startServer({ port: 0, pageTokenSecret: SECRET });
  const off = await startServer({ port: 0, pageTokenSecret: '' });
  try {
    const res = await fetch(new URL('/page-token', s.url));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const { token } = await res.json();
    const r = await verifyPageToken(token, { secret: SECRET, origin: new URL(s.url).origin });
    assert.equal(r.ok, true);
    assert.equal((await fetch(new URL('/page-token', off.url))).status, 404);
  } finally {
    await s.close();
    await off.close();
  }
});
