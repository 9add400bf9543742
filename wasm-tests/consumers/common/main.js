// The page: a recommendation on the page itself and one from a module Web Worker; the
// results (or errors) land in #out's data attributes, where the test reads them.
import { recommend } from './recommend.js';

const out = document.getElementById('out');
const fail = (key) => (e) => {
  out.dataset[key] = `error: ${(e && e.message) || e}`;
};
recommend().then((r) => {
  out.dataset.page = JSON.stringify(r);
  out.textContent = r.order.join(', ');
}, fail('page'));

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
worker.onmessage = (e) => {
  out.dataset.worker = e.data && e.data.error ? `error: ${e.data.error}` : JSON.stringify(e.data);
};
worker.onerror = (e) => fail('worker')(e.message || 'worker failed to load');
