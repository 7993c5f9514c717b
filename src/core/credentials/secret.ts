// Credentials as a value that cannot leak by accident: JSON.stringify, util.inspect and string
// conversion all print a placeholder. Only the HTTP layer calls `reveal()`.
const REDACTED = '[redacted]';

export interface RevealedCredentials {
  readonly username: string;
  readonly password: string;
  readonly identityToken: string;
}

export class Credentials {
  readonly #value: RevealedCredentials;

  constructor(value: RevealedCredentials) {
    this.#value = value;
  }

  static readonly anonymous = new Credentials({ username: '', password: '', identityToken: '' });

  /** c/image treats a credential with no username, password and identity token as "none". */
  get isEmpty(): boolean {
    const v = this.#value;
    return v.username === '' && v.password === '' && v.identityToken === '';
  }

  /** For the HTTP layer only; never log or render the result. */
  reveal(): RevealedCredentials {
    return this.#value;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Credentials ${REDACTED}`;
  }
}
