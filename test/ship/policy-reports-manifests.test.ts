// The opt-in policy-reports component: the wgpolicyk8s.io and openreports.io verbs the collector's
// report writer uses, on those four resources only, bound to the collector; the base grants none of them.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/cli.js';

type Obj = {
  kind: string;
  metadata: { name: string };
  rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  subjects?: { name: string }[];
};

function render(component: string | null): Obj[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'mirrorscope-kustomize-'));
  const components =
    component === null ? '' : `components:\n  - ${path.relative(dir, path.join(REPO, component))}\n`;
  writeFileSync(
    path.join(dir, 'kustomization.yaml'),
    `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ${path.relative(dir, path.join(REPO, 'daemonset/base'))}\n${components}`,
  );
  const out = execFileSync('kubectl', ['kustomize', '--load-restrictor', 'LoadRestrictionsNone', dir], {
    encoding: 'utf8',
  });
  return parseAllDocuments(out).map((d) => d.toJSON() as Obj);
}

const grantsPolicyReports = (o: Obj): boolean =>
  (o.rules ?? []).some(
    (r) => r.apiGroups.includes('wgpolicyk8s.io') || r.apiGroups.includes('openreports.io'),
  );

describe('daemonset/components/policy-reports', () => {
  it('grants exactly what the writer does: list/create/patch/delete its namespaced reports, create/patch the cluster one, in either API', () => {
    const objects = render('daemonset/components/policy-reports');
    const role = objects.find((o) => o.kind === 'ClusterRole' && grantsPolicyReports(o))!;
    expect(role.rules).toEqual([
      {
        apiGroups: ['wgpolicyk8s.io'],
        resources: ['policyreports'],
        verbs: ['list', 'create', 'patch', 'delete'],
      },
      {
        apiGroups: ['wgpolicyk8s.io'],
        resources: ['clusterpolicyreports'],
        verbs: ['list', 'create', 'patch', 'delete'],
      },
      { apiGroups: ['openreports.io'], resources: ['reports'], verbs: ['list', 'create', 'patch', 'delete'] },
      {
        apiGroups: ['openreports.io'],
        resources: ['clusterreports'],
        verbs: ['list', 'create', 'patch', 'delete'],
      },
    ]);
    const binding = objects.find(
      (o) =>
        o.kind === 'ClusterRoleBinding' &&
        (o as { roleRef?: { name: string } }).roleRef?.name === role.metadata.name,
    )!;
    expect(binding.subjects).toEqual([
      expect.objectContaining({ name: 'mirrorscope-collector', kind: 'ServiceAccount' }),
    ]);
  });

  it('the base alone grants no PolicyReport verb', () => {
    expect(render(null).filter(grantsPolicyReports)).toEqual([]);
  });
});
