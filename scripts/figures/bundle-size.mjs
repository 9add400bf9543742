// What the host library weighs in an app's bundle, by what the app imports (make
// bundle-figures -> docs/figures/bundle-size.json, written by scripts/bundle-figures.mjs).

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

export function render(j, { view }) {
  if (view) throw new Error(`unknown view "${view}"`);
  const lines = [
    `What an app's bundle holds of the host library, by what it imports from \`arag\` (${j.tool}, \`${j.options}\`; the wasm is fetched beside the bundle, never part of it):`,
    '',
    '| imports | minified | gzipped | modules of dist/ in the bundle | module loader and Emscripten glue |',
    '|---|---:|---:|---|---|',
  ];
  for (const b of j.bundles) {
    const mods = b.modules.map((m) => `\`${m.replace(/^dist\//, '')}\``).join(', ');
    lines.push(`| \`${b.imports}\` | ${kb(b.bytes)} | ${kb(b.gzip_bytes)} | ${mods} | ${b.emscripten_glue ? 'yes' : 'no'} |`);
  }
  return lines.join('\n');
}
