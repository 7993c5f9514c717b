// One load of the node's pull configuration: everything a scan needs (the trace context with the
// resolver, credentials and certs.d; the signature context; the static findings) plus the files'
// digests and config hash. A broken file is a finding, never a crash: the load keeps going and says so.
import { skippedChecks, type SkippedCheck } from '../core/check/skipped-checks.js';
import { runStaticCheck } from '../core/check/static-check.js';
import type { CrioImageConfig } from '../core/crio/crio-config.js';
import { hasNamespacedPolicies, modelledVersion, type CrioVersion } from '../core/crio/versions.js';
import { MirrorscopeError } from '../core/errors.js';
import { keyStatic } from '../core/diagnose/finding-key.js';
import type { NodeFinding } from '../core/findings/types.js';
import { NodeRoot } from '../host/node-root.js';
import { loadCheckInput } from '../signatures/load-check-input.js';
import type { SignatureContext } from '../signatures/evaluator.js';
import { loadTraceContext, type TraceContext } from '../trace/context.js';
import { readConfigFiles, type ConfigFiles } from './config-files.js';

export interface HostConfig {
  readonly root: NodeRoot;
  /** The CRI-O version whose rules were applied (null: unknown, the newest). */
  readonly crioVersion: CrioVersion | null;
  /** crio.conf and its drop-ins, null when they cannot be loaded. */
  readonly crio: CrioImageConfig | null;
  readonly files: ConfigFiles;
  /** null when the registries/CRI-O/auth configuration cannot be loaded (see `loadError`). */
  readonly trace: TraceContext | null;
  readonly loadError: MirrorscopeError | null;
  readonly signatures: SignatureContext | null;
  readonly staticFindings: readonly NodeFinding[];
  /** Checks this load cannot run (an input did not load): their earlier findings are kept as stale. */
  readonly skippedChecks: readonly SkippedCheck[];
  /** Key names of the auth file (never its credentials). */
  readonly authKeys: readonly string[];
  /** Files outside the usual directories that are part of the configuration (global_auth_file, signature_policy). */
  readonly extraPaths: readonly string[];
}

async function settle<T>(p: Promise<T>): Promise<T | MirrorscopeError> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof MirrorscopeError) return err;
    throw err;
  }
}

function crioPaths(trace: TraceContext | null): string[] {
  return trace === null || trace.authFile.external ? [] : [trace.authFile.path];
}

export async function loadHostConfig(
  rootDir: string,
  options: { timeoutMs: number; crioVersion?: CrioVersion | null },
): Promise<HostConfig> {
  const root = new NodeRoot(rootDir);
  const crioVersion = options.crioVersion ?? null;
  // Digests first: a file replaced while the load runs then shows as a change at the next check.
  const before = await readConfigFiles(root);
  const traced = await settle(loadTraceContext(rootDir, { crioVersion }));
  const trace = traced instanceof MirrorscopeError ? null : traced;
  const loadError = traced instanceof MirrorscopeError ? traced : null;
  const checkInput = await loadCheckInput(root, 'crio', { crioVersion });
  const staticFindings = runStaticCheck(checkInput).map((f) => keyStatic(f));
  if (
    loadError !== null &&
    !staticFindings.some((f) => f.id === 'config-invalid' && f.message === loadError.message)
  ) {
    // e.g. a broken pull secret: the static check does not read it, the trace does.
    staticFindings.push(
      keyStatic({
        id: 'config-invalid',
        severity: 'error',
        message: loadError.message,
        file: loadError.location?.file ?? null,
        line: loadError.location?.line ?? null,
        scope: null,
        fix: 'Correct the file at the line named; CRI-O fails every pull that reads it until it loads.',
      }),
    );
  }
  let signatures: SignatureContext | null = null;
  const crio = checkInput.crio?.ok === true ? checkInput.crio.value : null;
  if (trace !== null) {
    const { loadSignatureContext } = await import('../signatures/evaluator.js');
    signatures = await loadSignatureContext(root, crio, {
      timeoutMs: options.timeoutMs,
      namespaced: hasNamespacedPolicies(modelledVersion(crioVersion)),
    });
  }
  const extra = [
    ...crioPaths(trace),
    ...(crio && crio.signaturePolicy.value !== '' ? [crio.signaturePolicy.value] : []),
  ];
  const files = extra.length === 0 ? before : await readConfigFiles(root, extra);
  const authKeys = trace?.authSlot.file?.auths.map((a) => a.key) ?? [];
  return {
    root,
    crioVersion,
    crio,
    files,
    trace,
    loadError,
    signatures,
    staticFindings,
    skippedChecks: skippedChecks(checkInput, loadError),
    authKeys,
    extraPaths: extra,
  };
}
