// A chat-completions server on 127.0.0.1 that answers the way real providers and local
// model servers do, one named behaviour at a time, each imitating a provider we have met:
//
//   think-inline       vLLM / Ollama serving Qwen3 or a DeepSeek-R1 distill without a
//                      reasoning parser: "<think>...</think>" (braces, brackets and a draft
//                      answer in it) before the JSON, in content.
//   think-close-only   DeepSeek-R1 through chat templates that open <think> in the prompt
//                      (vLLM, SGLang): the content starts inside the thoughts; only the
//                      closing tag appears.
//   think-unclosed     llama.cpp's server with an R1 distill stopped by max_tokens inside
//                      its thoughts: "<think>..." and no answer, finish_reason "length".
//   reasoning-field    vLLM with --reasoning-parser and structured output: the JSON lands
//                      in message.reasoning_content and content is empty.
//   reasoning-ollama   Ollama's OpenAI endpoint for thinking models: message.reasoning,
//                      content empty.
//   tool-call          hosted OpenAI-compatible APIs that return structured output as a
//                      tool call: content null, tool_calls[0].function.arguments.
//   sse-unasked        gateways that stream (text/event-stream) though no stream was asked
//                      for; usage in the last chunk.
//   sse-as-json        the same event stream labelled application/json.
//   refusal            OpenAI structured outputs: content null, message.refusal.
//   gzip, deflate, br  a proxy that compresses the answer (Content-Encoding), read by a
//                      fetch that does not decode it (a bare HTTP client, a Worker's fetch
//                      with encodeBody "manual").
//   retry-after-date   a hosted API's 429 whose Retry-After is an HTTP date (then answers).
//   retry-after-secs   the same with seconds.
//   error-in-200       OpenRouter-style: HTTP 200 whose body is {error: {code, message}}
//                      (once, then answers).
//   truncated          any server stopping at max_tokens: the JSON cut mid-list,
//                      finish_reason "length".
//   scale-10           small local models (3B class through Ollama) scoring 0-10 (NLI)
//                      and 0-100 (IRA: 100, 97, 94, ... down the ranking).
//   schema-400         a server that answers a json_schema it cannot compile with a terse
//                      400 "Invalid request" (older vLLM, llama.cpp grammar errors).
//   ids-loose          models that change an id's case, wrap it in brackets, or give an id
//                      of digits as a number.
//   html-503           nginx in front of a model server: 503 with an HTML page.
//   reset              a server that dies mid-answer: the socket closed after the headers.
//   huge               a runaway answer of 20 MB.
//   stream             a well-behaved event stream, one token every `tokenMs`, with
//                      `preambleTokens` of <think> first and `trailTokens` of prose after
//                      the JSON (a chatty reasoning model), for the streaming measurement.
//
// The answers' content is test-server's answerFor (deterministic, from the data section),
// so a test can tell that what parsed was honoured. Every request is logged.
import { createServer } from 'node:http';
import { gzipSync, deflateSync, brotliCompressSync } from 'node:zlib';
import { agentOf, answerFor } from './openai-test-server.mjs';

export const BEHAVIOURS = [
  'think-inline',
  'think-close-only',
  'think-unclosed',
  'reasoning-field',
  'reasoning-ollama',
  'tool-call',
  'sse-unasked',
  'sse-as-json',
  'refusal',
  'gzip',
  'deflate',
  'br',
  'retry-after-date',
  'retry-after-secs',
  'error-in-200',
  'truncated',
  'scale-10',
  'schema-400',
  'ids-loose',
  'html-503',
  'reset',
  'huge',
  'stream',
];

const tokens = (s) => Math.ceil(String(s).length / 4);

const THOUGHTS =
  'The shopper keeps buying {gel polish} and [top coats]; a candidate like {"id": "X"} ' +
  'deserves care. Draft: {"ranking": ["nope"]}. Let me weigh each one against [the history].';

function completion(model, message, usage, finish = 'stop') {
  return { id: 'chatcmpl-fixture', object: 'chat.completion', model, choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish }], usage };
}

function sse(model, content, usage, { split = 16, extraDelta = null } = {}) {
  const parts = [];
  for (let i = 0; i < content.length; i += split) {
    parts.push(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model, choices: [{ index: 0, delta: { content: content.slice(i, i + split) }, finish_reason: null }] })}\n\n`);
  }
  if (extraDelta) parts.unshift(`data: ${JSON.stringify({ choices: [{ index: 0, delta: extraDelta }] })}\n\n`);
  parts.push(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
  parts.push(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model, choices: [], usage })}\n\n`);
  parts.push('data: [DONE]\n\n');
  return parts;
}

/** Rescales the answer's scores: NLI to 0-10, IRA to 0-100 (whole numbers). */
function rescaled(agent, answer) {
  if (agent === 'nli') return { items: answer.items.map((v) => ({ ...v, score: Math.round(v.score * 10) })) };
  if (agent === 'ira') return { ranking: answer.ranking.map((r, i) => ({ ...r, score: 100 - 3 * i })) };
  return answer;
}

/** Ids as a careless model writes them: upper case, in brackets, or as a number. */
function loosened(agent, answer) {
  const loose = (id, i) => (/^\d+$/.test(id) ? Number(id) : i % 2 ? `[${id}]` : id.toUpperCase());
  if (agent === 'nli') return { items: answer.items.map((v, i) => ({ ...v, id: loose(v.id, i) })) };
  if (agent === 'ira') return { ranking: answer.ranking.map((r, i) => ({ ...r, id: loose(r.id, i) })) };
  return answer;
}

/**
 * What one behaviour sends for one request: {status, headers, chunks, chunkDelayMs?,
 * destroy?}. info: {agent, body, answer, agentSeq, opts}.
 */
function respond(name, { agent, body, answer, agentSeq, opts }) {
  const model = body.model || 'fixture';
  let json = JSON.stringify(answer);
  const usage = { prompt_tokens: (body.messages || []).reduce((s, m) => s + tokens(m.content || ''), 0), completion_tokens: tokens(json) };
  const ok = (msg, finish) => ({ status: 200, headers: { 'content-type': 'application/json' }, chunks: [JSON.stringify(completion(model, msg, usage, finish))] });
  switch (name) {
    case 'think-inline':
      return ok({ content: `<think>\n${THOUGHTS}\n</think>\n\n${json}` });
    case 'think-close-only':
      return ok({ content: `${THOUGHTS}\n</think>\n${json}` });
    case 'think-unclosed':
      return ok({ content: `<think>\n${THOUGHTS} ${'More thoughts about {each} item. '.repeat(20)}` }, 'length');
    case 'reasoning-field':
      return ok({ content: '', reasoning_content: json });
    case 'reasoning-ollama':
      return ok({ content: '', reasoning: `${THOUGHTS}\n${json}` });
    case 'tool-call':
      return ok({ content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'answer', arguments: json } }] });
    case 'sse-unasked':
      return { status: 200, headers: { 'content-type': 'text/event-stream' }, chunks: sse(model, json, usage) };
    case 'sse-as-json':
      return { status: 200, headers: { 'content-type': 'application/json' }, chunks: [sse(model, json, usage).join('')] };
    case 'refusal':
      return agent === (opts.refuse || 'ira') ? ok({ content: null, refusal: "I'm sorry, I can't help rank these products." }) : ok({ content: json });
    case 'gzip':
    case 'deflate':
    case 'br': {
      const raw = Buffer.from(JSON.stringify(completion(model, { content: json }, usage)));
      const z = name === 'gzip' ? gzipSync(raw) : name === 'deflate' ? deflateSync(raw) : brotliCompressSync(raw);
      return { status: 200, headers: { 'content-type': 'application/json', 'content-encoding': name }, chunks: [z] };
    }
    case 'retry-after-date':
    case 'retry-after-secs':
      if (agent === 'uua' && agentSeq === 1) {
        const ra = name === 'retry-after-date' ? new Date(Math.ceil((Date.now() + 1500) / 1000) * 1000).toUTCString() : '1';
        return { status: 429, headers: { 'content-type': 'application/json', 'retry-after': ra }, chunks: [JSON.stringify({ error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' } })] };
      }
      return ok({ content: json });
    case 'error-in-200':
      if ((agent === 'ira' && agentSeq === 1) || opts.always) {
        return { status: 200, headers: { 'content-type': 'application/json' }, chunks: [JSON.stringify({ error: { code: 502, message: 'Upstream provider returned an error: overloaded' }, user_id: 'u1' })] };
      }
      return ok({ content: json });
    case 'truncated': {
      if (agent !== 'ira') return ok({ content: json });
      // Cut inside the 6th entry's reason: five complete entries.
      const at = json.split('"reason"', 6).join('"reason"').length + 14;
      return ok({ content: json.slice(0, at) }, 'length');
    }
    case 'scale-10':
      return ok({ content: JSON.stringify(rescaled(agent, answer)) });
    case 'schema-400':
      if (body.response_format && body.response_format.type === 'json_schema') {
        return { status: 400, headers: { 'content-type': 'application/json' }, chunks: [JSON.stringify({ object: 'error', message: 'Invalid request', type: 'BadRequestError', code: 400 })] };
      }
      return ok({ content: json });
    case 'ids-loose':
      return ok({ content: JSON.stringify(loosened(agent, answer)) });
    case 'html-503':
      if (agent === 'csa') {
        return {
          status: 503,
          headers: { 'content-type': 'text/html' },
          chunks: ['<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n'],
        };
      }
      return ok({ content: json });
    case 'reset':
      if (agent === 'csa') return { status: 200, headers: { 'content-type': 'application/json', 'content-length': '5000' }, chunks: ['{"id":"chatcmpl-x","choices":[{"mess'], destroy: true };
      return ok({ content: json });
    case 'huge':
      if (agent === 'ira') {
        const filler = `${'x'.repeat(1022)}\\n`; // an escaped newline: the envelope stays JSON
        const n = opts.bytes ? Math.ceil(opts.bytes / 1024) : 20 * 1024;
        const head = JSON.stringify(completion(model, { content: '@@' }, usage)).split('@@');
        const chunks = [head[0]];
        for (let i = 0; i < n; i++) chunks.push(filler);
        chunks.push(head[1]);
        return { status: 200, headers: { 'content-type': 'application/json' }, chunks };
      }
      return ok({ content: json });
    case 'stream': {
      // Token by token (4 characters each): a <think> preamble, the JSON, trailing prose.
      const pre = opts.preambleTokens ? `<think>${'hmm, '.repeat(opts.preambleTokens)}</think>` : '';
      const trail = opts.trailTokens ? `\n\nI ranked them by ${'fit '.repeat(opts.trailTokens)}` : '';
      const text = `${pre}${json}${trail}`;
      const u = { ...usage, completion_tokens: tokens(text) };
      if (body.stream) return { status: 200, headers: { 'content-type': 'text/event-stream' }, chunks: sse(model, text, u, { split: 4 }), chunkDelayMs: opts.tokenMs || 0, tokens: tokens(text) };
      // Not streamed: the whole text once every token is generated.
      return { status: 200, headers: { 'content-type': 'application/json' }, chunks: [JSON.stringify(completion(model, { content: text }, u))], delayMs: (opts.tokenMs || 0) * tokens(text), tokens: tokens(text) };
    }
    default:
      return ok({ content: json });
  }
}

/** Starts the fixture server: set(name, opts) picks the behaviour of later requests. */
export async function startProviderFixture({ host = '127.0.0.1', port = 0 } = {}) {
  const log = [];
  const sockets = new Set();
  const agentSeq = {};
  const state = { name: 'ok', opts: {} };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function handle(req, res, text) {
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"body is not JSON"}}');
      return;
    }
    const agent = agentOf(body.messages);
    const seq = (agentSeq[agent] = (agentSeq[agent] || 0) + 1);
    const answer = answerFor(agent, body.messages);
    const entry = { agent, agentSeq: seq, behaviour: state.name, responseFormat: body.response_format ? body.response_format.type : null, stream: !!body.stream, maxTokens: body.max_tokens, answer, start: performance.now(), bytesSent: 0, aborted: false };
    log.push(entry);
    const r = respond(state.name, { agent, body, answer, agentSeq: seq, opts: state.opts });
    entry.status = r.status;
    entry.tokens = r.tokens || 0;
    res.on('close', () => {
      entry.end = performance.now();
      if (!res.writableFinished) entry.aborted = true;
    });
    if (r.delayMs) await new Promise((ok) => setTimeout(ok, r.delayMs));
    res.writeHead(r.status, r.headers);
    // Paced chunks leave at t0 + i * chunkDelayMs (sent together when the timer is late),
    // so a stream takes what the whole answer takes to generate.
    const t0 = performance.now();
    entry.chunksSent = 0;
    for (const [i, c] of r.chunks.entries()) {
      if (res.destroyed) return;
      if (r.chunkDelayMs) {
        const due = t0 + (i + 1) * r.chunkDelayMs - performance.now();
        if (due > 1) await new Promise((ok) => setTimeout(ok, due));
      }
      await new Promise((ok) => (res.write(c) ? ok() : res.once('drain', ok)));
      entry.bytesSent += Buffer.byteLength(c);
      entry.chunksSent++;
    }
    if (r.destroy) {
      res.socket.destroy();
      return;
    }
    res.end();
  }

  await new Promise((ok) => server.listen(port, host, ok));
  const url = `http://${host}:${server.address().port}`;
  return {
    url,
    baseURL: `${url}/v1`,
    log,
    set(name, opts = {}) {
      state.name = name;
      state.opts = opts;
      log.length = 0;
      for (const k of Object.keys(agentSeq)) delete agentSeq[k];
    },
    byAgent: (a) => log.filter((e) => e.agent === a),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((ok) => server.close(ok));
    },
  };
}

/**
 * A fetch that does not decode Content-Encoding (node:http underneath), as a bare HTTP
 * client or a Worker's fetch with encodeBody "manual" leaves a body: the bytes as sent.
 */
export async function rawFetch(url, init = {}) {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method || 'GET', headers: init.headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) headers.set(k, Array.isArray(v) ? v.join(', ') : String(v));
        // A Response's constructor keeps the bytes as given (it never decodes).
        resolve(new Response(Buffer.concat(chunks), { status: res.statusCode, headers }));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (init.signal) init.signal.addEventListener('abort', () => req.destroy(init.signal.reason), { once: true });
    if (init.body) req.write(init.body);
    req.end();
  });
}
