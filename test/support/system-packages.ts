// System tools the integration tests run for real. Missing ones are installed with apt-get when we
// are root (as on CI), otherwise the run stops with the list of packages to install.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** command on PATH → Debian package that provides it */
export const SYSTEM_TOOLS: Readonly<Record<string, string>> = {
  skopeo: 'skopeo',
  podman: 'podman',
  'docker-registry': 'docker-registry',
  gpg: 'gnupg',
  openssl: 'openssl',
  unshare: 'util-linux',
  ip: 'iproute2',
  chromium: 'chromium',
  promtool: 'prometheus',
};

function onPath(command: string): boolean {
  const dirs = (process.env.PATH ?? '').split(':');
  return dirs.some((d) => d !== '' && existsSync(`${d}/${command}`));
}

export function missingPackages(): string[] {
  return [
    ...new Set(
      Object.entries(SYSTEM_TOOLS)
        .filter(([cmd]) => !onPath(cmd))
        .map(([, pkg]) => pkg),
    ),
  ];
}

export function ensureSystemPackages(): void {
  const missing = missingPackages();
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    throw new Error(
      `the tests need these Debian packages: ${missing.join(' ')}\n  install them with: sudo apt-get install -y ${missing.join(' ')}`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  process.stderr.write(`installing test dependencies: ${missing.join(' ')}\n`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    stdio: 'inherit',
    env,
  });
  const still = missingPackages();
  if (still.length > 0) throw new Error(`apt-get did not provide: ${still.join(' ')}`);
}
