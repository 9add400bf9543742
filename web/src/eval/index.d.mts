// Types of the evaluation harness (web/src/eval/index.mjs), hand-written.

export type MethodName = 'recency' | 'rag' | 'popularity' | 'arag' | 'arag-no-nli' | 'arag-no-csa' | 'arag-no-uua' | 'arag-no-shift' | 'arag-storefront';
export type MetricName = 'ndcg@5' | 'hit@5' | 'ndcg@10' | 'hit@10' | 'mrr';
export type Interval = [number | null, number | null];

export interface ItemLine {
  id: string;
  title: string;
  /** 1-based line in items.jsonl */
  line: number;
  /** the line's JSON text, as the catalog gets it */
  json: string;
}
export interface Interaction {
  item: string;
  ts: number;
  line: number;
}
export interface EvalUser {
  user: string;
  history: Interaction[];
  target: Interaction;
}
/** test: each user's last interaction is the target; valid: the one before it (the last
 * is dropped as if not yet made). Tune on valid, report on test. */
export type Split = 'test' | 'valid';
/** interactions each split drops from the end of every sequence before holding one out */
export const SPLITS: Record<Split, number>;
export interface Dataset {
  name: string;
  dir: string;
  split: Split;
  items: ItemLine[];
  byId: Map<string, number>;
  /** users with >= 5 interactions left after the split's drop, in order of first appearance */
  users: EvalUser[];
  interactions: number;
  allUsers: number;
  fingerprint: { items: string; interactions: string };
}

export class DataError extends Error {
  readonly file: string;
  /** 1-based; 0 when the error is about the whole file */
  readonly line: number;
}
export function loadDataset(dir: string, opts?: { minInteractions?: number; split?: Split }): Promise<Dataset>;
export function parseItems(text: string, file?: string): { items: ItemLine[]; byId: Map<string, number> };
export function parseInteractions(
  text: string,
  byId: Map<string, number>,
  file?: string,
  minInteractions?: number,
  /** interactions dropped from the end of each sequence first (SPLITS[split]) */
  dropLast?: number,
): { users: EvalUser[]; interactions: number; allUsers: number };

export function fnv1a64(str: string): bigint;
export class SplitMix64 {
  constructor(state: bigint | number);
  state: bigint;
  next(): bigint;
  /** next() mod n */
  below(n: number): number;
}
export function userGenerator(seed: number, user: string): SplitMix64;
export function sampleCandidates(
  catalogIds: readonly string[],
  history: readonly string[],
  target: string,
  opts: { negatives?: number; seed?: number; user: string },
): { candidates: string[]; targetIndex: number; negatives: number };

export const METRICS: MetricName[];
export function ndcgAt(rank: number, k: number): number;
export function hitAt(rank: number, k: number): number;
export function mrr(rank: number): number;
export function rankFromScores(scores: ArrayLike<number>, targetIndex: number): number;
export function rankInOrder(order: readonly string[], target: string): number;
export function meanMetrics(ranks: readonly number[]): Record<MetricName, number>;

export function resampleIndices(n: number, resamples: number, seed: number): Uint32Array;
export function bootstrapCI(values: ArrayLike<number>, idx: Uint32Array, resamples: number, level?: number): [number, number];
export function pairedGain(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  idx: Uint32Array,
  resamples: number,
  level?: number,
): { gain: number | null; ci: Interval; p_not_better: number };
export function quantile(sorted: ArrayLike<number>, p: number): number;

type Vec = ArrayLike<number>;
export function cosine(a: Vec, b: Vec): number;
export function recencyScores(candVecs: Vec[], historyVecs: Vec[], window?: number): number[];
export function ragScores(candVecs: Vec[], historyVecs: Vec[]): number[];
/** Recency-weighted history counts: each occurrence weighs decay^k, k = the user's later history items. */
export const POPULARITY_DECAY: number;
export function popularityCounts(users: ReadonlyArray<{ history: ReadonlyArray<{ item: string }> }>, decay?: number): Map<string, number>;
export function popularityScores(candidateIds: readonly string[], counts: Map<string, number>): number[];
export function relatedCounts(
  users: ReadonlyArray<{ history: ReadonlyArray<{ item: string }> }>,
  window?: number,
  top?: number,
): Map<string, Array<[string, number]>>;
export function withPopularity(
  items: ItemLine[],
  counts: Map<string, number>,
  related?: Map<string, Array<[string, number]>> | null,
  repeats?: Set<string> | null,
): ItemLine[];

export interface MethodResult extends Record<MetricName, number> {
  ci: Record<MetricName, Interval>;
}
export interface Gain {
  'ndcg@5': number | null;
  'hit@5': number | null;
  ci: { 'ndcg@5': Interval; 'hit@5': Interval };
  p_not_better: { 'ndcg@5': number; 'hit@5': number };
}
export interface MethodUsage {
  calls: number;
  prompt_tokens: number;
  completion_tokens: number;
  failures: number;
  degraded_users: number;
  degradations: Record<string, number>;
  failed_users: number;
  /** LLM backends (or timing: true) only */
  wall_ms_per_user?: number;
}
export interface EvalResult {
  dataset: string;
  split: Split;
  users: number;
  negatives: number;
  seed: number;
  backend: string;
  model: string | null;
  resamples: number;
  protocol: number;
  methods: Partial<Record<MethodName, MethodResult>>;
  best_baseline: { 'ndcg@5'?: 'recency' | 'rag'; 'hit@5'?: 'recency' | 'rag' };
  gain_over_best_baseline: Partial<Record<MethodName, Gain>>;
  usage: Partial<Record<MethodName, MethodUsage>>;
  /** NDCG@5 and Hit@5 apart for targets some history holds and targets none holds */
  by_target: TargetBreakdown;
  failed_users: number;
}
export interface TargetGroup {
  users: number;
  /** null for a group without users */
  methods: Partial<Record<MethodName, { 'ndcg@5': number | null; 'hit@5': number | null }>>;
}
export interface TargetBreakdown {
  in_history: TargetGroup;
  in_no_history: TargetGroup;
}
export function targetBreakdown(records: UserRecord[], methods: MethodName[], inHistory: (item: string) => boolean): TargetBreakdown;
export interface UserRecord {
  i: number;
  user: string;
  target: string;
  /** null: not ranked (a failed pipeline call) */
  ranks: Partial<Record<MethodName, number | null>>;
  usage: Record<string, unknown>;
  errors?: string[];
}
export interface EvalRun {
  result: EvalResult;
  records: UserRecord[];
  failures: { user: string; error: string }[];
}

export interface EvalEngine {
  moduleHash: string;
  vectors(ids: readonly string[]): Float32Array[];
  createWorker(): {
    rankArag(
      history: readonly Interaction[],
      candidates: readonly string[],
      agents: { uua: boolean; nli: boolean; csa: boolean; ira: boolean },
      /** More engine config for this request (the arag methods: { shelf: ... }). */
      config?: Record<string, unknown>,
    ): Promise<{ order: string[]; usage: { calls: number; prompt_tokens: number; completion_tokens: number; failures: number }; degraded: unknown[] }>;
    free(): void;
  };
  free(): void;
}
export function createEvalEngine(opts: {
  dist: string;
  kind?: 'emscripten' | 'wasi';
  backend?: string;
  baseURL?: string | null;
  model?: string | null;
  apiKey?: string;
  llm?: unknown;
  llmOptions?: { timeoutMs?: number; retries?: number; concurrency?: number };
  config?: Record<string, unknown>;
  items: ItemLine[];
  /** named in errors about an item line */
  itemsFile?: string;
  dim?: number;
}): Promise<EvalEngine>;

export const PROTOCOL_VERSION: number;
export const METHODS: Record<MethodName, { kind: 'vector' | 'arag'; agents?: { uua: boolean; nli: boolean; csa: boolean; ira: boolean }; config?: Record<string, unknown> }>;
/** The shelf arag-storefront arranges (its first places). */
export const STOREFRONT_SHELF: number;
/** Items some history (never a target) holds twice: the evaluation marks them repeat_purchase. */
export function repeatPurchases(users: readonly { history: readonly Interaction[] }[]): Set<string>;
export function parseMethods(text: string): MethodName[];
export class Progress {
  constructor(total: number, opts?: { stream?: { isTTY?: boolean; write(s: string): unknown } | null; label?: string; now?: () => number });
  skip(n: number): void;
  tick(): void;
  line(): string;
  finish(): void;
}
export interface RunOptions {
  methods: MethodName[];
  negatives?: number;
  seed?: number;
  /** first N eligible users; 0 = all */
  users?: number;
  concurrency?: number;
  resamples?: number;
  /** JSON-lines checkpoint file; null = none */
  checkpoint?: string | null;
  backend?: string;
  model?: string | null;
  /** anything else that determines the result (recorded in the checkpoint header) */
  fingerprint?: Record<string, unknown>;
  timing?: boolean;
  progress?: { isTTY?: boolean; write(s: string): unknown } | null;
  keepCheckpoint?: boolean;
  onUser?: (rec: UserRecord) => unknown;
}
export function runEval(data: Dataset, engine: EvalEngine, opts: RunOptions): Promise<EvalRun>;
export function planUsers(
  data: Dataset,
  opts: { negatives: number; seed: number; users?: number },
): Array<{ i: number; user: string; history: Interaction[]; target: string; candidates: string[]; targetIndex: number; negatives: number }>;
export function aggregate(
  records: UserRecord[],
  methods: MethodName[],
  opts?: { resamples?: number; seed?: number; timing?: boolean },
): Pick<EvalResult, 'methods' | 'best_baseline' | 'gain_over_best_baseline' | 'usage'>;

export function toJSON(result: EvalResult): string;
export function toMarkdown(result: EvalResult): string;
/** Self-contained SVG: NDCG@5 and Hit@5 per method with their intervals. */
export function toSVG(result: EvalResult): string;

export interface EvaluateOptions extends Omit<RunOptions, 'methods' | 'fingerprint' | 'backend' | 'model'> {
  /** a folder with items.jsonl and interactions.jsonl, or a loaded data set */
  data: string | Dataset;
  /** for a folder; a loaded data set carries its own (a different one is an error) */
  split?: Split;
  /** the built module folder (dist/) */
  dist: string;
  kind?: 'emscripten' | 'wasi';
  methods?: MethodName[] | string;
  /** 'offline' (default), 'openai', or a label for opts.llm */
  backend?: string;
  baseURL?: string | null;
  model?: string | null;
  apiKey?: string;
  /** any LLM adapter of the host library (workersAI, fromFunction, openAIChat) */
  llm?: unknown;
  llmOptions?: { timeoutMs?: number; retries?: number; concurrency?: number };
  config?: Record<string, unknown>;
  /** sees every LLM call with its answer (a recording entry) */
  record?: ((entry: Record<string, unknown>) => void) | null;
  /** a recording (JSON lines text or entries) to answer every LLM call from */
  replay?: string | Record<string, unknown>[] | null;
}
export function evaluate(opts: EvaluateOptions): Promise<EvalRun & { replayMisses?: number }>;

/** The moves `tune` tries for one reasoner weight at a relative step (see tune.mjs). */
export function moves(name: string, value: number, step: number): number[];

export interface TuneOptions {
  /** a folder with items.jsonl and interactions.jsonl (both splits are loaded from it) */
  data: string;
  dist: string;
  kind?: 'emscripten' | 'wasi';
  /** start config; its "reasoner" weights are where the search starts */
  config?: Record<string, unknown>;
  /** reasoner weights to move (default: every non-zero one at the start) */
  params?: string[];
  /** passes over the weights (default 2); the step halves after each */
  rounds?: number;
  /** first relative step, in (0, 1) (default 0.5) */
  step?: number;
  /** NDCG@5 a move must gain on the validation split to be kept (default 0.0005) */
  minGain?: number;
  negatives?: number;
  seed?: number;
  /** only the first N eligible users of each split (default 0: all) */
  users?: number;
  log?: ((line: string) => void) | null;
}
export interface TuneTestScore {
  users: number;
  'ndcg@5': number;
  'hit@5': number;
  ci: Interval;
  best_baseline: { name: MethodName; 'ndcg@5': number };
  /** relative NDCG@5 gain over the best baseline, with its paired bootstrap interval */
  gain: number;
  gain_ci: Interval;
}
export interface TuneResult {
  dataset: string;
  users: { valid: number; test: number };
  negatives: number;
  seed: number;
  params: string[];
  rounds: number;
  /** every reasoner weight at the start */
  start: Record<string, number>;
  /** the weights the search moved, with their new values */
  tuned: Record<string, number>;
  /** the start config with the tuned weights: pass it on as the engine config */
  config: Record<string, unknown>;
  trials: { round: number; param: string; value: number; ndcg5: number; accepted: boolean }[];
  /** NDCG@5 on the validation split */
  valid: { start: number; tuned: number };
  /** the test split, never read by the search */
  test: { start: TuneTestScore; tuned: TuneTestScore };
}
/** Coordinate ascent of the offline reasoner's weights on the validation split. */
export function tune(opts: TuneOptions): Promise<TuneResult>;
