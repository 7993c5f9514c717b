// The Admission section on every surface: the page, the terminal report and the ConfigMap digest,
// all from the one AdmissionSection the collector builds.
import type { AdmissionSection } from '../admission/cluster-section.js';
import type { AdmissionDecision } from '../admission/types.js';

const MAX_ROWS = 100;
const DIGEST_DENIALS = 10;

function esc(value: string | number | null | undefined): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function verdict(allowed: boolean | null): string {
  return allowed === false ? 'denied' : allowed === null ? 'cannot tell' : 'allowed';
}

function controllersLine(section: AdmissionSection): string {
  const { portieris, gatekeeper } = section.controllers;
  const parts: string[] = [];
  if (portieris !== null)
    parts.push(
      `Portieris: ${portieris.imagePolicies} ImagePolicies, ${portieris.clusterImagePolicies} ClusterImagePolicies`,
    );
  if (gatekeeper !== null)
    parts.push(
      `Gatekeeper: ${gatekeeper.templates} ConstraintTemplates, ${gatekeeper.constraints} constraints`,
    );
  return parts.join('; ');
}

function decisionText(d: AdmissionDecision): string {
  const who = d.policy === null ? d.controller : `${d.controller} ${d.policy.kind}/${d.policy.name}`;
  return `${who}: ${verdict(d.allowed)} — ${d.message.replace(/\n/g, ' / ')}`;
}

export function admissionSectionHtml(section: AdmissionSection): string {
  const denials =
    section.denials.length === 0
      ? '<p class="ok-banner">No workload reported an admission denial in the last hour.</p>'
      : `<table id="admission-denials"><thead><tr><th>Last seen</th><th>Namespace</th><th>Workload</th><th>Controller</th><th>Image</th><th>Denial</th><th>Count</th></tr></thead><tbody>${section.denials
          .slice(0, MAX_ROWS)
          .map(
            (d) =>
              `<tr><td>${esc(d.lastSeen)}</td><td>${esc(d.namespace)}</td><td>${esc(d.object.kind)}/${esc(d.object.name)}</td><td>${esc(d.controller)}${d.constraint === null ? '' : ` <span class="dim">${esc(d.constraint)}</span>`}</td><td>${esc(d.image ?? '')}</td><td>${d.kind === null ? '' : `<span class="fid">${esc(d.kind)}</span> `}${esc(d.message)}</td><td>${d.count}</td></tr>`,
          )
          .join('')}</tbody></table>`;
  const images =
    section.images.length === 0
      ? '<p class="ok-banner">Every running image would be admitted again.</p>'
      : `<table id="admission-images"><thead><tr><th>Namespace</th><th>Image</th><th>Pods</th><th>A new pod would be</th><th>Decisions</th></tr></thead><tbody>${section.images
          .slice(0, MAX_ROWS)
          .map(
            (i) =>
              `<tr><td>${esc(i.namespace)}</td><td>${esc(i.image)}</td><td>${esc(i.pods.join(', '))}</td><td>${esc(verdict(i.allowed))}</td><td><ul class="plain">${i.decisions.map((d) => `<li>${esc(decisionText(d))}</li>`).join('')}</ul></td></tr>`,
          )
          .join('')}</tbody></table>`;
  const violations =
    section.violations.length === 0
      ? ''
      : `<h3>Gatekeeper audit violations</h3><table id="admission-violations"><thead><tr><th>Constraint</th><th>Object</th><th>Action</th><th>Message</th></tr></thead><tbody>${section.violations
          .slice(0, MAX_ROWS)
          .map(
            (v) =>
              `<tr><td>${esc(v.constraint.kind)}/${esc(v.constraint.name)}</td><td>${esc(v.object.kind)} ${esc(v.object.namespace === null ? '' : `${v.object.namespace}/`)}${esc(v.object.name)}</td><td>${esc(v.enforcementAction)}</td><td>${esc(v.message)}</td></tr>`,
          )
          .join('')}</tbody></table>`;
  const notes =
    section.notes.length === 0
      ? ''
      : `<ul class="plain">${section.notes.map((n) => `<li class="dim">${esc(n)}</li>`).join('')}</ul>`;
  return `<section id="admission"><h2>Admission <span class="dim">(${esc(controllersLine(section))})</span></h2>${notes}<h3>Denials reported by workloads</h3>${denials}<h3>Running images a new pod could not use now</h3>${images}${section.counts.imagesUndecided > section.images.filter((i) => i.allowed === null).length ? `<p class="dim">${section.counts.imagesUndecided} images cannot be decided here in all.</p>` : ''}${violations}</section>`;
}

export function admissionSectionText(
  section: AdmissionSection,
  style: { strong(s: string): string; error(s: string): string; dim(s: string): string },
): string[] {
  const out = ['', style.strong(`Admission (${controllersLine(section)})`)];
  const c = section.counts;
  out.push(
    `  denials reported: ${c.denials}; audit violations: ${c.violations}; running images refused now: ${c.imagesDenied}; undecided: ${c.imagesUndecided}`,
  );
  for (const d of section.denials.slice(0, DIGEST_DENIALS))
    out.push(
      `  ${style.error(`${d.namespace}/${d.object.kind}/${d.object.name}`)} (${d.count}×, ${d.lastSeen}): ${d.message}`,
    );
  for (const i of section.images.filter((x) => x.allowed === false).slice(0, DIGEST_DENIALS))
    out.push(
      `  ${i.namespace} ${i.image}: a new pod would be denied — ${i.decisions
        .filter((d) => d.allowed === false)
        .map(decisionText)
        .join('; ')}`,
    );
  for (const n of section.notes) out.push(`  ${style.dim(n)}`);
  return out;
}

export interface AdmissionDigest {
  readonly counts: AdmissionSection['counts'];
  readonly denials: readonly {
    readonly namespace: string;
    readonly workload: string;
    readonly message: string;
    readonly kind: string | null;
  }[];
}

export function admissionDigest(section: AdmissionSection): AdmissionDigest {
  return {
    counts: section.counts,
    denials: section.denials.slice(0, DIGEST_DENIALS).map((d) => ({
      namespace: d.namespace,
      workload: `${d.object.kind}/${d.object.name}`,
      message: d.message,
      kind: d.kind,
    })),
  };
}
