// The registries both what-if proofs pull from, on 127.0.0.1: a source, a complete mirror and a
// mirror that lacks all but one image. `lab/tagonly` exists only on the complete mirror.
import path from 'node:path';
import { buildOciLayout, type BuiltImage } from './oci-image.js';
import { RegistryLab, type LabRegistry } from './registry-lab.js';

export interface MirrorLab {
  readonly lab: RegistryLab;
  readonly src: LabRegistry;
  readonly full: LabRegistry;
  readonly partial: LabRegistry;
  readonly hello: BuiltImage;
  readonly app: BuiltImage;
  /** On the source and the complete mirror (signatures are the test's to add). */
  readonly signed: BuiltImage;
}

export async function startMirrorLab(): Promise<MirrorLab> {
  const lab = await RegistryLab.create();
  const layout = path.join(lab.dir, 'layout');
  const [hello, app, , signed] = (await buildOciLayout(layout, [
    { tag: 'hello', content: 'what-if: hello' },
    { tag: 'app', content: 'what-if: app' },
    { tag: 'tagonly', content: 'what-if: only on the mirror' },
    { tag: 'signed', content: 'what-if: signed at the source' },
  ])) as [BuiltImage, BuiltImage, BuiltImage, BuiltImage];
  const [src, full, partial] = await Promise.all([
    lab.startRegistry({ name: 'src' }),
    lab.startRegistry({ name: 'full' }),
    lab.startRegistry({ name: 'partial' }),
  ]);
  await Promise.all([
    lab.push(layout, 'hello', src, 'lab/hello:v1'),
    lab.push(layout, 'app', src, 'lab/app:v1'),
    lab.push(layout, 'signed', src, 'lab/signed:v1'),
    lab.push(layout, 'hello', full, 'lab/hello:v1'),
    lab.push(layout, 'app', full, 'lab/app:v1'),
    lab.push(layout, 'tagonly', full, 'lab/tagonly:v1'),
    lab.push(layout, 'signed', full, 'lab/signed:v1'),
    lab.push(layout, 'hello', partial, 'lab/hello:v1'),
  ]);
  return { lab, src, full, partial, hello, app, signed };
}

const LISTS = {
  ImageContentSourcePolicy: ['operator.openshift.io/v1alpha1', 'repositoryDigestMirrors'],
  ImageDigestMirrorSet: ['config.openshift.io/v1', 'imageDigestMirrors'],
  ImageTagMirrorSet: ['config.openshift.io/v1', 'imageTagMirrors'],
} as const;

/** One ICSP/IDMS/ITMS with one entry, as YAML (the policy only for IDMS/ITMS). */
export function mirrorObjectYaml(
  kind: keyof typeof LISTS,
  name: string,
  source: string,
  mirror: string,
  policy = '',
): string {
  const [apiVersion, list] = LISTS[kind];
  return [
    `apiVersion: ${apiVersion}`,
    `kind: ${kind}`,
    `metadata: {name: ${name}}`,
    'spec:',
    `  ${list}:`,
    `  - source: ${source}`,
    `    mirrors: [${mirror}]`,
    ...(policy !== '' ? [`    mirrorSourcePolicy: ${policy}`] : []),
    '',
  ].join('\n');
}
