// What every command shares once it is loaded: `--help`, and usage/config errors turned into exit
// status 2. main.ts calls it for every command; the trace bundle (./trace-entry.ts) for `trace` alone.
import { MirrorscopeError } from '../core/errors.js';
import { EXIT_USAGE, type CommandIo, type CommandModule } from './command.js';

/** What a one-file bundle's entry exports (cli/agent-entry.ts, cli/collector-entry.ts): its one command. */
export interface BundledCommand {
  readonly runBundled: (rest: readonly string[], io: CommandIo) => Promise<number>;
}

export async function runCommand(
  name: string,
  command: CommandModule,
  rest: readonly string[],
  io: CommandIo,
): Promise<number> {
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof MirrorscopeError && err.code === 'usage') {
      io.stderr.write(`mirrorscope ${name}: ${err.message}\n\n${command.usage}`);
      return EXIT_USAGE;
    }
    if (err instanceof MirrorscopeError) {
      io.stderr.write(`mirrorscope ${name}: ${err.message}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
}
