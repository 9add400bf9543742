// Types of the arag host library (hand-written; the implementation is plain ES modules).

/** A status of include/arag.h (the values come from the module: web/src/abi.mjs; a test
 * holds this list equal to it). */
export type StatusCode =
  | 'ARAG_OK'
  | 'ARAG_E_INVALID'
  | 'ARAG_E_NOMEM'
  | 'ARAG_E_LIMIT'
  | 'ARAG_E_DIM'
  | 'ARAG_E_NONFINITE'
  | 'ARAG_E_NOT_FOUND'
  | 'ARAG_E_CORRUPT'
  | 'ARAG_E_VERSION'
  | 'ARAG_E_JSON'
  | 'ARAG_E_STATE'
  | 'ARAG_E_CANCELLED';

export declare const STATUS_NAMES: readonly StatusCode[];
export declare const Status: Readonly<Record<StatusCode, number>>;
export declare function statusName(status: number): string;

/** An error of the library: code names the arag_status, message is the handle's last error. */
export declare class AragError extends Error {
  constructor(status: number | StatusCode, message?: string, options?: { cause?: unknown });
  readonly name: 'AragError';
  readonly code: StatusCode | string;
  readonly status: number;
}
export declare function abortError(signal?: AbortSignal): Error;
export declare function isAbortError(e: unknown): boolean;

/** Where the module comes from: an address, bytes, a Response or a compiled module. */
export type WasmSource =
  | string
  | URL
  | ArrayBuffer
  | ArrayBufferView
  | Response
  | WebAssembly.Module
  | Promise<string | URL | ArrayBuffer | ArrayBufferView | Response | WebAssembly.Module>;

export type ModuleKind = 'emscripten' | 'wasi';

export interface LoadOptions {
  /** Default: new URL('./arag.wasm' | './arag-wasi.wasm', import.meta.url). */
  wasm?: WasmSource;
  /** Default 'emscripten' (or 'wasi' when a given module is a WASI reactor). */
  kind?: ModuleKind;
  /** Emscripten factory to use instead of the bundled ./arag.mjs. */
  createModule?: (moduleArg: object) => Promise<object>;
  print?: (line: string) => void;
  printErr?: (line: string) => void;
}

export interface Limits {
  maxDim: number;
  maxRows: number;
  maxIdBytes: number;
  maxTextBytes: number;
  /** Bytes one snapshot restore may allocate (default 1 GiB); past it the restore
   * fails with ARAG_E_LIMIT and changes nothing. */
  maxRestoreBytes: number;
}

export interface SearchHit {
  id: string;
  score: number;
}

export interface SearchOptions {
  /** Restrict the search to these ids (ids not in the index are skipped). */
  allow?: string[];
  /** int8 with keepF32: re-score rerank*k rows exactly in f32; 0 disables. */
  rerank?: number;
}

export type Vector = Float32Array | ArrayLike<number>;

/** What every index offers: reading, searching, snapshots. A catalog's index is one
 * (Catalog.index): its items change through the catalog, which keeps its id map and word
 * counts in step; the index's own add, remove, compact, restore, setLimits and setKernel
 * throw ARAG_E_STATE there. */
export declare class ReadOnlyIndex {
  protected constructor();
  readonly count: number;
  readonly dim: number;
  readonly memoryBytes: number;
  readonly limits: Limits;
  readonly freed: boolean;
  slotOf(id: string): number;
  has(id: string): boolean;
  get(id: string): Float32Array | null;
  search(query: Vector, k?: number, opts?: SearchOptions): SearchHit[];
  snapshot(): Uint8Array;
  lastError(): string;
  free(): void;
}

/** An index of one's own (Arag.createIndex): reading and changing it. */
export declare class Index extends ReadOnlyIndex {
  private constructor();
  setLimits(limits: Partial<Limits>): this;
  setKernel(kernel: 'auto' | 'scalar' | 'simd'): this;
  add(id: string, vector: Vector): this;
  remove(id: string): this;
  compact(): this;
  restore(bytes: Uint8Array | ArrayBuffer | ArrayBufferView): this;
}

export interface Item {
  id: string;
  title: string;
  text?: string;
  categories?: string[];
  brand?: string;
  price?: number;
  /** Sales, views or another count (finite). The offline reasoner weighs a candidate
   * without it at the median of the candidates that have one; an explicit 0 stays 0. */
  popularity?: number;
  /** Items bought together with this one, each with a weight (finite, >= 0; say, how
   * many shoppers bought both). At most 64 entries. Catalog-side: not kept in history
   * snapshots. */
  related?: Record<string, number>;
  /** The item's variant family (sizes, shades, packs of one product): a shelf shows one
   * item of a group. Without one, variants are told from brand, category and title. */
  group?: string;
  /** Shoppers buy it again (refills, consumables): the shelf may show it, and its
   * variants, after the shopper bought or carted it. */
  repeat_purchase?: boolean;
  vector?: Vector;
}

export type EventKind = 'view' | 'cart' | 'purchase' | 'rating';

export interface HistoryEvent extends Partial<Omit<Item, 'id'>> {
  id: string;
  ts: number;
  kind?: EventKind;
  rating?: number;
}

/** Bytes a snapshot is restored from: a typed array or an ArrayBuffer (from fetch,
 * R2, KV or a static asset). The caller keeps them; they can be dropped afterwards. */
export type SnapshotBytes = Uint8Array | ArrayBuffer | ArrayBufferView;

export declare class Catalog {
  private constructor();
  readonly count: number;
  /** Vector dimension (a restore can change it). */
  readonly dim: number;
  /** Bytes the catalog holds in the module's memory: index, metadata, word counts. */
  readonly memoryBytes: number;
  /** The catalog's vector index, read-only (borrowed: valid while the catalog lives). */
  readonly index: ReadOnlyIndex;
  readonly freed: boolean;
  add(items: Item | Item[] | string): number;
  remove(id: string): this;
  has(id: string): boolean;
  /** The item with this id as given (its `related` weights as stored, f32), without its
   * vector; null for an unknown id. */
  get(id: string): Omit<Item, 'vector'> | null;
  /** Versioned, checksummed bytes of the whole catalog: each item's metadata, its vector
   * as stored (f32, or int8 with its scale) and the word counts of the offline reasoner. */
  snapshot(): Uint8Array;
  /** Replaces the contents, dim and dtype included, with a snapshot. Corrupt, truncated
   * or foreign bytes, or contents past the limits (maxRestoreBytes among them), throw
   * an AragError and change nothing. */
  restore(bytes: SnapshotBytes): this;
  /** restore() from a stream of exactly `size` bytes (a fetch Response's or an R2
   * object's body), written into the module's memory as they arrive (no JS copy of the
   * whole snapshot). Rejects, with nothing changed, on a short or long stream. */
  restoreStream(stream: ReadableStream<Uint8Array>, size: number): Promise<this>;
  lastError(): string;
  free(): void;
}

export declare class History {
  private constructor();
  readonly count: number;
  /** Memory the events take, counted generously (about 2 * 4 * dim bytes plus text each). */
  readonly memoryBytes: number;
  /** Budget that add() and restore() keep to (default 64 MiB): past it they throw ARAG_E_LIMIT. */
  readonly maxBytes: number;
  setMaxBytes(n: number): this;
  readonly freed: boolean;
  add(events: HistoryEvent | HistoryEvent[] | string): number;
  clear(): this;
  snapshot(): Uint8Array;
  restore(bytes: Uint8Array | ArrayBuffer | ArrayBufferView): this;
  lastError(): string;
  free(): void;
}

/** An engine: a configuration and the recommendation sessions it runs. */
export declare class Engine {
  private constructor();
  readonly config: EngineConfig & { backend: 'offline' | 'host' };
  /** Live sessions (0 when idle). */
  readonly sessions: number;
  /** Applies config keys over the configuration; all or nothing. */
  configure(config: EngineConfig | string): this;
  readonly freed: boolean;
  lastError(): string;
  free(): void;
}

export interface IndexOptions {
  dim: number;
  dtype?: 'f32' | 'int8';
  metric?: 'cosine' | 'dot';
  keepF32?: boolean;
  limits?: Partial<Limits>;
}

/** The raw module: wasm exports and memory helpers (advanced use). */
export declare class RawModule {
  private constructor();
  readonly kind: ModuleKind;
  readonly fn: Record<string, (...args: number[]) => number>;
  has(name: string): boolean;
  u8(): Uint8Array;
  malloc(n: number): number;
  free(ptr: number): void;
  getString(ptr: number, len: number): string;
  getCString(ptr: number): string;
}

export declare class Arag {
  private constructor();
  readonly raw: RawModule;
  readonly kind: ModuleKind;
  readonly version: string;
  strerror(status: number): string;
  defaultLimits(): Limits;
  /** Built-in feature-hashing embedding (L2-normalized; zeros for empty text). */
  embed(text: string, dim?: number): Float32Array;
  createIndex(opts: IndexOptions): Index;
  /** With `snapshot`, the catalog it holds (its dim and dtype win over the options). */
  createCatalog(opts?: {
    dim?: number;
    dtype?: 'f32' | 'int8';
    limits?: Partial<Limits>;
    snapshot?: SnapshotBytes;
  }): Catalog;
  createHistory(opts?: { dim?: number; limits?: Partial<Limits>; maxBytes?: number }): History;
  /** A refused configuration throws AragError 'engine config: ARAG_E_...: <why>'. */
  createEngine(config?: EngineConfig | string): Engine;
}

export declare function createArag(opts?: LoadOptions): Promise<Arag>;
export declare function loadModule(opts?: LoadOptions): Promise<RawModule>;
/** Compiles any accepted source; kind names the expected build in error messages. */
export declare function compileWasm(source: WasmSource, kind?: ModuleKind): Promise<WebAssembly.Module>;
export declare class WasiExit extends Error {
  readonly code: number;
}
export declare function wasiImports(
  module: WebAssembly.Module,
  getMemory: () => WebAssembly.Memory,
  io?: { stdout?: (line: string) => void; stderr?: (line: string) => void }
): Record<string, (...args: any[]) => number>;

// ------------------------------------------------------------------ LLM adapters

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** The engine's provider-neutral agent request. */
export interface AgentRequest {
  agent: 'uua' | 'nli' | 'csa' | 'ira' | string;
  messages: ChatMessage[];
  response_schema?: object;
  max_tokens?: number;
  temperature?: number;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens the provider served from its prefix cache (0 when not reported). */
  cachedPromptTokens: number;
  /** Counted by the host's countTokens: the provider reported none. */
  counted?: boolean;
}

export interface BudgetLimits {
  /** Provider calls per recommendation (every attempt counts). */
  calls?: number;
  /** Prompt + completion tokens per recommendation: a call's prompt (estimated, or the
   * host's countTokens) and max_tokens are reserved before it leaves; max_tokens is
   * lowered to what is left. */
  tokens?: number;
  /** UTF-8 bytes of prompt (the messages' contents) per recommendation. */
  promptBytes?: number;
}

/** Why a call gave no usable answer (the engine names its fallback with it). */
export type FailureCause = 'timeout' | 'budget' | 'deadline' | 'network' | 'status' | 'refusal' | 'cancelled';

export interface CallOptions {
  /** Simultaneous calls (default 6). */
  concurrency?: number;
  /** Per attempt (default 30000). */
  timeoutMs?: number;
  /** Retries after the first attempt on 429, 5xx, network errors, timeouts (default 3). */
  retries?: number;
  /** Backoff base (default 500): base * 2^attempt, jittered to 50-100%, capped by maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** A Retry-After longer than this ends the retries (default 60000). */
  maxRetryAfterMs?: number;
  /** Default budget of each recommendation. */
  budget?: BudgetLimits;
  /** Random source for the jitter (tests). */
  random?: () => number;
  /** Counts tokens of a text (e.g. js-tiktoken's encode(text).length): usage when the
   * provider reports none, and the budget's prompt estimate. Not bundled. */
  countTokens?: (text: string) => number;
}

export interface CompletionResult {
  status: number;
  content?: string;
  error?: string;
  usage: Usage | null;
  attempts: number;
  retries: number;
  ms: number;
  /** Set when the call failed. */
  cause?: FailureCause;
  /** What the adapter repaired in the answer (content from a reasoning field, ...). */
  repairs?: string[];
  /** A network failure that made no connection at all (refused, no such host). */
  unreachable?: boolean;
  budgetExhausted?: boolean;
}

export interface AdapterStats {
  calls: number;
  attempts: number;
  retries: number;
  failures: number;
  timeouts: number;
  promptTokens: number;
  completionTokens: number;
  cachedPromptTokens: number;
  /** Calls whose usage was counted by countTokens. */
  countedCalls: number;
}

/** What an adapter's complete() gets besides the request. */
export interface CompleteContext {
  signal?: AbortSignal;
  budget?: Budget;
  /** Date.now() past which no attempt starts (the recommendation's deadline). */
  deadlineAt?: number;
}

export interface LlmAdapter {
  readonly kind: 'llm';
  readonly name: string;
  readonly options: Required<Omit<CallOptions, 'budget'>> & { budget?: BudgetLimits };
  readonly stats: AdapterStats;
  complete(request: AgentRequest, ctx?: CompleteContext): Promise<CompletionResult>;
}

export interface OpenAIChatAdapter extends LlmAdapter {
  /** The response_format in use: falls back when a server refuses json_schema. */
  readonly responseFormat: 'json_schema' | 'json_object' | 'none';
  readonly baseURL: string;
  readonly model?: string;
  /** The text with this adapter's API key replaced by "[key]". */
  redact(text: string): string;
}

export interface OpenAIChatOptions extends CallOptions {
  /** e.g. https://host/v1 (…/chat/completions is appended). In browsers: a proxy, no key. */
  baseURL: string | URL;
  model?: string;
  apiKey?: string;
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  /** response_format json_schema (default true); false starts with json_object. */
  jsonSchema?: boolean;
  temperature?: number;
  maxTokens?: number;
  extraBody?: Record<string, unknown>;
  /** Ask for an event stream and stop reading once the JSON answer is complete. */
  stream?: boolean;
  /** With stream: stop a model still thinking (no answer yet) past this many characters
   * of reasoning (cause budget; the offline reasoner answers). */
  maxThinkChars?: number;
  /** Cap on the HTTP body, decompressed (default 4 MiB). */
  maxResponseBytes?: number;
}

export declare function openAIChat(opts: OpenAIChatOptions): OpenAIChatAdapter;

export interface WorkersAIBinding {
  run(model: string, inputs: object, options?: object): Promise<unknown>;
}
export declare function workersAI(
  ai: WorkersAIBinding,
  opts: CallOptions & { model: string; temperature?: number; maxTokens?: number; jsonSchema?: boolean; maxResponseBytes?: number }
): LlmAdapter & { readonly model: string };

export type FunctionResponse =
  | string
  | { content: string | object; usage?: { prompt_tokens?: number; completion_tokens?: number }; status?: number; error?: string; cause?: FailureCause }
  | { choices: unknown[]; usage?: object };
export declare function fromFunction(
  fn: (request: AgentRequest, ctx: { signal: AbortSignal }) => Promise<FunctionResponse> | FunctionResponse,
  opts?: CallOptions
): LlmAdapter;

export declare class Budget {
  constructor(limits?: BudgetLimits);
  readonly calls: number;
  readonly tokens: number;
  readonly promptBytes: number;
  usedCalls: number;
  usedTokens: number;
  usedPromptBytes: number;
  exhausted: boolean;
  /** Why the last refused call was refused. */
  refusal: string | null;
  /** Takes one call: a reservation (maxTokens lowered to fit), or null when refused. */
  take(request?: AgentRequest, opts?: { countTokens?: (text: string) => number }): { tokens: number; maxTokens?: number } | null;
  settle(reservation: { tokens: number } | null, usedTokens: number): void;
  addTokens(n: number): void;
  toJSON(): {
    calls: number | null;
    tokens: number | null;
    promptBytes: number | null;
    usedCalls: number;
    usedTokens: number;
    usedPromptBytes: number;
    exhausted: boolean;
  };
}
export declare function promptBytesOf(request: AgentRequest): number;
export declare class Semaphore {
  constructor(n: number);
  readonly active: number;
  acquire(signal?: AbortSignal): Promise<() => void>;
}
export declare const LLM_DEFAULTS: Readonly<Required<Omit<CallOptions, 'budget' | 'random'>>>;
export declare function parseRetryAfter(headers: Headers | Record<string, string> | null | undefined, now?: number): number | undefined;
export declare function isRetryable(status: number): boolean;
export declare function backoffDelay(attempt: number, opts: { backoffMs: number; maxBackoffMs: number }, random?: () => number): number;
export declare function createCaller<R extends object>(
  callOnce: (request: R, ctx: { signal: AbortSignal; attempt: number }) => Promise<{ status: number; [k: string]: unknown }>,
  options?: CallOptions
): {
  call(request: R, ctx?: CompleteContext): Promise<CompletionResult & Record<string, unknown>>;
  stats: AdapterStats;
  options: CallOptions;
  semaphore: Semaphore;
};

// ------------------------------------------------------------------ record / replay

/** One recorded call: the request (no headers, no key) and its result. */
export interface RecordingEntry {
  /** SHA-256 (hex) of the request's canonical JSON. */
  key: string;
  agent?: string;
  request: AgentRequest;
  status: number;
  content?: string;
  usage?: { prompt_tokens: number; completion_tokens: number; cached_tokens?: number };
  cause?: FailureCause;
  error?: string;
  repairs?: string[];
}
export declare const RECORDING_VERSION: 1;
/** Wraps an adapter: every call is recorded (entries; onEntry sees each as it is made). */
export declare function recordTo(
  adapter: LlmAdapter,
  opts?: { onEntry?: (entry: RecordingEntry) => void; model?: string }
): LlmAdapter & { readonly entries: RecordingEntry[]; toJSONL(header?: object): string };
/** An adapter answering from a recording (JSON lines text, entries, or {entries}); a
 * request not in it fails (cause network) and counts in stats.misses. */
export declare function fromRecording(
  recording: string | RecordingEntry[] | { header?: object; entries: RecordingEntry[] },
  opts?: CallOptions
): LlmAdapter & { readonly model?: string; readonly size: number; readonly stats: AdapterStats & { misses: number } };
export declare function readRecording(recording: string | RecordingEntry[] | { entries: RecordingEntry[] }): { header: object | null; entries: RecordingEntry[] };
export declare function requestKey(request: AgentRequest): Promise<string>;

// ------------------------------------------------------------------ embeddings

export interface EmbeddingsAdapter {
  readonly kind: 'embeddings';
  readonly name: string;
  readonly model?: string;
  /** Known after construction (dim option) or after the first call. */
  dim?: number;
  readonly stats: AdapterStats;
  embed(texts: string[], opts?: { signal?: AbortSignal }): Promise<Float32Array[]>;
}
export declare function openAIEmbeddings(
  opts: CallOptions & {
    baseURL: string | URL;
    model?: string;
    apiKey?: string;
    headers?: Record<string, string>;
    fetch?: typeof fetch;
    dim?: number;
    sendDimensions?: boolean;
    batchSize?: number;
  }
): EmbeddingsAdapter;
export declare function itemText(item: Partial<Item>): string;

// ------------------------------------------------------------------ reasons

/** How reasons write a price range's bounds: default, the number as the data gives it
 * (two decimals unless whole); pass the shop's currency format, e.g. `(v) => '$' + v.toFixed(2)`. */
export interface ReasonOptions {
  formatPrice?: (value: number) => string;
}
/** The sentences of an item's evidence in plain words, at most `max` (default: all). */
export declare function reasonSentences(evidence: Evidence[] | undefined, opts?: { max?: number } & ReasonOptions): string[];
/** The evidence a reason says: the entries an LLM ranker cited when any are marked `cited`, else all. */
export declare function reasonEvidence(evidence: Evidence[] | undefined): Evidence[];
/**
 * The reason a shopper reads: the first `sentences` (default 2) sentences of the item's
 * evidence (only the entries an LLM ranker cited, when it cited any that held), '' when
 * it has none. Never the ranker's own text. Plain text: insert it as text, not HTML.
 */
export declare function renderReason(item: { evidence?: Evidence[] }, opts?: { sentences?: number } & ReasonOptions): string;

// ------------------------------------------------------------------ recommender

export interface AgentSwitches {
  uua?: boolean;
  nli?: boolean;
  csa?: boolean;
  ira?: boolean;
}

/**
 * Weights of the offline reasoner (src/reasoner/reasoner.h says what each one weighs,
 * docs/offline-reasoner.md what it was measured at). Rates and shares (`decay`, `sim_decay`, `rel_decay`, `ira_idf`, `ira_div`)
 * are in [0, 1], windows (`sim_window`, `rel_window`) are event counts, weights in
 * [-1000, 1000]. `ira_div` is IRA's diversity step (0, off, by default). `shift` (0 to 1,
 * default 0.75): how much an interest shift weighs down the older events (docs/offline-reasoner.md,
 * "Interest shifts"; 0: off).
 */
export type ReasonerParam =
  | 'decay' | 'sess_boost' | 'sim_window' | 'sim_decay'
  | 'nli_bias' | 'nli_brand' | 'nli_brandn' | 'nli_rsim' | 'nli_line' | 'nli_cat' | 'nli_sess'
  | 'nli_sim' | 'nli_psim' | 'nli_rep' | 'nli_isim' | 'nli_price' | 'nli_rel' | 'rel_decay' | 'rel_window'
  | 'ira_nli' | 'ira_nli_logit' | 'ira_ret' | 'ira_pop' | 'ira_div' | 'ira_idf'
  | 'ira_u_brand' | 'ira_u_cat' | 'ira_u_kw' | 'ira_u_sess' | 'ira_c_brand' | 'ira_c_cat' | 'ira_c_kw'
  | 'ira_text' | 'shift';

/** The shelf's rules (docs/shelf.md); unset ones keep their values. */
export interface ShelfConfig {
  /** A variant family shows once (default true). */
  one_per_family?: boolean;
  /** No item carted or bought in the session, nor a variant of one, unless the catalog
   * marks it `repeat_purchase` (default true). */
  hide_bought_variants?: boolean;
  /** At most this share of the places from one brand, in (0, 1] (default 0.5; 1: no limit)... */
  max_brand_share?: number;
  /** ...as long as another brand's item ranks within brand_reach x k places (default 8). */
  brand_reach?: number;
  /** The places the rules arrange (default 0: the k items returned). */
  size?: number;
}

/** Engine configuration (see include/arag.h). backend follows from `llm`. */
export interface EngineConfig {
  theta?: number;
  min_keep?: number;
  nli_batch?: number;
  max_in_flight?: number;
  top_k?: number;
  k?: number;
  session_len?: number;
  long_term_len?: number;
  agents?: AgentSwitches;
  max_prompt_item_chars?: number;
  /** Cap on each call's max_tokens (default 4096); each is sized from its batch. */
  max_tokens?: number;
  /** Added to every call's max_tokens: room for a reasoning model's thoughts (default 0). */
  reasoning_tokens?: number;
  temperature?: number;
  /** Who answers a failed agent: the offline reasoner (default) or the retrieval order. */
  fallback?: 'offline' | 'retrieval';
  /** The whole recommendation with an LLM, in ms (default 20000; 0: none). */
  deadline_ms?: number;
  /** Engine only: answers longer than this are cut before parsing (default 262144). */
  max_answer_bytes?: number;
  /** Most candidates one recommendation takes (engine-level; default 1000). */
  max_candidates?: number;
  /** Largest request JSON an agent may send to the LLM, in bytes (engine-level; default 4 MiB). */
  max_request_bytes?: number;
  /** Keep every agent's request JSON in the trace (messages[].request). Default false. */
  trace_prompts?: boolean;
  /** The offline reasoner's weights (the defaults are tuned on the sample data sets). */
  reasoner?: Partial<Record<ReasonerParam, number>>;
  /** The shelf's rules on the first k places (docs/shelf.md): true (the storefront
   * defaults, what an engine starts with), false (the ranker's order as it is), or some
   * settings. */
  shelf?: boolean | ShelfConfig;
  [key: string]: unknown;
}

export interface RecommenderOptions extends LoadOptions {
  /** Share an already loaded module. */
  arag?: Arag;
  /** 'offline' (default: the built-in reasoner) or an adapter. */
  llm?: 'offline' | LlmAdapter;
  /** Default: the built-in embedder (512 dimensions). */
  embed?: EmbeddingsAdapter;
  config?: EngineConfig;
  /** Bytes of catalog.snapshot() (for instance written by `arag catalog build`): the
   * catalog starts as the one the snapshot was taken from, its dimension and row type
   * included, without embedding any item again. */
  catalogSnapshot?: SnapshotBytes;
  /** Items to load (after the snapshot's, when both are given). */
  catalog?: Item[];
  /** The catalog index's row type: 'f32' (default) or 'int8' (a quarter of the bytes
   * per vector; NDCG@5 on the sample data sets within 0.0003 of f32). */
  catalogDtype?: 'f32' | 'int8';
  /** A catalog of the module passed as `arag` (arag.createCatalog()), borrowed: not
   * copied, not freed with the recommender, so one catalog serves many recommenders
   * (the engine reads it only while a recommendation starts). Excludes catalogSnapshot,
   * catalog and catalogDtype. */
  sharedCatalog?: Catalog;
  limits?: Partial<Limits>;
}

export interface RecommendInput {
  /** Ids (resolved in the catalog) or item objects; default: top_k of the catalog. */
  candidates?: Array<string | Item>;
  k?: number;
  topK?: number;
  config?: EngineConfig;
}

export interface ProgressEvent {
  type: 'start' | 'end';
  agent: string;
  requestId: number;
  batch?: number;
  status?: number;
  ms?: number;
  attempts?: number;
  error?: string;
  /** Why the call failed (its step is answered by the fallback). */
  cause?: FailureCause;
  budgetExhausted?: boolean;
}

export interface RecommendOptions {
  signal?: AbortSignal;
  /** May be async; what it throws or rejects is ignored. */
  onProgress?: (ev: ProgressEvent) => void | Promise<void>;
  /** Overrides the adapter's budget for this recommendation. */
  budget?: BudgetLimits;
}

/**
 * One fact a recommended item shares with the shopper's history, computed from the data
 * (include/arag.h documents each kind). `items`: the history items it rests on (ids, each
 * once); `title`: that history item's title, cut at a word boundary ("…" when cut), when
 * it rests on one; `cited`: true when an LLM ranker cited this entry and its citation
 * held (its kind is this entry's, its history ids among `items`).
 */
export type Evidence = (
  | { kind: 'repeat'; items: string[]; bought: number }
  | { kind: 'bought_together'; items: string[]; title: string; count: number }
  | { kind: 'title_words'; items: string[]; title: string; words: string[] }
  | { kind: 'text_words'; items: string[]; title: string; words: string[] }
  | { kind: 'brand'; items: string[]; title?: string; brand: string }
  | { kind: 'category'; items: string[]; title?: string; path: string[] }
  | { kind: 'price'; items: string[]; title?: string; price: number; low: number; high: number }
  | { kind: 'popular'; items: string[]; popularity: number }
) & { cited?: true };

export type EvidenceKind = Evidence['kind'];

export interface RecommendedItem {
  id: string;
  /** The ranker's score (the shelf rules may place an item above a higher-scored one). */
  score: number;
  /** The offline reasoner's reason (renderReason of the evidence), or an LLM ranker's own
   * text (unchecked: show shoppers renderReason(item) instead). */
  reason: string;
  /** What the item shares with the shopper's history, checkable against the data. */
  evidence: Evidence[];
}

/** One agent request on the blackboard. */
export interface TraceMessage {
  request_id: number;
  agent: 'uua' | 'nli' | 'csa' | 'ira' | (string & {});
  /** NLI batches: the batch number, and the first candidate and count it covers. */
  batch: number;
  first?: number;
  count?: number;
  state: string;
  /** The HTTP-like status of the answer (200 when the agent answered). */
  status: number;
  started_ms: number;
  ended_ms: number;
  prompt_chars: number;
  response_chars: number;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  degraded: string[];
  repairs: string[];
  /** What the agent was given (counts and candidate ids). */
  inputs: Record<string, unknown>;
  /** The request JSON (only with config trace_prompts). */
  request?: Record<string, unknown>;
  /** The answer text as received. */
  response?: string;
  /** The answer as parsed. */
  output?: unknown;
  [key: string]: unknown;
}

/** One candidate's NLI judgement. */
export interface TraceJudgement {
  id: string;
  score: number;
  label: string;
  rationale: string;
  accepted: boolean;
  source: string;
  [key: string]: unknown;
}

/** The blackboard of one recommendation (see docs for every field). */
export interface Trace {
  /** The effective engine config. */
  config: EngineConfig;
  /** Item ids of the long-term history and of the session the agents read, and the
   * interest shift: `share` 0 to 1 (how new and how long the newest run of one category
   * is), `run` its events, `older_weight` the factor the events of other categories
   * before it got (1: none). */
  context: { long_term: string[]; session: string[]; shift: { share: number; run: number; older_weight: number } };
  /** UUA's summary of the user. */
  s_user: string;
  /** CSA's summary of the accepted candidates. */
  s_ctx: string;
  /** The retrieved candidates, in retrieval order. */
  i0: Array<{ id: string; title: string; retrieval: number }>;
  nli: TraceJudgement[];
  /** How many candidates NLI accepted. */
  accepted: number;
  elapsed_ms: number;
  messages: TraceMessage[];
  /** When an LLM ranked: per candidate it cited evidence for (final order), the kinds
   * whose citations held and how many citations were dropped (malformed, false, repeated
   * or past the first 16). */
  citations?: TraceCitation[];
  [key: string]: unknown;
}

export interface TraceCitation {
  id: string;
  cited: EvidenceKind[];
  dropped: number;
}

export interface RecommendResult {
  items: RecommendedItem[];
  order: string[];
  /** The blackboard: every agent message with status, timings and usage. */
  trace: Trace | null;
  usage: Record<string, unknown> & {
    host: AdapterStats & { budget: ReturnType<Budget['toJSON']> };
  };
  degraded: string[];
  /** Every step a fallback answered or filled in, with why. */
  fallbacks: Fallback[];
  ms: number;
}

export interface Fallback {
  /** 'uua', 'nli_batch_N', 'csa' or 'ira'. */
  step: string;
  agent: 'uua' | 'nli' | 'csa' | 'ira';
  cause: FailureCause | 'parse';
  fallback: 'offline' | 'retrieval';
  /** The candidates it answered (NLI batch, IRA); 0 for the summaries. */
  items: number;
}

/** What add() returns: the new count, or a promise of it when an external embedder
 * (RecommenderOptions.embed) computes the vectors. */
export type AddResult<Async extends boolean> = Async extends true ? Promise<number> : number;

export interface RecommenderCatalog<Async extends boolean = boolean> {
  readonly handle: Catalog;
  readonly count: number;
  /** The catalog's vector index, read-only. */
  readonly index: ReadOnlyIndex;
  has(id: string): boolean;
  remove(id: string): this;
  add(items: Item | Item[] | string): AddResult<Async>;
  get(id: string): Omit<Item, 'vector'> | null;
  snapshot(): Uint8Array;
  /** A snapshot of another dimension than the recommender's throws ARAG_E_DIM. */
  restore(bytes: SnapshotBytes): this;
}

export interface RecommenderHistory<Async extends boolean = boolean> {
  readonly handle: History;
  readonly count: number;
  add(events: HistoryEvent | HistoryEvent[] | string): AddResult<Async>;
  clear(): this;
  snapshot(): Uint8Array;
  restore(bytes: Uint8Array | ArrayBuffer | ArrayBufferView): this;
}

/** Async: whether an external embedder makes catalog.add and history.add asynchronous. */
export declare class Recommender<Async extends boolean = boolean> {
  private constructor();
  readonly arag: Arag;
  readonly llm: LlmAdapter | null;
  readonly backend: 'offline' | 'host';
  readonly catalog: RecommenderCatalog<Async>;
  readonly history: RecommenderHistory<Async>;
  /** The engine the recommendations run in (freed with the recommender). */
  readonly engine: Engine;
  readonly config: EngineConfig & { backend: 'offline' | 'host' };
  readonly sessions: number;
  recommend(input?: RecommendInput, opts?: RecommendOptions): Promise<RecommendResult>;
  /** The unit vector recommend() retrieves the catalog's top_k with (the history's
   * recency-weighted context), or null when no event has a vector: for retrieving
   * candidates from a vector index of your own (Cloudflare Vectorize, ...). */
  contextVector(): Float32Array | null;
  /** Frees the engine, the history and the catalog (not a sharedCatalog). */
  free(): void;
}

export declare function createRecommender(opts: RecommenderOptions & { embed: EmbeddingsAdapter }): Promise<Recommender<true>>;
export declare function createRecommender(opts?: RecommenderOptions & { embed?: undefined }): Promise<Recommender<false>>;
export declare function createRecommender(opts?: RecommenderOptions): Promise<Recommender>;

// ---- Page tokens, redaction, trace levels (web/src/page-token.mjs, redact.mjs, trace-level.mjs)

export type TraceLevel = 'none' | 'summary' | 'full';
export declare const TRACE_LEVELS: readonly TraceLevel[];

export interface PageTokenOptions {
  /** Shared with the worker (its PAGE_TOKEN_SECRET); at least 32 bytes. */
  secret: string | Uint8Array | ArrayBuffer;
  /** The page's origin, e.g. 'https://shop.example'. */
  origin: string;
  /** Lifetime in seconds: default 900 (15 min), at most 86400 (24 h). */
  ttlSeconds?: number;
  /** LLM calls the holder may make in all (default 40). */
  maxCalls?: number;
  /** Prompt + completion tokens the holder may spend in all (default 80000). */
  maxTokens?: number;
  /** The most of a trace the holder may see (default 'summary'). */
  trace?: TraceLevel;
  /** The shop's id of the signed-in shopper (1-128 characters): a worker keeps this
   * shopper's history under it, across devices. */
  shopper?: string;
  /** Current time in ms (tests). */
  now?: number;
}
export interface PageTokenClaims {
  origin: string;
  issuedAt: number;
  expiresAt: number;
  maxCalls: number;
  maxTokens: number;
  trace: TraceLevel;
  /** Random id: what the holder spent is counted under it. */
  id: string;
  /** The shopper the token speaks for, or null. */
  shopper: string | null;
}
export type PageTokenCheck =
  | { ok: true; claims: PageTokenClaims }
  | { ok: false; reason: 'malformed' | 'signature' | 'expired' | 'not_yet_valid' | 'origin' };
/** Mints a short-lived page token (HMAC-SHA256 through WebCrypto). */
export declare function signPageToken(opts: PageTokenOptions): Promise<string>;
/** Checks a token's signature, expiry and (when given) origin. */
export declare function verifyPageToken(
  token: string,
  opts: { secret: string | Uint8Array | ArrayBuffer; origin?: string; now?: number }
): Promise<PageTokenCheck>;
/** The origin of s, or null when s is not exactly an origin. */
export declare function normalizeOrigin(s: string): string | null;
export declare const PAGE_TOKEN_DEFAULTS: Readonly<{
  ttlSeconds: number;
  maxTtlSeconds: number;
  maxCalls: number;
  maxTokens: number;
  trace: TraceLevel;
  minSecretBytes: number;
  clockSkewSeconds: number;
}>;

export declare const REDACTED: string;
export interface Redactor {
  /** text with credential-shaped strings and the given secrets replaced by REDACTED. */
  redact(text: string): string;
  /** The same for every string inside a JSON-like value (item ids: secrets only). */
  redactValue<T>(value: T): T;
}
export declare function createRedactor(secrets?: readonly string[]): Redactor;
export declare function redactSecrets(text: string, secrets?: readonly string[]): string;

/** A trace cut to a level: null for 'none', no model text for 'summary', as is for 'full'. */
export declare function traceAtLevel(trace: Record<string, unknown> | null | undefined, level: TraceLevel): Record<string, unknown> | null;
export declare function traceLevelRank(level: TraceLevel): 0 | 1 | 2;
