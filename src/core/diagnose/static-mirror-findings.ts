// Mirror findings that follow from the configuration alone (no network): the resolver's answer for an
// image says which mirrors CRI-O skips and which [[registry]] entry wins. Used by the agent for every
// image, and usable by `check` for the images it is given.
import { refMatchingPrefix } from '../registries/prefix-match.js';
import type { RegistriesConfig, Registry } from '../registries/types.js';
import type { CandidateResolution, ResolveResult } from '../resolve/types.js';
import { where } from '../resolve/types.js';
import { AMBIGUOUS_UPSTREAM } from '../shortnames/short-names.js';
import { keyed } from './finding-key.js';
import type { NodeFinding } from '../findings/types.js';

const DIGEST_ONLY = new Set(['mirror-by-digest-only', 'pull-from-mirror-digest-only']);

function hasDigest(image: string): boolean {
  return image.includes('@');
}

function nameOfImage(image: string): string {
  const at = image.indexOf('@');
  const noDigest = at === -1 ? image : image.slice(0, at);
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

function tagPullBypassesMirrors(c: CandidateResolution): NodeFinding[] {
  if (hasDigest(c.image) || c.registry === null) return [];
  const digestOnly = c.skippedMirrors.filter((s) => DIGEST_ONLY.has(s.reason));
  if (digestOnly.length === 0 || c.sources.some((s) => s.mirror)) return [];
  const out: NodeFinding[] = [];
  const mirrors = digestOnly.map((s) => s.location).join(', ');
  const cause = digestOnly[0]!.cause ?? digestOnly[0]!.origin;
  const primary = c.sources.find((s) => !s.mirror);
  out.push(
    keyed({
      id: 'tag-pull-bypasses-mirrors',
      message:
        `${c.image} is pulled by tag, and the mirrors of [[registry]] "${c.registry.prefix}" (${mirrors}) are digest-only ` +
        `(${where(cause)}), so CRI-O does not try them and goes straight to ${primary ? primary.reference : 'the source'}.`,
      location: cause,
      scope: c.registry.prefix,
      subject: c.image,
      image: c.image,
      fix: `Pin ${c.image} by digest, or add an ImageTagMirrorSet for ${c.registry.prefix} so tags are pulled from the mirror.`,
    }),
  );
  if (primary?.blocked)
    out.push(
      blockedNoMirror(c, primary.blockedBy?.prefix ?? c.registry.prefix, 'no mirror is tried for a tag pull'),
    );
  return out;
}

export function blockedNoMirror(
  c: { image: string },
  prefix: string,
  why: string,
  location: string | null = null,
): NodeFinding {
  return keyed({
    id: 'source-blocked-no-working-mirror',
    message: `${c.image} cannot be pulled: the source registry ${prefix} is blocked and ${why}.`,
    location,
    scope: prefix,
    subject: c.image,
    image: c.image,
  });
}

function mirrorShadowed(c: CandidateResolution, config: RegistriesConfig): NodeFinding[] {
  if (c.registry === null) return [];
  const matched = config.registries.find((r) => r.prefix === c.registry!.prefix);
  if (matched === undefined || matched.mirrors.length > 0) return [];
  const name = nameOfImage(c.image);
  const broader: Registry[] = config.registries.filter(
    (r) => r.prefix !== matched.prefix && r.mirrors.length > 0 && refMatchingPrefix(name, r.prefix) !== -1,
  );
  return broader.map((r) =>
    keyed({
      id: 'mirror-shadowed',
      message:
        `[[registry]] "${matched.prefix}" (${where(matched.origin)}) matches ${name} more specifically than "${r.prefix}" ` +
        `(${where(r.origin)}) and has no mirrors, so the mirrors of "${r.prefix}" (${r.mirrors.map((m) => m.location).join(', ')}) are not used for it.`,
      location: { file: matched.origin.file, line: matched.origin.line },
      scope: matched.prefix,
      subject: r.prefix,
      fix: `Repeat the mirrors of "${r.prefix}" in the [[registry]] "${matched.prefix}" entry, or remove that entry if it is not needed.`,
    }),
  );
}

/** CRI-O ≥ 1.34 in enforcing mode: a short name several search registries could serve is refused. */
function shortNameAmbiguous(
  result: ResolveResult,
  config: RegistriesConfig,
  crioVersionKnown: boolean,
): NodeFinding[] {
  if (result.error?.upstream !== AMBIGUOUS_UPSTREAM) return [];
  const mode =
    result.error.file === undefined
      ? 'the CRI-O default'
      : where({ file: result.error.file, line: result.error.line ?? null });
  const registries = config.unqualifiedSearchRegistries;
  return [
    keyed({
      id: 'short-name-ambiguous',
      message: `CRI-O refuses ${result.input}: short_name_mode is enforcing (${mode}) and ${registries.length} unqualified-search registries (${registries.join(', ')}${config.unqualifiedSearchRegistriesOrigin ? `, ${where(config.unqualifiedSearchRegistriesOrigin)}` : ''}) could serve it, so every pull fails with "${result.error.message}".${crioVersionKnown ? '' : " The node's CRI-O version is unknown: this is what CRI-O 1.34 and later do; CRI-O 1.33 and earlier try every search registry in order instead."}`,
      location:
        result.error.file === undefined ? null : { file: result.error.file, line: result.error.line ?? null },
      scope: null,
      subject: result.input,
      image: result.input,
      fix: `Use the fully qualified name (e.g. ${registries[0] ?? 'registry.example.com'}/${result.input}), add a [aliases] entry for it, or set [crio.image] short_name_mode = "disabled" in a crio.conf.d drop-in.`,
    }),
  ];
}

/**
 * Findings for one image from its resolution; `config` is the registries configuration it came from,
 * `crioVersionKnown` whether the resolution followed a known CRI-O version (else its newest rules).
 */
export function staticMirrorFindings(
  result: ResolveResult,
  config: RegistriesConfig,
  crioVersionKnown = true,
): NodeFinding[] {
  const out: NodeFinding[] = [...shortNameAmbiguous(result, config, crioVersionKnown)];
  for (const c of result.candidates) {
    if (c.error !== null) continue;
    out.push(...tagPullBypassesMirrors(c), ...mirrorShadowed(c, config));
  }
  return out;
}
