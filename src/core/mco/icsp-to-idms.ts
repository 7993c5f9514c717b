// The ImageDigestMirrorSet equivalent of an ImageContentSourcePolicy (what `oc adm migrate icsp`
// produces): same name, same entries, no mirrorSourcePolicy — which is exactly how the MCO already
// treats the ICSP, so applying it (and deleting the ICSP) leaves registries.conf unchanged.
import { stringify } from 'yaml';
import type { MirrorSetObject } from './types.js';

export function idmsYamlFor(icsp: MirrorSetObject): string {
  if (icsp.kind !== 'ImageContentSourcePolicy')
    throw new Error(`idmsYamlFor: ${icsp.kind} is not an ImageContentSourcePolicy`);
  const imageDigestMirrors = icsp.entries.map((e) =>
    e.mirrors.length === 0 ? { source: e.source } : { source: e.source, mirrors: [...e.mirrors] },
  );
  return stringify({
    apiVersion: 'config.openshift.io/v1',
    kind: 'ImageDigestMirrorSet',
    metadata: { name: icsp.ref.name },
    spec: { imageDigestMirrors },
  });
}
