// The secrets a registry client has sent (password, identity token, the Basic value, bearer tokens). A
// hostile registry can echo any of them back — in an error body, a challenge, a header — and those
// texts end up in reasons, trace steps, findings and the collector's report. Everything the client
// says passes through `redact` first, so an echo never travels further than the registry itself.
import type { Credentials } from '../core/credentials/secret.js';

const REDACTED = '[redacted]';
/** Shorter values would blank out ordinary words; such a password is no secret anyway. */
const MIN_LENGTH = 4;

export class SentSecrets {
  private readonly values = new Set<string>();

  constructor(credentials: Credentials) {
    const { username, password, identityToken } = credentials.reveal();
    this.add(password);
    this.add(identityToken);
    if (username !== '' || password !== '') {
      this.add(`${username}:${password}`);
      this.add(Buffer.from(`${username}:${password}`).toString('base64'));
    }
  }

  add(value: string): void {
    if (value.length >= MIN_LENGTH) this.values.add(value);
  }

  redact(text: string): string {
    let out = text;
    // Longest first, so a value that contains another is replaced whole.
    for (const value of [...this.values].sort((a, b) => b.length - a.length))
      if (out.includes(value)) out = out.split(value).join(REDACTED);
    return out;
  }
}
