// The PrometheusRule shipped in daemonset/components/monitoring, checked with Prometheus' own
// `promtool`: `check rules` on the rule groups, and `test rules` with input series captured from a
// live run — the real collector process (OpenShift fake API: a pool with a lagging and a drifted node,
// a node without an agent) and real agent processes whose mirror and source do not answer, one of
// them cut off from the collector. The scrapes become promtool's input series with the target labels
// Prometheus adds for the ServiceMonitor and the PodMonitor; the test then says which alerts fire.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { CAUSE_KINDS } from '../../src/core/causes/kinds.js';
import { AgentProcess } from '../support/agent-process.js';
import { kubeFlags, startCollectorProcess, type CollectorProcess } from '../support/collector-process.js';
import { finding, ProtocolAgent } from '../support/protocol-agent.js';
import { REPO } from '../support/cli.js';
import { deadPort } from '../support/dead-port.js';
import { eventually } from '../support/eventually.js';
import { FakeKubeApi, nodeObject, podObject } from '../support/fake-kube-api.js';
import {
  diskDigests,
  generatedConfig,
  generatedRegistriesConf,
  renderedConfig,
  templateConfig,
  upsertLaggingWorkerPool,
} from '../support/mco-cluster.js';
import { imageDigestMirrorSet } from '../support/openshift-objects.js';
import { writeNodeRoot } from '../support/registry-lab.js';

const run = promisify(execFile);
const PROMTOOL = 'promtool';
const RULE_FILE = `${REPO}/daemonset/components/monitoring/prometheusrule.yaml`;
const COLLECTOR_JOB = 'mirrorscope-collector';
const AGENT_JOB = 'mirrorscope/mirrorscope-agent';

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  annotations?: Record<string, string>;
}
const ruleSpec = (parse(readFileSync(RULE_FILE, 'utf8')) as { spec: { groups: { rules: Rule[] }[] } }).spec;
const alerts = ruleSpec.groups.flatMap((g) => g.rules).filter((r) => r.alert !== undefined);

const dir = mkdtempSync(path.join(tmpdir(), 'mirrorscope-promtool-'));
writeFileSync(path.join(dir, 'rules.yaml'), stringify(ruleSpec));

/** A scraped sample; `values`, a promtool expansion (`0x20 1x70`), stands for a series that changes. */
type Series = { labels: Record<string, string>; value: number; values?: string };

/** `name{a="b"} 1` lines of a scrape (the mirrorscope families only), with the target's labels added. */
function seriesOf(exposition: string, target: Record<string, string>): Series[] {
  const out: Series[] = [];
  for (const line of exposition.split('\n')) {
    const m = /^(mirrorscope_[a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || /^mirrorscope_(agent|collector)_(process|nodejs)_/.test(m[1]!)) continue;
    const labels: Record<string, string> = { __name__: m[1]!, ...target };
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ labels, value: Number(m[3]) });
  }
  return out;
}

const selector = ({ __name__, ...labels }: Record<string, string>) =>
  `${__name__}{${Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',')}}`;

function find(series: readonly Series[], name: string, labels: Record<string, string> = {}): Series[] {
  return series.filter(
    (s) => s.labels.__name__ === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
}

const withoutName = ({ __name__: _, ...labels }: Record<string, string>) => labels;

let api: FakeKubeApi;
let collector: CollectorProcess;
const protocolAgents: ProtocolAgent[] = [];
const agents: AgentProcess[] = [];
let captured: Series[] = [];
let sourceHost = '';
let mirrorHost = '';

beforeAll(async () => {
  const idms = imageDigestMirrorSet('team-mirrors', [
    { source: 'quay.example/team', mirrors: ['mirror.lab.example:5000/team'] },
  ]);
  const generated = generatedRegistriesConf([idms]);
  const old = generatedRegistriesConf([
    imageDigestMirrorSet('team-mirrors', [
      { source: 'quay.example/team', mirrors: ['old.lab.example/team'] },
    ]),
  ]);
  api = await new FakeKubeApi('collector-sa-token', { openshift: true }).start();
  api.upsert('imagedigestmirrorsets', idms);
  for (const mc of [
    templateConfig('worker'),
    generatedConfig('worker', generated),
    renderedConfig('rendered-worker-new', generated),
    renderedConfig('rendered-worker-old', old),
  ])
    api.upsert('machineconfigs', mc);
  upsertLaggingWorkerPool(api);
  // Nodes outside any pool: two with real agents, one whose agent never comes.
  for (const n of ['e1', 'e2', 'e-missing']) api.upsert('nodes', nodeObject(n, 'edge'));
  const sourcePort = await deadPort();
  let mirrorPort = await deadPort();
  while (mirrorPort === sourcePort) mirrorPort = await deadPort();
  sourceHost = `127.0.0.1:${sourcePort}`;
  mirrorHost = `127.0.0.1:${mirrorPort}`;
  const image = `${sourceHost}/lab/app:v1`;
  for (const n of ['e1', 'e2']) api.upsert('pods', podObject('shop', `app-${n}`, n, { containers: [image] }));

  collector = await startCollectorProcess([
    ...kubeFlags(api, 'mirrorscope', 'none'),
    '--heartbeat-interval',
    '1',
    // The stand-in agents send no heartbeats: they stay "connected" (only e-missing has no agent).
    '--silent-after',
    '3600',
  ]);
  const protocolAgent = async (
    node: string,
    registriesConf: string,
    findings = [] as ReturnType<typeof finding>[],
  ) => {
    const a = new ProtocolAgent(collector.url, node, null);
    protocolAgents.push(a);
    await a.connect(`hash-${node}`);
    await a.waitFor('welcome');
    a.snapshot({ configHash: `hash-${node}`, files: diskDigests(registriesConf), findings });
  };
  await protocolAgent('w1', generated, [
    finding({
      id: 'signature-missing',
      key: 'signature-missing|quay.example/team|quay.example/team/app:1',
      image: 'quay.example/team/app:1',
      scope: 'quay.example/team',
      severity: 'error',
    }),
  ]);
  await protocolAgent('w2', old);
  await protocolAgent('w3', `${generated}\n[[registry]]\nlocation = "hand.example"\ninsecure = true\n`);

  const registriesConf = `[[registry]]\nprefix = "${sourceHost}/lab"\nlocation = "${sourceHost}/lab"\ninsecure = true\n\n[[registry.mirror]]\nlocation = "${mirrorHost}/lab"\ninsecure = true\n`;
  const token = path.join(dir, 'token');
  writeFileSync(token, 'unused\n');
  const dead = await deadPort();
  for (const [node, collectorUrl] of [
    ['e1', collector.url],
    ['e2', collector.url],
    // An agent that cannot reach the collector (its own metrics say so).
    ['e3', `http://127.0.0.1:${dead}`],
  ] as const) {
    const root = await writeNodeRoot(mkdtempSync(path.join(dir, `root-${node}-`)), {
      '/etc/containers/registries.conf': registriesConf,
      '/etc/containers/policy.json': '{"default":[{"type":"insecureAcceptAnything"}]}\n',
    });
    const args = ['--root', root, '--node', node, '--listen', '127.0.0.1:0', '--collector'];
    args.push(collectorUrl.replace(/^http/, 'ws'), '--token-file', token, '--scan-interval', '300');
    args.push('--timeout', '2000', ...(node === 'e3' ? ['--image', image] : []));
    agents.push(AgentProcess.start(args, { KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '' }));
  }

  // Until the collector has the whole picture: both hosts failing on both real agents' nodes.
  const scrape = async (url: string) => (await fetch(`${url}/metrics`)).text();
  await eventually(
    async () => {
      const text = await scrape(collector.url);
      for (const want of [
        `mirrorscope_cluster_mirror_nodes_failing{host="${mirrorHost}"} 2`,
        `mirrorscope_cluster_mirror_nodes_failing{host="${sourceHost}"} 2`,
        'mirrorscope_cluster_pool_mirror_config_nodes{pool="worker",state="lagging"} 1',
        'mirrorscope_cluster_pool_mirror_config_nodes{pool="worker",state="drifted"} 1',
        'mirrorscope_cluster_nodes{state="missing"} 1',
      ])
        if (!text.includes(want)) throw new Error(`not yet: ${want}`);
      if (!/^mirrorscope_cluster_images_failing [1-9]/m.test(text)) throw new Error('no failing image yet');
    },
    'the cluster picture',
    60_000,
  );
  captured = seriesOf(await scrape(collector.url), {
    job: COLLECTOR_JOB,
    namespace: 'mirrorscope',
    service: COLLECTOR_JOB,
    pod: 'mirrorscope-collector-0',
    instance: '10.128.0.10:8080',
  });
  for (const [i, a] of agents.entries()) {
    const base = await a.httpBase();
    const node = ['e1', 'e2', 'e3'][i]!;
    const text = await eventually(
      async () => {
        const t = await scrape(base);
        if (!t.includes('mirrorscope_agent_images{pullable="false"} 1'))
          throw new Error(`${node}: no scan yet`);
        return t;
      },
      `${node} scanned`,
      30_000,
    );
    captured.push(
      ...seriesOf(text, {
        job: AGENT_JOB,
        namespace: 'mirrorscope',
        pod: `mirrorscope-agent-${node}`,
        node,
        instance: `10.128.1.${i + 1}:9465`,
      }),
    );
  }
}, 120_000);

afterAll(async () => {
  for (const a of protocolAgents) a.close();
  await Promise.all(agents.map((a) => a.stop('SIGKILL')));
  await collector?.stop();
  await api?.stop();
});

interface AlertTest {
  eval_time: string;
  alertname: string;
  exp_alerts: { exp_labels: Record<string, string>; exp_annotations: Record<string, string> }[];
}

/** Runs `promtool test rules` over the captured series (held for 90 minutes) and these expectations. */
async function promtoolTest(
  name: string,
  tests: AlertTest[],
  series: readonly Series[] = captured,
  up: readonly string[] = [COLLECTOR_JOB, AGENT_JOB],
): Promise<string> {
  const input = [
    ...series.map((s) => ({ series: selector(s.labels), values: s.values ?? `${s.value}x90` })),
    ...up.map((job) => ({ series: `up{job="${job}"}`, values: '1x90' })),
  ];
  const file = path.join(dir, `${name}.test.yaml`);
  writeFileSync(
    file,
    stringify({
      rule_files: ['rules.yaml'],
      evaluation_interval: '1m',
      tests: [{ interval: '1m', input_series: input, alert_rule_test: tests }],
    }),
  );
  try {
    return (await run(PROMTOOL, ['test', 'rules', file], { cwd: dir })).stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`promtool test rules failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err });
  }
}

/**
 * The annotations Prometheus renders for an alert: the forms the rules use (`$labels.x`, `$value`,
 * `$value | humanizePercentage`), and nothing else is allowed to remain.
 */
function annotations(name: string, labels: Record<string, string>, value: number): Record<string, string> {
  const rule = alerts.find((a) => a.alert === name)!;
  return Object.fromEntries(
    Object.entries(rule.annotations ?? {}).map(([key, template]) => {
      const text = template.replace(
        /\{\{\s*(?:\$labels\.(\w+)|\$value(\s*\|\s*humanizePercentage)?)\s*\}\}/g,
        (_, label: string | undefined, percent: string | undefined) =>
          label !== undefined
            ? (labels[label] ?? '')
            : percent
              ? `${Number((value * 100).toPrecision(4))}%`
              : String(value),
      );
      expect(text, `${name} ${key}`).not.toContain('{{');
      return [key, text];
    }),
  );
}

const alert = (name: string, labels: Record<string, string>, value: number) => ({
  exp_labels: { ...labels, severity: 'warning' },
  exp_annotations: annotations(name, labels, value),
});

const valueOf = (name: string, labels: Record<string, string> = {}) =>
  find(captured, name, labels).reduce((sum, s) => sum + s.value, 0);

describe('PrometheusRule', () => {
  it('passes promtool check rules', async () => {
    const { stdout } = await run(PROMTOOL, ['check', 'rules', path.join(dir, 'rules.yaml')]);
    expect(stdout).toContain(`SUCCESS: ${ruleSpec.groups.flatMap((g) => g.rules).length} rules found`);
  });

  it('every alert carries a summary, a cause kind from the catalogue and a runbook that exists', () => {
    const runbook = readFileSync(`${REPO}/docs/monitoring.md`, 'utf8');
    expect(alerts.length).toBeGreaterThanOrEqual(6);
    for (const a of alerts) {
      const { summary, cause_kind: kind, runbook_url: url } = a.annotations ?? {};
      expect(summary, a.alert).toBeTruthy();
      expect(kind === undefined ? false : kind in CAUSE_KINDS || kind.startsWith('none'), a.alert).toBe(true);
      expect(url, a.alert).toBe(
        `https://github.com/mirrorscope/mirrorscope/blob/main/docs/monitoring.md#${a.alert}`,
      );
      expect(runbook, a.alert).toContain(`<a id="${a.alert}"></a>`);
    }
  });

  it('names only series the agents and the collector really export', () => {
    const exported = new Set(captured.map((s) => s.labels.__name__));
    const recorded = new Set(ruleSpec.groups.flatMap((g) => g.rules).flatMap((r) => r.record ?? []));
    for (const r of ruleSpec.groups.flatMap((g) => g.rules))
      for (const name of r.expr.match(/\bmirrorscope[:_][a-z_:]+/g) ?? [])
        expect(exported.has(name) || recorded.has(name), `${r.alert ?? r.record}: ${name}`).toBe(true);
  });

  it('fires on the live run: mirrors down, failing images, drift, a lagging rollout, signatures, agents', async () => {
    const collectorTarget = withoutName(find(captured, 'mirrorscope_cluster_images_failing')[0]!.labels);
    const at = '75m';
    const out = await promtoolTest('live', [
      {
        eval_time: at,
        alertname: 'MirrorscopeMirrorUnreachable',
        exp_alerts: [mirrorHost, sourceHost].sort().map((host) => {
          const failing = valueOf('mirrorscope_cluster_mirror_nodes_failing', { host });
          const ratio = failing / (failing + valueOf('mirrorscope_cluster_mirror_nodes_reachable', { host }));
          return alert('MirrorscopeMirrorUnreachable', { ...collectorTarget, host }, ratio);
        }),
      },
      {
        eval_time: at,
        alertname: 'MirrorscopeImagesFailToPull',
        exp_alerts: [
          alert(
            'MirrorscopeImagesFailToPull',
            collectorTarget,
            valueOf('mirrorscope_cluster_images_failing'),
          ),
        ],
      },
      {
        eval_time: at,
        alertname: 'MirrorscopeNodesDriftedFromRenderedConfig',
        exp_alerts: [
          alert(
            'MirrorscopeNodesDriftedFromRenderedConfig',
            { ...collectorTarget, pool: 'worker', state: 'drifted' },
            1,
          ),
        ],
      },
      {
        eval_time: at,
        alertname: 'MirrorscopeMirrorConfigRolloutLagging',
        exp_alerts: [
          alert(
            'MirrorscopeMirrorConfigRolloutLagging',
            { ...collectorTarget, pool: 'worker', state: 'lagging' },
            1,
          ),
        ],
      },
      {
        eval_time: at,
        alertname: 'MirrorscopeSignaturesMissing',
        exp_alerts: [
          alert(
            'MirrorscopeSignaturesMissing',
            { namespace: 'mirrorscope', job: COLLECTOR_JOB },
            valueOf('mirrorscope_cluster_causes', { kind: 'signature-missing' }),
          ),
        ],
      },
      {
        eval_time: at,
        alertname: 'MirrorscopeAgentsMissing',
        exp_alerts: [
          alert(
            'MirrorscopeAgentsMissing',
            { namespace: 'mirrorscope', job: COLLECTOR_JOB },
            ['missing', 'silent', 'disconnected'].reduce(
              (sum, state) => sum + valueOf('mirrorscope_cluster_nodes', { state }),
              0,
            ),
          ),
        ],
      },
      {
        eval_time: at,
        alertname: 'MirrorscopeAgentNotConnected',
        exp_alerts: [
          alert(
            'MirrorscopeAgentNotConnected',
            withoutName(find(captured, 'mirrorscope_agent_collector_link_up', { node: 'e3' })[0]!.labels),
            0,
          ),
        ],
      },
      { eval_time: at, alertname: 'MirrorscopeCollectorDown', exp_alerts: [] },
    ]);
    expect(out).toContain('SUCCESS');
  });

  it('waits out each alert\'s "for" before firing', async () => {
    const names = alerts.map((a) => a.alert!);
    const out = await promtoolTest(
      'early',
      names.map((alertname) => ({ eval_time: '5m', alertname, exp_alerts: [] })),
    );
    expect(out).toContain('SUCCESS');
  });

  it('says when the collector shed memory, by step, for 30 minutes after', async () => {
    const SHEDS = 'mirrorscope_collector_memory_sheds_total';
    const sheds = captured.filter((s) => s.labels.__name__ === SHEDS);
    // Exported at 0 from the start, so that the first step is an increase.
    expect(sheds.map((s) => [s.labels.step, s.value])).toEqual([
      ['report', 0],
      ['history', 0],
      ['agents', 0],
    ]);
    const shedAt20m = sheds.map((s) => (s.labels.step === 'report' ? { ...s, values: '0x20 1x70' } : s));
    const labels = { namespace: 'mirrorscope', job: COLLECTOR_JOB, step: 'report' };
    const out = await promtoolTest(
      'memory-sheds',
      [
        { eval_time: '15m', alertname: 'MirrorscopeCollectorShedsMemory', exp_alerts: [] },
        {
          eval_time: '25m',
          alertname: 'MirrorscopeCollectorShedsMemory',
          exp_alerts: [alert('MirrorscopeCollectorShedsMemory', labels, 1)],
        },
        { eval_time: '55m', alertname: 'MirrorscopeCollectorShedsMemory', exp_alerts: [] },
      ],
      [...captured.filter((s) => s.labels.__name__ !== SHEDS), ...shedAt20m],
    );
    expect(out).toContain('SUCCESS');
  });

  it('says the collector is down when Prometheus cannot scrape it, and only then', async () => {
    const out = await promtoolTest(
      'collector-down',
      [
        {
          eval_time: '15m',
          alertname: 'MirrorscopeCollectorDown',
          exp_alerts: [alert('MirrorscopeCollectorDown', {}, 1)],
        },
      ],
      captured.filter((s) => s.labels.job === AGENT_JOB),
      [AGENT_JOB],
    );
    expect(out).toContain('SUCCESS');
  });
});
