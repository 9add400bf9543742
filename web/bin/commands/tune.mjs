// arag tune: fit the offline reasoner's weights on the validation split, report on test.
import { join } from 'node:path';
import { UsageError, dataDir, int, jsonObject, kindOf, num, packageRoot, parseOptions, writeOut } from '../cli.mjs';

export const summary = "fit the offline reasoner's weights to a data set (validation split), report on test";

export const help = `usage: arag tune [options]

Fits the offline reasoner's weights to one data set: coordinate ascent on NDCG@5 over the
validation split (each user's next-to-last interaction held out), each weight moved up and
down by a step that halves every round, a move kept when it gains more than --min-gain.
Then the start and the tuned weights are scored side by side on the test split (the last
interaction), which the search never reads. Prints the report and the config to pass on
(arag eval --config, createRecommender({ config })).

  --data DIR            folder with items.jsonl and interactions.jsonl
                        (default: $ARAG_DATA_ROOT/amazon-beauty)
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
  --dist DIR            built module folder (default: the package's dist/)
  --kind NAME           emscripten (default) | wasi
  --quiet               no trial log on stderr
`;

export async function run(argv) {
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
    help,
  );
  if (!args) return 0;
  const kind = kindOf(args);
  const params = args.params === undefined ? undefined : args.params.split(',').map((s) => s.trim()).filter(Boolean);
  if (params && !params.length) throw new UsageError('--params: empty list');
  const { tune } = await import('../../src/eval/index.mjs');
  const r = await tune({
    data: dataDir(args),
    dist: args.dist || join(packageRoot, 'dist'),
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

