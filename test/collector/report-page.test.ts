// The report page in headless Chromium: it renders, the summary reads at a glance, the mirror table
// shows the broken mirror failing on the nodes that cannot reach it, findings link to their
// explanation, and the run leaves a screenshot in test/.artifacts/ for a person to look at.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeKubeApi, nodeObject, podObject, pullFailedEvent } from '../support/fake-kube-api.js';
import { launchChromium, type Chromium } from '../support/chromium.js';
import { REPO, runCli } from '../support/cli.js';
import { startCollectorProcess, type CollectorProcess } from '../support/collector-process.js';
import { finding, ProtocolAgent } from '../support/protocol-agent.js';

const BROKEN = 'mirror-east.lab.example:5000';
const GOOD = 'mirror-west.lab.example:5000';
const APP = 'quay.example/payments/api:2.3';
const ARTIFACTS = path.join(REPO, 'test/.artifacts');

let api: FakeKubeApi;
let collector: CollectorProcess;
let chromium: Chromium;
let browser: BrowserContext;
const agents: ProtocolAgent[] = [];

beforeAll(async () => {
  api = await new FakeKubeApi().start();
  const nodes = ['worker-1', 'worker-2', 'worker-3', 'worker-4', 'worker-5', 'infra-1'];
  for (const n of nodes) api.upsert('nodes', nodeObject(n, n.startsWith('infra') ? 'infra' : 'worker'));
  api.upsert('nodes', nodeObject('worker-6'));
  api.upsert('pods', podObject('payments', 'api-0', 'worker-1', { containers: [APP] }));
  collector = await startCollectorProcess([
    '--auth',
    'none',
    '--kubeconfig',
    api.writeKubeconfig(),
    '--heartbeat-interval',
    '5',
  ]);
  for (const [i, node] of nodes.entries()) {
    const cannotReach = i < 3;
    const drifted = node === 'worker-5';
    const a = new ProtocolAgent(collector.url, node, null);
    agents.push(a);
    await a.connect(drifted ? 'drift' : 'main');
    await a.waitFor('welcome');
    const now = new Date().toISOString();
    a.snapshot({
      configHash: drifted ? 'c0ffee5d81f0a2' : '9a1b2c3d4e5f60',
      files: [{ path: '/etc/containers/registries.conf', sha256: drifted ? 'r2' : 'r1' }],
      findings: [
        ...(cannotReach
          ? [
              finding({
                id: 'mirror-unreachable',
                key: `mirror-unreachable:${BROKEN}`,
                host: BROKEN,
                message: `The mirror ${BROKEN} refused the connection (dial tcp 10.1.2.3:5000: connect: connection refused); CRI-O moves on to ${GOOD}.`,
                fix: `Make ${BROKEN} reachable from the node, or remove it from the ImageDigestMirrorSet.`,
              }),
            ]
          : []),
        finding({
          id: 'mirror-manifest-missing',
          key: `mirror-manifest-missing:${GOOD}:${APP}`,
          host: GOOD,
          image: APP,
          message: `${GOOD} answers "manifest unknown" for ${APP}.`,
          fix: `Mirror ${APP} to ${GOOD}/payments/api.`,
        }),
        finding({
          id: 'tag-pull-bypasses-mirrors',
          key: `tag-pull-bypasses-mirrors:${APP}`,
          image: APP,
          message: `${APP} is pulled by tag and its mirrors are digest-only, so CRI-O goes straight to quay.example.`,
          fix: 'Pin the image by digest.',
        }),
      ],
      hosts: [
        {
          host: BROKEN,
          reachable: !cannotReach,
          outcome: cannotReach ? 'unreachable' : 'found',
          latencyMs: cannotReach ? null : 18 + i,
          probedAt: now,
        },
        { host: GOOD, reachable: true, outcome: 'manifest-unknown', latencyMs: 9 + i, probedAt: now },
        { host: 'quay.example', reachable: true, outcome: 'found', latencyMs: 80 + i * 3, probedAt: now },
      ],
      images: [
        {
          image: APP,
          pullable: !cannotReach,
          source: cannotReach ? null : `quay.example/payments/api:2.3`,
          digest: null,
          findingKeys: cannotReach ? [`mirror-unreachable:${BROKEN}`] : [],
        },
      ],
    });
  }
  api.upsert(
    'events',
    pullFailedEvent(
      'payments',
      'api-0',
      'worker-1',
      APP,
      `rpc error: code = Unknown desc = (Mirrors also failed: [${BROKEN}/payments/api:2.3: pinging container registry ${BROKEN}: Get "https://${BROKEN}/v2/": dial tcp 10.1.2.3:5000: connect: connection refused]\n[${GOOD}/payments/api:2.3: reading manifest 2.3 in ${GOOD}/payments/api: manifest unknown]): ${APP}: reading manifest 2.3 in quay.example/payments/api: toomanyrequests: rate limit exceeded`,
    ),
  );
  chromium = await launchChromium();
  browser = chromium.browser;
});

afterAll(async () => {
  for (const a of agents) a.close();
  await chromium?.close();
  await collector?.stop();
  await api?.stop();
});

it('renders the report page: summary, the broken mirror in the mirror table, linked findings; saves a screenshot', async () => {
  const page = await browser.newPage();
  // Wait until the collector has the six snapshots and the event.
  const deadline = Date.now() + 15_000;
  for (;;) {
    const res = await page.goto(`${collector.url}/`);
    expect(res?.status()).toBe(200);
    const rows = await page.locator('#mirror-table tbody tr').count();
    const events = await page.locator('text=Real pull failures').count();
    if ((rows === 3 && events === 1) || Date.now() > deadline) break;
    await page.waitForTimeout(200);
  }
  await expect(page.title()).resolves.toContain('mirrorscope');
  const broken = page.locator(`#mirror-table tr[data-host="${BROKEN}"]`);
  await expect(broken.count()).resolves.toBe(1);
  const brokenText = await broken.innerText();
  expect(brokenText).toContain('failing on 3');
  expect(brokenText).toContain('3 / 6');
  expect(brokenText).toMatch(/worker-1.*worker-2.*infra-1|worker-1, worker-2, worker-3/);
  // The failing mirror is the first row; the source registry reaches every node but rate-limited a real pull.
  expect(await page.locator('#mirror-table tbody tr').first().getAttribute('data-host')).toBe(BROKEN);
  const quay = await page.locator(`#mirror-table tr[data-host="quay.example"]`).innerText();
  expect(quay).toContain('6 / 6');
  expect(quay).not.toContain('failing');
  expect(await page.locator(`#mirror-table tr[data-host="${GOOD}"]`).innerText()).toContain(`lacks ${APP}`);
  // Summary cards.
  const summary = await page.locator('#summary').innerText();
  expect(summary).toMatch(/1\s+mirrors failing/);
  expect(summary).toMatch(/1\s+nodes drifted/);
  expect(summary).toMatch(/1\s+nodes without agent/);
  // Problem image with the kubelet event split per source.
  const images = await page.locator('#images').innerText();
  expect(images).toContain(APP);
  expect(images).toContain('toomanyrequests');
  // Each finding id links to its explanation, and the target exists.
  const link = page.locator('#problems a.fid', { hasText: /^mirror-unreachable$/ }).first();
  const href = await link.getAttribute('href');
  expect(href).toBe('#finding-mirror-unreachable');
  expect(await page.locator(href!).innerText()).toContain('mirror-unreachable');
  expect(await page.locator('#reference').innerText()).toContain('A mirror does not answer');
  // Nodes table: the drifted node and the one without an agent.
  expect(await page.locator('#node-worker-5').innerText()).toContain('drift');
  expect(await page.locator('#node-worker-6').innerText()).toContain('missing');
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, 'collector-report.png');
  await page.screenshot({ path: file, fullPage: true });
  // What an admin sees first, without scrolling.
  await page.screenshot({ path: path.join(ARTIFACTS, 'collector-report-top.png') });
  await page.close();
});

it('opens with the causes: the top cause readable in 1400×900, its fix, commands and docs link; saves a screenshot', async () => {
  const page = await browser.newPage();
  await page.setViewportSize({ width: 1400, height: 900 });
  await page.goto(`${collector.url}/`);
  const top = page.locator('#causes article.cause').first();
  const title = top.locator('.ctitle');
  const box = await title.boundingBox();
  expect(box).not.toBeNull();
  expect(box!.y + box!.height).toBeLessThan(900);
  // The mirror that refuses connections explains the failed pulls on three nodes, the kubelet event included.
  // Impact order: both errors with the one pod; the mirror lacking the image is seen by six nodes.
  expect(await top.getAttribute('data-kind')).toBe('mirror-lacks-image');
  expect(await title.innerText()).toBe(`${GOOD} lacks images the nodes pull`);
  // Its command names a node where the pull really failed (kubelet's event on worker-1).
  expect(await top.locator('pre.cmds').innerText()).toBe(`$ mirrorscope trace --node worker-1 ${APP}`);
  // The mirror that refuses connections explains the failed pulls on three nodes, the kubelet event's
  // "connection refused" for it included.
  const refused = page.locator('#causes article[data-kind="connection-refused"]');
  expect(await refused.locator('.ctitle').innerText()).toBe(`${BROKEN} refuses connections`);
  const text = await refused.innerText();
  expect(text).toContain(`$ mirrorscope trace --node worker-1 ${APP}`);
  expect(text).toMatch(/Affects 3 nodes · 1 pod · 1 image · 1 host/);
  expect(text).toContain('Evidence (3 findings)');
  // Nodes and images are folded below the fix.
  expect(await refused.locator('details summary', { hasText: 'Nodes (3)' }).count()).toBe(1);
  expect(await refused.locator('details[open]').count()).toBe(0);
  // The kind code links to the cause's documentation, which the collector serves.
  const href = await refused.locator('a.kind').getAttribute('href');
  expect(href).toBe('/docs/causes#connection-refused');
  const docs = await browser.newPage();
  await docs.goto(`${collector.url}${href}`);
  expect(await docs.locator('#connection-refused').innerText()).toContain('connection-refused');
  await docs.close();
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'collector-report-causes-1400x900.png') });
  await page.close();
});

it('shows one severity per finding id: the list, the glossary and the catalogue agree', async () => {
  const page = await browser.newPage();
  await page.goto(`${collector.url}/`);
  const { CATALOGUE } = await import('../../src/core/findings/catalogue.js');
  const shown = await page
    .locator('#problems ul.findings > li')
    .evaluateAll((items) =>
      items.map((li) => [li.querySelector('a.fid')!.textContent, li.querySelector('.sev')!.textContent]),
    );
  const glossary = await page
    .locator('#reference dt')
    .evaluateAll((items) =>
      items.map((dt) => [dt.id.replace(/^finding-/, ''), dt.querySelector('.sev')?.textContent ?? null]),
    );
  expect(shown.length).toBeGreaterThan(3);
  for (const [id, severity] of [...shown, ...glossary]) {
    const def = CATALOGUE[id as keyof typeof CATALOGUE];
    expect(severity, id!).toBe(def.severity);
  }
  const docs = await browser.newPage();
  await docs.goto(`${collector.url}/docs/findings`);
  for (const [id] of glossary)
    expect(await docs.locator(`[id="${id}"] .sev`).innerText(), id!).toBe(
      CATALOGUE[id as keyof typeof CATALOGUE].severity.toUpperCase(),
    );
  await docs.close();
  await page.close();
});

it('the trace command a cause names runs: `mirrorscope trace --node` asks that node through the collector', async () => {
  const trace = {
    image: APP,
    steps: [],
    sources: [],
    result: { outcome: 'failed', source: null, digest: null, reason: 'connection refused', signature: null },
    error: null,
  };
  agents[0]!.traceAnswer = (image) => ({ trace: { ...trace, image }, error: null });
  const r = await runCli(['trace', '--node', 'worker-1', '--collector', collector.url, '--json', APP]);
  expect(r.stderr).toBe('');
  expect(JSON.parse(r.stdout)).toEqual(trace);
  expect(r.code).toBe(1);
  const gone = await runCli(['trace', '--node', 'worker-9', '--collector', collector.url, APP]);
  expect(gone.code).toBe(2);
  expect(gone.stderr).toContain('no agent is connected for node worker-9');
});

it('every surface carries the same causes: /api/v1/report, /api/v1/summary, /metrics', async () => {
  const report = (await (await fetch(`${collector.url}/api/v1/report`)).json()) as {
    causes: { id: string; kind: string; severity: string }[];
    problems: { key: string }[];
  };
  const summary = (await (await fetch(`${collector.url}/api/v1/summary`)).json()) as {
    causes: { id: string }[];
  };
  expect(summary.causes.map((c) => c.id)).toEqual(report.causes.map((c) => c.id));
  expect(report.problems.every((p) => typeof p.key === 'string')).toBe(true);
  const metrics = await (await fetch(`${collector.url}/metrics`)).text();
  const kinds = new Map<string, number>();
  for (const c of report.causes)
    kinds.set(`${c.kind}|${c.severity}`, (kinds.get(`${c.kind}|${c.severity}`) ?? 0) + 1);
  for (const [k, n] of kinds) {
    const [kind, severity] = k.split('|');
    expect(metrics).toContain(`mirrorscope_cluster_causes{kind="${kind}",severity="${severity}"} ${n}`);
  }
});
