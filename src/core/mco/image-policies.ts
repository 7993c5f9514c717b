// ClusterImagePolicy and ImagePolicy (config.openshift.io v1alpha1 and v1): the API fields, checked
// as the CRD does, and the containers-policy.json `sigstoreSigned` requirement the MCO builds from
// them (`policyItemFromSpec`, pkg/controller/container-runtime-config/helpers.go at MCO 7ff337a4ff).
// Field order and base64 of the requirement follow containers/image's prSigstoreSigned JSON.
import { configError } from '../errors.js';
import type { Located } from './yaml-tree.js';
import type { ObjectRef, PolicyRequirement } from './types.js';

export type ImagePolicyKind = 'ClusterImagePolicy' | 'ImagePolicy';
export const IMAGE_POLICY_KINDS: readonly string[] = ['ClusterImagePolicy', 'ImagePolicy'];
export const IMAGE_POLICY_API_VERSIONS: readonly string[] = [
  'config.openshift.io/v1alpha1',
  'config.openshift.io/v1',
];

export interface ImagePolicyObject {
  readonly kind: ImagePolicyKind;
  readonly apiVersion: string;
  readonly ref: ObjectRef;
  /** null for a ClusterImagePolicy. */
  readonly namespace: string | null;
  readonly scopes: readonly { readonly value: string; readonly line: number | null }[];
  readonly requirement: PolicyRequirement;
}

type Fields = Map<string, Located>;

class Fail {
  constructor(
    readonly file: string,
    readonly what: string,
  ) {}

  at(node: Located | null, message: string): never {
    throw configError(`${this.what}: ${message}`, { file: this.file, line: node?.line ?? null });
  }

  map(node: Located | undefined, path: string, parent: Located): Fields {
    if (node === undefined || node.value === null) return this.at(parent, `${path}: Required value`);
    if (node.value instanceof Map) return node.value;
    return this.at(node, `${path} must be a mapping`);
  }

  optionalMap(node: Located | undefined, path: string): Fields | null {
    if (node === undefined || node.value === null) return null;
    if (node.value instanceof Map) return node.value;
    return this.at(node, `${path} must be a mapping`);
  }

  string(node: Located | undefined, path: string, parent: Located, required = true): string {
    if (node === undefined || node.value === null || node.value === '') {
      if (required) return this.at(node ?? parent, `${path}: Required value`);
      return '';
    }
    if (typeof node.value === 'string') return node.value;
    return this.at(node, `${path} must be a string`);
  }

  /** A `[]byte` field: base64 in the API; the requirement carries it re-encoded as Go does. */
  bytes(node: Located | undefined, path: string, parent: Located, required = true): string {
    const text = this.string(node, path, parent, required);
    if (text === '') return '';
    const compact = text.replace(/[\r\n]/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0)
      return this.at(node ?? parent, `${path}: Invalid value: illegal base64 data`);
    return Buffer.from(compact, 'base64').toString('base64');
  }
}

const POLICY_TYPES = ['PublicKey', 'FulcioCAWithRekor', 'PKI'];
const MATCH_POLICIES = ['MatchRepoDigestOrExact', 'MatchRepository', 'ExactRepository', 'RemapIdentity'];

function rootOfTrust(f: Fail, policy: Fields, at: Located): [string, unknown][] {
  const root = f.map(policy.get('rootOfTrust'), 'spec.policy.rootOfTrust', at);
  const typeNode = root.get('policyType');
  const type = f.string(typeNode, 'spec.policy.rootOfTrust.policyType', at);
  const member = (key: string) => f.map(root.get(key), `spec.policy.rootOfTrust.${key}`, typeNode!);
  const path = (key: string, field: string) => `spec.policy.rootOfTrust.${key}.${field}`;
  switch (type) {
    case 'PublicKey': {
      const k = member('publicKey');
      const rekor = f.bytes(k.get('rekorKeyData'), path('publicKey', 'rekorKeyData'), at, false);
      return [
        ['keyData', f.bytes(k.get('keyData'), path('publicKey', 'keyData'), at)],
        ...(rekor !== '' ? [['rekorPublicKeyData', rekor] as [string, unknown]] : []),
      ];
    }
    case 'FulcioCAWithRekor': {
      const k = member('fulcioCAWithRekor');
      const subject = f.map(k.get('fulcioSubject'), path('fulcioCAWithRekor', 'fulcioSubject'), at);
      const fulcio: [string, unknown][] = [
        ['caData', f.bytes(k.get('fulcioCAData'), path('fulcioCAWithRekor', 'fulcioCAData'), at)],
        [
          'oidcIssuer',
          f.string(subject.get('oidcIssuer'), path('fulcioCAWithRekor', 'fulcioSubject.oidcIssuer'), at),
        ],
        [
          'subjectEmail',
          f.string(subject.get('signedEmail'), path('fulcioCAWithRekor', 'fulcioSubject.signedEmail'), at),
        ],
      ];
      return [
        ['fulcio', Object.fromEntries(fulcio)],
        ['rekorPublicKeyData', f.bytes(k.get('rekorKeyData'), path('fulcioCAWithRekor', 'rekorKeyData'), at)],
      ];
    }
    case 'PKI': {
      const k = member('pki');
      const subject = f.map(k.get('pkiCertificateSubject'), path('pki', 'pkiCertificateSubject'), at);
      const email = f.string(subject.get('email'), path('pki', 'pkiCertificateSubject.email'), at, false);
      const hostname = f.string(
        subject.get('hostname'),
        path('pki', 'pkiCertificateSubject.hostname'),
        at,
        false,
      );
      if (email === '' && hostname === '')
        f.at(
          k.get('pkiCertificateSubject')!,
          'at least one of email or hostname must be set in pkiCertificateSubject',
        );
      const intermediates = f.bytes(
        k.get('caIntermediatesData'),
        path('pki', 'caIntermediatesData'),
        at,
        false,
      );
      const pki: [string, unknown][] = [
        ['caRootsData', f.bytes(k.get('caRootsData'), path('pki', 'caRootsData'), at)],
        ...(intermediates !== '' ? [['caIntermediatesData', intermediates] as [string, unknown]] : []),
        ...(email !== '' ? [['subjectEmail', email] as [string, unknown]] : []),
        ...(hostname !== '' ? [['subjectHostname', hostname] as [string, unknown]] : []),
      ];
      return [['pki', Object.fromEntries(pki)]];
    }
    default:
      return f.at(
        typeNode ?? at,
        `spec.policy.rootOfTrust.policyType: Unsupported value: "${type}": supported values: ${POLICY_TYPES.map((t) => `"${t}"`).join(', ')}`,
      );
  }
}

function signedIdentity(f: Fail, policy: Fields, at: Located): Record<string, string> {
  const node = policy.get('signedIdentity');
  const identity = f.optionalMap(node, 'spec.policy.signedIdentity');
  if (identity === null) return { type: 'matchRepoDigestOrExact' };
  const matchNode = identity.get('matchPolicy');
  const match = f.string(matchNode, 'spec.policy.signedIdentity.matchPolicy', node!);
  const sub = (key: string) => f.map(identity.get(key), `spec.policy.signedIdentity.${key}`, matchNode!);
  switch (match) {
    case 'MatchRepoDigestOrExact':
      return { type: 'matchRepoDigestOrExact' };
    case 'MatchRepository':
      return { type: 'matchRepository' };
    case 'ExactRepository':
      return {
        type: 'exactRepository',
        dockerRepository: f.string(
          sub('exactRepository').get('repository'),
          'spec.policy.signedIdentity.exactRepository.repository',
          at,
        ),
      };
    case 'RemapIdentity': {
      const remap = sub('remapIdentity');
      return {
        type: 'remapIdentity',
        prefix: f.string(remap.get('prefix'), 'spec.policy.signedIdentity.remapIdentity.prefix', at),
        signedPrefix: f.string(
          remap.get('signedPrefix'),
          'spec.policy.signedIdentity.remapIdentity.signedPrefix',
          at,
        ),
      };
    }
    default:
      return f.at(
        matchNode ?? node!,
        `spec.policy.signedIdentity.matchPolicy: Unsupported value: "${match}": supported values: ${MATCH_POLICIES.map((t) => `"${t}"`).join(', ')}`,
      );
  }
}

const LABEL = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const WILDCARD_SCOPE = new RegExp(`^\\*(?:\\.${LABEL})+$`);
const PLAIN_SCOPE = new RegExp(
  `^((((?:${LABEL})(?:\\.${LABEL})+(?::[0-9]+)?)|(localhost(?::[0-9]+)?))(?:(?:/[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?)+)?)(?::([\\w][\\w.-]{0,127}))?(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}))?$`,
);

/** The CRD's `ImageScope` rules (openshift/api config/v1 types_image_policy.go), with its messages. */
function scopeProblem(scope: string): string | null {
  if (scope.length > 512) return 'may not be longer than 512 characters';
  const host = scope.split('/')[0]!;
  if (host.split('.').length === 1 && host.split(':')[0] !== 'localhost')
    return "invalid image scope format, scope must contain a fully qualified domain name or 'localhost'";
  if (scope.includes('*'))
    return WILDCARD_SCOPE.test(scope)
      ? null
      : 'invalid image scope with wildcard, a wildcard can only be at the start of the domain and is only supported for subdomain matching, not path matching';
  return PLAIN_SCOPE.test(scope)
    ? null
    : 'invalid repository namespace or image specification in the image scope';
}

export function readImagePolicy(
  file: string,
  obj: Fields,
  kind: ImagePolicyKind,
  apiVersion: string,
  at: Located,
): ImagePolicyObject {
  const meta = obj.get('metadata');
  const metadata = meta?.value instanceof Map ? meta.value : null;
  const nameNode = metadata?.get('name');
  const name = typeof nameNode?.value === 'string' ? nameNode.value : '';
  if (name === '') throw configError(`${kind} has no metadata.name`, { file, line: at.line });
  const f = new Fail(file, `${kind} "${name}"`);
  let namespace: string | null = null;
  if (kind === 'ImagePolicy') {
    namespace = f.string(metadata?.get('namespace'), 'metadata.namespace', at);
  }
  const spec = f.map(obj.get('spec'), 'spec', at);
  const scopesNode = spec.get('scopes');
  if (scopesNode === undefined || scopesNode.value === null || !Array.isArray(scopesNode.value))
    return f.at(scopesNode ?? at, 'spec.scopes: Required value (a list of scopes)');
  if (scopesNode.value.length === 0) return f.at(scopesNode, 'spec.scopes: at least one scope is required');
  if (scopesNode.value.length > 256)
    return f.at(scopesNode, 'spec.scopes: Too many: must have at most 256 items');
  const scopes = scopesNode.value.map((node, i) => {
    const value = f.string(node, `spec.scopes[${i}]`, scopesNode);
    const problem = scopeProblem(value);
    if (problem !== null) f.at(node, `spec.scopes[${i}]: Invalid value: "${value}": ${problem}`);
    return { value, line: node.line };
  });
  const duplicate = scopes.find((s, i) => scopes.findIndex((t) => t.value === s.value) !== i);
  if (duplicate !== undefined) f.at(scopesNode, `spec.scopes: Duplicate value: "${duplicate.value}"`);
  const policy = f.map(spec.get('policy'), 'spec.policy', at);
  const requirement = Object.fromEntries([
    ['type', 'sigstoreSigned'],
    ...rootOfTrust(f, policy, at),
    ['signedIdentity', signedIdentity(f, policy, at)],
  ]) as unknown as PolicyRequirement;
  return {
    kind,
    apiVersion,
    ref: { kind, name, file, line: at.line },
    namespace,
    scopes,
    requirement,
  };
}
