// Trace latency against local registries (docker-registry on 127.0.0.1), compared with skopeo under
// the same configuration: warm in-process trace vs `skopeo inspect --raw` (target ≤ 0.25×), cold CLI
// vs the same skopeo run (target ≤ 3×), and a warm `--all` trace of a source with 3 mirrors (< 50 ms).
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type * as ContextModule from '../src/trace/context.js';
import type * as EngineModule from '../src/trace/engine.js';
import { buildOciLayout } from '../test/support/oci-image.js';
import { authEntry, RegistryLab, writeNodeRoot } from '../test/support/registry-lab.js';
import { loadBuilt, say, type BenchLine } from './types.js';

const exec = promisify(execFile);
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const WIRE_FLOOR = fileURLToPath(new URL('./trace-wire-floor.cjs', import.meta.url));
const USER = { username: 'bench', password: 'bench-pass' };

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

async function wallTimes(n: number, f: () => Promise<unknown>): Promise<number[]> {
  await f(); // warm the page cache and the registries
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await f();
    times.push(performance.now() - start);
  }
  return times;
}

export async function run(): Promise<BenchLine[]> {
  const { loadTraceContext } = await loadBuilt<typeof ContextModule>('trace/context.js');
  const { TraceEngine } = await loadBuilt<typeof EngineModule>('trace/engine.js');
  const lab = await RegistryLab.create();
  const lines: BenchLine[] = [];
  try {
    const layout = path.join(lab.dir, 'layout');
    await buildOciLayout(layout, [{ tag: 'v1', content: 'bench image' }]);
    const [src, tlsMirror, empty, plainMirror] = await Promise.all([
      lab.startRegistry({ name: 'src' }),
      lab.startRegistry({ name: 'tls-basic', tls: true, basic: USER }),
      lab.startRegistry({ name: 'empty' }),
      lab.startRegistry({ name: 'plain' }),
    ]);
    await Promise.all([
      lab.push(layout, 'v1', src, 'lab/hello:v1'),
      lab.push(layout, 'v1', tlsMirror, 'lab/hello:v1', USER),
      lab.push(layout, 'v1', plainMirror, 'lab/hello:v1'),
    ]);
    const ca = await readFile((await lab.pki()).caCert);
    const image = `${src.host}/lab/hello:v1`;
    const primary = `[[registry]]\nprefix = "${src.host}/lab"\nlocation = "${src.host}/lab"\ninsecure = true\n`;
    const mirror = (host: string, insecure: boolean) =>
      `[[registry.mirror]]\nlocation = "${host}/lab"\n${insecure ? 'insecure = true\n' : ''}`;
    const common = {
      '/etc/containers/policy.json': '{"default":[{"type":"insecureAcceptAnything"}]}',
      [`/etc/containers/certs.d/${tlsMirror.host}/ca.crt`]: ca,
      '/var/lib/kubelet/config.json': JSON.stringify({ auths: { [tlsMirror.host]: authEntry(USER) } }),
    };
    // The usual mirror set-up: a TLS + Basic auth mirror in front of the source.
    const mirrorRoot = await writeNodeRoot(path.join(lab.dir, 'root-mirror'), {
      ...common,
      '/etc/containers/registries.conf': primary + mirror(tlsMirror.host, false),
    });
    // --all over 3 mirrors: one lacks the image, two serve it, then the source.
    const allRoot = await writeNodeRoot(path.join(lab.dir, 'root-all'), {
      ...common,
      '/etc/containers/registries.conf':
        primary + mirror(empty.host, true) + mirror(tlsMirror.host, false) + mirror(plainMirror.host, true),
    });

    const skopeo = () =>
      exec('skopeo', [
        'inspect',
        '--raw',
        '--registries-conf',
        path.join(mirrorRoot, 'etc/containers/registries.conf'),
        '--authfile',
        path.join(mirrorRoot, 'var/lib/kubelet/config.json'),
        '--cert-dir',
        path.join(mirrorRoot, `etc/containers/certs.d/${tlsMirror.host}`),
        `docker://${image}`,
      ]);
    const skopeoMs = median(await wallTimes(10, skopeo));

    const engine = new TraceEngine(await loadTraceContext(mirrorRoot));
    const first = await engine.trace(image);
    if (first.result.source !== `${tlsMirror.host}/lab/hello:v1`)
      throw new Error(`unexpected trace result: ${JSON.stringify(first.result)}`);
    const warm = await wallTimes(50, () => engine.trace(image));
    engine.close();
    const warmMs = median(warm);

    // The floor under any Node CLI on this machine: starting an empty Node process.
    const nodeFloorMs = median(await wallTimes(10, () => exec(process.execPath, ['-e', ''])));
    // And under a cold trace: a Node process making only the same requests (manifest, blobs, stale check).
    const wireFloorMs = median(
      await wallTimes(10, () =>
        exec(process.execPath, [
          WIRE_FLOOR,
          tlsMirror.host,
          src.host,
          path.join(mirrorRoot, `etc/containers/certs.d/${tlsMirror.host}/ca.crt`),
          USER.username,
          USER.password,
          'lab/hello/manifests/v1',
        ]),
      ),
    );
    // What a user runs (the `mirrorscope` bin is dist/cli.js). `trace` keeps its compiled code between
    // runs (dist/cli/trace.cjs and a code cache; Node ≥ 22's own compile cache for the rest), so every
    // run but the very first uses it; the first run, or one with the cache off, is measured too.
    const coldCli = (env: NodeJS.ProcessEnv) =>
      exec(process.execPath, [CLI, 'trace', '--root', mirrorRoot, image], { env });
    const coldMs = median(await wallTimes(10, () => coldCli(process.env)));
    const uncachedEnv = { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1' };
    const uncachedMs = median(await wallTimes(10, () => coldCli(uncachedEnv)));

    const allEngine = new TraceEngine(await loadTraceContext(allRoot));
    const all = await allEngine.trace(image, { all: true });
    if (all.sources.length !== 4) throw new Error(`--all traced ${all.sources.length} sources`);
    const allMs = median(await wallTimes(30, () => allEngine.trace(image, { all: true })));
    allEngine.close();

    say(`trace: skopeo inspect --raw via TLS+Basic mirror: ${round(skopeoMs)} ms (median of 10)`);
    say(
      `trace: warm in-process trace, same image/config: ${round(warmMs)} ms = ${round(warmMs / skopeoMs)}× skopeo (target ≤ 0.25×)`,
    );
    say(
      `trace: cold \`node dist/cli.js trace\`: ${round(coldMs)} ms = ${round(coldMs / skopeoMs)}× skopeo (target ≤ 3×)`,
    );
    say(
      `trace: the same without compile cache (a first run): ${round(uncachedMs)} ms = ${round(uncachedMs / skopeoMs)}× skopeo`,
    );
    say(
      `trace: (an empty \`node -e ''\` takes ${round(nodeFloorMs)} ms here = ${round(nodeFloorMs / skopeoMs)}× skopeo)`,
    );
    say(
      `trace: (a Node process making only the same requests takes ${round(wireFloorMs)} ms = ${round(wireFloorMs / skopeoMs)}× skopeo)`,
    );
    say(`trace: warm --all trace, source + 3 mirrors: ${round(allMs)} ms (target < 50 ms)`);
    lines.push(
      { bench: 'trace', metric: 'skopeoInspectMs', value: round(skopeoMs), n: 10 },
      {
        bench: 'trace',
        metric: 'warmLatencyMs',
        value: round(warmMs),
        n: 50,
        ratioToSkopeo: round(warmMs / skopeoMs),
        target: '≤ 0.25× skopeo',
      },
      {
        bench: 'trace',
        metric: 'coldCliMs',
        value: round(coldMs),
        n: 10,
        ratioToSkopeo: round(coldMs / skopeoMs),
        target: '≤ 3× skopeo',
      },
      {
        bench: 'trace',
        metric: 'coldCliUncachedMs',
        value: round(uncachedMs),
        n: 10,
        ratioToSkopeo: round(uncachedMs / skopeoMs),
      },
      {
        bench: 'trace',
        metric: 'nodeStartupFloorMs',
        value: round(nodeFloorMs),
        n: 10,
        ratioToSkopeo: round(nodeFloorMs / skopeoMs),
      },
      {
        bench: 'trace',
        metric: 'nodeWireFloorMs',
        value: round(wireFloorMs),
        n: 10,
        ratioToSkopeo: round(wireFloorMs / skopeoMs),
      },
      { bench: 'trace', metric: 'allWarmMs', value: round(allMs), n: 30, sources: 4, target: '< 50 ms' },
    );
  } finally {
    await lab.stop();
  }
  return lines;
}
