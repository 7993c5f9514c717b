// `mirrorscope what-if --root`: a proposed mirror change judged on one node against real registries
// on 127.0.0.1 (docker-registry, skopeo pushes, a cosign-style sigstore attachment), before and
// after traced as CRI-O 1.29 (OpenShift 4.16) would pull.
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { WhatIfReport } from '../../src/core/what-if/types.js';
import type { BuiltImage } from '../support/oci-image.js';
import { writeNodeRoot, type LabRegistry, type RegistryLab } from '../support/registry-lab.js';
import { mirrorObjectYaml, startMirrorLab } from '../support/what-if-mirror-lab.js';
import { pushSigstoreAttachment } from '../support/sigstore-attachment.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function whatIf(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(['what-if', ...args], { stdout, stderr, env: {}, isTTY: false });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

let lab: RegistryLab;
let src: LabRegistry;
let full: LabRegistry;
let partial: LabRegistry;
let hello: BuiltImage;
let app: BuiltImage;
let signed: BuiltImage;
let rootCounter = 0;
const cosign = generateKeyPairSync('ec', { namedCurve: 'P-256' });

const TEMPLATE = "unqualified-search-registries = ['registry.access.redhat.com', 'docker.io']\n";
const OPEN_POLICY = '{"default":[{"type":"insecureAcceptAnything"}]}';

beforeAll(async () => {
  ({ lab, src, full, partial, hello, app, signed } = await startMirrorLab());
  const payload = Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': `${src.host}/lab/signed:v1` },
        image: { 'docker-manifest-digest': signed.digest },
        type: 'cosign container image signature',
      },
      optional: null,
    }),
  );
  // Only the source has the signature: the mirror serves the image without it.
  await pushSigstoreAttachment(
    { host: src.host },
    'lab/signed',
    signed.digest,
    payload,
    sign('sha256', payload, cosign.privateKey).toString('base64'),
  );
}, 120_000);

afterAll(async () => {
  await lab?.stop();
});

async function node(files: Record<string, string> = {}): Promise<string> {
  return writeNodeRoot(path.join(lab.dir, `node-${++rootCounter}`), {
    '/etc/containers/registries.conf': TEMPLATE,
    '/etc/containers/policy.json': OPEN_POLICY,
    ...files,
  });
}

async function objects(name: string, yaml: string): Promise<string> {
  const file = path.join(lab.dir, `${name}-${++rootCounter}.yaml`);
  await writeFile(file, yaml);
  return file;
}

function idms(name: string, source: string, mirror: string, policy = ''): string {
  return mirrorObjectYaml('ImageDigestMirrorSet', name, source, mirror, policy);
}

function itms(name: string, source: string, mirror: string): string {
  return mirrorObjectYaml('ImageTagMirrorSet', name, source, mirror);
}

const CRIO = ['--crio-version', '1.29', '--timeout', '5000'];

function byImage(report: WhatIfReport, image: string) {
  const c = report.changes.find((x) => x.image === image);
  expect(c, `no change for ${image} in ${JSON.stringify(report.changes.map((x) => x.image))}`).toBeDefined();
  return c!;
}

describe('mirrorscope what-if --root', () => {
  it('an IDMS that points at a mirror lacking one image breaks it, moves the other, and NeverContactSource breaks the tag pull (exit 1)', async () => {
    const root = await node();
    const file = await objects(
      'partial',
      idms('partial', `${src.host}/lab`, `${partial.host}/lab`, 'NeverContactSource'),
    );
    const appRef = `${src.host}/lab/app@${app.digest}`;
    const helloRef = `${src.host}/lab/hello@${hello.digest}`;
    const tagRef = `${src.host}/lab/hello:v1`;
    const { code, stdout, stderr } = await whatIf([
      '-f',
      file,
      '--root',
      root,
      ...CRIO,
      '--json',
      '--image',
      appRef,
      '--image',
      helloRef,
      '--image',
      tagRef,
    ]);
    expect(stderr).toBe('');
    const report = JSON.parse(stdout) as WhatIfReport;
    expect(report.render.errors).toEqual([]);
    expect(report.summary).toEqual({ breaks: 2, fixes: 0, moves: 1, unchanged: 0 });
    const broken = byImage(report, appRef);
    expect(broken.class).toBe('breaks');
    expect(broken.before).toMatchObject({ outcome: 'pulled', source: appRef });
    expect(broken.after.outcome).toBe('failed');
    expect(broken.after.why).toContain(`${partial.host}/lab/app@${app.digest}`);
    expect(broken.after.why).toContain('blocked');
    expect(byImage(report, helloRef)).toMatchObject({
      class: 'moves',
      before: { source: helloRef },
      after: { outcome: 'pulled', source: `${partial.host}/lab/hello@${hello.digest}` },
    });
    // A tag pull does not use the digest-only mirror, and NeverContactSource blocks the source.
    const tag = byImage(report, tagRef);
    expect(tag).toMatchObject({
      class: 'breaks',
      before: { outcome: 'pulled' },
      after: { outcome: 'failed' },
    });
    expect(tag.after.why).toContain(`registry ${src.host}/lab is blocked`);
    expect(report.changes.map((c) => c.class)).toEqual(['breaks', 'breaks', 'moves']);
    expect(code).toBe(1);
  });
});

describe('mirrorscope what-if --root: fixes, moves, signatures, rejections', () => {
  it('an ITMS fixes a tag pull the source cannot serve (exit 0), and the text says so', async () => {
    const root = await node();
    const file = await objects('tags', itms('tags', `${src.host}/lab`, `${full.host}/lab`));
    const ref = `${src.host}/lab/tagonly:v1`;
    const json = await whatIf(['-f', file, '--root', root, ...CRIO, '--json', '--image', ref]);
    const report = JSON.parse(json.stdout) as WhatIfReport;
    expect(report.summary).toEqual({ breaks: 0, fixes: 1, moves: 0, unchanged: 0 });
    expect(byImage(report, ref)).toMatchObject({
      class: 'fixes',
      before: { outcome: 'failed' },
      after: { outcome: 'pulled', source: `${full.host}/lab/tagonly:v1` },
    });
    expect(report.notes.join('\n')).toContain('it has no [[registry]] table, so it is the pool');
    expect(json.code).toBe(0);
    const text = await whatIf(['-f', file, '--root', root, ...CRIO, '--image', ref]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('what-if: 0 breaks, 1 fixes, 0 moves, 0 unchanged');
    expect(text.stdout).toContain(`FIXES     ${ref}`);
    expect(text.stdout).toContain(`after:  pulls from ${full.host}/lab/tagonly:v1`);
  });

  it('NeverContactSource with a complete mirror moves every image and breaks none', async () => {
    const root = await node();
    const file = await objects(
      'complete',
      idms('complete', `${src.host}/lab`, `${full.host}/lab`, 'NeverContactSource'),
    );
    const refs = [`${src.host}/lab/hello@${hello.digest}`, `${src.host}/lab/app@${app.digest}`];
    const { code, stdout } = await whatIf([
      '-f',
      file,
      '--root',
      root,
      ...CRIO,
      '--json',
      ...refs.flatMap((r) => ['--image', r]),
    ]);
    const report = JSON.parse(stdout) as WhatIfReport;
    expect(report.summary).toEqual({ breaks: 0, fixes: 0, moves: 2, unchanged: 0 });
    for (const r of refs)
      expect(byImage(report, r).after.source).toBe(r.replace(`${src.host}/`, `${full.host}/`));
    expect(code).toBe(0);
  });

  it('a mirror that serves the image without its signature breaks it under a policy that requires one', async () => {
    const root = await node({
      '/etc/containers/policy.json': JSON.stringify({
        default: [{ type: 'insecureAcceptAnything' }],
        transports: {
          docker: {
            [`${src.host}/lab/signed`]: [
              {
                type: 'sigstoreSigned',
                keyPath: '/etc/pki/cosign.pub',
                signedIdentity: { type: 'matchRepository' },
              },
            ],
          },
        },
      }),
      '/etc/containers/registries.d/default.yaml': 'default-docker:\n  use-sigstore-attachments: true\n',
      '/etc/pki/cosign.pub': cosign.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    });
    const file = await objects('signed', idms('signed', `${src.host}/lab`, `${full.host}/lab`));
    const ref = `${src.host}/lab/signed@${signed.digest}`;
    const { code, stdout } = await whatIf(['-f', file, '--root', root, ...CRIO, '--json', '--image', ref]);
    const report = JSON.parse(stdout) as WhatIfReport;
    const change = byImage(report, ref);
    expect(change.before).toMatchObject({ outcome: 'pulled', source: ref });
    expect(change.class).toBe('breaks');
    expect(change.after.why).toContain(`${full.host}/lab/signed@${signed.digest}`);
    expect(change.after.why).toContain('no signature');
    expect(code).toBe(1);
  });

  it('a mixed ICSP/IDMS set the MCO rejects is reported with its error, and nothing is evaluated', async () => {
    const root = await node();
    const icsp = mirrorObjectYaml(
      'ImageContentSourcePolicy',
      'legacy',
      `${src.host}/lab`,
      `${full.host}/lab`,
    );
    const file = await objects(
      'mixed',
      `${icsp}---\n${idms('strict', `${src.host}/lab`, `${full.host}/lab`, 'NeverContactSource')}`,
    );
    const { code, stdout } = await whatIf([
      '-f',
      file,
      '--root',
      root,
      ...CRIO,
      '--json',
      '--image',
      `${src.host}/lab/hello@${hello.digest}`,
    ]);
    const report = JSON.parse(stdout) as WhatIfReport;
    expect(report.render.errors).toHaveLength(1);
    expect(report.render.errors[0]!.message).toBe(
      `conflicting mirrorSourcePolicy is set for the same source "${src.host}/lab" in imagedigestmirrorsets, imagetagmirrorsets, or imagecontentsourcepolicies`,
    );
    expect(report.changes).toEqual([]);
    expect(report.summary).toEqual({ breaks: 0, fixes: 0, moves: 0, unchanged: 0 });
    expect(code).toBe(1);
  });

  it('a later -f replaces an object of the same name, --delete removes one, and a wrong --delete is a usage error', async () => {
    const root = await node();
    const current = await objects(
      'current',
      idms('mirror', `${src.host}/lab`, `${partial.host}/lab`, 'NeverContactSource'),
    );
    const replacement = await objects(
      'replacement',
      idms('mirror', `${src.host}/lab`, `${full.host}/lab`, 'NeverContactSource'),
    );
    const ref = `${src.host}/lab/app@${app.digest}`;
    const replaced = await whatIf([
      '-f',
      current,
      '-f',
      replacement,
      '--root',
      root,
      ...CRIO,
      '--json',
      '--image',
      ref,
    ]);
    expect(byImage(JSON.parse(replaced.stdout) as WhatIfReport, ref)).toMatchObject({
      class: 'moves',
      after: { source: `${full.host}/lab/app@${app.digest}` },
    });
    const deleted = await whatIf([
      '-f',
      current,
      '--delete',
      'idms/mirror',
      '--root',
      root,
      ...CRIO,
      '--json',
      '--image',
      ref,
    ]);
    expect(byImage(JSON.parse(deleted.stdout) as WhatIfReport, ref).class).toBe('unchanged');
    const typo = await whatIf(['-f', current, '--delete', 'idms/mirorr', '--root', root, '--image', ref]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('--delete ImageDigestMirrorSet/mirorr: there is no such object to delete');
    const badKind = await whatIf(['-f', current, '--delete', 'pod/x', '--root', root, '--image', ref]);
    expect(badKind.code).toBe(2);
    const noImage = await whatIf(['-f', current, '--root', root]);
    expect(noImage.code).toBe(2);
  });

  it('renders over --template when given, and over the MCO default when the node file is a rendered one', async () => {
    const rendered = await node({
      '/etc/containers/registries.conf': `[[registry]]\nlocation = "${src.host}/lab"\n`,
    });
    const file = await objects('complete2', idms('complete', `${src.host}/lab`, `${full.host}/lab`));
    const ref = `${src.host}/lab/hello@${hello.digest}`;
    const def = await whatIf(['-f', file, '--root', rendered, ...CRIO, '--json', '--image', ref]);
    expect((JSON.parse(def.stdout) as WhatIfReport).notes.join('\n')).toContain(
      "rendered over the MCO's built-in template registries.conf",
    );
    // A template whose registry blocks the mirror: the render keeps it, and the pull breaks.
    const template = path.join(lab.dir, 'template.conf');
    await writeFile(template, `[[registry]]\nlocation = "${full.host}"\nblocked = true\n`);
    const blocked = await whatIf([
      '-f',
      file,
      '--template',
      template,
      '--root',
      rendered,
      ...CRIO,
      '--json',
      '--image',
      ref,
    ]);
    const change = byImage(JSON.parse(blocked.stdout) as WhatIfReport, ref);
    expect(change.after.outcome).toBe('pulled');
    expect(change.after.source).toBe(ref);
    expect(await readFile(path.join(rendered, 'etc/containers/registries.conf'), 'utf8')).toContain(
      `location = "${src.host}/lab"`,
    );
  });
});
