// Which template registries.conf a what-if renders over, when none is named: the node's own file
// when it is still the pool's template (the MCO left it in place: it has no [[registry]] table,
// which every render that changes registries.conf writes), else the MCO's built-in template.
import { MirrorscopeError } from '../errors.js';
import { decodeTemplate } from '../mco/template.js';
import type { ConfigFile } from '../registries/types.js';

export type TemplateChoice =
  | { readonly kind: 'node'; readonly file: ConfigFile; readonly note: string }
  | { readonly kind: 'mco-default'; readonly note: string };

/** `nodeFile`: the node's registries.conf, null when it has none, an error when it cannot be read. */
export function chooseTemplate(nodeFile: ConfigFile | MirrorscopeError | null): TemplateChoice {
  const fallback = (why: string): TemplateChoice => ({
    kind: 'mco-default',
    note: `rendered over the MCO's built-in template registries.conf (${why}; --template FILE names the pool's own)`,
  });
  if (nodeFile === null) return fallback('the node has no registries.conf');
  if (nodeFile instanceof MirrorscopeError)
    return fallback(`the node's registries.conf cannot be read: ${nodeFile.message}`);
  try {
    const decoded = decodeTemplate(nodeFile);
    if ((decoded.value.registries?.length ?? 0) > 0)
      return fallback(
        `the node's ${nodeFile.path} holds [[registry]] tables, so it is a rendered file, not the template`,
      );
  } catch (err) {
    if (!(err instanceof MirrorscopeError)) throw err;
    return fallback(`the node's ${nodeFile.path} cannot be decoded as a template`);
  }
  return {
    kind: 'node',
    file: nodeFile,
    note: `rendered over the node's ${nodeFile.path}: it has no [[registry]] table, so it is the pool's template as the MCO left it`,
  };
}
