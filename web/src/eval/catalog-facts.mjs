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

// Words set aside when two titles are compared as variants of one product: function and
// joining words, sizes, units, counts, packs and packaging, colours and shades.
const SET_ASIDE = new Set(
  (
    'a an the and or nor but of for to in on at by with without from into onto over under per as is are be been it its this ' +
    'that these those your you our my so not no all any each both more most less very too can may will do does has have ' +
    'was were which who what when where how than then also just only even such same other up out off about new one two three ' +
    'plus etc get make made use used best great good quality premium top perfect free de la le du des del von van der et da di ' +
    'oz ounce ounces fl fluid ml milliliter milliliters liter liters litre litres gram grams gr kg mg mcg lb lbs pound pounds ' +
    'inch inches cm mm ft feet foot yd yard yards count ct pack packs pk pcs pc piece pieces set sets kit kits size sizes ' +
    'sized travel mini jumbo large small medium big value bonus bottle bottles jar jars carton cartons container containers ' +
    'packet packets sachet sachets ea pair pairs dozen sheet sheets unit units total package packages packaging packaged pkg ' +
    'vary varies varied assorted quantity qty capacity volume weight net xl xxl xs regular standard double triple twin single ' +
    'multi multipack bulk sample samples trial version edition item items color colors colour colours shade shades vol ' +
    'black white red blue green yellow orange purple pink brown grey gray silver gold golden beige ivory tan nude navy teal ' +
    'aqua turquoise coral peach plum burgundy maroon violet lavender lilac rose ruby cherry berry wine mauve taupe bronze ' +
    'copper champagne charcoal slate fog sand mint olive khaki chocolate caramel honey espresso mocha cocoa blonde blond ' +
    'auburn light dark deep fair multicolor multicolored'
  ).split(' ')
);
const MEASURES = new Set(
  (
    'oz ounce ounces fl fluid ml milliliter milliliters liter liters litre litres gram grams gr kg mg mcg lb lbs pound pounds ' +
    'inch inches cm mm ft feet foot yd yard yards count ct pack packs pk pcs pc piece pieces set sets kit kits size sizes ' +
    'sized pair pairs dozen sheet sheets unit units xl xxl xs bottle bottles jar jars multipack'
  ).split(' ')
);

// Title words for the variant test: split at spaces, commas, slashes and parentheses,
// trimmed of other punctuation, letters and digits kept (lower case).
function nameTokens(title) {
  return String(title || '')
    .split(/[\s,/()]+/)
    .map((w) => w.replace(/^[^A-Za-z0-9\u0080-\uffff]+|[^A-Za-z0-9\u0080-\uffff]+$/g, ''))
    .filter(Boolean)
    .map((w) => ({ raw: w, key: w.toLowerCase().replace(/[^a-z0-9\u0080-\uffff]/g, '') }))
    .filter((t) => t.key);
}

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

  // What the variant test compares: the catalog's group, else the brand (brandOf), the
  // category path and the name words (title words but the brand's, set-aside words, and
  // numbers a measure word follows or that follow "of", "x" or a measure word, or that
  // carry their unit: "8 oz", "pack of 2", "16oz").
  variantKey(item) {
    const group = typeof item.group === 'string' && item.group ? item.group : '';
    const brand = this.brandOf(item);
    const bw = new Set(brand ? brand.split(' ') : []);
    const t = nameTokens(item.title);
    const words = new Set();
    t.forEach((x, i) => {
      if (x.key.length < 2 || bw.has(x.key) || bw.has(brandWords(x.key)[0])) return;
      if (/^[0-9]/.test(x.raw)) {
        const unit = x.raw.toLowerCase().replace(/^[0-9.,-]+/, '').replace(/[^a-z0-9\u0080-\uffff]/g, '');
        if (unit && MEASURES.has(unit)) return;
        if (!unit) {
          const next = t[i + 1];
          const prev = t[i - 1];
          if ((next && MEASURES.has(next.key)) || (prev && (MEASURES.has(prev.key) || prev.key === 'of' || prev.key === 'x'))) return;
        }
      } else if (SET_ASIDE.has(x.key)) return;
      words.add(x.key);
    });
    return { id: item.id, group, brand, path: Array.isArray(item.categories) && item.categories.length ? item.categories.join('\u0000') : '', words };
  }
}

// Are two items variants of one product (or one item)? Both with a group: equal groups;
// else the same brand, the same category path when both have one, and the same name
// words, or at least two in common with at most two apart on either side and no fewer
// in common than apart.
export function areVariants(a, b) {
  if (a.id === b.id) return true;
  if (a.group && b.group) return a.group === b.group;
  if (a.brand !== b.brand) return false;
  if (a.path && b.path && a.path !== b.path) return false;
  if (!a.words.size || !b.words.size) return false;
  let common = 0;
  for (const w of a.words) if (b.words.has(w)) common++;
  const apart = Math.max(a.words.size - common, b.words.size - common);
  if (apart === 0) return true;
  return common >= 2 && apart <= 2 && common >= apart;
}
