// A deterministic OpenAI-compatible test server on 127.0.0.1 for the adapters' tests.
//
//   POST /v1/chat/completions  answers each arag agent (recognised from its system
//                              prompt) from the data section it is sent, as valid JSON
//                              for the agent's schema;
//   POST /v1/embeddings        deterministic hashed vectors;
//   POST /ai/run/<model>       the same answers shaped like the Workers AI REST API
//                              ({result: {response, usage}, success}), for a stand-in
//                              of the env.AI binding;
//   OPTIONS *                  CORS preflight (every answer carries CORS headers).
//
// Faults are chosen per request by server.fault(info) -> null | {status, retryAfter,
// retryAfterMs, errorBody, hang, delayMs, truncate, truncateBody, hallucinate, refuseSchema,
// falseCites (the IRA's citations: false and malformed ones before the true ones)},
// where info = {agent, seq, agentSeq, body, path, auth (the Authorization header)}. Every request is logged with its arrival
// and finish times on the server's clock (performance.now()).
import { createServer } from 'node:http';

const AGENT_MARKERS = [
  ['uua', /User Understanding Agent/],
  ['nli', /NLI \(natural language inference\) Agent|NLI Agent of/],
  ['csa', /Context Summary Agent/],
  ['ira', /Item Ranker Agent/],
];

export function agentOf(messages) {
  const sys = (messages || []).filter((m) => m.role === 'system').map((m) => m.content).join('\n');
  for (const [name, re] of AGENT_MARKERS) if (re.test(sys)) return name;
  return 'unknown';
}

/** Parses the fenced data section into {sections: {label: [objects]}, scalars: {label: value}}. */
export function parseDataSection(text) {
  const out = { sections: {}, scalars: {} };
  const start = text.indexOf('<<<DATA');
  const end = text.indexOf('DATA>>>', start + 1);
  if (start < 0 || end < 0) return out;
  let current = null;
  for (const line of text.slice(start + 7, end).split('\n')) {
    const l = line.trim();
    if (!l) continue;
    const head = /^([a-z_]+): (\d+) (events|items)/.exec(l);
    if (head) {
      current = head[1];
      out.sections[current] = [];
      continue;
    }
    if (l.startsWith('{') && current) {
      try {
        out.sections[current].push(JSON.parse(l));
      } catch {
        /* a line the server cannot read is ignored */
      }
      continue;
    }
    const sc = /^([a-z_]+): (.*)$/.exec(l);
    if (sc) {
      try {
        out.scalars[sc[1]] = JSON.parse(sc[2]);
      } catch {
        out.scalars[sc[1]] = sc[2];
      }
    }
  }
  return out;
}

const words = (it) =>
  new Set(
    `${it.title || ''} ${(it.categories || []).join(' ')} ${it.brand || ''}`
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((w) => w.length > 2)
  );

function overlapScore(cand, historyWords) {
  const w = words(cand);
  if (w.size === 0 || historyWords.size === 0) return 0;
  let hit = 0;
  for (const x of w) if (historyWords.has(x)) hit++;
  return Math.round((hit / w.size) * 1000) / 1000;
}

/** The deterministic answer object of one agent request. */
export function answerFor(agent, messages, { falseCites: forge = false } = {}) {
  const user = (messages || []).filter((m) => m.role === 'user').map((m) => m.content).join('\n');
  const data = parseDataSection(user);
  const hist = [...(data.sections.long_term || []), ...(data.sections.session || [])];
  const hw = new Set();
  for (const e of hist) for (const w of words(e)) hw.add(w);
  switch (agent) {
    case 'uua': {
      const titles = (data.sections.session || []).map((e) => e.title).filter(Boolean);
      return { summary: `server summary of ${hist.length} events: ${titles.slice(0, 3).join('; ')}`, interests: [...hw].slice(0, 5) };
    }
    case 'nli': {
      const items = (data.sections.candidates || []).map((c) => {
        const score = overlapScore(c, hw);
        return { id: c.id, score, label: score >= 0.5 ? 'supports' : score > 0.1 ? 'neutral' : 'contradicts', rationale: `overlap ${score}` };
      });
      return { items };
    }
    case 'csa':
      return { summary: `server context of ${(data.sections.accepted || []).length} accepted items` };
    case 'ira': {
      const cands = data.sections.candidates || [];
      // Server ranking: by word overlap with the history, then by id (deterministic).
      const ranked = cands
        .map((c) => ({ id: c.id, s: overlapScore(c, hw) }))
        .sort((a, b) => b.s - a.s || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      // The first items (as many as the closing line asks) cite the first two entries of
      // the evidence their lines show.
      const shown = new Map(cands.map((c) => [c.id, Array.isArray(c.evidence) ? c.evidence : []]));
      const citing = Number((/cite the evidence of your first (\d+)/i.exec(user) || [])[1] || 0);
      return {
        ranking: ranked.map((r, i) => {
          const other = ranked.find((o) => o.id !== r.id);
          const cite = i >= citing ? [] : forge ? falseCites(r.id, shown.get(r.id), other ? other.id : 'x') : shown.get(r.id).slice(0, 2);
          return { id: r.id, reason: `server rank ${i + 1}`, score: r.s, ...(cite.length ? { cite } : {}) };
        }),
      };
    }
    default:
      return { error: 'unknown agent' };
  }
}

// Citations that do not hold, around the ones that do (`shown`: the item's evidence as its
// line shows it, every entry): an id no history has, another candidate's id, the item's
// own id under a kind other than repeat, each kind the item lacks (with a history id its
// evidence names), malformed and nested junk, and a huge array after the true ones.
const CITE_KINDS = ['repeat', 'bought_together', 'title_words', 'brand', 'category', 'price', 'popular', 'text_words'];
function falseCites(id, shown, otherId) {
  const has = new Set(shown.map((c) => String(c).split(':')[0]));
  const real = shown.map((c) => String(c).split(':').slice(1).join(':')).find(Boolean);
  return [
    'brand:FORGED-HISTORY-ID',
    `category:${otherId}`,
    `title_words:${id}`,
    ...CITE_KINDS.filter((k) => !has.has(k)).map((k) => (real ? `${k}:${real}` : k)),
    'no_such_kind',
    { kind: 'brand', items: ['FORGED-1', { nested: [[[{}]]] }] },
    { kind: 7, items: 'x' },
    [['title_words']],
    null,
    42,
    ...shown.slice(0, 2),
    ...Array.from({ length: 60 }, () => 'popular:FORGED-2'),
  ];
}

function hashVec(text, dim) {
  const v = new Float64Array(dim);
  for (const w of String(text).toLowerCase().split(/[^a-z0-9]+/).filter(Boolean)) {
    let h = 2166136261;
    for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 16777619) >>> 0;
    v[h % dim] += h & 1 ? 1 : -1;
  }
  const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
  return Array.from(v, (x) => x / n);
}

const tokens = (s) => Math.ceil(String(s).length / 4);

export async function startOpenAIServer({ host = '127.0.0.1', port = 0, embedDim = 64 } = {}) {
  const log = [];
  const sockets = new Set();
  let seq = 0;
  const agentSeq = {};
  let inFlight = 0;
  const state = { fault: () => null, maxInFlight: 0 };

  const cors = {
    'access-control-allow-origin': '*',
    'access-control-allow-methods': 'POST, OPTIONS',
    'access-control-allow-headers': 'content-type, authorization, x-test',
    'access-control-expose-headers': 'retry-after',
  };

  const server = createServer((req, res) => {
    if (req.method === 'OPTIONS') {
      res.writeHead(204, cors);
      res.end();
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  function send(res, status, obj, headers = {}) {
    const text = typeof obj === 'string' ? obj : JSON.stringify(obj);
    res.writeHead(status, { 'content-type': 'application/json', ...cors, ...headers });
    res.end(text);
  }

  async function handle(req, res, text) {
    const entry = { seq: ++seq, path: req.url, start: performance.now(), end: null, status: null, agent: null, aborted: false };
    log.push(entry);
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    let finished = false;
    const finish = (status) => {
      if (finished) return;
      finished = true;
      inFlight--;
      entry.status = status;
      entry.end = performance.now();
    };
    res.on('close', () => {
      if (!finished) {
        entry.aborted = true;
        finish(0);
      }
    });
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      send(res, 400, { error: { message: 'request body is not JSON' } });
      finish(400);
      return;
    }
    entry.headers = { authorization: req.headers.authorization || null, xTest: req.headers['x-test'] || null };
    if (req.url === '/v1/embeddings') {
      entry.agent = 'embeddings';
      const inputs = Array.isArray(body.input) ? body.input : [body.input];
      const dim = body.dimensions || embedDim;
      const f = state.fault({ agent: 'embeddings', seq: entry.seq, agentSeq: 0, body, path: req.url }) || {};
      entry.fault = f;
      if (f.delayMs) await new Promise((r) => setTimeout(r, f.delayMs));
      if (f.status) {
        send(res, f.status, { error: { message: `injected ${f.status}` } }, f.retryAfter !== undefined ? { 'retry-after': String(f.retryAfter) } : {});
        finish(f.status);
        return;
      }
      send(res, 200, {
        object: 'list',
        data: inputs.map((t, i) => ({ object: 'embedding', index: i, embedding: hashVec(t, dim) })),
        model: body.model,
        usage: { prompt_tokens: inputs.reduce((s, t) => s + tokens(t), 0), total_tokens: 0 },
      });
      finish(200);
      return;
    }
    const isChat = req.url === '/v1/chat/completions';
    const isAI = req.url.startsWith('/ai/run/');
    if (!isChat && !isAI) {
      send(res, 404, { error: { message: `no route ${req.url}` } });
      finish(404);
      return;
    }
    const agent = agentOf(body.messages);
    entry.agent = agent;
    entry.agentSeq = agentSeq[agent] = (agentSeq[agent] || 0) + 1;
    entry.responseFormat = body.response_format ? body.response_format.type : null;
    entry.maxTokens = body.max_tokens;
    entry.temperature = body.temperature;
    entry.messages = body.messages;
    entry.model = isAI ? decodeURIComponent(req.url.slice(8)) : body.model;
    const f = state.fault({ agent, seq: entry.seq, agentSeq: entry.agentSeq, body, path: req.url, auth: req.headers.authorization || '' }) || {};
    entry.fault = f;
    if (f.hang) return; // never answers; the client times out or aborts
    if (f.delayMs) await new Promise((r) => setTimeout(r, f.delayMs));
    if (res.destroyed) return;
    if (f.refuseSchema && body.response_format && body.response_format.type === 'json_schema') {
      send(res, 400, { error: { message: "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.", type: 'invalid_request_error', param: 'response_format' } });
      finish(400);
      return;
    }
    if (f.echoAuth) {
      // Like a provider refusing a key: its own words quote (part of) it.
      send(res, 401, { error: { message: `Incorrect API key provided: ${String(req.headers.authorization || '').replace(/^Bearer /, '')}` } });
      finish(401);
      return;
    }
    if (f.status) {
      const h = {};
      if (f.retryAfter !== undefined) h['retry-after'] = String(f.retryAfter);
      if (f.retryAfterMs !== undefined) h['retry-after-ms'] = String(f.retryAfterMs);
      send(res, f.status, f.errorBody || { error: { message: `injected ${f.status}` } }, h);
      finish(f.status);
      return;
    }
    const answer = answerFor(agent, body.messages, { falseCites: !!f.falseCites });
    if (f.hallucinate) {
      if (answer.ranking) {
        answer.ranking.splice(1, 0, { id: 'HALLUCINATED-1', reason: 'made up' }, { ...answer.ranking[0], reason: 'duplicate' });
        answer.ranking.push({ id: 'HALLUCINATED-2', reason: 'made up' });
      }
      if (answer.items) {
        answer.items.push({ id: 'HALLUCINATED-3', score: 1, label: 'supports', rationale: 'made up' });
        if (answer.items.length > 1) answer.items.push({ ...answer.items[0] });
      }
    }
    entry.answer = answer;
    let content = JSON.stringify(answer);
    if (f.truncate) content = content.slice(0, Math.floor(content.length / 2));
    // Like a real model, it stops at max_tokens (its tokens: 4 characters).
    let stopped = f.truncate;
    if (Number.isInteger(body.max_tokens) && tokens(content) > body.max_tokens) {
      content = content.slice(0, body.max_tokens * 4);
      stopped = true;
    }
    const usage = {
      prompt_tokens: (body.messages || []).reduce((s, m) => s + tokens(m.content || ''), 0),
      completion_tokens: tokens(content),
    };
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    entry.usage = usage;
    const payload = isAI
      ? { result: { response: content, usage }, success: true, errors: [], messages: [] }
      : {
          id: `chatcmpl-${entry.seq}`,
          object: 'chat.completion',
          model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: stopped ? 'length' : 'stop' }],
          usage,
        };
    let out = JSON.stringify(payload);
    if (f.truncateBody) out = out.slice(0, Math.floor(out.length / 2));
    send(res, 200, out);
    finish(200);
  }

  await new Promise((resolve) => server.listen(port, host, resolve));
  const addr = server.address();
  const url = `http://${host}:${addr.port}`;
  return {
    url,
    baseURL: `${url}/v1`,
    log,
    get maxInFlight() {
      return state.maxInFlight;
    },
    /** Sets the fault chooser: (info) => null | fault. */
    setFault(fn) {
      state.fault = fn || (() => null);
    },
    reset() {
      log.length = 0;
      for (const k of Object.keys(agentSeq)) delete agentSeq[k];
      state.fault = () => null;
      state.maxInFlight = inFlight;
    },
    chat() {
      return log.filter((e) => e.agent && e.agent !== 'embeddings');
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

// Run standalone (for the Chromium page or by hand): prints the address.
if (import.meta.url === `file://${process.argv[1]}`) {
  const s = await startOpenAIServer({ port: Number(process.argv[2] || 0) });
  console.log(s.baseURL);
}
