// Planted secrets, end to end. Recognisable passwords and identity tokens (plain and base64) sit in
// every credential file mirrorscope reads — the kubelet pull secret, CRI-O's global_auth_file, podman's
// default auth files, --authfile, Portieris store Secrets — and in key files (policy keys, a certs.d
// client key, a Portieris key Secret), well-formed and malformed (V8's JSON messages quoted the text
// around a syntax error). Then every output is searched for any 8-character piece of them:
// resolve/trace/check/render/admission/report and agent --once (text and --json, stdout and stderr),
// four real agents (log, /v1/findings, /v1/trace, /v1/config, /metrics) and the real collector
// (report, summary, page, metrics, ConfigMap, its log, a trace through it), with pods' pull secrets
// (--pod-pull-secrets): well-formed, malformed, and carried to an agent for a trace of a pod.
import { mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../support/cli.js';
import { AgentProcess } from '../support/agent-process.js';
import { kubeFlags, startCollectorProcess, type CollectorProcess } from '../support/collector-process.js';
import { eventually } from '../support/eventually.js';
import {
  FakeKubeApi,
  dockerConfigSecret,
  nodeObject,
  podObject,
  withPullSecrets,
} from '../support/fake-kube-api.js';
import { buildOciLayout, type BuiltImage } from '../support/oci-image.js';
import { startHostileServer } from '../support/hostile-registry.js';
import { pushSigstoreAttachment } from '../support/sigstore-attachment.js';
import { RegistryLab, writeNodeRoot, type LabRegistry, type TokenServer } from '../support/registry-lab.js';

const NS = 'mirrorscope';

/** One recognisable secret per place it is planted (digits and capitals: no piece reads as a word). */
function planted(code: string): string {
  return `Pl4nt3d${code}Qx7Vw2Rk9Zm`;
}

const USER = 'robot$puller';
const SECRET = {
  kubelet: planted('K1'),
  kubeletOther: planted('K2'),
  global: planted('G1'),
  authfile: planted('A1'),
  podmanRun: planted('P1'),
  podmanConfig: planted('P2'),
  docker: planted('D1'),
  dockercfg: planted('D2'),
  gpgKey: planted('X1'),
  sigstoreKey: planted('X2'),
  clientKey: planted('X3'),
  mirrorObject: planted('M1'),
  configFiles: planted('C1'),
  storeUser: planted('S1'),
  storePassword: planted('S2'),
  portierisKey: planted('X4'),
  podSource: planted('Q1'),
  podMirror: planted('Q2'),
  podMalformed: planted('Q3'),
} as const;

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** Every form a secret can take in a file or on the wire. */
const NEEDLES: readonly string[] = Object.values(SECRET).flatMap((s) => [
  s,
  b64(s),
  b64(`${USER}:${s}`),
  encodeURIComponent(s),
]);

/** Every 8-character piece of every needle (V8 quoted about ten characters around an error). */
const PIECES: readonly string[] = [
  ...new Set(NEEDLES.flatMap((n) => Array.from({ length: n.length - 7 }, (_, i) => n.slice(i, i + 8)))),
];

const outputs: { label: string; text: string }[] = [];

function record(label: string, text: string): void {
  outputs.push({ label, text });
}

function leaks(text: string): string[] {
  return PIECES.filter((p) => text.includes(p));
}

let lab: RegistryLab;
let basic: LabRegistry;
let tokenServer: TokenServer;
let tokenReg: LabRegistry;
let workDir: string;
const roots: Record<string, string> = {};

const auth = (s: string) => ({ auth: b64(`${USER}:${s}`) });

function registriesConf(): string {
  return [
    '[[registry]]',
    `prefix = "${basic.host}/lab"`,
    `location = "${basic.host}/lab"`,
    'insecure = true',
    '[[registry.mirror]]',
    `location = "${tokenReg.host}/lab"`,
    'insecure = true',
    '',
  ].join('\n');
}

function policyJson(): string {
  return JSON.stringify({
    default: [{ type: 'insecureAcceptAnything' }],
    transports: {
      docker: {
        [`${basic.host}/lab/signed`]: [
          { type: 'signedBy', keyType: 'GPGKeys', keyPath: '/etc/pki/planted.gpg' },
        ],
        [`${basic.host}/lab/cosigned`]: [{ type: 'sigstoreSigned', keyPath: '/etc/pki/planted-cosign.pub' }],
      },
    },
  });
}

/** Malformed at the secret itself: the syntax error is inside or right next to it. */
function malformedAuth(secret: string): string {
  return `{\n  "auths": {\n    "${basic.host}": {"auth": ${b64(`${USER}:${secret}`)}},\n    "x": {"identitytoken": "${secret}" "}\n  }\n}\n`;
}

/** The image digest: a lookaside signature for lab/signed and a sigstore attachment for lab/cosigned make the policy read the key files. */
let imageDigest = '';

async function makeRoot(name: string, files: Record<string, string>): Promise<string> {
  const root = await writeNodeRoot(mkdtempSync(path.join(workDir, `root-${name}-`)), {
    '/etc/containers/registries.conf': registriesConf(),
    '/etc/containers/policy.json': policyJson(),
    '/etc/containers/registries.d/default.yaml': 'default-docker:\n  use-sigstore-attachments: true\n',
    '/etc/pki/planted.gpg': `-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n${b64(SECRET.gpgKey)}\n${SECRET.gpgKey}\n-----END PGP PUBLIC KEY BLOCK-----\n`,
    '/etc/pki/planted-cosign.pub': `-----BEGIN PUBLIC KEY-----\n${b64(SECRET.sigstoreKey)}\n-----END PUBLIC KEY-----\n`,
    [`/var/lib/containers/sigstore/lab/signed@${imageDigest.replace(':', '=')}/signature-1`]: Buffer.concat([
      Buffer.from([0xa3, 0x01]),
      Buffer.from(`${SECRET.gpgKey} is not in this signature`),
    ]),
    [`/etc/containers/certs.d/${tokenReg.host}/client.cert`]:
      '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    [`/etc/containers/certs.d/${tokenReg.host}/client.key`]: `-----BEGIN PRIVATE KEY-----\n${b64(SECRET.clientKey)}\n${SECRET.clientKey}\n-----END PRIVATE KEY-----\n`,
    ...files,
  });
  roots[name] = root;
  return root;
}

function podmanFiles(bad: string | null): Record<string, string> {
  const file = (name: string, secret: string, doc: unknown) =>
    name === bad ? malformedAuth(secret) : JSON.stringify(doc);
  return {
    '/run/containers/0/auth.json': file('run', SECRET.podmanRun, {
      auths: { 'other.example': auth(SECRET.podmanRun) },
    }),
    '/root/.config/containers/auth.json': file('config', SECRET.podmanConfig, {
      auths: { 'other.example': auth(SECRET.podmanConfig) },
    }),
    '/root/.docker/config.json': file('docker', SECRET.docker, {
      auths: { [basic.host]: auth(SECRET.docker) },
    }),
    '/root/.dockercfg': file('dockercfg', SECRET.dockercfg, { [basic.host]: auth(SECRET.dockercfg) }),
  };
}

beforeAll(async () => {
  lab = await RegistryLab.create();
  workDir = lab.dir;
  const layout = path.join(lab.dir, 'layout');
  [{ digest: imageDigest }] = (await buildOciLayout(layout, [
    { tag: 'v1', content: 'planted secrets app' },
  ])) as [BuiltImage];
  tokenServer = await lab.startTokenServer([{ username: USER, password: SECRET.kubeletOther }]);
  [basic, tokenReg] = await Promise.all([
    lab.startRegistry({ name: 'basic', basic: { username: USER, password: SECRET.kubelet } }),
    lab.startRegistry({ name: 'token', token: tokenServer }),
  ]);
  await Promise.all([
    lab.push(layout, 'v1', basic, 'lab/app:v1', { username: USER, password: SECRET.kubelet }),
    lab.push(layout, 'v1', basic, 'lab/signed:v1', { username: USER, password: SECRET.kubelet }),
    lab.push(layout, 'v1', basic, 'lab/cosigned:v1', { username: USER, password: SECRET.kubelet }),
  ]);
  // A cosign-style attachment no key verifies: the policy then loads the planted sigstore key file.
  await pushSigstoreAttachment(
    { host: basic.host, authorization: `Basic ${b64(`${USER}:${SECRET.kubelet}`)}` },
    'lab/cosigned',
    imageDigest,
    Buffer.from('{"critical":{}}'),
    b64('not a signature'),
  );
  const kubelet = JSON.stringify({
    auths: { [basic.host]: auth(SECRET.kubelet), [tokenReg.host]: auth(SECRET.kubeletOther) },
  });
  const globalConf = '[crio.image]\nglobal_auth_file = "/etc/crio/pull-secret.json"\n';
  const globalAuth = (bad: boolean) =>
    bad
      ? malformedAuth(SECRET.global)
      : JSON.stringify({
          auths: {
            [tokenReg.host]: { auth: b64('<token>:'), identitytoken: SECRET.global },
            [basic.host]: auth(SECRET.global),
          },
        });
  await Promise.all([
    makeRoot('kubelet', { '/var/lib/kubelet/config.json': kubelet }),
    makeRoot('kubelet-malformed', { '/var/lib/kubelet/config.json': malformedAuth(SECRET.kubelet) }),
    makeRoot('global', {
      '/etc/crio/crio.conf.d/10-auth.conf': globalConf,
      '/etc/crio/pull-secret.json': globalAuth(false),
      '/var/lib/kubelet/config.json': kubelet,
    }),
    makeRoot('global-malformed', {
      '/etc/crio/crio.conf.d/10-auth.conf': globalConf,
      '/etc/crio/pull-secret.json': globalAuth(true),
    }),
    // Every other configuration file malformed at a planted value (not secrets, but no error text
    // should quote a file either).
    makeRoot('config-malformed', {
      '/etc/containers/registries.conf': `[[registry]]\nlocation = "${SECRET.configFiles}\\q"\n`,
      '/etc/containers/registries.conf.d/50-x.conf': `[[registry]]\nprefix = ${SECRET.configFiles}\n`,
      '/etc/containers/registries.d/default.yaml': `docker:\n  ${SECRET.configFiles}: [\n`,
      '/etc/containers/policy.json': `{"default": [{"type": ${SECRET.configFiles}}]}`,
      '/etc/crio/crio.conf': `[crio.image]\nglobal_auth_file = ${SECRET.configFiles}\n`,
      '/var/lib/kubelet/config.json': kubelet,
    }),
    makeRoot('podman', podmanFiles(null)),
    ...['run', 'config', 'docker', 'dockercfg'].map((bad) =>
      makeRoot(`podman-malformed-${bad}`, podmanFiles(bad)),
    ),
  ]);
  writeFileSync(
    path.join(workDir, 'authfile.json'),
    JSON.stringify({ auths: { [basic.host]: auth(SECRET.authfile) } }),
  );
  writeFileSync(path.join(workDir, 'authfile-malformed.json'), malformedAuth(SECRET.authfile));
}, 180_000);

afterAll(async () => {
  await lab?.stop();
});

const APP = () => `${basic.host}/lab/app:v1`;
const IMAGES = () => [APP(), `${basic.host}/lab/signed:v1`, `${basic.host}/lab/cosigned:v1`];

async function cli(label: string, args: string[]): Promise<CliResult> {
  const r = await runCli(args);
  record(`${label}: stdout`, r.stdout);
  record(`${label}: stderr`, r.stderr);
  return r;
}

describe('no output of any command carries a planted secret', () => {
  it('the pieces searched for are specific to the secrets', () => {
    expect(PIECES.length).toBeGreaterThan(300);
    // The search would find a leak: a V8-style quote of a malformed pull secret.
    expect(
      leaks(`Unexpected token 'c', ..."{"auth":${b64(`${USER}:${SECRET.kubelet}`).slice(0, 10)}"...`),
    ).not.toEqual([]);
  });

  it('resolve, trace and check, text and --json, on every root', async () => {
    const runs: { label: string; args: string[]; malformed: boolean }[] = [];
    for (const [name, root] of Object.entries(roots)) {
      const runtime = name.startsWith('podman') ? ['--runtime', 'podman'] : [];
      const malformed = name.includes('malformed');
      for (const json of [[], ['--json']]) {
        const tag = `${name}${json.length ? ' --json' : ''}`;
        const base = ['--root', root, ...runtime, ...json];
        runs.push({ label: `resolve ${tag}`, args: ['resolve', ...base, APP()], malformed: false });
        runs.push({ label: `check ${tag}`, args: ['check', ...base], malformed: false });
        for (const image of IMAGES())
          runs.push({ label: `trace ${tag} ${image}`, args: ['trace', ...base, '--all', image], malformed });
      }
    }
    // Two at a time: the machine has two cores.
    const queue = [...runs];
    const worker = async () => {
      for (let run = queue.shift(); run !== undefined; run = queue.shift()) {
        const r = await cli(run.label, run.args);
        if (run.malformed) {
          expect(r.code, r.stderr).toBe(2);
          if (!run.label.includes('config-malformed'))
            expect(r.stderr + r.stdout).toMatch(/line \d+, column \d+/);
        }
      }
    };
    await Promise.all([worker(), worker()]);
    // The secrets were really used: the kubelet pull secret's password pulls from the Basic registry.
    const traced = outputs.find((o) => o.label === `trace kubelet --json ${APP()}: stdout`)!;
    expect(JSON.parse(traced.text)).toMatchObject({ result: { outcome: 'pulled' } });
    // Each malformed configuration file was reached and reported.
    const configCheck = outputs.find((o) => o.label === 'check config-malformed: stdout')!.text;
    for (const file of ['registries.conf:2', 'crio.conf:2', 'registries.d/default.yaml:3', 'policy.json:1'])
      expect(configCheck).toContain(file);
    // …and the key files were read: the policy got as far as importing the planted keys.
    const text = (image: string) => outputs.find((o) => o.label === `trace kubelet ${image}: stdout`)!.text;
    expect(text(`${basic.host}/lab/signed:v1`)).toContain('No public keys imported');
    expect(text(`${basic.host}/lab/cosigned:v1`)).toContain('parsing public key 1:');
  }, 240_000);

  it('--authfile, well-formed and malformed', async () => {
    for (const file of ['authfile.json', 'authfile-malformed.json']) {
      for (const json of [[], ['--json']]) {
        await cli(`trace --authfile ${file}${json.join('')}`, [
          'trace',
          '--root',
          roots['kubelet']!,
          '--authfile',
          path.join(workDir, file),
          ...json,
          APP(),
        ]);
      }
    }
    const malformed = outputs.find((o) => o.label === 'trace --authfile authfile-malformed.json: stderr')!;
    expect(malformed.text).toMatch(/authfile-malformed\.json:3: invalid JSON/);
  });

  it('agent --once, on every CRI-O root', async () => {
    for (const [name, root] of Object.entries(roots)) {
      if (name.startsWith('podman')) continue;
      const r = await cli(`agent --once ${name}`, [
        'agent',
        '--once',
        '--root',
        root,
        '--node',
        name,
        '--timeout',
        '5000',
        ...IMAGES().flatMap((i) => ['--image', i]),
      ]);
      expect(r.stdout).toMatch(/"findings": \[/);
    }
  }, 120_000);

  it('render, with a planted value in well-formed and malformed mirror objects', async () => {
    const good = path.join(workDir, 'idms.yaml');
    const bad = path.join(workDir, 'idms-bad.yaml');
    const idms = (mirror: string) =>
      `apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata:\n  name: planted\nspec:\n  imageDigestMirrors:\n  - source: quay.io/acme\n    mirrors:\n${mirror}`;
    writeFileSync(good, idms('    - mirror.example.com/acme\n'));
    writeFileSync(bad, idms(`    - "mirror.example.com/acme\n      ${SECRET.mirrorObject}: [\n`));
    for (const file of [good, bad])
      for (const json of [[], ['--json']])
        await cli(`render ${path.basename(file)}${json.join('')}`, ['render', '-f', file, ...json]);
  });
});

describe('admission: Portieris store credentials and key Secrets', () => {
  it('admission --policies, well-formed and malformed, text and --json', async () => {
    // Portieris reads the image from its registry over https only.
    const open = await lab.startRegistry({ name: 'open', tls: true });
    const layout = path.join(workDir, 'layout');
    await lab.push(layout, 'v1', open, 'lab/app:v1');
    // The signature store: one "signature" for any image, and the credentials it was sent.
    const store = await startHostileServer((req, res) =>
      req.url!.endsWith('/signature-1')
        ? res.writeHead(200).end(Buffer.from([0xa3, 0x01, 0x02]))
        : res.writeHead(404).end(),
    );
    try {
      const secrets = (malformed: boolean) => `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Secret
  metadata: {name: signer, namespace: portieris}
  stringData:
    key: "-----BEGIN PGP PUBLIC KEY BLOCK-----\\n\\n${b64(SECRET.portierisKey)}\\n-----END PGP PUBLIC KEY BLOCK-----\\n"
- apiVersion: v1
  kind: Secret
  metadata: {name: store-creds, namespace: shop}
  stringData: {username: ${SECRET.storeUser}, password: ${malformed ? `[${SECRET.storePassword}` : SECRET.storePassword}}
`;
      const policy = `apiVersion: portieris.cloud.ibm.com/v1
kind: ClusterImagePolicy
metadata: {name: planted}
spec:
  repositories:
  - name: "${open.host}/lab/*"
    policy:
      simple:
        storeURL: ${store.origin}
        storeSecret: store-creds
        requirements:
        - type: signedBy
          keySecret: signer
          keySecretNamespace: portieris
`;
      for (const malformed of [false, true]) {
        const dir = mkdtempSync(path.join(workDir, 'policies-'));
        writeFileSync(path.join(dir, 'secrets.yaml'), secrets(malformed));
        writeFileSync(path.join(dir, 'policy.yaml'), policy);
        for (const json of [[], ['--json']]) {
          const r = await cli(`admission${malformed ? ' malformed' : ''}${json.join('')}`, [
            'admission',
            '--policies',
            dir,
            '--namespace',
            'shop',
            '--ca',
            (await lab.pki()).caCert,
            ...json,
            `${open.host}/lab/app:v1`,
          ]);
          if (malformed) expect(r.code, r.stdout + r.stderr).toBe(2);
          else expect(r.stdout).toMatch(/signature|signedBy|key/i);
        }
      }
      // The store credentials were really used: the store got them as Basic auth.
      expect(store.seen.map((x) => x.authorization)).toContain(
        `Basic ${b64(`${SECRET.storeUser}:${SECRET.storePassword}`)}`,
      );
    } finally {
      await store.stop();
      await open.stop();
    }
  }, 120_000);
});

describe('no agent or collector output carries a planted secret', () => {
  let api: FakeKubeApi;
  let collector: CollectorProcess;
  const agents: { node: string; agent: AgentProcess }[] = [];

  beforeAll(async () => {
    api = await new FakeKubeApi().start();
    api.traceUser('admin-token', 'alice');
    collector = await startCollectorProcess([
      ...kubeFlags(api, NS),
      '--heartbeat-interval',
      '2',
      '--configmap-interval',
      '1',
      '--trace-timeout',
      '30',
      '--pod-pull-secrets',
    ]);
    // Pods' pull secrets: the source's and the mirror's credentials, and one the kubelet cannot read.
    api.upsert(
      'secrets',
      dockerConfigSecret('shop', 'regcred', {
        [basic.host]: { username: USER, password: SECRET.podSource },
        [tokenReg.host]: { username: USER, password: SECRET.podMirror },
      }),
    );
    api.upsert('secrets', {
      metadata: { name: 'broken', namespace: 'shop' },
      type: 'kubernetes.io/dockerconfigjson',
      data: {
        '.dockerconfigjson': b64(
          `{"auths":{"${basic.host}":{"auth":"${b64(`${USER}:${SECRET.podMalformed}`)}", "password": "${SECRET.podMalformed}`,
        ),
      },
    });
    api.upsert(
      'pods',
      withPullSecrets(podObject('shop', 'broken-pod', 'kubelet', { containers: IMAGES() }), ['broken']),
    );
    const nodes = ['kubelet', 'kubelet-malformed', 'global', 'global-malformed'];
    for (const node of nodes) {
      api.upsert('nodes', nodeObject(node));
      api.agentToken(`token-${node}`, node);
      api.upsert(
        'pods',
        withPullSecrets(podObject('shop', `app-${node}`, node, { containers: IMAGES() }), ['regcred']),
      );
      const tokenFile = path.join(workDir, `token-${node}`);
      writeFileSync(tokenFile, `token-${node}\n`);
      const agent = AgentProcess.start(
        [
          '--root',
          roots[node]!,
          '--node',
          node,
          '--collector',
          collector.url.replace('http', 'ws'),
          '--token-file',
          tokenFile,
          '--listen',
          '127.0.0.1:0',
          '--scan-interval',
          '300',
          '--timeout',
          '5000',
          ...IMAGES().flatMap((i) => ['--image', i]),
        ],
        { KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '' },
      );
      agents.push({ node, agent });
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.agent.stop()));
    await collector?.stop();
    await api?.stop();
  });

  /** The status line and body; anything but 200 would make the search pointless. */
  async function text(url: string, token: string | null = null): Promise<string> {
    const res = await fetch(url, { headers: token === null ? {} : { Authorization: `Bearer ${token}` } });
    const body = `${res.status}\n${await res.text()}`;
    expect(res.status, `${url}: ${body.slice(0, 500)}`).toBe(200);
    return body;
  }

  it('agents: log, findings, trace, config, metrics', async () => {
    for (const a of agents) {
      const base = await a.agent.httpBase();
      const findings = await eventually(
        async () => {
          const t = await text(`${base}/v1/findings`);
          expect(t).toMatch(/^200\n/);
          expect(t).toMatch(/"findings":\[\{/);
          return t;
        },
        `${a.node} has findings`,
        60_000,
        300,
      );
      record(`agent ${a.node} /v1/findings`, findings);
      if (a.node.endsWith('malformed'))
        expect(findings).toMatch(/invalid JSON: [a-z ]+ at line \d+, column \d+/);
      for (const image of IMAGES())
        record(
          `agent ${a.node} /v1/trace ${image}`,
          await text(`${base}/v1/trace?image=${encodeURIComponent(image)}&all=1`),
        );
      record(`agent ${a.node} /v1/config`, await text(`${base}/v1/config`));
      record(`agent ${a.node} /metrics`, await text(`${base}/metrics`));
    }
  }, 120_000);

  it('collector: report, summary, page, metrics, ConfigMap, trace through it, log', async () => {
    const report = await eventually(
      async () => {
        const t = await text(`${collector.url}/api/v1/report`, 'admin-token');
        for (const a of agents) expect(t).toContain(`"${a.node}"`);
        expect(t).toMatch(/invalid JSON: [a-z ]+ at line \d+, column \d+/);
        return t;
      },
      'every agent is in the report',
      90_000,
      500,
    );
    record('collector report', report);
    record('collector summary', await text(`${collector.url}/api/v1/summary`, 'admin-token'));
    record('collector page', await text(`${collector.url}/`, 'admin-token'));
    record('collector metrics', await text(`${collector.url}/metrics`, 'admin-token'));
    for (const node of ['kubelet', 'kubelet-malformed'])
      record(
        `collector trace ${node}`,
        await text(
          `${collector.url}/api/v1/nodes/${node}/trace?image=${encodeURIComponent(APP())}&all=1`,
          'admin-token',
        ),
      );
    for (const node of ['kubelet', 'global']) {
      const podTrace = await text(
        `${collector.url}/api/v1/nodes/${node}/trace?image=${encodeURIComponent(APP())}&all=1&namespace=shop&pod=app-${node}`,
        'admin-token',
      );
      // The pod's credentials went to the agent and were used: the trace names where they came from.
      expect(podTrace).toContain(`pull secret shop/regcred, key \\"${basic.host}\\"`);
      record(`collector trace of pod app-${node}`, podTrace);
    }
    // The kubelet cannot decode the secret: the trace is refused, and says why without quoting it.
    const refused = await fetch(
      `${collector.url}/api/v1/nodes/kubelet/trace?image=${encodeURIComponent(APP())}&namespace=shop&pod=broken-pod`,
      { headers: { Authorization: 'Bearer admin-token' } },
    );
    const refusedText = await refused.text();
    expect(refused.status, refusedText).toBe(409);
    expect(refusedText).toContain('shop/broken');
    record('collector trace of a pod with a malformed pull secret', refusedText);
    const configMap = await eventually(
      () => {
        const cm = api.get('configmaps', 'mirrorscope-report', NS);
        expect(cm).toBeDefined();
        return cm;
      },
      'the collector wrote its ConfigMap',
      30_000,
      300,
    );
    record('collector ConfigMap', JSON.stringify(configMap));
    const adminToken = path.join(workDir, 'admin-token');
    writeFileSync(adminToken, 'admin-token\n');
    for (const json of [[], ['--json']]) {
      const r = await cli(`report${json.join('')}`, [
        'report',
        '--collector',
        collector.url,
        '--token-file',
        adminToken,
        ...json,
      ]);
      expect(r.stdout).toContain('kubelet-malformed');
    }
    record('collector log', collector.log.join('\n'));
    for (const a of agents) record(`agent ${a.node} log`, `${a.agent.stdout}\n${a.agent.stderr}`);
  }, 150_000);
});

describe('the search', () => {
  it('found no piece of any planted secret in any output', () => {
    const found = outputs.flatMap((o) => leaks(o.text).map((p) => `${o.label}: …${p}…`));
    expect(found).toEqual([]);
    expect(outputs.length).toBeGreaterThan(150);
  });
});
