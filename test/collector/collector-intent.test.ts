// The collector on an OpenShift cluster (the fake API serving OpenShift's objects): it watches the
// mirror objects and MachineConfigPools, fetches the MachineConfigs its comparison needs, reads the
// nodes' MCO annotations and its agents' file digests, and reports intent vs reality — findings and
// the rollout view — as the API, the page and the metrics show it. Also: a plain Kubernetes.
import { appendFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterReport } from '../../src/core/report/types.js';
import { readMachineConfig } from '../../src/core/rollout/machine-config.js';
import { AgentProcess } from '../support/agent-process.js';
import { launchChromium } from '../support/chromium.js';
import { REPO } from '../support/cli.js';
import { FakeKubeApi } from '../support/fake-kube-api.js';
import {
  diskDigests,
  generatedConfig,
  generatedRegistriesConf,
  renderedConfig,
  standardSources,
  templateConfig,
  upsertLaggingWorkerPool,
} from '../support/mco-cluster.js';
import {
  clusterVersion,
  imageConfig,
  imageContentSourcePolicy,
  imageDigestMirrorSet,
  machineConfig,
  machineConfigPool,
  mcoNode,
} from '../support/openshift-objects.js';
import { writeNodeRoot } from '../support/registry-lab.js';
import { kubeFlags, startCollectorProcess, type CollectorProcess } from '../support/collector-process.js';
import { ProtocolAgent } from '../support/protocol-agent.js';
import { eventually } from '../support/eventually.js';

const IDMS = imageDigestMirrorSet('team-mirrors', [
  { source: 'quay.example/team', mirrors: ['mirror.lab.example:5000/team'] },
]);
const GENERATED = generatedRegistriesConf([IDMS]);
const OLD = generatedRegistriesConf([
  imageDigestMirrorSet('team-mirrors', [{ source: 'quay.example/team', mirrors: ['old.lab.example/team'] }]),
]);
const EDITED = `${GENERATED}\n[[registry]]\nlocation = "hand.example"\ninsecure = true\n`;

let api: FakeKubeApi;
let collector: CollectorProcess;
const agents: ProtocolAgent[] = [];

async function report(url = collector.url): Promise<ClusterReport> {
  const res = await fetch(`${url}/api/v1/report`);
  expect(res.status).toBe(200);
  return (await res.json()) as ClusterReport;
}

async function agent(node: string, registriesConf: string): Promise<ProtocolAgent> {
  const a = new ProtocolAgent(collector.url, node, null);
  agents.push(a);
  await a.connect(`hash-${node}`);
  await a.waitFor('welcome');
  a.snapshot({ configHash: `hash-${node}`, files: diskDigests(registriesConf) });
  return a;
}

beforeAll(async () => {
  api = await new FakeKubeApi('collector-sa-token', { openshift: true }).start();
  api.upsert('imagedigestmirrorsets', IDMS);
  api.upsert(
    'imagecontentsourcepolicies',
    imageContentSourcePolicy('legacy-ocp', [
      { source: 'quay.example/ocp', mirrors: ['mirror.lab.example:5000/ocp'] },
    ]),
  );
  api.upsert('images', imageConfig());
  api.upsert(
    'clusterversions',
    clusterVersion('quay.example/openshift-release-dev/ocp-release@sha256:' + 'a'.repeat(64)),
  );
  const withIcsp = generatedRegistriesConf([
    IDMS,
    imageContentSourcePolicy('legacy-ocp', [
      { source: 'quay.example/ocp', mirrors: ['mirror.lab.example:5000/ocp'] },
    ]),
  ]);
  for (const mc of [
    templateConfig('worker'),
    templateConfig('master'),
    generatedConfig('worker', withIcsp),
    generatedConfig('master', withIcsp),
    renderedConfig('rendered-worker-new', withIcsp),
    renderedConfig('rendered-worker-old', OLD),
    renderedConfig('rendered-master-a', withIcsp),
    machineConfig('99-worker-ssh', [], { role: 'worker' }),
    machineConfig('99-master-ssh', [], { role: 'master' }),
  ])
    api.upsert('machineconfigs', mc);
  upsertLaggingWorkerPool(api);
  api.upsert(
    'machineconfigpools',
    machineConfigPool('master', { target: 'rendered-master-a', sources: standardSources('master') }),
  );
  api.upsert('nodes', mcoNode('m1', 'master', { current: 'rendered-master-a' }));
  collector = await startCollectorProcess([
    ...kubeFlags(api, 'mirrorscope', 'none'),
    '--heartbeat-interval',
    '1',
    '--configmap-interval',
    '1',
  ]);
  await agent('w1', withIcsp);
  await agent('w2', OLD);
  await agent('w3', EDITED.replace(GENERATED, withIcsp));
  await agent('m1', withIcsp);
});

afterAll(async () => {
  for (const a of agents) a.close();
  await collector?.stop();
  await api?.stop();
});

describe('cluster intent vs node reality', () => {
  it('shows each pool and each mirror object in the rollout view', async () => {
    const r = await eventually(async () => {
      const got = await report();
      const worker = got.rollout?.pools.find((p) => p.name === 'worker');
      if (worker?.generated !== 'matches' || worker.drifted.length === 0)
        throw new Error(JSON.stringify(got.rollout));
      return got;
    }, 'rollout view');
    const worker = r.rollout!.pools.find((p) => p.name === 'worker')!;
    expect(worker).toMatchObject({
      target: 'rendered-worker-new',
      current: 'rendered-worker-old',
      generatedConfig: '99-worker-generated-registries',
      nodes: 3,
      nodesDone: 2,
      drifted: ['w3'],
      overriddenBy: [],
    });
    expect(worker.lagging).toEqual([
      {
        node: 'w2',
        currentConfig: 'rendered-worker-old',
        desiredConfig: 'rendered-worker-new',
        state: 'Working',
        reason: null,
        files: ['/etc/containers/registries.conf'],
      },
    ]);
    const idms = r.rollout!.objects.find((o) => o.name === 'team-mirrors')!;
    expect(idms).toMatchObject({ kind: 'ImageDigestMirrorSet', nodesApplying: 3, nodes: 4 });
    expect(idms.pools).toEqual([
      { pool: 'master', nodesApplying: 1, nodes: 1, inTarget: true },
      { pool: 'worker', nodesApplying: 2, nodes: 3, inTarget: true },
    ]);
    expect(r.nodes.find((n) => n.name === 'm1')?.pool).toBe('master');
  });

  it('shows the rollout on the report page in Chromium (screenshot in test/.artifacts/)', async () => {
    const chromium = await launchChromium();
    try {
      const page = await chromium.browser.newPage();
      await page.goto(`${collector.url}/`);
      const worker = await page.locator('#pool-rollout tr[data-pool="worker"]').innerText();
      expect(worker).toContain('rendered-worker-new');
      expect(worker).toContain('up to date');
      expect(worker).toMatch(/2 \/ 3/);
      expect(worker).toContain('w2');
      expect(worker).toContain('Working');
      const idms = await page
        .locator('#object-rollout tr[data-object="ImageDigestMirrorSet/team-mirrors"]')
        .innerText();
      expect(idms).toMatch(/3 \/ 4/);
      expect(idms).toMatch(/worker: 2 \/ 3/);
      expect(await page.locator('#rollout').isVisible()).toBe(true);
      const artifacts = path.join(REPO, 'test/.artifacts');
      mkdirSync(artifacts, { recursive: true });
      await page.locator('#rollout').screenshot({ path: path.join(artifacts, 'report-rollout.png') });
    } finally {
      await chromium.close();
    }
  });

  it('puts the rollout in the ConfigMap: counts in summary.json, lines in report.txt', async () => {
    const cm = await eventually(() => {
      const got = api.get('configmaps', 'mirrorscope-report', 'mirrorscope') as
        { data: Record<string, string> } | undefined;
      if (!got?.data['report.txt']?.includes('w2 (rendered-worker-old, Working)')) throw new Error('not yet');
      return got;
    }, 'ConfigMap');
    const text = cm.data['report.txt']!;
    expect(text).toContain('Mirror configuration rollout');
    expect(text).toContain('pool worker: 2/3 nodes on rendered-worker-new — drifted: w3');
    expect(text).toContain('ImageDigestMirrorSet team-mirrors: applied on 3/4 nodes');
    const summary = JSON.parse(cm.data['summary.json']!) as { rollout: { pools: unknown[] } };
    expect(summary.rollout.pools).toContainEqual({
      name: 'worker',
      target: 'rendered-worker-new',
      generated: 'matches',
      paused: false,
      nodes: 3,
      nodesDone: 2,
      nodesLagging: 1,
      nodesDrifted: 1,
    });
  });

  it('raises not-rolled-out, drift and icsp-deprecated, each on the nodes concerned', async () => {
    const r = await report();
    const byId = (id: string) => r.problems.filter((p) => p.id === id);
    expect(byId('mirror-config-not-rolled-out').map((p) => p.nodes)).toEqual([['w2']]);
    expect(byId('mirror-config-not-rolled-out')[0]!.message).toContain(
      'w2 (currentConfig rendered-worker-old, desiredConfig rendered-worker-new, state Working)',
    );
    expect(byId('mirror-config-drift').map((p) => p.nodes)).toEqual([['w3']]);
    const icsp = byId('icsp-deprecated');
    expect(icsp).toHaveLength(1);
    expect(icsp[0]!.file).toBe('imagecontentsourcepolicies/legacy-ocp');
    expect(icsp[0]!.fix).toContain('kind: ImageDigestMirrorSet');
    // The MCO findings explain w2/w3's differing files: no pool-majority guess on top.
    expect(byId('node-config-drift')).toEqual([]);
    const w3 = r.nodes.find((n) => n.name === 'w3')!;
    expect(w3.findings.map((f) => f.id)).toContain('mirror-config-drift');
    expect(w3.counts.error).toBeGreaterThan(0);
  });

  it('fetches each MachineConfig once, and never the ones nothing refers to', async () => {
    expect(
      api.count('GET', '/apis/machineconfiguration.openshift.io/v1/machineconfigs/rendered-worker-new'),
    ).toBe(1);
    expect(api.count('GET', '/apis/machineconfiguration.openshift.io/v1/machineconfigs/99-worker-ssh')).toBe(
      0,
    );
    expect(api.count('GET', '/apis/machineconfiguration.openshift.io/v1/machineconfigs')).toBe(0);
  });

  it('follows the rollout as node annotations change', async () => {
    api.upsert('nodes', mcoNode('w2', 'worker', { current: 'rendered-worker-new' }));
    const r = await eventually(async () => {
      const got = await report();
      if (got.rollout?.pools.find((p) => p.name === 'worker')?.lagging.length !== 0)
        throw new Error('still lagging');
      return got;
    }, 'w2 done');
    expect(r.problems.filter((p) => p.id === 'mirror-config-not-rolled-out')).toEqual([]);
    // The agent on w2 still reports the old files: that is now drift from its current config.
    expect(r.problems.filter((p) => p.id === 'mirror-config-drift').flatMap((p) => p.nodes)).toEqual(
      expect.arrayContaining(['w2', 'w3']),
    );
  });

  it('reports a render the MCO would reject, with its error text, in the report, the page and the metrics', async () => {
    api.upsert(
      'imagedigestmirrorsets',
      imageDigestMirrorSet('never', [
        {
          source: 'quay.example/ocp',
          mirrors: ['mirror.lab.example:5000/ocp'],
          mirrorSourcePolicy: 'NeverContactSource',
        },
      ]),
    );
    const r = await eventually(async () => {
      const got = await report();
      if (!got.problems.some((p) => p.id === 'mirror-config-render-failed'))
        throw new Error('no render failure yet');
      // Each pool's evaluation may need a MachineConfig fetch first (a loaded machine shows it).
      if (got.rollout?.pools.some((p) => p.generated === 'unknown')) throw new Error('a pool is pending');
      return got;
    }, 'render failure');
    const failed = r.problems.find((p) => p.id === 'mirror-config-render-failed')!;
    expect(failed.message).toContain(
      'conflicting mirrorSourcePolicy is set for the same source "quay.example/ocp"',
    );
    expect(r.rollout!.renderErrors[0]).toContain('conflicting mirrorSourcePolicy');
    expect(r.rollout!.pools.map((p) => p.generated)).toEqual(['render-failed', 'render-failed']);
    const page = await (await fetch(`${collector.url}/`)).text();
    expect(page).toContain('<section id="rollout">');
    expect(page).toContain('The MCO rejects the objects: conflicting mirrorSourcePolicy');
    const metrics = await (await fetch(`${collector.url}/metrics`)).text();
    expect(metrics).toContain(
      'mirrorscope_cluster_pool_mirror_config_nodes{pool="worker",state="drifted"} 2',
    );
    api.remove('imagedigestmirrorsets', 'never');
  });

  it('names the MachineConfig that overrides the generated registries.conf', async () => {
    api.upsert(
      'machineconfigs',
      machineConfig('99-worker-zz-registries', [{ path: '/etc/containers/registries.conf', text: OLD }], {
        role: 'worker',
      }),
    );
    api.upsert('machineconfigs', renderedConfig('rendered-worker-over', OLD));
    api.upsert(
      'machineconfigpools',
      machineConfigPool('worker', {
        target: 'rendered-worker-over',
        current: 'rendered-worker-new',
        sources: standardSources('worker', ['99-worker-zz-registries']),
      }),
    );
    const r = await eventually(async () => {
      const got = await report();
      const worker = got.rollout?.pools.find((p) => p.name === 'worker');
      if (worker?.overriddenBy.length !== 1) throw new Error(JSON.stringify(worker));
      return got;
    }, 'override');
    expect(r.rollout!.pools.find((p) => p.name === 'worker')!.overriddenBy).toEqual([
      '99-worker-zz-registries',
    ]);
    const drift = r.problems.find(
      (p) => p.id === 'mirror-config-drift' && p.message.includes('99-worker-zz-registries'),
    );
    expect(drift?.nodes).toEqual(['w1', 'w2', 'w3']);
  });

  it('notices a paused pool holding a change back', async () => {
    api.upsert(
      'machineconfigpools',
      machineConfigPool('worker', {
        target: 'rendered-worker-over',
        current: 'rendered-worker-new',
        sources: standardSources('worker', ['99-worker-zz-registries']),
        paused: true,
      }),
    );
    const r = await eventually(async () => {
      const got = await report();
      if (!got.problems.some((p) => p.id === 'pool-paused')) throw new Error('not yet');
      return got;
    }, 'paused');
    expect(r.problems.find((p) => p.id === 'pool-paused')!.nodes).toEqual(['w1', 'w2', 'w3']);
    expect(r.problems.some((p) => p.id === 'mirror-config-not-rolled-out')).toBe(false);
  });

  it('keeps the pull secret of rendered configs out of everything it serves', async () => {
    const served = [
      await (await fetch(`${collector.url}/api/v1/report`)).text(),
      await (await fetch(`${collector.url}/`)).text(),
      collector.log.join('\n'),
    ].join('\n');
    expect(served).not.toContain('c2VjcmV0OnNlY3JldA==');
    expect(served).not.toContain('secret:secret');
  });
});

describe('on a plain Kubernetes', () => {
  it('says once that the checks are off and reports no rollout view', async () => {
    const plain = await new FakeKubeApi().start();
    const other = await startCollectorProcess(['--auth', 'none', '--kubeconfig', plain.writeKubeconfig()]);
    try {
      await eventually(() => {
        if (!other.log.some((l) => l.includes('no MachineConfigPool API')))
          throw new Error(other.log.join('\n'));
      }, 'log line');
      expect((await report(other.url)).rollout).toBeNull();
      expect(plain.count('GET', '/apis/machineconfiguration.openshift.io/v1/machineconfigpools')).toBe(0);
    } finally {
      await other.stop();
      await plain.stop();
    }
  });
});

describe('with real agents reading node roots written from the rendered MachineConfig', () => {
  const LOCAL = imageDigestMirrorSet('local-mirrors', [
    { source: '127.0.0.1:1/team', mirrors: ['127.0.0.1:2/team'] },
  ]);
  const conf = generatedRegistriesConf([LOCAL]);
  let kube: FakeKubeApi;
  let local: CollectorProcess;
  const processes: AgentProcess[] = [];

  beforeAll(async () => {
    kube = await new FakeKubeApi('collector-sa-token', { openshift: true }).start();
    kube.upsert('imagedigestmirrorsets', LOCAL);
    for (const mc of [
      templateConfig('worker'),
      generatedConfig('worker', conf),
      renderedConfig('rendered-worker-l', conf),
    ])
      kube.upsert('machineconfigs', mc);
    kube.upsert(
      'machineconfigpools',
      machineConfigPool('worker', { target: 'rendered-worker-l', sources: standardSources('worker') }),
    );
    for (const n of ['r1', 'r2'])
      kube.upsert('nodes', mcoNode(n, 'worker', { current: 'rendered-worker-l' }));
    local = await startCollectorProcess(['--auth', 'none', '--kubeconfig', kube.writeKubeconfig()]);
  });

  afterAll(async () => {
    for (const p of processes) p.child.kill('SIGTERM');
    await local?.stop();
    await kube?.stop();
  });

  it('sees no drift where the files are the MCO bytes, and drift after a hand edit', async () => {
    // The bytes the machine-config-daemon writes: decoded from the rendered config's data URLs.
    const rendered = readMachineConfig(renderedConfig('rendered-worker-l', conf));
    const files = Object.fromEntries([...rendered.files.values()].map((f) => [f.path, f.text]));
    const roots: Record<string, string> = {};
    for (const node of ['r1', 'r2']) {
      roots[node] = await writeNodeRoot(mkdtempSync(path.join(tmpdir(), `root-${node}-`)), files);
      processes.push(
        AgentProcess.start([
          '--root',
          roots[node],
          '--node',
          node,
          '--collector',
          local.url.replace('http', 'ws'),
          '--token-file',
          path.join(roots[node], 'no-token'),
          '--listen',
          'off',
          '--config-poll',
          '1',
        ]),
      );
    }
    const settled = await eventually(async () => {
      const got = await report(local.url);
      const pool = got.rollout?.pools[0];
      const reporting = got.nodes.filter((n) => n.agent === 'connected' && n.configHash !== null);
      if (pool?.generated !== 'matches' || pool.nodes !== 2 || reporting.length !== 2)
        throw new Error(JSON.stringify(got.rollout));
      return got;
    }, 'agents connected');
    expect(settled.rollout!.pools[0]).toMatchObject({ nodes: 2, nodesDone: 2, drifted: [], lagging: [] });
    expect(settled.rollout!.objects[0]).toMatchObject({ name: 'local-mirrors', nodesApplying: 2, nodes: 2 });

    appendFileSync(path.join(roots['r2']!, 'etc/containers/registries.conf'), '\n# edited by hand\n');
    const drifted = await eventually(async () => {
      const got = await report(local.url);
      if (got.rollout?.pools[0]?.drifted.length !== 1) throw new Error(JSON.stringify(got.rollout?.pools));
      return got;
    }, 'drift after the edit');
    expect(drifted.rollout!.pools[0]!.drifted).toEqual(['r2']);
    expect(drifted.problems.find((p) => p.id === 'mirror-config-drift')?.message).toContain(
      'On node r2, /etc/containers/registries.conf is not what its current MachineConfig rendered-worker-l wrote',
    );
  });
});
