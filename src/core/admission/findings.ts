// The Admission section as findings, so the cause model groups admission refusals with everything
// else: each classified denial a workload reported, and each running image a new pod could not use.
import { ADMISSION_FINDINGS } from '../findings/catalogue/admission.js';
import type { NodeFinding } from '../findings/types.js';
import type { AdmissionSection } from './cluster-section.js';
import type { AdmissionDenialKind } from './denial-events.js';

export type AdmissionFinding = Pick<
  NodeFinding<AdmissionDenialKind>,
  'id' | 'severity' | 'message' | 'fix' | 'key' | 'scope' | 'image'
>;

function checkKind(controller: string, kinds: readonly string[]): AdmissionDenialKind | null {
  if (controller === 'gatekeeper' && kinds.includes('repos')) return 'admission-repo-not-allowed';
  if (controller === 'portieris' && kinds.includes('policy-choice')) return 'admission-no-policy';
  return null;
}

export function admissionFindings(section: AdmissionSection): AdmissionFinding[] {
  const out = new Map<string, AdmissionFinding>();
  for (const d of section.denials) {
    if (d.kind === null) continue;
    const subject = d.constraint ?? d.namespace;
    const key = `${d.kind}:${subject}:${d.namespace}/${d.object.kind}/${d.object.name}:${d.image ?? ''}`;
    out.set(key, {
      id: d.kind,
      severity: ADMISSION_FINDINGS[d.kind].severity,
      message: `${d.namespace}/${d.object.kind}/${d.object.name} cannot create pods (${d.count}×, last ${d.lastSeen}): ${d.message}`,
      fix: ADMISSION_FINDINGS[d.kind].fix,
      key,
      scope: subject,
      image: d.image,
    });
  }
  for (const i of section.images) {
    if (i.allowed !== false) continue;
    for (const d of i.decisions) {
      if (d.allowed !== false) continue;
      const id = checkKind(
        d.controller,
        d.checks.filter((c) => c.outcome === 'fail').map((c) => c.kind),
      );
      if (id === null) continue;
      const subject = d.policy?.name ?? i.namespace;
      const key = `${id}:${subject}:${i.namespace}:${i.image}`;
      if ([...out.values()].some((f) => f.id === id && f.image === i.image && f.scope === subject)) continue;
      out.set(key, {
        id,
        // Running pods are fine; the next pod (a restart, a scale-up) will be refused.
        severity: 'warning',
        message: `${i.image} in ${i.namespace} (running in ${i.pods.join(', ')}) would be refused for a new pod: ${d.message}`,
        fix: ADMISSION_FINDINGS[id].fix,
        key,
        scope: subject,
        image: i.image,
      });
    }
  }
  return [...out.values()];
}
