// How much of a recommendation's trace a caller sees. A public endpoint should not hand
// out raw model text (it may quote prompts, other items' text, or an upstream's error):
//   'none'     no trace
//   'summary'  what ran and how it went: the config, context and candidate ids, retrieval
//              and NLI scores and labels, every agent call's state, status, timings, sizes,
//              token counts, degradations and repairs, an LLM ranker's citations (the
//              kinds that held and how many were dropped); no model text (no S_user, S_ctx,
//              rationales, raw answers, rendered prompts or inputs)
//   'full'     the trace as the engine wrote it
import { AragError, Status } from './errors.mjs';
import { TRACE_LEVELS } from './page-token.mjs';

export { TRACE_LEVELS };

const MESSAGE_KEYS = [
  'request_id', 'agent', 'batch', 'state', 'status', 'started_ms', 'ended_ms', 'prompt_chars', 'response_chars',
  'prompt_tokens', 'completion_tokens', 'first', 'count', 'degraded', 'repairs',
];

function pick(o, keys) {
  const out = {};
  if (!o || typeof o !== 'object') return out;
  for (const k of keys) if (k in o) out[k] = o[k];
  return out;
}

/** The rank of a level (none 0, summary 1, full 2); throws on an unknown one. */
export function traceLevelRank(level) {
  const i = TRACE_LEVELS.indexOf(level);
  if (i < 0) throw new AragError(Status.ARAG_E_INVALID, `trace level must be one of ${TRACE_LEVELS.join(', ')}, got ${JSON.stringify(level)}`);
  return i;
}

/** The trace cut to a level: null for 'none', a new object for 'summary', the trace itself for 'full'. */
export function traceAtLevel(trace, level) {
  const rank = traceLevelRank(level);
  if (rank === 0 || !trace || typeof trace !== 'object') return null;
  if (rank === 2) return trace;
  return {
    level: 'summary',
    config: trace.config,
    context: trace.context,
    i0: Array.isArray(trace.i0) ? trace.i0.map((c) => pick(c, ['id', 'retrieval'])) : [],
    nli: Array.isArray(trace.nli) ? trace.nli.map((v) => pick(v, ['id', 'score', 'label', 'accepted', 'source'])) : [],
    accepted: trace.accepted,
    elapsed_ms: trace.elapsed_ms,
    messages: Array.isArray(trace.messages) ? trace.messages.map((m) => pick(m, MESSAGE_KEYS)) : [],
    ...(Array.isArray(trace.citations) ? { citations: trace.citations.map((c) => pick(c, ['id', 'cited', 'dropped'])) } : {}),
  };
}
