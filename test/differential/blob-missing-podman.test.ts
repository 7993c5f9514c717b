// The claim behind `blob-missing`, checked against the real containers/image: podman (the c/image copy
// path CRI-O uses) pulls through a mirror that serves the manifest but lost a layer, with a complete
// mirror after it. It fails on that layer and never tries the complete mirror
// (containers/podman#20374); with the mirrors swapped it pulls. The trace must say the same.
// podman runs in `unshare -m` with the node root bound over /etc/containers, as the other oracles; the
// network namespace is kept (no -n) because the registries listen on this host's loopback.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parsePullFailure } from '../../src/core/report/pull-error-text.js';
import { buildOciLayout, type BuiltImage } from '../support/oci-image.js';
import { RegistryLab, writeNodeRoot, type LabRegistry } from '../support/registry-lab.js';
import { traceOnce } from '../support/trace-once.js';

let lab: RegistryLab;
let image: BuiltImage;
let partial: LabRegistry;
let complete: LabRegistry;
let source: string;

beforeAll(async () => {
  lab = await RegistryLab.create();
  const layout = path.join(lab.dir, 'layout');
  [image] = (await buildOciLayout(layout, [{ tag: 'app', content: 'podman blob-missing oracle' }])) as [
    BuiltImage,
  ];
  [partial, complete] = await Promise.all([
    lab.startRegistry({ name: 'partial' }),
    lab.startRegistry({ name: 'complete' }),
  ]);
  await Promise.all([
    lab.push(layout, 'app', partial, 'lab/app:v1'),
    lab.push(layout, 'app', complete, 'lab/app:v1'),
  ]);
  await lab.deleteBlob(partial, image.layers[0]!);
  source = `127.0.0.1:${await lab.deadPort()}`;
}, 120_000);

afterAll(async () => {
  await lab?.stop();
});

async function nodeRoot(mirrors: readonly LabRegistry[]): Promise<string> {
  const lines = [`[[registry]]`, `prefix = "${source}/lab"`, `location = "${source}/lab"`, 'insecure = true'];
  for (const m of mirrors) lines.push('[[registry.mirror]]', `location = "${m.host}/lab"`, 'insecure = true');
  const root = await mkdtemp(path.join(lab.dir, 'root-'));
  return writeNodeRoot(root, {
    '/etc/containers/registries.conf': `${lines.join('\n')}\n`,
    '/etc/containers/policy.json': '{"default":[{"type":"insecureAcceptAnything"}]}',
  });
}

const SCRIPT = `
set -u
root=$1; work=$2; ref=$3
mount --bind "$root/etc/containers" /etc/containers || exit 97
exec podman --root "$work/storage" --runroot "$work/runroot" --tmpdir "$work/tmp" --storage-driver vfs \\
  --events-backend none --log-level debug pull "$ref" </dev/null
`;

/** podman pull's exit code and debug log; a short work directory (podman refuses long runroots). */
async function podmanPull(root: string, ref: string): Promise<{ code: number; log: string }> {
  const work = await mkdtemp('/tmp/ms-blob-');
  try {
    return await new Promise((resolve, reject) => {
      execFile(
        'unshare',
        ['-m', 'sh', '-c', SCRIPT, 'oracle', root, work, ref],
        { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: work, LANG: 'C' }, timeout: 90_000 },
        (err, _stdout, stderr) => {
          const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
          if (code === 97 || code === -1) reject(new Error(`podman oracle did not run: ${stderr}`));
          else resolve({ code, log: stderr });
        },
      );
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const trace = (root: string, ref: string) => traceOnce(root, ref);

it('podman fails on the missing layer and never tries the complete mirror; the trace agrees', async () => {
  const ref = `${source}/lab/app:v1`;
  const root = await nodeRoot([partial, complete]);
  const podman = await podmanPull(root, ref);
  expect(podman.code).not.toBe(0);
  expect(podman.log).toContain(`Trying to access \\"${partial.host}/lab/app:v1\\"`);
  expect(podman.log).not.toContain(`Trying to access \\"${complete.host}/lab/app:v1\\"`);
  const error = /Error: (.*)$/m.exec(podman.log)?.[1] ?? '';
  // c/image 5.23's words; the digest is the layer the mirror lost.
  expect(error).toContain(
    `reading blob ${image.layers[0]}: Error fetching blob: invalid status code from registry 404`,
  );
  // The kubelet event CRI-O's error becomes is read as this cause, not as a missing image.
  const event = parsePullFailure(`Failed to pull image "${ref}": rpc error: code = Unknown desc = ${error}`);
  expect(event!.candidates.map((c) => c.findingId)).toEqual(['pull-blob-missing']);
  const ours = await trace(root, ref);
  expect(ours.result.outcome).toBe('failed');
  expect(ours.sources.map((s) => [s.host, s.outcome])).toEqual([[partial.host, 'blob-missing']]);
  expect(ours.sources[0]!.blobs!.missing[0]!.digest).toBe(image.layers[0]);
}, 120_000);

it('with the complete mirror first, podman pulls and so does the trace', async () => {
  const ref = `${source}/lab/app:v1`;
  const root = await nodeRoot([complete, partial]);
  const podman = await podmanPull(root, ref);
  expect(podman.code, podman.log.slice(-2000)).toBe(0);
  const ours = await trace(root, ref);
  expect(ours.result).toMatchObject({ outcome: 'pulled', source: `${complete.host}/lab/app:v1` });
}, 120_000);
