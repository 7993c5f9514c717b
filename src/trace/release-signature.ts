// The release payload's sigstore signature on the mirror that serves it. From OpenShift 4.21 the
// default `openshift` ClusterImagePolicy requires it for ocp-release (4.22: also ocp-v4.0-art-dev,
// every payload image); `oc adm release mirror` (4.21) and oc-mirror v2 with --remove-signatures do
// not copy the `sha256-<hex>.sig` attachment, so a mirror that serves today's payload may fail the
// next pull or upgrade once the policy applies.
import { nameOf, parseCanonicalNamed } from '../core/reference/reference.js';
import { ProbeFailure, type RegistryClient, type StepLog } from '../probe/registry-client.js';
import { sigstoreAttachmentTag } from '../signatures/registry-signatures.js';
import type { ReleaseSignatureCheck } from './types.js';

export const RELEASE_PAYLOAD_REPOSITORIES: readonly string[] = [
  'quay.io/openshift-release-dev/ocp-release',
  'quay.io/openshift-release-dev/ocp-v4.0-art-dev',
];

export function isReleasePayload(logicalReference: string): boolean {
  try {
    return RELEASE_PAYLOAD_REPOSITORIES.includes(nameOf(parseCanonicalNamed(logicalReference)));
  } catch {
    return false;
  }
}

/** HEAD of the attachment tag on the mirror; null when the image is no payload or came from no mirror. */
export async function checkReleaseSignature(input: {
  readonly logicalReference: string;
  readonly physicalReference: string;
  readonly mirror: boolean;
  readonly manifestDigest: string;
  readonly client: RegistryClient;
  readonly log: StepLog;
}): Promise<ReleaseSignatureCheck | null> {
  if (!input.mirror || !isReleasePayload(input.logicalReference)) return null;
  const physical = parseCanonicalNamed(input.physicalReference);
  const tag = sigstoreAttachmentTag(input.manifestDigest);
  const where = `${nameOf(physical)}:${tag}`;
  const base = { repository: nameOf(parseCanonicalNamed(input.logicalReference)), attachment: where };
  try {
    const answer = await input.client.manifest(physical.path, tag, 'HEAD', input.log);
    if (answer.status === 200)
      return { ...base, present: true, reason: `the mirror has the sigstore signature ${where}` };
    if (answer.status === 404)
      return {
        ...base,
        present: false,
        reason: `the mirror has no sigstore signature for ${input.manifestDigest} (${where}: HTTP 404)`,
      };
    return { ...base, present: null, reason: `cannot tell: ${answer.classified.reason}` };
  } catch (err) {
    if (!(err instanceof ProbeFailure)) throw err;
    return { ...base, present: null, reason: `cannot tell: ${err.classified.reason}` };
  }
}
