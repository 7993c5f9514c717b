// Validation of `[aliases]` entries (containers/image `validateShortName` / `parseShortNameValue`).
import {
  nameOf,
  parseNormalizedNamed,
  parseReference,
  InvalidReferenceError,
} from '../reference/reference.js';

function hasRegistry(domain: string): boolean {
  return domain.includes('.') || domain.includes(':') || domain === 'localhost';
}

const q = (s: string): string => JSON.stringify(s);

/** The left-hand side must be a short name without tag or digest. Returns the error text, if any. */
export function parseAliasName(name: string): string | undefined {
  let ref;
  try {
    ref = parseReference(name);
  } catch (err) {
    if (err instanceof InvalidReferenceError) return `cannot parse short name: ${q(name)}: ${err.message}`;
    throw err;
  }
  if (ref.digest !== undefined) return `invalid short name ${q(name)}: must not contain digest`;
  if (ref.tag !== undefined) return `invalid short name ${q(name)}: must not contain tag`;
  if (hasRegistry(ref.domain)) return `invalid short name ${q(name)}: must not contain registry`;
  return undefined;
}

/** The right-hand side must name a registry and repository, without tag or digest; it is normalised. */
export function parseAliasValue(value: string): string | { error: string } {
  let ref;
  try {
    ref = parseReference(value);
  } catch (err) {
    if (err instanceof InvalidReferenceError) return { error: `parsing alias ${q(value)}: ${err.message}` };
    throw err;
  }
  if (ref.digest !== undefined) return { error: `invalid alias ${q(value)}: must not contain digest` };
  if (ref.tag !== undefined) return { error: `invalid alias ${q(value)}: must not contain tag` };
  if (!hasRegistry(ref.domain))
    return { error: `invalid alias ${q(value)}: must contain registry and repository` };
  try {
    return nameOf(parseNormalizedNamed(value));
  } catch (err) {
    if (err instanceof InvalidReferenceError) return { error: `parsing alias ${q(value)}: ${err.message}` };
    throw err;
  }
}
