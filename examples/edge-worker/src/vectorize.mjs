// A catalog past one isolate: its vectors and items in Cloudflare Vectorize (the VECTORIZE
// binding), uploaded from the files `arag catalog build --vectorize DIR` writes (one line
// per item: {id, values, metadata}; the metadata holds the item's fields). The worker
// asks Vectorize for what it would otherwise read from the catalog it holds:
//   - the items of the shopper's events by id (getByIds: their text and vectors),
//   - the catalog's top-k for the shopper's context (query, with the vector
//     rec.contextVector() gives: the one arag's own catalog mode retrieves with), and
//     then those items (getByIds),
// and arag runs its agents on them as candidates given inline.
//
// Vectorize's limits (as documented): topK at most 100 without values and metadata,
// 20 with them; ids at most 64 bytes; metadata at most 10 KiB per vector.
export const VECTORIZE_TOP_K_MAX = 100;
const BY_IDS = 20; // ids asked at a time

// The item fields kept in the metadata (related is JSON text: its keys are item ids,
// and metadata keys may not hold '.').
const TEXT = ['title', 'text', 'brand'];

/** An arag item from a Vectorize vector ({id, values, metadata}). */
export function itemOf(v) {
  const m = v.metadata && typeof v.metadata === 'object' ? v.metadata : {};
  const it = { id: v.id };
  for (const f of TEXT) if (typeof m[f] === 'string') it[f] = m[f];
  if (Array.isArray(m.categories)) it.categories = m.categories.filter((c) => typeof c === 'string').slice(0, 16);
  for (const f of ['price', 'popularity']) if (typeof m[f] === 'number' && Number.isFinite(m[f])) it[f] = m[f];
  if (typeof m.related === 'string') {
    try {
      const r = JSON.parse(m.related);
      if (r && typeof r === 'object' && !Array.isArray(r)) it.related = r;
    } catch {
      /* left out */
    }
  }
  if (v.values && v.values.length) it.vector = Array.from(v.values);
  if (!it.title && !it.text) it.title = v.id; // an item needs some text; its id at least
  return it;
}

async function byIds(index, ids) {
  const out = new Map();
  const chunks = [];
  for (let i = 0; i < ids.length; i += BY_IDS) chunks.push(ids.slice(i, i + BY_IDS));
  for (const list of await Promise.all(chunks.map((c) => index.getByIds(c)))) {
    for (const v of list || []) if (v && typeof v.id === 'string') out.set(v.id, v);
  }
  return out;
}

const utf8Length = (s) => new TextEncoder().encode(s).length;

/** The events with the item fields of those that name a catalog item by id only. Ids
 * Vectorize cannot hold (past 64 bytes) and ids it does not know stay as they are (an
 * event without text or vector adds nothing to the context). */
export async function eventsWithItems(index, events) {
  const want = [...new Set(events.filter((e) => !e.title && !e.text && utf8Length(e.id) <= 64).map((e) => e.id))];
  if (want.length === 0) return { events, unknown: 0 };
  const found = await byIds(index, want);
  let unknown = 0;
  const out = events.map((e) => {
    if (e.title || e.text) return e;
    const v = found.get(e.id);
    if (!v) {
      unknown++;
      return e;
    }
    const { id, ...fields } = itemOf(v);
    return { ...fields, ...e, id };
  });
  return { events: out, unknown };
}

/** The catalog's top topK items for the context vector, leaving out the history's ids. */
export async function topCandidates(index, vector, { topK, exclude }) {
  const ask = Math.min(VECTORIZE_TOP_K_MAX, topK + exclude.size);
  const res = await index.query(Array.from(vector), { topK: ask, returnValues: false, returnMetadata: 'none' });
  const ids = [];
  for (const m of (res && res.matches) || []) {
    if (typeof m.id === 'string' && !exclude.has(m.id) && !ids.includes(m.id)) ids.push(m.id);
    if (ids.length === topK) break;
  }
  const found = await byIds(index, ids);
  return ids.filter((id) => found.has(id)).map((id) => itemOf(found.get(id)));
}
