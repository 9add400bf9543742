// Writes the small seed corpora of the libFuzzer targets into fuzz/corpus/<target>/:
// data set lines (items.jsonl, interactions.jsonl), agent answers recorded from the
// built-in offline reasoner and from the OpenAI-compatible test server, snapshots made
// by the module, config and request JSON. Deterministic; needs dist/ (make wasm).
//   node scripts/fuzz_seeds.mjs [DATA_DIR]   (default: the sample data set)
import { mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { writeSampleData } from './sample-data.mjs';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const DATA = process.argv[2] ? resolve(process.argv[2]) : writeSampleData();
const { createArag, createRecommender, fromFunction } = await import(join(ROOT, 'dist/index.mjs'));
const { answerFor } = await import(join(ROOT, 'wasm-tests/helpers/openai-test-server.mjs'));

const lines = (f) => readFileSync(join(DATA, f), 'utf8').split('\n').filter((l) => l.trim());
const items = lines('items.jsonl').slice(0, 4000).map((l) => JSON.parse(l));
const inter = lines('interactions.jsonl').slice(0, 4000).map((l) => JSON.parse(l));
const byId = new Map(items.map((it) => [it.id, it]));

const corpora = {};
function put(target, content) {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
  const name = createHash('sha1').update(bytes).digest('hex').slice(0, 16);
  (corpora[target] ||= new Map()).set(name, bytes);
}

// --- data set lines: catalog / history JSON (fuzz_catalog_json)
const withText = items.filter((it) => it.text || it.brand || it.price !== undefined);
for (const it of [...items.slice(0, 4), ...withText.slice(0, 3)]) put('fuzz_catalog_json', JSON.stringify(it));
put('fuzz_catalog_json', items.slice(10, 16).map((it) => JSON.stringify(it)).join('\n'));
put('fuzz_catalog_json', JSON.stringify(items.slice(20, 23)));
const user = inter[0].user;
const evs = inter.filter((e) => e.user === user && byId.has(e.item)).map((e) => ({ id: e.item, ts: e.ts, kind: 'purchase', title: byId.get(e.item).title }));
put('fuzz_catalog_json', evs.map((e) => JSON.stringify(e)).join('\n'));
put('fuzz_catalog_json', '\ufeff' + JSON.stringify(items[30]) + '\r\n' + JSON.stringify(items[31]) + '\r\n');

// --- recorded agent answers: offline reasoner and test server (fuzz_agent_parse, fuzz_pipeline_deliver)
const arag = await createArag();
const users = [...new Set(inter.map((e) => e.user))].slice(0, 3);
const recorded = [];
for (const u of users) {
  const hist = inter.filter((e) => e.user === u && byId.has(e.item));
  if (hist.length < 3) continue;
  const cands = [...hist.slice(-1).map((e) => e.item), ...items.slice(100, 111).map((it) => it.id)];
  const catalog = [...new Set([...hist.map((e) => e.item), ...cands])].map((id) => byId.get(id));
  const offline = await createRecommender({ arag, catalog });
  offline.history.add(hist.slice(0, -1).map((e, i) => ({ id: e.item, ts: i })));
  const out = await offline.recommend({ candidates: cands, k: 5 });
  for (const m of out.trace.messages) if (m.response) recorded.push({ agent: m.agent, content: m.response });
  offline.free();
  const server = await createRecommender({
    arag,
    catalog,
    llm: fromFunction(async (req) => JSON.stringify(answerFor(req.agent, req.messages))),
  });
  server.history.add(hist.slice(0, -1).map((e, i) => ({ id: e.item, ts: i })));
  const out2 = await server.recommend({ candidates: cands, k: 5 });
  for (const m of out2.trace.messages) if (m.response) recorded.push({ agent: m.agent, content: m.response });
  server.free();
}
const seenAgent = {};
for (const r of recorded) {
  if ((seenAgent[r.agent] = (seenAgent[r.agent] || 0) + 1) > 4) continue;
  put('fuzz_agent_parse', r.content);
}
// answers in the shapes models give them (fenced, after prose, bare arrays, numbers as ids)
put('fuzz_agent_parse', '```json\n{"summary": "Likes hair care", "interests": ["conditioner"]}\n```');
put('fuzz_agent_parse', 'Sure! Here is the ranking:\n{"ranking":[{"id":"A1","reason":"fits"},{"id":"B2"}]} Hope this helps.');
put('fuzz_agent_parse', '[{"id":"A1","score":"0.7","label":"SUPPORTS","rationale":"same brand"},{"id":123,"score":2}]');
put('fuzz_agent_parse', '{"items":[{"id":"x y","score":0.4,"label":"neutral"},{"id":"\\"q\\"","score":0.9,"lab');
put('fuzz_agent_parse', '{"ranking":["B2","A1","123","B2","nope"]}');
// as reasoning models and small local models send them: thought blocks (with braces,
// unclosed, closing tag only, harmony channels), answers cut at max_tokens, scores on
// 0-10 and 0-100, ids in another case or as numbers
put('fuzz_agent_parse', '<think>The shopper likes {nail polish} and [gel].</think>\n{"summary":"Likes nails","interests":["gel"]}');
put('fuzz_agent_parse', '<thinking>Draft: {"ranking":["A1"]}</thinking>{"ranking":[{"id":"b2","reason":"ok"},{"id":123}]}');
put('fuzz_agent_parse', '<think>Let me weigh {each} candidate and [then');
put('fuzz_agent_parse', 'the user wants {lipstick} </think>{"items":[{"id":"A1","score":8},{"id":"B2","score":3}]}');
put('fuzz_agent_parse', '<|channel|>analysis<|message|>x {y}<|end|><|start|>assistant<|channel|>final<|message|>{"summary":"h"}');
put('fuzz_agent_parse', '{"ranking":[{"id":"A1","reason":"fits \\"you\\" [x] {y}"},{"id":"B2","reason":"because it is sim');
put('fuzz_agent_parse', '{"items":[{"id":" a1 ","score":85,"label":"supports"},{"id":"[B2]","score":"40"},{"id":"0123","score":62}]}');
// a whole session's answers, in request order (uua, nli batches, csa, ira) for the deliver target
const sess = recorded.slice(0, 8).map((r) => '\x00' + r.content);
put('fuzz_pipeline_deliver', sess.join('\n--\n'));
put('fuzz_pipeline_deliver', ['\x05timed out', '\x06{"error":"rate limited"}', '\x00{"summary":"x"}'].join('\n--\n'));
// the host's failure statuses (1 timeout ... 5 refusal), a repair reported before an
// answer (high bit), and the deadline called mid-way (0x7f)
put('fuzz_pipeline_deliver', ['\x09timed out after 30000 ms', '\x0abudget exhausted', '\x0drefused', '\x80{"summary":"s"}'].join('\n--\n'));
put('fuzz_pipeline_deliver', ['\x00{"summary":"likes lips"}', '\x7f'].join('\n--\n'));
put('fuzz_pipeline_deliver', '\x00{"summary":"likes lips"}\n--\n\x00{"items":[{"id":"a","score":0.9,"label":"supports","rationale":"r"},{"id":"b","score":0.1,"label":"contradicts"},{"id":"c","score":0.5,"label":"neutral"}]}\n--\n\x00{"items":[{"id":"d","score":0.2}]}\n--\n\x00{"items":[{"id":"12","score":1}]}\n--\n\x00{"summary":"ctx"}\n--\n\x00{"ranking":[{"id":"x y","reason":"r"},{"id":"f"},{"id":"a"},{"id":"zz"}]}');

// --- config and request JSON (fuzz_engine_json): config NUL request
const cfgs = ['{}', '{"backend":"host","theta":0.7,"min_keep":1,"nli_batch":2}', '{"agents":{"uua":false,"csa":true},"k":3,"top_k":4}', '{"max_prompt_item_chars":16,"temperature":1.5,"max_tokens":50}'];
const reqs = ['{"candidates":["a","b","c"],"k":2}', '{"top_k":4}', '{"candidates":[{"id":"n1","title":"New Eyeliner","categories":["Beauty"]},"d","e"],"config":{"theta":0.2,"agents":{"nli":false}}}', '{"candidates":["a","a","zz"]}'];
cfgs.forEach((c, i) => put('fuzz_engine_json', `${c}\x00${reqs[i]}`));
put('fuzz_engine_json', JSON.stringify({ candidates: items.slice(0, 3).map((it) => ({ ...it, id: it.id })) }));

// --- snapshots made by the module (index, history, catalog), and the version-1 fixtures (first byte even: as-is;
// odd: the fuzzer writes a valid length and checksum, see fuzz/fuzz_*_restore.c)
const withMode = (mode, bytes) => Buffer.concat([Buffer.from([mode]), Buffer.from(bytes)]);
const fixture = (name) => readFileSync(join(ROOT, 'tests/fixtures', name));
for (const [dtype, keepF32] of [['f32', false], ['int8', true]]) {
  const ix = arag.createIndex({ dim: 4, dtype, keepF32 });
  ix.add('a', [1, 2, 3, 4]).add('b', [0, 1, 0, -1]).add('c', [0.5, 0, 0, 0]);
  ix.remove('b');
  const s = ix.snapshot();
  put('fuzz_index_restore', withMode(0, s));
  put('fuzz_index_restore', withMode(1, s));
  ix.free();
}
for (const name of ['index-v1-f32.snap', 'index-v1-i8.snap']) {
  const s = fixture(name);
  put('fuzz_index_restore', withMode(0, s));
  put('fuzz_index_restore', withMode(1, s.subarray(0, s.length - 8)));
}
for (const dtype of ['f32', 'int8']) {
  const cat = arag.createCatalog({ dim: 8, dtype });
  cat.add(items.slice(40, 44));
  cat.add([
    { id: 'r1', title: 'Rose Balm', text: 'Brand: Moss. For dry skin.', categories: ['Skin', 'Balm'], price: 9.5, popularity: 0, related: { r2: 2, elsewhere: 0.5 } },
    { id: 'r2', title: 'Curl Cream', brand: 'Quill', vector: [1, 0, 0, 0.5, 0, 0, 0, -1] },
  ]);
  cat.remove(items[41].id);
  put('fuzz_catalog_restore', withMode(0, cat.snapshot()));
  put('fuzz_catalog_restore', withMode(1, cat.snapshot()));
  cat.free();
}
const h = arag.createHistory({ dim: 4 });
h.add(evs.slice(0, 4));
put('fuzz_history_restore', withMode(0, h.snapshot()));
h.add({ id: 'v', ts: 99, kind: 'rating', rating: 4, title: 'Rated comb', vector: [1, 0, 0, 0] });
put('fuzz_history_restore', withMode(1, h.snapshot()));
h.free();

for (const [target, files] of Object.entries(corpora)) {
  const dir = join(ROOT, 'fuzz/corpus', target);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of files) writeFileSync(join(dir, name), bytes);
  console.log(`${target}: ${files.size} seeds`);
}
