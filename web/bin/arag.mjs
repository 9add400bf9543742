#!/usr/bin/env node
// arag command-line tool: dispatches to one module per command in commands/. A command
// module exports summary, help (its usage text) and run(argv, commands) -> exit
// status (commands: this table, for help).
import { UsageError, version } from './cli.mjs';
import * as catalogCmd from './commands/catalog.mjs';
import * as convertCmd from './commands/convert.mjs';
import * as checkReasonsCmd from './commands/check-reasons.mjs';
import * as evalCmd from './commands/eval.mjs';
import * as helpCmd from './commands/help.mjs';
import * as tuneCmd from './commands/tune.mjs';
import * as tokenCmd from './commands/token.mjs';

const COMMANDS = {
  eval: evalCmd,
  catalog: catalogCmd,
  tune: tuneCmd,
  token: tokenCmd,
  convert: convertCmd,
  'check-reasons': checkReasonsCmd,
  help: helpCmd,
};

async function main(argv) {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-V') {
    process.stdout.write(`arag ${version}\n`);
    return 0;
  }
  const name = first === undefined || first === '--help' || first === '-h' ? 'help' : first;
  if (!Object.hasOwn(COMMANDS, name)) {
    process.stderr.write(`arag: unknown command "${name}" (try: arag help)\n`);
    return 2;
  }
  try {
    return await COMMANDS[name].run(name === first ? rest : [], COMMANDS);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`arag ${name}: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`arag ${name}: ${e && e.message ? e.message : e}\n`);
    if (process.env.ARAG_DEBUG && e && e.stack) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
