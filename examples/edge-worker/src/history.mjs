// The shopper's history. By default the page keeps it (IndexedDB, as arag's demo does)
// and sends it with each request: its events (`history`, by item id or with their text)
// or its history snapshot (`history_snapshot`: base64 of rec.history.snapshot()), so it
// never needs to live on a server.
//
// For a shop that wants one history across a shopper's devices, a Durable Object per
// shopper (ShopperHistory, bound as SHOPPER_HISTORY) keeps it, named by the shopper id
// the shop signed into the page token (signPageToken({ shopper })): a request never
// names a shopper itself, so no one reads or writes another's history without a token
// the shop minted for them. It keeps events by item id, kind, time and rating (no text),
// at most STORED_HISTORY_MAX_EVENTS (the oldest go first), and forgets them
// STORED_HISTORY_DAYS after the last one.
//
//   POST /recommend {history: [...new events], options: {history: "stored"}}
//        the new events are added, then the whole stored history is used
//   GET /history     {events}      DELETE /history   forgets everything
import { DurableObject } from 'cloudflare:workers';
import { HttpError, json } from './http.mjs';

const KEPT = ['id', 'ts', 'kind', 'rating'];

/** An event as stored: its id, time, kind and rating only. */
export function storedEvent(ev) {
  const out = {};
  for (const k of KEPT) if (ev[k] !== undefined) out[k] = ev[k];
  return out;
}

export class ShopperHistory extends DurableObject {
  async events() {
    return (await this.ctx.storage.get('events')) || [];
  }
  /** Adds events (oldest first) and returns the whole history, at most max events. */
  async append(events, max, days) {
    let list = await this.events();
    if (events.length) {
      list = list.concat(events.map(storedEvent));
      if (list.length > max) list = list.slice(list.length - max);
      await this.ctx.storage.put('events', list);
      await this.ctx.storage.setAlarm(Date.now() + days * 86400000);
    }
    return list;
  }
  async clear() {
    await this.ctx.storage.deleteAll();
    return 0;
  }
  async alarm() {
    await this.ctx.storage.deleteAll();
  }
}

/** The stub of the token holder's history; 503 without the binding, 403 for a token
 * that names no shopper. */
export function shopperHistory(env, claims) {
  if (!env.SHOPPER_HISTORY || typeof env.SHOPPER_HISTORY.idFromName !== 'function') {
    throw new HttpError(503, 'this worker keeps no histories (no SHOPPER_HISTORY binding)', { code: 'not_configured' });
  }
  if (!claims.shopper) {
    throw new HttpError(403, 'the page token names no shopper: a stored history needs a token the shop signed for a shopper', { code: 'no_shopper' });
  }
  // Per origin and shopper: the shop's ids, in the shop's namespace.
  return env.SHOPPER_HISTORY.get(env.SHOPPER_HISTORY.idFromName(`${claims.origin}\n${claims.shopper}`));
}

/** GET /history and DELETE /history for the token's shopper. */
export async function historyRoute(request, env, claims) {
  const stub = shopperHistory(env, claims);
  if (request.method === 'GET') return { response: json(200, { events: await stub.events() }), counts: {} };
  if (request.method === 'DELETE') {
    await stub.clear();
    return { response: json(200, { events: [] }), counts: {} };
  }
  throw new HttpError(405, 'use GET or DELETE', { headers: { Allow: 'GET, DELETE, OPTIONS' } });
}
