// The storefront page: product grid, events, the "Recommended for you" panel and
// the agent trace. The arag module runs in a Web Worker (worker.mjs) so the page
// never blocks on it; this file only draws what the worker reports.
const $ = (sel) => document.querySelector(sel);
const PAGE = 24;
const AGENTS = ['uua', 'nli', 'csa', 'ira'];
const AGENT_NAMES = {
  uua: 'User understanding',
  nli: 'NLI',
  csa: 'Context summary',
  ira: 'Item ranker',
};
const SETTINGS_KEY = 'arag-demo-settings';

const ui = {
  items: [],
  byId: new Map(),
  catLevel: 0,
  shown: PAGE,
  config: { edgeOrigin: '' },
  settings: { backend: 'offline', edgeUrl: '', model: 'gpt-4o-mini', k: 6 },
  seq: 0,
  progress: [], // progress events of the current recommendation
  current: null, // product id shown in the dialog
};

const worker = new Worker(new URL('./worker.mjs', import.meta.url), { type: 'module' });

// ---------------------------------------------------------------- helpers
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('data-')) e.setAttribute(k, v);
    else if (k in e && typeof v !== 'string') e[k] = v;
    else e.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function hash(s) {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

const money = (p) => (Number.isFinite(p) ? `$${p.toFixed(2)}` : '');
const fmtMs = (ms) => (ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`);
const category = (it) => (it.categories && it.categories[ui.catLevel]) || 'Other';

function setStatus(text, busy = false) {
  $('#status').textContent = text;
  $('#recs-panel').setAttribute('aria-busy', String(busy));
  $('#progress').hidden = !busy;
}

// ---------------------------------------------------------------- catalog
function chooseCategoryLevel(items) {
  // The first level of the category path with more than one value (a data set's
  // path often starts with one root, e.g. "Beauty").
  for (let level = 0; level < 3; level++) {
    const vals = new Set(items.map((it) => (it.categories || [])[level]).filter(Boolean));
    if (vals.size > 1) return level;
  }
  return 0;
}

function filtered() {
  const q = $('#search').value.trim().toLowerCase();
  const cat = $('#category').value;
  const words = q.split(/\s+/).filter(Boolean);
  return ui.items.filter((it) => {
    if (cat && category(it) !== cat) return false;
    if (!words.length) return true;
    const hay = `${it.title} ${it.brand || ''} ${(it.categories || []).join(' ')}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

function swatch(it) {
  const h = hash(category(it)) % 360;
  const s = el('div', { class: 'swatch', 'aria-hidden': 'true' }, category(it).slice(0, 1));
  s.style.setProperty('--hue', String(h));
  s.style.setProperty('--tilt', String((hash(it.id) % 40) - 20));
  return s;
}

function card(it) {
  return el(
    'li',
    { class: 'card', 'data-id': it.id },
    swatch(it),
    el('h3', {}, el('button', { type: 'button', class: 'link view', 'data-id': it.id, text: it.title })),
    el('p', { class: 'meta' }, [it.brand, category(it)].filter(Boolean).join(' · ')),
    el('p', { class: 'price' }, money(it.price)),
    el(
      'div',
      { class: 'row' },
      el('button', { type: 'button', 'data-act': 'cart', 'data-id': it.id, 'aria-label': `Add ${it.title} to cart`, text: 'Add to cart' }),
      el('button', { type: 'button', class: 'primary', 'data-act': 'purchase', 'data-id': it.id, 'aria-label': `Buy ${it.title}`, text: 'Buy' })
    )
  );
}

function renderGrid() {
  const list = filtered();
  const grid = $('#grid');
  grid.replaceChildren(...list.slice(0, ui.shown).map(card));
  $('#grid-count').textContent = `(${list.length})`;
  $('#more').hidden = list.length <= ui.shown;
  if (!list.length) grid.append(el('li', { class: 'muted empty', text: 'No product matches.' }));
}

// ---------------------------------------------------------------- events
function record(id, kind) {
  const it = ui.byId.get(id);
  if (!it) return;
  worker.postMessage({ type: 'event', id, kind });
  const verb = { view: 'Viewed', cart: 'Added to cart', purchase: 'Bought' }[kind];
  setStatus(`${verb}: ${it.title}. Re-ranking…`, true);
}

function openProduct(id) {
  const it = ui.byId.get(id);
  if (!it) return;
  ui.current = id;
  $('#product-title').textContent = it.title;
  $('#product-meta').textContent = [it.brand, (it.categories || []).join(' › '), money(it.price)]
    .filter(Boolean)
    .join(' · ');
  $('#product-text').textContent = it.text || 'No description.';
  const dlg = $('#product');
  if (!dlg.open) dlg.showModal();
  record(id, 'view');
}

function onAction(e) {
  const btn = e.target.closest('button[data-id]');
  if (!btn) return;
  const id = btn.getAttribute('data-id');
  if (btn.classList.contains('view')) openProduct(id);
  else if (btn.dataset.act) record(id, btn.dataset.act);
}

// ---------------------------------------------------------------- history
function renderHistory(msg) {
  const n = msg.count;
  const hc = $('#history-count');
  hc.textContent = `(${n} event${n === 1 ? '' : 's'})`;
  hc.dataset.count = String(n);
  const label = { view: 'viewed', cart: 'added to cart', purchase: 'bought' };
  const items = msg.events
    .slice(-30)
    .reverse()
    .map((ev) =>
      el('li', { 'data-id': ev.id, 'data-kind': ev.kind }, el('span', { class: `kind ${ev.kind}`, text: label[ev.kind] || ev.kind }), ' ', ev.title)
    );
  $('#history').replaceChildren(...items);
  $('#forget').disabled = n === 0;
}

// ---------------------------------------------------------------- trace
// The trace is the engine's blackboard: a list of agent messages. Field names are
// read defensively so older and newer engines both draw.
function traceMessages(trace) {
  if (!trace) return [];
  const list = Array.isArray(trace)
    ? trace
    : trace.messages || trace.entries || trace.calls || trace.blackboard || [];
  return list.filter((m) => m && typeof m === 'object' && m.agent);
}

function num(...xs) {
  for (const x of xs) if (Number.isFinite(x)) return x;
  return undefined;
}

function parseOutput(m) {
  let o = m.output ?? m.result ?? m.response;
  if (typeof o === 'string') {
    try {
      o = JSON.parse(o);
    } catch {
      /* keep text */
    }
  }
  return o;
}

function progressRows() {
  // Rows from this run's progress events (wall clock in the worker): drawn while the
  // calls are in flight.
  const rows = [];
  const open = new Map();
  for (const p of ui.progress) {
    const ev = p.ev;
    if (!ev.agent) continue;
    const key = `${ev.agent}:${ev.requestId}`;
    if (ev.type === 'start') {
      open.set(key, rows.push({ agent: ev.agent, batch: ev.batch, start: p.t, ms: undefined, status: 'running' }) - 1);
    } else if (ev.type === 'end') {
      const i = open.get(key);
      if (i === undefined) {
        rows.push({ agent: ev.agent, batch: ev.batch, start: Math.max(0, p.t - (ev.ms || 0)), ms: ev.ms || 0, status: ev.status });
      } else {
        rows[i].ms = num(ev.ms, p.t - rows[i].start);
        rows[i].status = ev.status;
      }
    }
  }
  return rows;
}

function traceRows(trace) {
  // Rows from the engine's blackboard: start and end relative to the session start.
  const msgs = traceMessages(trace);
  const starts = msgs.map((m) => num(m.started_ms, m.start_ms, m.t_start)).filter((x) => x !== undefined && x >= 0);
  const t0 = starts.length ? Math.min(...starts) : 0;
  return msgs.map((m) => {
    const s = num(m.started_ms, m.start_ms, m.t_start);
    const e = num(m.ended_ms, m.end_ms, m.t_end);
    const start = s !== undefined && s >= 0 ? s - t0 : 0;
    const ms = s !== undefined && e !== undefined && e >= s ? e - s : num(m.ms, m.duration_ms) ?? 0;
    const batch = Number.isInteger(m.batch) && m.batch >= 0 ? m.batch : undefined;
    return { agent: String(m.agent).toLowerCase(), batch, start, ms, status: m.status ?? 'ok' };
  });
}

function timelineRows(out) {
  if (!out) return progressRows();
  const rows = traceRows(out.trace);
  return rows.length ? rows : progressRows();
}

function renderTimeline(rows) {
  const tl = $('#timeline');
  const total = Math.max(1, ...rows.map((r) => r.start + (r.ms || 0)));
  tl.replaceChildren(
    ...rows.map((r) => {
      const bar = el('span', { class: `bar ${r.agent}` });
      bar.style.setProperty('--left', `${(100 * r.start) / total}%`);
      bar.style.setProperty('--width', `${Math.max(1.5, (100 * (r.ms || 0)) / total)}%`);
      const name = `${AGENT_NAMES[r.agent] || r.agent}${r.batch !== undefined && r.agent === "nli" ? ` batch ${r.batch + 1}` : ""}`;
      const st = r.status === undefined || r.status === 'ok' || r.status === 200 ? '' : ` (${r.status})`;
      return el(
        'div',
        { class: 'call', role: 'listitem', 'data-agent': r.agent },
        el('span', { class: `tag ${r.agent}`, text: r.agent.toUpperCase() }),
        el('span', { class: 'name', text: name }),
        el('span', { class: 'track', 'aria-hidden': 'true' }, bar),
        el('span', { class: 'ms', text: r.ms === undefined ? '…' : `${fmtMs(r.ms)}${st}` })
      );
    })
  );
}

function renderTrace(out, ms) {
  const rows = timelineRows(out);
  renderTimeline(rows);
  const msgs = traceMessages(out.trace);
  let sUser = '';
  let sCtx = '';
  const verdicts = [];
  for (const m of msgs) {
    const agent = String(m.agent).toLowerCase();
    const o = parseOutput(m);
    if (!o || typeof o !== 'object') continue;
    if (agent === 'uua' && o.summary) sUser = o.summary + (o.interests && o.interests.length ? ` Interests: ${o.interests.join(', ')}.` : '');
    if (agent === 'csa' && o.summary) sCtx = o.summary;
    if (agent === 'nli' && Array.isArray(o.items)) verdicts.push(...o.items);
  }
  // The engine also lists S_user, S_ctx and every verdict (with whether it was kept in
  // I+) at the top of the trace; prefer those.
  const tr = out.trace && typeof out.trace === 'object' ? out.trace : {};
  if (typeof tr.s_user === 'string' && tr.s_user) sUser = tr.s_user;
  if (typeof tr.s_ctx === 'string' && tr.s_ctx) sCtx = tr.s_ctx;
  if (Array.isArray(tr.nli) && tr.nli.length) verdicts.splice(0, verdicts.length, ...tr.nli);
  $('#s-user').textContent = sUser || '(not available)';
  $('#s-ctx').textContent = sCtx || '(not available)';
  verdicts.sort((a, b) => (b.score ?? 0) - (a.score ?? 0));
  $('#nli tbody').replaceChildren(
    ...verdicts.map((v) => {
      const it = ui.byId.get(v.id);
      return el(
        'tr',
        { class: `label-${v.label}` },
        el('td', { text: it ? it.title : v.id }),
        el('td', { class: 'num', text: Number.isFinite(v.score) ? v.score.toFixed(2) : '–' }),
        el('td', {}, el('span', { class: `pill ${v.label}`, text: v.label || '–' })),
        el('td', { text: v.accepted === undefined ? '–' : v.accepted ? 'kept' : 'filtered' }),
        el('td', { class: 'small', text: v.rationale || '' })
      );
    })
  );
  const deg = Array.isArray(out.degraded) ? out.degraded : [];
  $('#degraded').replaceChildren(
    ...(deg.length
      ? deg.map((d) => el('li', { text: typeof d === 'string' ? d : JSON.stringify(d) }))
      : [el('li', { class: 'muted', text: 'None.' })])
  );
  const usage = out.usage || {};
  const calls = rows.length;
  const agentsSeen = new Set(rows.map((r) => r.agent));
  $('#trace-meta').textContent =
    `${calls} agent call${calls === 1 ? '' : 's'} (${AGENTS.filter((a) => agentsSeen.has(a)).map((a) => a.toUpperCase()).join(', ')}) in ${fmtMs(ms)}` +
    (usage.prompt_tokens || usage.completion_tokens
      ? `, ${(usage.prompt_tokens || 0) + (usage.completion_tokens || 0)} tokens`
      : '') +
    (ui.settings.backend === 'offline' ? ', offline reasoner.' : `, model ${ui.settings.model} via the edge worker.`);
}

// Nothing of a forgotten history stays on screen: the trace quotes it (S_user).
function clearTrace() {
  ui.progress = [];
  $('#timeline').replaceChildren();
  $('#s-user').textContent = '–';
  $('#s-ctx').textContent = '–';
  $('#nli tbody').replaceChildren();
  $('#degraded').replaceChildren(el('li', { class: 'muted', text: 'None.' }));
  $('#trace-meta').textContent = 'No recommendation yet.';
}

function renderRecs(out) {
  const list = out.items.map((r, i) => {
    const it = r.item || ui.byId.get(r.id) || { title: r.id };
    return el(
      'li',
      { class: 'rec', 'data-id': r.id },
      el('div', { class: 'rec-head' }, el('span', { class: 'rank', text: String(i + 1) }), el('button', { type: 'button', class: 'link view', 'data-id': r.id, text: it.title })),
      el('p', { class: 'reason', text: r.reason || '(no reason given)' }),
      el('p', { class: 'meta' }, [it.brand, money(it.price), Number.isFinite(r.score) ? `score ${r.score.toFixed(2)}` : ''].filter(Boolean).join(' · '))
    );
  });
  $('#recs').replaceChildren(...list);
}

// ---------------------------------------------------------------- worker
worker.onmessage = (e) => {
  const m = e.data;
  switch (m.type) {
    case 'ready':
      setStatus(`Module ready (${m.items} products indexed in ${fmtMs(m.ms)}).`);
      document.body.dataset.ready = 'true';
      break;
    case 'history':
      renderHistory(m);
      break;
    case 'progress':
      if (m.seq !== ui.seq) {
        ui.seq = m.seq;
        ui.progress = [];
      }
      if (m.ev.type === 'begin') {
        setStatus('Ranking…', true);
        $('#progress-text').textContent = 'Retrieving candidates…';
        break;
      }
      ui.progress.push(m);
      if (m.ev.agent) {
        $('#progress-text').textContent = `${AGENT_NAMES[m.ev.agent] || m.ev.agent} ${m.ev.type === 'start' ? 'working' : 'done'}…`;
        renderTimeline(timelineRows(null));
      }
      break;
    case 'result':
      if (m.seq < ui.seq) break;
      ui.seq = m.seq;
      renderRecs(m.out);
      renderTrace(m.out, m.ms);
      ui.progress = [];
      setStatus(`${m.out.items.length} recommendations in ${fmtMs(m.ms)}${m.out.degraded && m.out.degraded.length ? ' (degraded, see the trace)' : ''}.`);
      document.body.dataset.recs = String(m.seq);
      break;
    case 'idle':
      if (m.seq < ui.seq) break;
      ui.seq = m.seq;
      $('#recs').replaceChildren();
      clearTrace();
      setStatus(m.reason === 'forgotten' ? 'History forgotten.' : 'View, add to cart or buy a product to get recommendations.');
      break;
    case 'settings':
      ui.settings = m.settings;
      break;
    case 'error':
      setStatus(`Error: ${m.message}`);
      break;
  }
};
worker.onerror = (e) => setStatus(`Worker failed: ${e.message || 'see the console'}`);

// ---------------------------------------------------------------- settings
function loadSettings() {
  try {
    const s = JSON.parse(localStorage.getItem(SETTINGS_KEY) || '{}');
    ui.settings = { ...ui.settings, ...s };
  } catch {
    /* defaults */
  }
  if (!ui.settings.edgeUrl) ui.settings.edgeUrl = ui.config.edgeOrigin || '';
}

function openSettings() {
  const f = $('#settings-form');
  f.backend.value = ui.settings.backend;
  f.edgeUrl.value = ui.settings.edgeUrl;
  f.model.value = ui.settings.model;
  f.k.value = ui.settings.k;
  $('#edge-hint').textContent =
    'The page holds no API key: the edge worker adds it. ' +
    (ui.config.edgeOrigin ? `This server's Content-Security-Policy allows ${ui.config.edgeOrigin}.` : '');
  $('#settings').showModal();
}

function saveSettings() {
  const f = $('#settings-form');
  const s = {
    backend: f.backend.value === 'openai' ? 'openai' : 'offline',
    edgeUrl: f.edgeUrl.value.trim(),
    model: f.model.value.trim() || 'gpt-4o-mini',
    k: Math.max(1, Math.min(20, Number(f.k.value) || 6)),
  };
  ui.settings = s;
  localStorage.setItem(SETTINGS_KEY, JSON.stringify(s));
  worker.postMessage({ type: 'settings', settings: s });
  setStatus('Settings saved. Re-ranking…', true);
}

// ---------------------------------------------------------------- start
async function start() {
  const [config, catalog] = await Promise.all([
    fetch('./config.json').then((r) => r.json()),
    fetch('./catalog.json').then((r) => r.json()),
  ]);
  ui.config = config;
  ui.items = catalog.items;
  ui.byId = new Map(catalog.items.map((it) => [it.id, it]));
  ui.catLevel = chooseCategoryLevel(catalog.items);
  $('#catalog-info').textContent = `${catalog.items.length} products · ${catalog.source === 'sample' ? 'fictional sample catalog' : `data set ${catalog.source}`}`;
  const cats = [...new Set(catalog.items.map(category))].sort();
  $('#category').append(...cats.map((c) => el('option', { value: c, text: c })));
  renderGrid();
  loadSettings();
  worker.postMessage({ type: 'init', settings: ui.settings });

  $('#filters').addEventListener('submit', (e) => e.preventDefault());
  $('#search').addEventListener('input', () => {
    ui.shown = PAGE;
    renderGrid();
  });
  $('#category').addEventListener('change', () => {
    ui.shown = PAGE;
    renderGrid();
  });
  $('#more').addEventListener('click', () => {
    ui.shown += PAGE;
    renderGrid();
  });
  $('#grid').addEventListener('click', onAction);
  $('#recs').addEventListener('click', onAction);
  $('#forget').addEventListener('click', () => {
    worker.postMessage({ type: 'forget' });
    setStatus('Forgetting…', true);
  });
  $('#product-cart').addEventListener('click', () => ui.current && record(ui.current, 'cart'));
  $('#product-buy').addEventListener('click', () => ui.current && record(ui.current, 'purchase'));
  $('#settings-open').addEventListener('click', openSettings);
  $('#settings').addEventListener('close', () => {
    if ($('#settings').returnValue === 'save') saveSettings();
  });
}

start().catch((e) => setStatus(`Could not start: ${e.message}`));
