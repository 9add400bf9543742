// What a shopper sees on a shelf of 6 (scripts/storefront-figures.mjs -> docs/figures/
// storefront.json), with the ranking quality of the same settings from the evaluation's
// figures (docs/figures/eval-<set>.json: arag, arag-no-shift, arag-storefront).
// Views: (none) claims, variants and brands before and after, with NDCG@5 / Hit@5;
// shelf: the shelf's rules off and on; shift: the interest-shift scenarios; readme: both
// Amazon sets together, for the README.
const pct = (x, d = 1) => `${(100 * x).toFixed(d)}%`;
const num = (x) => x.toLocaleString('en-US');
const REAL = ['amazon-beauty', 'amazon-office'];

function evalOf(figure, name) {
  try {
    return figure(`eval-${name}`);
  } catch {
    return null;
  }
}

function metric(ev, method, key) {
  const m = ev && ev.methods && ev.methods[method];
  return m && typeof m[key] === 'number' ? m[key].toFixed(3) : '–';
}

// Sums over the real sets (claims weigh by claims, shelves by users).
function combined(j, which) {
  const rows = REAL.map((n) => j.sets[n] && j.sets[n][which]).filter(Boolean);
  if (rows.length < 2) return null;
  const claims = rows.reduce((s, r) => s + r.claims, 0);
  const fc = rows.reduce((s, r) => s + r.false_claims, 0);
  const users = rows.reduce((s, r) => s + r.users, 0);
  const slots = rows.reduce((s, r) => s + r.items, 0);
  return {
    users,
    claims,
    false_claims: fc,
    false_claim_share: claims ? fc / claims : 0,
    variant_duplicate_share: slots ? rows.reduce((s, r) => s + r.variant_duplicate_share * r.items, 0) / slots : 0,
    largest_brand_share: users ? rows.reduce((s, r) => s + r.largest_brand_share * r.users, 0) / users : 0,
    shelves_over_half_one_brand: users ? rows.reduce((s, r) => s + r.shelves_over_half_one_brand * r.users, 0) / users : 0,
  };
}

function shelfRow(label, what, r) {
  return `| ${label} | ${what} | ${num(r.users)} | ${pct(r.false_claim_share, 2)} (${num(r.false_claims)} of ${num(r.claims)}) | ${pct(r.variant_duplicate_share)} | ${pct(r.largest_brand_share)} | ${pct(r.shelves_over_half_one_brand)} |`;
}

function renderMain(j, figure) {
  const before = j.before_rev ? `before (${j.before_rev}, its defaults)` : null;
  const lines = [
    `Every user's shelf of ${j.k} from the whole catalog, each claim of each item checked against the catalog and the history by the reason checker, which reads the data itself (\`${j.command}\`):`,
    '',
    '| data set | module | users | false claims | variants of an item above or just bought | largest brand\'s share | shelves over half one brand |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  const sets = [...REAL.filter((n) => j.sets[n]), ...(j.sets['sample-shop'] ? ['sample-shop'] : [])];
  for (const n of sets) {
    const s = j.sets[n];
    if (s.before) lines.push(shelfRow(n, before, s.before));
    lines.push(shelfRow(n, 'after (storefront defaults)', s.after));
  }
  const cb = combined(j, 'before');
  const ca = combined(j, 'after');
  if (cb) lines.push(shelfRow('both Amazon sets', before, cb));
  if (ca) lines.push(shelfRow('both Amazon sets', 'after (storefront defaults)', ca));
  lines.push(
    '',
    'Ranking quality of the same settings (the evaluation: 49 sampled negatives per user, seed 1, every user; `make eval-figures`): `arag` ranks with the shelf\'s rules off, the paper\'s protocol; `arag-storefront` with the storefront defaults on over the first 6 places.',
    '',
    '| data set | NDCG@5 arag | NDCG@5 arag-storefront | Hit@5 arag | Hit@5 arag-storefront |',
    '|---|---:|---:|---:|---:|',
  );
  for (const n of sets) {
    const ev = evalOf(figure, n);
    if (!ev) continue;
    lines.push(`| ${n} | ${metric(ev, 'arag', 'ndcg@5')} | ${metric(ev, 'arag-storefront', 'ndcg@5')} | ${metric(ev, 'arag', 'hit@5')} | ${metric(ev, 'arag-storefront', 'hit@5')} |`);
  }
  return lines.join('\n');
}

function renderShelf(j, figure) {
  const lines = [
    `A shelf of ${j.k} for every user, the ranker's order as it is (\`shelf: false\`) and with the storefront defaults (\`${j.command}\`):`,
    '',
    '| data set | shelf | variants of an item above or just bought | largest brand\'s share | shelves over half one brand | NDCG@5 | Hit@5 |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const n of [...REAL, 'sample-shop']) {
    const s = j.sets[n];
    if (!s) continue;
    const ev = evalOf(figure, n);
    const row = (what, r, method) =>
      `| ${n} | ${what} | ${pct(r.variant_duplicate_share)} | ${pct(r.largest_brand_share)} | ${pct(r.shelves_over_half_one_brand)} | ${metric(ev, method, 'ndcg@5')} | ${metric(ev, method, 'hit@5')} |`;
    lines.push(row('rules off', s.shelf_off, 'arag'), row('storefront defaults', s.after, 'arag-storefront'));
  }
  lines.push('', 'NDCG@5 and Hit@5: the evaluation\'s `arag` (rules off) and `arag-storefront` (`make eval-figures`).');
  return lines.join('\n');
}

function renderShift(j, figure) {
  const lines = [
    `Scripted shoppers: 10 products of one category, then 3 of another, for every ordered pair of categories (the level below what every item shares; 2 shoppers each); the shelf of ${j.k} from the whole catalog with the storefront defaults (\`${j.command}\`):`,
    '',
    '| data set | shoppers | shift | shelf in the new category | shelves at least half in it | shelf in the older one | NDCG@5 | Hit@5 |',
    '|---|---:|---|---:|---:|---:|---:|---:|',
  ];
  for (const n of ['sample-shop', ...REAL]) {
    const s = j.sets[n];
    if (!s) continue;
    const ev = evalOf(figure, n);
    if (!s.shift) {
      lines.push(`| ${n} | – | no categories: no shift | – | – | – | ${metric(ev, 'arag', 'ndcg@5')} | ${metric(ev, 'arag', 'hit@5')} |`);
      continue;
    }
    const row = (what, r, method) =>
      `| ${n} | ${s.shift.scenarios} | ${what} | ${pct(r.share_new)} | ${pct(r.half_new)} | ${pct(r.share_old)} | ${metric(ev, method, 'ndcg@5')} | ${metric(ev, method, 'hit@5')} |`;
    lines.push(row('off (`shift` 0)', s.shift.off, 'arag-no-shift'), row('on (0.75, the default)', s.shift.on, 'arag'));
  }
  lines.push('', 'NDCG@5 and Hit@5: the evaluation\'s `arag-no-shift` and `arag` (`make eval-figures`), shelf rules off in both.');
  return lines.join('\n');
}

// README: both Amazon sets together, before and after, with the ranking cost of the shelf.
function renderReadme(j, figure) {
  const cb = combined(j, 'before');
  const ca = combined(j, 'after');
  const off = combined(j, 'shelf_off');
  if (!cb || !ca || !off) return 'The storefront figures need both Amazon sets: see docs/reasons.md.';
  const row = (what, r) => `| ${what} | ${pct(r.false_claim_share, 2)} (${num(r.false_claims)} of ${num(r.claims)}) | ${pct(r.variant_duplicate_share)} | ${pct(r.largest_brand_share)} |`;
  const lines = [
    `What a shopper is told and shown, over every user of amazon-beauty and amazon-office (${num(ca.users)} shelves of ${j.k}; every claim of every reason checked against the data by \`arag check-reasons\`; \`${j.command}\`):`,
    '',
    '| module | false claims | variants of an item above or just bought | largest brand\'s share |',
    '|---|---:|---:|---:|',
    row(`before evidence (${j.before_rev})`, cb),
    row('now, shelf rules off', off),
    row('now, storefront defaults', ca),
    '',
    '| data set | NDCG@5 / Hit@5, rules off (`arag`) | rules on (`arag-storefront`) |',
    '|---|---:|---:|',
  ];
  for (const n of REAL) {
    const ev = evalOf(figure, n);
    if (ev) lines.push(`| ${n} | ${metric(ev, 'arag', 'ndcg@5')} / ${metric(ev, 'arag', 'hit@5')} | ${metric(ev, 'arag-storefront', 'ndcg@5')} / ${metric(ev, 'arag-storefront', 'hit@5')} |`);
  }
  lines.push('', 'Both rankings come from `make eval-figures`; [docs/shelf.md](docs/shelf.md) describes each rule and what it costs there.');
  return lines.join('\n');
}

export function render(j, { view, figure }) {
  if (view === 'readme') return renderReadme(j, figure);
  if (view === 'shelf') return renderShelf(j, figure);
  if (view === 'shift') return renderShift(j, figure);
  return renderMain(j, figure);
}
