import { fileURLToPath } from 'node:url';

/** The example OpenShift worker root shipped in the package (`examples/node-root`). */
export const EXAMPLE_ROOT = fileURLToPath(new URL('../../examples/node-root', import.meta.url));
export const EXAMPLE_IMAGES = fileURLToPath(new URL('../../examples/images.txt', import.meta.url));
