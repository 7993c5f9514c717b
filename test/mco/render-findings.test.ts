// Findings derived from a render: rejection, ICSP deprecation (with a ready-to-apply IDMS), and
// merge orders the objects do not state.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { renderFindings } from '../../src/core/mco/findings.js';
import { parseClusterObjects } from '../../src/core/mco/parse-objects.js';
import { renderRegistries } from '../../src/core/mco/render.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/mco/${name}`, import.meta.url), 'utf8');

function findingsFor(text: string) {
  const objects = parseClusterObjects([{ path: 'objects.yaml', text }]);
  return renderFindings(objects, renderRegistries(objects));
}

describe('render findings', () => {
  it('flags the source inside a merged list, reversed orders and interleaved unrelated lists, but not a merge the lists agree on', () => {
    const findings = findingsFor(fixture('merge-order.yaml')).filter((f) => f.id === 'mirror-order-surprise');
    const summary = findings.map((f) => `${f.scope} ${f.severity} ${f.line}`);
    expect(summary).toEqual([
      'quay.example/tools info 11',
      'z-src.example/x warning 13',
      'cyc.example/x warning 15',
      'cyc.example/x warning 15',
      'src.example/app warning 17',
    ]);
    expect(findings[2]!.message).toBe(
      'The merged mirror list of cyc.example/x contains the source itself at position 1 of 3: CRI-O contacts cyc.example/x before m1.example/x, m2.example/x, and again last',
    );
    expect(findings[1]!.message).toContain(
      'ImageDigestMirrorSet "vendor" lists m2.example/x before m1.example/x for z-src.example/x',
    );
    expect(findings.some((f) => f.scope === 'registry.vendor.example/app')).toBe(false);
  });

  it('gives, for each ICSP, an IDMS ready to apply', () => {
    const [finding] = findingsFor(fixture('digest-and-tag.yaml')).filter((f) => f.id === 'icsp-deprecated');
    expect(finding).toMatchObject({ severity: 'info', file: 'objects.yaml', line: 2 });
    const idms = parse(finding!.fix.slice(finding!.fix.indexOf('\n') + 1)) as unknown;
    expect(idms).toEqual({
      apiVersion: 'config.openshift.io/v1',
      kind: 'ImageDigestMirrorSet',
      metadata: { name: 'legacy-icsp' },
      spec: {
        imageDigestMirrors: [
          {
            source: 'docker.io/library/busybox',
            mirrors: ['mirror.corp.example/busybox', 'shared.corp.example/busybox'],
          },
        ],
      },
    });
  });

  it('reports a rejected set with the controller log line', () => {
    const yaml =
      'apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: x}\nspec:\n  imageDigestMirrors: [{source: "quay.io/x:1", mirrors: [m.example/x]}]\n';
    const findings = findingsFor(yaml);
    expect(findings.map((f) => f.id)).toEqual(['mirror-config-render-failed']);
    expect(findings[0]!.message).toContain('invalid format for source "quay.io/x:1"');
    expect(findings[0]!.fix).toContain(
      'Error syncing image config openshift-config: could not Create/Update MachineConfig: could not update registries config with new changes: invalid format for source "quay.io/x:1"',
    );
  });
});
