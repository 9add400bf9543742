// Seeded fault injection for agent providers, in process and over HTTP.
//
// A schedule draws one fault per call from a seeded generator:
//   ok, slow (answers after delayMs), timeout (never answers: the caller's timeout fires),
//   http_429, http_500, truncated (the JSON cut in half), off_schema (valid JSON of another
//   shape), empty (a completion without choices), unknown_ids and duplicate_ids (extra
//   entries in an NLI or IRA answer), drop (the connection is reset / fetch fails).
// Correct answers come from the OpenAI-compatible test server's answerFor(), which reads
// the request's data section.
//
//   faultyFunction(schedule)  -> fn for fromFunction(): the faults as a host transport sees them
//   startFaultServer(schedule)-> an OpenAI-compatible HTTP server on 127.0.0.1 with the faults
import { createServer } from 'node:http';
import { agentOf, answerFor } from './openai-test-server.mjs';
import { rng } from './common.mjs';

export const FAULTS = ['slow', 'timeout', 'http_429', 'http_500', 'truncated', 'off_schema', 'empty', 'unknown_ids', 'duplicate_ids', 'drop'];

/**
 * @param {{seed?: number, rate?: number, kinds?: string[], delayMs?: number}} o
 *   rate: share of calls that get a fault; kinds: the faults to draw from (default all).
 */
export function faultSchedule({ seed = 1, rate = 0.3, kinds = FAULTS, delayMs = 20 } = {}) {
  const r = rng(seed);
  const counts = Object.fromEntries(['ok', ...FAULTS].map((k) => [k, 0]));
  return {
    counts,
    delayMs,
    next() {
      const kind = r() < rate ? kinds[Math.floor(r() * kinds.length)] : 'ok';
      counts[kind]++;
      return kind;
    },
    get total() {
      return Object.values(counts).reduce((a, b) => a + b, 0);
    },
    get faults() {
      return this.total - counts.ok;
    },
  };
}

/** The content of an answer under a content fault (truncated, off_schema, ids). */
export function answerText(agent, messages, kind) {
  if (kind === 'off_schema') return JSON.stringify({ answer: 'they all look great to me', confidence: [1, 2, 3] });
  const a = answerFor(agent, messages);
  if (kind === 'unknown_ids' || kind === 'duplicate_ids') {
    const list = a.ranking || a.items;
    if (list && list.length) {
      if (kind === 'unknown_ids') list.splice(1, 0, { ...list[0], id: 'NOT-A-CANDIDATE-1' }), list.push({ ...list[0], id: 'NOT-A-CANDIDATE-2' });
      else list.push({ ...list[0] }, { ...list[list.length - 1] });
    }
  }
  const text = JSON.stringify(a);
  return kind === 'truncated' ? text.slice(0, Math.floor(text.length / 2)) : text;
}

function waitAbort(signal) {
  return new Promise((_, reject) => {
    if (!signal) return; // never settles: a caller without a signal hangs, as with a real server
    const fail = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A function for fromFunction(fn, opts) that misbehaves on schedule. `log` collects {agent, kind}. */
export function faultyFunction(schedule, log = []) {
  return async (req, { signal } = {}) => {
    const agent = req.agent;
    const kind = schedule.next();
    log.push({ agent, kind });
    switch (kind) {
      case 'slow':
        await sleep(schedule.delayMs);
        break;
      case 'timeout':
        return waitAbort(signal);
      case 'http_429':
      case 'http_500': {
        const e = new Error(`injected ${kind}`);
        e.status = kind === 'http_429' ? 429 : 500;
        if (kind === 'http_429') e.retryAfterMs = 1;
        throw e;
      }
      case 'empty':
        return { status: 502, error: 'response has no choices[0].message: {"choices":[]}' };
      case 'drop':
        throw new TypeError('fetch failed: socket hang up');
      default:
        break;
    }
    const content = answerText(agent, req.messages, kind);
    return { content, usage: { prompt_tokens: 100, completion_tokens: Math.ceil(content.length / 4) } };
  };
}

/**
 * OpenAI-compatible chat completions server with scheduled faults.
 * Returns {url, baseURL, log, close()}; log entries are {agent, kind, status}.
 */
export async function startFaultServer(schedule, { host = '127.0.0.1' } = {}) {
  const log = [];
  const sockets = new Set();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"request body is not JSON"}}');
        return;
      }
      const agent = agentOf(body.messages);
      const kind = schedule.next();
      const entry = { agent, kind, status: null };
      log.push(entry);
      const send = (status, text) => {
        entry.status = status;
        if (res.destroyed) return;
        res.writeHead(status, { 'content-type': 'application/json', ...(status === 429 ? { 'retry-after': '0' } : {}) });
        res.end(text);
      };
      switch (kind) {
        case 'slow':
          await sleep(schedule.delayMs);
          break;
        case 'timeout':
          return; // never answers; the client's timeout ends it
        case 'drop':
          entry.status = 0;
          req.socket.destroy();
          return;
        case 'http_429':
          return send(429, '{"error":{"message":"rate limited"}}');
        case 'http_500':
          return send(500, '{"error":{"message":"internal error"}}');
        case 'empty':
          return send(200, JSON.stringify({ id: 'x', object: 'chat.completion', choices: [], usage: { prompt_tokens: 1, completion_tokens: 0 } }));
        default:
          break;
      }
      const content = answerText(agent, body.messages, kind);
      send(200, JSON.stringify({
        id: `chatcmpl-${log.length}`,
        object: 'chat.completion',
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: kind === 'truncated' ? 'length' : 'stop' }],
        usage: { prompt_tokens: 100, completion_tokens: Math.ceil(content.length / 4), total_tokens: 0 },
      }));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 1000;
  await new Promise((resolve) => server.listen(0, host, resolve));
  const url = `http://${host}:${server.address().port}`;
  return {
    url,
    baseURL: `${url}/v1`,
    log,
    schedule,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
