// arag host library: loads the WebAssembly module (Emscripten or WASI build) in a
// browser, a worker (workerd) or Node, wraps its handles, and runs recommendations with
// an offline reasoner or an LLM adapter.
export { createArag, Arag, Index, ReadOnlyIndex, Catalog, History, Engine } from './handles.mjs';
export { createRecommender, Recommender } from './recommender.mjs';
export {
  openAIChat,
  workersAI,
  fromFunction,
  createCaller,
  Budget,
  promptBytesOf,
  Semaphore,
  parseRetryAfter,
  backoffDelay,
  isRetryable,
  DEFAULTS as LLM_DEFAULTS,
} from './llm.mjs';
export { recordTo, fromRecording, readRecording, requestKey, RECORDING_VERSION } from './recording.mjs';
export { openAIEmbeddings, itemText } from './embeddings.mjs';
export { reasonEvidence, renderReason, reasonSentences } from './reasons.mjs';
export { AragError, Status, STATUS_NAMES, statusName, abortError, isAbortError } from './errors.mjs';
export { signPageToken, verifyPageToken, normalizeOrigin, PAGE_TOKEN_DEFAULTS, TRACE_LEVELS } from './page-token.mjs';
export { createRedactor, redactSecrets, REDACTED } from './redact.mjs';
export { traceAtLevel, traceLevelRank } from './trace-level.mjs';
export { loadModule, compileWasm, RawModule } from './loader.mjs';
export { wasiImports, WasiExit } from './wasi-shim.mjs';
