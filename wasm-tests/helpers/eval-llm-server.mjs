// A minimal OpenAI-compatible chat completions server on 127.0.0.1 for the eval tests.
// It answers the four agent contracts deterministically from the prompt's data section
// (candidates are the JSON lines after "candidates: N items" / "accepted: N items"),
// reports token usage (ceil(chars / 4)) and keeps tallies the tests compare with the
// harness's accounting. Options: delayMs (per response), failEvery (every n-th request
// gets a 503 with Retry-After: 0, which the adapter retries).
import { createServer } from 'node:http';

function candidatesOf(text) {
  const lines = text.split('\n');
  const out = [];
  let inCands = false;
  for (const line of lines) {
    if (/^(candidates|accepted): \d+ items$/.test(line)) {
      inCands = true;
      continue;
    }
    if (!line.startsWith('{')) {
      inCands = false;
      continue;
    }
    if (!inCands) continue;
    try {
      const o = JSON.parse(line);
      if (typeof o.id === 'string') out.push(o);
    } catch {
      /* not a data line */
    }
  }
  return out;
}

// Score from the title: a stable number in [0, 1] that does not depend on request order.
function titleScore(item) {
  const t = String(item.title || '');
  let h = 2166136261;
  for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 16777619) >>> 0;
  const r = typeof item.retrieval === 'number' ? item.retrieval : 0;
  return Math.min(1, Math.max(0, 0.7 * r + 0.3 * ((h % 1000) / 1000)));
}

function answer(agent, userText) {
  const cands = candidatesOf(userText);
  switch (agent) {
    case 'uua':
      return { summary: 'Buys practical everyday products; prefers well-known brands.', interests: ['everyday', 'brands'] };
    case 'nli':
      return {
        items: cands.map((c) => {
          const score = Math.round(titleScore(c) * 1000) / 1000;
          return { id: c.id, score, label: score >= 0.5 ? 'supports' : score >= 0.2 ? 'neutral' : 'contradicts', rationale: 'Title matches the history.' };
        }),
      };
    case 'csa':
      return { summary: `Accepted ${cands.length} items close to the recent purchases.` };
    case 'ira': {
      const ranked = cands
        .map((c, i) => ({ c, i, s: typeof c.nli_score === 'number' ? c.nli_score : titleScore(c) }))
        .sort((a, b) => b.s - a.s || a.i - b.i);
      return { ranking: ranked.map(({ c, s }) => ({ id: c.id, reason: 'fits the profile', score: Math.round(s * 1000) / 1000 })) };
    }
    default:
      return {};
  }
}

export async function startEvalLlmServer({ delayMs = 0, failEvery = 0 } = {}) {
  const stats = { requests: 0, completions: 0, failed: 0, promptTokens: 0, completionTokens: 0, byAgent: {} };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', async () => {
      stats.requests++;
      if (req.method !== 'POST' || !req.url.endsWith('/chat/completions')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"not found"}}');
        return;
      }
      if (failEvery && stats.requests % failEvery === 0) {
        stats.failed++;
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '0' });
        res.end('{"error":{"message":"try again"}}');
        return;
      }
      let data;
      try {
        data = JSON.parse(body);
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"bad JSON"}}');
        return;
      }
      const rf = data.response_format || {};
      const agent = (rf.json_schema && rf.json_schema.name) || 'unknown';
      const msgs = Array.isArray(data.messages) ? data.messages : [];
      const user = msgs.filter((m) => m.role === 'user').map((m) => String(m.content)).join('\n');
      const content = JSON.stringify(answer(agent, user));
      const promptChars = msgs.reduce((n, m) => n + String(m.content).length, 0);
      const usage = { prompt_tokens: Math.ceil(promptChars / 4), completion_tokens: Math.ceil(content.length / 4) };
      usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
      stats.completions++;
      stats.promptTokens += usage.prompt_tokens;
      stats.completionTokens += usage.completion_tokens;
      stats.byAgent[agent] = (stats.byAgent[agent] || 0) + 1;
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: `chatcmpl-${stats.completions}`,
          object: 'chat.completion',
          model: data.model || 'test',
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
          usage,
        }),
      );
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/v1`,
    stats,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
