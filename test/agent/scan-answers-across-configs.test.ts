// The agent's scan answers (manifests and blobs) outlive a configuration change for the sources it
// contacts exactly as before, and never for a source whose credentials or CA changed: the answers
// are keyed by the client, which stands for host, TLS trust and credentials. Counted at a real
// registry, through proxies that record every request.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadHostConfig } from '../../src/agent/host-config.js';
import { scanAnswers, Scanner, type ScanOutput, type ScanSettings } from '../../src/agent/scanner.js';
import { TraceEngine } from '../../src/trace/engine.js';
import { startCountingProxy, type CountingProxy } from '../support/counting-proxy.js';
import { buildOciLayout } from '../support/oci-image.js';
import { authEntry, RegistryLab, writeNodeRoot, type LabUser } from '../support/registry-lab.js';
import { makeServerCertificate } from '../support/test-ca.js';

const ALICE: LabUser = { username: 'alice', password: 'alice-secret' };
const BOB: LabUser = { username: 'bob', password: 'bob-secret' };
const SETTINGS: ScanSettings = { concurrency: 4, probeTtlMs: 600_000, timeoutMs: 5_000, hostRate: 10_000 };
/**
 * A plain-HTTP source with token auth (its credentials change) and a TLS-verified one with no auth
 * (its CA changes), each a registry behind a proxy (a plain-HTTP token realm gets no credentials
 * from a TLS source).
 */
const IMAGES = ['h.example/p/app:one', 't.example/p/app:one'];

let lab: RegistryLab;
let plain: CountingProxy;
let verified: CountingProxy;
let root: string;
let caPem: string;

const BLOB = /^HEAD \/v2\/p\/app\/blobs\//;
const MANIFEST = /^GET \/v2\/p\/app\/manifests\//;

beforeAll(async () => {
  lab = await RegistryLab.create();
  const layout = path.join(lab.dir, 'layout');
  await buildOciLayout(layout, [{ tag: 'one', content: 'answers across configurations' }]);
  const tokens = await lab.startTokenServer([ALICE, BOB]);
  const [registry, open] = await Promise.all([
    lab.startRegistry({ name: 'reg', token: tokens }),
    lab.startRegistry({ name: 'open' }),
  ]);
  await Promise.all([
    lab.push(layout, 'one', registry, 'p/app:one', ALICE),
    lab.push(layout, 'one', open, 'p/app:one'),
  ]);
  const pki = await lab.pki();
  caPem = await readFile(pki.caCert, 'utf8');
  [plain, verified] = await Promise.all([
    startCountingProxy(registry),
    startCountingProxy(open, { certFile: pki.serverCert, keyFile: pki.serverKey }),
  ]);
  root = await writeNodeRoot(path.join(lab.dir, 'root'), {
    '/etc/containers/registries.conf':
      `[[registry]]\nprefix = "h.example/p"\nlocation = "${plain.host}/p"\ninsecure = true\n` +
      `[[registry]]\nprefix = "t.example/p"\nlocation = "${verified.host}/p"\n`,
    '/etc/containers/policy.json': '{"default":[{"type":"insecureAcceptAnything"}]}',
    [`/etc/containers/certs.d/${verified.host}/ca.crt`]: caPem,
    '/var/lib/kubelet/config.json': JSON.stringify({
      auths: { [plain.host]: authEntry(ALICE) },
    }),
  });
}, 120_000);

afterAll(async () => {
  await Promise.all([plain?.stop(), verified?.stop()]);
  await lab?.stop();
});

describe('scan answers across configuration changes', () => {
  it('are reused where the client is the same, and asked again where credentials or the CA changed', async () => {
    const answers = scanAnswers(SETTINGS, { probe: () => undefined });
    let scanner = null as Scanner | null;
    /** A scan with the configuration now on disk (a new Scanner, as the agent makes on a change). */
    const reload = async (): Promise<ScanOutput> => {
      scanner?.close();
      scanner = new Scanner(await loadHostConfig(root, { timeoutMs: SETTINGS.timeoutMs }), SETTINGS, answers);
      return scanner.scan(IMAGES);
    };
    /** What each proxy passed on during `body`. */
    const sent = async <T>(body: () => Promise<T>) => {
      const from = [plain.requests.length, verified.requests.length];
      const result = await body();
      const of = (proxy: CountingProxy, i: number) => {
        const lines = proxy.requests.slice(from[i]);
        return {
          blobs: lines.filter((r) => BLOB.test(r)).length,
          manifests: lines.filter((r) => MANIFEST.test(r)).length,
        };
      };
      return { result, plain: of(plain, 0), verified: of(verified, 1) };
    };
    const conf = path.join(root, 'etc/containers/registries.conf');
    const traces = vi.spyOn(TraceEngine.prototype, 'tracePlan');
    try {
      const first = await sent(reload);
      expect(first.result.images.map((i) => i.pullable)).toEqual([true, true]);
      // The manifest, then the config and the layer.
      expect(first.plain).toEqual({ blobs: 2, manifests: 1 });
      expect(first.verified).toEqual({ blobs: 2, manifests: 1 });

      // A change that touches neither source: every image is traced again, with the answers kept.
      await writeFile(
        conf,
        `${await readFile(conf, 'utf8')}[[registry]]\nprefix = "other.example"\nlocation = "${plain.host}/other"\n`,
      );
      const unrelated = await sent(reload);
      expect(unrelated.plain).toEqual({ blobs: 0, manifests: 0 });
      expect(unrelated.verified).toEqual({ blobs: 0, manifests: 0 });
      expect(unrelated.result.images).toEqual(first.result.images);
      // Nothing cached was replaced, so the next scan reuses every check: no image is traced.
      traces.mockClear();
      const next = await sent(() => scanner!.scan(IMAGES));
      expect(traces).not.toHaveBeenCalled();
      expect(next.result.images).toEqual(first.result.images);

      // Other credentials for the plain source: its answers are not the new client's.
      await writeFile(
        path.join(root, 'var/lib/kubelet/config.json'),
        JSON.stringify({ auths: { [plain.host]: authEntry(BOB) } }),
      );
      const credentials = await sent(reload);
      expect(credentials.plain).toEqual({ blobs: 2, manifests: 1 });
      expect(credentials.verified).toEqual({ blobs: 0, manifests: 0 });
      expect(credentials.result.images.map((i) => i.pullable)).toEqual([true, true]);

      // Another CA trusted for the TLS source (the lab CA still among them): asked again too.
      await writeNodeRoot(root, {
        [`/etc/containers/certs.d/${verified.host}/ca.crt`]: `${caPem}\n${makeServerCertificate().ca}`,
      });
      const ca = await sent(reload);
      expect(ca.verified).toEqual({ blobs: 2, manifests: 1 });
      expect(ca.plain).toEqual({ blobs: 0, manifests: 0 });
      expect(ca.result.images.map((i) => i.pullable)).toEqual([true, true]);
    } finally {
      traces.mockRestore();
      scanner?.close();
      answers.close();
    }
  }, 120_000);
});
