// `mirrorscope coverage` and `render -f DIR` on an oc-mirror-shaped directory: v2's
// working-dir/cluster-resources (IDMS, ITMS, a CatalogSource, the release signature ConfigMap) and v1's
// oc-mirror-workspace/results-<time>/ (the newest run wins).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const MIRROR = 'mirror.corp.example:5000';

async function cli(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const sink = (add: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        add(chunk.toString());
        done();
      },
    });
  const code = await main(args, {
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    env: {},
    isTTY: false,
  });
  return { code, stdout, stderr };
}

const top = mkdtempSync(join(tmpdir(), 'mirrorscope-ocmirror-'));
const v2 = join(top, 'v2');
const resources = join(v2, 'working-dir', 'cluster-resources');
const v1 = join(top, 'v1');
let imagesFile: string;

function write(path: string, text: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

beforeAll(() => {
  write(
    join(resources, 'idms-oc-mirror.yaml'),
    `apiVersion: config.openshift.io/v1
kind: ImageDigestMirrorSet
metadata: {name: idms-release-0}
spec:
  imageDigestMirrors:
  - source: quay.io/openshift-release-dev/ocp-release
    mirrors: [${MIRROR}/openshift/release-images]
  - source: registry.redhat.io/rhel9
    mirrors: [${MIRROR}/rhel9]
`,
  );
  write(
    join(resources, 'itms-oc-mirror.yaml'),
    `apiVersion: config.openshift.io/v1
kind: ImageTagMirrorSet
metadata: {name: itms-generic-0}
spec:
  imageTagMirrors:
  - source: registry.redhat.io/ubi9
    mirrors: [${MIRROR}/ubi9]
`,
  );
  write(
    join(resources, 'cs-redhat-operator-index-v4-18.yaml'),
    `apiVersion: operators.coreos.com/v1alpha1
kind: CatalogSource
metadata: {name: cs-redhat-operator-index-v4-18, namespace: openshift-marketplace}
spec: {image: "${MIRROR}/redhat/redhat-operator-index:v4.18", sourceType: grpc}
`,
  );
  write(
    join(resources, 'signature-configmap.json'),
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'mirrored-release-signatures', namespace: 'openshift-config-managed' },
      binaryData: { 'sha256-1111-1': 'AAAA' },
    }),
  );
  write(join(v2, 'working-dir', 'mirror_000001.tar.note'), 'not an object');
  // v1: two runs; the newer one mirrors a different registry.
  for (const [run, source] of [
    ['results-1700000000', 'old.example/app'],
    ['results-1700009999', 'new.example/app'],
  ] as const)
    write(
      join(v1, 'oc-mirror-workspace', run, 'imageContentSourcePolicy.yaml'),
      `apiVersion: operator.openshift.io/v1alpha1
kind: ImageContentSourcePolicy
metadata: {name: generic-0}
spec:
  repositoryDigestMirrors:
  - source: ${source}
    mirrors: [${MIRROR}/app]
`,
    );
  imagesFile = write(
    join(top, 'images.txt'),
    `# images in use
quay.io/openshift-release-dev/ocp-release@${D1}
registry.redhat.io/rhel9/app:1.0
registry.redhat.io/rhel9/app@${D2}
registry.redhat.io/ubi9/ubi:latest
docker.io/library/busybox:latest
`,
  );
});

afterAll(() => rmSync(top, { recursive: true, force: true }));

describe('render -f an oc-mirror directory', () => {
  it('reads v2 working-dir/cluster-resources, saying so and what the MCO does not read', async () => {
    const r = await cli('render', '-f', v2);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`note: oc-mirror v2 output: reading ${resources}`);
    expect(r.stderr).toContain('operators.coreos.com/v1alpha1 CatalogSource is not read by the MCO');
    expect(r.stderr).toContain('v1 ConfigMap is not read by the MCO');
    expect(r.stdout).toContain(`location = "${MIRROR}/openshift/release-images"`);
    expect(r.stdout).toContain(`location = "${MIRROR}/ubi9"\n    pull-from-mirror = "tag-only"`);
  });

  it('reads the newest v1 results directory', async () => {
    const r = await cli('render', '-f', v1);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('(the newest of 2 runs)');
    expect(r.stdout).toContain('location = "new.example/app"');
    expect(r.stdout).not.toContain('old.example');
  });
});

describe('coverage', () => {
  it('lists what no mirror serves, with the tag+digest gap of oc-mirror#1424, and exits 1', async () => {
    const r = await cli('coverage', '-f', v2, '--images', imagesFile, '--json');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as {
      images: { image: string; covered: boolean; mirrors: string[]; reason: string | null }[];
      summary: { covered: number; uncovered: number };
    };
    expect(doc.summary).toEqual({ covered: 3, uncovered: 2 });
    const by = new Map(doc.images.map((e) => [e.image, e]));
    expect(by.get(`quay.io/openshift-release-dev/ocp-release@${D1}`)).toEqual({
      image: `quay.io/openshift-release-dev/ocp-release@${D1}`,
      covered: true,
      mirrors: [`${MIRROR}/openshift/release-images@${D1}`],
      reason: null,
    });
    expect(by.get('registry.redhat.io/ubi9/ubi:latest')!.mirrors).toEqual([`${MIRROR}/ubi9/ubi:latest`]);
    const tag = by.get('registry.redhat.io/rhel9/app:1.0')!;
    expect(tag.covered).toBe(false);
    expect(tag.reason).toMatch(
      /^registry\.redhat\.io\/rhel9\/app is pulled both by tag and by digest, and only the digest form is mirrored .*openshift\/oc-mirror#1424\): no mirror is tried for it \(.*digest-only.*\), and its source registry\.redhat\.io is not known to be reachable/,
    );
    expect(by.get('docker.io/library/busybox:latest')!.reason).toContain(
      'no mirror is configured for it, and its source registry-1.docker.io is not known to be reachable',
    );
  });

  it('takes images and reachable sources from a collector', async () => {
    const report = {
      images: [
        { image: 'docker.io/library/busybox:latest' },
        { image: `registry.redhat.io/rhel9/app@${D2}` },
      ],
      mirrors: [
        { host: 'registry-1.docker.io', nodesReachable: 3 },
        { host: MIRROR, nodesReachable: 3 },
      ],
    };
    const server = http.createServer((req, res) => {
      if (req.url !== '/api/v1/report') res.writeHead(404).end();
      else res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(report));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const r = await cli('coverage', '-f', v2, '--collector', url);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(
        'covered    docker.io/library/busybox:latest  (not mirrored: pulled from its source registry-1.docker.io, which the nodes reach)',
      );
      expect(r.stdout).toContain('2 covered, 0 not covered');
    } finally {
      server.close();
    }
  });

  it('refuses to guess: exactly one image source, and a directory with objects', async () => {
    expect((await cli('coverage', '-f', v2)).code).toBe(2);
    const empty = mkdtempSync(join(top, 'empty-'));
    const r = await cli('coverage', '-f', empty, '--images', imagesFile);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no *.yaml, *.yml or *.json files in this directory');
  });
});
