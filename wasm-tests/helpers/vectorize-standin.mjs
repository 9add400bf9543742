// A stand-in for a Cloudflare Vectorize index binding, for tests: Miniflare does not run
// Vectorize. It serves the part of Vectorize's documented Workers API the edge worker
// uses (query, getByIds, describe) over the vectors of an NDJSON upload file (what
// `arag catalog build --vectorize` writes: {id, values, metadata} a line), with the
// documented limits enforced: topK at most 100, or 20 with values or all metadata;
// returnMetadata 'none' | 'indexed' | 'all'; the index's dimensions; ids of at most 64
// bytes. Scores are exact cosine (a real index approximates them unless returnValues is
// set); a real index is also eventually consistent, which this one is not.
//
// Wrapped binding (Miniflare wrappedBindings): the default export makes the binding from
// env: DIMENSIONS, and the vectors in VECTORS (an R2 bucket, vectors.ndjson).

class VectorizeError extends Error {
  constructor(message) {
    super(`VECTOR_QUERY_ERROR: ${message}`);
    this.name = 'VectorizeError';
  }
}

function parse(text, dims) {
  const rows = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const v = JSON.parse(line);
    if (typeof v.id !== 'string' || new TextEncoder().encode(v.id).length > 64) throw new VectorizeError(`bad id ${JSON.stringify(v.id)}`);
    if (!Array.isArray(v.values) || v.values.length !== dims) throw new VectorizeError(`vector ${v.id} has ${v.values && v.values.length} dimensions, the index ${dims}`);
    const values = Float32Array.from(v.values);
    let n = 0;
    for (const x of values) n += x * x;
    rows.push({ id: v.id, values, norm: Math.sqrt(n), metadata: v.metadata ?? {} });
  }
  return rows;
}

export default function (env) {
  const dims = Number(env.DIMENSIONS);
  let rows = null;
  const load = async () => {
    if (!rows) {
      const obj = await env.VECTORS.get('vectors.ndjson');
      rows = parse(obj ? await obj.text() : '', dims);
      rows.byId = new Map(rows.map((r) => [r.id, r]));
    }
    return rows;
  };
  return {
    async describe() {
      const r = await load();
      return { dimensions: dims, vectorCount: r.length, config: { dimensions: dims, metric: 'cosine' } };
    },
    async query(vector, opts = {}) {
      const r = await load();
      const topK = opts.topK ?? 5;
      const meta = opts.returnMetadata === true ? 'all' : opts.returnMetadata || 'none';
      if (!['none', 'indexed', 'all'].includes(meta)) throw new VectorizeError(`returnMetadata must be none, indexed or all`);
      const max = opts.returnValues || meta === 'all' ? 20 : 100;
      if (!Number.isInteger(topK) || topK < 1 || topK > max) throw new VectorizeError(`topK must be in [1, ${max}] (got ${topK})`);
      const q = Float32Array.from(vector);
      if (q.length !== dims) throw new VectorizeError(`query vector has ${q.length} dimensions, the index ${dims}`);
      let qn = 0;
      for (const x of q) qn += x * x;
      qn = Math.sqrt(qn);
      const scored = r.map((row, i) => {
        let d = 0;
        for (let j = 0; j < dims; j++) d += q[j] * row.values[j];
        return { i, score: qn > 0 && row.norm > 0 ? d / (qn * row.norm) : 0 };
      });
      scored.sort((a, b) => b.score - a.score || a.i - b.i);
      const matches = scored.slice(0, topK).map(({ i, score }) => {
        const m = { id: r[i].id, score };
        if (opts.returnValues) m.values = Array.from(r[i].values);
        if (meta === 'all') m.metadata = r[i].metadata;
        return m;
      });
      return { count: matches.length, matches };
    },
    async getByIds(ids) {
      const r = await load();
      if (!Array.isArray(ids)) throw new VectorizeError('ids must be an array');
      return ids.filter((id) => r.byId.has(id)).map((id) => ({ id, values: Array.from(r.byId.get(id).values), metadata: r.byId.get(id).metadata }));
    },
  };
}
