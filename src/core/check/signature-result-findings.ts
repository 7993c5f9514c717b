// Turns the signature verdict of one pull into findings (pure; used by `trace` and the agent).
import type { Finding } from '../findings/types.js';
import { definitionOf, type FindingId } from '../findings/catalogue.js';
import type { PolicyVerdict } from '../policy/evaluate.js';

export interface SignaturePullFacts {
  readonly logicalReference: string;
  readonly physicalReference: string;
  readonly mirror: boolean;
  readonly verdict: PolicyVerdict;
  readonly policyFile: string;
  /** The line of the selected requirement list (or requirement). */
  readonly policyLine: number | null;
  readonly policyScope: string;
  /** Where signatures were looked for: the lookaside base URL, or the registry API. */
  readonly store: string;
  readonly storeIsLocal: boolean;
  /** The registries.d line that chose the lookaside; null for the built-in default. */
  readonly storeOrigin: { readonly file: string; readonly line: number | null } | null;
  readonly storeScope: string;
}

function finding(
  id: FindingId,
  message: string,
  fix: string,
  file: string | null,
  line: number | null,
  scope: string | null,
): Finding {
  return { id, severity: definitionOf(id).severity, message, file, line, scope, fix };
}

export function findingsForSignatureVerdict(f: SignaturePullFacts): Finding[] {
  const v = f.verdict;
  const out: Finding[] = [];
  const via = f.mirror
    ? ` The signature was looked up for ${f.physicalReference} (the mirror that served the image) while its identity is checked against ${f.logicalReference}, as containers/image does.`
    : '';
  switch (v.outcome) {
    case 'missing': {
      const id: FindingId = f.mirror ? 'mirror-signature-missing' : 'signature-missing';
      const noFallback = f.mirror
        ? ' CRI-O does not fall back to the source registry, so the pull fails.'
        : '';
      out.push(
        finding(
          id,
          `${f.logicalReference}: ${v.reason ?? ''} (looked in ${f.store}).${via}${noFallback}`,
          f.storeIsLocal
            ? // Never "publish at file://…": that directory is the problem (signature-storage-local-only).
              `${f.store} is a directory only this node writes: set the lookaside of ${f.storeScope} in registries.d to the http(s) URL where the signatures are published.`
            : f.mirror
              ? `Publish the signature at ${f.store} (the lookaside of the mirror scope ${f.storeScope}), or set that scope's lookaside to the store that has it.`
              : `Publish the signature at ${f.store}, or point registries.d for ${f.storeScope} at the store that has it.`,
          f.storeOrigin?.file ?? f.policyFile,
          f.storeOrigin?.line ?? f.policyLine,
          f.physicalReference,
        ),
      );
      if (f.storeIsLocal) {
        out.push(
          finding(
            'signature-storage-local-only',
            `${f.physicalReference}: signatures are read from the local store ${f.store}; only images signed on this node can verify.`,
            `Add \`docker: {"${f.storeScope}": {lookaside: "https://<signature server>/"}}\` to a file in /etc/containers/registries.d, with the URL where the signatures for ${f.storeScope} are published.`,
            f.storeOrigin?.file ?? null,
            f.storeOrigin?.line ?? null,
            f.storeScope,
          ),
        );
      }
      break;
    }
    case 'invalid':
      if (v.missingKeyPath !== null) {
        out.push(
          finding(
            'signature-key-missing',
            `${f.logicalReference}: ${v.reason ?? ''}`,
            `Install the public key at ${v.missingKeyPath} on the node, or use keyData in ${f.policyFile}.`,
            f.policyFile,
            v.requirement?.line ?? f.policyLine,
            f.policyScope,
          ),
        );
      } else {
        out.push(
          finding(
            'signature-invalid',
            `${f.logicalReference}: ${v.reason ?? ''}.${via}`,
            definitionOf('signature-invalid').fix,
            f.policyFile,
            v.requirement?.line ?? f.policyLine,
            f.policyScope,
          ),
        );
      }
      break;
    case 'store-unreachable':
      out.push(
        finding(
          'signature-store-unreachable',
          `${f.logicalReference}: ${v.reason ?? ''}`,
          `Make ${f.store} reachable from the node; only a 404 means "no more signatures".`,
          f.storeOrigin?.file ?? null,
          f.storeOrigin?.line ?? null,
          f.storeScope,
        ),
      );
      break;
    case 'rejected':
      out.push(
        finding(
          'policy-rejects',
          v.reason ?? '',
          `Add a transports.docker scope in ${f.policyFile} that matches ${f.logicalReference} more specifically than "${f.policyScope}".`,
          f.policyFile,
          v.requirement?.line ?? f.policyLine,
          f.policyScope,
        ),
      );
      break;
    case 'verified':
    case 'not-required':
      break;
  }
  return out;
}
