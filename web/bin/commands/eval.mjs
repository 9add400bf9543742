// arag eval: the evaluation protocol over one data set, every method side by side.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError, dataDir, int, jsonObject, kindOf, packageRoot, parseOptions, writeOut } from '../cli.mjs';

export const summary = 'evaluate methods on a data set (NDCG/Hit/MRR with bootstrap intervals)';

export const help = `usage: arag eval [options]

Runs the evaluation protocol (leave-last-out, 49 sampled negatives + target) and reports
NDCG@5, Hit@5, NDCG@10, Hit@10 and MRR per method with 95% bootstrap intervals, and the
gain over the best of recency and rag with a paired bootstrap interval.

  --data DIR            folder with items.jsonl and interactions.jsonl
                        (default: $ARAG_DATA_ROOT/amazon-beauty)
  --methods LIST        comma-separated: recency, rag, popularity, arag, arag-no-nli,
                        arag-no-csa, arag-no-uua, arag-no-shift, arag-storefront
                        (default: recency,rag,arag)
  --backend NAME        offline (built-in reasoner, default) | openai
  --base-url URL        OpenAI-compatible endpoint (openai backend; key from OPENAI_API_KEY)
  --model NAME          chat model (openai backend)
  --timeout-ms MS       per-request timeout of the LLM adapter (default 30000)
  --retries N           retries on 429/5xx/network errors (default 3)
  --llm-concurrency N   requests in flight to the endpoint, over all users (default 6)
  --split NAME          test (default): hold out each user's last interaction; valid: the
                        one before it, the last dropped as if not yet made. Tune weights on
                        valid, report on test
  --negatives N         sampled negatives per user (default 49)
  --seed S              sampling and bootstrap seed (default 1)
  --users N             evaluate only the first N eligible users (default: all)
  --concurrency C       users in flight (default 1 offline, 4 openai)
  --resamples B         bootstrap resamples (default 1000)
  --config JSON         extra engine config, e.g. '{"theta":0.6}' (the LLM backends run with
                        no deadline unless it sets deadline_ms)
  --record FILE         keep every LLM request and answer in FILE (JSON lines, keyed by the
                        request's SHA-256; no key or header is written)
  --replay FILE         answer every LLM request from a recording, without a network: the
                        recorded run's result, byte for byte (exit 3 when a request is missing)
  --json FILE           write the result JSON
  --md FILE             write the Markdown table
  --svg FILE            write the SVG chart of NDCG@5 and Hit@5
  --ranks FILE          write each user's target rank per method (JSON lines)
  --checkpoint FILE     progress file (default: <json>.checkpoint.jsonl); a rerun of the same
                        command resumes from it; removed after a complete run
  --no-checkpoint       do not write a checkpoint
  --timing              report wall time per user also for the offline backend (and with
                        --record / --replay, which leave it out so that the two compare)
  --dist DIR            built module folder (default: the package's dist/)
  --kind NAME           emscripten (default) | wasi
  --quiet               no progress bar
`;

export async function run(argv) {
  const args = parseOptions(
    argv,
    {
      data: { type: 'string' },
      methods: { type: 'string' },
      backend: { type: 'string' },
      'base-url': { type: 'string' },
      model: { type: 'string' },
      'timeout-ms': { type: 'string' },
      retries: { type: 'string' },
      'llm-concurrency': { type: 'string' },
      split: { type: 'string' },
      negatives: { type: 'string' },
      seed: { type: 'string' },
      users: { type: 'string' },
      concurrency: { type: 'string' },
      resamples: { type: 'string' },
      config: { type: 'string' },
      record: { type: 'string' },
      replay: { type: 'string' },
      json: { type: 'string' },
      md: { type: 'string' },
      svg: { type: 'string' },
      ranks: { type: 'string' },
      checkpoint: { type: 'string' },
      'no-checkpoint': { type: 'boolean' },
      timing: { type: 'boolean' },
      dist: { type: 'string' },
      kind: { type: 'string' },
      quiet: { type: 'boolean' },
    },
    help,
  );
  if (!args) return 0;
  const { evaluate, parseMethods, toJSON, toMarkdown, toSVG, SPLITS } = await import('../../src/eval/index.mjs');

  if (args.record && args.replay) throw new UsageError('--record and --replay: one or the other');
  let replay = null;
  if (args.replay) {
    if (args['base-url']) throw new UsageError('--replay answers from the recording: no --base-url');
    try {
      replay = readFileSync(args.replay, 'utf8');
    } catch (e) {
      throw new UsageError(`--replay: cannot read ${args.replay}: ${e.code || e.message}`);
    }
  }
  let recorded = null; // the recording's header line
  if (replay !== null) {
    try {
      recorded = JSON.parse(replay.slice(0, replay.indexOf('\n') + 1 || undefined));
    } catch {
      recorded = null;
    }
    if (!recorded || recorded.arag_recording === undefined) throw new UsageError(`--replay: ${args.replay} is not a recording (no header line)`);
  }
  // A replay is the recorded run: the same backend and model in the result.
  const backend = args.backend || (recorded ? 'openai' : 'offline');
  if (!['offline', 'openai'].includes(backend)) throw new UsageError(`--backend: expected offline or openai, got "${backend}"`);
  if (replay !== null && backend !== 'openai') throw new UsageError('--replay stands in for --backend openai');
  if (backend === 'openai' && !replay && (!args['base-url'] || !args.model)) {
    throw new UsageError('--backend openai needs --base-url URL and --model NAME (API key from OPENAI_API_KEY)');
  }
  if (args.record && backend !== 'openai') throw new UsageError('--record records LLM calls: it needs --backend openai');
  const llmOptions = {};
  if (args['timeout-ms'] !== undefined) llmOptions.timeoutMs = int('timeout-ms', args['timeout-ms'], 1);
  if (args.retries !== undefined) llmOptions.retries = int('retries', args.retries, 0);
  if (args['llm-concurrency'] !== undefined) llmOptions.concurrency = int('llm-concurrency', args['llm-concurrency'], 1);
  if (backend === 'offline' && (args['base-url'] || args.model || Object.keys(llmOptions).length)) {
    throw new UsageError('--base-url, --model, --timeout-ms, --retries and --llm-concurrency apply to --backend openai only');
  }
  const kind = kindOf(args);
  let methods;
  try {
    methods = parseMethods(args.methods || 'recency,rag,arag');
  } catch (e) {
    throw new UsageError(e.message);
  }
  const config = args.config === undefined ? {} : jsonObject('config', args.config);
  const split = args.split || 'test';
  if (!Object.hasOwn(SPLITS, split)) throw new UsageError(`--split: expected ${Object.keys(SPLITS).join(' or ')}, got "${split}"`);
  const negatives = int('negatives', args.negatives, 1) ?? 49;
  const seed = int('seed', args.seed, 0) ?? 1;
  const users = int('users', args.users, 1) ?? 0;
  const concurrency = int('concurrency', args.concurrency, 1) ?? (backend === 'offline' ? 1 : 4);
  const resamples = int('resamples', args.resamples, 10) ?? 1000;
  const data = dataDir(args);
  if (!args.json && !args.md && !args.svg) {
    process.stderr.write('arag eval: no --json/--md/--svg given; the table goes to stdout only\n');
  }
  const checkpoint = args['no-checkpoint'] ? null : args.checkpoint || (args.json ? `${args.json}.checkpoint.jsonl` : null);
  // Ctrl-C: finished users are already in the checkpoint (appended one by one).
  const onSigint = () => {
    process.stderr.write(
      checkpoint
        ? `\narag eval: interrupted; finished users are in ${checkpoint}: run the same command again to resume\n`
        : '\narag eval: interrupted (no checkpoint)\n',
    );
    process.exit(130);
  };
  process.once('SIGINT', onSigint);
  // The recording starts anew, unless this run resumes from a checkpoint (then the calls
  // of the users left are added to it).
  let record = null;
  if (args.record) {
    const resuming = checkpoint && existsSync(checkpoint) && existsSync(args.record);
    if (!resuming) writeOut(args.record, `${JSON.stringify({ arag_recording: 1, model: args.model })}\n`);
    record = (entry) => appendFileSync(args.record, `${JSON.stringify(entry)}\n`);
  }
  try {
    const { result, records, failures, replayMisses } = await evaluate({
      data,
      split,
      dist: args.dist || join(packageRoot, 'dist'),
      kind,
      backend,
      baseURL: args['base-url'] || null,
      model: args.model || (recorded && recorded.model) || null,
      apiKey: process.env.OPENAI_API_KEY,
      record,
      replay,
      llmOptions,
      config,
      negatives,
      seed,
      users,
      methods,
      concurrency,
      resamples,
      checkpoint,
      timing: Boolean(args.timing) || (backend !== 'offline' && !args.record && !replay),
      progress: args.quiet ? null : process.stderr,
    });
    if (args.json) writeOut(args.json, toJSON(result));
    if (args.md) writeOut(args.md, toMarkdown(result));
    if (args.svg) writeOut(args.svg, toSVG(result));
    if (args.ranks) {
      writeOut(args.ranks, records.map((r) => JSON.stringify({ user: r.user, target: r.target, ranks: r.ranks })).join('\n') + '\n');
    }
    process.stdout.write(toMarkdown(result));
    if (replayMisses) {
      process.stderr.write(`arag eval: ${replayMisses} requests were not in ${args.replay} (answered offline): not the recorded run\n`);
      return 3;
    }
    if (failures.length) {
      process.stderr.write(`arag eval: ${failures.length} users failed (counted as misses); first: ${failures[0].user}: ${failures[0].error}\n`);
      if (checkpoint) process.stderr.write(`arag eval: rerun the same command to retry them (checkpoint ${checkpoint})\n`);
      return 3;
    }
    return 0;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

