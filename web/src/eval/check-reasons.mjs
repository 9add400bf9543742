// The reason checker: every claim of every recommended item, checked against the catalog
// and the shopper's history, and what the shelf shows (variants of one product, one
// brand's share). It reads the data itself (catalog-facts.mjs), never the module's own
// evidence code, so a wrong claim cannot pass because the code that made it agrees.
//
// Claims come from an item's `evidence` (one claim per entry, see include/arag.h); an
// item without `evidence` (results of the module before evidence existed) has its claims
// read from the reason text that module wrote (legacy-reasons.mjs).
import { areVariants, brandField, CatalogFacts, words } from './catalog-facts.mjs';
import { legacyClaims } from './legacy-reasons.mjs';

const KINDS_OF_EVENT = ['view', 'cart', 'purchase', 'rating'];

// The history the engine saw: the last (session_len + long_term_len) events, as the
// result's trace names them. Each event: { id, kind, item }.
export function contextOf(result, history, facts) {
  const ctx = (result.trace && result.trace.context) || {};
  const ids = [...(ctx.long_term || []), ...(ctx.session || [])];
  const tail = history.slice(history.length - ids.length);
  const same = tail.length === ids.length && tail.every((e, i) => e.id === ids[i]);
  return {
    ok: same,
    events: tail.map((e) => ({ id: e.id, kind: KINDS_OF_EVENT.includes(e.kind) ? e.kind : 'purchase', item: facts.byId.get(e.id) || { id: e.id, title: e.title || '' } })),
    sessionFrom: tail.length - (ctx.session || []).length,
  };
}

// Numbers as the result JSON writes them (15 significant digits when they read back
// within a rounding error, as cJSON does), and f32 weights.
const near = (a, b) => a === b || Math.abs(a - b) <= 4e-16 * Math.max(Math.abs(a), Math.abs(b)) || Math.fround(a) === Math.fround(b);
const sameSet = (a, b) => a.length === b.length && new Set(a).size === a.length && a.every((x) => b.includes(x));
const fmtIds = (ids) => ids.slice(0, 6).join(', ') + (ids.length > 6 ? ', ...' : '');

function pathOf(item) {
  return Array.isArray(item.categories) ? item.categories : [];
}

function startsWithPath(item, path) {
  const p = pathOf(item);
  return path.length > 0 && path.length <= p.length && path.every((c, i) => p[i] === c);
}

function textWords(item) {
  return new Set(words([item.title, brandField(item), ...pathOf(item), item.text || ''].join(' ')));
}

// A title as a reason quotes it: the whole title, or a cut at a word boundary.
function quotesTitle(quoted, title) {
  if (typeof quoted !== 'string') return true; // not quoted
  const q = quoted.replace(/\u2026$/, '').trimEnd();
  if (q === title) return true;
  return title.startsWith(q) && !/[A-Za-z0-9]/.test(title[q.length] || ' ') && q.length > 0;
}

// Checks one claim: null when it holds, else why not. claim: { kind, ... } with `items`
// (history item ids) as the evidence gives them.
// candidates: the ids the ranker chose from (the result's trace.i0).
export function claimProblem(claim, rec, ctx, facts, candidates) {
  const item = facts.byId.get(rec.id);
  if (!item) return `"${rec.id}" is not in the catalog`;
  if (Array.isArray(claim.alts)) {
    // A quoted title more than one history item has: the claim holds when it holds of one.
    let why = null;
    for (const id of claim.alts) {
      why = claimProblem({ ...claim, alts: undefined, items: [id], title: (facts.byId.get(id) || {}).title }, rec, ctx, facts, candidates);
      if (!why) return null;
    }
    return why;
  }
  const legacy = legacyProblem(claim, rec, item, ctx, facts);
  if (legacy !== undefined) return legacy;
  const evIds = ctx.events.map((e) => e.id);
  // The history items a claim may rest on: every distinct one but the item itself.
  const distinct = [...new Set(evIds)].filter((id) => id !== rec.id);
  const items = Array.isArray(claim.items) ? claim.items : [];
  for (const id of items) if (!evIds.includes(id)) return `"${id}" is not in the history`;
  if (claim.kind !== 'repeat' && items.includes(rec.id)) return 'rests on the item itself';
  if (new Set(items).size !== items.length) return 'an item is counted twice';
  const one = () => (items.length === 1 ? facts.byId.get(items[0]) || ctx.events.find((e) => e.id === items[0]).item : null);
  switch (claim.kind) {
    case 'repeat': {
      if (!sameSet(items, [rec.id])) return `names ${fmtIds(items)}, not the item itself`;
      const bought = ctx.events.filter((e) => e.id === rec.id && e.kind === 'purchase').length;
      if (claim.bought !== undefined && claim.bought !== bought) return `bought ${bought} times, not ${claim.bought}`;
      return null;
    }
    case 'brand': {
      const why = facts.brandProblem(item, claim.brand);
      if (why) return `"${claim.brand}" is not this item's brand: ${why}`;
      const carriers = distinct.filter((id) => !facts.brandProblem(facts.byId.get(id) || { id, title: '' }, claim.brand));
      const want = claim.session ? carriers.filter((id) => ctx.events.findIndex((e, i) => e.id === id && i >= ctx.sessionFrom) >= 0) : carriers;
      if (claim.count !== undefined) return claim.count === want.length ? null : `${want.length} items carry "${claim.brand}", not ${claim.count}`;
      return sameSet(items, want) ? null : `the items with "${claim.brand}" are [${fmtIds(want)}], not [${fmtIds(items)}]`;
    }
    case 'category': {
      const path = claim.path;
      if (!Array.isArray(path) || !path.length) return 'no path';
      if (!startsWithPath(item, path)) return `the item is not in ${path.join(' > ')} (its path: ${pathOf(item).join(' > ')})`;
      const sharers = distinct.filter((id) => startsWithPath(facts.byId.get(id) || {}, path));
      const want = claim.session ? sharers.filter((id) => ctx.events.findIndex((e, i) => e.id === id && i >= ctx.sessionFrom) >= 0) : sharers;
      if (claim.count !== undefined) return claim.count === want.length ? null : `${want.length} items are in it, not ${claim.count}`;
      if (claim.session) return want.length ? null : 'no session item is in it';
      return sameSet(items, want) ? null : `the items in it are [${fmtIds(want)}], not [${fmtIds(items)}]`;
    }
    case 'title_words':
    case 'text_words': {
      const h = one();
      if (!h) return 'names no single history item';
      if (!quotesTitle(claim.title, h.title)) return `"${claim.title}" is not that item's title`;
      const a = claim.kind === 'title_words' ? new Set(facts.wordsOf(item)) : textWords(item);
      const b = claim.kind === 'title_words' ? new Set(facts.wordsOf(h)) : textWords(h);
      if (!Array.isArray(claim.words) || !claim.words.length) return 'no words';
      for (const w of claim.words) {
        const ws = words(w);
        if (!ws.length) return `"${w}" is not a word`;
        if (!ws.every((x) => a.has(x))) return `"${w}" is not in the item's ${claim.kind === 'title_words' ? 'title' : 'text'}`;
        if (!ws.every((x) => b.has(x))) return `"${w}" is not in the ${claim.kind === 'title_words' ? 'title' : 'text'} of ${items[0]}`;
      }
      return null;
    }
    case 'line': {
      const h = one();
      if (!h) return 'names no single history item';
      if (!quotesTitle(claim.title, h.title)) return `"${claim.title}" is not that item's title`;
      const lead = (t) => String(t).split(/[\s,/()]+/).map((w) => w.replace(/[^A-Za-z0-9\u0080-\uffff]/g, '').toLowerCase()).filter(Boolean);
      const a = lead(item.title);
      const b = lead(h.title);
      for (let i = 0; i < claim.words; i++) if (!a[i] || a[i] !== b[i]) return `the titles differ at word ${i + 1}`;
      return null;
    }
    case 'bought_together': {
      const h = one();
      if (!h) return 'names no single history item';
      if (h.id === rec.id) return 'with itself';
      if (!quotesTitle(claim.title, h.title)) return `"${claim.title}" is not that item's title`;
      const w1 = item.related && Object.hasOwn(item.related, h.id) ? item.related[h.id] : undefined;
      const w2 = h.related && Object.hasOwn(h.related, rec.id) ? h.related[rec.id] : undefined;
      if (w1 === undefined && w2 === undefined) return `neither lists the other as bought together`;
      if (claim.count !== undefined && !near(claim.count, Math.max(w1 ?? 0, w2 ?? 0))) return `bought together ${Math.max(w1 ?? 0, w2 ?? 0)} times, not ${claim.count}`;
      return null;
    }
    case 'price': {
      const priced = distinct.map((id) => facts.byId.get(id)).filter((x) => x && Number.isFinite(x.price));
      if (!Number.isFinite(item.price)) return 'the item has no price';
      if (claim.price !== undefined && !near(claim.price, item.price)) return `the price is ${item.price}, not ${claim.price}`;
      if (claim.typical !== undefined) {
        // The module before evidence: "close to your usual price (about P)".
        const lo = Math.min(...priced.map((x) => x.price));
        const hi = Math.max(...priced.map((x) => x.price));
        if (!priced.length || claim.typical < lo - 0.01 || claim.typical > hi + 0.01) return `${claim.typical} is not within your prices`;
        const q = item.price / claim.typical;
        return q >= 0.5 && q <= 2 ? null : `${item.price} is not close to ${claim.typical}`;
      }
      const lo = Math.min(...priced.map((x) => x.price));
      const hi = Math.max(...priced.map((x) => x.price));
      if (!sameSet(items, priced.map((x) => x.id))) return 'not every priced history item is named';
      if (!near(claim.low, lo) || !near(claim.high, hi)) return `your prices run ${lo} to ${hi}, not ${claim.low} to ${claim.high}`;
      return item.price >= lo && item.price <= hi ? null : `${item.price} is outside ${lo} to ${hi}`;
    }
    case 'popular': {
      if (!Number.isFinite(item.popularity)) return 'the item has no popularity';
      const off = claim.rounded ? Math.abs(claim.popularity - item.popularity) > 0.5 : !near(claim.popularity, item.popularity);
      if (claim.popularity !== undefined && off) return `popularity ${item.popularity}, not ${claim.popularity}`;
      const pops = (candidates || []).map((id) => (facts.byId.get(id) || {}).popularity).filter(Number.isFinite).sort((a, b) => b - a);
      const cut = pops[Math.floor((pops.length - 1) / 4)];
      if (pops.length < 4) return `only ${pops.length} candidates have a popularity`;
      return item.popularity >= cut && item.popularity > 0 ? null : 'not among the most popular quarter of the candidates';
    }
    case 'opinion':
      return null; // a similarity the data cannot confirm or refute
    default:
      return `unknown kind "${claim.kind}"`;
  }
}

// The claim forms only the reason text of the module before evidence makes (see
// legacy-reasons.mjs); undefined for the others.
function legacyProblem(claim, rec, item, ctx, facts) {
  const inWindow = (pred, session) => ctx.events.some((e, i) => (!session || i >= ctx.sessionFrom) && pred(e.item));
  const clean = (s) => String(s).replace(/[;\n\r\t(]/g, ' ');
  switch (claim.kind) {
    case 'unread':
      return claim.why;
    case 'repeat':
      if (!claim.self) return undefined;
      if (!ctx.events.some((e) => e.id === rec.id)) return 'the item is not in the history';
      return claimProblem({ kind: 'repeat', items: [rec.id], bought: claim.bought }, rec, ctx, facts);
    case 'category': {
      if (claim.label !== undefined) {
        const p = pathOf(item);
        const d = p.findIndex((c, i) => i >= 1 && clean(c) === claim.label);
        if (d < 0) return `the item's path (${p.join(' > ')}) holds no "${claim.label}" below its root`;
        return claimProblem({ kind: 'category', path: p.slice(0, d + 1), count: claim.count, session: claim.session }, rec, ctx, facts);
      }
      if (!claim.trait) return undefined;
      const named = claim.path.join(' > ');
      const own = pathOf(item).map(clean).join(' > ');
      const cut = Buffer.byteLength(named) >= 80; // the reason cut the path's name at 80 bytes
      const holds = (it) => {
        const p = pathOf(it).map(clean).join(' > ');
        return cut ? p.startsWith(named) : p === named || p.startsWith(`${named} > `);
      };
      if (!holds(item)) return `the item is not in ${named} (its path: ${pathOf(item).join(' > ')})`;
      return inWindow(holds, claim.session) ? null : `no ${claim.session ? 'session ' : ''}history item is in ${named}`;
    }
    case 'brand_trait': {
      const why = facts.brandProblem(item, claim.brand);
      if (why) return `"${claim.brand}" is not this item's brand: ${why}`;
      return inWindow((it) => !facts.brandProblem(it, claim.brand), claim.session) ? null : `no history item carries "${claim.brand}"`;
    }
    case 'word_trait': {
      const w = words(claim.word);
      if (!w.length) return `"${claim.word}" is not a word`;
      const has = (it) => {
        const set = claim.text ? textWords(it) : new Set(facts.wordsOf(it));
        return w.every((x) => set.has(x));
      };
      if (!has(item)) return `the item does not say "${claim.word}"`;
      return inWindow(has, claim.session) ? null : `no history item says "${claim.word}"`;
    }
    default:
      return undefined;
  }
}

// The ids the ranker chose from: the trace's I0.
export function candidateIds(result) {
  const i0 = result.trace && Array.isArray(result.trace.i0) ? result.trace.i0 : [];
  return i0.map((c) => (c && typeof c === 'object' ? c.id : c));
}

// An LLM ranker's citations of one item, checked without the module's own checking: the
// citations its parsed answer holds (the IRA message's output in the trace) against the
// item's evidence (whose claims are checked against the data on their own). A citation
// holds when the evidence has an entry of its kind and every id it names is among that
// entry's items. Every entry marked `cited` must have a citation that holds (else
// `unbacked`), every citation that holds must have marked its entry (else `missed`), and
// the reason a shopper reads (lib.renderReason) must say the entries found here to hold,
// or with none all the evidence (else `beyond` is 1). lib: { renderReason, reasonSentences }.
export function citationCheck(rec, result, lib) {
  const msgs = (result.trace && Array.isArray(result.trace.messages) ? result.trace.messages : []).filter((m) => m && m.agent === 'ira');
  const ranking = msgs.map((m) => (m.output && Array.isArray(m.output.ranking) ? m.output.ranking : [])).flat();
  const entry = ranking.find((e) => e && e.id === rec.id);
  const raw = entry && Array.isArray(entry.cite) ? entry.cite : [];
  const ev = Array.isArray(rec.evidence) ? rec.evidence : [];
  const holding = new Set();
  for (const c of raw) {
    const ids = c && Array.isArray(c.items) ? c.items : [];
    const k = ev.findIndex((e) => e.kind === (c && c.kind) && ids.every((id) => Array.isArray(e.items) && e.items.includes(id)));
    if (k >= 0) holding.add(k);
  }
  const marked = ev.map((e, k) => (e.cited === true ? k : -1)).filter((k) => k >= 0);
  const out = { raw: raw.length, held: holding.size, unbacked: marked.filter((k) => !holding.has(k)).length, missed: [...holding].filter((k) => ev[k].cited !== true).length, beyond: 0 };
  if (lib && lib.renderReason && lib.reasonSentences) {
    const says = holding.size ? ev.filter((_, k) => holding.has(k)) : ev;
    // renderReason reads the marks; the sentences expected come from the entries found here.
    const plain = says.map(({ cited, ...e }) => e);
    out.beyond = lib.renderReason(rec) === lib.reasonSentences(plain, { max: 2 }).join(' ') ? 0 : 1;
  }
  return out;
}

export function claimsOf(rec, ctx) {
  if (Array.isArray(rec.evidence)) return rec.evidence;
  return legacyClaims(rec.reason || '', ctx.events.map((e) => e.item), ctx.sessionFrom);
}

// The shelf measures of one recommendation: items that are a variant of an item shown
// above them or of one the shopper bought or carted in the session (unless the catalog marks
// the item a repeat purchase), and the largest share of one brand.
export function shelfMeasures(ids, ctx, facts) {
  const bought = [];
  for (let i = ctx.sessionFrom; i < ctx.events.length; i++) {
    const e = ctx.events[i];
    if (e.kind === 'purchase' || e.kind === 'cart') bought.push(facts.variantKey(e.item));
  }
  const shown = [];
  let dup = 0;
  const brands = new Map();
  for (const id of ids) {
    const it = facts.byId.get(id);
    if (!it) continue;
    const key = facts.variantKey(it);
    if (shown.some((s) => areVariants(s, key)) || (!it.repeat_purchase && bought.some((b) => areVariants(b, key)))) dup++;
    shown.push(key);
    const b = facts.brandOf(it);
    if (b) brands.set(b, (brands.get(b) || 0) + 1);
  }
  const top = Math.max(0, ...brands.values());
  return { n: ids.length, variantDuplicates: dup, largestBrand: top };
}

// ------------------------------------------------------------------ the run

// Recommends for every user of a data set (history: all but the last interaction, as the
// test split holds out) from the whole catalog, k items each, and checks every claim of
// every item and each shelf. The catalog carries "popularity", "related" and
// "repeat_purchase" from the histories, as `arag eval` gives them. opts: { data (folder), dist, kind, config, k,
// users (0: all), examples (false claims kept per kind, default 5), progress (stream or null),
// llm (an adapter: an LLM ranks, and its citations are checked too; see citationCheck) }.
export async function checkReasons(opts) {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const { pathToFileURL } = await import('node:url');
  const { loadDataset } = await import('./data.mjs');
  const { popularityCounts, relatedCounts, repeatPurchases, withPopularity } = await import('./baselines.mjs');
  const { dist, kind = 'emscripten', config = {}, k = 6, users: maxUsers = 0, examples = 5, progress = null } = opts;
  const data = await loadDataset(opts.data);
  const lines = withPopularity(data.items, popularityCounts(data.users), relatedCounts(data.users), repeatPurchases(data.users));
  const items = lines.map((it) => JSON.parse(it.json));
  const facts = new CatalogFacts(items);
  const lib = await import(pathToFileURL(join(dist, 'index.mjs')).href);
  const wasm = await WebAssembly.compile(await readFile(join(dist, kind === 'wasi' ? 'arag-wasi.wasm' : 'arag.wasm')));
  const arag = await lib.createArag({ wasm, kind });
  const llm = opts.llm || null;
  const rec = await lib.createRecommender({ arag, config, ...(llm ? { llm } : {}) });
  const render = typeof lib.renderReason === 'function' ? lib.renderReason : null;
  const sentences = typeof lib.reasonSentences === 'function' ? lib.reasonSentences : null;
  const reasonLib = render && sentences ? { renderReason: render, reasonSentences: sentences } : null;
  const out = {
    dataset: data.name,
    users: 0,
    k,
    config,
    items: 0,
    claims: 0,
    false_claims: 0,
    by_kind: {},
    reasons_unlike_evidence: 0,
    without_claims: 0,
    shelf: { slots: 0, variant_duplicates: 0, largest_brand_sum: 0, over_half: 0 },
    citations: { items: 0, cited_items: 0, citations: 0, held: 0, dropped: 0, unbacked: 0, missed: 0, reasons_beyond_citations: 0 },
    examples: [],
  };
  try {
    rec.catalog.add(lines.map((it) => it.json).join('\n'));
    const list = maxUsers ? data.users.slice(0, maxUsers) : data.users;
    for (const u of list) {
      const history = u.history.map((e) => ({ id: e.item, ts: e.ts, kind: 'purchase' }));
      rec.history.clear();
      rec.history.add(history);
      const res = await rec.recommend({ k });
      const ctx = contextOf(res, history, facts);
      if (!ctx.ok) throw new Error(`${u.user}: the result's context is not the end of the history`);
      out.users++;
      const cites = res.trace && Array.isArray(res.trace.citations) ? res.trace.citations : null;
      for (const r of res.items) {
        out.items++;
        const claims = claimsOf(r, ctx);
        if (!claims.length) out.without_claims++;
        // An LLM ranker's own text is not what a shopper reads: its items are checked by
        // their citations below.
        if (!llm && render && Array.isArray(r.evidence) && render(r) !== r.reason) out.reasons_unlike_evidence++;
        if (cites) {
          const c = citationCheck(r, res, reasonLib);
          const t = cites.find((x) => x.id === r.id);
          const o = out.citations;
          o.items++;
          o.cited_items += c.held > 0;
          o.citations += c.raw;
          o.held += c.held;
          o.dropped += t ? t.dropped : 0;
          o.unbacked += c.unbacked;
          o.missed += c.missed;
          o.reasons_beyond_citations += c.beyond;
          if ((c.unbacked || c.missed || c.beyond) && out.examples.length < examples * 8) out.examples.push({ user: u.user, item: r.id, citations: c });
        }
        for (const c of claims) {
          const why = claimProblem(c, r, ctx, facts, candidateIds(res));
          const tally = (out.by_kind[c.kind] ||= { claims: 0, false: 0 });
          tally.claims++;
          out.claims++;
          if (why) {
            tally.false++;
            out.false_claims++;
            if (tally.false <= examples) out.examples.push({ user: u.user, item: r.id, reason: r.reason, claim: c, why });
          }
        }
      }
      const shelf = shelfMeasures(res.items.map((r) => r.id), ctx, facts);
      out.shelf.slots += shelf.n;
      out.shelf.variant_duplicates += shelf.variantDuplicates;
      out.shelf.largest_brand_sum += shelf.n ? shelf.largestBrand / shelf.n : 0;
      if (shelf.largestBrand * 2 > shelf.n) out.shelf.over_half++;
      if (progress && out.users % 200 === 0) progress.write(`check-reasons: ${data.name}: ${out.users}/${list.length} users\n`);
    }
  } finally {
    rec.free();
  }
  const r6 = (x) => Math.round(x * 1e6) / 1e6;
  return {
    dataset: out.dataset,
    users: out.users,
    k,
    config,
    items: out.items,
    claims: out.claims,
    false_claims: out.false_claims,
    false_claim_share: out.claims ? r6(out.false_claims / out.claims) : 0,
    items_without_claims: out.without_claims,
    reasons_unlike_evidence: out.reasons_unlike_evidence,
    by_kind: out.by_kind,
    shelf: {
      variant_duplicate_share: out.shelf.slots ? r6(out.shelf.variant_duplicates / out.shelf.slots) : 0,
      largest_brand_share: out.users ? r6(out.shelf.largest_brand_sum / out.users) : 0,
      shelves_over_half_one_brand: out.users ? r6(out.shelf.over_half / out.users) : 0,
    },
    ...(llm ? { citations: out.citations } : {}),
    examples: out.examples,
  };
}
