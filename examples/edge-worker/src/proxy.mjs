// POST /v1/chat/completions: an OpenAI-compatible proxy for pages, so that the shop's key
// stays in the worker. A page token is required; the model is the operator's; the body
// sent upstream is built from an allow-list; what comes back is checked, capped and
// redacted; upstream failures become errors of the worker's own in OpenAI's shape.
import { HttpError, json, errorBody } from './http.mjs';

const ROLES = new Set(['system', 'user', 'assistant', 'developer']);
const FORMATS = new Set(['text', 'json_object', 'json_schema']);

function bad(message, param, code = 'invalid_value') {
  return new HttpError(400, message, { code, param });
}

/** The message list with string or text-part content only. Returns [messages, bytes]. */
function messagesOf(list, s) {
  if (!Array.isArray(list) || list.length === 0) throw bad('messages must be a non-empty array', 'messages');
  if (list.length > s.PROXY_MAX_MESSAGES) throw bad(`messages has ${list.length} entries; the cap is ${s.PROXY_MAX_MESSAGES}`, 'messages', 'cap_exceeded');
  let bytes = 0;
  const out = list.map((m, i) => {
    if (!m || typeof m !== 'object' || !ROLES.has(m.role)) throw bad(`messages[${i}].role must be one of ${[...ROLES].join(', ')}`, `messages[${i}].role`);
    let content = m.content;
    if (Array.isArray(content)) {
      content = content.map((p, j) => {
        if (!p || p.type !== 'text' || typeof p.text !== 'string') {
          throw bad(`messages[${i}].content[${j}] must be a text part {type: "text", text}`, `messages[${i}].content`);
        }
        bytes += p.text.length;
        return { type: 'text', text: p.text };
      });
    } else if (typeof content === 'string') {
      bytes += content.length;
    } else {
      throw bad(`messages[${i}].content must be a string or an array of text parts`, `messages[${i}].content`);
    }
    const msg = { role: m.role, content };
    if (typeof m.name === 'string' && m.name.length <= 64) msg.name = m.name;
    return msg;
  });
  return [out, bytes];
}

function responseFormatOf(rf) {
  if (rf === undefined || rf === null) return undefined;
  if (typeof rf !== 'object' || !FORMATS.has(rf.type)) throw bad('response_format.type must be text, json_object or json_schema', 'response_format');
  if (rf.type !== 'json_schema') return { type: rf.type };
  const js = rf.json_schema;
  if (!js || typeof js !== 'object' || typeof js.name !== 'string' || (js.schema !== undefined && (typeof js.schema !== 'object' || js.schema === null))) {
    throw bad('response_format.json_schema needs a name and a schema object', 'response_format');
  }
  const out = { name: js.name.slice(0, 64) };
  if (js.schema !== undefined) out.schema = js.schema;
  if (typeof js.strict === 'boolean') out.strict = js.strict;
  if (typeof js.description === 'string') out.description = js.description.slice(0, 500);
  return { type: 'json_schema', json_schema: out };
}

/**
 * The upstream body from an allow-list: messages, temperature (clamped), max_tokens or
 * max_completion_tokens (an integer in [1, cap]; the cap when absent), response_format,
 * stream (with stream_options.include_usage), n = 1, the operator's model. Everything else
 * (tools, service_tier, store, audio, logprobs, ...) is dropped.
 */
export function upstreamBody(body, s, model) {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw bad('the body must be a chat completion request object', null);
  const [messages, promptChars] = messagesOf(body.messages, s);
  const out = { model, messages };
  if (body.n !== undefined && body.n !== null && body.n !== 1) throw bad('n must be 1', 'n', 'cap_exceeded');
  if (body.temperature !== undefined && body.temperature !== null) {
    if (typeof body.temperature !== 'number' || !Number.isFinite(body.temperature)) throw bad('temperature must be a number', 'temperature');
    out.temperature = Math.min(Math.max(body.temperature, 0), s.PROXY_MAX_TEMPERATURE);
  }
  const keys = ['max_completion_tokens', 'max_tokens'].filter((k) => body[k] !== undefined && body[k] !== null);
  let maxTokens = s.PROXY_MAX_TOKENS;
  let key = 'max_tokens';
  for (const k of keys) {
    const v = body[k];
    if (!Number.isInteger(v) || v < 1 || v > s.PROXY_MAX_TOKENS) {
      throw bad(`${k} must be an integer in [1, ${s.PROXY_MAX_TOKENS}] (the cap is ${s.PROXY_MAX_TOKENS})`, k, 'cap_exceeded');
    }
    maxTokens = Math.min(maxTokens, v);
    key = k;
  }
  out[key] = maxTokens;
  const rf = responseFormatOf(body.response_format);
  if (rf) out.response_format = rf;
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') throw bad('stream must be a boolean', 'stream');
  const stream = body.stream === true;
  if (stream) {
    out.stream = true;
    const so = body.stream_options;
    if (so && typeof so === 'object' && so.include_usage === true) out.stream_options = { include_usage: true };
  }
  return { body: out, stream, maxTokens, promptChars };
}

/** An upstream failure as the worker's own error: the status class kept, nothing of the
 * upstream's body. */
export function upstreamError(status, retryAfter) {
  if (status === 429) {
    const headers = {};
    if (retryAfter && /^\d{1,5}$/.test(retryAfter)) headers['Retry-After'] = retryAfter;
    return new HttpError(429, 'the model provider is rate limiting; try again later', { code: 'upstream_rate_limited', headers });
  }
  if (status === 408 || status === 504) return new HttpError(504, 'the model provider did not answer in time', { code: 'upstream_timeout' });
  if (status >= 400 && status < 500 && status !== 401 && status !== 403) {
    return new HttpError(400, `the model provider refused the request (HTTP ${status})`, { code: 'upstream_refused' });
  }
  return new HttpError(502, 'the model provider failed to answer', { code: 'upstream_error' });
}

/** Tokens a reply used, from its usage (or null). */
function usedTokens(usage) {
  if (!usage || typeof usage !== 'object') return null;
  const t = Number(usage.total_tokens ?? (Number(usage.prompt_tokens) || 0) + (Number(usage.completion_tokens) || 0));
  return Number.isFinite(t) && t >= 0 ? t : null;
}

/** Reads at most max bytes of a body as text; null when it is longer. */
async function readCapped(res, max) {
  const reader = res.body.getReader();
  const chunks = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > max) {
      reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const all = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) all.set(c, (o += c.byteLength) - c.byteLength);
  return new TextDecoder().decode(all);
}

/**
 * The SSE stream of an upstream reply, passed through line by line with every line
 * redacted, up to maxBytes (then an error event ends it). onEnd(usage) runs once.
 */
function passStream(upstream, { maxBytes, redact, onEnd, signal }) {
  const reader = upstream.body.getReader();
  const dec = new TextDecoder();
  const enc = new TextEncoder();
  let buf = '';
  let n = 0;
  let usage = null;
  let ended = false;
  const end = () => {
    if (!ended) {
      ended = true;
      onEnd(usage);
    }
  };
  const line = (l) => {
    if (l.startsWith('data:')) {
      const data = l.slice(5).trim();
      if (data && data !== '[DONE]') {
        try {
          const ev = JSON.parse(data);
          if (ev && ev.usage) usage = ev.usage;
        } catch {
          /* not JSON: passed on as it is (redacted) */
        }
      }
    }
    return `${redact(l)}\n`;
  };
  return new ReadableStream({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          if (buf) controller.enqueue(enc.encode(line(buf)));
          controller.close();
          end();
          return;
        }
        n += value.byteLength;
        if (n > maxBytes) {
          reader.cancel().catch(() => {});
          const err = errorBody(502, `the reply is over the worker's limit of ${maxBytes} bytes`, 'reply_too_large');
          controller.enqueue(enc.encode(`\ndata: ${JSON.stringify(err)}\n\n`));
          controller.close();
          end();
          return;
        }
        buf += dec.decode(value, { stream: true });
        const parts = buf.split('\n');
        buf = parts.pop();
        if (parts.length) controller.enqueue(enc.encode(parts.map(line).join('')));
      } catch (e) {
        controller.error(signal && signal.aborted ? signal.reason : e);
        end();
      }
    },
    cancel() {
      reader.cancel().catch(() => {});
      end();
    },
  });
}

/**
 * Proxies one request upstream. budget: the token's (reserve/settle). Returns a Response
 * and counts for the log.
 */
export async function proxyChat(body, { s, env, budget, redact, signal }) {
  const viaAI = !s.LLM_BASE_URL && env.AI;
  const model = viaAI ? s.WORKERS_AI_MODEL : s.LLM_MODEL;
  if (!viaAI && !s.LLM_BASE_URL) throw new HttpError(503, 'the proxy is not configured: set LLM_BASE_URL (or bind Workers AI)', { code: 'not_configured' });
  if (!model) throw new HttpError(503, 'the proxy is not configured: set LLM_MODEL (the model it sends every request to)', { code: 'not_configured' });
  const up = upstreamBody(body, s, model);
  // Reserve one call and the most tokens it can use (prompt estimated at 4 bytes a token).
  const want = { calls: 1, tokens: Math.ceil(up.promptChars / 4) + up.maxTokens };
  const granted = await budget.reserve(want);
  if (granted.calls < 1 || granted.tokens < want.tokens) {
    if (granted.calls > 0) await budget.settle(granted, { calls: 0, tokens: 0 });
    throw new HttpError(429, "the page token's budget of LLM calls or tokens is spent", { code: 'budget_spent' });
  }
  let settled = false;
  const settle = (tokens) => {
    if (settled) return Promise.resolve();
    settled = true;
    return budget.settle(granted, { calls: 1, tokens: tokens ?? granted.tokens }).catch(() => {});
  };
  const counts = { messages: up.body.messages.length, stream: up.stream };
  try {
    if (viaAI) {
      if (up.stream) throw new HttpError(400, 'streaming is not available with the Workers AI upstream', { code: 'unsupported', param: 'stream' });
      let result;
      try {
        result = await env.AI.run(model, {
          messages: up.body.messages.map((m) => ({ role: m.role, content: typeof m.content === 'string' ? m.content : m.content.map((p) => p.text).join('') })),
          max_tokens: up.maxTokens,
          temperature: up.body.temperature,
          response_format: up.body.response_format,
        });
      } catch (e) {
        throw upstreamError(typeof e?.status === 'number' ? e.status : 502);
      }
      const content = typeof result === 'string' ? result : result && typeof result.response === 'string' ? result.response : JSON.stringify(result?.response ?? '');
      const usage = result && result.usage;
      await settle(usedTokens(usage));
      return {
        response: json(200, {
          id: `chatcmpl-${crypto.randomUUID()}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model,
          choices: [{ index: 0, message: { role: 'assistant', content: redact(content) }, finish_reason: 'stop' }],
          usage: usage ? { prompt_tokens: usage.prompt_tokens ?? 0, completion_tokens: usage.completion_tokens ?? 0, total_tokens: usage.total_tokens ?? 0 } : undefined,
        }),
        counts: { ...counts, status: 200 },
      };
    }
    const headers = { 'Content-Type': 'application/json', Accept: up.stream ? 'text/event-stream' : 'application/json' };
    if (s.LLM_API_KEY) headers.Authorization = `Bearer ${s.LLM_API_KEY}`;
    const url = `${s.LLM_BASE_URL.replace(/\/+$/, '')}/chat/completions`;
    const timeout = AbortSignal.timeout(s.PROXY_TIMEOUT_MS);
    let res;
    try {
      res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(up.body), signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch {
      if (signal && signal.aborted) throw new HttpError(499, 'the client went away', { code: 'client_closed' });
      throw timeout.aborted ? upstreamError(504) : upstreamError(502);
    }
    counts.status = res.status;
    if (!res.ok) {
      res.body?.cancel().catch(() => {});
      throw upstreamError(res.status, res.headers.get('Retry-After'));
    }
    const ctype = res.headers.get('Content-Type') || '';
    if (up.stream && /text\/event-stream/i.test(ctype)) {
      const stream = passStream(res, { maxBytes: s.PROXY_MAX_RESPONSE_BYTES, redact, onEnd: (u) => settle(usedTokens(u)), signal });
      return {
        response: new Response(stream, { status: 200, headers: { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store' } }),
        counts,
        pending: true,
      };
    }
    const text = await readCapped(res, s.PROXY_MAX_RESPONSE_BYTES);
    if (text === null) throw new HttpError(502, `the model provider's reply is over the worker's limit of ${s.PROXY_MAX_RESPONSE_BYTES} bytes`, { code: 'reply_too_large' });
    let data;
    try {
      data = JSON.parse(text);
    } catch {
      throw upstreamError(502);
    }
    // A 200 that carries an error, or no choices, is a failure.
    if (!data || typeof data !== 'object' || data.error || !Array.isArray(data.choices)) throw upstreamError(502);
    await settle(usedTokens(data.usage));
    if (up.stream) {
      // Asked to stream, answered in one piece: given as one chunk of a stream.
      const chunk = {
        id: data.id, object: 'chat.completion.chunk', created: data.created, model: data.model,
        choices: data.choices.map((c) => ({ index: c.index ?? 0, delta: c.message || {}, finish_reason: c.finish_reason ?? 'stop' })),
      };
      const sse = `data: ${redact(JSON.stringify(chunk))}\n\ndata: [DONE]\n\n`;
      return { response: new Response(sse, { status: 200, headers: { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store' } }), counts };
    }
    return {
      response: new Response(redact(JSON.stringify(data)), { status: 200, headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' } }),
      counts,
    };
  } finally {
    // Failures before a reply: the call was attempted, its tokens (unknown) not spent.
    if (!settled && !(counts.status === 200 && up.stream)) await settle(0);
  }
}
