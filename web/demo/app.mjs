// The shop page: product grid, cart, checkout, the "Recommended for you" shelf and the
// agents' trace. The arag module runs in a Web Worker (worker.mjs) so the page never
// blocks on it; this file draws what the worker reports. The shelf is drawn the moment it
// arrives; the history and the trace after the next paint.
import { money } from './money.mjs';
import { blankPicture, drawPicture, pictureParts, productPicture } from './pictures.mjs';
import { SHELF_BYTES, readShelf } from './shelf-channel.mjs';

const $ = (sel) => document.querySelector(sel);
const PAGE = 24;
const AGENTS = ['uua', 'nli', 'csa', 'ira'];
const AGENT_NAMES = { uua: 'User understanding', nli: 'NLI', csa: 'Context summary', ira: 'Item ranker' };
const SETTINGS_KEY = 'arag-demo-settings';
const CART_KEY = 'arag-demo-cart';

const ui = {
  items: [],
  byId: new Map(),
  catLevel: 0,
  shown: PAGE,
  config: { edgeOrigin: '' },
  settings: { backend: 'offline', edgeUrl: '', model: 'gpt-4o-mini', k: 6 },
  seq: 0, // the newest recommendation the worker spoke of
  shelfSeq: 0, // the shelf on screen
  progress: [], // progress events of the current recommendation (with a model)
  current: null, // product id shown in the dialog
  opener: null, // what opened the product dialog: focus goes back there
  openedFrom: null, // 'shelf' or 'grid'
  cart: [], // [{id, qty}]
  clickAt: null, // when the shopper's last action was, for the timing marks
};

const worker = new Worker(new URL('./worker.mjs', import.meta.url), { type: 'module' });
// The shelf's fast path (shelf-channel.mjs), when the page is cross-origin isolated.
const shared = self.crossOriginIsolated ? new SharedArrayBuffer(SHELF_BYTES) : null;

// ---------------------------------------------------------------- helpers
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

const fmtMs = (ms) => (ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`);
const category = (it) => (it.categories && it.categories[ui.catLevel]) || 'Other';
const afterPaint = (fn) => requestAnimationFrame(() => setTimeout(fn, 0));
// A shelf is awaited from the shopper's action until it is drawn (for a second at most: a
// model's answer, or an error, can take longer).
const awaitingShelf = () => ui.clickAt !== null && performance.now() - ui.clickAt < 1000;

// The spinner shows only when a ranking takes long enough to be seen waiting (a model):
// the offline reasoner answers before it would appear.
let spinnerTimer = null;
function setStatus(text, busy = false) {
  // Each is written only when it changes: a write lays out the status again.
  if ($('#status').textContent !== text) $('#status').textContent = text;
  if ($('#recs-panel').getAttribute('aria-busy') !== String(busy)) $('#recs-panel').setAttribute('aria-busy', String(busy));
  clearTimeout(spinnerTimer);
  // Touched only when it changes: showing or hiding it lays out the whole panel.
  if (!busy && !$('#progress').hidden) $('#progress').hidden = true;
  else if (busy) spinnerTimer = setTimeout(() => ($('#progress').hidden = false), 300);
}

// Pictures are drawn once per product and copied after that.
const pictures = new Map();
function picture(it) {
  if (!pictures.has(it.id)) pictures.set(it.id, productPicture(it));
  return pictures.get(it.id).cloneNode(true);
}

// The next shelf's products are often among this recommendation's candidates: what their
// pictures show is worked out while the page is idle, so that the next shelf only sets it.
function preparePictures(ids) {
  const todo = ids.filter((id) => ui.byId.has(id));
  const step = (deadline) => {
    while (todo.length && deadline.timeRemaining() > 1) pictureParts(ui.byId.get(todo.shift()));
    if (todo.length) requestIdleCallback(step);
  };
  if (todo.length) requestIdleCallback(step);
}

let noticeTimer = null;
function notify(text, level = 'ok') {
  const n = $('#notice');
  n.textContent = text;
  n.className = `notice ${level}`;
  n.hidden = false;
  clearTimeout(noticeTimer);
  // Warnings stay until something replaces them; confirmations fade.
  if (level === 'ok') noticeTimer = setTimeout(() => (n.hidden = true), 6000);
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

function card(it) {
  return el(
    'li',
    { class: 'card', 'data-id': it.id },
    picture(it),
    el('h3', {}, el('button', { type: 'button', class: 'link view', 'data-id': it.id, text: it.title })),
    el('p', { class: 'meta' }, [it.brand, category(it)].filter(Boolean).join(' · ')),
    el('p', { class: 'price' }, money(it.price)),
    el(
      'div',
      { class: 'row' },
      // Both words are in the button, one of them hidden: saying "Added" is a class (a
      // repaint), not a new text (a layout of the grid, up to the page).
      el(
        'button',
        { type: 'button', class: 'ack', 'data-act': 'cart', 'data-id': it.id, 'aria-label': `Add ${it.title} to cart` },
        el('span', { class: 'ack-idle', text: 'Add to cart' }),
        el('span', { class: 'ack-done', text: 'Added ✓' })
      ),
      el('button', { type: 'button', class: 'primary', 'data-act': 'purchase', 'data-id': it.id, 'aria-label': `Buy ${it.title} now`, text: 'Buy now' })
    )
  );
}

function renderGrid() {
  const list = filtered();
  $('#grid').replaceChildren(...list.slice(0, ui.shown).map(card));
  $('#grid-count').textContent = `(${list.length})`;
  $('#more').hidden = list.length <= ui.shown;
  if (!list.length) $('#grid').append(el('li', { class: 'muted empty', text: 'No product matches.' }));
}

// ---------------------------------------------------------------- events
// What the page shows for an action (the button's acknowledgment, the cart count, the
// status) waits for the re-ranked shelf and is drawn with it, in the same frame: a change
// drawn at once would cost a frame of its own before the shelf's. A model's slow answer
// does not hold it back for more than FEEDBACK_MS.
const FEEDBACK_MS = 100;
const feedback = [];
let feedbackTimer = null;
function later(fn) {
  feedback.push(fn);
  if (!feedbackTimer) feedbackTimer = setTimeout(flushFeedback, FEEDBACK_MS);
}
// With the shelf here, a "Re-ranking…" still waiting is no news: it is dropped.
function flushFeedback(shelf = false) {
  clearTimeout(feedbackTimer);
  feedbackTimer = null;
  for (const fn of feedback.splice(0)) if (!(shelf && fn === reranking)) fn();
}
const reranking = () => setStatus('Re-ranking…', true);

function record(id, kind) {
  if (!ui.byId.has(id)) return;
  ui.clickAt = performance.now();
  // With shared memory the page looks for the shelf there in each frame until it comes.
  worker.postMessage({ type: 'event', id, kind, watched: Boolean(shared) });
  later(reranking);
  watchShelf();
}

// While a shelf is awaited, each animation frame looks into shared memory for it. The
// first frame after an action usually comes before the worker has ranked (Chromium draws
// right after input): that frame waits for the shelf, up to SHELF_WAIT_MS after the action,
// so the shelf is drawn in it instead of a frame later. A frame that shows nothing new
// (the action's own feedback waits for the shelf) would be spent for nothing. It waits
// only when the last shelves came within that time, two of the last three (a larger
// catalog, or a busy device, ranks later, and the wait would be in vain; one late shelf, a
// pause of the device, does not stop it), and not on a device with one core, where it
// would hold up the worker itself.
const SHELF_WAIT_MS = navigator.hardwareConcurrency > 1 ? 12 : 0;
const readyTimes = []; // the last three shelves' times from the action to the shelf written (ms)
const typicalReady = () => (readyTimes.length ? [...readyTimes].sort((a, b) => a - b)[readyTimes.length >> 1] : 0);
let watching = false;
function watchShelf() {
  if (!shared || watching) return;
  watching = true;
  const look = () => {
    let shelf = readShelf(shared, ui.shelfSeq);
    const until = ui.clickAt === null || typicalReady() > SHELF_WAIT_MS ? 0 : ui.clickAt + SHELF_WAIT_MS;
    while (!shelf && performance.now() < until) shelf = readShelf(shared, ui.shelfSeq);
    if (shelf) {
      watching = false;
      showShelf(shelf);
    } else if ($('#recs-panel').getAttribute('aria-busy') === 'true' || feedback.length) requestAnimationFrame(look);
    else watching = false;
  };
  requestAnimationFrame(look);
}

function openProduct(id, opener) {
  const it = ui.byId.get(id);
  if (!it) return;
  ui.current = id;
  ui.opener = opener || null;
  ui.openedFrom = opener && opener.closest('#recs') ? 'shelf' : 'grid';
  $('#product-picture').replaceChildren(picture(it));
  $('#product-title').textContent = it.title;
  $('#product-meta').textContent = [it.brand, (it.categories || []).join(' › ')].filter(Boolean).join(' · ');
  $('#product-price').textContent = money(it.price);
  $('#product-text').textContent = it.text || 'No description.';
  const dlg = $('#product');
  if (!dlg.open) dlg.showModal();
  record(id, 'view');
}

// Focus after the product dialog closes: where it was opened from, or, when the shelf has
// re-ranked under it (the view is an event), the same product on the new shelf, else the
// shelf's heading.
function restoreFocus() {
  const id = CSS.escape(ui.current || '');
  let target = ui.opener && ui.opener.isConnected ? ui.opener : null;
  if (!target && ui.openedFrom === 'shelf') target = document.querySelector(`#recs button.view[data-id="${id}"]`) || $('#recs-title');
  if (!target) target = document.querySelector(`#grid button.view[data-id="${id}"]`) || $('#recs-title');
  target.focus();
  ui.opener = null;
}

function onAction(e) {
  const btn = e.target.closest('button[data-id]');
  if (!btn) return;
  const id = btn.getAttribute('data-id');
  if (btn.classList.contains('view')) openProduct(id, btn);
  else if (btn.dataset.act === 'cart') addToCart(id, btn);
  else if (btn.dataset.act === 'purchase') buyNow(id);
}

// ---------------------------------------------------------------- cart and orders
function loadCart() {
  try {
    const c = JSON.parse(localStorage.getItem(CART_KEY) || '[]');
    ui.cart = Array.isArray(c) ? c.filter((x) => x && ui.byId.has(x.id) && Number.isInteger(x.qty) && x.qty > 0) : [];
  } catch {
    ui.cart = [];
  }
}

// The count in the header changes at once; the cart reaches localStorage after the paint.
function saveCart() {
  const n = ui.cart.reduce((s, x) => s + x.qty, 0);
  $('#cart-count').textContent = String(n);
  $('#cart-count').setAttribute('aria-label', `${n} item${n === 1 ? '' : 's'}`);
  $('#cart-open').dataset.count = String(n);
  const snapshot = JSON.stringify(ui.cart);
  afterPaint(() => localStorage.setItem(CART_KEY, snapshot));
}

// The button says what happened for a moment (its box keeps its size: nothing else moves).
// A grid card's button holds both words and shows one by its class; another gets the text.
// Taking it back waits while a shelf is awaited: a frame of its own then would come before
// the shelf's.
function acknowledge(btn, text) {
  if (!btn) return;
  const both = btn.classList.contains('ack');
  const was = btn.dataset.label || btn.textContent;
  if (!both) {
    btn.dataset.label = was;
    btn.textContent = text;
  }
  btn.classList.add('done');
  clearTimeout(btn._ack);
  const undo = () => {
    if (awaitingShelf()) return void (btn._ack = setTimeout(undo, 100));
    if (!both) btn.textContent = was;
    btn.classList.remove('done');
  };
  btn._ack = setTimeout(undo, 1500);
}

function addToCart(id, btn) {
  // The worker starts re-ranking before the page draws anything.
  record(id, 'cart');
  const line = ui.cart.find((x) => x.id === id);
  if (line) line.qty++;
  else ui.cart.push({ id, qty: 1 });
  later(() => {
    saveCart();
    acknowledge(btn, 'Added ✓');
  });
}

const total = (lines) => lines.reduce((s, x) => s + (ui.byId.get(x.id).price || 0) * x.qty, 0);

function lineItem(x, removable) {
  const it = ui.byId.get(x.id);
  return el(
    'li',
    { class: 'line', 'data-id': x.id },
    picture(it),
    el('span', { class: 'line-title' }, it.title, el('span', { class: 'muted small' }, ` × ${x.qty}`)),
    el('span', { class: 'line-price' }, money((it.price || 0) * x.qty)),
    removable ? el('button', { type: 'button', class: 'remove', 'data-remove': x.id, 'aria-label': `Remove ${it.title} from the cart`, text: 'Remove' }) : null
  );
}

function renderCart() {
  $('#cart-items').replaceChildren(...ui.cart.map((x) => lineItem(x, true)));
  $('#cart-empty').hidden = ui.cart.length > 0;
  $('#cart-total').textContent = money(total(ui.cart));
  $('#checkout').disabled = ui.cart.length === 0;
}

function removeFromCart(id) {
  const i = ui.cart.findIndex((x) => x.id === id);
  if (i < 0) return;
  ui.cart.splice(i, 1);
  saveCart();
  renderCart();
  // Focus goes to the next line's Remove (or the one before), else to "Keep shopping".
  const buttons = $('#cart-items').querySelectorAll('.remove');
  (buttons[Math.min(i, buttons.length - 1)] || $('#cart-close')).focus();
}

function placeOrder(lines) {
  ui.clickAt = performance.now();
  $('#notice').hidden = true;
  worker.postMessage({ type: 'events', list: lines.map((x) => ({ id: x.id, kind: 'purchase' })) });
  setStatus('Re-ranking…', true);
  $('#order-items').replaceChildren(...lines.map((x) => lineItem(x, false)));
  $('#order-total').textContent = money(total(lines));
  $('#order').showModal();
}

function buyNow(id) {
  placeOrder([{ id, qty: 1 }]);
}

function checkout() {
  const lines = ui.cart.slice();
  if (!lines.length) return;
  $('#cart').close();
  ui.cart = [];
  saveCart();
  placeOrder(lines);
}

// ---------------------------------------------------------------- history
function renderHistory(msg) {
  const n = msg.count;
  const hc = $('#history-count');
  hc.textContent = `(${n} event${n === 1 ? '' : 's'})`;
  hc.dataset.count = String(n);
  const label = { view: 'viewed', cart: 'added to cart', purchase: 'bought' };
  const items = msg.events
    .slice()
    .reverse()
    .map((ev) => el('li', { 'data-id': ev.id, 'data-kind': ev.kind }, el('span', { class: `kind ${ev.kind}`, text: label[ev.kind] || ev.kind }), ' ', ev.title));
  $('#history').replaceChildren(...items);
  $('#forget').disabled = n === 0 && ui.cart.length === 0;
}

// ---------------------------------------------------------------- shelf
// The shelf's rows stay on the page from one shelf to the next: a new shelf changes in each
// row only what differs (its product, rank or reason), so the frame that draws it creates
// only the pictures of products new to a row, and lays out and paints only what changed.
function shelfRow() {
  return el(
    'li',
    { class: 'rec' },
    blankPicture(),
    el('span', { class: 'rank' }),
    el('button', { type: 'button', class: 'link view' }),
    el('p', { class: 'reason' }),
    el('p', { class: 'meta' })
  );
}

// The shelf keeps its place on the page before its first products come: its rows, as grey
// outlines of them. Nothing moves when the products come, and the first shelf only fills
// the rows.
function renderEmptyShelf() {
  const k = Math.max(1, Math.min(20, Number(ui.settings.k) || 6));
  $('#recs').style.setProperty('--k', String(k));
  $('#recs').replaceChildren(
    ...Array.from({ length: k }, () => {
      const row = shelfRow();
      row.classList.add('skeleton');
      row.setAttribute('aria-hidden', 'true');
      return row;
    })
  );
}

const setText = (e, text) => {
  if (e.textContent !== text) e.textContent = text;
};

function fillRow(row, r, rank) {
  const [pic, num, , reason, meta] = row.children;
  let title = row.children[2];
  if (row.dataset.id !== r.id) {
    const it = ui.byId.get(r.id) || { id: r.id, title: r.id };
    // The button that opened the product's dialog is where the browser puts the focus
    // back when the dialog closes: it must not show another product by then (restoreFocus
    // finds the product's place on the new shelf).
    if (title === ui.opener) title.replaceWith((title = title.cloneNode(false)));
    row.dataset.id = title.dataset.id = r.id;
    setText(title, it.title);
    setText(meta, [it.brand, money(it.price)].filter(Boolean).join(' · '));
    drawPicture(pic, it);
  }
  setText(num, String(rank));
  setText(reason, r.reason);
  if (row.classList.contains('skeleton')) {
    row.classList.remove('skeleton');
    row.removeAttribute('aria-hidden');
  }
}

function renderShelf(items, list = $('#recs')) {
  // A shopper on the shelf with the keyboard stays there: on the same product if it is
  // still offered, else on the shelf's heading.
  const focused = list.contains(document.activeElement) ? document.activeElement.dataset.id || '' : null;
  if (list.style.getPropertyValue('--k') !== String(items.length)) list.style.setProperty('--k', String(items.length));
  while (list.children.length > items.length) list.lastChild.remove();
  while (list.children.length < items.length) list.append(shelfRow());
  items.forEach((r, i) => fillRow(list.children[i], r, i + 1));
  if (focused !== null && document.activeElement.dataset.id !== focused) (list.querySelector(`button.view[data-id="${CSS.escape(focused)}"]`) || $('#recs-title')).focus();
}

// Where the time went from the shopper's action to the shelf on screen: marks in the
// page's time (the worker's times are moved over by the two time origins).
function markTiming(t, shown, clickAt) {
  if (clickAt === null || !t || t.recv === undefined) return;
  const shift = t.origin - performance.timeOrigin;
  const at = (x) => x + shift;
  const m = (name, start, end) => {
    if (end >= start) performance.measure(`arag:${name}`, { start, end });
  };
  m('to-worker', clickAt, at(t.recv));
  m('history', at(t.recv), at(t.added));
  m('rank', at(t.added), at(t.ranked));
  m('to-page', at(t.posted), shown.received);
  m('render', shown.received, shown.drawn);
  readyTimes.push(at(t.posted) - clickAt);
  if (readyTimes.length > 3) readyTimes.shift();
}

// ---------------------------------------------------------------- trace
function timelineRows(out) {
  const msgs = out ? (out.trace && out.trace.messages) || [] : [];
  if (msgs.length) {
    const starts = msgs.map((m) => m.started_ms).filter(Number.isFinite);
    const t0 = starts.length ? Math.min(...starts) : 0;
    return msgs.map((m) => ({
      agent: String(m.agent).toLowerCase(),
      batch: Number.isInteger(m.batch) && m.batch >= 0 ? m.batch : undefined,
      start: Number.isFinite(m.started_ms) ? m.started_ms - t0 : 0,
      ms: Number.isFinite(m.started_ms) && Number.isFinite(m.ended_ms) ? m.ended_ms - m.started_ms : 0,
      status: m.status,
      fallback: m.fallback,
    }));
  }
  // While a model works: rows from the progress events.
  const rows = [];
  const open = new Map();
  for (const p of ui.progress) {
    const ev = p.ev;
    if (!ev.agent) continue;
    const key = `${ev.agent}:${ev.requestId}`;
    if (ev.type === 'start') open.set(key, rows.push({ agent: ev.agent, batch: ev.batch, start: p.t, ms: undefined, status: 'running' }) - 1);
    else if (ev.type === 'end' && open.has(key)) Object.assign(rows[open.get(key)], { ms: p.t - rows[open.get(key)].start, status: ev.status });
  }
  return rows;
}

function renderTimeline(rows) {
  const total = Math.max(1, ...rows.map((r) => r.start + (r.ms || 0)));
  $('#timeline').replaceChildren(
    ...rows.map((r) => {
      const bar = el('span', { class: `bar ${r.agent}` });
      bar.style.setProperty('--left', `${(100 * r.start) / total}%`);
      bar.style.setProperty('--width', `${Math.max(1.5, (100 * (r.ms || 0)) / total)}%`);
      const name = `${AGENT_NAMES[r.agent] || r.agent}${r.batch !== undefined && r.agent === 'nli' ? `, batch ${r.batch + 1}` : ''}`;
      const note = r.fallback ? ` (answered by the ${r.fallback === 'offline' ? 'offline reasoner' : 'retrieval order'})` : '';
      return el(
        'div',
        { class: 'call', role: 'listitem', 'data-agent': r.agent },
        el('span', { class: `tag ${r.agent}`, text: r.agent.toUpperCase() }),
        el('span', { class: 'name', text: `${name}${note}` }),
        el('span', { class: 'track', 'aria-hidden': 'true' }, bar),
        el('span', { class: 'ms', text: r.ms === undefined ? '…' : fmtMs(r.ms) })
      );
    })
  );
}

const CAUSES = {
  network: 'could not reach the model',
  timeout: 'the model took too long',
  budget: 'the call budget was spent',
  deadline: 'the recommendation ran out of time',
  cancelled: 'the call was cancelled',
  refusal: 'the model refused',
  status: 'the model server answered with an error',
  parse: 'the answer could not be used',
};

function fallbackLines(out) {
  const fb = Array.isArray(out.fallbacks) ? out.fallbacks : [];
  const lines = fb.map((f) =>
    el('li', {}, `${(f.agent || f.step || '').toUpperCase()} (${f.step}): ${CAUSES[f.cause] || f.cause}, so the ${f.fallback === 'offline' ? 'offline reasoner answered' : 'retrieval order stood in'}.`)
  );
  const deg = (Array.isArray(out.degraded) ? out.degraded : []).filter((d) => typeof d === 'string');
  if (deg.length) lines.push(el('li', { class: 'muted small' }, `Recorded: ${deg.join(', ')}`));
  return lines.length ? lines : [el('li', { class: 'muted', text: 'None: every agent answered.' })];
}

function renderTrace(out, ms, backend) {
  renderTimeline(timelineRows(out));
  const tr = out.trace && typeof out.trace === 'object' ? out.trace : {};
  $('#s-user').textContent = tr.s_user || '(no summary)';
  $('#s-ctx').textContent = tr.s_ctx || '(no summary)';
  const verdicts = (Array.isArray(tr.nli) ? tr.nli : []).slice().sort((a, b) => (b.score ?? 0) - (a.score ?? 0));
  $('#nli tbody').replaceChildren(
    ...verdicts.map((v) => {
      const it = ui.byId.get(v.id);
      return el(
        'tr',
        { class: `label-${v.label}`, 'data-id': v.id },
        el('th', { scope: 'row', 'data-label': 'Candidate', text: it ? it.title : v.id }),
        el('td', { class: 'num', 'data-label': 'Score', text: Number.isFinite(v.score) ? v.score.toFixed(2) : '–' }),
        el('td', { 'data-label': 'Label' }, el('span', { class: `pill ${v.label}`, text: v.label || '–' })),
        el('td', { 'data-label': 'In I+', text: v.accepted === undefined ? '–' : v.accepted ? 'kept' : 'filtered out' }),
        el('td', { class: 'rationale', 'data-label': 'Why', text: v.rationale || '' })
      );
    })
  );
  $('#degraded').replaceChildren(...fallbackLines(out));
  const rows = (tr.messages || []).length;
  const seen = new Set((tr.messages || []).map((m) => String(m.agent).toLowerCase()));
  const usage = out.usage || {};
  const tokens = (usage.prompt_tokens || 0) + (usage.completion_tokens || 0);
  $('#trace-meta').textContent =
    `${rows} agent call${rows === 1 ? '' : 's'} (${AGENTS.filter((a) => seen.has(a)).map((a) => a.toUpperCase()).join(', ')}) in ${fmtMs(ms)}, ` +
    `${verdicts.length} candidates` +
    (tokens ? `, ${tokens} tokens` : '') +
    (backend === 'openai' ? `, model ${ui.settings.model} through the edge worker.` : ', offline reasoner.');
  $('#trace-body').hidden = false;
  $('#trace-empty').hidden = true;
}

// The trace is drawn when it is on screen (or nearly): a shopper who never looks at it
// never pays for it, and one who does sees the latest.
let traceInView = false;
let pendingTrace = null;
function showTrace(m) {
  pendingTrace = m;
  if (traceInView) drawPendingTrace();
}
function drawPendingTrace() {
  const m = pendingTrace;
  if (!m || m.seq !== ui.shelfSeq) return;
  pendingTrace = null;
  renderTrace(m.out, m.ms, m.backend);
  document.body.dataset.traceDrawn = String(m.seq);
}
new IntersectionObserver(
  (entries) => {
    traceInView = entries.some((e) => e.isIntersecting);
    if (traceInView) drawPendingTrace();
  },
  { rootMargin: '0px' }
).observe(document.querySelector('.trace'));

// Nothing of a forgotten history stays on screen: the trace quotes it (S_user).
function clearTrace() {
  pendingTrace = null;
  ui.progress = [];
  $('#timeline').replaceChildren();
  $('#s-user').textContent = '–';
  $('#s-ctx').textContent = '–';
  $('#nli tbody').replaceChildren();
  $('#degraded').replaceChildren(el('li', { class: 'muted', text: 'None: every agent answered.' }));
  $('#trace-meta').textContent = 'No recommendation yet.';
  $('#trace-body').hidden = true;
  $('#trace-empty').hidden = false;
}

// A shelf from the worker, by shared memory or by message, whichever comes first.
function showShelf(m) {
  if (m.seq <= ui.shelfSeq || m.seq < ui.seq) return;
  ui.seq = ui.shelfSeq = m.seq;
  const received = performance.now();
  flushFeedback(true);
  renderShelf(m.items);
  setStatus(`${m.items.length} products for you, re-ranked ${m.backend === 'openai' ? 'by the model' : 'by the offline reasoner'}.`);
  document.body.dataset.recs = String(m.seq);
  const shown = { received, drawn: performance.now() };
  const clickAt = ui.clickAt;
  ui.clickAt = null;
  // The history, the trace and the timing marks are not what the shopper waits for: after
  // the shelf is on screen, so they never delay it.
  afterPaint(() => {
    markTiming(m.timing, shown, clickAt);
    worker.postMessage({ type: 'details', seq: m.seq });
  });
}

// ---------------------------------------------------------------- worker
worker.onmessage = (e) => {
  const m = e.data;
  switch (m.type) {
    case 'ready':
      setStatus(`Ready: ${m.items} products indexed in ${fmtMs(m.ms)}.`);
      document.body.dataset.ready = 'true';
      // The page's own first shelf is drawn once, hidden off screen in the shelf's panel
      // and laid out, so that the first real one runs warm code and a warm layout (the
      // worker warms its side the same way).
      setTimeout(() => {
        const warm = el('ol', { class: 'recs-list warm', 'aria-hidden': 'true' });
        $('#recs-panel').append(warm);
        renderShelf(ui.items.slice(0, 6).map((it) => ({ id: it.id, reason: it.title })), warm);
        warm.getBoundingClientRect();
        afterPaint(() => warm.remove());
      }, 0);
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
        setStatus('Asking the model…', true);
        $('#progress-text').textContent = 'Retrieving candidates…';
        break;
      }
      ui.progress.push(m);
      if (m.ev.agent) {
        $('#progress-text').textContent = `${AGENT_NAMES[m.ev.agent] || m.ev.agent} ${m.ev.type === 'start' ? 'working' : 'done'}…`;
        renderTimeline(timelineRows(null));
      }
      break;
    case 'shelf':
      showShelf(m);
      break;
    case 'trace': {
      if (m.seq !== ui.shelfSeq || m.seq < ui.seq) break;
      ui.progress = [];
      const fb = m.out.fallbacks || [];
      if (fb.length) setStatus(`${$('#recs').children.length} products for you. The model failed for ${fb.length} agent call${fb.length === 1 ? '' : 's'}; the offline reasoner answered instead (see the trace).`);
      document.body.dataset.trace = String(m.seq);
      showTrace(m);
      preparePictures(((m.out.trace && m.out.trace.nli) || []).map((v) => v.id));
      break;
    }
    case 'idle':
      if (m.seq < ui.seq) break;
      ui.seq = ui.shelfSeq = m.seq;
      renderEmptyShelf();
      clearTrace();
      setStatus(
        m.reason === 'forgotten'
          ? 'Your history is forgotten. View, add to the cart or buy a product to get recommendations again.'
          : 'View, add to the cart or buy a product: recommendations appear here.'
      );
      document.body.dataset.idle = String(m.seq);
      break;
    case 'notice':
      notify(m.text, m.level);
      break;
    case 'settings':
      ui.settings = m.settings;
      break;
    case 'error':
      setStatus(`Something went wrong: ${m.message}`);
      break;
  }
};
worker.onerror = (e) => setStatus(`The shop's worker failed: ${e.message || 'see the console'}`);

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
    'The page holds no API key: the edge worker adds it. ' + (ui.config.edgeOrigin ? `This server's Content-Security-Policy allows ${ui.config.edgeOrigin}.` : '');
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
  setStatus(s.backend === 'openai' ? 'Checking the edge worker…' : 'Settings saved. Re-ranking…', true);
}

// ---------------------------------------------------------------- start
async function start() {
  const [config, catalog] = await Promise.all([fetch('./config.json').then((r) => r.json()), fetch('./catalog.json').then((r) => r.json())]);
  ui.config = config;
  ui.items = catalog.items;
  ui.byId = new Map(catalog.items.map((it) => [it.id, it]));
  ui.catLevel = chooseCategoryLevel(catalog.items);
  $('#catalog-info').textContent = `${catalog.items.length} products · ${catalog.source === 'sample' ? 'a fictional sample shop' : `data set ${catalog.source}`}`;
  const cats = [...new Set(catalog.items.map(category))].sort();
  $('#category').append(...cats.map((c) => el('option', { value: c, text: c })));
  renderGrid();
  renderEmptyShelf();
  loadCart();
  saveCart();
  loadSettings();
  worker.postMessage({ type: 'init', settings: ui.settings, shared });

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
  $('#product-cart').addEventListener('click', () => ui.current && addToCart(ui.current, $('#product-cart')));
  $('#product-buy').addEventListener('click', () => {
    if (!ui.current) return;
    $('#product').close();
    buyNow(ui.current);
  });
  $('#product').addEventListener('close', () => {
    if (!$('#order').open) restoreFocus();
  });
  $('#cart-open').addEventListener('click', () => {
    renderCart();
    $('#cart').showModal();
  });
  $('#cart-items').addEventListener('click', (e) => {
    const b = e.target.closest('button[data-remove]');
    if (b) removeFromCart(b.dataset.remove);
  });
  $('#checkout').addEventListener('click', checkout);
  $('#order').addEventListener('close', () => $('#recs-title').focus());
  $('#forget').addEventListener('click', () => $('#forget-confirm').showModal());
  $('#forget-confirm').addEventListener('close', () => {
    if ($('#forget-confirm').returnValue !== 'forget') return;
    ui.cart = [];
    saveCart();
    worker.postMessage({ type: 'forget' });
    setStatus('Forgetting…', true);
    $('#recs-title').focus();
  });
  $('#settings-open').addEventListener('click', openSettings);
  $('#settings').addEventListener('close', () => {
    if ($('#settings').returnValue === 'save') saveSettings();
  });
}

start().catch((e) => setStatus(`Could not start: ${e.message}`));
