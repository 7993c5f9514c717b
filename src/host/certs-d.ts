// certs.d lookup for one registry host, as containers/image's `dockerCertDir` +
// `tlsclientconfig.SetupCertificates`: the first EXISTING of ROOT/etc/containers/certs.d/HOST[:PORT]
// and ROOT/etc/docker/certs.d/HOST[:PORT] (never merged; the port must match exactly); `*.crt` are CAs
// added to the system trust, `*.cert` + `*.key` are client pairs.
import path from 'node:path';
import { MirrorscopeError } from '../core/errors.js';
import { NODE_PATHS, type NodeRoot } from './node-root.js';

export interface CertFile {
  /** Node path. */
  readonly file: string;
  readonly pem: Buffer;
}

export interface CertsDir {
  /** Node path of the directory used, null when none exists. */
  readonly dir: string | null;
  /** Every directory looked at, in order. */
  readonly searched: readonly string[];
  readonly cas: readonly CertFile[];
  readonly clientCert: CertFile | null;
  readonly clientKey: CertFile | null;
}

function certError(dir: string, message: string): MirrorscopeError {
  return new MirrorscopeError('config-invalid', `${dir}: ${message}`, {
    location: { file: dir, line: null },
    upstream: message,
  });
}

/** Go's `crypto/x509` system bundle locations on Linux; the first existing one is the system trust. */
const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/ca-bundle.pem',
  '/etc/pki/tls/cacert.pem',
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem',
  '/etc/ssl/cert.pem',
];

/**
 * The node's system trust bundle (where an OpenShift additionalTrustBundle ends up), null when the
 * root has none; the caller then falls back to Node's bundled Mozilla roots. Go also reads the
 * certificate directories (/etc/ssl/certs, /etc/pki/tls/certs); the bundle files cover them on
 * Debian and RHEL, where they are generated from the same source.
 */
export async function findSystemTrust(root: NodeRoot): Promise<CertFile | null> {
  for (const file of SYSTEM_BUNDLES) {
    try {
      const pem = await root.readFile(file);
      if (pem !== null) return { file, pem };
    } catch (err) {
      // unreadable: try the next one, as Go does
      if (!(err instanceof MirrorscopeError)) throw err;
    }
  }
  return null;
}

export async function findCertsDir(root: NodeRoot, hostPort: string): Promise<CertsDir> {
  const searched = [NODE_PATHS.containersCertsD, NODE_PATHS.dockerCertsD].map((d) =>
    path.posix.join(d, hostPort),
  );
  for (const dir of searched) {
    // Missing and permission errors both move on to the next candidate, as upstream's dockerCertDir.
    if (!(await root.isDirectory(dir))) continue;
    let names: string[];
    try {
      names = ((await root.readDir(dir)) ?? []).map((e) => e.name);
    } catch (err) {
      // SetupCertificates skips a directory it may not list: the directory is used, with no files.
      if (!(err instanceof MirrorscopeError)) throw err;
      names = [];
    }
    const present = new Set(names);
    const cas: CertFile[] = [];
    let clientCert: CertFile | null = null;
    let clientKey: CertFile | null = null;
    // A file that vanished (or a dangling symlink) is skipped, as upstream; any other read error fails.
    const read = async (name: string): Promise<CertFile | null> => {
      const file = path.posix.join(dir, name);
      const pem = await root.readFile(file);
      return pem === null ? null : { file, pem };
    };
    for (const name of names) {
      if (name.endsWith('.crt')) {
        const ca = await read(name);
        if (ca !== null) cas.push(ca);
      } else if (name.endsWith('.cert')) {
        const keyName = `${name.slice(0, -'.cert'.length)}.key`;
        if (!present.has(keyName)) {
          throw certError(
            dir,
            `missing key ${keyName} for client certificate ${name}. Note that CA certificates should use the extension .crt`,
          );
        }
        clientCert = await read(name);
      } else if (name.endsWith('.key')) {
        const certName = `${name.slice(0, -'.key'.length)}.cert`;
        if (!present.has(certName))
          throw certError(dir, `missing client certificate ${certName} for key ${name}`);
        clientKey = await read(name);
      }
    }
    return { dir, searched, cas, clientCert, clientKey };
  }
  return { dir: null, searched, cas: [], clientCert: null, clientKey: null };
}
