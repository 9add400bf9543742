// The evaluation harness as a library: evaluate() is what `arag eval` runs.
import { join } from 'node:path';
import { loadDataset } from './data.mjs';
import { createEvalEngine } from './engine.mjs';
import { popularityCounts, relatedCounts, repeatPurchases, withPopularity } from './baselines.mjs';
import { parseMethods, runEval } from './run.mjs';

export { loadDataset, parseItems, parseInteractions, DataError, SPLITS } from './data.mjs';
export { fnv1a64, SplitMix64, userGenerator, sampleCandidates } from './sampler.mjs';
export { METRICS, ndcgAt, hitAt, mrr, rankFromScores, rankInOrder, meanMetrics } from './metrics.mjs';
export { resampleIndices, bootstrapCI, pairedGain, quantile } from './bootstrap.mjs';
export { cosine, recencyScores, ragScores, popularityCounts, popularityScores, relatedCounts, repeatPurchases, withPopularity, POPULARITY_DECAY } from './baselines.mjs';
export { METHODS, PROTOCOL_VERSION, parseMethods, runEval, aggregate, targetBreakdown, planUsers, Progress } from './run.mjs';
export { toJSON, toMarkdown, toSVG } from './report.mjs';
export { createEvalEngine } from './engine.mjs';

/**
 * Runs the protocol. opts.data: a folder (items.jsonl + interactions.jsonl) or a data set
 * from loadDataset(). opts.split: 'test' (default) or 'valid' (see SPLITS in data.mjs), for a
 * folder. opts.dist: the built module folder. Backends: 'offline' (default),
 * 'openai' (baseURL, model, apiKey, llmOptions), or any adapter as opts.llm (opts.backend
 * then names it in the result, e.g. 'workers-ai'). opts.record (entry => void) sees every
 * LLM call with its answer; opts.replay (a recording) answers from one instead of a model
 * (the result then has replayMisses: requests the recording did not hold).
 */
export async function evaluate(opts) {
  const {
    dist,
    kind = 'emscripten',
    backend = opts.llm ? 'custom' : 'offline',
    baseURL = null,
    model = null,
    apiKey,
    llm,
    llmOptions = {},
    config = {},
    negatives = 49,
    seed = 1,
    users = 0,
    resamples = 1000,
    checkpoint = null,
    progress = null,
    record = null,
    replay = null,
  } = opts;
  const methods = Array.isArray(opts.methods) ? parseMethods(opts.methods.join(',')) : parseMethods(opts.methods || 'recency,rag,arag');
  const concurrency = opts.concurrency ?? (backend === 'offline' ? 1 : 4);
  const timing = opts.timing ?? backend !== 'offline';
  const data = typeof opts.data === 'string' ? await loadDataset(opts.data, { split: opts.split }) : opts.data;
  if (opts.split && (data.split ?? 'test') !== opts.split) {
    throw new Error(`split "${opts.split}" asked for a data set loaded with split "${data.split ?? 'test'}"`);
  }
  const engine = await createEvalEngine({
    dist,
    kind,
    backend,
    baseURL,
    model,
    apiKey,
    llm,
    llmOptions,
    config,
    record,
    replay,
    // Catalog lines with "popularity", "related" and "repeat_purchase" from the histories
    // (never targets).
    items: withPopularity(data.items, popularityCounts(data.users), relatedCounts(data.users), repeatPurchases(data.users)),
    itemsFile: join(data.dir, 'items.jsonl'),
  });
  try {
    const out = await runEval(data, engine, {
      negatives,
      seed,
      users,
      methods,
      concurrency,
      resamples,
      checkpoint,
      backend,
      model: backend === 'offline' ? null : model,
      fingerprint: { module: engine.moduleHash, kind, config, base_url: baseURL },
      timing,
      progress,
    });
    if (replay) out.replayMisses = engine.llm.stats.misses;
    return out;
  } finally {
    engine.free();
  }
}

export { tune, moves } from './tune.mjs';
