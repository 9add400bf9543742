// The fuzzing figures (make fuzz: scripts/fuzz.sh with FUZZ_JSON=docs/figures/fuzz.json,
// merged by scripts/fuzz-record.mjs): per libFuzzer target, the last run's seconds,
// executions, coverage and result, with its date and compiler.

const int = (n) => Math.round(n).toLocaleString('en-US');

export function render(j, { view }) {
  if (view) throw new Error(`unknown view "${view}"`);
  const lines = [
    '| target | seconds | executions | exec/s | edges (cov) | features (ft) | corpus | regression inputs replayed | result | run |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|---|',
  ];
  for (const t of j.targets) {
    lines.push(
      `| \`${t.target}\` | ${int(t.seconds)} | ${int(t.executions)} | ${int(t.exec_per_sec)} | ${int(t.cov)} | ${int(t.ft)} | ${int(t.corpus)} | ${int(t.regressions)} | ${t.result === 'ok' ? 'no crash' : t.result} | ${t.date}, ${t.compiler.replace(/^Debian /, '')} |`,
    );
  }
  return lines.join('\n');
}
