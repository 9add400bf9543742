// HTTP plumbing: errors in the OpenAI error shape, JSON bodies read within a byte limit, a
// reading deadline and a nesting depth, and CORS for the allowed origins.

const TYPES = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'invalid_request_error',
  405: 'invalid_request_error',
  408: 'invalid_request_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  429: 'rate_limit_error',
};

/** An answer the worker gives on purpose: status, a message of its own, a short code. */
export class HttpError extends Error {
  constructor(status, message, { code = null, param = null, headers = {} } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.param = param;
    this.headers = headers;
  }
}

export function json(status, body, headers = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers },
  });
}

/** {error: {message, type, param, code}}, as OpenAI's API and its clients expect. */
export function errorBody(status, message, code = null, param = null) {
  const type = TYPES[status] || (status >= 500 ? 'server_error' : 'invalid_request_error');
  return { error: { message, type, param, code } };
}

export function errorResponse(e) {
  return json(e.status, errorBody(e.status, e.message, e.code, e.param), e.headers);
}

/**
 * Reads the body as UTF-8 text: 413 past max bytes (declared or read), 408 when it is not
 * all in within timeoutMs. The stream is cancelled on either.
 */
export async function readText(request, max, timeoutMs) {
  const declared = Number(request.headers.get('Content-Length'));
  if (Number.isFinite(declared) && declared > max) {
    throw new HttpError(413, `request body is ${declared} bytes; the limit is ${max}`, { code: 'body_too_large' });
  }
  if (!request.body) return '';
  const reader = request.body.getReader();
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new HttpError(408, `request body not received within ${timeoutMs} ms`, { code: 'body_timeout' })), timeoutMs);
  });
  const chunks = [];
  let n = 0;
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), late]);
      if (done) break;
      n += value.byteLength;
      if (n > max) throw new HttpError(413, `request body is over the limit of ${max} bytes`, { code: 'body_too_large' });
      chunks.push(value);
    }
  } catch (e) {
    reader.cancel().catch(() => {});
    throw e;
  } finally {
    clearTimeout(timer);
  }
  const all = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.byteLength;
  }
  return new TextDecoder('utf-8').decode(all);
}

/** Depth of the deepest array or object (iterative: no recursion on hostile input). */
export function jsonDepth(value, limit) {
  const stack = [[value, 1]];
  let max = 0;
  while (stack.length) {
    const [v, d] = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (d > max) max = d;
    if (max > limit) return max;
    for (const x of Array.isArray(v) ? v : Object.values(v)) if (x !== null && typeof x === 'object') stack.push([x, d + 1]);
  }
  return max;
}

/** Parses JSON the worker can take: 400 for bad text, for nesting past maxDepth, and for
 * anything the parser cannot hold (a RangeError on deep input included). */
export function parseJson(text, maxDepth) {
  let v;
  try {
    v = JSON.parse(text);
  } catch (e) {
    const why = e instanceof SyntaxError ? e.message : 'too deeply nested';
    throw new HttpError(400, `malformed JSON: ${why}`, { code: 'malformed_json' });
  }
  if (jsonDepth(v, maxDepth) > maxDepth) {
    throw new HttpError(400, `JSON is nested deeper than ${maxDepth} levels`, { code: 'too_deep' });
  }
  return v;
}

// Request headers a page may send: the OpenAI SDK's own (x-stainless-*) among them.
const ALLOWED_HEADER = /^(authorization|content-type|accept|x-stainless-[a-z0-9-]+|openai-organization|openai-project|openai-beta)$/;

/** CORS headers for an allowed origin (none for another). */
export function corsHeaders(request, origins, methods = 'POST, OPTIONS') {
  const origin = request.headers.get('Origin');
  if (!origin || !origins.includes(origin)) return null;
  const asked = (request.headers.get('Access-Control-Request-Headers') || '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => ALLOWED_HEADER.test(h));
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Methods': methods,
    'Access-Control-Allow-Headers': [...new Set(['authorization', 'content-type', ...asked])].join(', '),
    'Access-Control-Expose-Headers': 'retry-after, x-request-id',
    'Access-Control-Max-Age': '600',
    Vary: 'Origin',
  };
}

export function withHeaders(response, headers) {
  if (!headers) return response;
  const r = new Response(response.body, response);
  for (const [k, v] of Object.entries(headers)) r.headers.set(k, v);
  return r;
}

/** Whether s holds a lone surrogate (JSON text can carry one; it is not valid UTF-16). */
export function hasLoneSurrogate(s) {
  return typeof s.isWellFormed === 'function' ? !s.isWellFormed() : /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}
