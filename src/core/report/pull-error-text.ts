// Reads kubelet's "Failed to pull image" event text: strips the kubelet/CRI-O wrappers, splits
// containers/image's "(Mirrors also failed: [ref: err]\n[ref: err]): primaryRef: primaryErr" into one
// result per source, and names the cause of each with a catalogue id.
import type { FindingId } from '../findings/catalogue.js';
import { parseNormalizedNamed } from '../reference/reference.js';
import type { PullEventCandidate } from './types.js';

const FAILED_TO_PULL = /^Failed to pull image "([^"]+)": ([\s\S]*)$/;

/** Wrapper prefixes, outermost first; each is removed wherever it starts the remaining text. */
const PREFIXES = [
  /^rpc error: code = \w+ desc = /,
  /^SignatureValidationFailed: /,
  /^RegistryUnavailable: /,
  /^ErrImagePull: /,
  // CRI-O 1.33 and 1.34+ retry a failed pull as an OCI artifact and wrap both errors.
  /^unable to try pulling possible OCI artifact: /,
  /^unable to pull image or OCI artifact: pull image err: /,
  /^initializing source docker:\/\/\S+: /,
];

/** CRI-O ≥ 1.34: `pull image err: <original>; artifact err: <second>` — only the original matters. */
const ARTIFACT_TAIL = /; artifact err: [\s\S]*$/;

const CAUSES: readonly (readonly [RegExp, FindingId])[] = [
  [/ is blocked in |registry .* is blocked/, 'pull-blocked'],
  [/A signature was required, but no signature exists/, 'pull-signature-missing'],
  [
    /Signature for identity .* is not accepted|is rejected by policy|[Ii]nvalid (GPG )?signature|signature verification failed/,
    'pull-signature-rejected',
  ],
  // Before "Not Found": a blob 404 after the manifest is not a missing image (no fallback happened).
  [/reading blob sha(256|384|512):[0-9a-f]+: .*(404|BLOB_UNKNOWN|blob unknown)/, 'pull-blob-missing'],
  [/server gave HTTP response to HTTPS client/, 'pull-http-to-https'],
  [/x509: |tls: failed to verify|certificate signed by unknown authority/, 'pull-tls-untrusted'],
  [/toomanyrequests|TOOMANYREQUESTS|429 Too Many Requests/, 'pull-rate-limited'],
  [
    /unauthorized|UNAUTHORIZED|authentication required|denied:|DENIED|requested access to the resource is denied/,
    'pull-unauthorized',
  ],
  [
    /manifest unknown|MANIFEST_UNKNOWN|artifact not found|name unknown|NAME_UNKNOWN|Not Found|not found/,
    'pull-manifest-unknown',
  ],
  [
    /dial tcp|no such host|i\/o timeout|connection refused|connection reset|proxyconnect|network is unreachable|context deadline exceeded|TLS handshake timeout/,
    'pull-unreachable',
  ],
];

export function classifyPullError(error: string): FindingId {
  for (const [pattern, id] of CAUSES) if (pattern.test(error)) return id;
  return 'pull-failed';
}

export function hostOfReference(reference: string): string | null {
  try {
    return parseNormalizedNamed(reference).domain;
  } catch {
    return null;
  }
}

/** A host named in an error that carries no reference (`pinging container registry HOST:`…). */
function hostInText(error: string): string | null {
  const m =
    /pinging container registry ([^\s:]+(?::\d+)?):/.exec(error) ??
    /Get "https?:\/\/([^/"]+)\//.exec(error) ??
    /reading manifest \S+ in ([^/\s]+)\//.exec(error);
  return m?.[1] ?? null;
}

export function stripWrappers(text: string): string {
  let s = text.trim();
  for (let changed = true; changed;) {
    changed = false;
    for (const p of PREFIXES) {
      const next = s.replace(p, '');
      if (next !== s) {
        s = next;
        changed = true;
      }
    }
  }
  return s.replace(ARTIFACT_TAIL, '');
}

function candidate(reference: string | null, error: string): PullEventCandidate {
  const host = (reference === null ? null : hostOfReference(reference)) ?? hostInText(error);
  return { reference, host, error, findingId: classifyPullError(error) };
}

/** `ref: error` → both parts; the reference is the text up to the first ": ". */
function splitRefError(text: string): { reference: string | null; error: string } {
  const i = text.indexOf(': ');
  if (i <= 0) return { reference: null, error: text };
  const reference = text.slice(0, i);
  if (/\s/.test(reference) || hostOfReference(reference) === null) return { reference: null, error: text };
  return { reference, error: text.slice(i + 2) };
}

/** Every source's failure in one error text, in the order CRI-O tried them. */
export function splitPullError(error: string): PullEventCandidate[] {
  const start = error.indexOf('(Mirrors also failed: [');
  if (start === -1) {
    const { reference, error: rest } = splitRefError(error);
    return [candidate(reference, reference === null ? error : rest)];
  }
  const end = error.indexOf(']): ', start);
  if (end === -1) return [candidate(null, error)];
  const listed = error.slice(start + '(Mirrors also failed: ['.length, end);
  const mirrors = listed.split(/\]\n\[/).map((entry) => {
    const { reference, error: e } = splitRefError(entry);
    return candidate(reference, e);
  });
  const { reference, error: primaryError } = splitRefError(error.slice(end + 4));
  return [...mirrors, candidate(reference, primaryError)];
}

export interface ParsedPullFailure {
  readonly image: string;
  readonly error: string;
  readonly candidates: readonly PullEventCandidate[];
}

/** null when the text is not a pull failure (kubelet's other `Failed` events). */
export function parsePullFailure(message: string): ParsedPullFailure | null {
  const m = FAILED_TO_PULL.exec(message.trim());
  if (m === null) return null;
  const error = stripWrappers(m[2]!);
  return { image: m[1]!, error, candidates: splitPullError(error) };
}
