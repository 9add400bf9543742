// The soak figures (make soak -> docs/figures/soak.json, written by scripts/soak-record.mjs
// from each run's soak-summary line): the edge worker in workerd, and the native soak under
// LeakSanitizer and valgrind.

const int = (n) => Math.round(n).toLocaleString('en-US');
const mb = (kb) => `${(kb / 1024).toFixed(2)} MB`;
const dur = (s) => (s >= 120 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${s.toFixed(1)} s`);

function edge(r) {
  const warm = r.memory_after_warmup;
  const faults = r.faults_injected;
  const malformed = Math.floor(r.n / 50) + (r.n % 50 > 17 ? 1 : 0);
  return (
    `| Edge soak (workerd) | ${int(r.n)} requests, ${r.concurrency} at a time: ${int(r.ok - r.offline)} LLM-backed with faults, ${int(r.offline)} offline, ${int(malformed)} malformed | ` +
    `${int(r.failed)} failed responses; ${int(r.bad_request_400)} of ${int(malformed)} malformed requests got 400; ${int(faults)} of ${int(r.llm_calls)} LLM calls faulty, ${int(r.degraded)} results degraded; ` +
    `${r.instances} module instance${r.instances === 1 ? '' : 's'}; linear memory after warm-up ${warm.min === warm.max ? `${int(warm.min)} bytes at every sample` : `${int(warm.min)} to ${int(warm.max)} bytes`} (${r.curve.length} samples, 0 to ${int(r.n)}); ` +
    `latency p50 ${int(r.p50_ms)} ms, p95 ${int(r.p95_ms)} ms, p99 ${int(r.p99_ms)} ms; ${dur(r.seconds)} in total |`
  );
}

function native(r) {
  const curve = r.rss_kb_curve;
  const first = curve[0];
  const last = curve[curve.length - 1];
  let figures =
    `${int(r.failed)} failed, ${int(r.sessions_left)} sessions left, ${int(r.deliver_errors)} refused deliveries; ${int(r.requests)} agent requests, ${int(r.faults)} faults, ${int(r.degraded)} results degraded; ` +
    `RSS ${mb(first[1])} after ${int(first[0])} and ${mb(last[1])} after ${int(last[0])}; ${dur(r.seconds)}`;
  if (r.run === 'native-lsan') figures += '; LeakSanitizer: exit 0, no leak (RSS is ASan\'s quarantine)';
  if (r.valgrind) {
    const v = r.valgrind;
    figures += `; valgrind: ${int(v.errors)} errors, ${int(v.allocs)} allocations and ${int(v.frees)} frees${v.all_freed ? ', all heap blocks freed' : ''}`;
  }
  const name = r.run === 'native-lsan' ? 'Native soak, LeakSanitizer (`tools/soak_native`)' : 'Native soak, valgrind (`tools/soak_native`)';
  return `| ${name} | ${int(r.recommendations)} recommendations with faults | ${figures} |`;
}

export function render(j, { view }) {
  if (view) throw new Error(`unknown view "${view}"`);
  const lines = ['| Run | What | Figures |', '|---|---|---|'];
  for (const r of j.runs) {
    const row = r.run === 'edge' ? edge(r) : native(r);
    lines.push(row.replace(/ \|$/, `; ${r.date}${r.note ? `, ${r.note}` : ''} |`));
  }
  return lines.join('\n');
}
