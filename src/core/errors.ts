// The single catalogue of errors mirrorscope reports. Each error has a stable `code` that scripts
// can rely on, a message for people, and — where containers/image would fail too — the text it
// would print, so a user can match our answer with a CRI-O or podman log.

export type ErrorCode =
  | 'config-invalid'
  | 'invalid-reference'
  | 'short-name-error'
  | 'rewrite-invalid'
  | 'usage'
  /** A file or directory named on the command line is missing or unusable (exit 2). */
  | 'input-invalid';

export interface ErrorLocation {
  readonly file: string;
  readonly line: number | null;
}

export class MirrorscopeError extends Error {
  override readonly name = 'MirrorscopeError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: {
      readonly location?: ErrorLocation;
      /**
       * The error text containers/image (and so CRI-O/podman) gives for the same condition, where we
       * reproduce it. TOML and JSON syntax errors keep c/image's wrapper around our parsers' words
       * (smol-toml, JSON.parse), not BurntSushi/toml's or encoding/json's: match those by file and line.
       */
      readonly upstream?: string;
    } = {},
  ) {
    super(message);
  }

  get location(): ErrorLocation | undefined {
    return this.details.location;
  }

  get upstream(): string | undefined {
    return this.details.upstream;
  }

  toJSON(): { code: ErrorCode; message: string; file?: string; line?: number | null; upstream?: string } {
    return {
      code: this.code,
      message: this.message,
      ...(this.location ? { file: this.location.file, line: this.location.line } : {}),
      ...(this.upstream !== undefined ? { upstream: this.upstream } : {}),
    };
  }
}

export function configError(message: string, location: ErrorLocation, upstream?: string): MirrorscopeError {
  const where = location.line === null ? location.file : `${location.file}:${location.line}`;
  return new MirrorscopeError('config-invalid', `${where}: ${message}`, {
    location,
    ...(upstream !== undefined ? { upstream } : {}),
  });
}
