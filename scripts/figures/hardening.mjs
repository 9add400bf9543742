// The seeded hardening suites (make hardening-figures -> docs/figures/hardening.json, written
// by scripts/hardening-record.mjs from the summary line each suite printed): what each
// suite ran and what came of it (docs/hardening.md).

const int = (n) => Math.round(n).toLocaleString('en-US');
const mib = (bytes) => {
  const m = bytes / 1048576;
  return `${Number.isInteger(m) ? m : m.toFixed(1)} MiB`;
};
const plural = (n, one, many = `${one}s`) => `${int(n)} ${n === 1 ? one : many}`;

// The fault kinds of tests/fault_provider.h as the table names them ("sync" and "ok" are
// answers, "slow" is counted apart).
const NATIVE_KINDS = [
  ['timeout', 'time-out'],
  ['drop', 'drop'],
  ['http_429', '429'],
  ['http_500', '500'],
  ['truncated', 'truncated'],
  ['off_schema', 'off-schema'],
  ['empty', 'empty'],
  ['unknown_ids', 'unknown ids'],
  ['duplicate_ids', 'duplicate ids'],
];

function loadersRow({ js, module }) {
  return (
    '| JS mutation fuzzing (`wasm-tests/loaders.fuzz.test.mjs`) | ' +
    `${int(js.texts)} mutated \`items.jsonl\` texts through the evaluation loader, and ${int(module.batches)} mutated batches through the module's catalog and history loaders | ` +
    `every text gave records (${int(js.accepted)}) or a \`DataError\` with its line (${int(js.refused)}). ` +
    `Every batch was accepted (${int(module.accepted)}) or refused whole (${int(module.refused)}), and a refused batch changed nothing |`
  );
}

function nativeRow(f, build) {
  const share = `${Math.round(100 / f.cancel_every)}%`;
  const kinds = NATIVE_KINDS.map(([k, name]) => `${name} ${int(f.injected[k])}`).join(', ');
  const leaks = build === 'native-asan' ? ', 0 leaks (LeakSanitizer)' : '';
  return (
    `| Fault injection, native (\`tests/test_faults.c\`${build === 'native-asan' ? ', ASan' : ''}) | ` +
    `${int(f.recommendations)} seeded recommendations, ${f.parallel} sessions at a time, ${share} cancelled (${int(f.cancelled)}) | ` +
    `${int(f.requests)} agent requests; ${int(f.faults)} faults (${kinds}) plus ${int(f.injected.slow)} slow answers. ` +
    `All ${int(f.done)} finished sessions are permutations of their candidates, every fault is named on its message, ` +
    `${int(f.sessions_left)} sessions left, ${int(f.refused_deliveries)} deliveries to cancelled sessions refused${leaks} |`
  );
}

function allocRow(a, build) {
  return (
    `| Allocation failures, native (\`tests/test_alloc_faults.c\`${build === 'native-asan' ? ', ASan' : ''}) | ` +
    'every allocation of an operation made to fail in turn, alone and with all after it: agent answer parsing, engine config, offline and host recommendations, history restore and add, catalog add, the snapshots and restores of catalogs (f32, int8), indexes and histories ' +
    `(${int(a.operations)} operations, ${int(a.failure_points)} failure points) | ` +
    'each operation reports out of memory (never bad JSON or a network error) or gives the result it gives without the failure; inputs unchanged, 0 blocks left |'
  );
}

function wasmRow({ emscripten: e, wasi: w }) {
  const calls = e.calls + w.calls;
  const injected = e.injected + w.injected;
  const failed = e.failedCalls + w.failedCalls;
  return (
    '| Fault injection, wasm in process (`wasm-tests/faults.test.mjs`) | ' +
    `Emscripten ${int(e.recs)} and WASI ${int(w.recs)} recommendations | ` +
    `${int(injected)} of ${int(calls)} calls faulty, every kind drawn. ${int(failed)} calls still failed after one retry and each was named. ` +
    `Every result is a permutation. Linear memory flat (${mib(e.memoryBytes)} Emscripten, ${mib(w.memoryBytes)} WASI); heap probe no higher in the second half of the run than in the first |`
  );
}

function httpRow(h) {
  return (
    '| Fault injection over HTTP (`wasm-tests/faults.test.mjs`) | ' +
    `${int(h.recs)} recommendations with \`openAIChat\` against a faulty server (dropped sockets, \`choices: []\`, 250 ms time-outs, ...) | ` +
    `${int(h.injected)} of ${int(h.calls)} calls faulty, ${int(h.failedCalls)} failed after retries, ${int(h.recs)} of ${int(h.recs)} ranked |`
  );
}

function injectionRow(j) {
  const run = j.cases - j.refusedNul;
  return (
    '| Prompt injection (`wasm-tests/injection.test.mjs`) | ' +
    `${int(j.cases)} adversarial item texts in ${int(j.categories)} categories | ` +
    `${int(j.held)} of ${int(j.cases)} held: item text only inside JSON strings of the fenced section, only candidate ids in results, schema unchanged. ` +
    `${plural(j.refusedNul, 'case')} (an escaped NUL) refused with \`ARAG_E_JSON\`. ` +
    `Of the ${int(run)} that run, the fence-respecting model was swayed by ${int(j.fenced.swayed)} and the fully obedient model by ${int(j.obedient.swayed)} (see below) |`
  );
}

/** Words joined into lines of at most `width` characters. */
function wrap(text, width = 90) {
  const lines = [];
  let line = '';
  for (const w of text.split(' ')) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

/** The prose under the table: what the injection run showed. */
function injectionProse(j) {
  const run = j.cases - j.refusedNul;
  const refused = j.refusedNul === 1 ? `One case of ${int(j.cases)} is` : `${int(j.refusedNul)} cases of ${int(j.cases)} are`;
  const fenced = j.fenced.swayed === 0 ? `none of the other ${int(run)} broke out, so none moved the item` : `${int(j.fenced.swayed)} of the other ${int(run)} moved the item`;
  const para =
    `${refused} refused outright: an escaped NUL would cut the text short inside, so the request fails with \`ARAG_E_JSON\`. ` +
    `Against the fence-respecting model, ${fenced}. The defences cannot stop a model that obeys data. ` +
    `The obedient model moved the injected item up in ${int(j.obedient.swayed)} of the ${int(run)}. ` +
    `${int(j.obedient.notMoved.length)} were not moved (in ${int(j.truncatedAway)} of them a long text's instruction was cut off at \`max_prompt_item_chars\`, 300 characters):`;
  return [
    wrap(para),
    ...j.obedient.notMoved.map((c, i, all) => {
      const [id, ...name] = c.split(' ');
      return `- \`${id}\`, ${name.join(' ')}${i === all.length - 1 ? '.' : ';'}`;
    }),
    '',
    `For those ${int(j.obedient.swayed)}, the damage stays bounded:`,
    '- The injected item can only move within the candidate list.',
    `- Fake ids the model repeats are dropped and named \`ira:unknown_id:*\` (${plural(j.fakeIdsDropped, 'case')}).`,
    `- An answer in the attacker's format (XML) is answered by the offline ranking (\`ira:offline\`; ${plural(j.schemaAttacksRefused, 'case')}).`,
    '- Extra fields the attacker asks for never reach the result.',
  ].join('\n');
}

export function render(j, { view }) {
  if (view === 'injection') return injectionProse(j.injection);
  if (view) throw new Error(`unknown view "${view}"`);
  return [
    '| Area | What | Figures |',
    '|---|---|---|',
    loadersRow(j.loaders_fuzz),
    nativeRow(j.native_faults, j.native_build),
    allocRow(j.alloc_faults, j.native_build),
    wasmRow(j.wasm_faults),
    httpRow(j.http_faults),
    injectionRow(j.injection),
    '',
    `The last \`make hardening-figures\` run, ${j.date}.`,
  ].join('\n');
}
