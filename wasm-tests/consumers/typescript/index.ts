// A strict TypeScript consumer of the installed package (type-checked, never run).
import { createRecommender, openAIEmbeddings, AragError, type RecommendResult, type Trace } from 'arag';
import wasm from 'arag/arag.wasm';
import pkg from 'arag/package.json' with { type: 'json' };

export async function main(): Promise<string> {
  const module: WebAssembly.Module = wasm;
  const rec = await createRecommender({
    wasm: module,
    config: { max_candidates: 100, max_request_bytes: 65536, trace_prompts: true, theta: 0.5 },
  });
  // Without an external embedder, add() is synchronous and returns the count.
  const items: number = rec.catalog.add([{ id: 'a', title: 'A' }]);
  const events: number = rec.history.add([{ id: 'a', ts: 1 }]);
  const out: RecommendResult = await rec.recommend({ k: 1 });
  const trace: Trace | null = out.trace;
  const agents: string[] = trace ? trace.messages.map((m) => m.agent) : [];
  rec.free();

  // With one, add() returns a promise of the count.
  const withEmbedder = await createRecommender({ embed: openAIEmbeddings({ baseURL: '/v1', model: 'e', dim: 8 }) });
  const later: Promise<number> = withEmbedder.catalog.add({ id: 'b', title: 'B' });
  // @ts-expect-error: not a number until awaited
  const wrong: number = withEmbedder.catalog.add({ id: 'c', title: 'C' });
  try {
    await later;
  } catch (e) {
    if (e instanceof AragError) return e.code;
  }
  return `${pkg.version} ${items} ${events} ${agents.join(',')} ${String(wrong)}`;
}
