// Writes the demo's sample catalog (web/demo/catalog.json): a few hundred fictional
// products across several categories, deterministically (same bytes on every run).
// Every brand and product here is invented; none names a real company or person.
//
//   node web/demo/make-catalog.mjs [--out FILE] [--count N] [--seed S]
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// A small seeded generator (mulberry32): deterministic across Node versions.
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = (r, xs) => xs[Math.floor(r() * xs.length)];

// Plainly invented brand names, one set per category.
const CATEGORIES = [
  {
    name: 'Skin Care',
    brands: ['Mossberry Apothecary', 'Dewdrop Fabrication Co.', 'Puffin Glow Works'],
    sub: {
      Moisturizers: ['Face Cream', 'Gel Moisturizer', 'Night Balm', 'Day Lotion'],
      Cleansers: ['Foaming Cleanser', 'Cleansing Oil', 'Micellar Water', 'Clay Wash'],
      Sunscreen: ['Mineral Sunscreen SPF 30', 'Sport Sunscreen SPF 50', 'Tinted Sun Fluid'],
      Serums: ['Vitamin C Serum', 'Hyaluronic Serum', 'Niacinamide Drops', 'Retinol Serum'],
    },
    adj: ['Gentle', 'Hydrating', 'Soothing', 'Brightening', 'Oil-Free', 'Fragrance-Free'],
    notes: ['for dry skin', 'for sensitive skin', 'for oily skin', 'for combination skin'],
    price: [8, 48],
  },
  {
    name: 'Hair Care',
    brands: ['Thistlecomb', 'Wavelet & Quill', 'Bramblecurl Labs'],
    sub: {
      Shampoo: ['Clarifying Shampoo', 'Volume Shampoo', 'Sulfate-Free Shampoo'],
      Conditioner: ['Repair Conditioner', 'Leave-In Conditioner', 'Detangling Conditioner'],
      Styling: ['Curl Cream', 'Texture Spray', 'Hair Pomade', 'Heat Protectant Mist'],
      Tools: ['Wide-Tooth Comb', 'Boar Bristle Brush', 'Ionic Hair Dryer', 'Ceramic Flat Iron'],
    },
    adj: ['Nourishing', 'Lightweight', 'Strengthening', 'Frizz-Taming', 'Color-Safe'],
    notes: ['for curly hair', 'for fine hair', 'for thick hair', 'for color-treated hair'],
    price: [6, 89],
  },
  {
    name: 'Makeup',
    brands: ['Velvet Otter Cosmetics', 'Prismwhistle', 'Lumaquokka'],
    sub: {
      Eyes: ['Liquid Eyeliner', 'Volumizing Mascara', 'Eyeshadow Palette', 'Brow Pencil'],
      Lips: ['Matte Lipstick', 'Lip Gloss', 'Tinted Lip Balm', 'Lip Liner'],
      Face: ['Liquid Foundation', 'Pressed Powder', 'Cream Blush', 'Concealer Stick'],
      Nails: ['Nail Polish', 'Quick-Dry Top Coat', 'Cuticle Oil', 'Nail File Set'],
    },
    adj: ['Long-Wear', 'Waterproof', 'Smudge-Proof', 'Buildable', 'Vegan', 'Shimmer'],
    notes: ['in warm tones', 'in cool tones', 'in neutral shades', 'in bold shades'],
    price: [5, 42],
  },
  {
    name: 'Fragrance',
    brands: ['Juniper Fogworks', 'Maison Nowhere', 'Cloudmoth Perfumery'],
    sub: {
      Perfume: ['Eau de Parfum', 'Perfume Oil', 'Solid Perfume'],
      Candles: ['Soy Candle', 'Three-Wick Candle', 'Travel Candle Tin'],
      'Home Scent': ['Reed Diffuser', 'Room Mist', 'Linen Spray'],
    },
    adj: ['Citrus', 'Woody', 'Floral', 'Amber', 'Fresh Rain', 'Sea Salt', 'Vanilla'],
    notes: ['with bergamot notes', 'with cedar notes', 'with jasmine notes', 'with fig notes'],
    price: [12, 120],
  },
  {
    name: 'Bath & Body',
    brands: ['Soapwort Lane', 'Bubblefen', 'Tidepool Sundries'],
    sub: {
      'Body Wash': ['Body Wash', 'Shower Oil', 'Exfoliating Scrub'],
      'Bath Soak': ['Bath Salts', 'Bath Bomb Set', 'Bubble Bath'],
      'Hand Care': ['Hand Cream', 'Hand Soap Refill', 'Hand Sanitizer Gel'],
      Accessories: ['Loofah Sponge', 'Bamboo Bath Tray', 'Microfiber Hair Towel'],
    },
    adj: ['Oatmeal', 'Lavender', 'Eucalyptus', 'Coconut', 'Unscented', 'Rose'],
    notes: ['for everyday use', 'for a calm evening', 'for travel', 'for gifting'],
    price: [4, 36],
  },
  {
    name: 'Kitchen',
    brands: ['Copperkettle Folk', 'Spoonbill Housewares', 'Gravelstone Kitchen'],
    sub: {
      Cookware: ['Cast Iron Skillet', 'Nonstick Saucepan', 'Dutch Oven', 'Stainless Wok'],
      Tools: ['Chef Knife', 'Silicone Spatula Set', 'Bamboo Cutting Board', 'Salad Spinner'],
      Coffee: ['Pour-Over Dripper', 'Burr Coffee Grinder', 'French Press', 'Milk Frother'],
      Tea: ['Glass Teapot', 'Loose-Leaf Tea Sampler', 'Tea Infuser', 'Matcha Whisk Set'],
    },
    adj: ['Compact', 'Heavy-Duty', 'Dishwasher-Safe', 'Enameled', 'Professional'],
    notes: ['for small kitchens', 'for weekend baking', 'for two', 'for family meals'],
    price: [9, 140],
  },
  {
    name: 'Office',
    brands: ['Inkwillow Stationers', 'Paperheron', 'Deskmarten Supply'],
    sub: {
      Writing: ['Gel Pens (12 pack)', 'Fountain Pen', 'Mechanical Pencil', 'Highlighter Set'],
      Paper: ['Dotted Notebook', 'Sticky Notes Cube', 'Legal Pads (6 pack)', 'Index Cards'],
      Organization: ['Desk Organizer', 'File Folders (25 pack)', 'Label Maker', 'Cable Tray'],
      Ergonomics: ['Monitor Stand', 'Wrist Rest', 'Footrest', 'Laptop Riser'],
    },
    adj: ['Recycled', 'Minimal', 'Heavyweight', 'Refillable', 'Adjustable', 'Acid-Free'],
    notes: ['for journaling', 'for the home office', 'for students', 'for meetings'],
    price: [3, 79],
  },
  {
    name: 'Outdoor',
    brands: ['Ridgefox Outfitters', 'Canoe & Kestrel', 'Lanternmoss Gear'],
    sub: {
      Camping: ['Two-Person Tent', 'Sleeping Bag', 'Camp Stove', 'Folding Camp Chair'],
      Hiking: ['Daypack 24L', 'Trekking Poles', 'Hydration Bladder', 'Trail Gaiters'],
      Lighting: ['Rechargeable Headlamp', 'Camp Lantern', 'Solar String Lights'],
    },
    adj: ['Ultralight', 'Weatherproof', 'Packable', 'Insulated', 'Rugged'],
    notes: ['for three-season trips', 'for day hikes', 'for car camping', 'for rainy weather'],
    price: [11, 210],
  },
];

const SHADES = ['Sand', 'Slate', 'Moss', 'Coral', 'Ink', 'Clay', 'Fog', 'Honey', 'Plum'];

export function makeCatalog({ count = 320, seed = 20250626 } = {}) {
  const r = rng(seed);
  const items = [];
  const seen = new Set();
  let guard = 0;
  while (items.length < count && guard++ < count * 50) {
    const cat = CATEGORIES[items.length % CATEGORIES.length];
    const subName = pick(r, Object.keys(cat.sub));
    const noun = pick(r, cat.sub[subName]);
    const adj = pick(r, cat.adj);
    const brand = pick(r, cat.brands);
    const variant = r() < 0.35 ? `, ${pick(r, SHADES)}` : '';
    const title = `${brand} ${adj} ${noun}${variant}`;
    if (seen.has(title)) continue;
    seen.add(title);
    const note = pick(r, cat.notes);
    const [lo, hi] = cat.price;
    const price = Math.round((lo + r() * (hi - lo)) * 100) / 100 - 0.01;
    const text =
      `${adj} ${noun.toLowerCase()} ${note}. ` +
      `Part of the ${brand} ${subName.toLowerCase()} line (a fictional brand).`;
    items.push({
      id: `demo-${String(items.length + 1).padStart(4, '0')}`,
      title,
      text,
      brand,
      categories: [cat.name, subName],
      price: Math.max(0.99, Number(price.toFixed(2))),
      popularity: Math.floor(r() * 500),
    });
  }
  return {
    source: 'sample',
    note: 'Sample catalog for the arag demo. Every product and brand in it is fictional.',
    items,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = args.indexOf(name);
    return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
  };
  const out = opt('--out', fileURLToPath(new URL('./catalog.json', import.meta.url)));
  const catalog = makeCatalog({ count: Number(opt('--count', 320)), seed: Number(opt('--seed', 20250626)) });
  // One item a line: small diffs when the generator changes.
  const lines = catalog.items.map((it) => '  ' + JSON.stringify(it));
  const head = `{"source": ${JSON.stringify(catalog.source)}, "note": ${JSON.stringify(catalog.note)},\n "items": [\n`;
  writeFileSync(out, head + lines.join(',\n') + '\n ]}\n');
  console.log(`wrote ${catalog.items.length} items to ${out}`);
}
