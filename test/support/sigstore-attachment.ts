// Pushes a cosign-style sigstore attachment (tag `sha256-HEX.sig`, one simple-signing layer) to a lab
// registry over plain HTTP, as cosign would (Debian's skopeo/podman are built without sigstore).
import { createHash } from 'node:crypto';

export interface Push {
  /** `127.0.0.1:PORT` of a plain-HTTP registry. */
  readonly host: string;
  /** `Basic …` for a registry with htpasswd auth. */
  readonly authorization?: string;
}

function headers(push: Push, contentType?: string): Record<string, string> {
  return {
    ...(push.authorization !== undefined ? { Authorization: push.authorization } : {}),
    ...(contentType !== undefined ? { 'Content-Type': contentType } : {}),
  };
}

/** A monolithic blob upload; throws unless the registry accepts it. */
export async function putBlob(
  push: Push,
  repo: string,
  data: Buffer,
): Promise<{ digest: string; size: number }> {
  const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  const start = await fetch(`http://${push.host}/v2/${repo}/blobs/uploads/`, {
    method: 'POST',
    headers: headers(push),
  });
  if (start.status !== 202) throw new Error(`blob upload to ${repo}: HTTP ${start.status}`);
  const location = new URL(start.headers.get('location')!, `http://${push.host}`);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, {
    method: 'PUT',
    body: data,
    headers: headers(push, 'application/octet-stream'),
  });
  if (put.status !== 201) throw new Error(`blob upload to ${repo}: HTTP ${put.status}`);
  return { digest, size: data.length };
}

/** The attachment of `digest` in `repo`: `payload` as its one layer, `signature` (base64) as its annotation. */
export async function pushSigstoreAttachment(
  push: Push,
  repo: string,
  digest: string,
  payload: Buffer,
  signature: string,
): Promise<void> {
  const config = await putBlob(push, repo, Buffer.from('{}'));
  const layer = await putBlob(push, repo, payload);
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [
      {
        mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
        ...layer,
        annotations: { 'dev.cosignproject.cosign/signature': signature },
      },
    ],
  };
  const res = await fetch(`http://${push.host}/v2/${repo}/manifests/${digest.replace(':', '-')}.sig`, {
    method: 'PUT',
    body: JSON.stringify(manifest),
    headers: headers(push, 'application/vnd.oci.image.manifest.v1+json'),
  });
  if (res.status !== 201) throw new Error(`attachment manifest for ${repo}: HTTP ${res.status}`);
}
