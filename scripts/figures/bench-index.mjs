// The index benchmark (wasm-tests/bench/index.bench.mjs --json docs/figures/bench-index.json):
// exact top-k per engine and catalog size, and what the run's summary says.

const ms = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));
const f3 = (x) => x.toFixed(3);
const int = (n) => n.toLocaleString('en-US');
const NOTES = {
  'arag-f32': 'arag-f32 (wasm SIMD128)',
  'arag-int8-rerank': 'arag-int8-rerank (f32 re-rank of the int8 shortlist)',
  'native-arag': 'native-arag (same C, -O3 -march=native)',
};

export function render(j, { view }) {
  if (view) throw new Error(`unknown view "${view}"`);
  const sizes = [...new Set(j.runs.map((r) => r.n))].sort((a, b) => a - b);
  const engines = [...new Set([...j.runs.map((r) => r.engine), ...j.failures.map((f) => f.engine)])];
  const k = j.runs[0].k;
  const dim = j.runs[0].dim;
  const lines = [
    `Exact top-${k} over random normalized ${dim}-d vectors, Node ${j.env.node}, ${j.env.cpus} CPUs (ms per query; the fastest of 3 passes):`,
    '',
    `| engine | ${sizes.map((n) => `n = ${int(n)}`).join(' | ')} | recall@${k} | bytes/vector |`,
    `|---|${sizes.map(() => '---:').join('|')}|---:|---:|`,
  ];
  for (const e of engines) {
    const runs = j.runs.filter((r) => r.engine === e);
    const cells = sizes.map((n) => {
      const r = runs.find((x) => x.n === n);
      if (r) return ms(r.ms_per_query);
      return j.failures.some((f) => f.engine === e && (f.n === n || f.n === undefined)) ? 'fails' : '';
    });
    const rec = runs.map((r) => r.recall_at_k);
    const recall = !rec.length ? '' : Math.min(...rec) === Math.max(...rec) ? f3(rec[0]) : `${f3(Math.min(...rec))}–${f3(Math.max(...rec))}`;
    const bytes = runs.length ? Math.round(runs[0].bytes_per_vector) : '';
    lines.push(`| ${NOTES[e] || e} | ${cells.join(' | ')} | ${recall} | ${bytes} |`);
  }
  const s = j.summary;
  const out = [lines.join('\n'), ''];
  const said = [];
  if (s.f32_speedup_vs_fastest_exact_wasm_js_peer_at_10k) {
    const p = s.f32_speedup_vs_fastest_exact_wasm_js_peer_at_10k;
    said.push(`at 10,000, arag f32 is ${p.ratio.toFixed(1)}x faster than the fastest exact wasm/JS peer (${p.peer})`);
  }
  if (s.f32_vs_native_at_100k !== undefined) {
    said.push(`at 100,000 it runs at ${s.f32_vs_native_at_100k.toFixed(2)}x the native build's time, at ${(100 * s.f32_fraction_of_adjacent_read_bandwidth_at_100k).toFixed(0)}% of the wasm read bandwidth measured next to it (a flat scan there is memory-bound)`);
  }
  if (s.int8_speedup_vs_f32_at_100k !== undefined) {
    said.push(`int8 takes ${(100 * s.int8_bytes_fraction_of_f32).toFixed(0)}% of f32's bytes per vector and is ${s.int8_speedup_vs_f32_at_100k.toFixed(1)}x faster at 100,000, with recall@${k} at least ${f3(s.int8_min_recall)} (${f3(s.int8_rerank_min_recall)} with re-ranking)`);
  }
  if (said.length) out.push(`In this run: ${said.join('; ')}.`);
  out.push(`The whole module (\`dist/arag.wasm\`: index, embedder, pipeline and reasoner) is ${int(j.wasm_bytes)} bytes, ${int(j.wasm_gzip_bytes)} gzipped.`);
  return out.join('\n');
}
