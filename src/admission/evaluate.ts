// The admission answer for images as pods would name them: Portieris (when installed) and every
// Gatekeeper constraint that applies, with the signature check done against the real registry, and
// where admission and the pull (through the node's mirrors) look at different names.
import type { CertFile } from '../host/certs-d.js';
import { admissionPullDisagreements, type PullSource } from '../core/admission/disagreement.js';
import { decideGatekeeper, type GatekeeperContainer } from '../core/admission/gatekeeper-decision.js';
import type { PodFacts } from '../core/admission/gatekeeper-match.js';
import type { AdmissionObjects } from '../core/admission/objects.js';
import {
  concludePortieris,
  preparePortieris,
  type PortierisSignatureOutcome,
} from '../core/admission/portieris-decision.js';
import { combineAllowed, type AdmissionDecision } from '../core/admission/types.js';
import { verifyPortierisSignature } from './portieris-verify.js';

export interface AdmissionQuery {
  /** As the pod spec writes it. */
  readonly image: string;
  readonly namespace: string;
  readonly container: GatekeeperContainer['name'];
  readonly field?: GatekeeperContainer['field'];
  /** null: not known. */
  readonly labels: ReadonlyMap<string, string> | null;
  readonly podName: string | null;
  /** `Deployment/web`, when the query comes from a manifest. */
  readonly workload?: string;
}

export interface AdmissionResult {
  readonly image: string;
  readonly namespace: string;
  /** The manifest's workload and container, when the image came from one. */
  readonly workload?: { readonly name: string; readonly container: string };
  readonly decisions: readonly AdmissionDecision[];
  readonly allowed: boolean | null;
  /** CRI-O's sources for the image on the node given, or null. */
  readonly pull: { readonly sources: readonly PullSource[] } | null;
  readonly notes: readonly string[];
}

export interface AdmissionOptions {
  /** Portieris runs in the cluster even when no policy is given (then it denies everything). */
  readonly portierisInstalled: boolean;
  /** Contact registries and signature stores for `simple` policies. */
  readonly verifySignatures: boolean;
  readonly cas: readonly CertFile[];
  readonly timeoutMs: number;
  /** CRI-O's pull sources for an image, when a node's configuration is known. */
  readonly pullSources?: (image: string) => readonly PullSource[] | null;
}

/** Containers are named after the image's last path component, as `kubectl create deployment` does. */
export function defaultContainerName(image: string): string {
  const path = image.split('@')[0]!;
  const last = path.slice(path.lastIndexOf('/') + 1);
  const colon = last.indexOf(':');
  return colon === -1 ? last : last.slice(0, colon);
}

export async function evaluateAdmission(
  queries: readonly AdmissionQuery[],
  objects: AdmissionObjects,
  options: AdmissionOptions,
): Promise<AdmissionResult[]> {
  const portierisActive = options.portierisInstalled || objects.portierisPolicies.length > 0;
  return Promise.all(
    queries.map(async (q) => {
      const pod: PodFacts = {
        namespace: q.namespace,
        labels: q.labels,
        name: q.podName,
        namespaceObject: objects.namespaces.find((n) => n.meta.name === q.namespace) ?? null,
      };
      const gatekeeperFor = (image: string) =>
        decideGatekeeper({ field: q.field ?? 'containers', name: q.container, image }, pod, objects);
      const gatekeeper = gatekeeperFor(q.image);
      let portieris: AdmissionDecision | null = null;
      let mutatedTo: string | null = null;
      if (portierisActive) {
        const prep = preparePortieris(q.image, q.namespace, objects);
        let outcome: PortierisSignatureOutcome | null = null;
        if (prep.signature !== null) {
          // Portieris verifies even after a Vulnerability Advisor denial: both lines reach the response.
          outcome = options.verifySignatures
            ? await verifyPortierisSignature(prep.signature, {
                timeoutMs: options.timeoutMs,
                cas: options.cas,
              })
            : {
                kind: 'unknown',
                detail: 'not checked: --offline (signatures live in the registry or store)',
              };
        }
        portieris = concludePortieris(prep, outcome);
        if (
          outcome?.kind === 'verified' &&
          prep.mutate &&
          portieris.allowed !== false &&
          prep.parsed !== null
        )
          mutatedTo = `${prep.parsed.name}@${outcome.digest}`;
      }
      const decisions = portieris === null ? gatekeeper : [portieris, ...gatekeeper];
      const sources = options.pullSources?.(q.image) ?? null;
      const notes = admissionPullDisagreements({
        image: q.image,
        sources,
        gatekeeper,
        gatekeeperFor,
        portieris,
        mutatedTo,
      });
      return {
        image: q.image,
        namespace: q.namespace,
        ...(q.workload === undefined ? {} : { workload: { name: q.workload, container: q.container } }),
        decisions,
        allowed: combineAllowed(decisions),
        pull: sources === null ? null : { sources },
        notes,
      };
    }),
  );
}
