// Reading what chat-completion providers send back, as they really send it: bodies read
// with a byte cap (and decompressed where the host's fetch left them compressed), a
// completion envelope or an event stream (asked for or not), the answer text wherever a
// provider puts it (content, reasoning fields, tool-call arguments), refusals, errors
// inside a 200, usage with cached prompt tokens, and error messages a person can read.
//
// Everything here is pure over bytes and text except readBody (a Response's stream).

/** Default cap on a provider's HTTP body, decompressed (an IRA answer for 50 candidates
 * is about 8 KB; an event stream of it about 40 KB). */
export const MAX_RESPONSE_BYTES = 4 << 20;

const dec = new TextDecoder();

/** An error the caller turns into a failed attempt: status (HTTP-like), cause, retry. */
export class ResponseError extends Error {
  constructor(message, { status = 502, cause = 'status', retry = false } = {}) {
    super(message);
    this.name = 'ResponseError';
    this.status = status;
    this.failCause = cause;
    this.retry = retry;
  }
}

/** Reads a Response body up to maxBytes; past it the stream is cancelled and a
 * ResponseError thrown (the bytes never pile up in memory). */
export async function readBody(resp, maxBytes = MAX_RESPONSE_BYTES) {
  const len = Number(resp.headers && resp.headers.get('content-length'));
  if (Number.isFinite(len) && len > maxBytes) {
    try {
      if (resp.body) await resp.body.cancel();
    } catch {
      /* already closed */
    }
    throw new ResponseError(`the answer is ${len} bytes, more than the ${maxBytes} allowed`);
  }
  if (!resp.body || typeof resp.body.getReader !== 'function') {
    const buf = new Uint8Array(await resp.arrayBuffer());
    if (buf.length > maxBytes) throw new ResponseError(`the answer is ${buf.length} bytes, more than the ${maxBytes} allowed`);
    return buf;
  }
  const reader = resp.body.getReader();
  const parts = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > maxBytes) {
      try {
        await reader.cancel();
      } catch {
        /* already closed */
      }
      throw new ResponseError(`the answer is more than the ${maxBytes} bytes allowed`);
    }
    parts.push(value);
  }
  return concat(parts, n);
}

function concat(parts, n) {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// Whether bytes read as text already: no control bytes and valid UTF-8 in the first
// 512 (compressed data has both within a few bytes; a fetch that decoded the body may
// still show its Content-Encoding header, as Node's does).
function looksDecoded(b) {
  const head = b.subarray(0, 512);
  for (const c of head) if (c < 0x09 || (c > 0x0d && c < 0x20) || c === 0x7f) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return true;
  } catch {
    return false;
  }
}

async function decompressWith(format, bytes, maxBytes) {
  if (typeof DecompressionStream === 'function') {
    let ds;
    try {
      ds = new DecompressionStream(format);
    } catch {
      ds = null; // this host's DecompressionStream lacks the format (brotli, in most)
    }
    if (ds) {
      const stream = new Blob([bytes]).stream().pipeThrough(ds);
      return readBody(new Response(stream), maxBytes);
    }
  }
  const zlib = nodeZlib();
  if (!zlib) throw new ResponseError(`the answer is ${format}-compressed and this host cannot decompress it`);
  const fn = format === 'br' ? 'brotliDecompressSync' : format === 'gzip' ? 'gunzipSync' : 'inflateSync';
  try {
    return new Uint8Array(zlib[fn](bytes, { maxOutputLength: maxBytes }));
  } catch (e) {
    throw new ResponseError(`the ${format}-compressed answer could not be decompressed: ${e.message}`);
  }
}

function nodeZlib() {
  if (typeof process !== 'object' || !process || typeof process.getBuiltinModule !== 'function') return null;
  try {
    return process.getBuiltinModule('node:zlib');
  } catch {
    return null;
  }
}

const CODINGS = { gzip: 'gzip', 'x-gzip': 'gzip', deflate: 'deflate', br: 'br' };

/**
 * Bytes to text. A body still compressed (the host's fetch did not decode its
 * Content-Encoding: a bare HTTP client, a proxy that passes it through) is decompressed
 * here: gzip, deflate, br. Returns {text, decoded: coding or null}.
 */
export async function decodeBody(bytes, headers, maxBytes = MAX_RESPONSE_BYTES) {
  let coding = null;
  if (!looksDecoded(bytes)) {
    const named = String((headers && headers.get && headers.get('content-encoding')) || '')
      .toLowerCase()
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s && s !== 'identity');
    // Codings apply in the order listed: undo them from the last.
    for (const c of named.reverse()) {
      const f = CODINGS[c];
      if (!f) throw new ResponseError(`the answer has a Content-Encoding this library does not know: ${c}`);
      bytes = await decompressWith(f, bytes, maxBytes);
      coding = coding ? `${c}+${coding}` : c;
    }
    // No header, but gzip's magic bytes: decompress anyway.
    if (!coding && bytes[0] === 0x1f && bytes[1] === 0x8b) {
      bytes = await decompressWith('gzip', bytes, maxBytes);
      coding = 'gzip';
    }
  }
  return { text: dec.decode(bytes), decoded: coding };
}

/** Whether a body is an event stream: by its type, or by its first field. */
export function isEventStream(text, contentType) {
  if (/text\/event-stream/i.test(contentType || '')) return true;
  return /^\s*(data|event|id|retry):/.test(text.slice(0, 64)) || /^\s*:[^\n]*\n\s*(data|event):/.test(text.slice(0, 256));
}

/** The data payloads of an event stream, in order (multi-line data joined by '\n'). */
export function sseEvents(text) {
  const out = [];
  let data = null;
  for (const raw of text.split(/\r\n|\r|\n/)) {
    if (raw === '') {
      if (data !== null) out.push(data);
      data = null;
      continue;
    }
    if (raw.startsWith(':')) continue;
    const i = raw.indexOf(':');
    const field = i < 0 ? raw : raw.slice(0, i);
    let value = i < 0 ? '' : raw.slice(i + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data = data === null ? value : `${data}\n${value}`;
  }
  if (data !== null) out.push(data);
  return out;
}

/** Folds one parsed stream chunk into an accumulator (see newAccumulator). */
export function foldChunk(acc, chunk) {
  if (!chunk || typeof chunk !== 'object') return;
  if (chunk.error) acc.error = chunk.error;
  if (chunk.usage) acc.usage = chunk.usage;
  if (chunk.timings) acc.timings = chunk.timings;
  const ch = Array.isArray(chunk.choices) ? chunk.choices[0] : null;
  if (!ch) {
    // Workers AI streams {response: "..."}; Ollama's native API {message: {content}}.
    if (typeof chunk.response === 'string') acc.content += chunk.response;
    else if (chunk.message && typeof chunk.message.content === 'string') acc.content += chunk.message.content;
    return;
  }
  if (ch.finish_reason) acc.finishReason = ch.finish_reason;
  const d = ch.delta || ch.message || {};
  if (typeof d.content === 'string') acc.content += d.content;
  else if (Array.isArray(d.content)) acc.content += partsText(d.content);
  if (typeof ch.text === 'string') acc.content += ch.text; // legacy completions
  const rc = d.reasoning_content ?? d.reasoning;
  if (typeof rc === 'string') acc.reasoning += rc;
  if (typeof d.refusal === 'string') acc.refusal += d.refusal;
  if (Array.isArray(d.tool_calls)) {
    for (const tc of d.tool_calls) {
      const k = Number.isInteger(tc.index) ? tc.index : 0;
      const args = tc.function && tc.function.arguments;
      acc.tools[k] = (acc.tools[k] || '') + (typeof args === 'string' ? args : args ? JSON.stringify(args) : '');
    }
  }
  if (d.function_call && typeof d.function_call.arguments === 'string') acc.tools[0] = (acc.tools[0] || '') + d.function_call.arguments;
}

export function newAccumulator() {
  return { content: '', reasoning: '', refusal: '', tools: [], usage: null, timings: null, error: null, finishReason: null, chunks: 0 };
}

function partsText(parts) {
  return parts.map((p) => (typeof p === 'string' ? p : (p && (p.text ?? p.content)) || '')).join('');
}

/** An event stream's payloads assembled into one accumulator. */
export function assembleStream(text) {
  const acc = newAccumulator();
  for (const data of sseEvents(text)) {
    const d = data.trim();
    if (d === '[DONE]' || d === '') continue;
    let chunk;
    try {
      chunk = JSON.parse(d);
    } catch {
      continue; // a keep-alive or a line the provider cut: the rest still counts
    }
    acc.chunks++;
    foldChunk(acc, chunk);
  }
  return acc;
}

/** A completion envelope ({choices: [{message}]}, or a bare Workers AI {response}) as an
 * accumulator. */
export function fromEnvelope(data) {
  const acc = newAccumulator();
  if (!data || typeof data !== 'object') return acc;
  if (data.error) acc.error = data.error;
  acc.usage = data.usage || null;
  acc.timings = data.timings || null;
  const ch = Array.isArray(data.choices) ? data.choices[0] : null;
  if (ch) {
    acc.finishReason = ch.finish_reason || null;
    const m = ch.message || {};
    if (typeof m.content === 'string') acc.content = m.content;
    else if (Array.isArray(m.content)) acc.content = partsText(m.content);
    else if (m.content && typeof m.content === 'object') acc.content = JSON.stringify(m.content);
    if (typeof ch.text === 'string' && !acc.content) acc.content = ch.text;
    const rc = m.reasoning_content ?? m.reasoning;
    if (typeof rc === 'string') acc.reasoning = rc;
    if (typeof m.refusal === 'string') acc.refusal = m.refusal;
    if (Array.isArray(m.tool_calls))
      acc.tools = m.tool_calls.map((tc) => {
        const a = tc && tc.function && tc.function.arguments;
        return typeof a === 'string' ? a : a ? JSON.stringify(a) : '';
      });
    if (m.function_call && m.function_call.arguments) acc.tools.push(String(m.function_call.arguments));
    acc.hasMessage = !!ch.message || typeof ch.text === 'string';
    return acc;
  }
  if ('response' in data) {
    acc.content = typeof data.response === 'string' ? data.response : data.response == null ? '' : JSON.stringify(data.response);
    if (Array.isArray(data.tool_calls)) acc.tools = data.tool_calls.map((tc) => (tc && tc.arguments ? (typeof tc.arguments === 'string' ? tc.arguments : JSON.stringify(tc.arguments)) : ''));
    acc.hasMessage = true;
  }
  return acc;
}

/**
 * The answer of an accumulator: {content, repairs} where repairs name where the text came
 * from when not from `content` (reasoning_content, tool-call arguments). Throws a
 * ResponseError for an error object, a refusal, or no answer at all.
 */
export function answerOf(acc, { streamed = false, assembled = false } = {}) {
  if (acc.error) {
    const e = acc.error;
    const msg = typeof e === 'string' ? e : e.message || e.msg || JSON.stringify(e).slice(0, 300);
    const code = Number(typeof e === 'object' ? e.code ?? e.status : NaN);
    const status = Number.isInteger(code) && code >= 400 && code <= 599 ? code : 502;
    throw new ResponseError(`the provider answered with an error: ${shorten(msg)}`, { status, retry: status >= 500 || status === 429 });
  }
  const repairs = [];
  if (assembled && !streamed) repairs.push('event_stream_assembled');
  let content = acc.content;
  if (!content.trim() && acc.refusal.trim()) {
    throw new ResponseError(`the model refused: ${shorten(acc.refusal)}`, { status: 200, cause: 'refusal' });
  }
  if (!content.trim()) {
    const tool = acc.tools.find((t) => t && t.trim());
    if (tool) {
      content = tool;
      repairs.push('content_from_tool_call');
    } else if (acc.reasoning.trim()) {
      // Marked as thoughts, so the engine takes the last answer in them, not a draft.
      content = `<think>${acc.reasoning}</think>`;
      repairs.push('content_from_reasoning');
    }
  }
  if (!content.trim() && !acc.hasMessage && !acc.chunks) throw new ResponseError('the response holds no message (choices[0].message is missing)');
  if (acc.finishReason === 'length') repairs.push('stopped_at_max_tokens');
  return { content, repairs };
}

/** Usage in one shape: {promptTokens, completionTokens, cachedPromptTokens}, or null. */
export function normUsage(u, timings) {
  if (!u || typeof u !== 'object') {
    // llama.cpp's server: timings {prompt_n, predicted_n, cache_n}.
    if (timings && Number.isFinite(timings.prompt_n)) {
      return {
        promptTokens: Math.max(0, Math.round(timings.prompt_n + (timings.cache_n || 0))),
        completionTokens: Math.max(0, Math.round(timings.predicted_n || 0)),
        cachedPromptTokens: Math.max(0, Math.round(timings.cache_n || 0)),
      };
    }
    return null;
  }
  const p = Number(u.prompt_tokens ?? u.promptTokens ?? u.input_tokens ?? 0);
  const c = Number(u.completion_tokens ?? u.completionTokens ?? u.output_tokens ?? 0);
  if (!Number.isFinite(p) || !Number.isFinite(c)) return null;
  const d = u.prompt_tokens_details || u.input_tokens_details || {};
  let cached = Number(d.cached_tokens ?? u.prompt_cache_hit_tokens ?? u.cache_read_input_tokens ?? u.cachedPromptTokens ?? (timings && timings.cache_n) ?? 0);
  if (!Number.isFinite(cached) || cached < 0) cached = 0;
  return { promptTokens: Math.max(0, Math.round(p)), completionTokens: Math.max(0, Math.round(c)), cachedPromptTokens: Math.min(Math.round(cached), Math.max(0, Math.round(p))) };
}

/** Text cut to n characters with an ellipsis, on one line. */
export function shorten(s, n = 200) {
  const t = String(s).replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
}

const REASONS = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** The provider's own words in an error body: a JSON error message, or the text of an
 * HTML page (its title or first heading), cut short. '' when there is nothing useful. */
export function providerMessage(text) {
  const t = String(text || '').trim();
  if (!t) return '';
  if (t[0] === '{' || t[0] === '[') {
    try {
      const j = JSON.parse(t);
      const e = j && (j.error ?? j.errors ?? j.detail ?? j.message);
      const m = Array.isArray(e) ? e[0] && (e[0].message || e[0].msg || e[0]) : e && typeof e === 'object' ? e.message || e.msg || e.type : e;
      if (m) return shorten(typeof m === 'string' ? m : JSON.stringify(m));
    } catch {
      /* not JSON after all */
    }
  }
  if (/^<(!doctype|html|head|body|\?xml)/i.test(t) || /<\/(html|body|title|h1)>/i.test(t)) {
    const pick = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(t) || /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(t);
    const inner = pick ? pick[1] : t;
    return shorten(inner.replace(/<[^>]*>/g, ' ').replace(/&[a-z#0-9]+;/gi, ' '));
  }
  return shorten(t);
}

/** "HTTP 503 Service Unavailable: <provider's words>". */
export function httpErrorMessage(status, text, statusText) {
  const reason = statusText || REASONS[status] || '';
  const head = `HTTP ${status}${reason ? ` ${reason}` : ''}`;
  const msg = providerMessage(text);
  return msg && msg.toLowerCase() !== reason.toLowerCase() && msg !== String(status) ? `${head}: ${msg}` : head;
}

const NET_CODES = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  UND_ERR_SOCKET: 'the server closed the connection before the answer ended',
  UND_ERR_CLOSED: 'the connection was closed',
  EPIPE: 'the connection broke while sending',
  ETIMEDOUT: 'the connection timed out',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
  UND_ERR_BODY_TIMEOUT: 'the answer stalled',
};

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Whether a thrown fetch error says no connection could be made at all (refused, no
 * such host, no route; a browser's bare "Failed to fetch"), not that one broke. */
export function isUnreachable(e) {
  let c = e;
  for (let depth = 0; c && depth < 4; depth++, c = c.cause) if (c.code && UNREACHABLE.has(c.code)) return true;
  return /^(Failed to fetch|NetworkError when attempting to fetch resource\.|Load failed)$/.test(String(e && e.message));
}

/** A readable message for a thrown fetch error (undici's "fetch failed" and
 * "terminated" name their cause only in e.cause). */
export function networkErrorMessage(e) {
  const msg = (e && e.message) || String(e);
  let c = e && e.cause;
  for (let depth = 0; c && depth < 3; depth++) {
    const code = c.code || (c.cause && c.cause.code);
    if (code && NET_CODES[code]) return `network error: ${NET_CODES[code]} (${code})`;
    if (code) return `network error: ${shorten(c.message || code, 120)} (${code})`;
    c = c.cause;
  }
  if (/^terminated$/i.test(msg)) return 'network error: the connection was cut before the answer ended (terminated)';
  if (/^fetch failed$/i.test(msg)) return 'network error: fetch failed';
  return `network error: ${shorten(msg, 160)}`;
}
