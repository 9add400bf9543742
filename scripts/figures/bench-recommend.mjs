// One offline recommendation as the demo's worker makes it
// (wasm-tests/bench/recommend.bench.mjs --json docs/figures/bench-recommend.json).

const int = (n) => Math.round(n).toLocaleString('en-US');
const f2 = (x) => x.toFixed(2);

export function render(j) {
  const sizes = Object.keys(Object.values(j.builds)[0].by_history).map(Number).sort((a, b) => a - b);
  const head = `recommend({k: 6}) on ${j.data} (${int(j.items)} items, an int8 catalog restored from its snapshot), config ` +
    `\`${JSON.stringify(j.config)}\`, events carrying their item's text; Node ${j.node}, medians of ${j.rounds} rounds ` +
    `(${j.reps} recommends per history size each), the builds taking turns round by round (ms; in brackets: inside the ` +
    "module + in the JS host, and the four agents' own answers, part of the module's time). The first two columns are " +
    `medians of ${j.cold_runs} Node processes per build with one V8 worker thread (\`--v8-pool-size=1\`; with more, ` +
    'their contention on this 2-core machine swings these two figures by several times from run to run):';
  const lines = [
    head,
    '',
    `| build | first recommend of a fresh module | first after 3 warm-up recommends | ${sizes.map((s) => `${s} event${s === 1 ? '' : 's'}`).join(' | ')} |`,
    `|---|---:|---:|${sizes.map(() => '---:').join('|')}|`,
  ];
  for (const b of Object.values(j.builds)) {
    const cells = sizes.map((s) => {
      const h = b.by_history[s];
      return `${f2(h.ms)} (${f2(h.module_ms)} + ${f2(h.host_ms)}; agents ${f2(h.agents_ms)})`;
    });
    lines.push(`| ${b.label} | ${b.cold_ms.toFixed(1)} | ${f2(b.warm_first_ms)} | ${cells.join(' | ')} |`);
  }
  if (j.ratio) lines.push(`| before ÷ this build | | | ${sizes.map((s) => `${j.ratio[s].toFixed(2)}x`).join(' | ')} |`);
  return lines.join('\n');
}
