// An upstream for the edge worker's proxy, on 127.0.0.1: records what reaches it and
// answers by the mode named in the last message ("mode:<name>"):
//   echo (default)  a completion whose content is "ok", with usage
//   reflect         401 with the Authorization header it got in the message (as OpenAI does)
//   reflect200      200 with the Authorization header in the completion's content
//   error200        200 carrying {"error": ...} and no choices
//   status:<n>      HTTP n with an error body that quotes the key
//   stream          text/event-stream: three content chunks, usage, [DONE]
//   streambig       an endless stream (until the client goes away)
//   slow:<ms>       the echo answer after ms
import { createServer } from 'node:http';

export async function startProxyUpstream() {
  const seen = [];
  const sockets = new Set();
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (d) => (text += d));
    req.on('end', async () => {
      let body = null;
      try {
        body = JSON.parse(text);
      } catch {
        /* recorded as null */
      }
      const auth = req.headers.authorization || '';
      seen.push({ url: req.url, auth, origin: req.headers.origin, body, bytes: text.length });
      const msgs = (body && body.messages) || [];
      const last = msgs.length ? msgs[msgs.length - 1].content : '';
      const lastText = typeof last === 'string' ? last : Array.isArray(last) ? last.map((p) => p.text).join('') : '';
      const mode = (/mode:([a-z0-9:]+)/.exec(lastText) || [])[1] || 'echo';
      const completion = (content) => ({
        id: 'chatcmpl-up', object: 'chat.completion', created: 1, model: body && body.model,
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
      });
      const send = (status, obj, headers = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(obj));
      };
      if (mode === 'reflect') return send(401, { error: { message: `Incorrect API key provided: ${auth}. You can find your API key at ...`, type: 'invalid_request_error', code: 'invalid_api_key' } });
      if (mode === 'reflect200') return send(200, completion(`your header was ${auth}`));
      if (mode === 'error200') return send(200, { error: { message: `internal: ${auth}`, type: 'server_error' } });
      if (mode.startsWith('status:')) return send(Number(mode.slice(7)), { error: { message: `failed for key ${auth}` } }, { 'retry-after': '7' });
      if (mode.startsWith('slow:')) await new Promise((r) => setTimeout(r, Number(mode.slice(5))));
      if (mode === 'stream' || mode === 'streambig') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const chunk = (delta, finish = null) =>
          `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
        res.write(chunk({ role: 'assistant', content: '' }));
        if (mode === 'streambig') {
          const t = setInterval(() => res.write(chunk({ content: 'x'.repeat(4000) })), 1);
          res.on('close', () => clearInterval(t));
          return;
        }
        for (const w of ['Hello', ' from', ` ${auth}`]) res.write(chunk({ content: w }));
        res.write(chunk({}, 'stop'));
        if (body.stream_options && body.stream_options.include_usage) {
          res.write(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: body.model, choices: [], usage: { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 } })}\n\n`);
        }
        res.end('data: [DONE]\n\n');
        return;
      }
      return send(200, completion('ok'));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    baseURL: `${url}/v1`,
    seen,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
