// One trace with a node root's configuration, on a fresh engine that is closed afterwards.
import { loadTraceContext } from '../../src/trace/context.js';
import { TraceEngine } from '../../src/trace/engine.js';
import type { TraceOptions, TraceResult } from '../../src/trace/types.js';

export async function traceOnce(
  root: string,
  image: string,
  options: TraceOptions = {},
): Promise<TraceResult> {
  const engine = new TraceEngine(await loadTraceContext(root));
  try {
    return await engine.trace(image, { timeoutMs: 5000, ...options });
  } finally {
    engine.close();
  }
}
