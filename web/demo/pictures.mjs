// Product pictures the page draws itself: one small SVG per product, the same on every
// visit, from its category and its name (no image files, nothing fetched). The product's
// kind (bottle, jar, tube, pan, tent, ...) comes from words of its title; the background
// hue from its top category; the body's colour from a shade word of the title ("Plum",
// "Moss", ...) or else from the brand; a label band carries the brand's initials. (As
// inline SVG: an <img> of an SVG data: URL measured slower, since Chromium draws SVG
// images on the page's main thread too, one document per image.)
const NS = 'http://www.w3.org/2000/svg';

function hash(s) {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

// Title words -> a shape; the first rule that matches wins.
const KINDS = [
  [/\b(serum|drops|dropper|oil)\b/i, 'dropper'],
  [/\b(perfume|parfum|eau|cologne)\b/i, 'perfume'],
  [/\b(candle|tin)\b/i, 'candle'],
  [/\b(mist|spray|diffuser|sanitizer)\b/i, 'spray'],
  [/\b(lipstick|lip|liner|pencil|mascara|eyeliner|concealer|stick)\b/i, 'stick'],
  [/\b(palette|powder|blush|compact|eyeshadow)\b/i, 'compact'],
  [/\b(nail|polish|coat|cuticle)\b/i, 'polish'],
  [/\b(cream|balm|butter|pomade|scrub|salts|mask)\b/i, 'jar'],
  [/\b(sunscreen|fluid|tube|gel|lotion)\b/i, 'tube'],
  [/\b(shampoo|conditioner|wash|cleanser|soap|water|bath|foaming)\b/i, 'pump'],
  [/\b(skillet|saucepan|pan|wok|oven|pot)\b/i, 'pan'],
  [/\b(knife|spatula|spinner|board|whisk|utensil)\b/i, 'utensil'],
  [/\b(teapot|tea|dripper|press|grinder|frother|mug|coffee|infuser)\b/i, 'mug'],
  [/\b(pen|pens|highlighter|marker)\b/i, 'pen'],
  [/\b(notebook|notes|pads|cards|paper|journal)\b/i, 'notebook'],
  [/\b(tent)\b/i, 'tent'],
  [/\b(headlamp|lantern|lights|lamp)\b/i, 'lantern'],
  [/\b(daypack|backpack|bag|bladder|pack)\b/i, 'backpack'],
  [/\b(comb|brush|dryer|iron|file)\b/i, 'comb'],
  [/\b(towel|loofah|sponge|tray)\b/i, 'towel'],
  [/\b(stand|riser|rest|footrest|organizer|folders|label|chair|stove|poles|gaiters|cable)\b/i, 'box'],
];

const SHADES = {
  sand: 38, slate: 210, moss: 95, coral: 12, ink: 230, clay: 20, fog: 200, honey: 42, plum: 300,
  rose: 340, lavender: 265, eucalyptus: 160, citrus: 48, vanilla: 45, amber: 35, coconut: 30,
};

const SHADE_WORDS = Object.keys(SHADES).map((w) => [w, new RegExp(`\\b${w}\\b`, 'i')]);

export function kindOf(title) {
  for (const [re, kind] of KINDS) if (re.test(title)) return kind;
  return 'box';
}

function node(name, attrs, parent) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (parent) parent.append(e);
  return e;
}

function initials(brand, title) {
  const words = (brand || title).split(/[\s&.-]+/).filter((w) => /^[A-Za-z]/.test(w));
  return words.slice(0, 2).map((w) => w[0].toUpperCase()).join('') || '?';
}

// Each shape on a 100 x 80 canvas: body colour b, darker d, light l. Returns where the
// brand's label band goes, or null for shapes without one.
const DRAW = {
  dropper(g, c) {
    node('rect', { x: 38, y: 30, width: 24, height: 38, rx: 5, fill: c.b }, g);
    node('rect', { x: 44, y: 18, width: 12, height: 13, rx: 2, fill: c.d }, g);
    node('ellipse', { cx: 50, cy: 15, rx: 7, ry: 5, fill: c.d }, g);
    return { x: 38, y: 44, w: 24 };
  },
  perfume(g, c) {
    node('rect', { x: 30, y: 32, width: 40, height: 36, rx: 8, fill: c.b }, g);
    node('rect', { x: 44, y: 22, width: 12, height: 11, fill: c.d }, g);
    node('rect', { x: 40, y: 14, width: 20, height: 9, rx: 3, fill: c.l }, g);
    return { x: 30, y: 46, w: 40 };
  },
  candle(g, c) {
    node('rect', { x: 30, y: 36, width: 40, height: 32, rx: 4, fill: c.b }, g);
    node('ellipse', { cx: 50, cy: 36, rx: 20, ry: 5, fill: c.l }, g);
    node('path', { d: 'M50 20 q5 8 0 13 q-5 -5 0 -13z', fill: '#f2a33a' }, g);
    return { x: 30, y: 48, w: 40 };
  },
  spray(g, c) {
    node('rect', { x: 38, y: 28, width: 24, height: 40, rx: 6, fill: c.b }, g);
    node('rect', { x: 43, y: 18, width: 14, height: 11, rx: 2, fill: c.d }, g);
    node('rect', { x: 57, y: 20, width: 9, height: 4, fill: c.d }, g);
    return { x: 38, y: 44, w: 24 };
  },
  stick(g, c) {
    node('rect', { x: 42, y: 34, width: 16, height: 36, rx: 2, fill: c.d }, g);
    node('rect', { x: 44, y: 18, width: 12, height: 17, rx: 1, fill: c.b }, g);
    node('path', { d: 'M44 18 L56 12 L56 18z', fill: c.b }, g);
    return { x: 42, y: 46, w: 16 };
  },
  compact(g, c) {
    node('ellipse', { cx: 50, cy: 48, rx: 30, ry: 18, fill: c.d }, g);
    node('ellipse', { cx: 50, cy: 44, rx: 26, ry: 14, fill: c.b }, g);
    return { x: 30, y: 40, w: 40 };
  },
  polish(g, c) {
    node('rect', { x: 36, y: 38, width: 28, height: 30, rx: 6, fill: c.b }, g);
    node('rect', { x: 44, y: 14, width: 12, height: 25, rx: 2, fill: c.d }, g);
    return { x: 36, y: 48, w: 28 };
  },
  jar(g, c) {
    node('rect', { x: 28, y: 38, width: 44, height: 30, rx: 7, fill: c.b }, g);
    node('rect', { x: 26, y: 28, width: 48, height: 12, rx: 3, fill: c.d }, g);
    return { x: 28, y: 48, w: 44 };
  },
  tube(g, c) {
    node('path', { d: 'M36 14 L64 14 L60 60 L40 60 Z', fill: c.b }, g);
    node('rect', { x: 43, y: 60, width: 14, height: 9, rx: 2, fill: c.d }, g);
    return { x: 39, y: 30, w: 22 };
  },
  pump(g, c) {
    node('rect', { x: 34, y: 30, width: 32, height: 38, rx: 7, fill: c.b }, g);
    node('rect', { x: 45, y: 18, width: 10, height: 13, fill: c.d }, g);
    node('rect', { x: 45, y: 16, width: 20, height: 5, rx: 2, fill: c.d }, g);
    return { x: 34, y: 44, w: 32 };
  },
  pan(g, c) {
    node('ellipse', { cx: 42, cy: 48, rx: 26, ry: 14, fill: c.d }, g);
    node('ellipse', { cx: 42, cy: 46, rx: 22, ry: 10, fill: c.b }, g);
    node('rect', { x: 66, y: 43, width: 26, height: 6, rx: 3, fill: c.d }, g);
    return null;
  },
  utensil(g, c) {
    node('rect', { x: 24, y: 36, width: 40, height: 8, rx: 2, fill: c.l }, g);
    node('rect', { x: 62, y: 34, width: 18, height: 12, rx: 4, fill: c.d }, g);
    node('rect', { x: 24, y: 52, width: 52, height: 6, rx: 3, fill: c.b }, g);
    return null;
  },
  mug(g, c) {
    node('rect', { x: 30, y: 26, width: 34, height: 42, rx: 6, fill: c.b }, g);
    node('path', { d: 'M64 34 q14 0 14 12 q0 12 -14 12', fill: 'none', stroke: c.d, 'stroke-width': 5 }, g);
    return { x: 30, y: 42, w: 34 };
  },
  pen(g, c) {
    node('rect', { x: 20, y: 36, width: 52, height: 10, rx: 3, fill: c.b }, g);
    node('path', { d: 'M72 36 L84 41 L72 46 Z', fill: c.d }, g);
    node('rect', { x: 24, y: 33, width: 20, height: 3, fill: c.d }, g);
    return null;
  },
  notebook(g, c) {
    node('rect', { x: 30, y: 14, width: 42, height: 56, rx: 3, fill: c.b }, g);
    node('rect', { x: 30, y: 14, width: 7, height: 56, fill: c.d }, g);
    return { x: 37, y: 36, w: 35 };
  },
  tent(g, c) {
    node('path', { d: 'M18 68 L50 18 L82 68 Z', fill: c.b }, g);
    node('path', { d: 'M50 18 L42 68 L58 68 Z', fill: c.d }, g);
    return null;
  },
  lantern(g, c) {
    node('rect', { x: 36, y: 26, width: 28, height: 38, rx: 5, fill: c.l }, g);
    node('circle', { cx: 50, cy: 45, r: 8, fill: '#f7c948' }, g);
    node('rect', { x: 34, y: 20, width: 32, height: 7, rx: 2, fill: c.d }, g);
    node('rect', { x: 34, y: 63, width: 32, height: 6, rx: 2, fill: c.d }, g);
    return null;
  },
  backpack(g, c) {
    node('rect', { x: 30, y: 22, width: 40, height: 46, rx: 12, fill: c.b }, g);
    node('rect', { x: 36, y: 44, width: 28, height: 18, rx: 4, fill: c.d }, g);
    return { x: 30, y: 32, w: 40 };
  },
  comb(g, c) {
    node('rect', { x: 22, y: 30, width: 56, height: 10, rx: 3, fill: c.d }, g);
    for (let x = 25; x < 76; x += 6) node('rect', { x, y: 40, width: 3, height: 16, fill: c.b }, g);
    return null;
  },
  towel(g, c) {
    node('rect', { x: 24, y: 30, width: 52, height: 36, rx: 4, fill: c.b }, g);
    node('rect', { x: 24, y: 38, width: 52, height: 5, fill: c.l }, g);
    node('rect', { x: 24, y: 54, width: 52, height: 5, fill: c.l }, g);
    return null;
  },
  box(g, c) {
    node('rect', { x: 26, y: 26, width: 48, height: 42, rx: 4, fill: c.b }, g);
    node('path', { d: 'M26 26 L38 16 L86 16 L74 26 Z', fill: c.l }, g);
    node('path', { d: 'M74 26 L86 16 L86 58 L74 68 Z', fill: c.d }, g);
    return { x: 26, y: 40, w: 48 };
  },
};

/**
 * The product's picture: an <svg> element (decorative: aria-hidden) drawn from its
 * category, title, brand and id.
 * @param {{id: string, title: string, brand?: string, categories?: string[]}} item
 */
export function productPicture(item) {
  const title = String(item.title || item.id);
  const cat = (item.categories && item.categories.find((c) => c)) || 'Other';
  const hue = hash(cat) % 360;
  const shade = SHADE_WORDS.find(([, re]) => re.test(title));
  const bodyHue = shade ? SHADES[shade[0]] : hash(item.brand || title) % 360;
  const sat = 35 + (hash(item.id) % 25);
  const c = { b: `hsl(${bodyHue} ${sat}% 52%)`, d: `hsl(${bodyHue} ${sat}% 34%)`, l: `hsl(${bodyHue} ${sat}% 78%)` };
  // slice: a square box (the shelf's) shows the middle of the picture, the product larger.
  const svg = node('svg', { viewBox: '0 0 100 50', preserveAspectRatio: 'xMidYMid slice', class: 'picture', 'aria-hidden': 'true', focusable: 'false', 'data-kind': kindOf(title) });
  node('rect', { width: 100, height: 50, fill: `hsl(${hue} 45% 92%)` }, svg);
  node('circle', { cx: 12 + (hash(title) % 76), cy: 50, r: 20, fill: `hsl(${(hue + 30) % 360} 40% 86%)` }, svg);
  // The shapes are drawn on a 100 x 80 canvas, shown at 0.6 in the middle of this one.
  const g = node('g', { transform: 'translate(20 1) scale(0.6)' }, svg);
  const band = DRAW[kindOf(title)](g, c);
  if (band) {
    node('rect', { x: band.x, y: band.y, width: band.w, height: 12, fill: 'rgb(255 255 255 / 0.85)' }, g);
    const t = node('text', { x: band.x + band.w / 2, y: band.y + 9, 'text-anchor': 'middle', 'font-size': 8, 'font-weight': 700, 'font-family': 'system-ui, sans-serif', fill: c.d }, g);
    t.textContent = initials(item.brand, title);
  }
  return svg;
}
