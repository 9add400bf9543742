// Requests the edge worker's tests and benchmark send: shoppers' histories and candidates
// of a given size, and the amplification request of the worker's audit (a body of about 240 KB that
// asked for every cost setting's maximum).

export function candidates(n, chars = 40) {
  return Array.from({ length: n }, (_, i) => ({ id: `c${i}`, title: `Candidate ${i} lipstick ${'shade '.repeat(Math.ceil(chars / 6))}`.slice(0, chars), categories: ['Beauty', 'Lips'] }));
}

export function history(n, chars = 40) {
  return Array.from({ length: n }, (_, i) => ({ id: `h${i}`, title: `Past ${i} lip gloss ${'tone '.repeat(Math.ceil(chars / 5))}`.slice(0, chars), ts: i, kind: 'purchase' }));
}

/** The request that made 203 upstream calls before the caps (its size and cost: docs/figures/edge-worker.json). */
export function amplificationRequest() {
  return {
    history: history(500, 200),
    candidates: candidates(200, 520),
    k: 10,
    options: { config: { nli_batch: 1, max_prompt_item_chars: 65536, long_term_len: 100000, max_in_flight: 1000, max_tokens: 1000000 } },
  };
}

/** The worker's settings with every cap and budget lifted past what that request asks. */
export const CAPS_LIFTED = Object.freeze({
  CAP_NLI_BATCH_MIN: '1',
  CAP_LONG_TERM_LEN: '100000',
  CAP_MAX_PROMPT_ITEM_CHARS: '65536',
  CAP_MAX_IN_FLIGHT: '1000',
  CAP_MAX_TOKENS: '1000000',
  RECOMMEND_MAX_CALLS: '1000000',
  RECOMMEND_MAX_TOKENS: '1000000000',
  RECOMMEND_MAX_PROMPT_BYTES: '1000000000',
  RECOMMEND_DEADLINE_MS: '600000',
});
