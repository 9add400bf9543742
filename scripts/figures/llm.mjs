// The LLM benchmark (wasm-tests/bench/llm.bench.mjs --json docs/figures/llm.json):
// prompt tokens per recommendation and their shared prefix, NLI batch sizes, what an IRA
// answer of 50 takes and the offline IRA's scores, streaming, memory under a runaway
// answer, a hung provider.

const int = (n) => Math.round(n).toLocaleString('en-US');
const pct = (x) => `${(100 * x).toFixed(1)}%`;
const mb = (b) => `${(b / (1 << 20)).toFixed(1)} MiB`;

function defaults(j) {
  return j.cost.find((c) => c.nli_batch === 10) || j.cost[0];
}

export function render(j, { view }) {
  if (view === 'cost') {
    const c = defaults(j);
    const a = c.by_agent;
    const rows = ['uua', 'nli', 'csa', 'ira'].filter((k) => a[k]).map((k) => `| ${k.toUpperCase()} | ${a[k].calls_per_rec} | ${int(a[k].prompt_tokens_per_rec)} | ${int(c.max_tokens[k])} |`);
    return [
      `${j.dataset}, ${int(j.users)} users, ${j.candidates} candidates, the defaults (NLI batches of ${c.nli_batch}); tokens counted with ${j.env.tokenizer}:`,
      '',
      '| agent | calls | prompt tokens | max_tokens of a call |',
      '|---|---:|---:|---:|',
      ...rows,
      `| all | ${c.calls_per_rec} | ${int(c.prompt_tokens_per_rec)} | |`,
      '',
      ...(c.ira_evidence_tokens_per_rec !== undefined
        ? [`Of IRA's ${int(a.ira.prompt_tokens_per_rec)}, ${int(c.ira_evidence_tokens_per_rec)} are the evidence each candidate's line shows, which it cites (reasons.md).`, '']
        : []),
      `Of NLI's ${int(c.nli_prompt_tokens_per_rec)} prompt tokens, ${pct(c.nli_shared_prefix_share)} sit in a prefix another NLI call of the same recommendation repeats byte for byte (the instructions and the shopper's history), and ${pct(c.nli_cacheable_prefix_share)} repeat one sent before them, which a provider's prefix cache can serve; of all the prompt tokens, ${pct(c.all_shared_prefix_share)} and ${pct(c.all_cacheable_prefix_share)}.`,
    ].join('\n');
  }
  if (view === 'ira-answer') {
    // The sentences of docs/llm.md's max_tokens section that say what an IRA answer takes.
    const a = j.ira_answer_tokens;
    const cap = a.ira_max_tokens;
    const c = a.reasons_15_words;
    const w = a.reasons_whole;
    const share = (n) => (n === a.answers ? 'every one' : n === 0 ? 'none' : `${int(n)} of ${int(a.answers)}`);
    const room = (s, limit, who) => (s.max <= limit ? `${who}'s ${int(limit)} leave at least ${int(limit - s.max)} to spare` : `${share(s.over_max_tokens)} pass ${who}'s ${int(limit)}`);
    const cited = a.cited
      ? ` and the first ${a.cited} citing every entry of their evidence (${int(a.cite_tokens_per_item.p50)} tokens an item at the median, at most ${int(a.cite_tokens_per_item.max)})`
      : '';
    let md =
      `Rankings of ${a.candidates} with reasons of at most 15 words${cited} (the offline reasoner's, for ${int(a.answers)} ${j.dataset} users, each reason cut to the prompt's 15 words, ` +
      `written in the answer's schema; ${j.env.tokenizer}) take ${int(c.min)}-${int(c.max)} tokens (median ${int(c.p50)}): ${room(c, cap, 'IRA')}, and the old fixed 800 cut ${share(c.over_800)}. ` +
      `With the offline reasoner's whole reasons, longer than 15 words: ${int(w.min)}-${int(w.max)} tokens (median ${int(w.p50)}), ${share(w.over_max_tokens)} past ${int(cap)}.`;
    if (a.nli) {
      const n = a.nli.rationales_25_words;
      const all = (k) => (k === a.nli.batches ? 'every one' : k === 0 ? 'none' : `${int(k)} of ${int(a.nli.batches)}`);
      md +=
        ` NLI batches of ${a.nli.batch} from the same recommendations (${int(a.nli.batches)}), rationales cut to the prompt's 25 words, take ${int(n.min)}-${int(n.max)} tokens (median ${int(n.p50)}): ` +
        (n.max <= a.nli.nli_max_tokens ? `NLI's ${int(a.nli.nli_max_tokens)} leave at least ${int(a.nli.nli_max_tokens - n.max)} to spare.` : `${all(n.over_max_tokens)} pass NLI's ${int(a.nli.nli_max_tokens)}.`);
    }
    return md;
  }
  if (view === 'per-user') {
    // What one user of an evaluation with an LLM backend sends (docs/evaluation.md).
    const c = defaults(j);
    return `The full pipeline makes ${c.calls_per_rec} calls per user, ${int(c.prompt_tokens_per_rec)} prompt tokens on ${j.dataset} (${j.candidates} candidates, NLI batches of ${c.nli_batch}; ${j.env.tokenizer}), as \`make bench-llm\` measures it ([the LLM path](llm.md#cost)).`;
  }
  if (view === 'offline-scores') {
    const { all, first } = j.ira_answer_tokens.scores;
    return (
      `IRA's scores on ${j.dataset} (${int(j.ira_answer_tokens.answers)} users, ${j.ira_answer_tokens.candidates} candidates each): the median candidate ${all.p50.toFixed(2)} ` +
      `(half of them ${all.p25.toFixed(2)}-${all.p75.toFixed(2)}), the median first item ${first.p50.toFixed(2)} (half of them ${first.p25.toFixed(2)}-${first.p75.toFixed(2)}), as \`make bench-llm\` last measured them.`
    );
  }
  if (view === 'batches') {
    return [
      '| nli_batch | calls | prompt tokens | NLI prompt tokens | NLI in a shared prefix | NLI cacheable |',
      '|---:|---:|---:|---:|---:|---:|',
      ...j.cost.map((c) => `| ${c.nli_batch} | ${c.calls_per_rec} | ${int(c.prompt_tokens_per_rec)} | ${int(c.nli_prompt_tokens_per_rec)} | ${pct(c.nli_shared_prefix_share)} | ${pct(c.nli_cacheable_prefix_share)} |`),
    ].join('\n');
  }
  if (view === 'streaming') {
    const s = j.streaming;
    return [
      `One recommendation, the fixture model giving a token every ${s.token_ms} ms:`,
      '',
      '| the model writes | whole answer: wall ms | stream: wall ms | tokens waited for, whole / stream |',
      '|---|---:|---:|---:|',
      ...s.rows.map((r) => `| ${r.model} | ${int(r.whole.wall_ms)} | ${int(r.stream.wall_ms)} | ${int(r.whole.tokens_read)} / ${int(r.stream.tokens_read)} |`),
    ].join('\n');
  }
  if (view === 'memory') {
    return [
      '| a 20 MB answer to the IRA, with | wasm memory before | after | the IRA answered by |',
      '|---|---:|---:|---|',
      ...j.memory.map((m) => `| ${m.caps} | ${mb(m.wasm_before_bytes)} | ${mb(m.wasm_after_bytes)} | ${m.ira} |`),
    ].join('\n');
  }
  if (view === 'deadline') {
    return [
      '| every call hangs; options | the recommendation settles after |',
      '|---|---:|',
      ...j.hung.map((h) => `| ${h.options} | ${(h.settle_ms / 1000).toFixed(1)} s |`),
    ].join('\n');
  }
  throw new Error(`unknown view "${view}"`);
}
