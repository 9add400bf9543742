// What a catalog itself says about its items, computed in JS apart from the module, so
// that the reason checker (check-reasons.mjs) does not grade the engine by the engine's
// own code: words of titles, brands (a brand field, a "Brand: X." text prefix, or a
// leading title phrase the catalog supports), variant families and the catalog's word
// counts.
//
// Words: runs of ASCII letters and digits and non-ASCII characters, lower-cased; a run of
// one ASCII character is not a word (as in the module's term tables).

export function words(s) {
  const out = [];
  const re = /[A-Za-z0-9\u0080-\uffff]+/g;
  let m;
  while ((m = re.exec(String(s || '')))) {
    const w = m[0];
    if (w.length === 1 && w.charCodeAt(0) < 0x80) continue;
    out.push(w.toLowerCase());
  }
  return out;
}

// Words that join the parts of a name ("Bumble and Bumble", "Rite in the Rain").
export const JOINING_WORDS = new Set(['and', 'of', 'the', 'by', 'de', 'la', 'le', 'du', 'des', 'del', 'von', 'van', 'der', 'in', 'on', 'et', 'da', 'di']);
// Abbreviations that open a name and never end one ("Dr. Bronner's", "St. Ives").
const OPENING_WORDS = new Set(['dr', 'st', 'mr', 'mrs', 'ms', 'mt']);

// Words that describe a size, a count, a pack or a colour: variants of one product differ
// in them (the measure of variant duplicates sets them aside).
const VARIANT_WORDS = new Set(
  (
    'oz ounce ounces fl fluid ml milliliter milliliters liter liters litre litres gram grams gr kg mg lb lbs pound pounds ' +
    'inch inches cm mm ft feet foot yard yards count ct pack packs pk pcs pc piece pieces set sets kit refill refills ' +
    'size sizes travel mini jumbo large small medium big value bonus bottle bottles jar jars tube tubes pouch pouches box boxes ' +
    'each ea per of pair pairs dozen sheets sheet rolls roll unit units total package packaging ' +
    'black white red blue green yellow orange purple pink brown grey gray silver gold golden beige ivory tan nude navy teal aqua ' +
    'turquoise coral peach plum burgundy maroon violet lavender lilac rose ruby cherry berry wine mauve taupe bronze copper ' +
    'champagne charcoal slate fog sand mint olive khaki chocolate caramel honey espresso mocha cocoa blonde blond auburn ' +
    'light dark deep fair multicolor multi assorted'
  ).split(' ')
);

// Two spellings of one brand name compare equal by their words without a final "s"
// ("Burt's Bees" and "Burts Bees").
export function brandWords(s) {
  return words(s).map((w) => (w.length > 3 && w.endsWith('s') ? w.slice(0, -1) : w));
}

// Does the title open with a word (no one-character word before its first, but for one an
// apostrophe joins to it: "L'Oreal")? Only such a title can start with a brand.
export function opensWithWord(title) {
  const m = /[A-Za-z0-9\u0080-\uffff]+/.exec(String(title || ''));
  if (!m) return false;
  if (m[0].length > 1 || m[0].charCodeAt(0) >= 0x80) return true;
  return m.input[m.index + 1] === "'";
}

// The brand field, else "Brand: X." at the start of the text (as the catalog reads it).
export function brandField(item) {
  if (typeof item.brand === 'string' && item.brand.trim()) return item.brand.trim();
  const m = /^Brand:\s*(.*?)\.(?:\s|$)/.exec(item.text || '');
  return m && m[1].trim() && m[1].length <= 200 ? m[1].trim() : '';
}

export class CatalogFacts {
  // items: catalog objects ({ id, title, brand?, text?, categories?, group?, ... }).
  constructor(items) {
    this.byId = new Map();
    this.df = new Map(); // word -> titles holding it
    this.lead = new Map(); // "w1 w2 ..." -> titles starting with those words
    this.next = new Map(); // "w1 w2 ..." -> Map(next word -> titles)
    this.titleWords = new Map();
    for (const it of items) {
      this.byId.set(it.id, it);
      const w = words(it.title);
      this.titleWords.set(it.id, w);
      for (const x of new Set(w)) this.df.set(x, (this.df.get(x) || 0) + 1);
      for (let n = 1; n <= Math.min(w.length, 6); n++) {
        const p = w.slice(0, n).join(' ');
        this.lead.set(p, (this.lead.get(p) || 0) + 1);
        if (n < w.length) {
          let m = this.next.get(p);
          if (!m) this.next.set(p, (m = new Map()));
          m.set(w[n], (m.get(w[n]) || 0) + 1);
        }
      }
    }
  }

  wordsOf(item) {
    return this.titleWords.get(item.id) || words(item.title);
  }

  // Why a leading title phrase (its words) is not a brand the catalog supports, or null
  // when it is one: at least two titles start with it; one of its words is mostly said
  // at the start of a title in this phrase (at least half the titles holding the word
  // start with the phrase: not a lone common word like "Soft" or "Curl"); and it is the
  // whole name (not "Bumble" when the titles starting with it go on "and Bumble", nor a
  // phrase that nearly all of its five or more titles continue alike).
  phraseProblem(ws) {
    if (!ws.length) return 'empty';
    const last = ws[ws.length - 1];
    if (JOINING_WORDS.has(ws[0]) || JOINING_WORDS.has(last) || OPENING_WORDS.has(last)) return `"${ws.join(' ')}" is not a whole name`;
    const key = ws.join(' ');
    const n = this.lead.get(key) || 0;
    if (n < 2) return `only ${n} title${n === 1 ? '' : 's'} start with "${key}"`;
    const content = ws.filter((w) => !JOINING_WORDS.has(w));
    if (!content.some((w) => n >= 0.5 * (this.df.get(w) || 0))) return `"${key}" is made of common words`;
    const next = this.next.get(key);
    if (next) {
      let joining = 0;
      let top = 0;
      for (const [w, c] of next) {
        if (JOINING_WORDS.has(w)) joining += c;
        top = Math.max(top, c);
      }
      if (joining >= 0.8 * n) return `"${key}" is cut short (most titles go on with a joining word)`;
      if (n >= 5 && top >= 0.95 * n) return `"${key}" is cut short (nearly all its titles go on alike)`;
    }
    return null;
  }

  // Why `brand` is not item's brand, or null when it is: the brand field (or "Brand:"
  // text) says it, or, without one, the title starts with it and the catalog supports it.
  brandProblem(item, brand) {
    const field = brandField(item);
    const bw = brandWords(brand);
    if (!bw.length) return 'empty brand';
    if (field) return brandWords(field).join(' ') === bw.join(' ') ? null : `its brand is "${field}"`;
    if (!opensWithWord(item.title)) return 'the title opens with a one-character word';
    const tw = this.wordsOf(item);
    const lead = brandWords(tw.slice(0, bw.length).join(' '));
    if (bw.some((w, i) => lead[i] !== w)) return `the title does not start with "${brand}"`;
    return this.phraseProblem(tw.slice(0, bw.length));
  }

  // The item's brand for the shelf measures: the field, else the shortest leading phrase
  // (up to six words) the catalog supports; '' when none.
  brandOf(item) {
    const field = brandField(item);
    if (field) return brandWords(field).join(' ');
    if (!opensWithWord(item.title)) return '';
    const tw = this.wordsOf(item);
    for (let n = 1; n <= Math.min(6, tw.length); n++) if (!this.phraseProblem(tw.slice(0, n))) return brandWords(tw.slice(0, n).join(' ')).join(' ');
    return '';
  }

  // The variant family for the shelf measures: the catalog's "group" when given, else the
  // brand and the title before its first comma without the brand's words, numbers and
  // size, count, pack and colour words (the whole title when that leaves nothing).
  familyOf(item) {
    if (typeof item.group === 'string' && item.group) return `group:${item.group}`;
    const brand = this.brandOf(item);
    const bw = new Set(brandWords(brand));
    const keep = (s) => words(s).filter((w) => !bw.has(w) && !bw.has(brandWords(w)[0]) && !/[0-9]/.test(w) && !VARIANT_WORDS.has(w));
    const title = String(item.title || '');
    const comma = title.indexOf(',');
    let rest = keep(comma > 0 ? title.slice(0, comma) : title);
    if (!rest.length) rest = keep(title);
    return `${brand}|${rest.join(' ')}`;
  }
}
