// Static server for the storefront demo: the page, the host library and module from
// dist/, and the catalog built at start-up (the sample catalog by default, or a data
// set in the common format with --data DIR): catalog.json for the page's product grid,
// and catalog.snap, its int8 catalog snapshot, which the page's worker restores instead
// of embedding every item (as `arag catalog build` would write it). Both go gzipped to
// a client that accepts it. Every response carries a strict Content-Security-Policy; the
// module needs 'wasm-unsafe-eval' to compile.
//
//   node web/demo/serve.mjs [--port 8080] [--host 127.0.0.1] [--data DIR]
//                           [--edge-origin http://127.0.0.1:8787]
// --port 0 picks a free port. The address is printed on stdout once listening.
// With PAGE_TOKEN_SECRET in the environment (the edge worker's secret), GET /page-token
// mints a page token for the page's origin, as a shop's server does: the page spends LLM
// calls through the edge worker with it.
import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import { readFileSync, existsSync, statSync, createReadStream } from 'node:fs';
import { join, resolve, basename, extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { makeCatalog } from './make-catalog.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = resolve(HERE, '..', '..');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
};

// Files of web/demo/ the page may load; nothing else of the tree is served.
const DEMO_FILES = new Set(['index.html', 'app.mjs', 'worker.mjs', 'pictures.mjs', 'money.mjs', 'shelf-channel.mjs', 'styles.css', 'icon.svg']);

/** Reads items.jsonl of a data set in the common format (one item object a line). */
export function loadDataset(dir) {
  const file = join(dir, 'items.jsonl');
  if (!existsSync(file)) throw new Error(`no items.jsonl in ${dir}`);
  const items = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    let it;
    try {
      it = JSON.parse(line);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: ${e.message}`);
    }
    if (typeof it.id !== 'string' || typeof it.title !== 'string') {
      throw new Error(`${file}:${i + 1}: an item needs string "id" and "title"`);
    }
    const out = { id: it.id, title: it.title };
    if (typeof it.text === 'string') out.text = it.text;
    if (typeof it.brand === 'string') out.brand = it.brand;
    if (Array.isArray(it.categories)) out.categories = it.categories.filter((c) => typeof c === 'string');
    if (Number.isFinite(it.price)) out.price = it.price;
    if (Number.isFinite(it.popularity)) out.popularity = it.popularity;
    items.push(out);
  }
  return { source: basename(resolve(dir)), note: `Data set read from ${basename(resolve(dir))} at start-up.`, items };
}

export function loadSampleCatalog() {
  const file = join(HERE, 'catalog.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  return makeCatalog();
}

export function contentSecurityPolicy(edgeOrigin) {
  const connect = ["'self'"];
  if (edgeOrigin) connect.push(edgeOrigin);
  return [
    "default-src 'none'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self'",
    `connect-src ${connect.join(' ')}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function normalizeOrigin(url) {
  if (!url) return '';
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`edge origin must be http(s): ${url}`);
  return u.origin;
}

/**
 * Starts the server. Resolves to { url, port, close() }.
 * @param {{port?: number, host?: string, data?: string, edgeOrigin?: string, root?: string}} opts
 */
export async function startServer(opts = {}) {
  const root = opts.root ? resolve(opts.root) : ROOT;
  const host = opts.host ?? '127.0.0.1';
  const edgeOrigin = normalizeOrigin(opts.edgeOrigin ?? 'http://127.0.0.1:8787');
  const catalog = opts.data ? loadDataset(resolve(root, opts.data)) : loadSampleCatalog();
  const catalogBody = Buffer.from(JSON.stringify(catalog));
  const distDir = join(root, 'dist');
  // The worker's catalog: built here once, the page restores it (nothing embedded there).
  const { createArag } = await import(pathToFileURL(join(distDir, 'index.mjs')).href);
  const built = (await createArag()).createCatalog({ dtype: 'int8' });
  built.add(catalog.items);
  const snapshotBody = Buffer.from(built.snapshot());
  built.free();
  const gzipped = new Map([
    [catalogBody, gzipSync(catalogBody)],
    [snapshotBody, gzipSync(snapshotBody)],
  ]);
  const configBody = Buffer.from(
    JSON.stringify({ source: catalog.source, items: catalog.items.length, edgeOrigin })
  );
  const csp = contentSecurityPolicy(edgeOrigin);
  const pageTokenSecret = opts.pageTokenSecret ?? process.env.PAGE_TOKEN_SECRET ?? '';
  const { signPageToken } = pageTokenSecret ? await import(pathToFileURL(join(distDir, 'page-token.mjs')).href) : {};

  const server = createServer((req, res) => {
    const headers = {
      'Content-Security-Policy': csp,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
      // With the opener policy, cross-origin isolation: the page and its worker may share
      // memory (the shelf's fast path, see web/demo/shelf-channel.mjs). credentialless, not
      // require-corp, so that the page can still tell whether the edge worker answers.
      'Cross-Origin-Embedder-Policy': 'credentialless',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
      'Cache-Control': 'no-cache',
    };
    const send = (status, type, body) => {
      res.writeHead(status, { ...headers, 'Content-Type': type, 'Content-Length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    // The catalog's two forms, compressed when the client takes gzip.
    const sendCatalog = (type, body) => {
      headers.Vary = 'Accept-Encoding';
      if (!/\bgzip\b/.test(req.headers['accept-encoding'] || '')) return send(200, type, body);
      headers['Content-Encoding'] = 'gzip';
      return send(200, type, gzipped.get(body));
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      headers.Allow = 'GET, HEAD';
      return send(405, 'text/plain; charset=utf-8', Buffer.from('method not allowed\n'));
    }
    let path;
    try {
      path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      return send(400, 'text/plain; charset=utf-8', Buffer.from('bad request\n'));
    }
    if (path === '/catalog.json') return sendCatalog(TYPES['.json'], catalogBody);
    if (path === '/catalog.snap') return sendCatalog('application/octet-stream', snapshotBody);
    if (path === '/config.json') return send(200, TYPES['.json'], configBody);
    if (path === '/page-token') {
      headers['Cache-Control'] = 'no-store';
      if (!pageTokenSecret) return send(404, 'text/plain; charset=utf-8', Buffer.from('no PAGE_TOKEN_SECRET: the demo server mints no page tokens\n'));
      signPageToken({ secret: pageTokenSecret, origin: `http://${req.headers.host}` }).then(
        (token) => send(200, TYPES['.json'], Buffer.from(JSON.stringify({ token }))),
        (e) => send(500, 'text/plain; charset=utf-8', Buffer.from(`page token: ${e.message}\n`))
      );
      return;
    }
    let file = null;
    if (path === '/' || path === '/index.html') file = join(HERE, 'index.html');
    else if (path === '/favicon.ico') file = join(HERE, 'icon.svg');
    else if (DEMO_FILES.has(path.slice(1))) file = join(HERE, path.slice(1));
    else if (/^\/dist\/[A-Za-z0-9_.-]+\.(mjs|wasm)$/.test(path)) file = join(distDir, path.slice(6));
    if (!file || !existsSync(file) || !statSync(file).isFile()) {
      return send(404, 'text/plain; charset=utf-8', Buffer.from('not found\n'));
    }
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    res.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': statSync(file).size });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  });

  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 8080, host, ok);
  });
  const port = server.address().port;
  const url = `http://${host}:${port}/`;
  return {
    url,
    port,
    catalog: { source: catalog.source, items: catalog.items.length },
    close: () =>
      new Promise((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = args.indexOf(name);
    return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
  };
  const port = Number(opt('--port', process.env.PORT ?? 8080));
  const data = opt('--data', '');
  try {
    if (!existsSync(join(ROOT, 'dist', 'index.mjs'))) {
      console.error('serve: dist/ is missing the host library; run `make wasm` first');
    }
    const s = await startServer({
      port,
      host: opt('--host', '127.0.0.1'),
      data: data ? resolve(data) : undefined,
      edgeOrigin: opt('--edge-origin', process.env.EDGE_ORIGIN ?? 'http://127.0.0.1:8787'),
    });
    console.log(`arag demo (${s.catalog.source} catalog, ${s.catalog.items} items): ${s.url}`);
  } catch (e) {
    console.error(`serve: ${e.message}`);
    process.exit(1);
  }
}
