// Traces for a what-if: the same images pulled with the node's files as they are and with a proposed
// set overlaid in memory, each answer reduced to where it pulls from and whether it succeeds.
import { MirrorscopeError } from '../core/errors.js';
import type { Platform } from '../core/registry-protocol/manifest-blobs.js';
import { pullSideOf } from '../core/what-if/pull-side.js';
import type { PullSide } from '../core/what-if/types.js';
import type { CrioVersion } from '../core/crio/versions.js';
import { NodeRoot } from '../host/node-root.js';
import { OverlayNodeRoot, type FileOverlay } from '../host/overlay-root.js';
import { loadTraceContext } from './context.js';
import { TraceEngine } from './engine.js';
import type { SignatureEvaluator, TraceResult } from './types.js';

export interface SideOptions {
  readonly runtime?: 'crio' | 'podman';
  readonly crioVersion?: CrioVersion | null;
  readonly namespace?: string;
  readonly authfile?: string;
  readonly timeoutMs?: number;
  readonly platform?: Platform;
}

function unloadable(err: MirrorscopeError, runtime: 'crio' | 'podman'): PullSide {
  return {
    outcome: 'failed',
    source: null,
    digest: null,
    reason: `${runtime === 'podman' ? 'podman' : 'CRI-O'} cannot load the configuration: ${err.upstream ?? err.message}`,
  };
}

/** A NodeRoot over `rootDir`, with `overlay` in place when given. */
export function nodeRootWith(rootDir: string, overlay: FileOverlay | null): NodeRoot {
  return overlay === null ? new NodeRoot(rootDir) : new OverlayNodeRoot(rootDir, overlay);
}

/**
 * Traces `images` one after the other as the node (`root`) would pull them. A configuration that
 * cannot be loaded fails every pull, as it fails every pull of CRI-O: that is an answer, not an error.
 */
export async function traceSide(
  root: NodeRoot,
  images: readonly string[],
  options: SideOptions = {},
): Promise<{ sides: PullSide[]; traces: (TraceResult | null)[] }> {
  const runtime = options.runtime ?? 'crio';
  const failAll = (err: MirrorscopeError) => ({
    sides: images.map(() => unloadable(err, runtime)),
    traces: images.map(() => null),
  });
  let context;
  try {
    context = await loadTraceContext(root, {
      runtime,
      crioVersion: options.crioVersion ?? null,
      ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
      ...(options.authfile !== undefined ? { authfile: options.authfile } : {}),
    });
  } catch (err) {
    if (err instanceof MirrorscopeError && err.code === 'config-invalid') return failAll(err);
    throw err;
  }
  const { loadNodeSignatureEvaluator } = await import('../signatures/evaluator.js');
  let signatures: { evaluator: SignatureEvaluator; close(): void };
  try {
    signatures = await loadNodeSignatureEvaluator(root, runtime, {
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      crioVersion: options.crioVersion ?? null,
      ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
    });
  } catch (err) {
    if (err instanceof MirrorscopeError && err.code === 'config-invalid') return failAll(err);
    throw err;
  }
  const engine = new TraceEngine(context);
  const sides: PullSide[] = [];
  const traces: TraceResult[] = [];
  try {
    for (const image of images) {
      const result = await engine.trace(image, {
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
        ...(options.platform !== undefined ? { platform: options.platform } : {}),
        signatureEvaluator: signatures.evaluator,
      });
      traces.push(result);
      sides.push(pullSideOf(result));
    }
  } finally {
    engine.close();
    signatures.close();
  }
  return { sides, traces };
}
