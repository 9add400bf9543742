// Page tokens on requests: `Authorization: Bearer <token>`, minted by the shop's server
// with PAGE_TOKEN_SECRET (arag's signPageToken, or `arag token`), bound to the page's
// origin, short-lived, with a budget of LLM calls and tokens.
import { verifyPageToken } from 'arag';
import { HttpError } from './http.mjs';

const WHY = {
  malformed: ['the page token is malformed', 'invalid_token'],
  signature: ['the page token is not valid', 'invalid_token'],
  expired: ['the page token has expired', 'token_expired'],
  not_yet_valid: ['the page token is not valid yet', 'invalid_token'],
  origin: ["the page token was issued for another origin than this request's", 'origin_mismatch'],
};

/** The verified claims of the request's page token; 401 without a valid one, 503 when the
 * worker has no secret to check tokens with (LLM features are then off). */
export async function requireToken(request, s, what) {
  if (!s.PAGE_TOKEN_SECRET) {
    throw new HttpError(503, `${what} is not available: the worker has no PAGE_TOKEN_SECRET`, { code: 'not_configured' });
  }
  const auth = request.headers.get('Authorization') || '';
  const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
  if (!m) {
    throw new HttpError(401, `${what} needs a page token (Authorization: Bearer <token>) from the shop's server`, {
      code: 'missing_token',
      headers: { 'WWW-Authenticate': 'Bearer' },
    });
  }
  const origin = request.headers.get('Origin');
  if (!origin) throw new HttpError(401, 'a request with a page token must carry the Origin header of its page', { code: 'origin_mismatch' });
  const r = await verifyPageToken(m[1], { secret: s.PAGE_TOKEN_SECRET, origin });
  if (!r.ok) {
    const [message, code] = WHY[r.reason] || WHY.malformed;
    throw new HttpError(401, message, { code, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } });
  }
  return r.claims;
}
