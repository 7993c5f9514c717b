// A finding as the agent sends and serves it.
import type { KeyedFinding } from '../core/diagnose/types.js';
import { findingJson } from '../core/findings/types.js';
import type { WireFinding } from '../protocol/messages.js';

/** The catalogue fields (findingJson) plus what makes the finding unique on its node. */
export function wireFinding(f: KeyedFinding): WireFinding {
  return {
    key: f.key,
    ...findingJson(f),
    image: f.image,
    host: f.host,
    ...(f.stale === undefined ? {} : { stale: f.stale }),
  };
}
