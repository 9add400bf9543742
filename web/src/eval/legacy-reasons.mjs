// Claims of a reason written by the module before items carried evidence (its offline
// reasoner's clauses, "; "-separated), so the reason checker can grade those results too:
// that is how the false-claim share before evidence was measured (docs/reasons.md). A
// clause it does not know becomes an 'unread' claim, which the checker counts as false.

// The history items whose title a clause quotes (up to 80 bytes of it, separators
// written as spaces), most recent first.
function findByTitle(quoted, items) {
  const clean = (t) => String(t).replace(/[;\n\r\t]/g, ' ');
  const out = [];
  for (let i = items.length - 1; i >= 0; i--) {
    const t = clean(items[i].title);
    if ((t === quoted || (quoted.length >= 20 && t.startsWith(quoted))) && !out.some((x) => x.id === items[i].id)) out.push(items[i]);
  }
  return out;
}

// The words a clause quotes: "a", "b", "c".
function quotedWords(s) {
  return [...s.matchAll(/"([^"]*)"/g)].map((m) => m[1]);
}

// items: the history items the engine saw, oldest first; sessionFrom: where the session starts.
export function legacyClaims(reason, items, sessionFrom) {
  const out = [];
  if (!reason) return out;
  const byTitle = (t, claim) => {
    const hs = findByTitle(t, items);
    if (!hs.length) return { kind: 'unread', text: claim, why: `quotes a title not in the history: "${t}"` };
    return hs.length === 1 ? { items: [hs[0].id], title: hs[0].title } : { alts: hs.map((h) => h.id) };
  };
  for (const clause of reason.split('; ')) {
    let m;
    if ((m = /^you already bought this item \((\d+) times?\)$/.exec(clause))) {
      out.push({ kind: 'repeat', items: [], bought: Number(m[1]), self: true });
    } else if ((m = /^shares brand (.+) with (\d+) of your recent items(?: \((\d+) in this session\))?$/.exec(clause))) {
      out.push({ kind: 'brand', brand: m[1], count: Number(m[2]) });
      if (m[3]) out.push({ kind: 'brand', brand: m[1], count: Number(m[3]), session: true });
    } else if ((m = /^same category as your session \((.+)\)$/.exec(clause))) {
      out.push({ kind: 'category', label: m[1], session: true });
    } else if ((m = /^same category as (\d+) of your past items \((.+)\)$/.exec(clause))) {
      out.push({ kind: 'category', label: m[2], count: Number(m[1]) });
    } else if ((m = /^same product line as your "(.+)" \(first (\d+) words of the title\)$/.exec(clause))) {
      const r = byTitle(m[1], clause);
      out.push(r.kind ? r : { kind: 'line', ...r, words: Number(m[2]) });
    } else if ((m = /^shares title words (.+) with your "(.+)" \(overlap [0-9.]+\)$/.exec(clause))) {
      const r = byTitle(m[2], clause);
      out.push(r.kind ? r : { kind: 'title_words', ...r, words: quotedWords(m[1]) });
    } else if ((m = /^similar to your "(.+)" \([-0-9.]+\)$/.exec(clause))) {
      const r = byTitle(m[1], clause);
      out.push(r.kind ? r : { kind: 'opinion', ...r });
    } else if ((m = /^bought together with your "(.+)" (?:by (\d+) shoppers?|\(weight [0-9.]+\))$/.exec(clause))) {
      const r = byTitle(m[1], clause);
      out.push(r.kind ? r : { kind: 'bought_together', ...r, ...(m[2] ? { count: Number(m[2]) } : {}) });
    } else if ((m = /^close to your usual price \(about ([0-9.]+)\)$/.exec(clause))) {
      out.push({ kind: 'price', typical: Number(m[1]) });
    } else if ((m = /^matches your (session )?brand (.+)$/.exec(clause))) {
      out.push({ kind: 'brand_trait', brand: m[2], session: Boolean(m[1]) });
    } else if ((m = /^matches your (session )?category (.+)$/.exec(clause))) {
      out.push({ kind: 'category', path: m[2].split(' > ').map((s) => s.trim()), trait: true, session: Boolean(m[1]) });
    } else if ((m = /^matches your (session )?interest (.+)$/.exec(clause))) {
      out.push({ kind: 'word_trait', word: m[2], session: Boolean(m[1]) });
    } else if ((m = /^shares the word "(.+)" with your history$/.exec(clause))) {
      out.push({ kind: 'word_trait', word: m[1], text: true });
    } else if ((m = /^popular item \((\d+)\)$/.exec(clause))) {
      out.push({ kind: 'popular', popularity: Number(m[1]), rounded: true });
    } else if (/^(ranked by similarity to your history \([-0-9.]+\)|like other strong matches \(.+\))$/.test(clause)) {
      out.push({ kind: 'opinion' });
    } else if (/^(no specific evidence|no history to compare with|no clear link to your history \(closest match [-0-9.]+\))$/.test(clause)) {
      // says nothing about the data
    } else if (Buffer.byteLength(clause) >= 150 && (m = /^(shares title words (.+) with|same product line as|bought together with) your "(.*)$/.exec(clause))) {
      // A clause the reason cut at 160 bytes: its words are read, the title by its start.
      const h = items.findLast((it) => String(it.title).replace(/[;\n\r\t]/g, ' ').startsWith(m[3].replace(/"[^"]*$/, '')));
      if (!h) out.push({ kind: 'unread', text: clause, why: 'quotes a title not in the history' });
      else if (m[2]) out.push({ kind: 'title_words', items: [h.id], title: h.title, words: quotedWords(m[2]) });
      else out.push({ kind: 'opinion', items: [h.id] });
    } else {
      out.push({ kind: 'unread', text: clause, why: 'a clause the checker does not know' });
    }
  }
  void sessionFrom;
  return out;
}
