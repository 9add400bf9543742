// arag help [COMMAND]: the command list, or one command's options.
import { parseOptions } from '../cli.mjs';

export const summary = 'list commands, or `arag help COMMAND`';

export const help = `usage: arag help [COMMAND]

Lists the commands, or prints one command's options (the same as arag COMMAND --help).
`;

function listing(commands) {
  let text = 'usage: arag COMMAND [options]\n       arag --version\n\ncommands:\n';
  for (const [name, cmd] of Object.entries(commands)) text += `  ${name.padEnd(8)} ${cmd.summary}\n`;
  return `${text}\n\`arag COMMAND --help\` lists a command's options.\n`;
}

// commands: the dispatcher's table, name -> module.
export async function run(argv, commands) {
  const c = argv[0] && !argv[0].startsWith('-') && Object.hasOwn(commands, argv[0]) && commands[argv[0]];
  if (c) {
    process.stdout.write(c.help);
    return 0;
  }
  if (!parseOptions(argv.filter((a) => a.startsWith('-')), {}, help)) return 0;
  process.stdout.write(listing(commands));
  return 0;
}
