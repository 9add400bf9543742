// arag check-reasons: every claim of every recommended item checked against the data.
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError, dataDir, int, jsonObject, kindOf, packageRoot, parseOptions, writeOut } from '../cli.mjs';

export const summary = 'check every claim of every recommended item against the catalog and history';

export const help = `usage: arag check-reasons [options]

Recommends k items from the whole catalog for every user of a data set (history: all of the
user's interactions but the last) and checks every claim of every item against the catalog
and the history, reading the data itself: the evidence each item carries (brand, category
path, shared words, bought together, repeat purchase, price range, popularity), or for a
module whose items carry none, the claims of its reason text. Also measures each shelf: the
share of places taken by a variant of an item shown above it or bought in the session, and
the largest share of one brand. The catalog carries "popularity", "related" and
"repeat_purchase" from the histories, as arag eval gives them. With an LLM ranking
(--base-url and --model, or --replay), the evidence its citations marked is checked too:
every entry marked cited rests on a citation of the model that holds, and the reason a
shopper reads says cited entries only. Exit status 3 when a claim is false or a citation
check fails.

  --data DIR            folder with items.jsonl and interactions.jsonl
                        (default: $ARAG_DATA_ROOT/amazon-beauty)
  --k N                 items per recommendation (default 6, a storefront shelf)
  --config JSON         engine config, e.g. '{"top_k":30}'
  --users N             only the first N users (default: all)
  --examples N          false claims kept per kind in the JSON (default 5)
  --base-url URL        an OpenAI-compatible endpoint ranks (key from OPENAI_API_KEY)
  --model NAME          its chat model
  --record FILE         keep every LLM request and answer in FILE (JSON lines)
  --replay FILE         answer every LLM request from a recording, without a network
                        (exit 3 when a request is missing)
  --json FILE           write the report as JSON
  --dist DIR            built module folder (default: the package's dist/)
  --kind NAME           emscripten (default) | wasi
  --quiet               no progress on stderr
`;

export async function run(argv) {
  const args = parseOptions(
    argv,
    {
      data: { type: 'string' },
      k: { type: 'string' },
      config: { type: 'string' },
      users: { type: 'string' },
      examples: { type: 'string' },
      'base-url': { type: 'string' },
      model: { type: 'string' },
      record: { type: 'string' },
      replay: { type: 'string' },
      json: { type: 'string' },
      dist: { type: 'string' },
      kind: { type: 'string' },
      quiet: { type: 'boolean' },
    },
    help,
  );
  if (!args) return 0;
  const kind = kindOf(args);
  const config = args.config === undefined ? {} : jsonObject('config', args.config);
  if (args.record && args.replay) throw new UsageError('--record and --replay: one or the other');
  if (args.replay && args['base-url']) throw new UsageError('--replay answers from the recording: no --base-url');
  if (Boolean(args['base-url']) !== Boolean(args.model)) throw new UsageError('an LLM ranker needs --base-url URL and --model NAME');
  if (args.record && !args['base-url']) throw new UsageError('--record records LLM calls: it needs --base-url and --model');
  const dist = args.dist || join(packageRoot, 'dist');
  // The adapters of the module the check runs.
  const lib = await import(pathToFileURL(join(dist, 'index.mjs')).href);
  let llm = null;
  if (args.replay) {
    let text;
    try {
      text = readFileSync(args.replay, 'utf8');
    } catch (e) {
      throw new UsageError(`--replay: cannot read ${args.replay}: ${e.code || e.message}`);
    }
    try {
      llm = lib.fromRecording(text);
    } catch (e) {
      throw new UsageError(`--replay: ${args.replay}: ${e.message}`);
    }
  } else if (args['base-url']) {
    llm = lib.openAIChat({ baseURL: args['base-url'], model: args.model, apiKey: process.env.OPENAI_API_KEY });
    if (args.record) {
      writeOut(args.record, `${JSON.stringify({ arag_recording: 1, model: args.model })}\n`);
      llm = lib.recordTo(llm, { onEntry: (e) => appendFileSync(args.record, `${JSON.stringify(e)}\n`), model: args.model });
    }
  }
  const { checkReasons } = await import('../../src/eval/check-reasons.mjs');
  const r = await checkReasons({
    data: dataDir(args),
    dist,
    kind,
    config,
    k: int('k', args.k, 1) ?? 6,
    users: int('users', args.users, 1) ?? 0,
    examples: int('examples', args.examples, 0) ?? 5,
    progress: args.quiet ? null : process.stderr,
    llm,
  });
  if (args.json) writeOut(args.json, `${JSON.stringify(r, null, 2)}\n`);
  const pct = (x) => `${(100 * x).toFixed(2)}%`;
  const lines = [
    `${r.dataset}: ${r.users} users, ${r.items} items (k ${r.k}), ${r.claims} claims, ${r.false_claims} false (${pct(r.false_claim_share)})`,
    ...Object.entries(r.by_kind).map(([k, v]) => `  ${k.padEnd(16)} ${String(v.claims).padStart(7)} claims, ${v.false} false`),
    `  items without a claim: ${r.items_without_claims}; reasons that differ from their evidence's sentences: ${r.reasons_unlike_evidence}`,
    `shelf: variant duplicates ${pct(r.shelf.variant_duplicate_share)} of places, largest brand ${pct(r.shelf.largest_brand_share)} of a shelf (over half on ${pct(r.shelf.shelves_over_half_one_brand)} of shelves)`,
  ];
  const c = r.citations;
  if (c) {
    lines.push(
      `citations of the LLM ranker: ${c.citations} on ${c.items} items, ${c.held} held (${c.cited_items} items cited evidence), ${c.dropped} dropped; entries marked cited without a citation that holds: ${c.unbacked}, citations that hold left unmarked: ${c.missed}, reason sentences beyond the cited entries: ${c.reasons_beyond_citations}`,
    );
  }
  for (const e of r.examples.slice(0, 10)) {
    lines.push(e.claim ? `  false: ${e.user} ${e.item} ${e.claim.kind}: ${e.why}` : `  citations: ${e.user} ${e.item}: ${JSON.stringify(e.citations)}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  const citeFail = c && (c.unbacked || c.missed || c.reasons_beyond_citations);
  const misses = args.replay && llm.stats ? llm.stats.misses : 0;
  if (misses) process.stderr.write(`arag check-reasons: ${misses} requests were not in ${args.replay} (answered offline): not the recorded run\n`);
  return r.false_claims || citeFail || misses ? 3 : 0;
}
