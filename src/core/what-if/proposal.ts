// A proposed change to the cluster's mirror objects: the objects in place, the proposed ones added
// or replacing those of the same kind and name, and the deleted ones gone — the set the MCO would
// render once the change is applied.
import { MirrorscopeError } from '../errors.js';
import type { ImagePolicyObject } from '../mco/image-policies.js';
import type { ClusterObjects, MirrorSetObject } from '../mco/types.js';

/** `KIND/NAME` of `--delete`: a kind the MCO renders, and the object's name. */
export interface ObjectKey {
  readonly kind: string;
  /** `namespace/name` for an ImagePolicy. */
  readonly name: string;
}

const KINDS: Readonly<Record<string, string>> = {
  icsp: 'ImageContentSourcePolicy',
  imagecontentsourcepolicy: 'ImageContentSourcePolicy',
  imagecontentsourcepolicies: 'ImageContentSourcePolicy',
  idms: 'ImageDigestMirrorSet',
  imagedigestmirrorset: 'ImageDigestMirrorSet',
  imagedigestmirrorsets: 'ImageDigestMirrorSet',
  itms: 'ImageTagMirrorSet',
  imagetagmirrorset: 'ImageTagMirrorSet',
  imagetagmirrorsets: 'ImageTagMirrorSet',
  image: 'Image',
  images: 'Image',
  clusterimagepolicy: 'ClusterImagePolicy',
  clusterimagepolicies: 'ClusterImagePolicy',
  imagepolicy: 'ImagePolicy',
  imagepolicies: 'ImagePolicy',
};

/** Parses `--delete KIND/NAME` (kinds as oc names them: `idms/x`, `ImageDigestMirrorSet/x`; `imagepolicy/NS/NAME`). */
export function parseObjectKey(text: string): ObjectKey {
  const slash = text.indexOf('/');
  const kind = slash < 0 ? undefined : KINDS[text.slice(0, slash).toLowerCase()];
  const name = slash < 0 ? '' : text.slice(slash + 1);
  const parts = name.split('/');
  const wanted = kind === 'ImagePolicy' ? 2 : 1;
  if (kind === undefined || parts.length !== wanted || parts.some((p) => p === ''))
    throw new MirrorscopeError(
      'usage',
      `--delete needs KIND/NAME with a kind the MCO renders (ImageContentSourcePolicy, ImageDigestMirrorSet, ImageTagMirrorSet, Image, ClusterImagePolicy; ImagePolicy/NAMESPACE/NAME), got "${text}"`,
    );
  return { kind, name };
}

function mirrorSetKey(o: MirrorSetObject): string {
  return `${o.kind}/${o.ref.name}`;
}

function policyKey(o: ImagePolicyObject): string {
  return `${o.kind}/${o.namespace === null ? '' : `${o.namespace}/`}${o.ref.name}`;
}

function keyText(k: ObjectKey): string {
  return `${k.kind}/${k.name}`;
}

/** Later objects replace earlier ones of the same kind and name, keeping the earlier one's place. */
function merged<T>(base: readonly T[], added: readonly T[], key: (o: T) => string): T[] {
  const out = [...base];
  for (const o of added) {
    const i = out.findIndex((x) => key(x) === key(o));
    if (i >= 0) out[i] = o;
    else out.push(o);
  }
  return out;
}

/**
 * `base` with each layer applied in turn, then `deletes` removed. A delete that names no object is an
 * error: a misspelt name would otherwise leave the object in place and the answer look plausible.
 */
export function applyProposal(
  base: ClusterObjects,
  layers: readonly ClusterObjects[],
  deletes: readonly ObjectKey[],
): ClusterObjects {
  let mirrorSets: MirrorSetObject[] = [...base.mirrorSets];
  let image = base.image;
  let releaseImage = base.releaseImage;
  let imagePolicies: ImagePolicyObject[] | undefined = base.imagePolicies && [...base.imagePolicies];
  const notes = [...base.notes];
  for (const layer of layers) {
    mirrorSets = merged(mirrorSets, layer.mirrorSets, mirrorSetKey);
    image = layer.image ?? image;
    releaseImage = layer.releaseImage ?? releaseImage;
    if (layer.imagePolicies !== undefined && (layer.imagePolicies.length > 0 || imagePolicies === undefined))
      imagePolicies = merged(imagePolicies ?? [], layer.imagePolicies, policyKey);
    notes.push(...layer.notes);
  }
  for (const d of deletes) {
    const key = keyText(d);
    const before = mirrorSets.length + (imagePolicies?.length ?? 0) + (image === null ? 0 : 1);
    mirrorSets = mirrorSets.filter((o) => mirrorSetKey(o) !== key);
    imagePolicies = imagePolicies?.filter((o) => policyKey(o) !== key);
    if (image !== null && key === `Image/${image.ref.name}`) image = null;
    const after = mirrorSets.length + (imagePolicies?.length ?? 0) + (image === null ? 0 : 1);
    if (after === before)
      throw new MirrorscopeError('usage', `--delete ${key}: there is no such object to delete`);
  }
  return {
    mirrorSets,
    image,
    releaseImage,
    notes,
    ...(imagePolicies !== undefined ? { imagePolicies } : {}),
  };
}

export const NO_OBJECTS: ClusterObjects = {
  mirrorSets: [],
  image: null,
  releaseImage: null,
  notes: [],
};
