// Reports of an evaluation: the stable JSON document, a Markdown table and a
// self-contained SVG bar chart (NDCG@5 and Hit@5 per method with their intervals).
import { METRICS } from './metrics.mjs';

// Numbers in reports are rounded to 6 decimals: stable text, far below any CI width.
export function round6(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  const r = Math.round(x * 1e6) / 1e6;
  return Object.is(r, -0) ? 0 : r;
}

// Two-space indented JSON with [lo, hi] intervals kept on one line.
export function toJSON(result) {
  const text = JSON.stringify(result, null, 2);
  const num = '(-?\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?|null)';
  return text.replace(new RegExp(`\\[\\s*${num},\\s*${num}\\s*\\]`, 'g'), '[$1, $2]') + '\n';
}

const LABELS = { 'ndcg@5': 'NDCG@5', 'hit@5': 'Hit@5', 'ndcg@10': 'NDCG@10', 'hit@10': 'Hit@10', mrr: 'MRR' };

function f3(x) {
  return x === null || x === undefined ? 'n/a' : x.toFixed(3);
}

function pct(x) {
  if (x === null || x === undefined) return 'n/a';
  const s = (x * 100).toFixed(1);
  return (x >= 0 ? '+' : '') + s + '%';
}

// The test split is the protocol's default and goes unnamed.
function splitNote(result) {
  return result.split && result.split !== 'test' ? ` (${result.split} split)` : '';
}

export function toMarkdown(result) {
  const lines = [];
  const model = result.model ? `, model ${result.model}` : '';
  lines.push(
    `**${result.dataset}**${splitNote(result)}: ${result.users} users, ${result.negatives} negatives + target, ` +
      `seed ${result.seed}, backend ${result.backend}${model}; ` +
      `95% bootstrap intervals over users (${result.resamples} resamples).`,
  );
  lines.push('');
  const head = ['Method', ...METRICS.map((m) => LABELS[m]), 'Gain NDCG@5', 'Gain Hit@5'];
  lines.push(`| ${head.join(' | ')} |`);
  lines.push(`|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  for (const [name, m] of Object.entries(result.methods)) {
    const cells = [name];
    for (const k of METRICS) {
      const ci = m.ci && m.ci[k];
      cells.push(ci ? `${f3(m[k])} [${f3(ci[0])}, ${f3(ci[1])}]` : f3(m[k]));
    }
    const g = result.gain_over_best_baseline && result.gain_over_best_baseline[name];
    for (const k of ['ndcg@5', 'hit@5']) {
      if (!g || g[k] === null || g[k] === undefined) {
        cells.push('n/a');
      } else {
        const ci = g.ci && g.ci[k];
        cells.push(ci && ci[0] !== null ? `${pct(g[k])} [${pct(ci[0])}, ${pct(ci[1])}]` : pct(g[k]));
      }
    }
    lines.push(`| ${cells.join(' | ')} |`);
  }
  if (result.best_baseline && Object.keys(result.best_baseline).length) {
    lines.push('');
    lines.push(
      'Gain: relative to the best of recency and rag on that metric (' +
        Object.entries(result.best_baseline).map(([k, v]) => `${LABELS[k]}: ${v}`).join(', ') +
        '), paired bootstrap interval.',
    );
  }
  const bt = result.by_target;
  if (bt && bt.in_history.users && bt.in_no_history.users) {
    lines.push('');
    lines.push(
      `By target: ${bt.in_history.users} users' targets are in some history, ${bt.in_no_history.users} are in none ` +
        '(new items: their popularity and bought-together counts are 0).',
    );
    lines.push('');
    lines.push('| Method | NDCG@5 (in a history) | Hit@5 (in a history) | NDCG@5 (in none) | Hit@5 (in none) |');
    lines.push('|---|---:|---:|---:|---:|');
    for (const name of Object.keys(result.methods)) {
      const a = bt.in_history.methods[name];
      const b = bt.in_no_history.methods[name];
      lines.push(`| ${name} | ${f3(a['ndcg@5'])} | ${f3(a['hit@5'])} | ${f3(b['ndcg@5'])} | ${f3(b['hit@5'])} |`);
    }
  }
  const usage = result.usage || {};
  const names = Object.keys(usage);
  if (names.length) {
    lines.push('');
    const withWall = names.some((n) => usage[n].wall_ms_per_user !== undefined);
    const uh = ['Method', 'Calls', 'Prompt tokens', 'Completion tokens', 'Failures', 'Degraded users'];
    if (withWall) uh.push('Wall ms/user');
    lines.push(`| ${uh.join(' | ')} |`);
    lines.push(`|${uh.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
    for (const n of names) {
      const u = usage[n];
      const row = [n, u.calls, u.prompt_tokens, u.completion_tokens, u.failures, u.degraded_users];
      if (withWall) row.push(u.wall_ms_per_user === undefined ? 'n/a' : u.wall_ms_per_user.toFixed(1));
      lines.push(`| ${row.join(' | ')} |`);
    }
  }
  return lines.join('\n') + '\n';
}

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function fx(x) {
  return (Math.round(x * 10) / 10).toString();
}

// Grouped bar chart, two bars per method (NDCG@5, Hit@5) with 95% interval whiskers.
export function toSVG(result) {
  const names = Object.keys(result.methods);
  const series = [
    { key: 'ndcg@5', label: 'NDCG@5', color: '#3b6fb6' },
    { key: 'hit@5', label: 'Hit@5', color: '#e08a2c' },
  ];
  const left = 56;
  const right = 16;
  const top = 52;
  const bottom = 64;
  const group = 96;
  const plotH = 240;
  const width = left + right + Math.max(1, names.length) * group;
  const height = top + plotH + bottom;
  let ymax = 0;
  for (const n of names) {
    for (const s of series) {
      const m = result.methods[n];
      const hi = m.ci && m.ci[s.key] ? m.ci[s.key][1] : m[s.key];
      ymax = Math.max(ymax, hi || 0, m[s.key] || 0);
    }
  }
  ymax = Math.max(0.1, Math.ceil(ymax * 10 + 0.5) / 10);
  const y = (v) => top + plotH - (v / ymax) * plotH;
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  const model = result.model ? ` ${result.model}` : '';
  out.push(
    `<text x="${left}" y="20" font-size="14" font-weight="bold">${esc(result.dataset + splitNote(result))}: NDCG@5 and Hit@5, 95% bootstrap intervals</text>`,
  );
  out.push(
    `<text x="${left}" y="38" fill="#555">${esc(`${result.users} users, ${result.negatives} negatives + target, seed ${result.seed}, backend ${result.backend}${model}`)}</text>`,
  );
  const steps = Math.round(ymax / 0.1);
  const every = steps > 8 ? 2 : 1;
  for (let i = 0; i <= steps; i += every) {
    const v = i * 0.1;
    const yy = fx(y(v));
    out.push(`<line x1="${left}" x2="${width - right}" y1="${yy}" y2="${yy}" stroke="#e3e3e3"/>`);
    out.push(`<text x="${left - 6}" y="${fx(y(v) + 4)}" text-anchor="end" fill="#333">${v.toFixed(1)}</text>`);
  }
  out.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#333"/>`);
  out.push(`<line x1="${left}" x2="${width - right}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`);
  const barW = 30;
  names.forEach((n, gi) => {
    const m = result.methods[n];
    const gx = left + gi * group + (group - 2 * barW - 6) / 2;
    series.forEach((s, si) => {
      const v = m[s.key] || 0;
      const x = gx + si * (barW + 6);
      out.push(
        `<rect x="${fx(x)}" y="${fx(y(v))}" width="${barW}" height="${fx(top + plotH - y(v))}" fill="${s.color}">` +
          `<title>${esc(`${n} ${s.label} ${v.toFixed(4)}`)}</title></rect>`,
      );
      const ci = m.ci && m.ci[s.key];
      if (ci && ci[0] !== null) {
        const cx = fx(x + barW / 2);
        out.push(`<line x1="${cx}" x2="${cx}" y1="${fx(y(ci[0]))}" y2="${fx(y(ci[1]))}" stroke="#111"/>`);
        for (const e of ci) {
          out.push(`<line x1="${fx(x + barW / 2 - 5)}" x2="${fx(x + barW / 2 + 5)}" y1="${fx(y(e))}" y2="${fx(y(e))}" stroke="#111"/>`);
        }
      }
      out.push(`<text x="${fx(x + barW / 2)}" y="${fx(y(v) - 4 - (ci ? (y(v) - y(ci[1])) : 0))}" text-anchor="middle" font-size="10" fill="#333">${v.toFixed(3)}</text>`);
    });
    out.push(`<text x="${fx(left + gi * group + group / 2)}" y="${top + plotH + 18}" text-anchor="middle">${esc(n)}</text>`);
  });
  const ly = height - 18;
  series.forEach((s, si) => {
    const lx = left + si * 90;
    out.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${s.color}"/>`);
    out.push(`<text x="${lx + 18}" y="${ly}">${s.label}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
