// What an int8 catalog costs the ranking (scripts/int8-figures.mjs, make eval-figures ->
// docs/figures/int8-eval.json): arag's NDCG@5 and Hit@5 with f32 and int8 catalog vectors.

const f = (x) => x.toFixed(4);

export function render(j, { view }) {
  if (view) throw new Error(`unknown view "${view}"`);
  if (!j.sets.length) return 'No data set was present when this was last run.';
  const lines = ['| data set | users | NDCG@5 f32 | NDCG@5 int8 | Hit@5 f32 | Hit@5 int8 |', '|---|---:|---:|---:|---:|---:|'];
  for (const s of j.sets) {
    lines.push(`| ${s.dataset} | ${s.users.toLocaleString('en-US')} | ${f(s.f32['ndcg@5'])} | ${f(s.int8['ndcg@5'])} | ${f(s.f32['hit@5'])} | ${f(s.int8['hit@5'])} |`);
  }
  return lines.join('\n');
}
