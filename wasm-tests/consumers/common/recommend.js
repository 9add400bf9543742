// One offline recommendation over a small catalog, the same in every consumer (page,
// Web Worker, Node, Worker): each imports the package by its name, with no options, so
// the module is found the way that consumer's bundler or runtime finds it.
import { createRecommender, renderReason } from 'arag';

export const CATALOG = [
  { id: 'p1', title: 'Bramble Curl Cream', brand: 'Bramble', categories: ['Hair', 'Styling'], price: 18 },
  { id: 'p2', title: 'Bramble Curl Gel', brand: 'Bramble', categories: ['Hair', 'Styling'], price: 16 },
  { id: 'p3', title: 'Bramble Repair Conditioner', brand: 'Bramble', categories: ['Hair', 'Care'], price: 21 },
  { id: 'p4', title: 'Puffin Mineral Sunscreen SPF 30', brand: 'Puffin', categories: ['Skin', 'Sunscreen'], price: 24 },
  { id: 'p5', title: 'Puffin Hydrating Serum', brand: 'Puffin', categories: ['Skin', 'Serums'], price: 29 },
  { id: 'p6', title: 'Heron Matte Lipstick, Red', brand: 'Heron', categories: ['Makeup', 'Lips'], price: 12 },
  { id: 'p7', title: 'Heron Gloss, Pink', brand: 'Heron', categories: ['Makeup', 'Lips'], price: 11 },
  { id: 'p8', title: 'Bramble Curl Defining Mousse', brand: 'Bramble', categories: ['Hair', 'Styling'], price: 17 },
];

export const HISTORY = [
  { id: 'p1', ts: 1 },
  { id: 'p3', ts: 2 },
];

/** { order, reasons, rendered } of a k=3 recommendation (rendered: renderReason of each
 * item, which the package exports); opts go to createRecommender. */
export async function recommend(opts = {}) {
  const rec = await createRecommender({ catalog: CATALOG, ...opts });
  try {
    rec.history.add(HISTORY);
    const r = await rec.recommend({ k: 3 });
    return { order: r.order, reasons: r.items.map((i) => i.reason), rendered: r.items.map((i) => renderReason(i)) };
  } finally {
    rec.free();
  }
}
