// What an int8 catalog costs the ranking (scripts/int8-figures.mjs, make eval-figures ->
// docs/figures/int8-eval.json): arag's NDCG@5 and Hit@5 with f32 and int8 catalog vectors;
// views of the f32 run's catalog figures (items and targets in no history, the word
// tables) and of its time.

const f = (x) => x.toFixed(4);
const int = (n) => n.toLocaleString('en-US');
const pct = (n, of) => `${((100 * n) / of).toFixed(1)}%`;
const kib = (b) => `${int(Math.round(b / 1024))} KiB`;

function withCatalog(j) {
  const sets = j.sets.filter((s) => s.catalog);
  if (!sets.length) throw new Error('no data set with its catalog figures: run make eval-figures');
  return sets;
}

export function render(j, { view }) {
  if (!j.sets.length) return 'No data set was present when this was last run.';
  if (view === 'no-history') {
    return [
      '| data set | targets in no history | catalog items in no history |',
      '|---|---:|---:|',
      ...withCatalog(j).map((s) => {
        const c = s.catalog;
        return `| ${s.dataset} | ${int(c.targets_in_no_history)} of ${int(c.eligible_users)} (${pct(c.targets_in_no_history, c.eligible_users)}) | ${int(c.items_in_no_history)} of ${int(c.items)} (${pct(c.items_in_no_history, c.items)}) |`;
      }),
    ].join('\n');
  }
  if (view === 'words') {
    return [
      '| data set | items | distinct title words | their table | distinct words of whole texts | their table |',
      '|---|---:|---:|---:|---:|---:|',
      ...withCatalog(j).map((s) => {
        const c = s.catalog;
        return `| ${s.dataset} | ${int(c.items)} | ${int(c.title_words)} | ${kib(c.title_words_bytes)} | ${int(c.text_words)} | ${kib(c.text_words_bytes)} |`;
      }),
    ].join('\n');
  }
  if (view === 'diversity') {
    const sets = j.sets.filter((s) => s.ira_div_1);
    if (!sets.length) throw new Error('no data set with its ira_div run: run make eval-figures');
    const names = sets.map((s) => s.dataset).join(' / ');
    const at = (k) => sets.map((s) => s.ira_div_1[k].toFixed(4)).join(' / ');
    const off = (k) => sets.map((s) => s.f32[k].toFixed(4)).join(' / ');
    return `At \`ira_div\` 1, NDCG@5 ${at('ndcg@5')} against ${off('ndcg@5')} at 0, Hit@5 ${at('hit@5')} against ${off('hit@5')} (${names}, \`eval_native\`, \`make eval-figures\`).`;
  }
  if (view === 'native-time') {
    const parts = j.sets.map((s) => `${s.f32.seconds.toFixed(1)} s on ${s.dataset} (${int(s.users)} users, ${s.f32.ms_per_rec.toFixed(2)} ms per recommendation)`);
    return `\`eval_native --methods arag\` (${j.sets[0].split} split, the catalog's build included) took ${parts.join(' and ')}, as \`make eval-figures\` last ran it.`;
  }
  if (view) throw new Error(`unknown view "${view}"`);
  const lines = ['| data set | users | NDCG@5 f32 | NDCG@5 int8 | Hit@5 f32 | Hit@5 int8 |', '|---|---:|---:|---:|---:|---:|'];
  for (const s of j.sets) {
    lines.push(`| ${s.dataset} | ${int(s.users)} | ${f(s.f32['ndcg@5'])} | ${f(s.int8['ndcg@5'])} | ${f(s.f32['hit@5'])} | ${f(s.int8['hit@5'])} |`);
  }
  return lines.join('\n');
}
