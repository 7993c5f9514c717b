// The pure parts of what-if: the proposal (replace, delete), the classification, the node overlay.
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseClusterObjects } from '../../src/core/mco/parse-objects.js';
import { classify, judge, whatIfFails, whatIfReport } from '../../src/core/what-if/classify.js';
import { isOverridablePath } from '../../src/core/what-if/node-files.js';
import { applyProposal, NO_OBJECTS, parseObjectKey } from '../../src/core/what-if/proposal.js';
import { OverlayNodeRoot } from '../../src/host/overlay-root.js';

const pulled = (source: string, digest = 'sha256:a') => ({
  outcome: 'pulled' as const,
  source,
  digest,
  reason: 'ok',
});
const failed = (reason: string) => ({ outcome: 'failed' as const, source: null, digest: null, reason });

function objects(yaml: string) {
  return parseClusterObjects([{ path: 'objects.yaml', text: yaml }]);
}

const IDMS = (name: string, mirror: string) =>
  `apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: ${name}}\nspec:\n  imageDigestMirrors:\n  - source: quay.io/acme\n    mirrors: [${mirror}]\n`;

describe('classification', () => {
  it('breaks, fixes, moves and unchanged', () => {
    expect(classify(pulled('a'), failed('x'))).toBe('breaks');
    expect(classify(failed('x'), pulled('a'))).toBe('fixes');
    expect(classify(pulled('a'), pulled('b'))).toBe('moves');
    expect(classify(pulled('a'), pulled('a'))).toBe('unchanged');
    expect(classify(failed('x'), failed('y'))).toBe('unchanged');
  });

  it('says why, and names a digest that changes with the source', () => {
    expect(
      judge({ image: 'i', before: pulled('a', 'sha256:1'), after: pulled('b', 'sha256:2') }).after.why,
    ).toBe('served from b instead of a — a different image: sha256:2 instead of sha256:1');
    expect(judge({ image: 'i', before: failed('x'), after: failed('y') }).after.why).toBe(
      'still fails, now: y',
    );
  });

  it('orders most harm first and fails the gate on a break or a rejection', () => {
    const report = whatIfReport({ errors: [], warnings: [] }, [
      judge({ image: 'z', before: pulled('a'), after: pulled('a') }),
      judge({ image: 'y', before: pulled('a'), after: failed('gone'), pods: 3 }),
      judge({ image: 'x', before: failed('x'), after: pulled('a') }),
    ]);
    expect(report.changes.map((c) => c.class)).toEqual(['breaks', 'fixes', 'unchanged']);
    expect(report.summary).toEqual({ breaks: 1, fixes: 1, moves: 0, unchanged: 1 });
    expect(whatIfFails(report)).toBe(true);
    const rejected = whatIfReport({ errors: [{ message: 'm', mcoLog: 'l' }], warnings: [] }, report.changes);
    expect(rejected.changes).toEqual([]);
    expect(whatIfFails(rejected)).toBe(true);
  });
});

describe('proposal', () => {
  it('replaces an object of the same kind and name in place, adds the others, deletes by KIND/NAME', () => {
    const base = applyProposal(
      NO_OBJECTS,
      [objects(`${IDMS('a', 'm1.example/acme')}---\n${IDMS('b', 'm2.example/acme')}`)],
      [],
    );
    const next = applyProposal(
      base,
      [objects(`${IDMS('a', 'm3.example/acme')}---\n${IDMS('c', 'm4.example/acme')}`)],
      [parseObjectKey('IDMS/b')],
    );
    expect(next.mirrorSets.map((o) => [o.ref.name, o.entries[0]!.mirrors[0]])).toEqual([
      ['a', 'm3.example/acme'],
      ['c', 'm4.example/acme'],
    ]);
    expect(() => applyProposal(base, [], [parseObjectKey('itms/a')])).toThrow(/no such object/);
    expect(() => parseObjectKey('deployment/x')).toThrow(/--delete needs KIND\/NAME/);
    expect(parseObjectKey('imagepolicy/ns/p')).toEqual({ kind: 'ImagePolicy', name: 'ns/p' });
    expect(() => parseObjectKey('imagepolicy/p')).toThrow();
  });
});

describe('overlay node root', () => {
  it('serves proposed files from memory, hides removed ones, lists added ones, and leaves the rest to disk', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mirrorscope-overlay-'));
    await mkdir(path.join(dir, 'etc/containers/registries.conf.d'), { recursive: true });
    await writeFile(path.join(dir, 'etc/containers/registries.conf'), 'old');
    await writeFile(
      path.join(dir, 'etc/containers/registries.conf.d/01-image-searchRegistries.conf'),
      'gone',
    );
    await writeFile(path.join(dir, 'etc/containers/registries.conf.d/50-own.conf'), 'own');
    const root = new OverlayNodeRoot(
      dir,
      new Map([
        ['/etc/containers/registries.conf', 'new'],
        ['/etc/containers/registries.conf.d/01-image-searchRegistries.conf', null],
        ['/etc/crio/policies/team-a.json', '{}'],
      ]),
    );
    expect((await root.readFile('/etc/containers/registries.conf'))?.toString()).toBe('new');
    expect(
      await root.readFile('/etc/containers/registries.conf.d/01-image-searchRegistries.conf'),
    ).toBeNull();
    expect((await root.readDir('/etc/containers/registries.conf.d'))?.map((e) => e.name)).toEqual([
      '50-own.conf',
    ]);
    expect(await root.isDirectory('/etc/crio/policies')).toBe(true);
    expect((await root.readDir('/etc/crio/policies'))?.map((e) => e.name)).toEqual(['team-a.json']);
    expect((await root.readFile('/etc/containers/registries.conf.d/50-own.conf'))?.toString()).toBe('own');
    expect(root.describe('/etc/containers/registries.conf')).toBe(
      '/etc/containers/registries.conf (as proposed)',
    );
  });

  it('accepts only the files the MCO registries rendering writes as an override', () => {
    expect(isOverridablePath('/etc/containers/registries.conf')).toBe(true);
    expect(isOverridablePath('/etc/crio/policies/team-a.json')).toBe(true);
    expect(isOverridablePath('/var/lib/kubelet/config.json')).toBe(false);
    expect(isOverridablePath('/etc/crio/policies/../../../etc/shadow.json')).toBe(false);
  });
});
