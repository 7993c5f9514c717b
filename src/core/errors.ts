// The one catalogue of error codes mirrorscope reports. Every `code` a person or a script can see is
// defined here once, with what it means: in a thrown MirrorscopeError (CLI exit 2, the collector's
// API 400), in a resolution's or a trace's `error`, and in the agent's HTTP and trace answers. Where
// containers/image would fail too, a MirrorscopeError also carries the text it would print, so a user
// can match our answer with a CRI-O or podman log.
//
// Parsers inside core signal with small exception classes of their own that carry a position
// (DecodeError, JsonSyntaxError, InvalidReferenceError, …); their callers turn each into one of these
// codes or into a finding. The finding ids are a catalogue of their own (findings/catalogue.ts).

export interface ErrorDefinition {
  /** One line: what the code means. */
  readonly meaning: string;
  /** The status of an HTTP answer that carries the code; null where the code is not an HTTP answer's. */
  readonly httpStatus: number | null;
}

export const ERRORS = {
  'config-invalid': {
    meaning: 'The configuration cannot be loaded; the file (and line) is named.',
    httpStatus: 400,
  },
  'invalid-reference': { meaning: 'The image name is not a valid reference.', httpStatus: null },
  'short-name-error': {
    meaning: 'A short name cannot be resolved the way the runtime would (ambiguous, enforcing mode, …).',
    httpStatus: null,
  },
  'rewrite-invalid': {
    meaning: 'A `location` rewrite produces an invalid name: the pull fails before trying any source.',
    httpStatus: null,
  },
  usage: { meaning: 'The command line or the request is malformed.', httpStatus: 400 },
  'input-invalid': {
    meaning: 'A file, directory or address named on the command line is missing or unusable.',
    httpStatus: 400,
  },
  'bad-request': { meaning: 'A trace request names something invalid (a namespace).', httpStatus: null },
  'not-ready': { meaning: 'The agent has not loaded its configuration yet.', httpStatus: null },
  'trace-failed': { meaning: 'The trace stopped with an unexpected error.', httpStatus: null },
  busy: { meaning: 'Too many traces run at once; retry.', httpStatus: 429 },
  'not-found': { meaning: 'No such endpoint on this listener.', httpStatus: 404 },
  'method-not-allowed': { meaning: 'The endpoint answers GET (and HEAD) only.', httpStatus: 405 },
  internal: { meaning: 'An unexpected error answering the request.', httpStatus: 500 },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof ERRORS;

/** An error as JSON answers carry it. */
export interface ErrorBody {
  readonly code: ErrorCode;
  readonly message: string;
}

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
