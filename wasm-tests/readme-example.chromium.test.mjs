// The README's "Add it to your shop" example, as written, in headless Chromium: the code
// block is taken from README.md at test time and run in a page that imports 'arag' (an
// import map to the built dist/) with a catalog served at /catalog.json. It must fill the
// shelf with 8 products, each with its title and a reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST, ROOT, requireFile } from './helpers/common.mjs';
import { launchChromium } from './helpers/chromium.mjs';
import { startStaticServer } from './helpers/static-server.mjs';
import { makeCatalog } from '../web/demo/make-catalog.mjs';

requireFile(join(DIST, 'index.mjs'), 'run `make wasm` first');

function readmeExample() {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = text.slice(text.indexOf('## Add it to your shop'));
  const m = /```js\n([\s\S]*?)```/.exec(section);
  assert.ok(m, 'README.md has a js block under "Add it to your shop"');
  return m[1];
}

test('README "Add it to your shop": the example runs as written and fills the shelf', async () => {
  const code = readmeExample();
  assert.ok(code.split('\n').length <= 20, 'about 15 lines');
  const dir = mkdtempSync(join(tmpdir(), 'arag-readme-'));
  const browser = await launchChromium();
  try {
    mkdirSync(join(dir, 'dist'));
    for (const f of readdirSync(DIST)) if (/\.(mjs|wasm)$/.test(f)) cpSync(join(DIST, f), join(dir, 'dist', f));
    mkdirSync(join(dir, 'page'));
    // The shop's catalog: the sample products, one of them the example's 'sku-123'.
    const items = makeCatalog().items.map((it, i) => (i === 0 ? { ...it, id: 'sku-123' } : it));
    writeFileSync(join(dir, 'catalog.json'), JSON.stringify(items));
    writeFileSync(
      join(dir, 'page', 'index.html'),
      '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="importmap">{"imports": {"arag": "/dist/index.mjs"}}</script>' +
        '<ol id="shelf"></ol><script type="module" src="/page/app.mjs"></script>',
    );
    // What the example leaves to the shop: the shelf element and a title lookup.
    writeFileSync(
      join(dir, 'page', 'app.mjs'),
      "const shelf = document.getElementById('shelf');\n" +
        "const titles = new Map((await (await fetch('/catalog.json')).json()).map((it) => [it.id, it.title]));\n" +
        'const titleOf = (id) => titles.get(id);\n' +
        `${code}\n` +
        'document.body.dataset.done = "true";\n',
    );
    const server = await startStaticServer(dir, ['/dist/', '/page/', '/catalog.json']);
    try {
      const { page, errors } = browser;
      await page.goto(`${server.url}/page/index.html`);
      await page.waitForSelector('body[data-done="true"]', { timeout: 60000 });
      const lines = await page.$$eval('#shelf li', (els) => els.map((e) => e.textContent));
      assert.equal(lines.length, 8);
      const titles = new Set(items.map((it) => it.title));
      for (const l of lines) {
        const [title, reason] = [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)];
        assert.ok(titles.has(title), `a product title: ${l}`);
        assert.ok(reason.length > 5 && !/undefined/.test(reason), l);
      }
      assert.ok(!lines.some((l) => l.startsWith(`${items[0].title}:`)), 'the product just viewed is not offered back');
      assert.deepEqual(errors, []);
    } finally {
      await server.close();
    }
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
