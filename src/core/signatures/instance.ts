// A single-platform pull of a manifest list / image index verifies the signature of the instance
// chosen for the node's platform, not the list's (containers/image `ChooseInstance`).

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant: string;
}

export type InstanceChoice =
  | { readonly kind: 'not-a-list' }
  | { readonly kind: 'instance'; readonly digest: string; readonly platform: Platform }
  | { readonly kind: 'error'; readonly message: string };

const LIST_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);

/** The platform CRI-O pulls for on this machine (GOARCH names). */
export function hostPlatform(arch: string = process.arch): Platform {
  const architecture =
    (
      { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' } as Record<
        string,
        string
      >
    )[arch] ?? arch;
  return { os: 'linux', architecture, variant: architecture === 'arm64' ? 'v8' : '' };
}

export function chooseInstance(manifest: Uint8Array, wanted: Platform): InstanceChoice {
  let parsed: { mediaType?: unknown; manifests?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(manifest).toString('utf8')) as typeof parsed;
  } catch {
    return { kind: 'not-a-list' };
  }
  const isList =
    typeof parsed.mediaType === 'string' ? LIST_TYPES.has(parsed.mediaType) : Array.isArray(parsed.manifests);
  if (!isList || !Array.isArray(parsed.manifests)) return { kind: 'not-a-list' };
  const entries = (
    parsed.manifests as {
      digest?: unknown;
      platform?: { os?: unknown; architecture?: unknown; variant?: unknown };
    }[]
  ).map((m) => ({
    digest: typeof m.digest === 'string' ? m.digest : '',
    platform: {
      os: typeof m.platform?.os === 'string' ? m.platform.os : '',
      architecture: typeof m.platform?.architecture === 'string' ? m.platform.architecture : '',
      variant: typeof m.platform?.variant === 'string' ? m.platform.variant : '',
    },
  }));
  const sameArch = entries.filter(
    (e) => e.digest !== '' && e.platform.os === wanted.os && e.platform.architecture === wanted.architecture,
  );
  const exact =
    sameArch.find((e) => e.platform.variant === wanted.variant) ??
    sameArch.find((e) => e.platform.variant === '') ??
    sameArch[0];
  if (exact !== undefined) return { kind: 'instance', digest: exact.digest, platform: exact.platform };
  const what =
    parsed.mediaType === 'application/vnd.docker.distribution.manifest.list.v2+json'
      ? 'manifest list'
      : 'image index';
  return {
    kind: 'error',
    message: `no image found in ${what} for architecture "${wanted.architecture}", variant "${wanted.variant}", OS "${wanted.os}"`,
  };
}
