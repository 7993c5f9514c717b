// The agent's building blocks on their own: options, outbox, backoff, findings diff, config digests
// and watching, the probe answer cache (against a real HTTP server), pod image listing.
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { cp, mkdtemp, rename, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Agent } from '../../src/agent/agent.js';
import { Backoff } from '../../src/agent/backoff.js';
import { agentEndpoint } from '../../src/agent/collector-link.js';
import { readConfigFiles } from '../../src/agent/config-files.js';
import { ConfigWatcher } from '../../src/agent/config-watcher.js';
import { FindingsStore } from '../../src/agent/findings-store.js';
import { imagesOfPods } from '../../src/agent/kube-images.js';
import { ConcurrencyLimit, FairLimit, HostLimit, HostPacer } from '../../src/agent/limits.js';
import { agentOptions, listenFlag } from '../../src/agent/options.js';
import { Outbox } from '../../src/agent/outbox.js';
import { parseListen } from '../../src/protocol/listen-address.js';
import { ScanLog } from '../../src/agent/scan-log.js';
import { ScanState } from '../../src/agent/scan-state.js';
import { CachingClientCache } from '../../src/agent/probe-cache.js';
import { keyed } from '../../src/core/diagnose/finding-key.js';
import { Credentials } from '../../src/core/credentials/secret.js';
import { MirrorscopeError } from '../../src/core/errors.js';
import { NodeRoot } from '../../src/host/node-root.js';
import type { ProbeFailure } from '../../src/probe/registry-client.js';
import type { NodeFinding } from '../../src/core/findings/types.js';
import { REPO } from '../support/cli.js';

const finding = (subject: string, message = 'm'): NodeFinding =>
  keyed({ id: 'mirror-unreachable', message, location: null, scope: 'h', subject });

describe('options', () => {
  it('takes the stable flags, NODE_NAME, and refuses what makes no sense', () => {
    const o = agentOptions(
      { image: ['a:1', 'b:2'], 'scan-interval': 60, collector: 'wss://collector:8443' },
      { NODE_NAME: 'worker-1', POD_NAME: 'p' },
    );
    expect(o).toMatchObject({
      node: 'worker-1',
      images: ['a:1', 'b:2'],
      scanIntervalMs: 60_000,
      probeTtlMs: 54_000,
      collector: 'wss://collector:8443',
      listen: { host: '127.0.0.1', port: 9464 },
      root: '/',
      once: false,
      pod: { name: 'p', namespace: null },
    });
    expect(() => agentOptions({}, {})).toThrow(MirrorscopeError);
    expect(() => agentOptions({ node: 'n', collector: 'http://x' }, {})).toThrow(/ws:\/\/ or wss:\/\//);
    expect(() => agentOptions({ node: 'n', 'scan-interval': 0 }, {})).toThrow(/positive/);
    expect(listenFlag('off')).toBeNull();
    expect(listenFlag('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    expect(listenFlag(':9000')).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(() => listenFlag('9464')).toThrow(/HOST:PORT/);
    // The collector's --listen is the same function: an empty host is loopback there too.
    expect(parseListen(':8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(() => parseListen('off')).toThrow(/--listen off: expected HOST:PORT/);
    expect(agentEndpoint('ws://c:8080')).toBe('ws://c:8080/api/v1/agents');
    expect(agentEndpoint('wss://c/custom/path')).toBe('wss://c/custom/path');
    expect(agentEndpoint('wss://user:pw@c:8443')).toBe('wss://c:8443/api/v1/agents');
  });
});

describe('outbox', () => {
  it('coalesces by key: the latest state of a finding wins', () => {
    const box = new Outbox(100);
    expect(box.empty).toBe(true);
    box.add({ added: [finding('a'), finding('b')], cleared: [], hosts: [], images: [] });
    box.add({ added: [finding('a', 'changed')], cleared: [finding('b').key], hosts: [], images: [] });
    box.add({
      added: [],
      cleared: [],
      hosts: [],
      images: [{ image: 'x', pullable: true, source: null, digest: null, findingKeys: [] }],
    });
    const d = box.take();
    expect(d.added.map((f) => f.message)).toEqual(['changed']);
    expect(d.cleared).toEqual([finding('b').key]);
    expect(d.images).toHaveLength(1);
    expect(box.empty).toBe(true);
  });

  it('is bounded: past the bound it asks for a snapshot instead', () => {
    const box = new Outbox(3);
    box.add({ added: ['a', 'b', 'c', 'd'].map((s) => finding(s)), cleared: [], hosts: [], images: [] });
    expect(box.needsSnapshot).toBe(true);
    expect(box.take().added).toEqual([]);
  });
});

describe('backoff', () => {
  it('grows exponentially with full jitter up to the cap, and resets', () => {
    const top = new Backoff(1000, 8000, () => 0.999999);
    expect([1, 2, 3, 4, 5].map(() => top.next())).toEqual([999, 1999, 3999, 7999, 7999]);
    top.reset();
    expect(top.next()).toBe(999);
    const low = new Backoff(1000, 8000, () => 0);
    expect(low.next()).toBe(100);
  });
});

describe('findings store', () => {
  it('reports new, changed and cleared findings', () => {
    const store = new FindingsStore();
    expect(store.replace([finding('a'), finding('b')]).added).toHaveLength(2);
    const change = store.replace([finding('a'), finding('b', 'other text'), finding('c')]);
    expect(change.added.map((f) => f.key)).toEqual([finding('b').key, finding('c').key]);
    const cleared = store.replace([finding('c')]);
    expect(cleared.cleared.map((f) => f.key)).toEqual([finding('a').key, finding('b').key]);
    expect(store.replace([finding('c')])).toEqual({ added: [], cleared: [], unchecked: [] });
  });
});

describe('limits', () => {
  it('never runs more than the limit at once', async () => {
    const limit = new ConcurrencyLimit(3);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 12 }, () =>
        limit.run(async () => {
          peak = Math.max(peak, ++active);
          await new Promise((r) => setImmediate(r));
          active--;
        }),
      ),
    );
    expect(peak).toBe(3);
  });

  it('bounds the requests in flight per host, each host on its own', async () => {
    const limit = new HostLimit(2);
    const active = new Map<string, number>();
    const peak = new Map<string, number>();
    let release!: () => void;
    const stuck = new Promise<void>((r) => (release = r));
    const run = (host: string, wait: Promise<unknown>) =>
      limit.run(host, async () => {
        active.set(host, (active.get(host) ?? 0) + 1);
        peak.set(host, Math.max(peak.get(host) ?? 0, active.get(host)!));
        await wait;
        active.set(host, active.get(host)! - 1);
      });
    // Six requests to a host that does not answer until released, six to one that answers at once.
    const slow = Array.from({ length: 6 }, () => run('slow', stuck));
    await Promise.all(Array.from({ length: 6 }, () => run('fast', new Promise((r) => setImmediate(r)))));
    expect(peak.get('fast')).toBe(2);
    expect(active.get('slow')).toBe(2);
    release();
    await Promise.all(slow);
    expect(peak.get('slow')).toBe(2);
  });

  it('bounds tasks in all and per key, and gives freed places to the waiting keys in turn', async () => {
    const limit = new FairLimit(4, 2);
    const active = new Map<string, number>();
    let peak = 0;
    const peakByKey = new Map<string, number>();
    const started: string[] = [];
    let release!: () => void;
    const stuck = new Promise<void>((r) => (release = r));
    const run = (key: string, wait: () => Promise<unknown>) =>
      limit.run(key, async () => {
        started.push(key);
        active.set(key, (active.get(key) ?? 0) + 1);
        peak = Math.max(peak, limit.running);
        peakByKey.set(key, Math.max(peakByKey.get(key) ?? 0, active.get(key)!));
        await wait();
        active.set(key, active.get(key)! - 1);
      });
    // Eight tasks of a key whose tasks do not end until released, queued first; then two other keys.
    const slow = Array.from({ length: 8 }, () => run('slow', () => stuck));
    const tick = () => new Promise((r) => setImmediate(r));
    const others = [
      ...Array.from({ length: 6 }, () => run('a', tick)),
      ...Array.from({ length: 6 }, () => run('b', tick)),
    ];
    // The slow key holds its own two places only: every other task runs, two per key at most.
    await Promise.all(others);
    expect(active.get('slow')).toBe(2);
    expect(peak).toBe(4);
    expect(peakByKey.get('a')).toBe(2);
    expect(peakByKey.get('b')).toBe(2);
    // a takes the two free places; from then on each freed place goes to the key that has waited
    // longest for one, so a and b alternate instead of a running all of its tasks first.
    expect(started.filter((k) => k !== 'slow').join(',')).toBe('a,a,a,b,a,b,a,b,a,b,b,b');
    release();
    await Promise.all(slow);
    expect(peakByKey.get('slow')).toBe(2);
    expect(limit.running).toBe(0);
  });

  it('spaces request starts per host, not across hosts', async () => {
    const pacer = new HostPacer(1000, () => 0);
    const order: string[] = [];
    await Promise.all([
      pacer.take('a').then(() => order.push('a1')),
      pacer.take('a').then(() => order.push('a2')),
      pacer.take('b').then(() => order.push('b1')),
    ]);
    expect(order.indexOf('b1')).toBeLessThan(order.indexOf('a2'));
  });
});

describe('pod images', () => {
  it('includes init and ephemeral containers, once each', () => {
    const pods = [
      {
        spec: {
          containers: [{ image: 'app:1' }],
          initContainers: [{ image: 'init:1' }],
          ephemeralContainers: [{ image: 'debug:1' }],
        },
      },
      { spec: { containers: [{ image: 'app:1' }, { image: 'side:2' }] } },
      {},
    ];
    expect(imagesOfPods(pods)).toEqual(['app:1', 'debug:1', 'init:1', 'side:2']);
  });
});

describe('config digests and watching', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mirrorscope-agent-'));
    await mkdir(path.join(dir, 'etc/containers/registries.conf.d'), { recursive: true });
    await writeFile(path.join(dir, 'etc/containers/registries.conf'), 'unqualified-search-registries = []\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('hashes the files read, in path order, and lists the directories to watch', async () => {
    const root = new NodeRoot(dir);
    const a = await readConfigFiles(root);
    expect(a.files.map((f) => f.path)).toEqual(['/etc/containers/registries.conf']);
    expect(a.directories).toEqual(['/etc', '/etc/containers', '/etc/containers/registries.conf.d']);
    expect(a.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await readConfigFiles(root)).hash).toBe(a.hash);
    await writeFile(path.join(dir, 'etc/containers/registries.conf.d/10-a.conf'), '');
    const b = await readConfigFiles(root);
    expect(b.hash).not.toBe(a.hash);
    expect(b.files.map((f) => f.path)).toEqual([
      '/etc/containers/registries.conf',
      '/etc/containers/registries.conf.d/10-a.conf',
    ]);
  });

  it('notices a file replaced atomically (a new inode) through the directory watch', async () => {
    const root = new NodeRoot(dir);
    const initial = await readConfigFiles(root);
    let current = initial.hash;
    const changed = new Promise<string>((resolve) => {
      const watcher = new ConfigWatcher({
        root,
        pollMs: 3_600_000, // only the watch can see it
        extra: () => [],
        current: () => current,
        onChange: (files) => {
          current = files.hash;
          watcher.stop();
          resolve(files.hash);
        },
        onError: () => {},
      });
      watcher.start(initial.directories);
    });
    const target = path.join(dir, 'etc/containers/registries.conf');
    await writeFile(`${target}.new`, 'unqualified-search-registries = ["quay.io"]\n');
    await rename(`${target}.new`, target);
    const hash = await changed;
    expect(hash).not.toBe(initial.hash);
    expect(hash).toBe((await readConfigFiles(root)).hash);
  });
});

/** An agent on a fresh node root with this registries.conf, loaded; stopped and removed after `body`. */
async function withAgent(
  registriesConf: string,
  flags: Record<string, string | number>,
  body: (agent: Agent, lines: string[], state: ScanState) => Promise<void>,
  images: readonly string[] = [],
): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mirrorscope-agent-'));
  try {
    await mkdir(path.join(dir, 'etc/containers'), { recursive: true });
    await writeFile(path.join(dir, 'etc/containers/registries.conf'), registriesConf);
    await writeFile(
      path.join(dir, 'etc/containers/policy.json'),
      '{"default":[{"type":"insecureAcceptAnything"}]}',
    );
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _e, cb) => (lines.push(chunk.toString()), cb()) });
    const log = pino({ level: 'info', base: { node: 'n' } }, sink);
    const options = agentOptions({ node: 'n', root: dir, listen: 'off', ...flags }, {});
    const state = new ScanState();
    const agent = new Agent({ ...options, images }, log, [new ScanLog(log), state]);
    try {
      await body(agent, lines, state);
    } finally {
      await agent.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('agent lifecycle', () => {
  it('is ready once the configuration is loaded and the first scan is done, and not while stopping', async () => {
    await withAgent('unqualified-search-registries = []\n', {}, async (agent, lines, state) => {
      expect(state.ready).toBe(false);
      await agent.load();
      expect(state.ready).toBe(false);
      await agent.scan('test');
      expect(state.ready).toBe(true);
      expect(agent.snapshot(1)).toMatchObject({
        type: 'snapshot',
        seq: 1,
        findings: [],
        images: [],
        configHash: agent.configHash,
      });
      await agent.stop();
      expect(state.ready).toBe(false);
      expect(lines.join('')).toContain('"event":"scan"');
    });
  });
});

describe('the CRI-O version the agent simulates', () => {
  // Two search registries nothing listens on: the short name is ambiguous for CRI-O ≥ 1.34 only.
  const SEARCH = 'unqualified-search-registries = ["127.0.0.1:9", "127.0.0.1:10"]\n';
  const withVersionAgent = (
    flags: Record<string, string>,
    body: (agent: Agent, lines: string[]) => Promise<void>,
  ): Promise<void> =>
    withAgent(
      SEARCH,
      { timeout: 500, ...flags },
      async (agent, lines) => {
        await agent.load();
        await body(agent, lines);
      },
      ['app:1'],
    );
  const ids = (agent: Agent): string[] => agent.findings.map((f) => f.id);

  it("follows the collector's containerRuntimeVersion, reloading when it changes", async () => {
    await withVersionAgent({}, async (agent, lines) => {
      expect(agent.snapshot(1).runtime).toEqual({
        name: 'crio',
        version: null,
        containersImage: null,
        source: null,
      });
      await agent.scan('test');
      const unknown = agent.findings.find((f) => f.id === 'short-name-ambiguous');
      expect(unknown?.message).toContain("The node's CRI-O version is unknown");

      await agent.setReportedRuntime('cri-o://1.33.2-3.rhaos4.20.el9');
      await agent.settled();
      await agent.scan('test');
      expect(ids(agent)).not.toContain('short-name-ambiguous');
      expect(agent.snapshot(2).runtime).toEqual({
        name: 'crio',
        version: '1.33.2',
        containersImage: '5.35',
        source: 'collector',
      });
      // CRI-O up to 1.34 skips TLS for registries on 127.0.0.0/8 (its built-in insecure_registries entry).
      expect(agent.snapshot(2).images[0]?.resolution).toBe(
        '127.0.0.1:9/app:1 (insecure) | then 127.0.0.1:10/app:1 (insecure)',
      );
      expect(lines.join('')).toContain('simulating CRI-O 1.33.2');

      await agent.setReportedRuntime('containerd://1.7.2');
      expect(lines.join('')).toContain('which is not CRI-O');
      expect(agent.runtimeInfo.version).toBeNull();
    });
  });

  it('lets --crio-version win over the collector', async () => {
    await withVersionAgent({ 'crio-version': '1.34.1' }, async (agent) => {
      await agent.setReportedRuntime('cri-o://1.33.2-3.rhaos4.20.el9');
      await agent.scan('test');
      expect(agent.runtimeInfo).toMatchObject({ version: '1.34.1', source: 'flag' });
      const finding = agent.findings.find((f) => f.id === 'short-name-ambiguous');
      expect(finding?.message).toContain(
        'short name mode is enforcing, but image name app:1 returns ambiguous list',
      );
      expect(finding?.message).not.toContain('unknown');
    });
  });
});

describe('probe answer cache', () => {
  let server: http.Server;
  let host: string;
  const requests: string[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      if (req.url === '/v2/acme/app/manifests/missing')
        return void res
          .writeHead(404, { 'Content-Type': 'application/json' })
          .end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
      const body = Buffer.from(
        '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]}',
      );
      res.writeHead(200, {
        'Content-Type': 'application/vnd.oci.image.manifest.v1+json',
        'Content-Length': body.length,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('sends identical probes once per TTL, joins concurrent ones, and answers HEAD from a GET', async () => {
    const seen: string[] = [];
    const cache = new CachingClientCache(60_000, new HostPacer(1000), {
      probe: (h, _s, outcome) => seen.push(`${h} ${outcome}`),
    });
    const config = {
      host,
      insecure: true,
      tls: { dir: null, cas: [], clientCert: null, clientKey: null },
      credentials: Credentials.anonymous,
      credentialsFound: false,
      timeoutMs: 5000,
      userAgent: 'test',
    };
    const log = () => {};
    try {
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => cache.get(config).manifest('acme/app', 'v1', 'GET', log)),
      );
      expect(new Set(answers.map((a) => a.digest)).size).toBe(1);
      const head = await cache.get(config).manifest('acme/app', 'v1', 'HEAD', log);
      expect(head.status).toBe(200);
      const missing = await cache.get(config).manifest('acme/app', 'missing', 'GET', log);
      expect(missing.classified.outcome).toBe('manifest-unknown');
      await cache.get(config).manifest('acme/app', 'missing', 'GET', log);
      const manifestRequests = requests.filter((r) => r.includes('/manifests/'));
      expect(manifestRequests).toEqual([
        'GET /v2/acme/app/manifests/v1',
        'GET /v2/acme/app/manifests/missing',
      ]);
      expect(cache.takeProbeCount()).toBe(2);
      expect(seen).toEqual([`${host} found`, `${host} manifest-unknown`]);
      cache.sweep(Date.now() + 61_000);
      await cache.get(config).manifest('acme/app', 'v1', 'GET', log);
      expect(cache.takeProbeCount()).toBe(1);
    } finally {
      cache.close();
    }
  });

  it('does not wait for a host that did not answer again within the TTL', async () => {
    const dead = net.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
    const deadHost = `127.0.0.1:${(dead.address() as AddressInfo).port}`;
    await new Promise((r) => dead.close(r));
    const seen: string[] = [];
    const cache = new CachingClientCache(60_000, new HostPacer(1000), {
      probe: (h, _s, outcome) => seen.push(`${h} ${outcome}`),
    });
    const config = {
      host: deadHost,
      insecure: true,
      tls: { dir: null, cas: [], clientCert: null, clientKey: null },
      credentials: Credentials.anonymous,
      credentialsFound: false,
      timeoutMs: 5000,
      userAgent: 'test',
    };
    const steps: string[] = [];
    try {
      for (const repo of ['a/one', 'b/two']) {
        const err = await cache
          .get(config)
          .manifest(repo, 'v1', 'GET', (s) => steps.push(s.message))
          .then(
            () => null,
            (e: unknown) => e,
          );
        expect((err as ProbeFailure).classified.outcome).toBe('unreachable');
      }
      expect(seen).toEqual([`${deadHost} unreachable`]);
      expect(steps.at(-1)).toMatch(
        new RegExp(`b/two/manifests/v1: not sent, ${deadHost} did not answer \\d+ s ago$`),
      );
    } finally {
      cache.close();
    }
  });

  it('tells later probes the first failure of a host, not a consequence that ended after it', async () => {
    // A registry that answers /v2/ but never a manifest, and cuts its other connections once one of
    // them gave up: the request in flight beside the first timeout ends in "socket hang up".
    let manifests = 0;
    const waiting: http.IncomingMessage[] = [];
    const silent = http.createServer((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      manifests++;
      waiting.push(req);
      req.socket.once('close', () => {
        for (const other of waiting) if (other !== req) other.socket.destroy();
      });
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const silentHost = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const seen: string[] = [];
    const cache = new CachingClientCache(60_000, new HostPacer(1000), {
      probe: (h, _s, outcome) => seen.push(outcome),
    });
    const config = {
      host: silentHost,
      insecure: true,
      tls: { dir: null, cas: [], clientCert: null, clientKey: null },
      credentials: Credentials.anonymous,
      credentialsFound: false,
      timeoutMs: 500,
      userAgent: 'test',
    };
    const outcome = (repo: string) =>
      cache
        .get(config)
        .manifest(repo, 'v1', 'GET', () => {})
        .then(
          () => 'answered',
          (e: unknown) => (e as ProbeFailure).classified.outcome,
        );
    try {
      const first = outcome('a/one');
      await new Promise((r) => setTimeout(r, 200));
      expect(await Promise.all([first, outcome('b/two')])).toEqual(['timeout', 'unreachable']);
      expect(seen).toEqual(['timeout', 'unreachable']);
      // Not sent: what the host did is the timeout, whichever request happened to end last.
      expect(await outcome('c/three')).toBe('timeout');
      expect(manifests).toBe(2);
    } finally {
      cache.close();
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  });
});

describe('a partial scan', () => {
  it('keeps the findings of a check that could not run, marked stale, and never logs them as resolved', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mirrorscope-partial-'));
    try {
      await cp(path.join(REPO, 'examples/node-root'), dir, { recursive: true });
      const lines: string[] = [];
      const sink = new Writable({ write: (chunk: Buffer, _e, cb) => (lines.push(chunk.toString()), cb()) });
      const log = pino({ level: 'info', base: { node: 'w1' } }, sink);
      const state = new ScanState();
      const agent = new Agent(agentOptions({ node: 'w1', root: dir, listen: 'off' }, {}), log, [
        new ScanLog(log),
        state,
      ]);
      await agent.load();
      await agent.scan('test');
      const local = () => agent.findings.filter((f) => f.id === 'signature-storage-local-only');
      const before = local().length;
      expect(before).toBeGreaterThan(0);
      expect(local().every((f) => f.stale === undefined)).toBe(true);
      // Break a registries.d drop-in: registries.d cannot load, so the check cannot run.
      const dropIn = path.join(dir, 'etc/containers/registries.d/registry.redhat.io.yaml');
      await writeFile(dropIn, 'docker: [unclosed\n');
      await agent.load();
      lines.length = 0;
      await agent.scan('test');
      expect(local()).toHaveLength(before);
      for (const f of local()) expect(f.stale).toMatch(/^registries\.d cannot be loaded \(/);
      const logged = lines.map((l) => JSON.parse(l) as { event?: string; code?: string; msg: string });
      expect(
        logged.filter((l) => l.event === 'finding-cleared' && l.code === 'signature-storage-local-only'),
      ).toEqual([]);
      expect(logged.filter((l) => l.event === 'finding-unchecked')).toHaveLength(before);
      expect(logged.find((l) => l.event === 'finding-unchecked')!.msg).toMatch(
        /^Not checked \(signature-storage-local-only\)/,
      );
      expect(
        state.findingsDocument().findings.find((f) => f.id === 'signature-storage-local-only')!.stale,
      ).toMatch(/registries\.d cannot be loaded/);
      // The cause id is on every finding line.
      const appeared = logged.filter((l) => l.event === 'finding-appeared') as unknown as { cause: string }[];
      expect(appeared.length).toBeGreaterThan(0);
      for (const l of appeared) expect(l.cause).toMatch(/^[a-z-]+:/);
      await agent.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
