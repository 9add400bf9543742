// The official `openai` npm client through the edge worker's proxy, from Node and from a
// page in headless Chromium: plain and streamed completions, errors in OpenAI's shape, the
// CORS preflight for the headers the SDK sends. The page token is the client's apiKey.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { stageWorker, edgeMiniflare } from './helpers/edge-worker.mjs';
import { startProxyUpstream } from './helpers/edge-upstream.mjs';
import { startStaticServer } from './helpers/static-server.mjs';
import { launchChromium } from './helpers/chromium.mjs';
import { DIST, ROOT } from './helpers/common.mjs';

const { signPageToken } = await import(join(DIST, 'page-token.mjs'));
const SECRET = 'openai-client-test-secret-0123456789abcdef';
const KEY = 'sk-proj-ClientTest0Key1234567890abcdef';

let dir, up, mf, base, site, origin;

before(async () => {
  dir = stageWorker(mkdtempSync(join(tmpdir(), 'arag-edge-sdk-')));
  up = await startProxyUpstream();
  site = await startStaticServer(ROOT, ['/node_modules/openai/', '/wasm-tests/pages/']);
  origin = new URL(site.url).origin;
  mf = edgeMiniflare(dir, {
    vars: { PAGE_TOKEN_SECRET: SECRET, LLM_API_KEY: KEY, LLM_BASE_URL: up.baseURL, LLM_MODEL: 'server-model', ALLOWED_ORIGINS: origin },
    ratePerMinute: 1000,
  });
  base = new URL('/v1', await mf.ready).href;
});

after(async () => {
  await mf?.dispose();
  await up?.close();
  await site?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('Node: completions, streaming and errors through the proxy', async () => {
  const token = await signPageToken({ secret: SECRET, origin });
  const client = new OpenAI({ apiKey: token, baseURL: base, defaultHeaders: { Origin: origin }, maxRetries: 0 });
  const done = await client.chat.completions.create({ model: 'gpt-anything', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], max_completion_tokens: 50 });
  assert.equal(done.choices[0].message.content, 'ok');
  assert.equal(done.model, 'server-model');
  const sent = up.seen.at(-1).body;
  assert.equal(sent.max_completion_tokens, 50);
  assert.equal(sent.model, 'server-model');
  // Streaming: chunks as they come, the key redacted, usage at the end.
  const stream = await client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'mode:stream' }], stream: true, stream_options: { include_usage: true } });
  let text = '';
  let usage = null;
  let chunks = 0;
  for await (const c of stream) {
    chunks++;
    if (c.choices[0]) text += c.choices[0].delta.content || '';
    if (c.usage) usage = c.usage;
  }
  assert.ok(chunks >= 4, `${chunks} chunks`);
  assert.match(text, /^Hello from Bearer \[redacted\]$/);
  assert.equal(usage.total_tokens, 9);
  // Errors: the SDK's own error classes, with the worker's messages.
  await assert.rejects(client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'mode:status:429' }] }), (e) => e instanceof OpenAI.RateLimitError && e.status === 429);
  await assert.rejects(client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'mode:reflect' }] }), (e) => e.status === 502 && !String(e.message).includes(KEY.slice(0, 12)));
  const stranger = new OpenAI({ apiKey: 'not-a-token', baseURL: base, defaultHeaders: { Origin: origin }, maxRetries: 0 });
  await assert.rejects(stranger.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] }), (e) => e instanceof OpenAI.AuthenticationError);
});

test('Chromium: the SDK in a page at an allowed origin, streaming included', async () => {
  const token = await signPageToken({ secret: SECRET, origin });
  const b = await launchChromium();
  try {
    await b.page.goto(`${site.url}/wasm-tests/pages/blank.html`);
    const out = await b.page.evaluate(
      async ({ base, token }) => {
        const { default: OpenAI } = await import('/node_modules/openai/index.mjs');
        const client = new OpenAI({ apiKey: token, baseURL: base, dangerouslyAllowBrowser: true, maxRetries: 0 });
        const r = await client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] });
        const stream = await client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'mode:stream' }], stream: true });
        let text = '';
        for await (const c of stream) text += (c.choices[0] && c.choices[0].delta.content) || '';
        let err = null;
        try {
          await client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'mode:status:500' }] });
        } catch (e) {
          err = { status: e.status, message: e.message };
        }
        return { content: r.choices[0].message.content, model: r.model, text, err };
      },
      { base, token }
    );
    assert.equal(out.content, 'ok');
    assert.equal(out.model, 'server-model');
    assert.match(out.text, /^Hello from Bearer \[redacted\]$/);
    assert.equal(out.err.status, 502);
    assert.deepEqual(b.errors.filter((e) => !/Failed to load resource/.test(e)), []);
  } finally {
    await b.close();
  }
});
