// arag convert: public data set formats to the common format (items.jsonl + interactions.jsonl).
import { UsageError, int, parseOptions } from '../cli.mjs';

export const summary = 'convert Amazon reviews, MovieLens or a CSV log into a data set (items.jsonl + interactions.jsonl)';

export const help = `usage: arag convert FORMAT [options] --out DIR

Writes a data set in the common format of arag eval: DIR/items.jsonl (one item a line:
id, title, and categories, brand, price, text when the source has them) and
DIR/interactions.jsonl ({"user", "item", "ts"} a line, sorted by user and time). Only items
some kept interaction names; users with fewer than --min-interactions interactions and
interactions of items without a title are left out (the counts are printed). A malformed
input line stops the command with its file and line, before anything is written.

formats:
  amazon      --reviews FILE --meta FILE
              Amazon review data: a review file (e.g. the 2014 release's 5-core
              reviews_Beauty_5.json.gz; the 2018 and 2023 releases' files too) and the
              metadata file of the same category (meta_Beauty.json.gz). .gz is read as is.
  movielens   --in DIR [--min-rating R]
              an unpacked MovieLens release: 100K (u.data, u.item), 1M (ratings.dat,
              movies.dat) or a CSV release (ratings.csv, movies.csv). Every rating is an
              interaction, or only those >= R. A movie's first genre is its category, all
              its genres are in its text.
  csv         --interactions FILE [--items FILE]
              a CSV of user,item,timestamp (a header row naming the columns is optional;
              timestamps are numbers or dates). --items: items.jsonl, or a CSV with a
              header naming id, title and optionally brand, categories (a path separated
              by > or |), price, text. Without --items each item's title is its id.

options:
  --out DIR                 the data set folder (created)
  --min-interactions N      users with fewer are left out (default 5, what arag eval needs)
  --force                   replace items.jsonl and interactions.jsonl already in DIR
`;

const FORMATS = ['amazon', 'movielens', 'csv'];

export async function run(argv) {
  const format = argv[0] && !argv[0].startsWith('-') ? argv[0] : null;
  const args = parseOptions(
    format ? argv.slice(1) : argv,
    {
      out: { type: 'string' },
      reviews: { type: 'string' },
      meta: { type: 'string' },
      in: { type: 'string' },
      'min-rating': { type: 'string' },
      interactions: { type: 'string' },
      items: { type: 'string' },
      'min-interactions': { type: 'string' },
      force: { type: 'boolean' },
    },
    help,
  );
  if (!args) return 0;
  if (!format) throw new UsageError(`a format is required: ${FORMATS.join(', ')}`);
  if (!FORMATS.includes(format)) throw new UsageError(`unknown format "${format}" (${FORMATS.join(', ')})`);
  if (!args.out) throw new UsageError('--out DIR is required');
  const own = { amazon: ['reviews', 'meta'], movielens: ['in', 'min-rating'], csv: ['interactions', 'items'] };
  for (const [f, keys] of Object.entries(own)) {
    if (f === format) continue;
    const stray = keys.find((k) => args[k] !== undefined);
    if (stray) throw new UsageError(`--${stray} is an option of "arag convert ${f}"`);
  }
  const common = { out: args.out, minInteractions: int('min-interactions', args['min-interactions'], 1) ?? 5, force: Boolean(args.force) };
  const convert = await import('../../src/eval/convert.mjs');
  let r;
  if (format === 'amazon') {
    if (!args.reviews || !args.meta) throw new UsageError('amazon needs --reviews FILE and --meta FILE');
    r = await convert.convertAmazon({ reviews: args.reviews, meta: args.meta, ...common });
  } else if (format === 'movielens') {
    if (!args.in) throw new UsageError('movielens needs --in DIR (an unpacked MovieLens release)');
    let minRating = 0;
    if (args['min-rating'] !== undefined) {
      minRating = Number(args['min-rating']);
      if (args['min-rating'].trim() === '' || !Number.isFinite(minRating)) throw new UsageError(`--min-rating: expected a number, got "${args['min-rating']}"`);
    }
    r = await convert.convertMovieLens({ dir: args.in, minRating, ...common });
  } else {
    if (!args.interactions) throw new UsageError('csv needs --interactions FILE');
    r = await convert.convertCsv({ interactions: args.interactions, items: args.items, ...common });
  }
  process.stdout.write(`arag convert ${format}: ${convert.describe(r)}\n`);
  return 0;
}
