// The node files a what-if may replace for one trace: exactly those the MCO's registries rendering
// writes. Nothing else (credentials, certs.d, crio.conf) can be overridden through a trace request.
const FIXED = new Set([
  '/etc/containers/registries.conf',
  '/etc/containers/policy.json',
  '/etc/containers/registries.conf.d/01-image-searchRegistries.conf',
  '/etc/containers/registries.d/sigstore-registries.yaml',
]);

/** `/etc/crio/policies/<namespace>.json`, the namespace an RFC 1123 label. */
const NAMESPACED_POLICY = /^\/etc\/crio\/policies\/[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?\.json$/;

export function isOverridablePath(nodePath: string): boolean {
  return FIXED.has(nodePath) || NAMESPACED_POLICY.test(nodePath);
}
