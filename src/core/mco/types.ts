import type { ImagePolicyObject } from './image-policies.js';
import type { ImagePolicyStatus } from './sigstore-render.js';
// The cluster objects the machine-config-operator renders into the node's registry configuration,
// as read from YAML (with the file and line of everything), and the result of a render.

export type MirrorSetKind = 'ImageContentSourcePolicy' | 'ImageDigestMirrorSet' | 'ImageTagMirrorSet';
export type MirrorSourcePolicy = '' | 'NeverContactSource' | 'AllowContactingSource';

export interface SourceLine {
  readonly file: string;
  /** 1-based; null when unknown. */
  readonly line: number | null;
}

/** One object, as `mirrorOrigins` and messages name it. */
export interface ObjectRef extends SourceLine {
  readonly kind: string;
  readonly name: string;
}

/** One `{source, mirrors, mirrorSourcePolicy}` item of an ICSP / IDMS / ITMS. */
export interface MirrorSetEntry {
  readonly source: string;
  readonly mirrors: readonly string[];
  /** Always '' for an ICSP (the MCO treats it as AllowContactingSource). */
  readonly policy: MirrorSourcePolicy;
  readonly object: ObjectRef;
  /** Line of the list item. */
  readonly line: number | null;
}

export interface MirrorSetObject {
  readonly ref: ObjectRef;
  readonly kind: MirrorSetKind;
  readonly entries: readonly MirrorSetEntry[];
}

/**
 * `spec.registrySources` of `image.config.openshift.io/cluster`. A list is `undefined` when absent,
 * which matters: the MCO distinguishes a nil list from an empty one.
 */
export interface RegistrySources {
  readonly insecureRegistries?: readonly string[];
  readonly blockedRegistries?: readonly string[];
  readonly allowedRegistries?: readonly string[];
  readonly containerRuntimeSearchRegistries?: readonly string[];
}

export interface ImageConfig {
  readonly ref: ObjectRef;
  readonly registrySources: RegistrySources;
}

export interface InputNote {
  readonly message: string;
  readonly file: string;
  readonly line: number | null;
  /** A field the API server prunes (not in the CRD's schema): the object would not do what it says. */
  readonly pruned?: true;
}

export interface ClusterObjects {
  /** ICSP, IDMS and ITMS objects in input order. */
  readonly mirrorSets: readonly MirrorSetObject[];
  readonly image: ImageConfig | null;
  /** `ClusterVersion/version` `status.desired.image`, when an object gave it. */
  readonly releaseImage: { readonly value: string; readonly origin: SourceLine } | null;
  readonly notes: readonly InputNote[];
  /** ClusterImagePolicy and ImagePolicy objects in input order (absent: none were read). */
  readonly imagePolicies?: readonly ImagePolicyObject[];
}

/** The objects an output mirror came from. */
export interface MirrorOrigin {
  readonly mirror: string;
  readonly pullFromMirror: string;
  readonly objects: readonly ObjectRef[];
  /** Set when runtime-utils copied the mirror from a broader mirrored scope (nested-scope propagation). */
  readonly inheritedFrom?: string;
  /** Set when the mirror was already in the template registries.conf. */
  readonly fromTemplate?: boolean;
}

export interface RenderError {
  /** The error text of the MCO (what `fmt.Errorf` produced). */
  readonly message: string;
  /** The whole line the machine-config-controller logs for it. */
  readonly mcoLog: string;
}

export interface RenderResult {
  /** `/etc/containers/registries.conf` as the node gets it; null when the MCO rejects the set. */
  readonly registriesConf: string | null;
  /** False when the MCO leaves the template file in place (nothing to apply). */
  readonly registriesConfGenerated: boolean;
  readonly policyJson: PolicyDocument | null;
  /** policy.json bytes as the MCO writes them; null when it keeps the template file. */
  readonly policyJsonText: string | null;
  /** `/etc/containers/registries.conf.d/01-image-searchRegistries.conf`, when written. */
  readonly searchRegistriesDropIn: string | null;
  /** `/etc/containers/registries.d/sigstore-registries.yaml`, when a (Cluster)ImagePolicy asks for it. */
  readonly sigstoreRegistriesYaml: string | null;
  /** `/etc/crio/policies/<namespace>.json` per namespace with ImagePolicy scopes (4.18+). */
  readonly namespacedPolicies: readonly {
    readonly namespace: string;
    readonly path: string;
    readonly text: string;
  }[];
  /** The status the MCO writes on ImagePolicies whose scopes a ClusterImagePolicy covers. */
  readonly imagePolicyStatuses: readonly ImagePolicyStatus[];
  readonly errors: readonly RenderError[];
  /** Non-fatal messages the controller logs (payload-repository exceptions, objects a version ignores). */
  readonly warnings: readonly string[];
  /** Registry scope → its mirrors in file order, each with the objects that contributed it. */
  readonly mirrorOrigins: Readonly<Record<string, readonly MirrorOrigin[]>>;
}

export interface PolicyRequirement {
  readonly type: string;
  /** Further fields (sigstoreSigned), in the order containers/image's JSON encoding writes them. */
  readonly [field: string]: unknown;
}

/** The subset of containers-policy.json the MCO edits. */
export interface PolicyDocument {
  readonly default: readonly PolicyRequirement[];
  readonly transports: Readonly<Record<string, Readonly<Record<string, readonly PolicyRequirement[]>>>>;
}
