// Tables of an `arag eval` result JSON (docs/figures/eval-<data set>[-valid].json).
// Views: (default) every method's metrics and gain over the best baseline; by-target:
// NDCG@5 and Hit@5 on targets some history holds and on targets none holds.

const f3 = (x) => (x === null || x === undefined ? 'n/a' : x.toFixed(3));
const pct = (x, d = 1) => (x === null || x === undefined ? 'n/a' : `${x >= 0 ? '+' : '\u2212'}${Math.abs(100 * x).toFixed(d)}%`);
const int = (n) => n.toLocaleString('en-US');
const bold = (s, on) => (on ? `**${s}**` : s);

function title(r) {
  const split = r.split && r.split !== 'test' ? `, ${r.split} split` : '';
  return `${r.dataset}${split}`;
}

function caption(r) {
  return `${title(r)}: ${int(r.users)} users, ${r.negatives} negatives + target, seed ${r.seed}, backend ${r.backend}` +
    `${r.model ? ` (${r.model})` : ''}; gain over the best of recency and rag, 95% paired bootstrap interval for arag.`;
}

function results(r) {
  const lines = [caption(r), '', `| ${title(r)} | NDCG@5 | Hit@5 | NDCG@10 | Hit@10 | MRR | gain NDCG@5 | gain Hit@5 |`, '|---|---:|---:|---:|---:|---:|---:|---:|'];
  const best = r.best_baseline || {};
  for (const [name, m] of Object.entries(r.methods)) {
    const lead = name === 'arag';
    const g = (r.gain_over_best_baseline || {})[name];
    const gain = (k) => {
      if (!g || best[k] === name) return '';
      const ci = lead && g.ci && g.ci[k] && g.ci[k][0] !== null ? ` [${pct(g.ci[k][0]).replace('%', '')}, ${pct(g.ci[k][1]).replace('%', '')}]` : '';
      return `${bold(pct(g[k]), lead)}${ci}`;
    };
    lines.push(`| ${bold(name, lead)} | ${bold(f3(m['ndcg@5']), lead)} | ${bold(f3(m['hit@5']), lead)} | ${f3(m['ndcg@10'])} | ${f3(m['hit@10'])} | ${f3(m.mrr)} | ${gain('ndcg@5')} | ${gain('hit@5')} |`);
  }
  return lines.join('\n');
}

function byTarget(r) {
  const bt = r.by_target;
  if (!bt) throw new Error(`${r.dataset}: no by_target in the JSON`);
  const h = bt.in_history;
  const n = bt.in_no_history;
  const best = (grp, k) => Math.max(...['recency', 'rag'].filter((m) => grp.methods[m]).map((m) => grp.methods[m][k] ?? 0));
  const cell = (grp, m, k) => {
    const v = grp.methods[m] && grp.methods[m][k];
    if (v === null || v === undefined) return 'n/a';
    if (m !== 'arag') return f3(v);
    const b = best(grp, k);
    return b > 0 ? `${f3(v)} (${pct(v / b - 1)})` : f3(v);
  };
  const lines = [
    `${title(r)}: ${int(h.users)} users' targets are in some history, ${int(n.users)} in none (new items); arag's gain over the better of recency and rag in each group.`,
    '',
    `| ${title(r)} | NDCG@5, in a history | Hit@5, in a history | NDCG@5, in none | Hit@5, in none |`,
    '|---|---:|---:|---:|---:|',
  ];
  for (const m of Object.keys(r.methods)) {
    lines.push(`| ${m} | ${cell(h, m, 'ndcg@5')} | ${cell(h, m, 'hit@5')} | ${cell(n, m, 'ndcg@5')} | ${cell(n, m, 'hit@5')} |`);
  }
  return lines.join('\n');
}

// One sentence for the front page: this data set and its sibling (amazon-beauty and
// amazon-office), arag's NDCG@5 gain over the better baseline.
function headline(r, figure) {
  const other = figure(r.dataset === 'amazon-beauty' ? 'eval-amazon-office' : 'eval-amazon-beauty');
  const gain = (x) => {
    const g = x.gain_over_best_baseline.arag;
    return `${pct(g['ndcg@5'])} [${pct(g.ci['ndcg@5'][0])}, ${pct(g.ci['ndcg@5'][1])}]`;
  };
  const name = (d) => d.replace('amazon-', '').replace(/^./, (c) => c.toUpperCase());
  return `On ${int(r.users)}-user samples of the Amazon ${name(r.dataset)} and ${name(other.dataset)} review data, the offline reasoner ranks each shopper's next ` +
    `purchase better than plain retrieval: NDCG@5 ${gain(r)} and ${gain(other)} over the better of the ` +
    'recency and vector-similarity baselines (95% intervals; the paper\'s GPT-class agents gain more).';
}

export function render(r, { view, figure }) {
  if (!view) return results(r);
  if (view === 'by-target') return byTarget(r);
  if (view === 'headline') return headline(r, figure);
  throw new Error(`unknown view "${view}" (by-target, headline)`);
}
