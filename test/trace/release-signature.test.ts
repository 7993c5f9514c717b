// A release payload image served by a mirror without its sigstore signature: the trace checks the
// `sha256-<hex>.sig` tag on that mirror (the source, quay.io, is blocked: nothing leaves 127.0.0.1),
// and the agent raises release-signature-missing-on-mirror until the signature is mirrored.
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { diagnoseProbe } from '../../src/core/diagnose/probe-findings.js';
import { buildOciLayout, type BuiltImage } from '../support/oci-image.js';
import { RegistryLab, writeNodeRoot, type LabRegistry } from '../support/registry-lab.js';
import { traceOnce } from '../support/trace-once.js';

const PAYLOAD = 'quay.io/openshift-release-dev/ocp-release';
let lab: RegistryLab;
let mirror: LabRegistry;
let release: BuiltImage;
let layout: string;
let root: string;

beforeAll(async () => {
  lab = await RegistryLab.create();
  layout = path.join(lab.dir, 'layout');
  [release] = (await buildOciLayout(layout, [{ tag: 'release', content: 'release payload 4.21.0' }])) as [
    BuiltImage,
  ];
  mirror = await lab.startRegistry({ name: 'mirror' });
  await lab.push(layout, 'release', mirror, 'ocp/release:4.21.0-x86_64');
  root = await writeNodeRoot(path.join(lab.dir, 'root'), {
    '/etc/containers/registries.conf': `[[registry]]
prefix = "${PAYLOAD}"
location = "${PAYLOAD}"
blocked = true

[[registry.mirror]]
location = "${mirror.host}/ocp/release"
insecure = true

[[registry]]
location = "${mirror.host}"
insecure = true
`,
    '/etc/containers/policy.json': '{"default":[{"type":"insecureAcceptAnything"}]}',
  });
}, 120_000);

afterAll(async () => {
  await lab?.stop();
});

function trace(image: string) {
  return traceOnce(root, image);
}

it('finds the payload signature missing on the mirror, then present once it is mirrored', async () => {
  const image = `${PAYLOAD}@${release.digest}`;
  const hex = release.digest.slice('sha256:'.length);
  const before = await trace(image);
  expect(before.result.outcome).toBe('pulled');
  expect(before.result.releaseSignature).toEqual({
    repository: PAYLOAD,
    attachment: `${mirror.host}/ocp/release:sha256-${hex}.sig`,
    present: false,
    reason: `the mirror has no sigstore signature for ${release.digest} (${mirror.host}/ocp/release:sha256-${hex}.sig: HTTP 404)`,
  });
  const { findings } = diagnoseProbe(before, { authKeys: [], authFile: '/var/lib/kubelet/config.json' });
  const f = findings.find((x) => x.id === 'release-signature-missing-on-mirror')!;
  expect(f).toMatchObject({ severity: 'warning', host: mirror.host, image });
  expect(f.message).toContain('From 4.21 the default "openshift" ClusterImagePolicy requires it');

  // Any manifest under the attachment tag is what c/image looks for first.
  await lab.push(layout, 'release', mirror, `ocp/release:sha256-${hex}.sig`);
  const after = await trace(image);
  expect(after.result.releaseSignature?.present).toBe(true);
  expect(diagnoseProbe(after, { authKeys: [], authFile: '' }).findings.map((x) => x.id)).not.toContain(
    'release-signature-missing-on-mirror',
  );
});

it('leaves other images alone', async () => {
  const other = await trace(`${mirror.host}/ocp/release@${release.digest}`);
  expect(other.result.outcome).toBe('pulled');
  expect(other.result.releaseSignature).toBeUndefined();
});
