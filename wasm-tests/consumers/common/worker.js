// The Web Worker: the same recommendation, posted back to the page.
import { recommend } from './recommend.js';

recommend().then(
  (r) => postMessage(r),
  (e) => postMessage({ error: String((e && e.message) || e) })
);
