// must-gather for mirrorscope (`oc adm must-gather --image=…`, which runs /usr/bin/gather): the
// collector's report and causes, and per node the findings the report holds plus what its agent
// serves only on its loopback — its effective configuration (credentials redacted by the agent, and
// again here) and its findings with their causes — read through pods/exec. Best effort: every step
// that fails is written to gather.log and the rest goes on.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ClusterReport } from '../../core/report/types.js';
import { VERSION } from '../../version.js';
import { CollectorProxy, type CollectorLocation } from '../kubectl/collector-proxy.js';
import { nodeFindings } from '../../core/report/node-findings.js';
import { execInPod } from './pod-exec.js';
import { redactSecrets } from './redact.js';

export interface GatherOptions {
  /** The must-gather directory (the convention: /must-gather). */
  readonly dest: string;
  readonly kubeconfig: string | null;
  readonly location: CollectorLocation;
  readonly log: (line: string) => void;
}

/** The agent's own default (`agent --listen`). */
const AGENT_DEFAULT_LISTEN = '127.0.0.1:9464';

/**
 * Runs in the agent container (node is all a distroless image has): reads the loopback API and prints
 * one JSON document. No JIT and a small heap, as it shares the agent container's memory limit; so
 * node:http, not fetch (undici needs WebAssembly, which --jitless turns off).
 */
const AGENT_SCRIPT = [
  "const h=require('http');const b=process.argv[1];",
  "const g=p=>new Promise((ok,no)=>h.get(b+p,r=>{let d='';r.setEncoding('utf8');r.on('data',c=>d+=c);",
  "r.on('end',()=>r.statusCode===200?ok(JSON.parse(d)):no(new Error(p+': HTTP '+r.statusCode)))}).on('error',no));",
  "Promise.all([g('/v1/config'),g('/v1/findings')]).then(([config,findings])=>",
  'process.stdout.write(JSON.stringify({config,findings})),',
  'e=>{process.stderr.write(String(e&&e.message));process.exit(1)})',
].join('');

interface PodObject {
  metadata: { name: string; namespace: string };
  spec?: { nodeName?: string; containers?: { name: string; command?: string[]; args?: string[] }[] };
  status?: { phase?: string };
}

/** A node name as a directory name (node names are DNS subdomains; anything else is replaced). */
export function nodeDir(name: string): string {
  const safe = name.replace(/[^a-zA-Z0-9._-]/g, '_');
  return safe === '.' || safe === '..' || safe === '' ? `_${safe}` : safe;
}

/** `--listen` of the agent container (either form), else the agent's default. */
export function agentListen(container: { command?: string[]; args?: string[] }): string {
  const argv = [...(container.command ?? []), ...(container.args ?? [])];
  let listen = AGENT_DEFAULT_LISTEN;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith('--listen=')) listen = arg.slice('--listen='.length);
    else if (arg === '--listen' && argv[i + 1] !== undefined) listen = argv[++i]!;
  }
  return listen.replace(/^0\.0\.0\.0:/, '127.0.0.1:').replace(/^:/, '127.0.0.1:');
}

export async function gather(options: GatherOptions): Promise<number> {
  const root = path.join(options.dest, 'mirrorscope');
  await mkdir(root, { recursive: true });
  const logLines: string[] = [];
  const note = (line: string) => {
    logLines.push(`${new Date().toISOString()} ${line}`);
    options.log(line);
  };
  const write = async (relative: string, content: string) => {
    const file = path.join(root, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  };
  const json = (value: unknown) => `${JSON.stringify(redactSecrets(value), null, 2)}\n`;
  const started = new Date().toISOString();
  await writeFile(path.join(options.dest, 'version'), `mirrorscope-must-gather\n${VERSION}\n`);

  let proxy: CollectorProxy;
  let report: ClusterReport | null = null;
  try {
    proxy = CollectorProxy.load({
      kubeconfig: options.kubeconfig,
      context: null,
      location: options.location,
    });
  } catch (err) {
    note(`failed: ${(err as Error).message}`);
    await write('gather.log', `${logLines.join('\n')}\n`);
    return 1;
  }
  try {
    const body = (await proxy.request('GET', '/api/v1/report')).body.toString('utf8');
    report = JSON.parse(body) as ClusterReport;
    await write('report.json', json(report));
    await write('causes.json', json(report.causes));
    const { renderReportText } = await import('../../core/report/render-text.js');
    await write('report.txt', renderReportText(report));
    note(`report: ${report.causes.length} causes, ${report.nodes.length} nodes`);
    const summary = (await proxy.request('GET', '/api/v1/summary')).body.toString('utf8');
    await write('summary.json', json(JSON.parse(summary)));
  } catch (err) {
    note(`failed: the collector's report: ${(err as Error).message}`);
  }
  if (report !== null)
    for (const node of report.nodes)
      await write(
        path.join('nodes', nodeDir(node.name), 'findings.json'),
        json({ ...node, findings: nodeFindings(report, node) }),
      );

  try {
    const { namespace } = options.location;
    const query = `labelSelector=${encodeURIComponent('app.kubernetes.io/name=mirrorscope-agent')}&fieldSelector=${encodeURIComponent(`metadata.namespace=${namespace}`)}`;
    const answer = await proxy.raw('GET', `/api/v1/pods?${query}`);
    if (answer.status !== 200) throw new Error(`listing the agent pods answered HTTP ${answer.status}`);
    const pods = (JSON.parse(answer.body.toString('utf8')) as { items: PodObject[] }).items;
    note(`agent pods: ${pods.length}`);
    for (const pod of pods) {
      const node = pod.spec?.nodeName ?? '';
      const container = pod.spec?.containers?.find((c) => c.name === 'agent') ?? pod.spec?.containers?.[0];
      const what = `agent ${pod.metadata.name} on node ${node || '(unscheduled)'}`;
      if (node === '' || container === undefined || pod.status?.phase !== 'Running') {
        note(`skipped ${what}: not running (${pod.status?.phase ?? 'no phase'})`);
        continue;
      }
      const listen = agentListen(container);
      if (listen === 'off') {
        note(`skipped ${what}: it serves no local API (--listen off)`);
        continue;
      }
      const result = await execInPod(
        proxy.kubeConfig,
        { namespace: pod.metadata.namespace, name: pod.metadata.name, container: container.name },
        ['/nodejs/bin/node', '--jitless', '--max-old-space-size=16', '-e', AGENT_SCRIPT, `http://${listen}`],
      );
      if (result.failure !== null) {
        note(
          `failed: ${what}: ${result.failure}${result.stderr ? ` (${result.stderr.trim().slice(0, 300)})` : ''}`,
        );
        continue;
      }
      let doc: { config: unknown; findings: unknown };
      try {
        doc = JSON.parse(result.stdout) as typeof doc;
      } catch {
        note(`failed: ${what}: its answer is not JSON`);
        continue;
      }
      const dir = path.join('nodes', nodeDir(node));
      await write(path.join(dir, 'effective-config.json'), json(doc.config));
      await write(path.join(dir, 'agent-findings.json'), json(doc.findings));
      note(`${what}: effective config and findings`);
    }
  } catch (err) {
    note(`failed: the agents: ${(err as Error).message}`);
  }
  await write('gather.log', `${logLines.join('\n')}\n`);
  await writeFile(path.join(options.dest, 'timestamp'), `${started}\n${new Date().toISOString()}\n`);
  return report === null ? 1 : 0;
}
