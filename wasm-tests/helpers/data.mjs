// A small, deterministic slice of ../shared/data/amazon-beauty (relative to the repo
// root) for the recommender suites: a few users with their histories, a catalog holding
// their items, and candidate sets (the user's next item plus catalog negatives).
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT, rng } from './common.mjs';

export const DATA_DIR = resolve(ROOT, process.env.ARAG_DATA || '../shared/data/amazon-beauty');

function readJsonl(file) {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

/**
 * @param {{users?: number, minEvents?: number, catalogSize?: number, negatives?: number, seed?: number}} o
 * @returns {{items: object[], users: {user: string, events: object[], target: string, candidates: string[]}[]}}
 */
export function loadSlice({ users = 4, minEvents = 8, catalogSize = 400, negatives = 19, seed = 7 } = {}) {
  const itemsFile = join(DATA_DIR, 'items.jsonl');
  if (!existsSync(itemsFile)) throw new Error(`${itemsFile} is missing (data set expected at ../shared/data/amazon-beauty)`);
  const all = readJsonl(itemsFile);
  const byId = new Map(all.map((it) => [it.id, it]));
  const inter = readJsonl(join(DATA_DIR, 'interactions.jsonl'));
  const perUser = new Map();
  for (const e of inter) {
    if (!perUser.has(e.user)) perUser.set(e.user, []);
    perUser.get(e.user).push(e);
  }
  const chosen = [...perUser.entries()]
    .filter(([, ev]) => ev.length >= minEvents && ev.every((e) => byId.has(e.item)))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .slice(0, users);
  const r = rng(seed);
  const catalog = new Map();
  const out = [];
  for (const [user, ev] of chosen) {
    ev.sort((a, b) => a.ts - b.ts);
    const hist = ev.slice(0, -1);
    const target = ev[ev.length - 1].item;
    for (const e of ev) catalog.set(e.item, byId.get(e.item));
    const seen = new Set(ev.map((e) => e.item));
    const negs = [];
    while (negs.length < negatives) {
      const it = all[Math.floor(r() * all.length)];
      if (!seen.has(it.id) && !negs.includes(it.id)) negs.push(it.id);
    }
    for (const id of negs) catalog.set(id, byId.get(id));
    const candidates = [target, ...negs];
    out.push({
      user,
      events: hist.map((e, i) => ({ id: e.item, ts: e.ts ?? i, kind: 'purchase' })),
      target,
      candidates,
    });
  }
  for (const it of all) {
    if (catalog.size >= catalogSize) break;
    catalog.set(it.id, it);
  }
  return { items: [...catalog.values()], users: out };
}
