// The small pieces under the rollout evaluation: Ignition data URLs, the MCO's pool choice for a
// node, and the agreement between the files compared and the files agents report.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CONFIG_PATHS } from '../../src/agent/config-files.js';
import { clusterObjectsFromApi } from '../../src/core/mco/parse-objects.js';
import { poolForNode, type PoolSelector } from '../../src/collector/node-pools.js';
import { DataUrlError, decodeDataUrl, MAX_FILE_BYTES } from '../../src/core/rollout/data-url.js';
import { COMPARED_PATH_PREFIXES, isComparedPath } from '../../src/core/rollout/machine-config.js';
import { ignitionContents } from '../support/openshift-objects.js';

const TEXT = '[[registry]]\nlocation = "quay.example/ü"\n# 100% sure\n';

describe('Ignition data URLs', () => {
  it('decodes the three encodings the MCO writes to the same bytes', () => {
    for (const encoding of ['plain', 'base64', 'gzip'] as const) {
      const { source, compression } = ignitionContents(TEXT, encoding);
      expect(decodeDataUrl(source, compression ?? '').toString('utf8')).toBe(TEXT);
    }
  });

  it('keeps bytes that are not UTF-8 (percent-escapes decode to bytes)', () => {
    expect([...decodeDataUrl('data:,a%FFb%0a', '')]).toEqual([0x61, 0xff, 0x62, 0x0a]);
    expect(decodeDataUrl('data:text/plain;charset=utf-8,', '').length).toBe(0);
  });

  it('refuses what is not a data URL, broken escapes, unknown compression and gzip bombs', () => {
    expect(() => decodeDataUrl('https://example.invalid/f', '')).toThrow(DataUrlError);
    expect(() => decodeDataUrl('data:,%4', '')).toThrow('invalid percent-escape');
    expect(() => decodeDataUrl('data:;base64,AAAA', 'zstd')).toThrow('unsupported compression "zstd"');
    const bomb = gzipSync(Buffer.alloc(MAX_FILE_BYTES + 1));
    expect(() => decodeDataUrl(`data:;base64,${bomb.toString('base64')}`, 'gzip')).toThrow(/gzip:/);
  });
});

describe('the pool that manages a node (MCO GetPoolsForNode)', () => {
  const pools: PoolSelector[] = [
    { name: 'master', nodeSelector: { matchLabels: { 'node-role.kubernetes.io/master': '' } } },
    { name: 'worker', nodeSelector: { matchLabels: { 'node-role.kubernetes.io/worker': '' } } },
    {
      name: 'infra',
      nodeSelector: { matchExpressions: [{ key: 'node-role.kubernetes.io/infra', operator: 'Exists' }] },
    },
    { name: 'gpu', nodeSelector: { matchLabels: { 'example.com/gpu': 'true' } } },
  ];
  const role = (...roles: string[]) =>
    Object.fromEntries(roles.map((r) => [`node-role.kubernetes.io/${r}`, '']));

  it('prefers master, then the one custom pool, then worker', () => {
    expect(poolForNode(role('master', 'worker'), pools)).toBe('master');
    expect(poolForNode(role('worker', 'infra'), pools)).toBe('infra');
    expect(poolForNode(role('worker'), pools)).toBe('worker');
  });

  it('gives a node two custom pools claim to no pool, as the MCO does', () => {
    expect(poolForNode({ ...role('worker', 'infra'), 'example.com/gpu': 'true' }, pools)).toBeNull();
  });

  it('matches no node with a pool whose selector is null', () => {
    expect(poolForNode(role('worker'), [{ name: 'worker', nodeSelector: null }])).toBeNull();
  });
});

describe('compared files', () => {
  it('are all under a path the agent reports digests of', () => {
    for (const prefix of COMPARED_PATH_PREFIXES) {
      const covered = CONFIG_PATHS.some(
        (p) => prefix === p || prefix.startsWith(`${p}/`) || `${p}/` === prefix,
      );
      expect(covered, prefix).toBe(true);
    }
  });

  it('never include the pull secret or unrelated files', () => {
    expect(isComparedPath('/var/lib/kubelet/config.json')).toBe(false);
    expect(isComparedPath('/etc/containers/storage.conf')).toBe(false);
    expect(isComparedPath('/etc/containers/registries.conf.d/01-image-searchRegistries.conf')).toBe(true);
  });
});

describe('mirror objects read from the API', () => {
  const api = (object: unknown, kind: string) => ({
    object,
    kind,
    apiVersion:
      kind === 'ImageContentSourcePolicy' ? 'operator.openshift.io/v1alpha1' : 'config.openshift.io/v1',
    label: `${kind.toLowerCase()}s/${(object as { metadata: { name: string } }).metadata.name}`,
  });

  it('takes list items without kind/apiVersion from the resource they were listed from', () => {
    const objects = clusterObjectsFromApi([
      api(
        {
          metadata: { name: 'a' },
          spec: { imageDigestMirrors: [{ source: 'q.example/a', mirrors: ['m.example/a'] }] },
        },
        'ImageDigestMirrorSet',
      ),
    ]);
    expect(objects.mirrorSets.map((o) => [o.kind, o.ref.name, o.entries[0]?.mirrors])).toEqual([
      ['ImageDigestMirrorSet', 'a', ['m.example/a']],
    ]);
    expect(objects.notes).toEqual([]);
  });

  it('leaves a malformed object out with a note naming it, and keeps the others', () => {
    const objects = clusterObjectsFromApi([
      api(
        { metadata: { name: 'broken' }, spec: { imageDigestMirrors: 'not a list' } },
        'ImageDigestMirrorSet',
      ),
      api(
        {
          metadata: { name: 'ok' },
          spec: { imageTagMirrors: [{ source: 'q.example/b', mirrors: ['m.example/b'] }] },
        },
        'ImageTagMirrorSet',
      ),
    ]);
    expect(objects.mirrorSets.map((o) => o.ref.name)).toEqual(['ok']);
    expect(objects.notes).toEqual([
      {
        message: 'left out: spec.imageDigestMirrors must be a list, got string "not a list"',
        file: 'imagedigestmirrorsets/broken',
        line: null,
      },
    ]);
  });
});
