// What a caller may spend, and what one isolate may hold.
//
// - Per page token: LLM calls and tokens, in a Durable Object (TokenBudget) named by the
//   token's id, so the count holds across isolates and locations. Work is reserved before
//   it starts (up to what the token has left) and settled after (unused reservations go
//   back). Without the binding (a local setup without it), a per-isolate table stands in.
// - Per client address: request rates through the Workers rate-limiting binding
//   (RATE_LIMITER) when bound, else a per-isolate table; and a per-isolate total that
//   holds even where the address can be forged (off Cloudflare).
// - Per isolate: recommendations alive at once and request bytes held (admission).
//
// Per-isolate tables are bounded, keyed by hashes (never raw header values), and drop
// expired entries whatever their size.
import { DurableObject } from 'cloudflare:workers';
import { HttpError } from './http.mjs';

/** A bounded map of expiring counters. */
export class ExpiringCounters {
  constructor(maxEntries) {
    this.max = maxEntries;
    this.map = new Map(); // key -> {until, calls, tokens, n}
  }
  get size() {
    return this.map.size;
  }
  _sweep(now) {
    for (const [k, v] of this.map) if (v.until <= now) this.map.delete(k);
  }
  /** The entry of key, created until `until` when absent (evicting the oldest when full). */
  entry(key, until, now = Date.now()) {
    let e = this.map.get(key);
    if (e && e.until <= now) {
      this.map.delete(key);
      e = undefined;
    }
    if (!e) {
      if (this.map.size >= this.max) this._sweep(now);
      while (this.map.size >= this.max) this.map.delete(this.map.keys().next().value);
      e = { until, calls: 0, tokens: 0, n: 0 };
      this.map.set(key, e);
    }
    return e;
  }
}

/** The first 16 bytes of SHA-256 of s, hex: table keys that hold no raw value. */
export async function hashKey(s) {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(s)));
  let h = '';
  for (let i = 0; i < 16; i++) h += d[i].toString(16).padStart(2, '0');
  return h;
}

/** Reserve / settle against a token's budget (the Durable Object's logic, and the fallback's). */
function reserveIn(state, want, limits) {
  const calls = Math.max(0, Math.min(want.calls, limits.maxCalls - state.calls));
  const tokens = Math.max(0, Math.min(want.tokens, limits.maxTokens - state.tokens));
  if (calls < 1 || tokens < 1) return { calls: 0, tokens: 0, usedCalls: state.calls, usedTokens: state.tokens };
  state.calls += calls;
  state.tokens += tokens;
  return { calls, tokens, usedCalls: state.calls, usedTokens: state.tokens };
}

function settleIn(state, reserved, used) {
  state.calls -= Math.max(0, reserved.calls - Math.min(used.calls, reserved.calls));
  state.tokens -= Math.max(0, reserved.tokens - Math.min(used.tokens, reserved.tokens));
  // Spent past the reservation (a completion longer than reserved): counted too.
  state.calls += Math.max(0, used.calls - reserved.calls);
  state.tokens += Math.max(0, used.tokens - reserved.tokens);
}

/** One page token's spending (named by the token id). Forgets it after the token expires. */
export class TokenBudget extends DurableObject {
  async _state() {
    return (await this.ctx.storage.get('spent')) || { calls: 0, tokens: 0 };
  }
  async reserve(want, limits) {
    const s = await this._state();
    const r = reserveIn(s, want, limits);
    if (r.calls > 0) {
      await this.ctx.storage.put('spent', s);
      if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(limits.expiresAt * 1000 + 60000);
    }
    return r;
  }
  async settle(reserved, used) {
    const s = await this._state();
    settleIn(s, reserved, used);
    await this.ctx.storage.put('spent', s);
    return { usedCalls: s.calls, usedTokens: s.tokens };
  }
  async spent() {
    return this._state();
  }
  async alarm() {
    await this.ctx.storage.deleteAll();
  }
}

// Fallback: this isolate's table of token spending (10,000 tokens at most).
const localBudgets = new ExpiringCounters(10000);

/**
 * The budget of one token (claims from verifyPageToken). reserve(want) -> granted
 * {calls, tokens} (0 when the token has nothing left); settle(granted, used).
 */
export function tokenBudget(env, claims) {
  const limits = { maxCalls: claims.maxCalls, maxTokens: claims.maxTokens, expiresAt: claims.expiresAt };
  if (env.TOKEN_BUDGET && typeof env.TOKEN_BUDGET.idFromName === 'function') {
    const stub = env.TOKEN_BUDGET.get(env.TOKEN_BUDGET.idFromName(claims.id));
    return {
      where: 'durable-object',
      reserve: (want) => stub.reserve(want, limits),
      settle: (granted, used) => stub.settle(granted, used),
    };
  }
  const key = claims.id; // random, not a client value
  return {
    where: 'isolate',
    reserve: async (want) => reserveIn(localBudgets.entry(key, claims.expiresAt * 1000), want, limits),
    settle: async (granted, used) => settleIn(localBudgets.entry(key, claims.expiresAt * 1000), granted, used),
  };
}

// Fallback request-rate windows of this isolate (per address, and its total).
const localRates = new ExpiringCounters(10000);
let isolateWindow = { start: 0, n: 0 };

/** The client's address as the platform gives it (CF-Connecting-IP, which Cloudflare
 * sets); never X-Forwarded-For or other headers a client writes. */
export function clientAddress(request) {
  return request.headers.get('CF-Connecting-IP') || 'unknown';
}

/** 429 when the client (or this isolate as a whole) is past its rate of requests. */
export async function checkRate(request, env, s, route) {
  const now = Date.now();
  if (now - isolateWindow.start >= 60000) isolateWindow = { start: now, n: 0 };
  if (++isolateWindow.n > s.RATE_LIMIT_ISOLATE_PER_MINUTE) {
    const retry = Math.max(1, Math.ceil((isolateWindow.start + 60000 - now) / 1000));
    throw new HttpError(429, 'too many requests; try again later', { code: 'rate_limited', headers: { 'Retry-After': String(retry) } });
  }
  const key = `${route}:${await hashKey(clientAddress(request))}`;
  if (env.RATE_LIMITER && typeof env.RATE_LIMITER.limit === 'function') {
    const { success } = await env.RATE_LIMITER.limit({ key });
    if (!success) throw new HttpError(429, 'too many requests from this address; try again later', { code: 'rate_limited', headers: { 'Retry-After': '60' } });
    return;
  }
  const e = localRates.entry(key, now + 60000, now);
  if (++e.n > s.RATE_LIMIT_PER_MINUTE) {
    const retry = Math.max(1, Math.ceil((e.until - now) / 1000));
    throw new HttpError(429, 'too many requests from this address; try again later', { code: 'rate_limited', headers: { 'Retry-After': String(retry) } });
  }
}

/** Sizes of the per-isolate tables (for /health and tests). */
export function tableSizes() {
  return { rates: localRates.size, budgets: localBudgets.size };
}

// Admission: what this isolate holds now.
const live = { recommendations: 0, bytes: 0, refused: 0, peakRecommendations: 0, peakBytes: 0 };

/**
 * Takes room for one request of `bytes` (and one recommendation when recommendation is
 * true); 503 with Retry-After when there is none. Returns release().
 */
export function admit(s, bytes, recommendation) {
  if ((recommendation && live.recommendations >= s.MAX_LIVE_RECOMMENDATIONS) || live.bytes + bytes > s.MAX_BYTES_IN_FLIGHT) {
    live.refused++;
    throw new HttpError(503, 'the worker is busy; try again shortly', { code: 'overloaded', headers: { 'Retry-After': '2' } });
  }
  live.bytes += bytes;
  if (recommendation) live.recommendations++;
  live.peakRecommendations = Math.max(live.peakRecommendations, live.recommendations);
  live.peakBytes = Math.max(live.peakBytes, live.bytes);
  let done = false;
  return () => {
    if (done) return;
    done = true;
    live.bytes -= bytes;
    if (recommendation) live.recommendations--;
  };
}

export function admission() {
  return live;
}
