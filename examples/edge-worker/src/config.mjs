// The worker's settings: wrangler.toml [vars] and secrets over these defaults. Every
// number is a cap the operator sets; a client may ask for less, never for more.
export const DEFAULTS = Object.freeze({
  // LLM backend of /recommend: offline (built-in reasoner, no LLM) | openai | workers-ai
  ARAG_LLM: 'offline',
  LLM_BASE_URL: '',
  LLM_MODEL: '',
  WORKERS_AI_MODEL: '@cf/meta/llama-3.1-8b-instruct',
  ALLOWED_ORIGINS: '',
  // none | summary (no model text) | full (only for a page token that grants it)
  TRACE_LEVEL: 'summary',

  // Request bodies: bytes, and how long reading one may take (408 past it).
  MAX_BODY_BYTES: 262144,
  BODY_TIMEOUT_MS: 10000,
  MAX_JSON_DEPTH: 32,
  // /recommend input
  MAX_CANDIDATES: 200,
  MAX_HISTORY: 500,
  MAX_TEXT_CHARS: 4000,
  MAX_K: 50,
  // A history snapshot sent with a request (history_snapshot, base64): decoded bytes.
  MAX_HISTORY_SNAPSHOT_BYTES: 65536,
  // The catalog (catalog.mjs): its key in R2 / KV or its path among the static assets;
  // how often an isolate asks whether a new version is out; the largest snapshot an
  // isolate holds: 24 MiB, about 32,000 items with int8 vectors, which with a second
  // version held during a swap stays within an isolate's 128 MB (docs/edge-worker.md;
  // past it, with a VECTORIZE binding, the catalog's top-k comes from Vectorize).
  CATALOG_KEY: 'catalog.snap',
  CATALOG_CHECK_SECONDS: 30,
  CATALOG_MAX_BYTES: 25165824,
  // A shopper's history kept by the worker (ShopperHistory, for tokens naming a shopper):
  // events kept (the oldest go first) and days kept after the last one.
  STORED_HISTORY_MAX_EVENTS: 500,
  STORED_HISTORY_DAYS: 365,
  // Engine cost settings: options.config may lower them (raise NLI_BATCH_MIN), never pass them.
  CAP_NLI_BATCH_MIN: 10,
  CAP_TOP_K: 200,
  CAP_SESSION_LEN: 10,
  CAP_LONG_TERM_LEN: 50,
  CAP_MAX_PROMPT_ITEM_CHARS: 300,
  CAP_MAX_IN_FLIGHT: 4,
  // Each call asks for what its answer needs (UUA 500, CSA 400, NLI 800 for a batch of 10,
  // IRA 100 + 52 per candidate + 30 per item it cites, at most 10); this caps it at IRA's need for 50 candidates, the
  // default top_k (a longer ranking is cut there and its rest ranked offline).
  CAP_MAX_TOKENS: 3000,
  // One LLM-backed recommendation: provider calls (every attempt counts), tokens, prompt
  // bytes, and a deadline for the whole of it (agents past it degrade, nothing waits).
  RECOMMEND_MAX_CALLS: 24,
  RECOMMEND_MAX_TOKENS: 120000,
  RECOMMEND_MAX_PROMPT_BYTES: 600000,
  RECOMMEND_DEADLINE_MS: 20000,
  LLM_TIMEOUT_MS: 15000,
  // An LLM-backed answer starts once the recommendation is running and sends a space every
  // HEARTBEAT_MS until its JSON: a client that went away is noticed at the next write
  // (0: one JSON body at the end).
  HEARTBEAT_MS: 1000,
  // One isolate: recommendations alive at once and request bytes held; past them: 503.
  MAX_LIVE_RECOMMENDATIONS: 6,
  MAX_BYTES_IN_FLIGHT: 2097152,
  // /v1/chat/completions
  PROXY_MAX_BYTES: 65536,
  // The library's own cap (a page's recommender asks IRA 3,000 for 50 candidates).
  PROXY_MAX_TOKENS: 4096,
  PROXY_MAX_MESSAGES: 64,
  PROXY_MAX_TEMPERATURE: 1.5,
  PROXY_MAX_RESPONSE_BYTES: 1048576,
  PROXY_TIMEOUT_MS: 60000,
  // Request rates per client address (the platform's CF-Connecting-IP), and for the whole
  // isolate, per minute: offline /recommend and anything refused before a token is read.
  RATE_LIMIT_PER_MINUTE: 60,
  RATE_LIMIT_ISOLATE_PER_MINUTE: 1200,
});

const STRINGS = new Set(['ARAG_LLM', 'LLM_BASE_URL', 'LLM_MODEL', 'WORKERS_AI_MODEL', 'ALLOWED_ORIGINS', 'TRACE_LEVEL', 'CATALOG_KEY']);
const CHOICES = { ARAG_LLM: ['offline', 'openai', 'workers-ai'], TRACE_LEVEL: ['none', 'summary', 'full'] };

/** A misconfiguration: the operator's to fix; answered 500 with a generic message. */
export class ConfigError extends Error {}

const cache = new WeakMap();

/** The settings of env (numbers parsed, choices checked), memoized per env object. */
export function settings(env) {
  if (env && typeof env === 'object' && cache.has(env)) return cache.get(env);
  const s = {};
  for (const [name, dflt] of Object.entries(DEFAULTS)) {
    const raw = env ? env[name] : undefined;
    if (raw === undefined || raw === null || raw === '') {
      s[name] = dflt;
    } else if (STRINGS.has(name)) {
      s[name] = String(raw).trim();
      if (CHOICES[name] && !CHOICES[name].includes(s[name])) {
        throw new ConfigError(`${name} must be one of ${CHOICES[name].join(', ')}`);
      }
    } else {
      const v = Number(raw);
      if (!Number.isFinite(v) || v < 0) throw new ConfigError(`${name} must be a number >= 0`);
      s[name] = v;
    }
  }
  s.origins = s.ALLOWED_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean);
  s.PAGE_TOKEN_SECRET = env && typeof env.PAGE_TOKEN_SECRET === 'string' ? env.PAGE_TOKEN_SECRET : '';
  s.LLM_API_KEY = env && typeof env.LLM_API_KEY === 'string' ? env.LLM_API_KEY : '';
  if (env && typeof env === 'object') cache.set(env, s);
  return s;
}

/** The cost settings a client's options.config may name, with the cap each keeps to:
 * max (no larger) or min (no smaller). */
export function costCaps(s) {
  return {
    nli_batch: { min: s.CAP_NLI_BATCH_MIN, setting: 'CAP_NLI_BATCH_MIN' },
    top_k: { max: s.CAP_TOP_K, setting: 'CAP_TOP_K' },
    session_len: { max: s.CAP_SESSION_LEN, setting: 'CAP_SESSION_LEN' },
    long_term_len: { max: s.CAP_LONG_TERM_LEN, setting: 'CAP_LONG_TERM_LEN' },
    max_prompt_item_chars: { max: s.CAP_MAX_PROMPT_ITEM_CHARS, setting: 'CAP_MAX_PROMPT_ITEM_CHARS' },
    max_in_flight: { max: s.CAP_MAX_IN_FLIGHT, setting: 'CAP_MAX_IN_FLIGHT' },
    max_tokens: { max: s.CAP_MAX_TOKENS, setting: 'CAP_MAX_TOKENS' },
  };
}
