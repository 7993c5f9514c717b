// policy.json as containers/image understands it (`signature/policy_types.go`), with the line of
// every requirement so findings can point at it.

export type IdentityMatch =
  | { readonly type: 'matchExact' }
  | { readonly type: 'matchRepoDigestOrExact' }
  | { readonly type: 'matchRepository' }
  | { readonly type: 'exactReference'; readonly dockerReference: string }
  | { readonly type: 'exactRepository'; readonly dockerRepository: string }
  | { readonly type: 'remapIdentity'; readonly prefix: string; readonly signedPrefix: string };

/** A sigstoreSigned key added to containers/image after 5.23, and the feature it belongs to. */
export interface VersionedPolicyKey {
  readonly key: string;
  readonly feature: 'fulcio' | 'multipleKeys' | 'pki';
  readonly line: number;
}

export type GpgKeyType = 'GPGKeys' | 'signedByGPGKeys' | 'X509Certificates' | 'signedByX509CAs';

/** Exactly one key source, as the policy wrote it; paths are paths on the node. */
export type KeySource =
  | { readonly kind: 'keyPath'; readonly path: string; readonly line: number }
  | { readonly kind: 'keyPaths'; readonly paths: readonly string[]; readonly line: number }
  | { readonly kind: 'keyData'; readonly data: Uint8Array; readonly line: number }
  | { readonly kind: 'keyDatas'; readonly datas: readonly Uint8Array[]; readonly line: number };

export type Requirement = { readonly line: number } & (
  | { readonly type: 'insecureAcceptAnything' }
  | { readonly type: 'reject' }
  | {
      readonly type: 'signedBy';
      readonly keyType: GpgKeyType;
      readonly keys: KeySource;
      readonly signedIdentity: IdentityMatch;
    }
  | { readonly type: 'signedBaseLayer' }
  | {
      readonly type: 'sigstoreSigned';
      /** null when the policy uses fulcio or pki, which mirrorscope does not verify. */
      readonly keys: KeySource | null;
      readonly certificateBased: 'fulcio' | 'pki' | null;
      readonly signedIdentity: IdentityMatch;
      /** Keys that only newer containers/image versions know (for runtime-version checks). */
      readonly versionedKeys: readonly VersionedPolicyKey[];
    }
);

export interface RequirementList {
  /** `default`, or the scope string below `transports.<transport>` (may be `""`). */
  readonly scope: string;
  readonly isDefault: boolean;
  readonly line: number;
  readonly requirements: readonly Requirement[];
}

export interface Policy {
  readonly file: string;
  readonly default: RequirementList;
  /** transport name → scope → requirements, in file order. */
  readonly transports: ReadonlyMap<string, ReadonlyMap<string, RequirementList>>;
}

export function isVerifyingRequirement(r: Requirement): boolean {
  return r.type === 'signedBy' || r.type === 'sigstoreSigned';
}
