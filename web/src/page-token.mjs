// Short-lived signed page tokens, in the manner of Algolia's secured API keys: the shop's
// server mints one per page with a secret it shares with the edge worker; the page sends
// it as `Authorization: Bearer <token>`; the worker checks it before spending the shop's
// LLM budget. HMAC-SHA256 through WebCrypto, so the same code runs in Node, browsers and
// workerd.
//
// A token is `apt1.<claims>.<signature>` (base64url). Its claims: the origin it binds,
// issue and expiry times (seconds), a budget of LLM calls and tokens, the trace level it
// grants, a random id that counters of what it spent are kept under, and optionally the
// shopper it speaks for (the shop's own id of a signed-in shopper, for a history kept on
// the server across devices).
import { AragError, Status } from './errors.mjs';

export const PAGE_TOKEN_DEFAULTS = Object.freeze({
  ttlSeconds: 900, // 15 minutes
  maxTtlSeconds: 86400, // 24 hours
  maxCalls: 40,
  maxTokens: 80000,
  trace: 'summary',
  minSecretBytes: 32,
  clockSkewSeconds: 60,
});

export const TRACE_LEVELS = Object.freeze(['none', 'summary', 'full']);

const PREFIX = 'apt1';
const MAX_TOKEN_CHARS = 1024;
const enc = new TextEncoder();

function invalid(msg) {
  return new AragError(Status.ARAG_E_INVALID, msg);
}

function b64url(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromB64url(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const b = text.replace(/-/g, '+').replace(/_/g, '/');
  let s;
  try {
    s = atob(b + '='.repeat((4 - (b.length % 4)) % 4));
  } catch {
    return null;
  }
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function subtle() {
  const s = globalThis.crypto && globalThis.crypto.subtle;
  if (!s) throw new AragError(Status.ARAG_E_STATE, 'page tokens need WebCrypto (crypto.subtle)');
  return s;
}

function secretBytes(secret) {
  let bytes;
  if (typeof secret === 'string') bytes = enc.encode(secret);
  else if (secret instanceof Uint8Array) bytes = secret;
  else if (secret instanceof ArrayBuffer) bytes = new Uint8Array(secret);
  else throw invalid('page token: secret must be a string or bytes');
  if (bytes.length < PAGE_TOKEN_DEFAULTS.minSecretBytes) {
    throw invalid(`page token: the secret must be at least ${PAGE_TOKEN_DEFAULTS.minSecretBytes} bytes (it is ${bytes.length})`);
  }
  return bytes;
}

// Imported keys by secret (a worker verifies with one secret for its whole life).
const keys = new Map();
async function hmacKey(secret) {
  const cacheable = typeof secret === 'string';
  if (cacheable && keys.has(secret)) return keys.get(secret);
  const key = await subtle().importKey('raw', secretBytes(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  if (cacheable) {
    if (keys.size >= 8) keys.delete(keys.keys().next().value);
    keys.set(secret, key);
  }
  return key;
}

/** The origin of a URL-like string, or null when s is not exactly an origin. */
export function normalizeOrigin(s) {
  if (typeof s !== 'string' || s.length > 300) return null;
  let u;
  try {
    u = new URL(s);
  } catch {
    return null;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
  return u.origin === s.replace(/\/$/, '') ? u.origin : null;
}

function isShopperId(v) {
  return typeof v === 'string' && v.length >= 1 && v.length <= 128 && (typeof v.isWellFormed !== 'function' || v.isWellFormed());
}

function count(name, v, dflt) {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < 0 || v > 1e9) throw invalid(`page token: ${name} must be an integer in [0, 1e9], got ${String(v)}`);
  return v;
}

/**
 * Mints a page token (resolves the token string).
 * @param {object} opts secret (string or bytes, >= 32 bytes, shared with the worker),
 *   origin (the page's origin, e.g. https://shop.example), ttlSeconds (default 900, at
 *   most 86400), maxCalls (LLM calls, default 40), maxTokens (prompt + completion tokens,
 *   default 80000), trace ('none' | 'summary' | 'full': the most of a trace the holder may
 *   see; default 'summary'), shopper (optional: the shop's id of the signed-in shopper,
 *   1-128 characters; a worker keeps that shopper's history under it), now (ms, for
 *   tests).
 */
export async function signPageToken(opts = {}) {
  if (!opts || typeof opts !== 'object') throw invalid('signPageToken: pass an options object');
  const origin = normalizeOrigin(opts.origin);
  if (!origin) throw invalid(`page token: origin must be an origin such as https://shop.example, got ${JSON.stringify(opts.origin)}`);
  const ttl = opts.ttlSeconds ?? PAGE_TOKEN_DEFAULTS.ttlSeconds;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > PAGE_TOKEN_DEFAULTS.maxTtlSeconds) {
    throw invalid(`page token: ttlSeconds must be an integer in [1, ${PAGE_TOKEN_DEFAULTS.maxTtlSeconds}], got ${String(ttl)}`);
  }
  const trace = opts.trace ?? PAGE_TOKEN_DEFAULTS.trace;
  if (!TRACE_LEVELS.includes(trace)) throw invalid(`page token: trace must be one of ${TRACE_LEVELS.join(', ')}`);
  if (opts.shopper !== undefined && !isShopperId(opts.shopper)) {
    throw invalid('page token: shopper must be a string of 1-128 characters (well-formed Unicode)');
  }
  const now = Math.floor((opts.now ?? Date.now()) / 1000);
  const id = new Uint8Array(16);
  globalThis.crypto.getRandomValues(id);
  const claims = {
    o: origin,
    iat: now,
    exp: now + ttl,
    c: count('maxCalls', opts.maxCalls, PAGE_TOKEN_DEFAULTS.maxCalls),
    t: count('maxTokens', opts.maxTokens, PAGE_TOKEN_DEFAULTS.maxTokens),
    tr: trace,
    id: b64url(id),
  };
  if (opts.shopper !== undefined) claims.sh = opts.shopper;
  const body = `${PREFIX}.${b64url(enc.encode(JSON.stringify(claims)))}`;
  const sig = new Uint8Array(await subtle().sign('HMAC', await hmacKey(opts.secret), enc.encode(body)));
  return `${body}.${b64url(sig)}`;
}

/**
 * Checks a page token. Resolves {ok: true, claims: {origin, issuedAt, expiresAt, maxCalls,
 * maxTokens, trace, id, shopper (or null)}} or {ok: false, reason}, reason one of 'malformed', 'signature',
 * 'expired', 'not_yet_valid', 'origin'. origin: the request's Origin (checked when given).
 */
export async function verifyPageToken(token, opts = {}) {
  const key = await hmacKey(opts.secret); // throws on a bad secret: the operator's error
  if (typeof token !== 'string' || token.length > MAX_TOKEN_CHARS) return { ok: false, reason: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX) return { ok: false, reason: 'malformed' };
  const sig = fromB64url(parts[2]);
  const payload = fromB64url(parts[1]);
  if (!sig || !payload || sig.length !== 32) return { ok: false, reason: 'malformed' };
  // HMAC verification compares in constant time.
  const good = await subtle().verify('HMAC', key, sig, enc.encode(`${parts[0]}.${parts[1]}`));
  if (!good) return { ok: false, reason: 'signature' };
  let c;
  try {
    c = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const int = (v) => Number.isInteger(v) && v >= 0;
  if (!c || typeof c !== 'object' || typeof c.o !== 'string' || !int(c.iat) || !int(c.exp) || !int(c.c) || !int(c.t) ||
      !TRACE_LEVELS.includes(c.tr) || typeof c.id !== 'string' || c.exp - c.iat > PAGE_TOKEN_DEFAULTS.maxTtlSeconds ||
      (c.sh !== undefined && !isShopperId(c.sh))) {
    return { ok: false, reason: 'malformed' };
  }
  const now = Math.floor((opts.now ?? Date.now()) / 1000);
  if (now >= c.exp) return { ok: false, reason: 'expired' };
  if (c.iat > now + PAGE_TOKEN_DEFAULTS.clockSkewSeconds) return { ok: false, reason: 'not_yet_valid' };
  if (opts.origin !== undefined && opts.origin !== c.o) return { ok: false, reason: 'origin' };
  return {
    ok: true,
    claims: { origin: c.o, issuedAt: c.iat, expiresAt: c.exp, maxCalls: c.c, maxTokens: c.t, trace: c.tr, id: c.id, shopper: c.sh ?? null },
  };
}
