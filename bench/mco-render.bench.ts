// `mirrorscope render` core on an oc-mirror-sized input: many IDMS/ITMS entries, split over several
// objects naming overlapping sources (so the topological merge works), plus insecure and blocked
// scopes that create nested entries receiving copied mirrors.
import type * as ParseModule from '../src/core/mco/parse-objects.js';
import type * as RenderModule from '../src/core/mco/render.js';
import { loadBuilt, say, type BenchLine } from './types.js';

const { parseClusterObjects } = await loadBuilt<typeof ParseModule>('core/mco/parse-objects.js');
const { renderRegistries } = await loadBuilt<typeof RenderModule>('core/mco/render.js');

function objectsYaml(sources: number, objects: number): string {
  const docs: string[] = [];
  for (let o = 0; o < objects; o++) {
    const kind = o % 4 === 3 ? 'ImageTagMirrorSet' : 'ImageDigestMirrorSet';
    const field = kind === 'ImageTagMirrorSet' ? 'imageTagMirrors' : 'imageDigestMirrors';
    const lines = [
      `apiVersion: config.openshift.io/v1`,
      `kind: ${kind}`,
      `metadata: {name: set-${o}}`,
      'spec:',
      `  ${field}:`,
    ];
    for (let s = o; s < sources; s += objects / 2) {
      lines.push(`  - source: quay.io/team${s}/app`, '    mirrors:');
      for (let m = 0; m < 3; m++) lines.push(`    - mirror${(m + o) % 5}.corp.example:5000/team${s}/app`);
    }
    docs.push(lines.join('\n'));
  }
  const insecure = Array.from({ length: 50 }, (_, i) => `quay.io/team${i * 7}/app/dev`);
  const blocked = Array.from({ length: 50 }, (_, i) => `quay.io/team${i * 11}/app/secret`);
  docs.push(
    `apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n    insecureRegistries: [${insecure.join(', ')}]\n    blockedRegistries: [${blocked.join(', ')}]`,
  );
  return `${docs.join('\n---\n')}\n`;
}

function medianMs(n: number, f: () => void): number {
  f();
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    f();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[n >> 1]! * 100) / 100;
}

export async function run(): Promise<BenchLine[]> {
  const lines: BenchLine[] = [];
  for (const sources of [200, 2000]) {
    const text = objectsYaml(sources, 20);
    const parse = medianMs(5, () => parseClusterObjects([{ path: 'objects.yaml', text }]));
    const objects = parseClusterObjects([{ path: 'objects.yaml', text }]);
    const render = medianMs(5, () => renderRegistries(objects));
    say(
      `mco-render: ${sources} sources (${objects.mirrorSets.length} objects): parse ${parse} ms, render ${render} ms`,
    );
    lines.push({ bench: 'mco-render', metric: 'parse_ms', value: parse, sources });
    lines.push({ bench: 'mco-render', metric: 'render_ms', value: render, sources });
  }
  return lines;
}
