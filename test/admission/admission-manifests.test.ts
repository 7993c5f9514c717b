// The opt-in admission component: it adds --admission to the collector and a read-only role that
// names no Secret.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/cli.js';

type Obj = { kind: string; metadata: { name: string }; spec?: unknown; rules?: unknown };

describe('daemonset/components/admission', () => {
  it('renders over the base: --admission on the collector, get/list only, no secrets', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mirrorscope-kustomize-'));
    writeFileSync(
      path.join(dir, 'kustomization.yaml'),
      `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ${path.relative(dir, path.join(REPO, 'daemonset/base'))}\ncomponents:\n  - ${path.relative(dir, path.join(REPO, 'daemonset/components/admission'))}\n`,
    );
    const out = execFileSync('kubectl', ['kustomize', '--load-restrictor', 'LoadRestrictionsNone', dir], {
      encoding: 'utf8',
    });
    const objects = parseAllDocuments(out).map((d) => d.toJSON() as Obj);
    const deployment = objects.find(
      (o) => o.kind === 'Deployment' && o.metadata.name === 'mirrorscope-collector',
    ) as {
      spec: { template: { spec: { containers: { args: string[] }[] } } };
    };
    expect(deployment.spec.template.spec.containers[0]!.args).toContain('--admission');
    const role = objects.find(
      (o) => o.kind === 'ClusterRole' && o.metadata.name === 'mirrorscope-collector-admission',
    ) as {
      rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    };
    for (const rule of role.rules) {
      expect(rule.verbs).toEqual(['get', 'list']);
      expect(rule.resources).not.toContain('secrets');
    }
    expect(
      objects.find(
        (o) => o.kind === 'ClusterRoleBinding' && o.metadata.name === 'mirrorscope-collector-admission',
      ),
    ).toBeDefined();
  });
});
