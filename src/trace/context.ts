// What the trace engine needs to know about a node, and how to load it from a node root.
import type { AuthFileSlot } from '../core/credentials/lookup.js';
import { isLoopbackRegistry } from '../core/crio/insecure-registries.js';
import type { Resolver } from '../core/resolve/resolver.js';
import type { ResolveResult } from '../core/resolve/types.js';
import { chooseAuthFiles, readAuthFileSlot, type AuthFileChoice } from '../host/auth-files.js';
import { findCertsDir, findSystemTrust, type CertFile, type CertsDir } from '../host/certs-d.js';
import { loadResolver } from '../host/load-resolver.js';
import type { NodeRoot } from '../host/node-root.js';
import { requireNamedFile } from '../host/named-file.js';
import {
  hasNamespacedPolicies,
  modelledVersion,
  runtimeOf,
  versionNotes,
  type BehaviourName,
  type RuntimeChoice,
  type RuntimeJson,
  type VersionNote,
} from '../core/crio/versions.js';
import { namespacedAuthNote, namespacedPolicyNote, type RuntimeNote } from '../core/crio/runtime-notes.js';
import { locatePolicy } from '../host/policy-files.js';

/** certs.d for a registry host, with the node's system trust bundle. */
export type SourceTrust = CertsDir & { readonly system: CertFile | null };

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
  certsFor(hostPort: string): Promise<SourceTrust>;
  /** For messages: a node path with its real path under --root. */
  describePath(nodePath: string): string;
  /** The runtime simulated, as the JSON shows it. */
  readonly runtime: RuntimeJson;
  /** What a trace with this resolution rests on that depends on the CRI-O version, or on files that exist only during a pull. */
  notesFor(resolution: ResolveResult): readonly (VersionNote | RuntimeNote)[];
}

export interface LoadContextOptions {
  readonly runtime?: RuntimeChoice['runtime'];
  /** The node's CRI-O (null or absent: unknown, the newest rules). */
  readonly crioVersion?: RuntimeChoice['version'];
  /** The pod's namespace: it chooses `signature_policy_dir/<namespace>.json` (CRI-O ≥ 1.28). */
  readonly namespace?: string;
  /** `--authfile FILE`: a path on this machine, replacing global_auth_file / the node pull secret. */
  readonly authfile?: string;
}

export async function loadTraceContext(
  rootDir: string | NodeRoot,
  options: LoadContextOptions = {},
): Promise<TraceContext> {
  const choice: RuntimeChoice = { runtime: options.runtime ?? 'crio', version: options.crioVersion ?? null };
  const loaded = await loadResolver(rootDir, choice.runtime, choice.version);
  const authFiles = chooseAuthFiles(loaded.runtime, loaded.crio, options.authfile);
  // A file the user named is never "not there, so anonymous": that answer would be plausible and wrong.
  if (options.authfile !== undefined) await requireNamedFile('--authfile', options.authfile);
  const authSlots = await Promise.all(authFiles.map((f) => readAuthFileSlot(loaded.root, f)));
  const authFile = authFiles[0]!;
  const authSlot = authSlots[0]!;
  // A trace rests on credentials and the signature policy; on the rest only when it is in play.
  const affected = new Set<BehaviourName>(['namespaced-auth', 'policy-features']);
  if (options.namespace !== undefined) affected.add('namespaced-policy');
  if ((loaded.crio?.insecureRegistries.length ?? 0) > 0) affected.add('insecure-registries');
  const notes: RuntimeNote[] = [];
  if (loaded.crio !== null) {
    const namespace = options.namespace ?? null;
    if (namespace !== null) {
      const version = modelledVersion(choice.version);
      const [chosen, fallback] = await Promise.all([
        locatePolicy(loaded.root, loaded.crio, namespace, hasNamespacedPolicies(version)),
        locatePolicy(loaded.root, loaded.crio),
      ]);
      notes.push(
        namespacedPolicyNote(
          version,
          loaded.crio,
          namespace,
          chosen.reason === 'namespace' ? chosen.path : null,
          fallback.path,
        ),
      );
    }
    const auth = namespacedAuthNote(modelledVersion(choice.version), loaded.crio, namespace, authFile.path);
    if (auth !== null) notes.push(auth);
  }
  const certs = new Map<string, Promise<SourceTrust>>();
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
    runtime: runtimeOf(choice),
    notesFor: (resolution) => {
      const also = new Set(affected);
      if (resolution.shortName !== null || resolution.error?.code === 'short-name-error')
        also.add('short-names');
      if (resolution.candidates.some((c) => isLoopbackRegistry(c.image.slice(0, c.image.indexOf('/')))))
        also.add('insecure-registries');
      return [...versionNotes(choice, also), ...notes];
    },
  };
}
