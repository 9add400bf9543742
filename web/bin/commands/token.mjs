// arag token: prints a signed page token for the edge worker (what a shop's server does
// per page; this is the same function, for trying the worker out and for scripts).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot, parseOptions, UsageError } from '../cli.mjs';

export const summary = 'print a signed page token for the edge worker';

export const help = `usage: arag token --origin ORIGIN [options]

Prints a page token (HMAC-SHA256) that lets a page at ORIGIN spend LLM calls through
the edge worker. The secret is read from the environment variable PAGE_TOKEN_SECRET
(the same value as the worker's secret of that name; at least 32 bytes), never from the
command line.

options:
  --origin ORIGIN       the page's origin, e.g. https://shop.example (required)
  --ttl SECONDS         lifetime (default 900, at most 86400)
  --max-calls N         LLM calls the holder may make (default 40)
  --max-tokens N        prompt + completion tokens the holder may spend (default 80000)
  --trace LEVEL         the most of a trace the holder may see: none | summary | full
                        (default summary)
  --shopper ID          the shop's id of a signed-in shopper: the worker keeps that
                        shopper's history under it (options.history "stored")
  --json                print {token, expiresAt} as JSON instead of the bare token
`;

function int(args, name) {
  const v = args[name];
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(v)}`);
  return Number(v);
}

export async function run(argv) {
  const args = parseOptions(
    argv,
    {
      origin: { type: 'string' },
      ttl: { type: 'string' },
      'max-calls': { type: 'string' },
      'max-tokens': { type: 'string' },
      trace: { type: 'string' },
      shopper: { type: 'string' },
      json: { type: 'boolean' },
    },
    help
  );
  if (!args) return 0;
  if (!args.origin) throw new UsageError('--origin is required (the page origin the token is for)');
  const secret = process.env.PAGE_TOKEN_SECRET;
  if (!secret) throw new UsageError('set PAGE_TOKEN_SECRET to the worker\'s secret (it is never read from the command line)');
  const ttlSeconds = int(args, 'ttl');
  // The built host library (dist/, from make wasm; in the package as installed).
  const { signPageToken, PAGE_TOKEN_DEFAULTS } = await import(pathToFileURL(join(packageRoot, 'dist', 'page-token.mjs')).href);
  let token;
  try {
    token = await signPageToken({
      secret,
      origin: args.origin,
      ttlSeconds,
      maxCalls: int(args, 'max-calls'),
      maxTokens: int(args, 'max-tokens'),
      trace: args.trace,
      shopper: args.shopper,
    });
  } catch (e) {
    throw new UsageError(e.message);
  }
  if (args.json) {
    const expiresAt = Math.floor(Date.now() / 1000) + (ttlSeconds ?? PAGE_TOKEN_DEFAULTS.ttlSeconds);
    process.stdout.write(`${JSON.stringify({ token, expiresAt })}\n`);
  } else {
    process.stdout.write(`${token}\n`);
  }
  return 0;
}
