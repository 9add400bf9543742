// A static file server on 127.0.0.1 for the browser suites: serves chosen folders of
// the repository (e.g. /dist/ and /wasm-tests/pages/) with the right MIME types (.wasm
// must be application/wasm for streaming compilation, .mjs text/javascript) and CORS.
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';

export const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * @param {string} root directory the URL paths are relative to
 * @param {string[]} allow URL path prefixes that may be served (e.g. ['/dist/', '/wasm-tests/pages/'])
 */
export async function startStaticServer(root, allow, { host = '127.0.0.1', port = 0 } = {}) {
  const base = resolve(root);
  const requests = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    requests.push(path);
    const headers = { 'access-control-allow-origin': '*', 'cache-control': 'no-store' };
    if (!allow.some((p) => path.startsWith(p))) {
      res.writeHead(404, headers);
      res.end('not found');
      return;
    }
    const file = normalize(join(base, path));
    if (!file.startsWith(base + sep)) {
      res.writeHead(403, headers);
      res.end('forbidden');
      return;
    }
    let st;
    try {
      st = statSync(file);
    } catch {
      st = null;
    }
    if (!st || !st.isFile()) {
      res.writeHead(404, headers);
      res.end('not found');
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': MIME[extname(file)] || 'application/octet-stream', 'content-length': st.size });
    createReadStream(file).pipe(res);
  });
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((r) => server.listen(port, host, r));
  return {
    url: `http://${host}:${server.address().port}`,
    requests,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
