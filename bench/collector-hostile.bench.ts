// A hostile agent against the collector, the attack of issue 13: reconnect 20 times and send 290
// deltas each time, every delta adding 7 new findings of ~16 KiB. Before the per-node limits this
// left one node with 38,938 findings, collector RSS 234 → 555 MB and a 393 MB report. Figures: the
// findings the node keeps (goal ≤ 5,001: the limit plus the limit finding), the report's size (goal
// ≤ 10 MiB: the node's 4 MiB of findings appear twice, in the node and as problems, and the causes
// quote them clipped to 4 KiB of evidence and 2 KiB of fix each), the JS heap the
// collector still uses 5 s later (growth goal ≤ 32 MiB) and its RSS (growth goal ≤ 64 MiB; the
// hundreds of MB of frames it received and refused leave garbage V8 returns lazily), with the heap
// cap the Deployment sets.
import WebSocket from 'ws';
import { FakeKubeApi, nodeObject } from '../test/support/fake-kube-api.js';
import { rssMiB, startCollector } from './collector.bench.js';
import { say, type BenchLine } from './types.js';

const NODE = 'victim-node';
const RECONNECTS = 20;
const DELTAS = 290;
const FINDINGS_PER_DELTA = 7;
const TEXT = 'x'.repeat(8_000);

function delta(round: number, d: number): string {
  const added = Array.from({ length: FINDINGS_PER_DELTA }, (_, i) =>
    JSON.stringify({
      key: `hostile-${round}-${d}-${i}`,
      id: 'mirror-unreachable',
      severity: 'error',
      message: TEXT,
      file: null,
      line: null,
      scope: null,
      fix: TEXT,
      image: null,
      host: null,
    }),
  );
  return `{"v":1,"type":"delta","seq":${d},"configHash":"h","added":[${added.join(',')}],"cleared":[],"hosts":[],"images":[]}`;
}

/** One connection: hello, then deltas until all are sent or the collector closes it. */
function attack(url: string, round: number): Promise<{ sent: number; closedBy: number | null }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/agents`, { perMessageDeflate: false });
    let sent = 0;
    let closedBy: number | null = null;
    ws.on('error', reject);
    ws.on('close', (code) => {
      closedBy = code;
      resolve({ sent, closedBy });
    });
    ws.once('open', () => {
      ws.send(
        `{"v":1,"type":"hello","node":"${NODE}","agentVersion":"hostile","configHash":"h","pod":{"name":null,"namespace":null}}`,
      );
      const pump = (): void => {
        while (sent < DELTAS && ws.readyState === WebSocket.OPEN && ws.bufferedAmount < 4 * 1024 * 1024)
          ws.send(delta(round, sent++));
        if (ws.readyState !== WebSocket.OPEN) return;
        if (sent < DELTAS) setTimeout(pump, 5);
        // All sent: the pong comes after the collector handled every delta.
        else ws.once('pong', () => ws.terminate()).ping();
      };
      pump();
    });
  });
}

async function heapUsedMiB(url: string): Promise<number> {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const bytes = /^mirrorscope_collector_nodejs_heap_size_used_bytes (\S+)/m.exec(metrics)?.[1];
  return Number(bytes ?? NaN) / 1048576;
}

export async function run(): Promise<BenchLine[]> {
  const api = await new FakeKubeApi().start();
  api.upsert('nodes', nodeObject(NODE));
  const { child, url, pid } = await startCollector(api.writeKubeconfig());
  try {
    await new Promise((r) => setTimeout(r, 1000));
    const before = rssMiB(pid);
    const heapBefore = await heapUsedMiB(url);
    let sent = 0;
    let closedByCollector = 0;
    for (let round = 0; round < RECONNECTS; round++) {
      const r = await attack(url, round);
      sent += r.sent;
      if (r.closedBy === 1008) closedByCollector++;
    }
    await new Promise((r) => setTimeout(r, 5000));
    const after = rssMiB(pid);
    const heapAfter = await heapUsedMiB(url);
    const res = await fetch(`${url}/api/v1/report`);
    const text = await res.text();
    const report = JSON.parse(text) as { nodes: { name: string; findings: { id: string }[] }[] };
    const findings = report.nodes.find((n) => n.name === NODE)?.findings ?? [];
    const reportMiB = Buffer.byteLength(text) / 1048576;
    const growth = after.rss - before.rss;
    say(
      `collector-hostile: ${RECONNECTS} reconnects, ${sent} deltas sent (${closedByCollector} connections closed for too many messages)`,
    );
    say(`  findings kept for the node: ${findings.length} (goal ≤ 5,001; was 38,938)`);
    say(`  report: ${reportMiB.toFixed(1)} MiB (goal ≤ 10 MiB; was 393 MB)`);
    say(
      `  collector JS heap used: ${heapBefore.toFixed(0)} → ${heapAfter.toFixed(0)} MiB 5 s later (growth goal ≤ 32 MiB)`,
    );
    say(
      `  collector RSS: ${before.rss.toFixed(0)} → ${after.rss.toFixed(0)} MiB, peak ${after.peak.toFixed(0)} MiB (growth goal ≤ 64 MiB; was 234 → 555 MB)`,
    );
    if (!findings.some((f) => f.id === 'agent-limit-exceeded'))
      throw new Error('the node carries no agent-limit-exceeded finding');
    return [
      {
        bench: 'collector-hostile',
        metric: 'findings_kept_for_node',
        value: findings.length,
        target: 5001,
        deltasSent: sent,
      },
      { bench: 'collector-hostile', metric: 'report_mib', value: Number(reportMiB.toFixed(2)), target: 10 },
      {
        bench: 'collector-hostile',
        metric: 'collector_heap_used_growth_mib',
        value: Math.round(heapAfter - heapBefore),
        target: 32,
      },
      {
        bench: 'collector-hostile',
        metric: 'collector_rss_growth_mib',
        value: Math.round(growth),
        target: 64,
        rssBeforeMiB: Math.round(before.rss),
        rssAfterMiB: Math.round(after.rss),
        peakMiB: Math.round(after.peak),
      },
    ];
  } finally {
    child.kill('SIGTERM');
    await api.stop();
  }
}
