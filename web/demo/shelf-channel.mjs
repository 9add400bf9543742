// The shelf's fast path from the worker to the page: a SharedArrayBuffer the worker
// writes each new shelf into and the page reads in its next animation frame.
//
// Why: right after a click, Chrome runs the next frame before it hands the page any
// message from a worker (rendering goes first after input), so a shelf that comes by
// postMessage waits for that frame and is painted in the frame after it. Read from shared
// memory in the first frame's requestAnimationFrame, it is painted in that frame. The page
// must be cross-origin isolated (serve.mjs sends COOP and COEP); without that the shelf
// comes by message only, as before.
//
// Layout: Int32 [0] sequence number of the shelf written (0 none, -1 while writing), [1]
// its byte length; bytes from offset 8: the shelf as JSON.
const HEADER = 8;
export const SHELF_BYTES = 1 << 16;

/** Worker side: writes a shelf; false when it does not fit (the message path still carries it). */
export function writeShelf(sab, seq, shelf) {
  const bytes = new TextEncoder().encode(JSON.stringify(shelf));
  if (bytes.length > sab.byteLength - HEADER) return false;
  const head = new Int32Array(sab, 0, 2);
  Atomics.store(head, 0, -1);
  new Uint8Array(sab, HEADER, bytes.length).set(bytes);
  Atomics.store(head, 1, bytes.length);
  Atomics.store(head, 0, seq);
  return true;
}

/** Page side: the shelf written after `after`, or null (none yet, or being written). */
export function readShelf(sab, after) {
  const head = new Int32Array(sab, 0, 2);
  const seq = Atomics.load(head, 0);
  if (seq <= after) return null;
  const len = Atomics.load(head, 1);
  // TextDecoder reads no shared memory: copy first, then check nothing was rewritten meanwhile.
  const copy = new Uint8Array(sab, HEADER, len).slice();
  if (Atomics.load(head, 0) !== seq) return null;
  return JSON.parse(new TextDecoder().decode(copy));
}
