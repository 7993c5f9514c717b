// The contract between the CLI dispatcher and each command module (loaded lazily, so that
// `mirrorscope resolve` never pays for the modules `agent` or `collector` need).
import type { Writable } from 'node:stream';

export interface CommandIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: NodeJS.ProcessEnv;
  readonly isTTY: boolean;
}

export interface CommandModule {
  readonly usage: string;
  /** Resolves to the exit code. */
  run(argv: readonly string[], io: CommandIo): Promise<number>;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
