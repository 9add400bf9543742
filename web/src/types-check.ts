// Compile-time check of index.d.ts against typical use (tsc --noEmit; never run).
import {
  AragError,
  createArag,
  createRecommender,
  fromFunction,
  openAIChat,
  openAIEmbeddings,
  workersAI,
  type RecommendResult,
  type SearchHit,
} from './index';

export async function usage(env: { AI: { run(model: string, inputs: object): Promise<unknown> } }): Promise<number> {
  const arag = await createArag({ kind: 'wasi' });
  const v: Float32Array = arag.embed('red lipstick', 512);
  const ix = arag.createIndex({ dim: 512, dtype: 'int8', metric: 'cosine', keepF32: true, limits: { maxRows: 1000 } });
  ix.add('a', v).add('b', [0.1, 0.2]);
  const hits: SearchHit[] = ix.search(v, 5, { allow: ['a'], rerank: 4 });
  const bytes: Uint8Array = ix.snapshot();
  ix.restore(bytes).setKernel('scalar');
  ix.free();
  // A catalog built once, shipped as bytes (an ArrayBuffer from fetch, R2 or KV).
  const built = arag.createCatalog({ dtype: 'int8', limits: { maxRestoreBytes: 64 << 20 } });
  built.add([{ id: 'a', title: 'A' }]);
  const shipped: ArrayBuffer = built.snapshot().slice().buffer;
  const held = arag.createCatalog({ snapshot: shipped });
  const title: string | undefined = held.get('a')?.title;
  const perItem: number = held.memoryBytes / Math.max(1, held.count) + held.dim + (title ? 1 : 0);
  const fromSnapshot = await createRecommender({ arag, catalogSnapshot: shipped });
  fromSnapshot.catalog.restore(fromSnapshot.catalog.snapshot());
  fromSnapshot.free();
  held.restore(new Uint8Array(shipped)).free();
  built.free();

  const llm = openAIChat({ baseURL: '/v1', model: 'm', timeoutMs: 1000, budget: { calls: 10 } });
  const other = fromFunction(async (req) => ({ content: { summary: req.agent } }));
  const ai = workersAI(env.AI, { model: '@cf/meta/llama' });
  const emb = openAIEmbeddings({ baseURL: '/v1', model: 'e', dim: 64 });
  const rec = await createRecommender({ llm: Math.random() > 0.5 ? llm : other, embed: emb, config: { theta: 0.4, agents: { csa: false } } });
  await rec.catalog.add([{ id: 'a', title: 'A' }]);
  await rec.history.add({ id: 'a', ts: 1, kind: 'purchase' });
  const offline = await createRecommender({ config: { max_candidates: 200, max_request_bytes: 1 << 20, trace_prompts: true } });
  const added: number = offline.catalog.add([{ id: 'c', title: 'C' }]);
  const events: number = offline.history.add([{ id: 'c', ts: 2 }]);
  const r = await offline.recommend({ k: 1 });
  const firstAgent: string | undefined = r.trace?.messages[0]?.agent;
  const accepted: number = r.trace ? r.trace.accepted : 0;
  offline.free();
  const ctrl = new AbortController();
  try {
    const out: RecommendResult = await rec.recommend(
      { candidates: ['a', { id: 'b', title: 'B' }], k: 2 },
      { signal: ctrl.signal, onProgress: (ev) => void ev.agent }
    );
    return added + events + accepted + (firstAgent ? 1 : 0) + out.items.length + hits.length + out.usage.host.calls + (ai.model ? 1 : 0) + perItem;
  } catch (e) {
    if (e instanceof AragError) return e.status;
    throw e;
  } finally {
    rec.free();
  }
}
