// The platform containers/image pulls for on this machine (the agent runs on the node it checks).
import type { Platform } from '../core/registry-protocol/manifest-blobs.js';

/** Node's `process.arch` → Go's GOARCH. */
const GOARCH: Readonly<Record<string, string>> = {
  x64: 'amd64',
  ia32: '386',
  arm64: 'arm64',
  arm: 'arm',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
};

/**
 * runtime.GOOS/GOARCH with c/image's auto-detected variant: "v8" on arm64 (every 64-bit ARM CPU
 * reports "Cpu architecture: 8"); 32-bit ARM variants would need /proc/cpuinfo and are left empty.
 */
export function hostPlatform(): Platform {
  const architecture = GOARCH[process.arch] ?? process.arch;
  return { os: process.platform, architecture, variant: architecture === 'arm64' ? 'v8' : '' };
}
