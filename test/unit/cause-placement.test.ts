// Where a finding goes among causes, worked out by the witness index as a one-node finding arrives
// and carried on the problem it makes: the same answer causesOf works out itself, and invisible in
// the report's JSON.
import { describe, expect, it } from 'vitest';
import { causesOf } from '../../src/core/causes/build-causes.js';
import { CauseMemo } from '../../src/core/causes/cause-memo.js';
import { Locations } from '../../src/core/causes/evidence.js';
import { placementCarried, placementOf } from '../../src/core/causes/placement.js';
import type { NodeFinding } from '../../src/core/findings/types.js';
import type { ReportFinding } from '../../src/core/report/types.js';
import { WitnessIndex } from '../../src/core/report/witnesses.js';
import { asJson } from '../support/as-json.js';
import { finding } from '../support/protocol-agent.js';

const REGISTRIES = '/etc/containers/registries.conf';
const LOOKASIDE = '/etc/containers/registries.d/quay.yaml';

/** One of each way a finding is placed: roles, kinds its text refines, hosts from scope or text, places in files. */
const FINDINGS: readonly NodeFinding[] = [
  finding({
    id: 'mirror-unreachable',
    key: 'dns',
    host: 'm1.corp:5000',
    message: 'lookup m1.corp: no such host',
  }),
  finding({
    id: 'mirror-unreachable',
    key: 'refused',
    host: 'm1.corp:5000',
    message: 'dial tcp 10.0.0.1:5000: connect: connection refused',
  }),
  finding({ id: 'mirror-unreachable', key: 'timeout', scope: 'm2.corp', message: 'i/o timeout' }),
  finding({
    id: 'mirror-unreachable',
    key: 'in-text',
    message: 'pinging container registry m3.corp:443: EHOSTUNREACH',
  }),
  finding({
    id: 'mirror-tls-untrusted',
    key: 'tls',
    host: 'm1.corp:5000',
    message: 'x509: certificate signed by unknown authority',
  }),
  finding({
    id: 'mirror-manifest-missing',
    key: 'missing',
    host: 'm2.corp',
    image: 'quay.io/a/b:1',
    message: 'manifest unknown',
  }),
  finding({
    id: 'config-unknown-key',
    key: 'typo-1',
    file: REGISTRIES,
    line: 12,
    message: 'unknown key "mirorr"',
  }),
  finding({
    id: 'config-unknown-key',
    key: 'typo-2',
    file: REGISTRIES,
    line: 12,
    message: `${REGISTRIES}:12: unknown key "mirorr"`,
  }),
  finding({ id: 'config-unknown-key', key: 'no-line', file: REGISTRIES, message: 'unknown key' }),
  finding({
    id: 'signature-missing',
    key: 'local-1',
    file: LOOKASIDE,
    line: 3,
    message: 'no signature for quay.io/a/b:1 (looked in file:///var/lib/sigs)',
  }),
  finding({
    id: 'signature-storage-local-only',
    key: 'local-2',
    file: LOOKASIDE,
    line: 3,
    message: 'lookaside is a file:// URL',
  }),
  finding({
    id: 'mirror-unreachable-from-nodes',
    key: 'aggregate',
    host: 'm1.corp:5000',
    message: '3 of 5 nodes cannot reach it',
  }),
  finding({
    id: 'image-pull-fails',
    key: 'consequence',
    image: 'quay.io/a/b:1',
    message: 'all sources failed',
  }),
  finding({
    id: 'pull-unauthorized',
    key: 'pull',
    host: 'm2.corp',
    message: 'unauthorized: authentication required',
  }),
  finding({
    id: 'icsp-deprecated',
    key: 'own',
    scope: 'quay.io/a',
    message: 'ImageContentSourcePolicy is deprecated',
  }),
];

/** The problems the index makes for findings each about one node. */
function indexed(findings: readonly NodeFinding[]): ReportFinding[] {
  const index = new WitnessIndex();
  findings.forEach((f, i) => index.replace(`node-${i}`, [], [f]));
  const problems: ReportFinding[] = [];
  index.forEach((_f, _nodes, _version, slot) => problems.push(slot!.problem!));
  return problems;
}

describe('placements carried by the witness index', () => {
  it('are where causesOf would place the same finding, shared by findings placed alike', () => {
    const problems = indexed(FINDINGS);
    expect(problems).toHaveLength(FINDINGS.length);
    for (const p of problems) expect(placementCarried(p), p.key).toEqual(placementOf(p, new Locations()));
    const byKey = new Map(problems.map((p) => [p.key, placementCarried(p)]));
    // Two findings about one line of one file: one group, one placement object.
    expect(byKey.get('local-1')).toBe(byKey.get('local-2'));
    expect(byKey.get('local-1')!.groupId).toBe(`signature-storage-local-only:${LOOKASIDE}:3`);
    // A typo is a cause of its own: no group to share, one placement for all of them.
    expect(byKey.get('typo-1')).toBe(byKey.get('no-line'));
    expect(byKey.get('typo-1')!.groupId).toBeNull();
    expect(byKey.get('aggregate')!.role).toBe('aggregate');
    expect(byKey.get('consequence')!.role).toBe('consequence');
    expect(byKey.get('dns')!.kind).toBe('dns-failure');
    expect(byKey.get('in-text')!.host).toBe('m3.corp:443');
  });

  it('leave the problem and its JSON as they were', () => {
    const [problem] = indexed([FINDINGS[0]!]);
    expect(placementCarried(problem!)).toBeDefined();
    expect(Object.keys(problem!)).toEqual(Object.keys(asJson(problem) as object));
    expect(JSON.stringify(problem)).not.toMatch(/placement|dns-failure/);
  });

  it('give the causes a build would give from the same problems without them, with a memo or without', () => {
    const problems = indexed(FINDINGS);
    const bare = asJson(problems) as ReportFinding[];
    expect(bare.some((p) => placementCarried(p) !== undefined)).toBe(false);
    const input = (findings: readonly ReportFinding[]) => ({ findings, failures: [] });
    expect(asJson(causesOf(input(problems)))).toEqual(asJson(causesOf(input(bare))));
    expect(asJson(causesOf(input(problems), new CauseMemo()))).toEqual(asJson(causesOf(input(bare))));
  });
});
