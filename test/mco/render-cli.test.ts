// `mirrorscope render`, run in-process through the CLI dispatcher.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/mco/${name}`, import.meta.url));

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

async function render(...args: string[]) {
  const out = sink();
  const err = sink();
  const code = await main(['render', ...args], {
    stdout: out.stream,
    stderr: err.stream,
    env: {},
    isTTY: false,
  });
  return { code, stdout: out.text(), stderr: err.text() };
}

const dir = mkdtempSync(join(tmpdir(), 'mirrorscope-render-'));
const write = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mirrorscope render', () => {
  it('prints only the registries.conf text when that is the only file', async () => {
    const { code, stdout, stderr } = await render('-f', fixture('merge-order.yaml'));
    expect(code).toBe(0);
    // stdout stays the file; what a person should know about the merge goes to stderr.
    expect(stderr).toContain(
      'mirrorscope render: warning [mirror-order-surprise]: The merged mirror list of cyc.example/x contains the source itself',
    );
    expect(stdout).toBe(readFileSync(fixture('merge-order.conf'), 'utf8'));
  });

  it('separates registries.conf and policy.json when both are written; reads several files', async () => {
    const objects = fixture('nested-scopes.yaml');
    const { code, stdout } = await render('-f', objects);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^==> \/etc\/containers\/registries\.conf <==\nunqualified-search-registries/);
    expect(stdout).toContain('\n==> /etc/containers/policy.json <==\n{\n  "default": [');
  });

  it('--json gives the documented shape with mirror origins', async () => {
    const { code, stdout } = await render(
      '--json',
      '-f',
      fixture('digest-and-tag.yaml'),
      '--mco-version',
      '4.20',
    );
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(
      expect.arrayContaining([
        'registriesConf',
        'policyJson',
        'searchRegistriesDropIn',
        'errors',
        'mirrorOrigins',
      ]),
    );
    expect(doc['policyJson']).toBeNull();
    expect(doc['errors']).toEqual([]);
    const origins = doc['mirrorOrigins'] as Record<
      string,
      { mirror: string; objects: { kind: string; name: string; file: string }[] }[]
    >;
    expect(
      origins['registry.redhat.io/ubi9']!.map(
        (m) => `${m.mirror} <- ${m.objects.map((o) => o.name).join(',')}`,
      ),
    ).toEqual(['mirror.corp.example/ubi9 <- new-idms', 'tags.corp.example/ubi9 <- tags']);
  });

  it('exits 1 with the MCO error text when the set is rejected', async () => {
    const path = write(
      'conflict.yaml',
      `apiVersion: operator.openshift.io/v1alpha1
kind: ImageContentSourcePolicy
metadata: {name: a}
spec:
  repositoryDigestMirrors: [{source: quay.io/x, mirrors: [m.example/x]}]
---
apiVersion: config.openshift.io/v1
kind: ImageDigestMirrorSet
metadata: {name: b}
spec:
  imageDigestMirrors: [{source: quay.io/x, mirrors: [n.example/x], mirrorSourcePolicy: NeverContactSource}]
`,
    );
    const human = await render('-f', path);
    expect(human.code).toBe(1);
    expect(human.stdout).toBe('');
    expect(human.stderr).toContain(
      '  conflicting mirrorSourcePolicy is set for the same source "quay.io/x" in imagedigestmirrorsets, imagetagmirrorsets, or imagecontentsourcepolicies\n',
    );
    const json = await render('-f', path, '--json');
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout) as { registriesConf: unknown; errors: { message: string }[] };
    expect(doc.registriesConf).toBeNull();
    expect(doc.errors[0]!.message).toMatch(/^conflicting mirrorSourcePolicy/);
  });

  it('exits 2 naming file and line for unreadable input, and for usage errors', async () => {
    const bad = write(
      'bad.yaml',
      'apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: x}\nspec:\n  imageDigestMirrors: 7\n',
    );
    const result = await render('-f', bad);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${bad}:5: spec.imageDigestMirrors must be a list, got number 7`);
    expect((await render('-f', join(dir, 'missing.yaml'))).stderr).toContain(
      'missing.yaml: no such file or directory',
    );
    expect((await render()).code).toBe(2);
    expect((await render('-f', bad, '--mco-version', '5')).code).toBe(2);
  });

  it('reads a directory of YAML files in name order', async () => {
    const sub = join(dir, 'objects');
    mkdirSync(sub);
    writeFileSync(join(sub, 'b.yaml'), readFileSync(fixture('merge-order.yaml'), 'utf8'));
    writeFileSync(join(sub, 'a.yml'), readFileSync(fixture('nested-scopes.yaml'), 'utf8'));
    writeFileSync(join(sub, 'notes.txt'), 'not yaml: [');
    const { code, stdout } = await render('--json', '-f', sub);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as { mirrorOrigins: Record<string, { objects: { file: string }[] }[]> };
    expect(doc.mirrorOrigins['quay.example/team']![0]!.objects[0]!.file).toBe(join(sub, 'a.yml'));
    expect(Object.keys(doc.mirrorOrigins)).toContain('cyc.example/x');
  });

  it('uses --template as the base file and --mco-version 4.12 for the old form', async () => {
    const template = write('template.conf', 'unqualified-search-registries = ["quay.io"]\n');
    const { code, stdout, stderr } = await render(
      '-f',
      fixture('icsp-4.12.yaml'),
      '--template',
      template,
      '--mco-version',
      '4.12',
    );
    expect(code).toBe(0);
    expect(stdout).toContain(
      '==> /etc/containers/registries.conf <==\nunqualified-search-registries = ["quay.io"]\nshort-name-mode = ""\n\n[[registry]]',
    );
    expect(stdout).toContain('  mirror-by-digest-only = true\n');
    expect(stderr).toContain('ImageTagMirrorSet "not-in-4-12" is ignored');
  });
});
