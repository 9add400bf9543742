// arag catalog build: a catalog snapshot from items.jsonl, built once (embedding every
// item) and shipped as bytes that a page, a worker or Node restores without embedding
// anything again (createRecommender({ catalogSnapshot })).
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError, int, kindOf, packageRoot, parseOptions, version, writeOut } from '../cli.mjs';

export const summary = 'build a catalog snapshot from items.jsonl (for catalogSnapshot)';

export const help = `usage: arag catalog build --data DIR|ITEMS.jsonl --out FILE [--vectorize DIR] [options]

Reads the items (one JSON object a line: id, title and the optional fields of the data
format), embeds each with the built-in embedder (or takes its "vector"), and writes the
catalog snapshot: versioned, checksummed bytes with every item's metadata, its vector and
the word counts of the offline reasoner. A recommender created from them
(createRecommender({ catalogSnapshot })) recommends exactly as one built from the items.
A bad line stops the build with its line number; nothing is written then. An id that
comes again replaces the earlier line's item.

options:
  --data DIR|FILE       a folder holding items.jsonl, or the items file itself (required)
  --out FILE            the snapshot to write (required)
  --dtype TYPE          f32 (default) or int8: dim + 4 bytes per vector instead of 4 * dim
  --dim N               vector dimension (default 512, the built-in embedder's; items with
                        a "vector" must have this many numbers)
  --batch N             items handed to the module at a time (default 2000)
  --vectorize DIR       also write the vectors and items in Cloudflare Vectorize's upload
                        format: DIR/vectors-0001.ndjson, ... ({"id", "values", "metadata"}
                        a line, 5,000 lines a file) for \`wrangler vectorize insert\`, for a
                        catalog past one worker isolate (ids of at most 64 bytes; an item's
                        text is cut to keep its metadata within 10 KiB)
  --dist DIR            built module folder (default: the package's dist/)
  --kind NAME           emscripten (default) | wasi
  --quiet               no progress bar
`;

const DTYPES = ['f32', 'int8'];

function itemsFile(data) {
  let st;
  try {
    st = statSync(data);
  } catch {
    throw new UsageError(`--data: ${data} does not exist`);
  }
  const file = st.isDirectory() ? join(data, 'items.jsonl') : data;
  try {
    statSync(file);
  } catch {
    throw new UsageError(`--data: no items.jsonl in ${data}`);
  }
  return file;
}

// Line starts of the text: the batches are cut at line ends, and an error's line number
// within a batch maps back to the file's.
function lineStarts(buf) {
  const starts = [0];
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) if (i + 1 < buf.length) starts.push(i + 1);
  return starts;
}

const fmtBytes = (n) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : `${(n / 1024).toFixed(1)} KB`);

async function build(argv) {
  const args = parseOptions(
    argv,
    {
      data: { type: 'string' },
      out: { type: 'string' },
      dtype: { type: 'string' },
      dim: { type: 'string' },
      batch: { type: 'string' },
      dist: { type: 'string' },
      kind: { type: 'string' },
      quiet: { type: 'boolean' },
      vectorize: { type: 'string' },
    },
    help
  );
  if (!args) return 0;
  if (!args.data) throw new UsageError('--data DIR|ITEMS.jsonl is required');
  if (!args.out) throw new UsageError('--out FILE is required');
  const dtype = args.dtype ?? 'f32';
  if (!DTYPES.includes(dtype)) throw new UsageError(`--dtype: expected f32 or int8, got "${dtype}"`);
  const dim = int('dim', args.dim, 1) ?? 512;
  const batch = int('batch', args.batch, 1) ?? 2000;
  const kind = kindOf(args);
  const file = itemsFile(args.data);

  const dist = args.dist || join(packageRoot, 'dist');
  const { createArag, AragError } = await import(pathToFileURL(join(dist, 'index.mjs')).href);
  const { Progress } = await import('../../src/eval/run.mjs');
  const t0 = performance.now();
  const arag = await createArag({ kind });
  const catalog = arag.createCatalog({ dim, dtype });
  const buf = readFileSync(file);
  const starts = lineStarts(buf);
  const lines = starts.length;
  const progress = args.quiet ? null : new Progress(lines, { stream: process.stderr, label: 'items' });
  let seen = 0;
  for (let first = 0; first < lines; first += batch) {
    const last = Math.min(lines, first + batch);
    const text = buf.toString('utf8', starts[first], last < lines ? starts[last] : buf.length);
    try {
      if (text.trim()) catalog.add(text);
    } catch (e) {
      if (progress) progress.stream.write('\n');
      if (!(e instanceof AragError)) throw e;
      const m = /^(?:ARAG_E_\w+: )?line (\d+): (.*)$/s.exec(e.message);
      const where = m ? `${file}:${first + Number(m[1])}` : file;
      throw new Error(`${where}: ${m ? m[2] : e.message} (nothing written)`);
    }
    seen += text.split('\n').filter((l) => l.trim()).length;
    if (progress) for (let i = first; i < last; i++) progress.tick();
  }
  if (progress && progress.tty) progress.stream.write('\n');
  const vectorize = args.vectorize ? writeVectorize(args.vectorize, catalog, idsOf(buf), dim) : null;
  const bytes = catalog.snapshot();
  // Written beside the target, then renamed: a reader never sees half a snapshot.
  const tmp = `${args.out}.${process.pid}.tmp`;
  try {
    writeOut(tmp, bytes);
    renameSync(tmp, args.out);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  const secs = (performance.now() - t0) / 1000;
  const repeated = seen - catalog.count;
  process.stdout.write(
    `${args.out}: ${catalog.count} items (${dtype}, ${dim} dimensions), ${fmtBytes(bytes.length)} in ${secs.toFixed(1)} s` +
      (repeated > 0 ? `; ${repeated} repeated ids, the last line of each kept` : '') +
      '\n'
  );
  if (vectorize) {
    process.stdout.write(
      `${args.vectorize}: ${vectorize.vectors} vectors in ${vectorize.files.length} file(s)` +
        (vectorize.cut ? `, the text of ${vectorize.cut} items cut to fit Vectorize's 10 KiB of metadata` : '') +
        `; upload with\n  npx wrangler vectorize create INDEX --dimensions=${dim} --metric=cosine\n` +
        vectorize.files.map((f) => `  npx wrangler vectorize insert INDEX --file=${join(args.vectorize, f)}\n`).join('')
    );
  }
  catalog.free();
  return 0;
}

// Cloudflare Vectorize's limits (its documentation): ids of at most 64 bytes, 10 KiB of
// metadata a vector, metadata keys without '.', '"' or a leading '$', at most 5,000
// vectors a file for the API's rate limit (and 100 MB an upload).
const VECTORIZE_ID_BYTES = 64;
const VECTORIZE_METADATA_BYTES = 10240;
const VECTORIZE_PER_FILE = 5000;
const utf8 = (s) => Buffer.byteLength(s, 'utf8');

/** The ids of the items file, in order, each once (a repeated id where it first came). */
function idsOf(buf) {
  const ids = new Map();
  for (const line of buf.toString('utf8').split('\n')) {
    if (!line.trim()) continue;
    const id = JSON.parse(line).id; // the catalog accepted every line: each is an object with an id
    ids.set(String(id), true);
  }
  return [...ids.keys()];
}

/** An item as Vectorize metadata: its fields (related as JSON text: its keys are ids),
 * the text cut until the whole fits. Returns [metadata, cut]. */
function metadataOf(item) {
  const { id, ...m } = item;
  if (m.related && typeof m.related === 'object') m.related = JSON.stringify(m.related);
  let cut = false;
  while (utf8(JSON.stringify(m)) > VECTORIZE_METADATA_BYTES) {
    const over = utf8(JSON.stringify(m)) - VECTORIZE_METADATA_BYTES;
    if (typeof m.text === 'string' && m.text.length > 0) m.text = m.text.slice(0, Math.max(0, m.text.length - over - 16));
    else if (m.related !== undefined) delete m.related;
    else if (typeof m.title === 'string') m.title = m.title.slice(0, 200);
    else break;
    cut = true;
  }
  return [m, cut];
}

function writeVectorize(dir, catalog, ids, dim) {
  const long = ids.find((id) => utf8(id) > VECTORIZE_ID_BYTES);
  if (long !== undefined) {
    throw new UsageError(`--vectorize: the id "${long.slice(0, 80)}" is ${utf8(long)} bytes; Vectorize takes ids of at most ${VECTORIZE_ID_BYTES} bytes (nothing written)`);
  }
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) if (/^vectors-\d+\.ndjson$/.test(f)) rmSync(join(dir, f));
  const files = [];
  let cut = 0;
  for (let first = 0; first < ids.length; first += VECTORIZE_PER_FILE) {
    const lines = [];
    for (const id of ids.slice(first, first + VECTORIZE_PER_FILE)) {
      const values = catalog.index.get(id);
      const [metadata, wasCut] = metadataOf(catalog.get(id));
      if (wasCut) cut++;
      if (values.length !== dim) throw new Error(`item ${id}: ${values.length} values, expected ${dim}`);
      lines.push(JSON.stringify({ id, values: Array.from(values), metadata }));
    }
    const name = `vectors-${String(files.length + 1).padStart(4, '0')}.ndjson`;
    const tmp = join(dir, `${name}.${process.pid}.tmp`);
    writeOut(tmp, `${lines.join('\n')}\n`);
    renameSync(tmp, join(dir, name));
    files.push(name);
  }
  return { files, vectors: ids.length, cut };
}

export async function run(argv) {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(help);
    return sub === undefined ? 2 : 0;
  }
  if (sub === '--version' || sub === '-V') {
    process.stdout.write(`arag ${version}\n`);
    return 0;
  }
  if (sub !== 'build') throw new UsageError(`unknown subcommand "${sub}" (try: arag catalog build --help)`);
  return build(rest);
}
