// Redaction of credentials from text a server returns or logs: an upstream that echoes
// the Authorization header ("Incorrect API key provided: Bearer sk-...") must not hand the
// key to whoever reads the answer, the trace or the log.
//
// Replaced with "[redacted]": `Bearer <credential>`, `Basic <credential>`, strings shaped
// like API keys (sk-..., sk_live_..., rk_..., xai-..., gsk_..., hf_..., AIza...), page
// tokens (apt1....), and every configured secret given (the exact string, and its first
// and last 12 characters, which error messages often show).

// A key body: 16 or more key characters, two of them digits (so that product slugs
// such as "sk-ultra-hydrating-cream" stay).
const BODY = '(?=[A-Za-z0-9_-]{16,})(?=[A-Za-z0-9_-]*\\d[A-Za-z0-9_-]*\\d)[A-Za-z0-9_-]{16,}';
const PATTERNS = [
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/gi,
  new RegExp(`\\b(?:sk|rk|pk|xai|gsk|hf|ghp|gho|glpat)[-_]${BODY}`, 'g'),
  /\bAIza[0-9A-Za-z_-]{30,}/g,
  /\bapt1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g,
];

export const REDACTED = '[redacted]';
const ID_KEYS = new Set(['id', 'order', 'long_term', 'session']);

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A redactor for the given secrets (strings; empty and short ones are ignored, since a
 * short string would match ordinary text). redact(text) returns text with every
 * credential-shaped string and every secret replaced.
 */
export function createRedactor(secrets = []) {
  const parts = new Set();
  for (const s of secrets) {
    if (typeof s !== 'string' || s.length < 8) continue;
    parts.add(s);
    if (s.length >= 24) {
      parts.add(s.slice(0, 12));
      parts.add(s.slice(-12));
    }
  }
  const exact = parts.size
    ? new RegExp([...parts].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g')
    : null;
  function redact(text) {
    if (typeof text !== 'string' || text === '') return text;
    let out = exact ? text.replace(exact, REDACTED) : text;
    for (const re of PATTERNS) out = out.replace(re, (m, scheme) => (typeof scheme === 'string' ? `${scheme} ${REDACTED}` : REDACTED));
    return out;
  }
  /** The same for every string inside a JSON-like value (a new value; keys kept). Item
   * ids (members named "id", and the id lists "order", "long_term", "session") are
   * checked against the secrets only: an id is the shop's, not a credential. */
  function redactValue(value, depth = 0, idsOnly = false) {
    if (typeof value === 'string') return idsOnly ? (exact ? value.replace(exact, REDACTED) : value) : redact(value);
    if (value === null || typeof value !== 'object' || depth > 64) return value;
    if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1, idsOnly));
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactValue(v, depth + 1, ID_KEYS.has(k));
    return out;
  }
  return { redact, redactValue };
}

/** redact(text) with the default patterns and the given secrets. */
export function redactSecrets(text, secrets = []) {
  return createRedactor(secrets).redact(text);
}
