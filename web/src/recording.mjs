// Record and replay of LLM calls: recordTo wraps an adapter and keeps every request with
// its result, keyed by the SHA-256 of the request; fromRecording is an adapter that
// answers from such a recording, without a network. A run replayed from its recording
// gives the recorded run's results exactly, so an LLM-backed table can be reproduced
// without the model and a test can pin a real model's behaviour.
//
// A recording is JSON lines: a header {"arag_recording": 1, "model"?} and one entry per
// call {key, agent, request, status, content?, usage?, cause?, error?, repairs?}. No
// header of the HTTP requests is kept, so no key; error texts pass through the adapter's
// redact() and lose anything shaped like a bearer token or an API key.
import { AragError, Status } from './errors.mjs';
import { createCaller } from './llm.mjs';

export const RECORDING_VERSION = 1;

function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => v[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The request fields an answer depends on, in a canonical text. */
export function requestText(request) {
  const r = request || {};
  return canonical({ agent: r.agent, messages: r.messages, response_schema: r.response_schema, max_tokens: r.max_tokens, temperature: r.temperature });
}

/** SHA-256 (hex) of the request's canonical text. */
export async function requestKey(request) {
  const subtle = globalThis.crypto && globalThis.crypto.subtle;
  if (!subtle) throw new AragError(Status.ARAG_E_STATE, 'record/replay needs WebCrypto (crypto.subtle; in a browser, a secure context)');
  const d = await subtle.digest('SHA-256', new TextEncoder().encode(requestText(request)));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

const SECRET_SHAPES = [/Bearer\s+[A-Za-z0-9._~+/=-]+/gi, /\bsk-[A-Za-z0-9_-]{8,}/g, /\b(api[_-]?key|token)=([^&\s"']+)/gi];

function scrub(text, redact) {
  let t = String(text);
  if (typeof redact === 'function') t = redact(t);
  for (const re of SECRET_SHAPES) t = t.replace(re, (m, k) => (k && /=/.test(m) ? `${k}=[key]` : '[key]'));
  return t;
}

/**
 * Wraps an adapter: every call goes through it and is recorded. onEntry(entry), when
 * given, sees each entry as it is made (to append it to a file). The wrapper has
 * `entries` and `toJSONL(header?)`.
 */
export function recordTo(adapter, { onEntry, model } = {}) {
  if (!adapter || typeof adapter.complete !== 'function') throw new AragError(Status.ARAG_E_INVALID, 'recordTo: pass an LLM adapter');
  const entries = [];
  const redact = typeof adapter.redact === 'function' ? adapter.redact : null;
  const wrapper = {
    kind: 'llm',
    name: `recording:${adapter.name || 'adapter'}`,
    options: adapter.options,
    stats: adapter.stats,
    entries,
    async complete(request, ctx) {
      const r = await adapter.complete(request, ctx);
      const entry = { key: await requestKey(request), agent: request && request.agent, request, status: r.status };
      if (r.status === 200 && !r.cause) entry.content = r.content ?? '';
      if (r.usage) entry.usage = { prompt_tokens: r.usage.promptTokens, completion_tokens: r.usage.completionTokens, cached_tokens: r.usage.cachedPromptTokens || 0 };
      if (r.cause) entry.cause = r.cause;
      if (r.error) entry.error = scrub(r.error, redact);
      if (Array.isArray(r.repairs) && r.repairs.length) entry.repairs = r.repairs;
      entries.push(entry);
      if (onEntry) onEntry(entry);
      return r;
    },
    toJSONL(header = {}) {
      const head = { arag_recording: RECORDING_VERSION, ...(model || adapter.model ? { model: model || adapter.model } : {}), ...header };
      return [JSON.stringify(head), ...entries.map((e) => JSON.stringify(e))].join('\n') + '\n';
    },
  };
  return wrapper;
}

/** Reads a recording: JSON lines text, an array of entries, or {header, entries}. */
export function readRecording(recording) {
  let header = null;
  let entries;
  if (typeof recording === 'string') {
    entries = [];
    recording.split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      let v;
      try {
        v = JSON.parse(line);
      } catch {
        throw new AragError(Status.ARAG_E_JSON, `recording line ${i + 1}: not JSON`);
      }
      if (v && v.arag_recording !== undefined) {
        if (v.arag_recording !== RECORDING_VERSION) throw new AragError(Status.ARAG_E_VERSION, `recording line ${i + 1}: version ${v.arag_recording}, this library reads ${RECORDING_VERSION}`);
        header = v;
      } else entries.push(v);
    });
  } else if (Array.isArray(recording)) {
    entries = recording;
  } else if (recording && Array.isArray(recording.entries)) {
    entries = recording.entries;
    header = recording.header || null;
  } else {
    throw new AragError(Status.ARAG_E_INVALID, 'fromRecording: pass the recording as JSON lines text, an array of entries or {entries}');
  }
  for (const [i, e] of entries.entries()) {
    if (!e || typeof e.key !== 'string' || !/^[0-9a-f]{64}$/.test(e.key) || !Number.isInteger(e.status)) {
      throw new AragError(Status.ARAG_E_JSON, `recording entry ${i + 1}: needs key (SHA-256 hex) and status`);
    }
  }
  return { header, entries };
}

/**
 * An adapter that answers from a recording. Answers of one request are given in the
 * order they were recorded (a request asked twice gets the second answer the second
 * time, then the last again). A request not in the recording fails (cause network,
 * "not in the recording") and is counted in stats.misses.
 */
export function fromRecording(recording, opts = {}) {
  const { header, entries } = readRecording(recording);
  const byKey = new Map();
  for (const e of entries) {
    if (!byKey.has(e.key)) byKey.set(e.key, []);
    byKey.get(e.key).push(e);
  }
  const served = new Map();
  async function once(request) {
    const key = await requestKey(request);
    const list = byKey.get(key);
    if (!list) {
      caller.stats.misses++;
      return { status: 0, cause: 'network', error: `not in the recording (request ${key.slice(0, 12)})` };
    }
    const n = served.get(key) || 0;
    served.set(key, n + 1);
    const e = list[Math.min(n, list.length - 1)];
    const usage = e.usage ? { prompt_tokens: e.usage.prompt_tokens, completion_tokens: e.usage.completion_tokens, prompt_tokens_details: { cached_tokens: e.usage.cached_tokens || 0 } } : undefined;
    if (e.status === 200 && !e.cause) return { status: 200, content: e.content ?? '', usage, repairs: e.repairs };
    return { status: e.status, cause: e.cause || (e.status ? 'status' : 'network'), error: e.error || `HTTP ${e.status}`, usage };
  }
  // No retries: a recorded failure is replayed as it happened.
  const caller = createCaller(once, { ...opts, retries: 0 });
  caller.stats.misses = 0;
  return {
    kind: 'llm',
    name: 'recording',
    model: header && header.model,
    header,
    options: caller.options,
    stats: caller.stats,
    size: entries.length,
    complete: (request, ctx) => caller.call(request, ctx),
  };
}
