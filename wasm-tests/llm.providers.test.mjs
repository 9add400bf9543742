// openAIChat and workersAI against a server that answers the way real providers do
// (wasm-tests/helpers/provider-fixtures.mjs names the provider each behaviour imitates),
// over HTTP on 127.0.0.1. Every case ends in a permutation of the candidates, with the
// repair or the fallback named, and what parsed of the model's answer used.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DIST, requireFile, within } from './helpers/common.mjs';
import { startProviderFixture, rawFetch } from './helpers/provider-fixtures.mjs';
import { loadSlice } from './helpers/data.mjs';

requireFile(join(DIST, 'index.mjs'), 'run `make wasm` first');
const { createArag, createRecommender, openAIChat, workersAI } = await import('../dist/index.mjs');

const slice = loadSlice({ users: 1 });
const user = slice.users[0];
const N = user.candidates.length;
let fx;
let arag;
let offline; // the offline backend's result for the same input

before(async () => {
  fx = await startProviderFixture();
  arag = await createArag();
  const rec = await createRecommender({ arag, catalog: slice.items, config: { nli_batch: 10, shelf: false } });
  rec.history.add(user.events);
  offline = await rec.recommend({ candidates: user.candidates, k: N });
  rec.free();
});
after(async () => {
  await fx.close();
});

const fast = { backoffMs: 5, maxBackoffMs: 20, timeoutMs: 10000 };

async function run(behaviour, { opts = {}, llm = {}, config = {}, adapter } = {}) {
  fx.set(behaviour, opts);
  const a = adapter || openAIChat({ baseURL: fx.baseURL, model: 'fixture', ...fast, ...llm });
  // The shelf's rules off: these tests read the model's order as it answered it.
  const rec = await createRecommender({ arag, llm: a, catalog: slice.items, config: { nli_batch: 10, shelf: false, ...config } });
  rec.history.add(user.events);
  const out = await within(30000, rec.recommend({ candidates: user.candidates, k: N }));
  assert.equal(rec.sessions, 0);
  rec.free();
  // A permutation of the candidates, always.
  assert.deepEqual([...out.order].sort(), [...user.candidates].sort());
  return { out, adapter: a };
}

const repairs = (out, agent) => out.trace.messages.filter((m) => !agent || m.agent === agent).flatMap((m) => m.repairs);
const everyMessageRepaired = (out, note) => out.trace.messages.every((m) => m.repairs.some((r) => r.endsWith(`:${note}`)));
const serverRanking = () => fx.byAgent('ira').filter((e) => e.status === 200).pop().answer.ranking.map((r) => r.id);
const serverSummary = () => fx.byAgent('uua').filter((e) => e.status === 200).pop().answer.summary;

/** The model's answers were used: the server's ranking and summary, no fallback. */
function assertModelUsed(out) {
  assert.deepEqual(out.fallbacks, [], JSON.stringify(out.fallbacks));
  assert.deepEqual(out.order, serverRanking());
  assert.ok(out.trace.s_user.startsWith(serverSummary()));
}

describe('reasoning models', { timeout: 120000 }, () => {
  test('think-inline (vLLM/Ollama, Qwen3 or R1 distill): <think> with braces skipped', async () => {
    const { out } = await run('think-inline');
    assertModelUsed(out);
    assert.ok(everyMessageRepaired(out, 'reasoning_skipped'), JSON.stringify(repairs(out)));
  });

  test('think-close-only (R1 through templates that open <think> in the prompt)', async () => {
    const { out } = await run('think-close-only');
    assertModelUsed(out);
    assert.ok(everyMessageRepaired(out, 'reasoning_skipped'));
  });

  test('think-unclosed (llama.cpp, cut by max_tokens while thinking): offline, named', async () => {
    const { out } = await run('think-unclosed');
    assert.equal(out.fallbacks.length, 5);
    assert.ok(out.fallbacks.every((f) => f.cause === 'parse' && f.fallback === 'offline'));
    assert.ok(out.degraded.includes('uua:offline') && out.degraded.includes('ira:offline'));
    // The drafts in the open thoughts are not taken for answers.
    assert.ok(out.degraded.includes('uua:off_schema') && out.degraded.includes('ira:unknown_id:nope'), out.degraded.join());
    assert.ok(everyMessageRepaired(out, 'reasoning_unclosed'));
    assert.ok(everyMessageRepaired(out, 'stopped_at_max_tokens'));
    assert.deepEqual(out.order, offline.order, 'every step answered offline: the offline result');
  });

  test('reasoning-field (vLLM --reasoning-parser): the JSON in reasoning_content, content empty', async () => {
    const { out } = await run('reasoning-field');
    assertModelUsed(out);
    assert.ok(everyMessageRepaired(out, 'content_from_reasoning'));
  });

  test("reasoning-ollama (Ollama's message.reasoning, content empty)", async () => {
    const { out } = await run('reasoning-ollama');
    assertModelUsed(out);
    assert.ok(everyMessageRepaired(out, 'content_from_reasoning'));
    assert.ok(everyMessageRepaired(out, 'json_in_reasoning'), 'the last JSON in the thoughts, not the draft');
  });
});

describe('answers in other places and shapes', { timeout: 120000 }, () => {
  test('tool-call (hosted APIs answering structured output as a tool call)', async () => {
    const { out } = await run('tool-call');
    assertModelUsed(out);
    assert.ok(everyMessageRepaired(out, 'content_from_tool_call'));
  });

  for (const b of ['sse-unasked', 'sse-as-json']) {
    test(`${b} (a gateway streaming though no stream was asked for): assembled, usage read`, async () => {
      const { out } = await run(b);
      assertModelUsed(out);
      assert.ok(everyMessageRepaired(out, 'event_stream_assembled'));
      const sent = fx.log.reduce((n, e) => n + (e.status === 200 ? 1 : 0), 0);
      assert.equal(out.usage.host.calls, sent);
      assert.ok(out.usage.prompt_tokens > 0 && out.usage.completion_tokens > 0, 'usage from the last chunk');
    });
  }

  test('refusal (OpenAI structured outputs): cause refusal, the offline ranking', async () => {
    const { out } = await run('refusal', { opts: { refuse: 'ira' } });
    assert.deepEqual(out.fallbacks, [{ step: 'ira', agent: 'ira', cause: 'refusal', fallback: 'offline', items: N }]);
    assert.ok(out.degraded.includes('ira:refusal') && out.degraded.includes('ira:offline'));
    const ira = out.trace.messages.find((m) => m.agent === 'ira');
    assert.match(ira.response, /^the model refused: I'm sorry/);
    assert.equal(fx.byAgent('ira').length, 1, 'a refusal is not retried');
    assert.ok(out.trace.s_user.startsWith(serverSummary()), 'the other agents are the model');
  });

  test('truncated at max_tokens: the entries before the cut kept, the rest in the offline order', async () => {
    const { out } = await run('truncated');
    // Five complete entries and the id of the sixth, cut inside its reason.
    assert.deepEqual(out.fallbacks, [{ step: 'ira', agent: 'ira', cause: 'parse', fallback: 'offline', items: N - 6 }]);
    assert.deepEqual(out.order.slice(0, 6), serverRanking().slice(0, 6));
    assert.equal(out.items[4].reason, 'server rank 5');
    assert.notEqual(out.items[5].reason, 'server rank 6');
    assert.ok(repairs(out, 'ira').includes('ira:truncated_salvaged'));
    assert.ok(repairs(out, 'ira').includes('ira:stopped_at_max_tokens'));
    assert.ok(out.degraded.includes(`ira:offline_missing:${N - 6}`));
  });

  test('scale-10 (small local models): NLI on 0-10 and IRA on 0-100, read as such', async () => {
    const { out } = await run('scale-10');
    assertModelUsed(out);
    assert.ok(repairs(out, 'nli').some((r) => r.endsWith(':score_scale:10')));
    assert.ok(repairs(out, 'ira').includes('ira:score_scale:100'));
    assert.ok(!repairs(out).some((r) => r.includes('score_clamped')));
    const sent = new Map(fx.byAgent('nli').flatMap((e) => e.answer.items.map((v) => [v.id, Math.round(v.score * 10) / 10])));
    for (const v of out.trace.nli) assert.ok(Math.abs(v.score - sent.get(v.id)) < 1e-9, `${v.id}: ${v.score} vs ${sent.get(v.id)}`);
    assert.deepEqual(out.items.slice(0, 3).map((it) => it.score), [1, 0.97, 0.94]);
  });

  test('ids-loose (an id in upper case or in brackets): matched, named', async () => {
    const { out } = await run('ids-loose');
    assertModelUsed(out);
    assert.ok(repairs(out, 'ira').some((r) => r.startsWith('ira:id_matched:')));
    assert.ok(!out.degraded.some((d) => d.includes('unknown_id')));
  });
});

describe('transport and errors', { timeout: 120000 }, () => {
  for (const coding of ['gzip', 'deflate', 'br']) {
    test(`${coding} (a compressing proxy, a fetch that does not decode)`, async () => {
      const { out } = await run(coding, { llm: { fetch: rawFetch } });
      assertModelUsed(out);
      assert.ok(everyMessageRepaired(out, `decompressed_${coding}`));
      // Node's own fetch decodes: no repair needed, the same answers.
      const again = await run(coding);
      assertModelUsed(again.out);
      assert.ok(!repairs(again.out).some((r) => r.includes('decompressed')));
    });
  }

  for (const b of ['retry-after-date', 'retry-after-secs']) {
    test(`${b} (a hosted API's 429): the wait honoured, then the answer used`, async () => {
      const t0 = Date.now();
      const { out } = await run(b);
      assertModelUsed(out);
      const [first, second] = fx.byAgent('uua');
      assert.equal(first.status, 429);
      const waited = second.start - first.start;
      assert.ok(waited >= 900, `waited ${waited.toFixed(0)} ms`);
      assert.ok(Date.now() - t0 < 5000);
    });
  }

  test('error-in-200 (OpenRouter-style): an error object in a 200 is an error, retried', async () => {
    const { out } = await run('error-in-200');
    assertModelUsed(out);
    assert.equal(fx.byAgent('ira').length, 2);
    const always = await run('error-in-200', { opts: { always: true }, llm: { retries: 1 } });
    assert.equal(always.out.fallbacks.length, 5);
    assert.ok(always.out.fallbacks.every((f) => f.cause === 'status' && f.fallback === 'offline'));
    const m = always.out.trace.messages.find((x) => x.agent === 'uua');
    assert.equal(m.status, 502);
    assert.equal(m.response, 'the provider answered with an error: Upstream provider returned an error: overloaded');
  });

  test('schema-400 (a terse 400 to json_schema): asked again once with json_object, which sticks', async () => {
    const { out, adapter } = await run('schema-400');
    assertModelUsed(out);
    assert.equal(adapter.responseFormat, 'json_object');
    const formats = fx.log.map((e) => e.responseFormat);
    assert.equal(formats.filter((f) => f === 'json_schema').length >= 1, true);
    assert.equal(formats[formats.length - 1], 'json_object', 'later calls go straight to json_object');
    assert.ok(repairs(out).some((r) => r.endsWith(':json_object_after_400')));
  });

  test('html-503 (nginx in front of the model): a readable message, no HTML', async () => {
    const { out } = await run('html-503', { llm: { retries: 1 } });
    assert.deepEqual(out.fallbacks, [{ step: 'csa', agent: 'csa', cause: 'status', fallback: 'offline', items: 0 }]);
    const m = out.trace.messages.find((x) => x.agent === 'csa');
    assert.equal(m.response, 'HTTP 503 Service Unavailable: 503 Service Temporarily Unavailable');
    assert.ok(out.degraded.includes('csa:http_503'));
    assert.deepEqual(out.order, serverRanking(), 'the other agents are the model');
  });

  test('reset (the socket closed mid-answer): a readable network error, retried, then offline', async () => {
    const { out } = await run('reset', { llm: { retries: 1 } });
    assert.deepEqual(out.fallbacks, [{ step: 'csa', agent: 'csa', cause: 'network', fallback: 'offline', items: 0 }]);
    assert.equal(fx.byAgent('csa').length, 2);
    const m = out.trace.messages.find((x) => x.agent === 'csa');
    assert.match(m.response, /^network error: .+/);
    assert.notEqual(m.response, 'terminated');
  });

  test('huge (a 20 MB runaway answer): cut off at the cap, the module never sees it', async () => {
    const before = arag.raw.u8().length;
    const { out } = await run('huge', { llm: { retries: 0 } });
    assert.deepEqual(out.fallbacks, [{ step: 'ira', agent: 'ira', cause: 'status', fallback: 'offline', items: N }]);
    const m = out.trace.messages.find((x) => x.agent === 'ira');
    assert.match(m.response, /more than the 4194304 bytes allowed/);
    assert.equal(arag.raw.u8().length, before, 'wasm memory did not grow');
    const e = fx.byAgent('ira')[0];
    assert.ok(e.bytesSent < 20 << 20, 'the reader stopped before the end');
  });
});

describe('streaming', { timeout: 120000 }, () => {
  test('stream: true assembles the event stream and stops reading once the JSON is complete', async () => {
    const { out } = await run('stream', { opts: { tokenMs: 1, trailTokens: 300 }, llm: { stream: true } });
    assertModelUsed(out);
    assert.ok(fx.log.every((e) => e.stream), 'every request asked for a stream');
    await new Promise((r) => setTimeout(r, 50)); // the server sees the last close
    assert.ok(fx.log.every((e) => e.aborted), 'every stream was closed before its trailing prose');
  });

  test('stream: true with a <think> preamble', async () => {
    const { out } = await run('stream', { opts: { tokenMs: 1, preambleTokens: 50, trailTokens: 100 }, llm: { stream: true } });
    assertModelUsed(out);
    assert.ok(everyMessageRepaired(out, 'reasoning_skipped'));
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(fx.log.every((e) => e.aborted));
  });
});

describe('thinking cut off', { timeout: 120000 }, () => {
  test('stream with maxThinkChars: a model thinking at length is stopped early, offline answers', async () => {
    const { out } = await run('stream', { opts: { tokenMs: 1, preambleTokens: 3000 }, llm: { stream: true, maxThinkChars: 2000 } });
    assert.equal(out.fallbacks.length, 5);
    assert.ok(out.fallbacks.every((f) => f.cause === 'budget' && f.fallback === 'offline'), JSON.stringify(out.fallbacks));
    assert.match(out.trace.messages[0].response, /still thinking after \d+ characters \(maxThinkChars 2000\)/);
    assert.deepEqual(out.order, offline.order);
    // Each stream was closed while the model was still thinking: well before its answer.
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(fx.log.every((e) => e.aborted && e.chunksSent < e.tokens / 2), JSON.stringify(fx.log.map((e) => [e.chunksSent, e.tokens])));
  });
});

describe('Workers AI binding (a stand-in over HTTP)', { timeout: 120000 }, () => {
  // The binding's answer shapes, made from the fixture's completions over HTTP.
  function binding(shape) {
    return {
      async run(_model, inputs) {
        const r = await fetch(`${fx.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: inputs.messages, max_tokens: inputs.max_tokens }) });
        const j = await r.json();
        const content = j.choices[0].message.content;
        const usage = j.usage;
        if (shape === 'object') return { response: JSON.parse(content), usage };
        if (shape === 'tool') return { response: null, tool_calls: [{ name: 'answer', arguments: JSON.parse(content) }], usage };
        if (shape === 'stream') {
          const enc = new TextEncoder();
          return new ReadableStream({
            start(c) {
              for (let i = 0; i < content.length; i += 20) c.enqueue(enc.encode(`data: ${JSON.stringify({ response: content.slice(i, i + 20) })}\n\n`));
              c.enqueue(enc.encode(`data: ${JSON.stringify({ response: '', usage })}\n\ndata: [DONE]\n\n`));
              c.close();
            },
          });
        }
        return { response: content, usage }; // text, <think> included
      },
    };
  }
  for (const [shape, behaviour, note] of [
    ['text', 'think-inline', 'reasoning_skipped'],
    ['object', 'ok', null],
    ['tool', 'ok', 'content_from_tool_call'],
    ['stream', 'ok', 'event_stream_assembled'],
  ]) {
    test(`workersAI: response as ${shape}${behaviour !== 'ok' ? ` (${behaviour}: R1 distills on Workers AI)` : ''}`, async () => {
      const adapter = workersAI(binding(shape), { model: '@cf/fixture', ...fast });
      const { out } = await run(behaviour, { adapter });
      assertModelUsed(out);
      if (note) assert.ok(everyMessageRepaired(out, note), JSON.stringify(repairs(out)));
      assert.ok(out.usage.prompt_tokens > 0);
    });
  }
});

describe('response readers (in process)', () => {
  test('event streams: multi-line data, comments, CRLF, a cut last line', async () => {
    const r = await import('../dist/llm-response.mjs');
    assert.deepEqual(r.sseEvents(': keep-alive\r\ndata: {"a":\r\ndata: 1}\r\n\r\nevent: x\ndata: [DONE]\n\n'), ['{"a":\n1}', '[DONE]']);
    const acc = r.assembleStream('data: {"choices":[{"delta":{"content":"{\\"sum"}}]}\n\ndata: {"choices":[{"delta":{"content":"mary\\":1}"},"finish_reason":"stop"}]}\n\ndata: {"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2}}\n\ndata: {"choices":[{"delta":{"content":"cut');
    assert.equal(acc.content, '{"summary":1}');
    assert.deepEqual(acc.usage, { prompt_tokens: 5, completion_tokens: 2 });
    assert.ok(r.isEventStream('data: {}', 'application/json') && !r.isEventStream('{"data": 1}', 'application/json'));
  });

  test('bodies: a decoded body with its Content-Encoding still set is left alone; gzip magic without a header is decoded', async () => {
    const r = await import('../dist/llm-response.mjs');
    const { gzipSync } = await import('node:zlib');
    const text = '{"choices":[]}';
    const same = await r.decodeBody(new TextEncoder().encode(text), new Headers({ 'content-encoding': 'gzip' }));
    assert.deepEqual(same, { text, decoded: null });
    const z = await r.decodeBody(new Uint8Array(gzipSync(text)), new Headers());
    assert.deepEqual(z, { text, decoded: 'gzip' });
    await assert.rejects(r.decodeBody(new Uint8Array([0x1f, 0x8c, 0, 1, 2]), new Headers({ 'content-encoding': 'zstd' })), /does not know: zstd/);
    // A zip bomb stops at the cap.
    const bomb = gzipSync(Buffer.alloc(8 << 20, 0x20));
    await assert.rejects(r.decodeBody(new Uint8Array(bomb), new Headers({ 'content-encoding': 'gzip' }), 1 << 20), /allowed|decompressed/);
  });

  test('error messages: JSON error, HTML page, plain text; network errors by their cause', async () => {
    const r = await import('../dist/llm-response.mjs');
    assert.equal(r.httpErrorMessage(429, '{"error":{"message":"Rate limit reached","type":"requests"}}', 'Too Many Requests'), 'HTTP 429 Too Many Requests: Rate limit reached');
    assert.equal(r.httpErrorMessage(400, '{"detail":[{"msg":"field required"}]}'), 'HTTP 400 Bad Request: field required');
    assert.equal(r.httpErrorMessage(502, '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad</h1></body></html>'), 'HTTP 502 Bad Gateway: 502 Bad Gateway');
    assert.equal(r.httpErrorMessage(500, ''), 'HTTP 500 Internal Server Error');
    assert.equal(r.httpErrorMessage(500, 'x'.repeat(1000)).length <= 240, true);
    const terminated = Object.assign(new TypeError('terminated'), { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) });
    assert.equal(r.networkErrorMessage(terminated), 'network error: the server closed the connection before the answer ended (UND_ERR_SOCKET)');
    assert.equal(r.networkErrorMessage(new TypeError('terminated')), 'network error: the connection was cut before the answer ended (terminated)');
    // No connection at all (later calls of the recommendation are not sent), or one that broke.
    assert.equal(r.isUnreachable(Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) })), true);
    assert.equal(r.isUnreachable(new TypeError('Failed to fetch')), true);
    assert.equal(r.isUnreachable(terminated), false);
  });

  test('the streamed answer tracker: complete only after thoughts, passes prose braces', async () => {
    const { jsonEndTracker } = await import('../dist/llm.mjs');
    const t = jsonEndTracker();
    assert.equal(t('<think>{"a":1}'), false, 'inside thoughts');
    assert.equal(t('<think>{"a":1}</think>Well {x} and '), false, 'prose braces');
    assert.equal(t('<think>{"a":1}</think>Well {x} and {"summary":"s"'), false, 'still open');
    assert.equal(t('<think>{"a":1}</think>Well {x} and {"summary":"s"}'), true);
  });
});
