// Product pictures the page draws itself: one small SVG per product, the same on every
// visit, from its category and its name (no image files, nothing fetched). The product's
// kind (bottle, jar, tube, pan, tent, ...) comes from words of its title; the background
// hue from its top category; the body's colour from a shade word of the title ("Plum",
// "Moss", ...) or else from the brand; a label band carries the brand's initials. (As
// inline SVG: an <img> of an SVG data: URL measured slower, since Chromium draws SVG
// images on the page's main thread too, one document per image.)
//
// Every picture is made of the same elements (a background, a disc, three shapes, a label
// band, the initials): a picture on the page shows another product by changing their
// attributes (drawPicture), which costs the shelf's frame less than a new picture would.
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

// A rounded rectangle and an ellipse as path data, both drawn clockwise, so that shapes
// of one colour joined in one path fill their overlaps (nonzero rule).
function rect(x, y, w, h, r = 0) {
  r = Math.min(r, w / 2, h / 2);
  if (!r) return `M${x} ${y}h${w}v${h}h${-w}z`;
  const a = (dx, dy) => `a${r} ${r} 0 0 1 ${dx} ${dy}`;
  return `M${x + r} ${y}h${w - 2 * r}${a(r, r)}v${h - 2 * r}${a(-r, r)}h${-(w - 2 * r)}${a(-r, -r)}v${-(h - 2 * r)}${a(r, -r)}z`;
}
const ellipse = (cx, cy, rx, ry) => `M${cx - rx} ${cy}a${rx} ${ry} 0 1 1 ${2 * rx} 0a${rx} ${ry} 0 1 1 ${-2 * rx} 0z`;

function initials(brand, title) {
  const words = (brand || title).split(/[\s&.-]+/).filter((w) => /^[A-Za-z]/.test(w));
  return words.slice(0, 2).map((w) => w[0].toUpperCase()).join('') || '?';
}

// Each kind on a 100 x 80 canvas, in paint order: [tone, path data]; tones are the body
// colour b, darker d, light l, and two fixed ones (a flame, a lamp's light). Then where
// the brand's label band goes, or null for kinds without one.
const FLAME = '#f2a33a';
const LIGHT = '#f7c948';
const KIND_SHAPES = {
  dropper: [[['b', rect(38, 30, 24, 38, 5)], ['d', rect(44, 18, 12, 13, 2)], ['d', ellipse(50, 15, 7, 5)]], { x: 38, y: 44, w: 24 }],
  perfume: [[['b', rect(30, 32, 40, 36, 8)], ['d', rect(44, 22, 12, 11)], ['l', rect(40, 14, 20, 9, 3)]], { x: 30, y: 46, w: 40 }],
  candle: [[['b', rect(30, 36, 40, 32, 4)], ['l', ellipse(50, 36, 20, 5)], [FLAME, 'M50 20q5 8 0 13q-5 -5 0 -13z']], { x: 30, y: 48, w: 40 }],
  spray: [[['b', rect(38, 28, 24, 40, 6)], ['d', rect(43, 18, 14, 11, 2)], ['d', rect(57, 20, 9, 4)]], { x: 38, y: 44, w: 24 }],
  stick: [[['d', rect(42, 34, 16, 36, 2)], ['b', rect(44, 18, 12, 17, 1)], ['b', 'M44 18L56 12L56 18z']], { x: 42, y: 46, w: 16 }],
  compact: [[['d', ellipse(50, 48, 30, 18)], ['b', ellipse(50, 44, 26, 14)]], { x: 30, y: 40, w: 40 }],
  polish: [[['b', rect(36, 38, 28, 30, 6)], ['d', rect(44, 14, 12, 25, 2)]], { x: 36, y: 48, w: 28 }],
  jar: [[['b', rect(28, 38, 44, 30, 7)], ['d', rect(26, 28, 48, 12, 3)]], { x: 28, y: 48, w: 44 }],
  tube: [[['b', 'M36 14L64 14L60 60L40 60z'], ['d', rect(43, 60, 14, 9, 2)]], { x: 39, y: 30, w: 22 }],
  pump: [[['b', rect(34, 30, 32, 38, 7)], ['d', rect(45, 18, 10, 13)], ['d', rect(45, 16, 20, 5, 2)]], { x: 34, y: 44, w: 32 }],
  pan: [[['d', ellipse(42, 48, 26, 14)], ['b', ellipse(42, 46, 22, 10)], ['d', rect(66, 43, 26, 6, 3)]], null],
  utensil: [[['l', rect(24, 36, 40, 8, 2)], ['d', rect(62, 34, 18, 12, 4)], ['b', rect(24, 52, 52, 6, 3)]], null],
  // The mug's handle: a ring's right half, 5 wide.
  mug: [[['b', rect(30, 26, 34, 42, 6)], ['d', 'M64 31.5q16.5 0 16.5 14.5q0 14.5 -16.5 14.5v-5q11.5 0 11.5 -9.5q0 -9.5 -11.5 -9.5z']], { x: 30, y: 42, w: 34 }],
  pen: [[['b', rect(20, 36, 52, 10, 3)], ['d', 'M72 36L84 41L72 46z'], ['d', rect(24, 33, 20, 3)]], null],
  notebook: [[['b', rect(30, 14, 42, 56, 3)], ['d', rect(30, 14, 7, 56)]], { x: 37, y: 36, w: 35 }],
  tent: [[['b', 'M18 68L50 18L82 68z'], ['d', 'M50 18L58 68L42 68z']], null],
  lantern: [[['l', rect(36, 26, 28, 38, 5)], [LIGHT, ellipse(50, 45, 8, 8)], ['d', rect(34, 20, 32, 7, 2)], ['d', rect(34, 63, 32, 6, 2)]], null],
  backpack: [[['b', rect(30, 22, 40, 46, 12)], ['d', rect(36, 44, 28, 18, 4)]], { x: 30, y: 32, w: 40 }],
  comb: [[['d', rect(22, 30, 56, 10, 3)], ['b', Array.from({ length: 9 }, (_, i) => rect(25 + 6 * i, 40, 3, 16)).join('')]], null],
  towel: [[['b', rect(24, 30, 52, 36, 4)], ['l', rect(24, 38, 52, 5)], ['l', rect(24, 54, 52, 5)]], null],
  box: [[['b', rect(26, 26, 48, 42, 4)], ['l', 'M26 26L38 16L86 16L74 26z'], ['d', 'M74 26L86 16L86 58L74 68z']], { x: 26, y: 40, w: 48 }],
};

// The kinds are drawn on a 100 x 80 canvas, shown at 0.6 in the middle of the picture's
// 100 x 50: placed here once, in the path data, rather than by a transform on the page
// (one transform less for the browser to draw each picture under).
const S = 0.6;
const X0 = 20;
const Y0 = 1;
const round = (v) => Math.round(v * 100) / 100;
const at = { x: (x) => round(X0 + S * x), y: (y) => round(Y0 + S * y), len: (v) => round(S * v) };
// Path data of the commands rect, ellipse and the kinds use: absolute M and L, relative
// h, v, l, q and a (an arc's flags and rotation stay as they are).
function place(d) {
  let out = '';
  for (const [, cmd, args] of d.matchAll(/([MLmlhvqaz])([^MLmlhvqaz]*)/g)) {
    const n = args.trim() ? args.trim().split(/[\s,]+/).map(Number) : [];
    const moved = cmd === 'M' || cmd === 'L' ? n.map((v, i) => (i % 2 ? at.y(v) : at.x(v))) : n.map((v, i) => (cmd === 'a' && i % 7 >= 2 && i % 7 <= 4 ? v : at.len(v)));
    out += cmd + moved.join(' ');
  }
  return out;
}

// A kind's shapes as at most three paths: neighbours of one tone are joined.
const KIND_PATHS = Object.fromEntries(
  Object.entries(KIND_SHAPES).map(([kind, [shapes, band]]) => {
    const paths = [];
    for (const [tone, d] of shapes) {
      if (paths.length && paths.at(-1).tone === tone) paths.at(-1).d += place(d);
      else paths.push({ tone, d: place(d) });
    }
    // The label band (12 high, blankPicture) and its initials' baseline, centred.
    const label = band && { x: at.x(band.x), y: at.y(band.y), w: at.len(band.w), tx: at.x(band.x + band.w / 2), ty: at.y(band.y + 9) };
    return [kind, { paths, band: label }];
  })
);

// The attributes a picture's elements take from its product, in a fixed order: element
// (by its place in the picture), attribute.
const ATTRIBUTES = [
  [0, 'fill'],
  [1, 'cx'],
  [1, 'fill'],
  [2, 'd'],
  [2, 'fill'],
  [3, 'd'],
  [3, 'fill'],
  [4, 'd'],
  [4, 'fill'],
  [5, 'x'],
  [5, 'y'],
  [5, 'width'],
  [6, 'x'],
  [6, 'y'],
  [6, 'fill'],
];

const parts = new Map();
/**
 * What a product's picture shows, worked out once per product: its kind, the values of
 * ATTRIBUTES (as strings) and the initials.
 * @param {{id: string, title: string, brand?: string, categories?: string[]}} item
 */
export function pictureParts(item) {
  let p = parts.get(item.id);
  if (p) return p;
  const title = String(item.title || item.id);
  const cat = (item.categories && item.categories.find((c) => c)) || 'Other';
  const hue = hash(cat) % 360;
  const shade = SHADE_WORDS.find(([, re]) => re.test(title));
  const bodyHue = shade ? SHADES[shade[0]] : hash(item.brand || title) % 360;
  const sat = 35 + (hash(item.id) % 25);
  const tones = { b: `hsl(${bodyHue} ${sat}% 52%)`, d: `hsl(${bodyHue} ${sat}% 34%)`, l: `hsl(${bodyHue} ${sat}% 78%)` };
  const kind = kindOf(title);
  const { paths, band } = KIND_PATHS[kind];
  const shape = (i) => (paths[i] ? [paths[i].d, tones[paths[i].tone] || paths[i].tone] : ['', 'none']);
  const values = [`hsl(${hue} 45% 92%)`, 12 + (hash(title) % 76), `hsl(${(hue + 30) % 360} 40% 86%)`, ...shape(0), ...shape(1), ...shape(2)];
  values.push(...(band ? [band.x, band.y, band.w, band.tx, band.ty, tones.d] : [0, 0, 0, 0, 0, 'none']));
  p = { kind, values: values.map(String), initials: band ? initials(item.brand, title) : '' };
  parts.set(item.id, p);
  return p;
}

// What each picture drawn by drawPicture shows, so that the next product's differences
// are found without reading the page.
const shown = new WeakMap();

/** Shows the product in a picture made by productPicture or blankPicture. */
export function drawPicture(svg, item) {
  const p = pictureParts(item);
  const was = shown.get(svg);
  if (was === p) return;
  shown.set(svg, p);
  const els = svg.children;
  if (!was || was.kind !== p.kind) svg.setAttribute('data-kind', p.kind);
  ATTRIBUTES.forEach(([i, name], k) => {
    const v = p.values[k];
    if (was ? was.values[k] !== v : els[i].getAttribute(name) !== v) els[i].setAttribute(name, v);
  });
  const text = els[6];
  if (text.textContent !== p.initials) text.textContent = p.initials;
}

function node(name, attrs, parent) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (parent) parent.append(e);
  return e;
}

/**
 * A picture with nothing in it but a grey background (a shelf row before its product):
 * the elements every picture has, in the order drawPicture sets them.
 */
export function blankPicture() {
  // slice: a square box (the shelf's) shows the middle of the picture, the product larger.
  const svg = node('svg', { viewBox: '0 0 100 50', preserveAspectRatio: 'xMidYMid slice', class: 'picture', 'aria-hidden': 'true', focusable: 'false', 'data-kind': '' });
  node('rect', { width: 100, height: 50, fill: '#eef0eb' }, svg);
  node('circle', { cx: 0, cy: 50, r: 20, fill: 'none' }, svg);
  for (let i = 0; i < 3; i++) node('path', { d: '', fill: 'none' }, svg);
  node('rect', { x: 0, y: 0, width: 0, height: at.len(12), fill: 'rgb(255 255 255 / 0.85)' }, svg);
  node('text', { x: 0, y: 0, 'text-anchor': 'middle', 'font-size': at.len(8), 'font-weight': 700, 'font-family': 'system-ui, sans-serif', fill: 'none' }, svg);
  return svg;
}

/**
 * The product's picture: an <svg> element (decorative: aria-hidden) drawn from its
 * category, title, brand and id.
 * @param {{id: string, title: string, brand?: string, categories?: string[]}} item
 */
export function productPicture(item) {
  const svg = blankPicture();
  drawPicture(svg, item);
  return svg;
}
