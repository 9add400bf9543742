#!/usr/bin/env node
// arag command-line tool. Subcommands live in one table; `arag help` lists them.
import { parseArgs } from 'node:util';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

class UsageError extends Error {}

const EVAL_HELP = `usage: arag eval [options]

Runs the evaluation protocol (leave-last-out, 49 sampled negatives + target) and reports
NDCG@5, Hit@5, NDCG@10, Hit@10 and MRR per method with 95% bootstrap intervals, and the
gain over the best of recency and rag with a paired bootstrap interval.

  --data DIR            folder with items.jsonl and interactions.jsonl
                        (default: ../shared/data/amazon-beauty relative to the repository)
  --methods LIST        comma-separated: recency, rag, popularity, arag, arag-no-nli,
                        arag-no-csa, arag-no-uua (default: recency,rag,arag)
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
  --config JSON         extra engine config, e.g. '{"theta":0.6}'
  --json FILE           write the result JSON
  --md FILE             write the Markdown table
  --svg FILE            write the SVG chart of NDCG@5 and Hit@5
  --ranks FILE          write each user's target rank per method (JSON lines)
  --checkpoint FILE     progress file (default: <json>.checkpoint.jsonl); a rerun of the same
                        command resumes from it; removed after a complete run
  --no-checkpoint       do not write a checkpoint
  --timing              report wall time per user also for the offline backend
  --dist DIR            built module folder (default: dist/ of the repository)
  --kind NAME           emscripten (default) | wasi
  --quiet               no progress bar
`;

// A subcommand's options (plus -h/--help); null when the help was asked for and written.
function parseOptions(argv, options, help) {
  let args;
  try {
    args = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { ...options, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (e) {
    throw new UsageError(e.message);
  }
  if (args.help) {
    process.stdout.write(help);
    return null;
  }
  return args;
}

function kindOf(args) {
  const kind = args.kind || 'emscripten';
  if (!['emscripten', 'wasi'].includes(kind)) throw new UsageError(`--kind: expected emscripten or wasi, got "${kind}"`);
  return kind;
}

function writeOut(file, text) {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileSync(file, text);
}

function jsonObject(name, text) {
  let v;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--${name}: not JSON (${e.message})`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new UsageError(`--${name}: expected a JSON object`);
  return v;
}

function int(name, v, min) {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`--${name}: expected an integer >= ${min}, got "${v}"`);
  return Number(v);
}

// A number in [lo, hi) (or (lo, hi) when open).
function num(name, v, lo, hi, { open = false } = {}) {
  if (v === undefined) return undefined;
  const x = Number(v);
  const inside = (open ? x > lo : x >= lo) && x < hi;
  if (v.trim() === '' || !Number.isFinite(x) || !inside) throw new UsageError(`--${name}: expected a number in ${open ? '(' : '['}${lo}, ${hi}), got "${v}"`);
  return x;
}

async function cmdEval(argv) {
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
    EVAL_HELP,
  );
  if (!args) return 0;
  const { evaluate, parseMethods, toJSON, toMarkdown, toSVG, SPLITS } = await import('../src/eval/index.mjs');

  const backend = args.backend || 'offline';
  if (!['offline', 'openai'].includes(backend)) throw new UsageError(`--backend: expected offline or openai, got "${backend}"`);
  if (backend === 'openai' && (!args['base-url'] || !args.model)) {
    throw new UsageError('--backend openai needs --base-url URL and --model NAME (API key from OPENAI_API_KEY)');
  }
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
  if (!args.json && !args.md && !args.svg) {
    process.stderr.write('arag eval: no --json/--md/--svg given; the table goes to stdout only\n');
  }
  const checkpoint = args['no-checkpoint'] ? null : args.checkpoint || (args.json ? `${args.json}.checkpoint.jsonl` : null);
  const dataDir = args.data || join(repoRoot, '..', 'shared', 'data', 'amazon-beauty');
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
  try {
    const { result, records, failures } = await evaluate({
      data: dataDir,
      split,
      dist: args.dist || join(repoRoot, 'dist'),
      kind,
      backend,
      baseURL: args['base-url'] || null,
      model: args.model || null,
      apiKey: process.env.OPENAI_API_KEY,
      llmOptions,
      config,
      negatives,
      seed,
      users,
      methods,
      concurrency,
      resamples,
      checkpoint,
      timing: backend !== 'offline' || Boolean(args.timing),
      progress: args.quiet ? null : process.stderr,
    });
    if (args.json) writeOut(args.json, toJSON(result));
    if (args.md) writeOut(args.md, toMarkdown(result));
    if (args.svg) writeOut(args.svg, toSVG(result));
    if (args.ranks) {
      writeOut(args.ranks, records.map((r) => JSON.stringify({ user: r.user, target: r.target, ranks: r.ranks })).join('\n') + '\n');
    }
    process.stdout.write(toMarkdown(result));
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

const TUNE_HELP = `usage: arag tune [options]

Fits the offline reasoner's weights to one data set: coordinate ascent on NDCG@5 over the
validation split (each user's next-to-last interaction held out), each weight moved up and
down by a step that halves every round, a move kept when it gains more than --min-gain.
Then the start and the tuned weights are scored side by side on the test split (the last
interaction), which the search never reads. Prints the report and the config to pass on
(arag eval --config, createRecommender({ config })).

  --data DIR            folder with items.jsonl and interactions.jsonl
                        (default: ../shared/data/amazon-beauty relative to the repository)
  --params LIST         comma-separated reasoner weights to move (default: every non-zero
                        one at the start)
  --config JSON         start config (default: the built-in weights)
  --rounds N            passes over the weights (default 2)
  --step X              first relative step, in (0, 1) (default 0.5)
  --min-gain X          NDCG@5 a move must gain to be kept (default 0.0005)
  --negatives N         sampled negatives per user (default 49)
  --seed S              sampling and bootstrap seed (default 1)
  --users N             only the first N eligible users of each split (default: all)
  --json FILE           write every trial, the weights and both splits' scores
  --dist DIR            built module folder (default: dist/ of the repository)
  --kind NAME           emscripten (default) | wasi
  --quiet               no trial log on stderr
`;

async function cmdTune(argv) {
  const args = parseOptions(
    argv,
    {
    data: { type: 'string' },
    params: { type: 'string' },
    config: { type: 'string' },
    rounds: { type: 'string' },
    step: { type: 'string' },
    'min-gain': { type: 'string' },
    negatives: { type: 'string' },
    seed: { type: 'string' },
    users: { type: 'string' },
    json: { type: 'string' },
    dist: { type: 'string' },
    kind: { type: 'string' },
    quiet: { type: 'boolean' },
    },
    TUNE_HELP,
  );
  if (!args) return 0;
  const kind = kindOf(args);
  const params = args.params === undefined ? undefined : args.params.split(',').map((s) => s.trim()).filter(Boolean);
  if (params && !params.length) throw new UsageError('--params: empty list');
  const { tune } = await import('../src/eval/index.mjs');
  const r = await tune({
    data: args.data || join(repoRoot, '..', 'shared', 'data', 'amazon-beauty'),
    dist: args.dist || join(repoRoot, 'dist'),
    kind,
    config: args.config === undefined ? {} : jsonObject('config', args.config),
    params,
    rounds: int('rounds', args.rounds, 1) ?? 2,
    step: num('step', args.step, 0, 1, { open: true }) ?? 0.5,
    minGain: num('min-gain', args['min-gain'], 0, 1) ?? 0.0005,
    negatives: int('negatives', args.negatives, 1) ?? 49,
    seed: int('seed', args.seed, 0) ?? 1,
    users: int('users', args.users, 1) ?? 0,
    log: args.quiet ? null : (line) => process.stderr.write(`arag tune: ${line}\n`),
  });
  if (args.json) writeOut(args.json, `${JSON.stringify(r, null, 2)}\n`);
  const f = (x) => x.toFixed(3);
  const pct = (x) => `${x >= 0 ? '+' : '\u2212'}${Math.abs(100 * x).toFixed(1)}%`;
  const row = (name, t) =>
    `| ${name} | ${f(t['ndcg@5'])} | ${f(t['hit@5'])} | ${pct(t.gain)} [${pct(t.gain_ci[0])}, ${pct(t.gain_ci[1])}] |\n`;
  const changed = Object.entries(r.tuned).map(([k, v]) => `${k} ${r.start[k]} -> ${v}`);
  process.stdout.write(
    `${r.dataset}: ${r.trials.length} trials on the validation split (${r.users.valid} users), NDCG@5 ${f(r.valid.start)} -> ${f(r.valid.tuned)}\n` +
      `weights moved: ${changed.length ? changed.join(', ') : 'none'}\n\n` +
      `Test split (${r.users.test} users), gain over ${r.test.start.best_baseline.name} (${f(r.test.start.best_baseline['ndcg@5'])}):\n\n` +
      '| weights | NDCG@5 | Hit@5 | gain NDCG@5 [95% CI] |\n|---|---:|---:|---:|\n' +
      row('start', r.test.start) +
      row('tuned', r.test.tuned) +
      `\nconfig: ${JSON.stringify(r.config)}\n`,
  );
  return 0;
}

const COMMANDS = {
  eval: { summary: 'evaluate methods on a data set (NDCG/Hit/MRR with bootstrap intervals)', run: cmdEval, help: EVAL_HELP },
  tune: { summary: "fit the offline reasoner's weights to a data set (validation split), report on test", run: cmdTune, help: TUNE_HELP },
  help: {
    summary: 'list commands, or `arag help COMMAND`',
    run: async (argv) => {
      const c = argv[0] && COMMANDS[argv[0]];
      if (c && c.help) {
        process.stdout.write(c.help);
        return 0;
      }
      process.stdout.write('usage: arag COMMAND [options]\n\ncommands:\n');
      for (const [name, cmd] of Object.entries(COMMANDS)) process.stdout.write(`  ${name.padEnd(8)} ${cmd.summary}\n`);
      return 0;
    },
  },
};

async function main(argv) {
  const [name, ...rest] = argv;
  const cmd = COMMANDS[name || 'help'];
  if (!cmd) {
    process.stderr.write(`arag: unknown command "${name}" (try: arag help)\n`);
    return 2;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`arag ${name}: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`arag ${name}: ${e && e.message ? e.message : e}\n`);
    if (process.env.ARAG_DEBUG && e && e.stack) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
