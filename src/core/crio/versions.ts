// Which CRI-O a node runs, and what that changes about a pull. The table and the boundaries come
// from the go.mod and the code of cri-o/cri-o at its release tags (shared/reference/crio-versions.md;
// docs/crio-versions.md shows them to users).
import { MirrorscopeError } from '../errors.js';

export interface CrioVersion {
  readonly major: number;
  readonly minor: number;
  /** null when only `1.29` was given. */
  readonly patch: number | null;
  /** As given (`1.29`, `1.29.4`, `cri-o://1.29.4-2.rhaos4.16.git1234.el9`). */
  readonly raw: string;
}

/** containers/image as MAJOR.MINOR numbers (5.29 → [5, 29]). */
type LibVersion = readonly [number, number];

interface TableRow {
  readonly minor: number;
  readonly openshift: string;
  readonly kubernetes: string;
  /** containers/image from each patch on (the go.mod of cri-o/cri-o at every v1.MINOR.PATCH tag). */
  readonly containersImage: readonly { readonly fromPatch: number; readonly version: LibVersion }[];
}

/** The versions mirrorscope models, oldest first. */
export const CRIO_TABLE: readonly TableRow[] = [
  {
    minor: 25,
    openshift: '4.12',
    kubernetes: '1.25',
    containersImage: [
      { fromPatch: 0, version: [5, 22] },
      { fromPatch: 2, version: [5, 23] },
      { fromPatch: 5, version: [5, 25] },
    ],
  },
  {
    minor: 26,
    openshift: '4.13',
    kubernetes: '1.26',
    containersImage: [
      { fromPatch: 0, version: [5, 23] },
      { fromPatch: 2, version: [5, 24] },
    ],
  },
  { minor: 27, openshift: '4.14', kubernetes: '1.27', containersImage: [{ fromPatch: 0, version: [5, 25] }] },
  { minor: 28, openshift: '4.15', kubernetes: '1.28', containersImage: [{ fromPatch: 0, version: [5, 27] }] },
  { minor: 29, openshift: '4.16', kubernetes: '1.29', containersImage: [{ fromPatch: 0, version: [5, 29] }] },
  { minor: 30, openshift: '4.17', kubernetes: '1.30', containersImage: [{ fromPatch: 0, version: [5, 29] }] },
  { minor: 31, openshift: '4.18', kubernetes: '1.31', containersImage: [{ fromPatch: 0, version: [5, 32] }] },
  {
    minor: 32,
    openshift: '4.19',
    kubernetes: '1.32',
    containersImage: [
      { fromPatch: 0, version: [5, 33] },
      { fromPatch: 3, version: [5, 34] },
    ],
  },
  { minor: 33, openshift: '4.20', kubernetes: '1.33', containersImage: [{ fromPatch: 0, version: [5, 35] }] },
  { minor: 34, openshift: '4.21', kubernetes: '1.34', containersImage: [{ fromPatch: 0, version: [5, 36] }] },
  { minor: 35, openshift: '4.22', kubernetes: '1.35', containersImage: [{ fromPatch: 0, version: [5, 38] }] },
  { minor: 36, openshift: '4.22', kubernetes: '1.36', containersImage: [{ fromPatch: 0, version: [5, 38] }] },
];

const OLDEST = CRIO_TABLE[0]!.minor;
const NEWEST = CRIO_TABLE[CRIO_TABLE.length - 1]!.minor;

/**
 * `1.29`, `1.29.4`, `v1.29.4`, and the kubelet's `containerRuntimeVersion` (`cri-o://1.29.4-2.rhaos4.16.git1234.el9`).
 * Anything else (another runtime, no version) is a usage error naming what was given.
 */
export function parseCrioVersion(text: string): CrioVersion {
  const trimmed = text.trim();
  const scheme = /^([a-z0-9.-]+):\/\//i.exec(trimmed);
  if (scheme !== null && scheme[1]!.toLowerCase() !== 'cri-o')
    throw new MirrorscopeError(
      'usage',
      `"${text}" is a ${scheme[1]} runtime, not CRI-O: mirrorscope simulates CRI-O pulls only`,
    );
  const rest = scheme === null ? trimmed : trimmed.slice(scheme[0].length);
  const m = /^v?(\d{1,4})\.(\d{1,4})(?:\.(\d{1,6}))?(?:[-+~][0-9A-Za-z.~+_-]*)?$/.exec(rest);
  if (m === null)
    throw new MirrorscopeError(
      'usage',
      `--crio-version needs a CRI-O version such as 1.29, 1.29.4 or cri-o://1.29.4-2.rhaos4.16.el9, got "${text}"`,
    );
  return {
    major: Number(m[1]),
    minor: Number(m[2]),
    patch: m[3] === undefined ? null : Number(m[3]),
    raw: trimmed,
  };
}

export function formatCrioVersion(v: CrioVersion): string {
  return `${v.major}.${v.minor}${v.patch === null ? '' : `.${v.patch}`}`;
}

/** A version compared with `major.minor.patch`; a missing patch counts as the minor's first release. */
function atLeast(v: CrioVersion, minor: number, patch = 0): boolean {
  if (v.major !== 1) return v.major > 1;
  return v.minor > minor || (v.minor === minor && (v.patch ?? 0) >= patch);
}

function rowOf(v: CrioVersion): TableRow | undefined {
  return v.major === 1 ? CRIO_TABLE.find((r) => r.minor === v.minor) : undefined;
}

function libText([a, b]: LibVersion): string {
  return `${a}.${b}`;
}

function libAtLeast(v: LibVersion, want: LibVersion): boolean {
  return v[0] > want[0] || (v[0] === want[0] && v[1] >= want[1]);
}

/** The containers/image this CRI-O vendors: the lowest and highest it can be for what is known of the version. */
export function containersImageRange(v: CrioVersion): { low: LibVersion; high: LibVersion } | null {
  const row = rowOf(v);
  if (row === undefined) return null;
  const steps = row.containersImage;
  if (v.patch === null) return { low: steps[0]!.version, high: steps[steps.length - 1]!.version };
  const step = [...steps].reverse().find((s) => s.fromPatch <= v.patch!)!;
  return { low: step.version, high: step.version };
}

export function containersImageText(v: CrioVersion): string | null {
  const range = containersImageRange(v);
  if (range === null) return null;
  const [low, high] = [libText(range.low), libText(range.high)];
  return low === high ? low : `${low}–${high}`;
}

// ---------- the behaviours that change with the version ----------

/** How this CRI-O picks the short-name mode. */
export type ShortNameRule =
  /** ≤ 1.33: `types.ShortNameModeDisabled` on every pull, whatever crio.conf or registries.conf say. */
  | 'forced-disabled'
  /** ≥ 1.34.0 (a8b550ad04): crio.conf `[crio.image] short_name_mode`, default enforcing. */
  | 'crio-conf';

export function shortNameRule(v: CrioVersion | null): ShortNameRule {
  return v === null || atLeast(v, 34) ? 'crio-conf' : 'forced-disabled';
}

/** `signature_policy_dir/<namespace>.json` (CRI-O 1.28.0). */
export function hasNamespacedPolicies(v: CrioVersion | null): boolean {
  return v === null || atLeast(v, 28);
}

/** `namespaced_auth_dir` (CRI-O 1.34.3 and 1.35.0). */
export function hasNamespacedAuth(v: CrioVersion | null): boolean {
  return v === null || (v.major === 1 && v.minor === 34 ? (v.patch ?? 0) >= 3 : atLeast(v, 35));
}

/**
 * crio.conf `insecure_registries` (internal/storage/image.go, `isSecureIndex`): honoured, with
 * 127.0.0.0/8 always appended, up to 1.33; deprecated (a warning in CRI-O's log) in 1.34; without
 * any effect from 1.35.0 (commit 93f9201606), which also drops the implicit 127.0.0.0/8.
 */
export type InsecureRegistriesRule = 'honoured' | 'deprecated' | 'ignored';

export function insecureRegistriesRule(v: CrioVersion | null): InsecureRegistriesRule {
  if (v === null || atLeast(v, 35)) return 'ignored';
  return atLeast(v, 34) ? 'deprecated' : 'honoured';
}

/** The entry CRI-O up to 1.34 appends to insecure_registries itself. */
export const IMPLICIT_INSECURE_CIDR = '127.0.0.0/8';

/** policy.json features and the containers/image that first parses them. */
export const POLICY_FEATURES = {
  fulcio: { since: [5, 24] as LibVersion, text: 'sigstoreSigned with fulcio (keyless) and rekorPublicKey' },
  multipleKeys: {
    since: [5, 33] as LibVersion,
    text: 'sigstoreSigned with several keys (keyPaths, keyDatas, rekorPublicKeyPaths, rekorPublicKeyDatas)',
  },
  pki: { since: [5, 35] as LibVersion, text: 'sigstoreSigned with pki (bring-your-own PKI)' },
} as const;

export type PolicyFeature = keyof typeof POLICY_FEATURES;

/** Whether this CRI-O's containers/image parses a policy feature: yes, no, or it depends on the exact patch. */
export function parsesPolicyFeature(v: CrioVersion | null, feature: PolicyFeature): 'yes' | 'no' | 'unknown' {
  if (v === null) return 'unknown';
  const range = containersImageRange(v);
  const since = POLICY_FEATURES[feature].since;
  // Outside the table: newer than every row parses everything, older than every row nothing new.
  if (range === null) return atLeast(v, NEWEST) ? 'yes' : 'no';
  if (libAtLeast(range.low, since)) return 'yes';
  if (!libAtLeast(range.high, since)) return 'no';
  return 'unknown';
}

/** The CRI-O releases of the table whose containers/image is older than `since`, e.g. "1.25 before 1.25.5, 1.26 before 1.26.2". */
export function crioReleasesBefore(since: LibVersion): string {
  const parts: string[] = [];
  let run: [number, number] | null = null;
  const flush = (): void => {
    if (run !== null) parts.push(run[0] === run[1] ? `1.${run[0]}` : `1.${run[0]}–1.${run[1]}`);
    run = null;
  };
  for (const row of CRIO_TABLE) {
    if (libAtLeast(row.containersImage[0]!.version, since)) {
      flush();
      continue;
    }
    const later = row.containersImage.find((s) => libAtLeast(s.version, since));
    if (later === undefined) {
      if (run !== null && run[1] === row.minor - 1) run[1] = row.minor;
      else {
        flush();
        run = [row.minor, row.minor];
      }
    } else {
      flush();
      parts.push(`1.${row.minor} before 1.${row.minor}.${later.fromPatch}`);
    }
  }
  flush();
  return parts.join(', ');
}

// ---------- the runtime as JSON, and what depends on an unknown or unmodelled version ----------

/** The runtime simulated: which one, and which CRI-O version (null: unknown, or podman). */
export interface RuntimeChoice {
  readonly runtime: 'crio' | 'podman';
  readonly version: CrioVersion | null;
}

export interface RuntimeJson {
  readonly name: 'crio' | 'podman';
  readonly version: string | null;
  readonly containersImage: string | null;
}

export function runtimeJson(runtime: 'crio' | 'podman', v: CrioVersion | null): RuntimeJson {
  if (runtime === 'podman') return { name: 'podman', version: null, containersImage: null };
  return {
    name: 'crio',
    version: v === null ? null : formatCrioVersion(v),
    containersImage: v === null ? null : containersImageText(v),
  };
}

export type BehaviourName =
  'short-names' | 'namespaced-policy' | 'namespaced-auth' | 'policy-features' | 'insecure-registries';

export interface VersionDependentBehaviour {
  readonly behaviour: BehaviourName;
  /** What mirrorscope applied. */
  readonly applied: string;
  readonly older: string | null;
  readonly newer: string | null;
}

export interface VersionNote {
  readonly code: 'crio-version-dependent';
  readonly message: string;
  readonly version: string | null;
  readonly behaviours: readonly VersionDependentBehaviour[];
}

const BEHAVIOURS: readonly VersionDependentBehaviour[] = [
  {
    behaviour: 'short-names',
    applied:
      'CRI-O ≥ 1.34 rules: crio.conf [crio.image] short_name_mode (default enforcing); an ambiguous short name fails',
    older:
      'CRI-O ≤ 1.33 (OpenShift ≤ 4.20) forces short-name mode disabled: every unqualified-search registry is tried in order; aliases still apply; both short_name_mode and registries.conf short-name-mode are ignored',
    newer: null,
  },
  {
    behaviour: 'namespaced-policy',
    applied: 'signature_policy_dir/<namespace>.json replaces the policy for pulls of that namespace',
    older: 'CRI-O ≤ 1.27 has no signature_policy_dir: every pull uses the one policy.json',
    newer: null,
  },
  {
    behaviour: 'namespaced-auth',
    applied:
      'namespaced_auth_dir may hold per-pull credentials written just in time; mirrorscope cannot see them',
    older: 'CRI-O before 1.34.3 uses only the global auth file (or the credentials the kubelet sends)',
    newer: null,
  },
  {
    behaviour: 'policy-features',
    applied: 'every policy.json feature of containers/image 5.38 is taken as parseable',
    older: `containers/image before 5.24 (CRI-O ${crioReleasesBefore([5, 24])}) rejects fulcio, before 5.33 (CRI-O ${crioReleasesBefore([5, 33])}) several sigstore keys, before 5.35 (CRI-O ${crioReleasesBefore([5, 35])}) pki: on such a node every pull fails`,
    newer: null,
  },
  {
    behaviour: 'insecure-registries',
    applied:
      'CRI-O ≥ 1.35 rules: crio.conf insecure_registries has no effect, so every source verifies TLS unless registries.conf marks it insecure',
    older: `CRI-O ≤ 1.34 skips TLS verification (and allows plain HTTP) for every source of a pull whose requested registry is listed in insecure_registries or lies in ${IMPLICIT_INSECURE_CIDR} (localhost), mirrors included; 1.34 logs it as deprecated`,
    newer: null,
  },
];

/**
 * The note for a CRI-O whose version is unknown (or outside the table): the newest rules, and, of the
 * behaviours in `affected` (those the answer rests on; default all), what another version does instead.
 */
export function versionNote(
  v: CrioVersion | null,
  affected: ReadonlySet<BehaviourName> = new Set(BEHAVIOURS.map((b) => b.behaviour)),
): VersionNote | null {
  if (v !== null && rowOf(v) !== undefined) return null;
  const relevant = BEHAVIOURS.filter((b) => affected.has(b.behaviour));
  const version = v === null ? null : formatCrioVersion(v);
  const range = `1.${OLDEST}–1.${NEWEST}`;
  if (v !== null && !atLeast(v, NEWEST + 1))
    return {
      code: 'crio-version-dependent',
      version,
      message: `CRI-O ${version} is older than the versions mirrorscope models (${range}): the 1.${OLDEST} rules are applied; its containers/image is not known.`,
      behaviours: [],
    };
  const subject =
    v === null
      ? 'The CRI-O version is unknown (give --crio-version, e.g. the CONTAINER-RUNTIME column of "oc get nodes -o wide")'
      : `CRI-O ${version} is newer than the versions mirrorscope models (${range})`;
  if (relevant.length === 0)
    return {
      code: 'crio-version-dependent',
      version,
      message: `${subject}; nothing in this answer depends on it.`,
      behaviours: [],
    };
  if (v !== null)
    return {
      code: 'crio-version-dependent',
      version,
      message: `${subject}: the 1.${NEWEST} rules are applied; a later change of CRI-O or containers/image is not reflected.`,
      behaviours: relevant.map((b) => ({ ...b, older: null, newer: 'not modelled' })),
    };
  return {
    code: 'crio-version-dependent',
    version,
    message: `${subject}: the newest rules are applied; the conclusions listed depend on the version.`,
    behaviours: relevant,
  };
}

/** The version actually modelled: outside the table, the nearest row's rules. */
export function modelledVersion(v: CrioVersion | null): CrioVersion | null {
  if (v === null || rowOf(v) !== undefined) return v;
  if (atLeast(v, NEWEST + 1)) return v;
  return { major: 1, minor: OLDEST, patch: 0, raw: v.raw };
}

/** The `"runtime"` member of the resolve/trace/check JSON. */
export function runtimeOf(choice: RuntimeChoice): RuntimeJson {
  return runtimeJson(choice.runtime, choice.version);
}

/**
 * `crio-version-dependent` when CRI-O's version is unknown or outside the modelled table, naming the
 * behaviours in `affected` (those the answer rests on); nothing for podman.
 */
export function versionNotes(choice: RuntimeChoice, affected: ReadonlySet<BehaviourName>): VersionNote[] {
  if (choice.runtime !== 'crio') return [];
  const note = versionNote(choice.version, affected);
  return note === null ? [] : [note];
}
