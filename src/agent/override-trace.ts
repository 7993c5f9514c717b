// What-if traces on the agent: one image traced with the collector's proposed files in place of the
// node's, in memory (an overlay over the node root), for that trace only. One at a time: a second
// request while one runs is refused, not queued, so a burst cannot pile up work on the node.
import type { ErrorBody } from '../core/errors.js';
import { OverlayNodeRoot } from '../host/overlay-root.js';
import type { ConfigOverride } from '../protocol/messages.js';
import { traceSide } from '../trace/what-if.js';
import type { HostConfig } from './host-config.js';

export interface OverrideAnswer {
  readonly trace: unknown;
  readonly error: ErrorBody | null;
}

export class OverrideTracer {
  private running = false;

  async answer(
    config: HostConfig | null,
    image: string,
    override: ConfigOverride,
    options: { readonly timeoutMs: number; readonly namespace?: string },
  ): Promise<OverrideAnswer> {
    if (config === null)
      return { trace: null, error: { code: 'not-ready', message: 'the configuration is not loaded yet' } };
    if (this.running)
      return {
        trace: null,
        error: {
          code: 'busy',
          message: 'a what-if trace is already running on this node; one runs at a time',
        },
      };
    this.running = true;
    try {
      const files = new Map(Object.entries(override.files));
      const root = new OverlayNodeRoot(config.root.root, files);
      const { sides, traces } = await traceSide(root, [image], {
        crioVersion: config.crioVersion,
        timeoutMs: options.timeoutMs,
        ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
      });
      const configOverride = [...files.keys()].sort();
      const trace = traces[0] ?? {
        image,
        steps: [],
        sources: [],
        result: { ...sides[0]!, signature: null },
        error: null,
      };
      return { trace: { ...trace, configOverride }, error: null };
    } finally {
      this.running = false;
    }
  }
}
