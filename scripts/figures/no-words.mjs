// arag without S_user's `Words` (make eval-figures: arag eval --methods arag --config
// '{"reasoner":{"ira_text":0}}' -> docs/figures/no-words-<data set>.json), beside arag with
// them (docs/figures/eval-<data set>.json), on the targets some history holds and on those
// none holds (docs/evaluation.md).

const f3 = (x) => x.toFixed(3);

export function render(r, { view, figure }) {
  if (view) throw new Error(`unknown view "${view}"`);
  const base = figure(`eval-${r.dataset}`);
  if (base.users !== r.users || base.split !== r.split || base.seed !== r.seed) {
    throw new Error(`no-words-${r.dataset} and eval-${r.dataset} are not the same users, split and seed: run make eval-figures`);
  }
  const cell = (x, group) => f3(x.by_target[group].methods.arag['ndcg@5']);
  return (
    `${r.dataset} (${r.users.toLocaleString('en-US')} users): arag's NDCG@5 on targets in no history ${cell(base, 'in_no_history')}, ` +
    `without \`Words\` ${cell(r, 'in_no_history')}; on the others ${cell(base, 'in_history')}, without ${cell(r, 'in_history')}.`
  );
}
