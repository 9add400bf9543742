// Reasons in plain words, rendered from a recommended item's evidence (items[].evidence,
// see include/arag.h): one sentence per piece of evidence, each saying only what that
// evidence says. The offline reasoner writes the same sentences into items[].reason
// (src/pipeline/evidence.c); a shop, the demo and examples/node render them with this module so
// that every page says the same thing. The result is plain text: insert it as text
// (textContent), never as HTML, since titles and brands come from the catalog.
//
// An item an LLM ranked carries the evidence its citations named, checked against the
// data, as entries marked `cited: true`: its reason says those entries only, never the
// model's own text. With no citation that held, it says the item's evidence as the
// offline reasoner would.

const quoteWords = (words) => {
  const q = words.map((w) => `"${w}"`);
  return q.length <= 1 ? q.join('') : `${q.slice(0, -1).join(', ')} and ${q[q.length - 1]}`;
};

// Whole numbers without decimals, others with two (prices as the data gives them).
const price = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(2));

const isList = (v) => Array.isArray(v);
const str = (v) => (typeof v === 'string' ? v : '');

/**
 * The sentences of an item's evidence, in its order, at most `max` of them. A brand or a
 * category that rests on one history item a sentence before already named is left out
 * (it says nothing new about that item). Entries of unknown kinds are skipped.
 * `formatPrice` writes a price range's bounds (default: the number as the data gives it,
 * two decimals unless whole); a shop passes its own currency format.
 * @param {Array<object>} evidence
 * @param {{max?: number, formatPrice?: (value: number) => string}} [opts]
 * @returns {string[]}
 */
export function reasonSentences(evidence, { max = Infinity, formatPrice = price } = {}) {
  const out = [];
  const named = new Set();
  for (const e of isList(evidence) ? evidence : []) {
    if (out.length >= max) break;
    if (!e || typeof e !== 'object') continue;
    const items = isList(e.items) ? e.items : [];
    const single = ['bought_together', 'title_words', 'text_words'].includes(e.kind);
    const many = e.kind === 'brand' || e.kind === 'category';
    const only = single || (many && items.length === 1) ? items[0] : undefined;
    if (many && only !== undefined && named.has(only)) continue;
    let s;
    switch (e.kind) {
      case 'repeat':
        s = e.bought >= 2 ? `You bought this ${e.bought} times before.` : e.bought >= 1 ? 'You bought this before.' : 'You have seen this before.';
        break;
      case 'bought_together':
        s = `Shoppers bought it together with your ${str(e.title)}.`;
        break;
      case 'title_words':
        s = `Shares ${quoteWords(isList(e.words) ? e.words : [])} with your ${str(e.title)}.`;
        break;
      case 'text_words':
        s = `Mentions ${quoteWords(isList(e.words) ? e.words : [])}, like your ${str(e.title)}.`;
        break;
      case 'brand':
      case 'category': {
        const what = e.kind === 'brand' ? `From ${str(e.brand)}` : `In ${isList(e.path) && e.path.length ? str(e.path[e.path.length - 1]) : ''}`;
        s = only !== undefined ? `${what}, like your ${str(e.title)}.` : `${what}, like ${items.length} of your items.`;
        break;
      }
      case 'price':
        s = `Priced like your items, from ${formatPrice(e.low)} to ${formatPrice(e.high)}.`;
        break;
      case 'popular':
        s = 'Popular with other shoppers.';
        break;
      default:
        continue;
    }
    if (only !== undefined) named.add(only);
    out.push(s);
  }
  return out;
}

/**
 * The evidence a reason says: the entries an LLM ranker cited (marked `cited: true`) when
 * there are any, else all of them.
 * @param {Array<object>} evidence
 * @returns {Array<object>}
 */
export function reasonEvidence(evidence) {
  const all = isList(evidence) ? evidence : [];
  const cited = all.filter((e) => e && typeof e === 'object' && e.cited === true);
  return cited.length ? cited : all;
}

/**
 * The reason of a recommended item: the first `sentences` (default 2) sentences of its
 * evidence (of the entries an LLM ranker cited, when it cited any that held), '' when it
 * has none.
 * @param {{evidence?: Array<object>}} item
 * @param {{sentences?: number, formatPrice?: (value: number) => string}} [opts]
 * @returns {string}
 */
export function renderReason(item, { sentences = 2, formatPrice = price } = {}) {
  return reasonSentences(reasonEvidence(item && item.evidence), { max: sentences, formatPrice }).join(' ');
}
