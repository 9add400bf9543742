// Where the suites find data. Real data sets (amazon-beauty, amazon-office: items.jsonl +
// interactions.jsonl) live under $ARAG_DATA_ROOT (default: data/ in the repository); a
// clone does not have them, so a test that needs one asks dataSet(name) and skips with
// needData(name).skip when it is absent. The sample data set (scripts/sample-data.mjs:
// the demo's fictional catalog and simulated shoppers) is generated on demand and is
// always there: tests that only need realistic data use it.
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT, rng } from './common.mjs';
import { writeSampleData } from '../../scripts/sample-data.mjs';

export const DATA_ROOT = process.env.ARAG_DATA_ROOT ? resolve(process.env.ARAG_DATA_ROOT) : join(ROOT, 'data');

/** The folder of data set `name` under DATA_ROOT, or null when it is not there. */
export function dataSet(name) {
  const dir = join(DATA_ROOT, name);
  return existsSync(join(dir, 'items.jsonl')) && existsSync(join(dir, 'interactions.jsonl')) ? dir : null;
}

/** node:test options: { skip: reason } when data set `name` is absent, else { skip: false }. */
export function needData(...names) {
  const missing = names.filter((n) => !dataSet(n));
  if (!missing.length) return { skip: false };
  return { skip: `needs the ${missing.join(' and ')} data set${missing.length > 1 ? 's' : ''}, not found under ${DATA_ROOT} (set ARAG_DATA_ROOT; see docs/evaluation.md)` };
}

/** The sample data set's folder (build/data/sample-shop), written when missing or stale. */
export function sampleDataSet() {
  return writeSampleData();
}

export function readJsonl(file) {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

/**
 * A small, deterministic slice of a data set (the sample data set by default) for the
 * recommender suites: a few users with their histories, a catalog holding their items,
 * and candidate sets (the user's next item plus catalog negatives).
 * @param {{users?: number, minEvents?: number, catalogSize?: number, negatives?: number, seed?: number, dir?: string}} o
 * @returns {{items: object[], users: {user: string, events: object[], target: string, candidates: string[]}[]}}
 */
export function loadSlice({ users = 4, minEvents = 8, catalogSize = 400, negatives = 19, seed = 7, dir = sampleDataSet() } = {}) {
  const all = readJsonl(join(dir, 'items.jsonl'));
  const byId = new Map(all.map((it) => [it.id, it]));
  const inter = readJsonl(join(dir, 'interactions.jsonl'));
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
