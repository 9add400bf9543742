// An OpenAI-compatible chat completions server on 127.0.0.1 for the edge worker and demo
// suites. It answers each ARAG agent in its schema: the agent comes from
// response_format.json_schema.name, the candidate ids from the prompt's data section.
// The ranker returns the candidates in reverse order with "LLM reason N", so a test can
// tell that the model's answer was used. Every request is recorded (agent, auth, model).
import { createServer } from 'node:http';

export function candidateIds(content) {
  const start = content.indexOf('<<<DATA');
  const end = content.indexOf('DATA>>>');
  if (start < 0 || end < 0) return [];
  const lines = content.slice(start, end).split('\n');
  const at = lines.findIndex((l) => /^(candidates|accepted): \d+ items/.test(l));
  if (at < 0) return [];
  return lines
    .slice(at + 1)
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l).id);
}

export function answerFor(agent, ids) {
  if (agent === 'uua') return { summary: 'LLM: likes hair and skin care', interests: ['hair care'] };
  if (agent === 'csa') return { summary: 'LLM: accepted items are care products' };
  if (agent === 'nli') {
    return {
      items: ids.map((id, i) => ({
        id,
        score: i % 2 ? 0.3 : 0.8,
        label: i % 2 ? 'neutral' : 'supports',
        rationale: 'LLM verdict',
      })),
    };
  }
  if (agent === 'ira') {
    return { ranking: ids.slice().reverse().map((id, i) => ({ id, reason: `LLM reason ${i + 1}`, score: 1 - i / 100 })) };
  }
  return {};
}

/**
 * Starts the server; resolves to { url (the /v1 base), seen, failAgents, close() }.
 * Agents added to failAgents (a Set) get HTTP 400 (not retried by the adapters).
 */
export function startAgentChatServer({ delayMs = 0 } = {}) {
  const seen = [];
  const failAgents = new Set();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      let r;
      try {
        r = JSON.parse(body);
      } catch {
        res.writeHead(400, { 'Content-Type': 'application/json' });
        res.end('{"error":{"message":"malformed JSON"}}');
        return;
      }
      const agent = r.response_format && r.response_format.json_schema ? r.response_format.json_schema.name : 'unknown';
      seen.push({ agent, auth: req.headers.authorization, model: r.model, url: req.url });
      if (failAgents.has(agent)) {
        res.writeHead(400, { 'Content-Type': 'application/json' });
        res.end('{"error":{"message":"this test server refuses the agent"}}');
        return;
      }
      const user = (r.messages || []).filter((m) => m.role === 'user').map((m) => m.content).join('\n');
      const content = JSON.stringify(answerFor(agent, candidateIds(user)));
      setTimeout(() => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 'chatcmpl-test',
            object: 'chat.completion',
            created: 0,
            model: r.model,
            choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
            usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
          })
        );
      }, delayMs);
    });
  });
  return new Promise((ok) =>
    server.listen(0, '127.0.0.1', () =>
      ok({
        seen,
        failAgents,
        url: `http://127.0.0.1:${server.address().port}/v1`,
        close: () => new Promise((c) => server.close(() => c())),
      })
    )
  );
}
