// Where admission and the pull look at different things. Admission reads the image string in the pod
// spec; CRI-O pulls that name through registries.conf, often from a mirror. A repo allow-list that
// passes the source can hide a pull from an unlisted mirror, and mirroring an image into the allowed
// registry only satisfies the list when the pod spec names the mirror itself.
import type { AdmissionDecision } from './types.js';

export interface PullSource {
  /** The reference pulled from this source (after the registries.conf rewrite). */
  readonly reference: string;
  readonly mirror: boolean;
}

export interface DisagreementInput {
  /** As written in the pod spec. */
  readonly image: string;
  /** CRI-O's sources in order; null when the node's registries.conf is not known. */
  readonly sources: readonly PullSource[] | null;
  readonly gatekeeper: readonly AdmissionDecision[];
  /** Gatekeeper's decisions had the pod spec named `image` instead. */
  readonly gatekeeperFor: (image: string) => readonly AdmissionDecision[];
  readonly portieris: AdmissionDecision | null;
  /** The image Portieris rewrites the pod to, when it does. */
  readonly mutatedTo: string | null;
}

const key = (d: AdmissionDecision) => `${d.policy?.kind}/${d.policy?.name}`;

export function admissionPullDisagreements(input: DisagreementInput): string[] {
  const notes: string[] = [];
  const mirrors = (input.sources ?? []).filter((s) => s.mirror);
  const repoDecisions = input.gatekeeper.filter((d) => d.checks.some((c) => c.kind === 'repos'));
  if (repoDecisions.length > 0 && input.sources !== null) {
    const first = input.sources[0];
    if (first !== undefined && first.mirror)
      notes.push(
        `Gatekeeper checks ${input.image} as written in the pod spec; CRI-O pulls it from ${first.reference} first, a host the allow-list never sees`,
      );
    const denied = repoDecisions.filter((d) => d.allowed === false);
    for (const m of mirrors) {
      const asMirror = new Map(input.gatekeeperFor(m.reference).map((d) => [key(d), d]));
      const passes = denied.filter((d) => asMirror.get(key(d))?.allowed === true);
      if (passes.length > 0)
        notes.push(
          `naming the mirror ${m.reference} in the pod spec would pass ${passes.map((d) => d.policy?.name).join(', ')}: mirroring into the allowed registry only helps when the pod spec names the mirror`,
        );
      const refused = repoDecisions.filter(
        (d) => d.allowed === true && asMirror.get(key(d))?.allowed === false,
      );
      if (refused.length > 0)
        notes.push(
          `admitted, yet CRI-O may pull from the mirror ${m.reference}, which ${refused.map((d) => d.policy?.name).join(', ')} would refuse if the pod spec named it`,
        );
    }
  }
  if (input.portieris !== null && input.portieris.policy !== null) {
    const verifies = input.portieris.checks.some((c) => c.kind === 'simple');
    if (verifies && mirrors.length > 0)
      notes.push(
        `Portieris reads the manifest and signatures of ${input.image} from the registry named in the pod spec (it does not read registries.conf), while CRI-O pulls from ${mirrors[0]!.reference}; in a disconnected cluster Portieris cannot reach that registry and denies with its error`,
      );
    if (mirrors.length > 0)
      notes.push(
        `Portieris policies match the name in the pod spec (${input.image}), never the mirror; a policy written for the mirror's repository does not apply`,
      );
  }
  if (input.mutatedTo !== null)
    notes.push(
      `Portieris rewrites the image to ${input.mutatedTo}: CRI-O then pulls by digest, so digest-only mirror rules (ImageDigestMirrorSet, ICSP) apply to the pod as admitted`,
    );
  return notes;
}
