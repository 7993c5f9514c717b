// What the trace engine needs to know about a node, and how to load it from a node root.
import type { AuthFileSlot } from '../core/credentials/lookup.js';
import type { Resolver } from '../core/resolve/resolver.js';
import { chooseAuthFiles, readAuthFileSlot, type AuthFileChoice } from '../host/auth-files.js';
import { findCertsDir, findSystemTrust, type CertFile, type CertsDir } from '../host/certs-d.js';
import { loadResolver, type Runtime } from '../host/load-resolver.js';
import { requireNamedFile } from '../host/named-file.js';

export interface TraceContext {
  readonly resolver: Resolver;
  /** registries.conf `credential-helpers` (empty: the default, auth files only). */
  readonly credentialHelpers: readonly string[];
  readonly credentialHelpersAt: string | null;
  /** The first (for CRI-O: the only) auth file searched. */
  readonly authFile: AuthFileChoice;
  /** The parsed auth file, or `file: null` when it does not exist. */
  readonly authSlot: AuthFileSlot;
  /** Every auth file searched, in containers/image's order (several only for --runtime podman). */
  readonly authFiles: readonly AuthFileChoice[];
  readonly authSlots: readonly AuthFileSlot[];
  /** certs.d for a registry host, with the node's system trust bundle. */
  certsFor(hostPort: string): Promise<CertsDir & { readonly system: CertFile | null }>;
  /** For messages: a node path with its real path under --root. */
  describePath(nodePath: string): string;
}

export interface LoadContextOptions {
  readonly runtime?: Runtime;
  /** `--authfile FILE`: a path on this machine, replacing global_auth_file / the node pull secret. */
  readonly authfile?: string;
}

export async function loadTraceContext(
  rootDir: string,
  options: LoadContextOptions = {},
): Promise<TraceContext> {
  const loaded = await loadResolver(rootDir, options.runtime ?? 'crio');
  const authFiles = chooseAuthFiles(loaded.runtime, loaded.crio, options.authfile);
  // A file the user named is never "not there, so anonymous": that answer would be plausible and wrong.
  if (options.authfile !== undefined) await requireNamedFile('--authfile', options.authfile);
  const authSlots = await Promise.all(authFiles.map((f) => readAuthFileSlot(loaded.root, f)));
  const authFile = authFiles[0]!;
  const authSlot = authSlots[0]!;
  const certs = new Map<string, Promise<CertsDir & { readonly system: CertFile | null }>>();
  let system: Promise<CertFile | null> | null = null;
  const config = loaded.loaded.config;
  return {
    resolver: loaded.resolver,
    credentialHelpers: config.credentialHelpers,
    credentialHelpersAt: config.credentialHelpersOrigin
      ? `${config.credentialHelpersOrigin.file}${config.credentialHelpersOrigin.line !== null ? `:${config.credentialHelpersOrigin.line}` : ''}`
      : null,
    authFile,
    authSlot,
    authFiles,
    authSlots,
    certsFor(hostPort) {
      let found = certs.get(hostPort);
      if (found === undefined) {
        system ??= findSystemTrust(loaded.root);
        found = Promise.all([findCertsDir(loaded.root, hostPort), system]).then(([dir, trust]) => ({
          ...dir,
          system: trust,
        }));
        certs.set(hostPort, found);
        // A failed lookup (e.g. a client certificate without its key) is not remembered.
        found.catch(() => certs.delete(hostPort));
      }
      return found;
    },
    describePath: (p) => (authFile.external && p === authFile.path ? p : loaded.root.describe(p)),
  };
}
