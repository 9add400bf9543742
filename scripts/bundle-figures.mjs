#!/usr/bin/env node
// What the host library weighs in an app's bundle, by what the app imports (make
// bundle-figures): esbuild bundles a one-line entry that imports from 'arag' (this
// package's dist/, as an installed copy resolves it: package.json's exports and
// "sideEffects": false), minified for the browser; the bytes and their gzip size go to
// docs/figures/bundle-size.json (docs/install.md). The wasm files are never part of a
// bundle: they are fetched beside it.
//   node scripts/bundle-figures.mjs [--json FILE]
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const args = process.argv.slice(2);
let out = join(ROOT, 'docs', 'figures', 'bundle-size.json');
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--json') out = resolve(args[++i]);
  else {
    console.error(`bundle-figures: unknown argument ${args[i]} (usage: node scripts/bundle-figures.mjs [--json FILE])`);
    process.exit(2);
  }
}
if (!existsSync(join(ROOT, 'dist', 'index.mjs'))) {
  console.error('bundle-figures: dist/index.mjs is missing: make wasm');
  process.exit(2);
}

// What an app imports, and the entry that imports it.
const ENTRIES = [
  { imports: 'openAIChat', entry: "import { openAIChat } from 'arag';\nexport const llm = openAIChat({ baseURL: '/v1', model: 'm' });\n" },
  { imports: 'createRecommender', entry: "import { createRecommender } from 'arag';\nexport const rec = () => createRecommender();\n" },
  { imports: 'everything', entry: "export * from 'arag';\n" },
];

const esbuildVersion = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'esbuild', 'package.json'), 'utf8')).version;
const bundles = [];
for (const { imports, entry } of ENTRIES) {
  const r = await build({
    stdin: { contents: entry, resolveDir: ROOT, loader: 'js' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    minify: true,
    write: false,
    metafile: true,
    alias: { arag: ROOT },
    logLevel: 'error',
  });
  const bytes = r.outputFiles[0].contents;
  const [output] = Object.values(r.metafile.outputs);
  const modules = Object.entries(output.inputs)
    .filter(([f, v]) => f !== '<stdin>' && v.bytesInOutput > 0)
    .map(([f]) => f)
    .sort();
  bundles.push({ imports, bytes: bytes.length, gzip_bytes: gzipSync(bytes, { level: 9 }).length, modules, emscripten_glue: modules.includes('dist/arag.mjs') });
  console.log(`bundle-figures: ${imports}: ${bytes.length} bytes, ${bundles.at(-1).gzip_bytes} gzipped`);
}
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ what: "an entry importing from 'arag' (dist/), bundled; the wasm files are not part of it", tool: `esbuild ${esbuildVersion}`, options: '--bundle --minify --format=esm --platform=browser', bundles }, null, 1)}\n`,
);
