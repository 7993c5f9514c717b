// Which blobs a pull downloads, and which instance of an index containers/image picks (c/image
// internal/pkg/platform/platform_matcher.go at 0fd82e7f3a, internal/manifest/oci_index.go at 04865d9126).
import { describe, expect, it } from 'vitest';
import {
  chooseInstance,
  manifestContent,
  parsePlatform,
  wantedPlatforms,
  type IndexEntry,
} from '../../src/core/registry-protocol/manifest-blobs.js';

const d = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const bytes = (doc: unknown) => Buffer.from(JSON.stringify(doc));
const linux = (architecture: string, variant = '') => ({ os: 'linux', architecture, variant });

function entry(n: number, platform: ReturnType<typeof linux> | null, zstd = false): IndexEntry {
  return { digest: d(n), mediaType: 'application/vnd.oci.image.manifest.v1+json', platform, zstd };
}

describe('manifestContent', () => {
  it('lists the config, then the layers in order, and leaves out foreign layers', () => {
    const c = manifestContent(
      bytes({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: { digest: d(1), size: 10 },
        layers: [
          { digest: d(2) },
          { digest: d(3), urls: ['https://example.invalid/layer'] },
          { digest: d(4) },
        ],
      }),
      '',
    );
    expect(c).toEqual({
      kind: 'image',
      blobs: [
        { digest: d(1), role: 'config', layer: null, size: 10 },
        { digest: d(2), role: 'layer', layer: 1, size: null },
        { digest: d(4), role: 'layer', layer: 3, size: null },
      ],
    });
  });

  it('reads schema 1 layers oldest first, each digest once', () => {
    const c = manifestContent(
      bytes({ schemaVersion: 1, fsLayers: [{ blobSum: d(5) }, { blobSum: d(6) }, { blobSum: d(5) }] }),
      'application/vnd.docker.distribution.manifest.v1+prettyjws',
    );
    expect(c).toMatchObject({ kind: 'image', blobs: [{ digest: d(5) }, { digest: d(6) }] });
  });

  it('reads an index, with or without platforms, and refuses what c/image could not pull', () => {
    const c = manifestContent(
      bytes({
        schemaVersion: 2,
        manifests: [
          { digest: d(1), platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
          { digest: d(2), annotations: { 'io.github.containers.compression.zstd': 'true' } },
        ],
      }),
      'application/vnd.oci.image.index.v1+json',
    );
    expect(c).toMatchObject({
      kind: 'index',
      oci: true,
      entries: [
        { digest: d(1), platform: linux('arm64', 'v8'), zstd: false },
        { digest: d(2), platform: null, zstd: true },
      ],
    });
    expect(manifestContent(Buffer.from('{'), '')).toMatchObject({ kind: 'unreadable' });
    expect(
      manifestContent(bytes({ schemaVersion: 2, config: { digest: 'x' }, layers: [] }), ''),
    ).toMatchObject({ kind: 'unreadable', reason: expect.stringContaining('no valid config') });
  });
});

describe('platforms', () => {
  it('parses --platform', () => {
    expect(parsePlatform('linux/arm64/v8')).toEqual(linux('arm64', 'v8'));
    expect(parsePlatform('linux/amd64')).toEqual(linux('amd64'));
    expect(parsePlatform('amd64')).toBeNull();
    expect(parsePlatform('linux/amd64/v2/x')).toBeNull();
  });

  it('wants the variant and what it can run, then none; or none, then the base variant', () => {
    expect(wantedPlatforms(linux('arm', 'v6')).map((p) => p.variant)).toEqual(['v6', 'v5', '']);
    expect(wantedPlatforms(linux('arm64', 'v8')).map((p) => p.variant)).toEqual(['v8', '']);
    expect(wantedPlatforms(linux('arm64')).map((p) => p.variant)).toEqual(['', 'v8']);
    expect(wantedPlatforms(linux('amd64')).map((p) => p.variant)).toEqual(['']);
    expect(wantedPlatforms(linux('riscv64', 'rva23')).map((p) => p.variant)).toEqual(['rva23', '']);
  });

  it('a docker list: the first wanted platform any entry has, in entry order', () => {
    const list = { oci: false, entries: [entry(1, linux('arm64', 'v8')), entry(2, linux('arm64'))] };
    expect(chooseInstance(list, linux('arm64'))).toEqual({ entry: list.entries[1] });
    expect(chooseInstance(list, linux('arm64', 'v8'))).toEqual({ entry: list.entries[0] });
    expect(chooseInstance(list, linux('amd64'))).toEqual({
      error: 'no image found in manifest list for architecture amd64, variant "", OS linux',
    });
  });

  it('an OCI index: best platform rank, then a zstd instance, then entry order; no platform ranks last', () => {
    const index = {
      oci: true,
      entries: [
        entry(1, null),
        entry(2, linux('amd64')),
        entry(3, linux('amd64'), true),
        entry(4, linux('amd64')),
      ],
    };
    expect(chooseInstance(index, linux('amd64'))).toEqual({ entry: index.entries[2] });
    expect(chooseInstance(index, linux('s390x'))).toEqual({ entry: index.entries[0] });
    expect(chooseInstance({ oci: true, entries: [entry(2, linux('amd64'))] }, linux('s390x'))).toEqual({
      error: 'no image found in image index for architecture "s390x", variant "", OS "linux"',
    });
  });
});
