// The Admission section of the cluster report: which admission controllers the cluster runs, the
// denials workload controllers reported (FailedCreate events), Gatekeeper's own audit violations per
// pod and image, and, for every image running pods use, what admission would decide for a new pod in
// the same namespace now (so a rollout restart that would be refused shows before it happens).
import type { AdmissionDenial, AdmissionDenialKind } from './denial-events.js';
import { auditViolationsNaming, decideGatekeeper } from './gatekeeper-decision.js';
import type { ContainerField } from './gatekeeper-repos.js';
import type { AdmissionObjects } from './objects.js';
import { concludePortieris, preparePortieris } from './portieris-decision.js';
import { combineAllowed, type AdmissionDecision } from './types.js';

export interface PodAdmissionInput {
  readonly namespace: string;
  readonly name: string;
  readonly labels: ReadonlyMap<string, string>;
  readonly containers: readonly {
    readonly field: ContainerField;
    readonly name: string;
    readonly image: string;
  }[];
}

export interface DenialEventInput {
  readonly namespace: string;
  /** The workload the event is about (ReplicaSet, Job, DaemonSet, …). */
  readonly object: { readonly kind: string; readonly name: string };
  readonly count: number;
  readonly lastSeen: string;
  readonly denials: readonly AdmissionDenial[];
}

export interface AdmissionInput {
  /** Which controllers' CRDs the API server serves (discovery). */
  readonly portieris: boolean;
  readonly gatekeeper: boolean;
  readonly objects: AdmissionObjects;
  readonly pods: readonly PodAdmissionInput[];
  readonly events: readonly DenialEventInput[];
}

export interface AdmissionDenialReport extends AdmissionDenial {
  readonly namespace: string;
  readonly object: { readonly kind: string; readonly name: string };
  readonly count: number;
  readonly lastSeen: string;
}

export interface AuditViolationReport {
  readonly constraint: { readonly kind: string; readonly name: string };
  readonly object: { readonly kind: string; readonly name: string; readonly namespace: string | null };
  readonly message: string;
  readonly enforcementAction: string;
  /** The image the message names (`<IMAGE>` in the library templates' wording), when one matches a container of the pod. */
  readonly image: string | null;
}

export interface AdmissionImageReport {
  readonly image: string;
  readonly namespace: string;
  /** Pods in the namespace running it (up to 5 named). */
  readonly pods: readonly string[];
  readonly allowed: boolean | null;
  readonly decisions: readonly AdmissionDecision[];
}

export interface AdmissionSection {
  readonly controllers: {
    readonly portieris: { readonly imagePolicies: number; readonly clusterImagePolicies: number } | null;
    readonly gatekeeper: { readonly templates: number; readonly constraints: number } | null;
  };
  readonly denials: readonly AdmissionDenialReport[];
  readonly violations: readonly AuditViolationReport[];
  /** Running images a new pod could not be admitted with now (denied), or that cannot be decided here. */
  readonly images: readonly AdmissionImageReport[];
  readonly counts: {
    readonly denials: number;
    readonly violations: number;
    readonly imagesDenied: number;
    readonly imagesUndecided: number;
    readonly byKind: Readonly<Partial<Record<AdmissionDenialKind, number>>>;
  };
  readonly notes: readonly string[];
}

const MAX_PODS_NAMED = 5;
/** Undecided images (mostly signature checks the collector cannot do) are listed up to this many. */
const MAX_UNDECIDED_LISTED = 20;

function podsByKey(
  pods: readonly PodAdmissionInput[],
): Map<
  string,
  { pod: PodAdmissionInput; container: PodAdmissionInput['containers'][number]; pods: string[] }
> {
  const out = new Map<
    string,
    { pod: PodAdmissionInput; container: PodAdmissionInput['containers'][number]; pods: string[] }
  >();
  for (const pod of pods) {
    for (const container of pod.containers) {
      // Labels decide labelSelector matches: pods with other labels are other cases.
      const key = [
        pod.namespace,
        container.image,
        container.field,
        container.name,
        JSON.stringify([...pod.labels].sort()),
      ].join('\u0000');
      const entry = out.get(key);
      if (entry === undefined) out.set(key, { pod, container, pods: [pod.name] });
      else if (!entry.pods.includes(pod.name)) entry.pods.push(pod.name);
    }
  }
  return out;
}

function auditViolations(input: AdmissionInput): AuditViolationReport[] {
  const imagesOf = new Map(
    input.pods.map((p) => [`${p.namespace}/${p.name}`, p.containers.map((c) => c.image)]),
  );
  return input.objects.constraints.flatMap((c) =>
    c.violations.map((v) => {
      const images = v.kind === 'Pod' ? (imagesOf.get(`${v.namespace ?? ''}/${v.name}`) ?? []) : [];
      return {
        constraint: { kind: c.meta.kind, name: c.meta.name },
        object: { kind: v.kind, name: v.name, namespace: v.namespace },
        message: v.message,
        enforcementAction: v.enforcementAction || c.enforcementAction,
        image: images.find((i) => auditViolationsNaming({ ...c, violations: [v] }, i).length > 0) ?? null,
      };
    }),
  );
}

export function buildAdmissionSection(input: AdmissionInput): AdmissionSection {
  const { objects } = input;
  const denials: AdmissionDenialReport[] = input.events
    .flatMap((e) =>
      e.denials.map((d) => ({
        ...d,
        namespace: e.namespace,
        object: e.object,
        count: e.count,
        lastSeen: e.lastSeen,
      })),
    )
    .sort((a, b) => (a.lastSeen < b.lastSeen ? 1 : a.lastSeen > b.lastSeen ? -1 : 0));
  const images: AdmissionImageReport[] = [];
  for (const { pod, container, pods } of podsByKey(input.pods).values()) {
    const decisions: AdmissionDecision[] = [];
    if (input.portieris) {
      const prep = preparePortieris(container.image, pod.namespace, objects, { secretsKnown: false });
      decisions.push(concludePortieris(prep, null));
    }
    if (input.gatekeeper) {
      const namespaceObject = objects.namespaces.find((n) => n.meta.name === pod.namespace) ?? null;
      decisions.push(
        ...decideGatekeeper(
          container,
          { namespace: pod.namespace, labels: pod.labels, name: pod.name, namespaceObject },
          objects,
        ),
      );
    }
    const allowed = combineAllowed(decisions);
    if (allowed === true) continue;
    images.push({
      image: container.image,
      namespace: pod.namespace,
      pods: pods.slice(0, MAX_PODS_NAMED),
      allowed,
      decisions,
    });
  }
  const undecidedTotal = images.filter((i) => i.allowed === null).length;
  images.sort(
    (a, b) =>
      Number(a.allowed !== false) - Number(b.allowed !== false) ||
      a.namespace.localeCompare(b.namespace) ||
      a.image.localeCompare(b.image),
  );
  const listed = images
    .filter((i) => i.allowed === false)
    .concat(images.filter((i) => i.allowed === null).slice(0, MAX_UNDECIDED_LISTED));
  const violations = auditViolations(input);
  const byKind: Partial<Record<AdmissionDenialKind, number>> = {};
  for (const d of denials) if (d.kind !== null) byKind[d.kind] = (byKind[d.kind] ?? 0) + 1;
  const notes = objects.notes.map((n) => `${n.file}: ${n.message}`);
  if (
    input.portieris &&
    objects.portierisPolicies.some((p) => p.repositories.some((r) => r.policy.simple.requirements.length > 0))
  )
    notes.push(
      'Portieris simple signatures are not verified by the collector (it reads no Secrets); `mirrorscope admission` does it with the key Secret',
    );
  return {
    controllers: {
      portieris: input.portieris
        ? {
            imagePolicies: objects.portierisPolicies.filter((p) => p.kind === 'ImagePolicy').length,
            clusterImagePolicies: objects.portierisPolicies.filter((p) => p.kind === 'ClusterImagePolicy')
              .length,
          }
        : null,
      gatekeeper: input.gatekeeper
        ? { templates: objects.templates.length, constraints: objects.constraints.length }
        : null,
    },
    denials,
    violations,
    images: listed,
    counts: {
      denials: denials.length,
      violations: violations.length,
      imagesDenied: images.filter((i) => i.allowed === false).length,
      imagesUndecided: undecidedTotal,
      byKind,
    },
    notes,
  };
}
