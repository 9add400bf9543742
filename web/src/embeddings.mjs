// Embedding adapters. The default is the module's built-in feature-hashing embedder (no
// network); openAIEmbeddings calls an OpenAI-compatible /embeddings endpoint and shares
// the LLM adapters' retries, timeout and concurrency limit.
import { AragError, Status } from './errors.mjs';
import { createCaller, parseRetryAfter } from './llm.mjs';

/** The text embedded for an item or event: title, brand, categories and description. */
export function itemText(it) {
  const parts = [];
  if (typeof it.title === 'string' && it.title) parts.push(it.title);
  if (typeof it.brand === 'string' && it.brand) parts.push(it.brand);
  if (Array.isArray(it.categories) && it.categories.length) parts.push(it.categories.join(' > '));
  if (typeof it.text === 'string' && it.text) parts.push(it.text);
  return parts.join('. ');
}

/**
 * @param {object} opts baseURL (…/v1), model, apiKey?, headers?, fetch?, dim? (sent as
 *   `dimensions` when sendDimensions, default true if dim is given), batchSize (64), and
 *   the shared options concurrency, timeoutMs, retries, backoffMs, maxBackoffMs.
 */
export function openAIEmbeddings(opts = {}) {
  const { baseURL, model, apiKey, headers = {}, batchSize = 64 } = opts;
  if (typeof baseURL !== 'string' && !(baseURL instanceof URL)) {
    throw new AragError(Status.ARAG_E_INVALID, 'openAIEmbeddings: baseURL is required');
  }
  if (opts.dim !== undefined && !(Number.isInteger(opts.dim) && opts.dim > 0)) {
    throw new AragError(Status.ARAG_E_INVALID, 'openAIEmbeddings: dim must be a positive integer');
  }
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new AragError(Status.ARAG_E_INVALID, 'openAIEmbeddings: batchSize must be a positive integer');
  const f = opts.fetch || globalThis.fetch;
  const url = `${String(baseURL).replace(/\/+$/, '')}/embeddings`;
  const hdrs = { 'content-type': 'application/json', ...headers };
  if (apiKey) hdrs.authorization = `Bearer ${apiKey}`;
  const sendDimensions = opts.sendDimensions ?? opts.dim !== undefined;
  const adapter = { kind: 'embeddings', name: 'openai-embeddings', model, dim: opts.dim };

  async function once(input, { signal }) {
    const body = { model, input };
    if (sendDimensions && adapter.dim) body.dimensions = adapter.dim;
    const resp = await f(url, { method: 'POST', headers: hdrs, body: JSON.stringify(body), signal });
    const text = await resp.text();
    if (!resp.ok) return { status: resp.status, error: text.slice(0, 1000), retryAfterMs: parseRetryAfter(resp.headers) };
    let data;
    try {
      data = JSON.parse(text);
    } catch {
      return { status: 502, error: 'embeddings response is not JSON' };
    }
    if (!data || !Array.isArray(data.data) || data.data.length !== input.length) {
      return { status: 502, error: `embeddings response has ${data && Array.isArray(data.data) ? data.data.length : 'no'} vectors for ${input.length} inputs` };
    }
    const rows = new Array(input.length);
    for (let i = 0; i < data.data.length; i++) {
      const d = data.data[i];
      const at = Number.isInteger(d.index) ? d.index : i;
      if (!Array.isArray(d.embedding) || at < 0 || at >= input.length) return { status: 502, error: 'malformed embedding row' };
      rows[at] = Float32Array.from(d.embedding);
    }
    return { status: 200, value: rows, usage: data.usage };
  }
  const caller = createCaller(once, opts);
  adapter.stats = caller.stats;

  /** Embeds texts; resolves one Float32Array per text. Throws AragError on failure. */
  adapter.embed = async function embed(texts, { signal } = {}) {
    if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string')) {
      throw new AragError(Status.ARAG_E_INVALID, 'embed: texts must be an array of strings');
    }
    const out = [];
    const batches = [];
    for (let i = 0; i < texts.length; i += batchSize) batches.push(texts.slice(i, i + batchSize));
    const results = await Promise.all(batches.map((b) => caller.call(b.map((t) => t || ' '), { signal })));
    for (const r of results) {
      if (r.status !== 200) throw new AragError(Status.ARAG_E_STATE, `embeddings request failed (${r.status}): ${r.error || ''}`.trim());
      out.push(...r.value);
    }
    for (const v of out) {
      if (adapter.dim === undefined) adapter.dim = v.length;
      if (v.length !== adapter.dim) throw new AragError(Status.ARAG_E_DIM, `embedding has dimension ${v.length}, expected ${adapter.dim}`);
      if (!v.every(Number.isFinite)) throw new AragError(Status.ARAG_E_NONFINITE, 'embedding contains a non-finite value');
    }
    return out;
  };
  return adapter;
}
