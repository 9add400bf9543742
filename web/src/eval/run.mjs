// Orchestration of one evaluation: per-user candidate lists, every method's rank of the
// held-out target, checkpoint/resume, progress, aggregation with bootstrap intervals.
//
// The ranking engine is injected (see engine.mjs for the one over the wasm module):
//   engine.vectors(ids) -> Float32Array[]            catalog vectors (dim 512)
//   engine.createWorker() -> worker                  one per concurrent user
//   worker.rankArag(history, candidates, agents, config) -> { order, usage, degraded }
//   worker.free()
// Vector baselines run in JS over engine.vectors; arag methods through the pipeline.
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { sampleCandidates } from './sampler.mjs';
import { METRICS, metricsOfRank, rankFromScores, rankInOrder } from './metrics.mjs';
import { popularityCounts, popularityScores, ragScores, recencyScores } from './baselines.mjs';
import { bootstrapCI, pairedGain, resampleIndices } from './bootstrap.mjs';
import { round6 } from './report.mjs';

// 2: catalog popularity weighted by recency within each history (was plain counts).
// 3: the arag methods rank with the engine's shelf rules off (the paper's metrics);
//    arag-storefront with them on; catalog lines mark repeat purchases.
export const PROTOCOL_VERSION = 3;

// Method name -> how it ranks. Ablations are the pipeline with one agent switched off
// through the config (agents.<name> = false), not a separate code path. The arag methods
// rank with the engine's shelf rules off, the paper's protocol; arag-storefront is the
// pipeline with the storefront's (one item per variant family, no variant of what the
// session bought, at most half the shelf from one brand) over a shelf of 6; arag-no-shift
// ranks without the interest shift (reasoner.shift 0: a session about something else does
// not weigh the older history down).
const ALL = { uua: true, nli: true, csa: true, ira: true };
export const STOREFRONT_SHELF = 6;
export const METHODS = {
  recency: { kind: 'vector' },
  rag: { kind: 'vector' },
  popularity: { kind: 'vector' },
  arag: { kind: 'arag', agents: ALL, config: { shelf: false } },
  'arag-no-nli': { kind: 'arag', agents: { ...ALL, nli: false }, config: { shelf: false } },
  'arag-no-csa': { kind: 'arag', agents: { ...ALL, csa: false }, config: { shelf: false } },
  'arag-no-uua': { kind: 'arag', agents: { ...ALL, uua: false }, config: { shelf: false } },
  'arag-no-shift': { kind: 'arag', agents: ALL, config: { shelf: false, reasoner: { shift: 0 } } },
  'arag-storefront': { kind: 'arag', agents: ALL, config: { shelf: { size: STOREFRONT_SHELF } } },
};

export function parseMethods(text) {
  const list = String(text)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0) throw new Error('--methods: empty list');
  const seen = new Set();
  for (const m of list) {
    if (!METHODS[m]) throw new Error(`--methods: unknown method "${m}" (known: ${Object.keys(METHODS).join(', ')})`);
    if (seen.has(m)) throw new Error(`--methods: "${m}" given twice`);
    seen.add(m);
  }
  return list;
}

// ------------------------------------------------------------------ progress

export class Progress {
  constructor(total, { stream = process.stderr, label = 'users', now = () => Date.now() } = {}) {
    this.total = total;
    this.stream = stream;
    this.label = label;
    this.now = now;
    this.start = now();
    this.done = 0;
    this.fresh = 0; // users computed in this run (not read from a checkpoint)
    this.lastDraw = 0;
    this.lastLine = -1;
    this.tty = Boolean(stream && stream.isTTY);
  }

  skip(n) {
    this.done += n;
  }

  tick() {
    this.done++;
    this.fresh++;
    this.draw(false);
  }

  line() {
    const secs = Math.max(1e-3, (this.now() - this.start) / 1000);
    const rate = this.fresh / secs;
    const left = this.total - this.done;
    const eta = rate > 0 ? left / rate : Infinity;
    const width = 24;
    const filled = this.total ? Math.round((this.done / this.total) * width) : width;
    const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
    const etaText = Number.isFinite(eta) ? fmtDuration(eta) : '?';
    return `[${bar}] ${this.done}/${this.total} ${this.label}  ${rate.toFixed(1)} ${this.label}/s  ETA ${etaText}`;
  }

  draw(force) {
    if (!this.stream) return;
    const t = this.now();
    if (this.tty) {
      if (!force && t - this.lastDraw < 100 && this.done < this.total) return;
      this.lastDraw = t;
      this.stream.write(`\r${this.line()}\x1b[K`);
    } else {
      // Plain logs: one line per 10% (and at the end).
      const decile = this.total ? Math.floor((this.done * 10) / this.total) : 10;
      if (!force && decile === this.lastLine) return;
      this.lastLine = decile;
      this.stream.write(`${this.line()}\n`);
    }
  }

  finish() {
    if (this.tty || this.lastLine !== 10) this.draw(true);
    if (this.stream && this.tty) this.stream.write('\n');
  }
}

function fmtDuration(s) {
  if (s < 60) return `${Math.ceil(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.ceil(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

// ------------------------------------------------------------------ checkpoint

// A checkpoint is JSON lines: a header (everything that determines the result) and one
// line per finished user. A torn last line (interrupted write) is ignored on resume.
export function readCheckpoint(file, header) {
  if (!file || !existsSync(file)) return new Map();
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  let head;
  try {
    head = JSON.parse(lines[0]);
  } catch {
    throw new Error(`checkpoint ${file}: unreadable header; remove the file to start over`);
  }
  const want = JSON.stringify(header);
  const got = JSON.stringify(head.header);
  if (got !== want) {
    const diff = Object.keys(header).filter((k) => JSON.stringify(header[k]) !== JSON.stringify(head.header && head.header[k]));
    throw new Error(
      `checkpoint ${file} belongs to a different run (differs in: ${diff.join(', ') || 'format'}); ` +
        'remove it or pass another --checkpoint',
    );
  }
  const done = new Map();
  for (let i = 1; i < lines.length; i++) {
    if (!lines[i]) continue;
    let rec;
    try {
      rec = JSON.parse(lines[i]);
    } catch {
      if (i === lines.length - 1 || lines.slice(i + 1).every((l) => !l)) break; // torn tail
      throw new Error(`checkpoint ${file}:${i + 1}: malformed line; remove the file to start over`);
    }
    done.set(rec.i, rec);
  }
  return done;
}

function openCheckpoint(file, header, resumed) {
  if (!file) return { write() {}, close() {} };
  if (!resumed) {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ header }) + '\n');
    renameSync(tmp, file);
  } else {
    // Drop a torn tail so appended lines start on a fresh line.
    const text = readFileSync(file, 'utf8');
    if (!text.endsWith('\n')) writeFileSync(file, text.slice(0, text.lastIndexOf('\n') + 1));
  }
  return {
    write(rec) {
      appendFileSync(file, JSON.stringify(rec) + '\n');
    },
    close() {},
  };
}

// ------------------------------------------------------------------ per user

function addUsage(into, u) {
  for (const k of ['calls', 'prompt_tokens', 'completion_tokens', 'failures']) into[k] += u[k] || 0;
}

// Plans the run: per user the candidate list (ids) and the target.
export function planUsers(data, { negatives, seed, users }) {
  const ids = data.items.map((it) => it.id);
  const chosen = users ? data.users.slice(0, users) : data.users;
  return chosen.map((u, i) => {
    const s = sampleCandidates(
      ids,
      u.history.map((e) => e.item),
      u.target.item,
      { negatives, seed, user: u.user },
    );
    return { i, user: u.user, history: u.history, target: u.target.item, ...s };
  });
}

// Ranks one user with every method. A pipeline method that fails outright leaves its
// rank null (a miss) and marks the record failed: failed records are not checkpointed,
// so a resumed run tries them again.
async function rankUser(plan, methods, ctx, worker) {
  const ranks = {};
  const usage = {};
  const errors = [];
  const needVectors = methods.some((m) => m === 'recency' || m === 'rag');
  let candVecs, histVecs;
  if (needVectors) {
    candVecs = ctx.engine.vectors(plan.candidates);
    histVecs = ctx.engine.vectors(plan.history.map((e) => e.item));
  }
  for (const m of methods) {
    const spec = METHODS[m];
    if (m === 'recency') ranks[m] = rankFromScores(recencyScores(candVecs, histVecs), plan.targetIndex);
    else if (m === 'rag') ranks[m] = rankFromScores(ragScores(candVecs, histVecs), plan.targetIndex);
    else if (m === 'popularity') {
      ranks[m] = rankFromScores(popularityScores(plan.candidates, ctx.popularity), plan.targetIndex);
    } else {
      const t0 = ctx.clock();
      try {
        const out = await worker.rankArag(plan.history, plan.candidates, spec.agents, spec.config);
        const r = rankInOrder(out.order, plan.target);
        ranks[m] = Number.isFinite(r) ? r : null;
        usage[m] = {
          calls: out.usage.calls || 0,
          prompt_tokens: out.usage.prompt_tokens || 0,
          completion_tokens: out.usage.completion_tokens || 0,
          failures: out.usage.failures || 0,
          degraded: out.degraded || [],
          ms: ctx.clock() - t0,
        };
      } catch (e) {
        if (ctx.fatal(e)) throw e;
        ranks[m] = null;
        usage[m] = { calls: 0, prompt_tokens: 0, completion_tokens: 0, failures: 1, error: true, degraded: [], ms: ctx.clock() - t0 };
        errors.push(`${m}: ${e && e.message ? e.message : e}`);
      }
    }
  }
  const rec = { i: plan.i, user: plan.user, target: plan.target, ranks, usage };
  if (errors.length) rec.errors = errors;
  return rec;
}

// ------------------------------------------------------------------ aggregation

export function aggregate(records, methods, { resamples = 1000, seed = 1, timing = false } = {}) {
  const n = records.length;
  const idx = resampleIndices(n, resamples, seed);
  const perMethod = {}; // method -> metric -> Float64Array over users
  for (const m of methods) {
    perMethod[m] = {};
    for (const k of METRICS) perMethod[m][k] = new Float64Array(n);
  }
  records.forEach((r, u) => {
    for (const m of methods) {
      const rank = r.ranks[m] === null ? Infinity : r.ranks[m];
      const vals = metricsOfRank(rank);
      METRICS.forEach((k, j) => {
        perMethod[m][k][u] = vals[j];
      });
    }
  });
  const mean = (a) => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i];
    return a.length ? s / a.length : 0;
  };
  const out = {};
  for (const m of methods) {
    const entry = {};
    for (const k of METRICS) entry[k] = round6(mean(perMethod[m][k]));
    entry.ci = {};
    for (const k of METRICS) entry.ci[k] = bootstrapCI(perMethod[m][k], idx, resamples).map(round6);
    out[m] = entry;
  }
  // Gain over the best of recency and rag (per metric, by point estimate).
  const baselines = ['recency', 'rag'].filter((b) => methods.includes(b));
  const best = {};
  const gains = {};
  if (baselines.length) {
    for (const k of ['ndcg@5', 'hit@5']) {
      best[k] = baselines.reduce((a, b) => (mean(perMethod[b][k]) > mean(perMethod[a][k]) ? b : a));
    }
    for (const m of methods) {
      const g = { ci: {}, p_not_better: {} };
      for (const k of ['ndcg@5', 'hit@5']) {
        const pg = pairedGain(perMethod[m][k], perMethod[best[k]][k], idx, resamples);
        g[k] = round6(pg.gain);
        g.ci[k] = pg.ci.map(round6);
        g.p_not_better[k] = round6(pg.p_not_better);
      }
      gains[m] = { 'ndcg@5': g['ndcg@5'], 'hit@5': g['hit@5'], ci: g.ci, p_not_better: g.p_not_better };
    }
  }
  // Usage of the pipeline methods.
  const usage = {};
  for (const m of methods) {
    if (METHODS[m].kind !== 'arag') continue;
    const u = { calls: 0, prompt_tokens: 0, completion_tokens: 0, failures: 0, degraded_users: 0, degradations: {} };
    let ms = 0;
    let failedUsers = 0;
    for (const r of records) {
      const x = r.usage && r.usage[m];
      if (!x) continue;
      addUsage(u, x);
      if (x.error) failedUsers++;
      if (x.degraded && x.degraded.length) {
        u.degraded_users++;
        for (const d of x.degraded) {
          const key = degradationKey(d);
          u.degradations[key] = (u.degradations[key] || 0) + 1;
        }
      }
      ms += x.ms || 0;
    }
    u.failed_users = failedUsers;
    u.degradations = Object.fromEntries(Object.entries(u.degradations).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    if (timing) u.wall_ms_per_user = round6(n ? ms / n : 0);
    usage[m] = u;
  }
  return { methods: out, best_baseline: best, gain_over_best_baseline: gains, usage };
}

// NDCG@5 and Hit@5 of each method apart for targets some history holds and targets no
// history holds (new items: every history statistic of theirs is 0, so popularity and
// bought-together can only rank them down). Means only; the groups are unequal in size.
export function targetBreakdown(records, methods, inHistory) {
  const groups = { in_history: [], in_no_history: [] };
  for (const r of records) groups[inHistory(r.target) ? 'in_history' : 'in_no_history'].push(r);
  const out = {};
  for (const [g, rs] of Object.entries(groups)) {
    const entry = { users: rs.length, methods: {} };
    for (const m of methods) {
      let nd = 0;
      let hit = 0;
      for (const r of rs) {
        const [n5, h5] = metricsOfRank(r.ranks[m] === null ? Infinity : r.ranks[m]);
        nd += n5;
        hit += h5;
      }
      entry.methods[m] = { 'ndcg@5': rs.length ? round6(nd / rs.length) : null, 'hit@5': rs.length ? round6(hit / rs.length) : null };
    }
    out[g] = entry;
  }
  return out;
}

// "nli_batch_3:parse_error" -> "nli:parse_error": one key per agent and kind.
function degradationKey(d) {
  if (typeof d === 'string') return d.replace(/_batch_\d+/, '');
  if (d && typeof d === 'object') {
    const parts = [d.agent, d.kind || d.type || d.reason || d.code].filter((x) => typeof x === 'string');
    if (parts.length) return parts.join(':');
  }
  return 'other';
}

// ------------------------------------------------------------------ the run

// opts: { negatives, seed, users, methods, concurrency, resamples, checkpoint, backend,
//         model, fingerprint (object: what else determines the result, e.g. module hash),
//         timing (report wall time), progress (stream or null), keepCheckpoint }
export async function runEval(data, engine, opts) {
  const {
    negatives = 49,
    seed = 1,
    users: maxUsers = 0,
    methods,
    concurrency = 1,
    resamples = 1000,
    checkpoint = null,
    backend = 'offline',
    model = null,
    fingerprint = {},
    timing = false,
    progress = process.stderr,
    keepCheckpoint = false,
    clock = () => performance.now(),
    onUser = null,
  } = opts;
  const plans = planUsers(data, { negatives, seed, users: maxUsers });
  const ctx = {
    engine,
    clock,
    popularity: methods.includes('popularity') ? popularityCounts(data.users) : null,
    // Errors that no retry can fix stop the run instead of being counted per user.
    // A refused engine config (say, --config '{"reasoner": {"decay": 3}}') fails every user alike.
    fatal: (e) => Boolean(e && /does not export|was freed|engine config:/.test(String(e.message))),
  };
  const split = data.split ?? 'test';
  const header = {
    protocol: PROTOCOL_VERSION,
    dataset: data.name,
    split,
    data: data.fingerprint || null,
    users: plans.length,
    negatives,
    seed,
    methods,
    backend,
    model,
    ...fingerprint,
  };
  const done = readCheckpoint(checkpoint, header);
  const ck = openCheckpoint(checkpoint, header, done.size > 0);
  const records = new Array(plans.length);
  for (const [i, rec] of done) if (i < plans.length && rec.user === plans[i].user) records[i] = rec;
  const todo = plans.filter((p) => !records[p.i]);
  const bar = new Progress(plans.length, { stream: progress });
  bar.skip(plans.length - todo.length);
  if (progress && done.size) progress.write(`resuming from ${checkpoint}: ${plans.length - todo.length} users done\n`);
  const failures = [];
  let next = 0;
  let stopped = false; // set when one worker fails: the others finish their user and stop
  const workers = Math.max(1, Math.min(concurrency, todo.length || 1));
  async function loop() {
    const worker = todo.length ? engine.createWorker() : null;
    try {
      while (!stopped && next < todo.length) {
        const plan = todo[next++];
        const rec = await rankUser(plan, methods, ctx, worker);
        if (rec.errors) failures.push({ user: plan.user, error: rec.errors[0] });
        else ck.write(rec);
        records[plan.i] = rec;
        bar.tick();
        // Let timers and signals (Ctrl-C) in between users: an offline pipeline
        // resolves in microtasks only.
        await new Promise((r) => setImmediate(r));
        if (onUser) await onUser(rec);
      }
    } catch (e) {
      stopped = true;
      throw e;
    } finally {
      if (worker) worker.free();
    }
  }
  const settled = await Promise.allSettled(Array.from({ length: workers }, loop));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) {
    if (progress) progress.write('\n');
    throw failed.reason;
  }
  bar.finish();
  ck.close();
  const agg = aggregate(records, methods, { resamples, seed, timing });
  const inHistory = new Set(data.users.flatMap((u) => u.history.map((e) => e.item)));
  const result = {
    dataset: data.name,
    split,
    users: plans.length,
    negatives,
    seed,
    backend,
    model,
    resamples,
    protocol: PROTOCOL_VERSION,
    methods: agg.methods,
    best_baseline: agg.best_baseline,
    gain_over_best_baseline: agg.gain_over_best_baseline,
    usage: agg.usage,
    by_target: targetBreakdown(records, methods, (id) => inHistory.has(id)),
    failed_users: failures.length,
  };
  if (checkpoint && !keepCheckpoint && failures.length === 0 && existsSync(checkpoint)) unlinkSync(checkpoint);
  return { result, records, failures };
}
