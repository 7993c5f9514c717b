// What a one-file bundle (dist/agent.mjs, dist/collector.mjs) may still load from node_modules:
// bufferutil, ws's native frame masking, whose .node binary cannot be bundled (and node-gyp-build,
// which finds that binary).
const NATIVE_EXTERNAL = /\/node_modules\/(bufferutil|node-gyp-build)\//;

/** The files a bundled process loaded besides `allowedDist` (a pattern of dist/ paths) and bufferutil. */
export function loadsBesidesBundle(loads: readonly string[], allowedDist: RegExp): string[] {
  return loads.filter(
    (l) =>
      (l.includes('/dist/') && !allowedDist.test(l)) ||
      (l.includes('/node_modules/') && !NATIVE_EXTERNAL.test(l)),
  );
}
