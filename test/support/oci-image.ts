// Small, deterministic OCI image layouts built in Node (no Docker engine): one single-file layer per
// image, fixed timestamps, so the same content always gives the same manifest digest.
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { singleFileTar } from '../../src/lab/oci.js';

export interface LabImage {
  /** Tag inside the layout (`oci:DIR:TAG`). */
  readonly tag: string;
  /** The content of the image's one file; different content, different digest. */
  readonly content: string;
  readonly architecture?: string;
}

export interface BuiltImage {
  readonly tag: string;
  readonly digest: string;
  readonly manifest: Buffer;
  /** The config blob's digest and the layers' (empty for an index). */
  readonly config: string | null;
  readonly layers: readonly string[];
}

function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

async function writeBlob(layout: string, data: Buffer): Promise<{ digest: string; size: number }> {
  const digest = sha256(data);
  await writeFile(path.join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length)), data);
  return { digest, size: data.length };
}

/** Writes (or extends) an OCI layout at `layout` with the given images; returns their manifest digests. */
export async function buildOciLayout(layout: string, images: readonly LabImage[]): Promise<BuiltImage[]> {
  await mkdir(path.join(layout, 'blobs', 'sha256'), { recursive: true });
  await writeFile(path.join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  let index: { schemaVersion: number; manifests: unknown[] } = { schemaVersion: 2, manifests: [] };
  try {
    index = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')) as typeof index;
  } catch {
    // a new layout
  }
  const built: BuiltImage[] = [];
  for (const image of images) {
    const tar = singleFileTar('hello.txt', Buffer.from(image.content));
    const layer = await writeBlob(layout, gzipSync(tar, { level: 9 }));
    const config = await writeBlob(
      layout,
      Buffer.from(
        JSON.stringify({
          created: '1970-01-01T00:00:00Z',
          architecture: image.architecture ?? 'amd64',
          os: 'linux',
          config: { Cmd: ['/hello.txt'] },
          rootfs: { type: 'layers', diff_ids: [sha256(tar)] },
        }),
      ),
    );
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
      }),
    );
    const m = await writeBlob(layout, manifest);
    index.manifests = index.manifests.filter(
      (d) =>
        (d as { annotations?: Record<string, string> }).annotations?.['org.opencontainers.image.ref.name'] !==
        image.tag,
    );
    index.manifests.push({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      ...m,
      annotations: { 'org.opencontainers.image.ref.name': image.tag },
    });
    built.push({ tag: image.tag, digest: m.digest, manifest, config: config.digest, layers: [layer.digest] });
  }
  await writeFile(path.join(layout, 'index.json'), JSON.stringify(index));
  return built;
}

/**
 * Adds to the layout one image per platform (`os/arch[/variant]`) and an OCI index of them tagged
 * `tag`; returns the index and its instances, in the order given.
 */
export async function buildOciIndex(
  layout: string,
  tag: string,
  platforms: readonly string[],
): Promise<{ index: BuiltImage; instances: BuiltImage[] }> {
  const instances = await buildOciLayout(
    layout,
    platforms.map((p) => ({
      tag: `${tag}-${p.replaceAll('/', '-')}`,
      content: `${tag} for ${p}`,
      architecture: p.split('/')[1]!,
    })),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: instances.map((m, i) => {
        const [os, architecture, variant] = platforms[i]!.split('/');
        return {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: m.digest,
          size: m.manifest.length,
          platform: { os, architecture, ...(variant ? { variant } : {}) },
        };
      }),
    }),
  );
  const written = await writeBlob(layout, manifest);
  const indexPath = path.join(layout, 'index.json');
  const top = JSON.parse(await readFile(indexPath, 'utf8')) as { manifests: unknown[] };
  top.manifests.push({
    mediaType: 'application/vnd.oci.image.index.v1+json',
    ...written,
    annotations: { 'org.opencontainers.image.ref.name': tag },
  });
  await writeFile(indexPath, JSON.stringify(top));
  return { index: { tag, digest: written.digest, manifest, config: null, layers: [] }, instances };
}
