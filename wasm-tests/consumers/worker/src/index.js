// POST /recommend -> the offline recommendation of the shared consumer code, as JSON.
import { recommend } from './recommend.js';

export default {
  async fetch(request) {
    const { pathname } = new URL(request.url);
    if (request.method !== 'POST' || pathname !== '/recommend') return new Response('not found', { status: 404 });
    try {
      return Response.json(await recommend());
    } catch (e) {
      return Response.json({ error: String((e && e.message) || e) }, { status: 500 });
    }
  },
};
