// A mirror that serves the manifest but lacks a blob (an interrupted oc-mirror run, registry garbage
// collection): real docker-registry instances on 127.0.0.1 with a blob deleted from their storage.
// The trace must stop at that mirror and fail, as CRI-O does (test/differential/blob-missing-podman).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import { HostPacer } from '../../src/agent/limits.js';
import { CachingClientCache } from '../../src/agent/probe-cache.js';
import { diagnoseProbe } from '../../src/core/diagnose/probe-findings.js';
import { loadTraceContext } from '../../src/trace/context.js';
import { TraceEngine } from '../../src/trace/engine.js';
import type { TraceOptions, TraceResult } from '../../src/trace/types.js';
import { buildOciIndex, buildOciLayout, type BuiltImage } from '../support/oci-image.js';
import { authEntry, RegistryLab, writeNodeRoot, type LabRegistry } from '../support/registry-lab.js';
import { traceOnce } from '../support/trace-once.js';

const USER = { username: 'puller', password: 'blob-check-pass-never-printed' };
const AMD64 = { os: 'linux', architecture: 'amd64', variant: '' };
const ARM64 = { os: 'linux', architecture: 'arm64', variant: '' };

let lab: RegistryLab;
let single: BuiltImage;
let noConfig: BuiltImage;
let index: { index: BuiltImage; instances: BuiltImage[] };
let partial: LabRegistry;
let partialToken: LabRegistry;
let complete: LabRegistry;
let rootCounter = 0;
/** The images' source registry: nobody listens there, as on a disconnected cluster. */
let source: string;

beforeAll(async () => {
  lab = await RegistryLab.create();
  const layout = path.join(lab.dir, 'layout');
  [single, noConfig] = (await buildOciLayout(layout, [
    { tag: 'single', content: 'single-arch image' },
    { tag: 'noconfig', content: 'image whose config goes missing' },
  ])) as [BuiltImage, BuiltImage];
  index = await buildOciIndex(layout, 'multi', ['linux/amd64', 'linux/arm64', 'linux/s390x']);
  source = `127.0.0.1:${await lab.deadPort()}`;
  const tokens = await lab.startTokenServer([USER]);
  [partial, partialToken, complete] = await Promise.all([
    lab.startRegistry({ name: 'partial' }),
    lab.startRegistry({ name: 'partial-token', token: tokens }),
    lab.startRegistry({ name: 'complete' }),
  ]);
  const pushes: Promise<void>[] = [];
  for (const reg of [partial, complete]) {
    pushes.push(
      lab.push(layout, 'single', reg, 'lab/single:v1'),
      lab.push(layout, 'noconfig', reg, 'lab/noconfig:v1'),
      lab.push(layout, 'multi', reg, 'lab/multi:v1', undefined, true),
    );
  }
  pushes.push(lab.push(layout, 'single', partialToken, 'lab/single:v1', USER));
  await Promise.all(pushes);
  // The partial mirror: single's layer, noconfig's config, the amd64 instance's layer, the s390x manifest.
  await lab.deleteBlob(partial, single.layers[0]!);
  await lab.deleteBlob(partialToken, single.layers[0]!);
  await lab.deleteBlob(partial, noConfig.config!);
  await lab.deleteBlob(partial, index.instances[0]!.layers[0]!);
  await lab.deleteManifest(partial, 'lab/multi', index.instances[2]!.digest);
}, 120_000);

afterAll(async () => {
  await lab?.stop();
});

/** registries.conf: `lab/*` of an unreachable source, mirrored by `mirrors` in order. */
async function makeRoot(mirrors: readonly LabRegistry[]): Promise<string> {
  const lines = [`[[registry]]`, `prefix = "${source}/lab"`, `location = "${source}/lab"`, 'insecure = true'];
  for (const m of mirrors) lines.push('[[registry.mirror]]', `location = "${m.host}/lab"`, 'insecure = true');
  const root = path.join(lab.dir, `root-${++rootCounter}`);
  await writeNodeRoot(root, {
    '/etc/containers/registries.conf': `${lines.join('\n')}\n`,
    '/etc/containers/policy.json': '{"default":[{"type":"insecureAcceptAnything"}]}',
    '/var/lib/kubelet/config.json': JSON.stringify({ auths: { [partialToken.host]: authEntry(USER) } }),
  });
  return root;
}

function trace(root: string, repo: string, options: TraceOptions = {}): Promise<TraceResult> {
  return traceOnce(root, `${source}/lab/${repo}`, options);
}

/** The CLI in-process. */
async function cli(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const sink = (add: (t: string) => void) =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        add(chunk.toString());
        done();
      },
    });
  const code = await main(args, {
    stdout: sink((t) => (stdout += t)),
    stderr: sink((t) => (stderr += t)),
    env: {},
    isTTY: false,
  });
  return { code, stdout, stderr };
}

describe('a mirror with the manifest but not every blob', () => {
  it('fails the pull at that mirror, names the layer, and does not try the complete mirror', async () => {
    const root = await makeRoot([partial, complete]);
    const r = await trace(root, 'single:v1', { platform: AMD64 });
    expect(r.sources.map((s) => [s.host, s.outcome])).toEqual([[partial.host, 'blob-missing']]);
    expect(r.result.outcome).toBe('failed');
    expect(r.result.reason).toContain(`layer 1 ${single.layers[0]}`);
    expect(r.result.reason).toContain('does not fall back to the next source');
    const blobs = r.sources[0]!.blobs!;
    expect(blobs).toMatchObject({ outcome: 'missing', platform: null, checked: 2 });
    expect(blobs.missing).toEqual([{ digest: single.layers[0], role: 'layer', layer: 1, status: 404 }]);
    const decisive = r.steps.filter((s) => s.decisive);
    expect(decisive).toHaveLength(1);
    expect(decisive[0]!.message).toMatch(/^blob-missing: /);
  });

  it('names a missing config blob', async () => {
    const r = await trace(await makeRoot([partial, complete]), 'noconfig:v1');
    expect(r.sources[0]!.outcome).toBe('blob-missing');
    expect(r.sources[0]!.blobs!.missing.map((m) => [m.role, m.digest])).toEqual([
      ['config', noConfig.config],
    ]);
    expect(r.result.reason).toContain(`config ${noConfig.config}`);
  });

  it('authenticates the blob checks as the manifest request (token registry)', async () => {
    const r = await trace(await makeRoot([partialToken, complete]), 'single:v1');
    expect(r.sources.map((s) => s.outcome)).toEqual(['blob-missing']);
    expect(r.sources[0]!.blobs!.missing[0]!.digest).toBe(single.layers[0]);
    expect(JSON.stringify(r)).not.toContain(USER.password);
  });

  it('pulls from a complete mirror after checking the config and every layer', async () => {
    const r = await trace(await makeRoot([complete, partial]), 'single:v1');
    expect(r.result.outcome).toBe('pulled');
    expect(r.sources.map((s) => s.outcome)).toEqual(['found']);
    expect(r.sources[0]!.blobs).toMatchObject({ outcome: 'complete', checked: 2, missing: [] });
    expect(r.steps.some((s) => s.kind === 'blobs' && s.message.includes(`/blobs/${single.config}`))).toBe(
      true,
    );
  });

  it('for an index, checks only the instance of the node platform', async () => {
    const root = await makeRoot([partial, complete]);
    const amd = await trace(root, 'multi:v1', { platform: AMD64 });
    expect(amd.sources[0]!.outcome).toBe('blob-missing');
    expect(amd.sources[0]!.blobs).toMatchObject({
      outcome: 'missing',
      platform: 'linux/amd64',
      instance: index.instances[0]!.digest,
    });
    expect(amd.result.reason).toContain(`of the linux/amd64 image ${index.instances[0]!.digest}`);
    const arm = await trace(root, 'multi:v1', { platform: ARM64 });
    expect(arm.result.outcome).toBe('pulled');
    expect(arm.sources[0]!.blobs).toMatchObject({
      outcome: 'complete',
      platform: 'linux/arm64',
      instance: index.instances[1]!.digest,
    });
  });

  it("reports an index whose platform's image manifest is gone", async () => {
    const r = await trace(await makeRoot([partial, complete]), 'multi:v1', {
      platform: { os: 'linux', architecture: 's390x', variant: '' },
    });
    expect(r.sources[0]!.outcome).toBe('blob-missing');
    expect(r.sources[0]!.blobs!.missing).toEqual([
      { digest: index.instances[2]!.digest, role: 'manifest', layer: null, status: 404 },
    ]);
  });

  it('fails with c/image’s message when the index has nothing for the platform', async () => {
    const r = await trace(await makeRoot([complete]), 'multi:v1', {
      platform: { os: 'linux', architecture: 'ppc64le', variant: '' },
    });
    expect(r.result.outcome).toBe('failed');
    expect(r.sources[0]!.outcome).toBe('error');
    expect(r.result.reason).toContain(
      'no image found in image index for architecture "ppc64le", variant "", OS "linux"',
    );
  });

  it('reuses blob answers across images of a repository within the TTL, and not without one', async () => {
    const root = await makeRoot([complete]);
    const engine = new TraceEngine(await loadTraceContext(root));
    try {
      const name = `${source}/lab/single:v1`;
      await engine.trace(name, { timeoutMs: 5000, blobCacheTtlMs: 60_000 });
      const warm = await engine.trace(name, { timeoutMs: 5000, blobCacheTtlMs: 60_000 });
      expect(warm.steps.filter((s) => s.message.includes('answer reused'))).toHaveLength(2);
      expect(warm.steps.some((s) => s.message.startsWith('HEAD '))).toBe(false);
      const fresh = await engine.trace(name, { timeoutMs: 5000 });
      expect(fresh.steps.filter((s) => s.message.startsWith('HEAD '))).toHaveLength(2);
    } finally {
      engine.close();
    }
  });

  it("decides as the full trace when asked for the outcome only (the scans' trace), without steps or notes", async () => {
    const engine = new TraceEngine(await loadTraceContext(await makeRoot([partial, complete])));
    const PPC64LE = { os: 'linux', architecture: 'ppc64le', variant: '' };
    try {
      const cases = [
        ['single:v1', AMD64],
        ['noconfig:v1', AMD64],
        ['multi:v1', AMD64],
        ['multi:v1', ARM64],
        ['multi:v1', PPC64LE],
        ['absent:v1', AMD64],
      ] as const;
      for (const [repo, platform] of cases) {
        const name = `${source}/lab/${repo}`;
        const full = await engine.trace(name, { timeoutMs: 5000, platform });
        const outcome = await engine.trace(name, { timeoutMs: 5000, platform, detail: 'outcome' });
        expect(full.steps.length).toBeGreaterThan(0);
        expect(outcome.steps).toEqual([]);
        expect(outcome.notes).toBeUndefined();
        const durationless = (r: TraceResult) => r.sources.map((x) => ({ ...x, durationMs: 0 }));
        expect({ ...outcome, sources: durationless(outcome) }).toEqual({
          image: full.image,
          steps: [],
          sources: durationless(full),
          result: full.result,
          error: full.error,
        });
      }
    } finally {
      engine.close();
    }
  });

  it('becomes an agent finding naming the image, the mirror and the blob', async () => {
    const r = await trace(await makeRoot([partial, complete]), 'single:v1');
    const { findings, explaining } = diagnoseProbe(r, {
      authKeys: [],
      authFile: '/var/lib/kubelet/config.json',
    });
    const f = findings.find((x) => x.id === 'mirror-blob-missing')!;
    expect(f).toMatchObject({ severity: 'error', host: partial.host, image: r.image });
    expect(f.message).toContain(single.layers[0]!);
    expect(f.message).toContain(`${partial.host}/lab/single:v1`);
    expect(explaining).toContain(f.key);
  });
});

describe('the agent', () => {
  it('reports the missing blob as an error finding naming the image, the mirror and the blob', async () => {
    const root = await makeRoot([partial, complete]);
    const image = `${source}/lab/single:v1`;
    const { code, stdout, stderr } = await cli(
      'agent',
      '--once',
      '--node',
      'worker-1',
      '--root',
      root,
      '--image',
      image,
      '--listen',
      'off',
    );
    expect(code, stderr).toBe(1);
    const { findings } = JSON.parse(stdout) as {
      findings: { id: string; severity: string; scope: string; message: string }[];
    };
    const f = findings.find((x) => x.id === 'mirror-blob-missing')!;
    // The `check --json` shape: the mirror is the scope, the message names the image and the blob.
    expect(f).toMatchObject({ severity: 'error', scope: partial.host });
    expect(f.message).toContain(`serves the manifest of ${partial.host}/lab/single:v1`);
    expect(f.message).toContain(`layer 1 (${single.layers[0]})`);
  });
});

describe("the agent's scans", () => {
  it('keeps blob checks to the host request rate, like manifest probes', async () => {
    const root = await makeRoot([complete]);
    const cache = new CachingClientCache(60_000, new HostPacer(5), { probe: () => undefined });
    const engine = new TraceEngine(await loadTraceContext(root), cache);
    try {
      const started = performance.now();
      const r = await engine.trace(`${source}/lab/single:v1`, { timeoutMs: 5000 });
      // Manifest, config and layer: three starts 200 ms apart on the mirror host.
      expect(performance.now() - started).toBeGreaterThanOrEqual(380);
      expect(r.sources[0]!.blobs).toMatchObject({ outcome: 'complete', checked: 2 });
    } finally {
      engine.close();
    }
  });
});

describe('trace --platform', () => {
  it('chooses the index instance for the platform given, and refuses a malformed one', async () => {
    const root = await makeRoot([partial, complete]);
    const image = `${source}/lab/multi:v1`;
    const arm = await cli('trace', '--root', root, '--platform', 'linux/arm64', '--json', image);
    expect(arm.code).toBe(0);
    expect((JSON.parse(arm.stdout) as TraceResult).sources[0]!.blobs!.platform).toBe('linux/arm64');
    const amd = await cli('trace', '--root', root, '--platform', 'linux/amd64', image);
    expect(amd.code).toBe(1);
    expect(amd.stdout).toContain('blob-missing: the manifest is there but layer 1');
    const bad = await cli('trace', '--root', root, '--platform', 'amd64', image);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--platform needs os/arch or os/arch/variant');
  });

  it('names the runtime asked for in the reason: podman does not fall back either', async () => {
    const root = await makeRoot([partial, complete]);
    const image = `${source}/lab/multi:v1`;
    const args = ['trace', '--root', root, '--platform', 'linux/amd64', '--json', image];
    const podman = JSON.parse((await cli(...args, '--runtime', 'podman')).stdout) as TraceResult;
    expect(podman.result.reason).toContain('(podman does not fall back to the next source');
    expect(podman.result.reason).not.toContain('CRI-O');
    const crio = JSON.parse((await cli(...args)).stdout) as TraceResult;
    expect(crio.result.reason).toContain('(CRI-O does not fall back to the next source');
  });
});

describe('a hostile registry behind the manifest', () => {
  /** A registry serving one manifest with `layers` layers; blob HEADs answer 200, or never when `hang`. */
  async function hostile(layers: number, hang: boolean) {
    const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digest(0), size: 2 },
      layers: Array.from({ length: layers }, (_, i) => ({
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        digest: digest(i + 1),
        size: 2,
      })),
    });
    let heads = 0;
    const server = http.createServer((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      if (req.url?.includes('/manifests/'))
        return void res
          .writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' })
          .end(manifest);
      heads++;
      if (!hang) res.writeHead(200).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const root = await writeNodeRoot(path.join(lab.dir, `hostile-${++rootCounter}`), {
      '/etc/containers/registries.conf': `[[registry]]\nlocation = "${host}"\ninsecure = true\n`,
      '/etc/containers/policy.json': '{"default":[{"type":"insecureAcceptAnything"}]}',
    });
    return {
      host,
      root,
      heads: () => heads,
      close: () => {
        server.closeAllConnections();
        server.close();
      },
    };
  }

  it('checks at most 1000 blobs of a manifest that lists more, and says the answer is incomplete', async () => {
    const h = await hostile(1500, false);
    try {
      const r = await traceOnce(h.root, `${h.host}/big/image:v1`);
      expect(h.heads()).toBe(1000);
      expect(r.sources[0]!.blobs).toMatchObject({ outcome: 'unknown', checked: 1000 });
      expect(r.sources[0]!.blobs!.reason).toContain('501 more blob(s) not asked (at most 1000 are checked)');
      expect(r.result.outcome).toBe('pulled');
    } finally {
      h.close();
    }
  });

  it('stops asking once the registry stops answering, instead of waiting a timeout per blob', async () => {
    const h = await hostile(200, true);
    try {
      const started = performance.now();
      const r = await traceOnce(h.root, `${h.host}/hang/image:v1`, { timeoutMs: 300 });
      expect(performance.now() - started).toBeLessThan(5000);
      expect(h.heads()).toBeLessThanOrEqual(6);
      expect(r.sources[0]!.blobs!.outcome).toBe('unknown');
      expect(r.sources[0]!.blobs!.reason).toContain('not asked after the registry stopped answering');
    } finally {
      h.close();
    }
  });
});
