// Real OCI images for the embedded lab, built in memory: a gzip'd tar layer holding one file, an image
// config and an OCI manifest. Fixed timestamps: the same content always gives the same digest.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

export function sha256Digest(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export interface Blob {
  readonly digest: string;
  readonly bytes: Buffer;
}

export interface OciImage {
  readonly digest: string;
  readonly mediaType: string;
  readonly manifest: Buffer;
  readonly blobs: readonly Blob[];
}

function blob(bytes: Buffer): Blob {
  return { digest: sha256Digest(bytes), bytes };
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** A ustar archive holding one regular file, mtime 0, owner 0:0. */
export function singleFileTar(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write(octal(0o644, 8), 100);
  header.write(octal(0, 8), 108);
  header.write(octal(0, 8), 116);
  header.write(octal(content.length, 12), 124);
  header.write(octal(0, 12), 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\u000000', 257);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}

/** An image whose one file holds `content`; different content, different digest. */
export function buildImage(content: string): OciImage {
  const tar = singleFileTar('etc/release', Buffer.from(`${content}\n`));
  const layer = blob(gzipSync(tar, { level: 9 }));
  const config = blob(
    Buffer.from(
      JSON.stringify({
        created: '1970-01-01T00:00:00Z',
        architecture: 'amd64',
        os: 'linux',
        config: { Cmd: ['/bin/true'] },
        rootfs: { type: 'layers', diff_ids: [sha256Digest(tar)] },
      }),
    ),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: config.digest, size: config.bytes.length },
      layers: [{ mediaType: OCI_LAYER, digest: layer.digest, size: layer.bytes.length }],
    }),
  );
  return { digest: sha256Digest(manifest), mediaType: OCI_MANIFEST, manifest, blobs: [config, layer] };
}

/** An OCI manifest with the given layers (sigstore attachments); the config is the empty JSON object. */
export function buildArtifact(
  layers: readonly { mediaType: string; bytes: Buffer; annotations: Record<string, string> }[],
): OciImage {
  const config = blob(Buffer.from('{}'));
  const layerBlobs = layers.map((l) => blob(l.bytes));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: config.digest, size: config.bytes.length },
      layers: layers.map((l, i) => ({
        mediaType: l.mediaType,
        digest: layerBlobs[i]!.digest,
        size: l.bytes.length,
        annotations: l.annotations,
      })),
    }),
  );
  return {
    digest: sha256Digest(manifest),
    mediaType: OCI_MANIFEST,
    manifest,
    blobs: [config, ...layerBlobs],
  };
}
