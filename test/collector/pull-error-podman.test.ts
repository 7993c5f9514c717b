// The kubelet event parser against the error text containers/image really produces: podman pulls
// (the same c/image copy path CRI-O uses) through a mirror that lacks the image, a mirror nobody
// listens on, and a TLS mirror whose CA the "node" does not have. The text is wrapped the way
// kubelet (and CRI-O ≥ 1.34's OCI-artifact retry) wrap it, then split per source and classified.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parsePullFailure } from '../../src/core/report/pull-error-text.js';
import { RegistryLab, type LabRegistry } from '../support/registry-lab.js';

const run = promisify(execFile);

let lab: RegistryLab;
let src: LabRegistry;
let empty: LabRegistry;
let tls: LabRegistry;
let dead: string;
let dir: string;

beforeAll(async () => {
  lab = await RegistryLab.create();
  [src, empty, tls] = await Promise.all([
    lab.startRegistry({ name: 'src' }),
    lab.startRegistry({ name: 'empty' }),
    lab.startRegistry({ name: 'tls', tls: true }),
  ]);
  dead = `127.0.0.1:${await lab.deadPort()}`;
  dir = await mkdtemp(path.join(lab.dir, 'podman-'));
}, 120_000);

afterAll(async () => {
  await lab?.stop();
});

/** podman's error for pulling `image` with this registries.conf (no CA for the TLS mirror). */
async function podmanPullError(image: string, registriesConf: string): Promise<string> {
  const conf = path.join(dir, 'registries.conf');
  await writeFile(conf, registriesConf);
  await writeFile(path.join(dir, 'no-auth.json'), '{"auths":{}}\n');
  // podman refuses a long runroot path: keep it short.
  const storage = await mkdtemp('/tmp/ms-podman-');
  try {
    await run(
      'podman',
      [
        '--root',
        path.join(storage, 'root'),
        '--runroot',
        path.join(storage, 'run'),
        '--storage-driver',
        'vfs',
        'pull',
        '--quiet',
        image,
      ],
      {
        env: {
          ...process.env,
          CONTAINERS_REGISTRIES_CONF: conf,
          REGISTRY_AUTH_FILE: path.join(dir, 'no-auth.json'),
        },
        timeout: 60_000,
      },
    );
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    const m = /Error: ([\s\S]*)$/.exec(stderr.trim());
    if (m === null) throw new Error(`unexpected podman output: ${stderr}`, { cause: err });
    return m[1]!;
  } finally {
    await rm(storage, { recursive: true, force: true });
  }
  throw new Error(`podman pulled ${image}, which should not exist`);
}

it('splits the real "Mirrors also failed" text into one classified result per source, in CRI-O order', async () => {
  const image = `${src.host}/lab/gone:v1`;
  const error = await podmanPullError(
    image,
    `[[registry]]
prefix = "${src.host}/lab"
location = "${src.host}/lab"
insecure = true

[[registry.mirror]]
location = "${empty.host}/mirror"
insecure = true

[[registry.mirror]]
location = "${dead}/dead"
insecure = true

[[registry.mirror]]
location = "${tls.host}/secure"
`,
  );
  expect(error).toContain('(Mirrors also failed: [');
  for (const kubelet of [
    `Failed to pull image "${image}": rpc error: code = Unknown desc = ${error}`,
    `Failed to pull image "${image}": unable to pull image or OCI artifact: pull image err: ${error}; artifact err: provided artifact is a container image`,
  ]) {
    const parsed = parsePullFailure(kubelet)!;
    expect(parsed.image).toBe(image);
    expect(parsed.candidates.map((c) => [c.reference, c.host, c.findingId])).toEqual([
      [`${empty.host}/mirror/gone:v1`, empty.host, 'pull-manifest-unknown'],
      [`${dead}/dead/gone:v1`, dead, 'pull-unreachable'],
      [`${tls.host}/secure/gone:v1`, tls.host, 'pull-tls-untrusted'],
      [image, src.host, 'pull-manifest-unknown'],
    ]);
    expect(parsed.candidates[3]!.error).not.toContain('artifact err');
  }
});

it('reads a single-source failure (no mirrors), which containers/image reports without a reference', async () => {
  const image = `${dead}/lab/app:v1`;
  const error = await podmanPullError(image, `[[registry]]\nlocation = "${dead}"\ninsecure = true\n`);
  const parsed = parsePullFailure(
    `Failed to pull image "${image}": rpc error: code = Unknown desc = ${error}`,
  )!;
  expect(parsed.candidates).toHaveLength(1);
  expect(parsed.candidates[0]).toMatchObject({ host: dead, findingId: 'pull-unreachable' });
});
