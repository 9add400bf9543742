// arag tune's figures (make tune-figures -> docs/figures/tune-<data set>.json, the JSON
// `arag tune --json` writes): the weights it moved and both splits' NDCG@5.

const f = (x) => x.toFixed(3);
const pct = (x) => `${x >= 0 ? '+' : '\u2212'}${Math.abs(100 * x).toFixed(1)}%`;

export function render(j, { view }) {
  if (view) throw new Error(`unknown view "${view}"`);
  const moved = Object.entries(j.tuned);
  const weights = moved.length ? `${moved.length} (${moved.map(([k, v]) => `\`${k}\` ${j.start[k]} → ${v}`).join(', ')})` : '0';
  return [
    `${j.dataset}: ${j.trials.length} trials on the validation split (${j.users.valid.toLocaleString('en-US')} users), the test split ${j.users.test.toLocaleString('en-US')} users:`,
    '',
    '| validation NDCG@5, start → tuned | weights moved | test NDCG@5, start → tuned | test gain over the best baseline, start → tuned |',
    '|---|---|---|---|',
    `| ${f(j.valid.start)} → ${f(j.valid.tuned)} | ${weights} | ${f(j.test.start['ndcg@5'])} → ${f(j.test.tuned['ndcg@5'])} | ${pct(j.test.start.gain)} → ${pct(j.test.tuned.gain)} |`,
  ].join('\n');
}
