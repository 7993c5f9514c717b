// Loads dist/cli/trace.cjs, the one-file CommonJS bundle of `mirrorscope trace` (./trace-entry.ts),
// with its compiled code kept between runs: a V8 code cache per Node version, flags and bundle, in a
// private directory under the temp dir, checked against the bundle's content before use (much as
// Node ≥ 22's module.enableCompileCache does for modules; Node 20 has none). A cache that cannot be
// read, written or trusted only costs speed: the bundle then compiles from source.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { EXIT_USAGE, type CommandIo } from './command.js';

export interface TraceBundle {
  runTrace(rest: readonly string[], io: CommandIo): Promise<number>;
  /**
   * Writes the code cache if this run had none. Called after the command, so that the cache holds the
   * code that ran: not after a usage or configuration error (exit 2), which ran little of a trace.
   */
  saveCache(exitCode: number): void;
}

type BundleExports = Pick<TraceBundle, 'runTrace'>;

const BUNDLE = fileURLToPath(new URL('./trace.cjs', import.meta.url));
/** The sha256 of the bundle's source, in front of V8's data: a rebuilt bundle never meets a stale cache. */
const HEADER_BYTES = 32;

/**
 * null when there is no bundle (a build without it, or the tests running src/), or when this Node
 * cannot `require` an ES module (see bundleRequire): dist/cli.js then runs ./main.js.
 */
export function loadTraceBundle(): TraceBundle | null {
  if (!(process.features as { require_module?: boolean }).require_module || !existsSync(BUNDLE)) return null;
  const source = readFileSync(BUNDLE, 'utf8');
  const digest = createHash('sha256').update(source).digest();
  const cacheFile = cacheFileFor(BUNDLE);
  let cachedData: Buffer | undefined;
  if (cacheFile !== null) {
    try {
      const data = readFileSync(cacheFile);
      if (data.length > HEADER_BYTES && data.subarray(0, HEADER_BYTES).equals(digest))
        cachedData = data.subarray(HEADER_BYTES);
    } catch {
      // not cached yet
    }
  }
  // The function Node wraps every CommonJS file in, opened on the first line so line numbers match.
  // The bundle has no `import()` (esbuild turns the lazy ones into `require`): a vm.Script would need
  // a loader callback for it, which Node 20 does not keep across a code cache.
  const script = new vm.Script(
    `(function (exports, require, module, __filename, __dirname) { ${source}\n});`,
    {
      filename: BUNDLE,
      ...(cachedData !== undefined ? { cachedData } : {}),
    },
  );
  const module = { exports: {} as BundleExports };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(module.exports, module.exports, bundleRequire, module, BUNDLE, path.dirname(BUNDLE));
  return {
    runTrace: module.exports.runTrace,
    saveCache(exitCode) {
      if (cacheFile === null || exitCode === EXIT_USAGE) return;
      if (cachedData !== undefined && !script.cachedDataRejected) return;
      try {
        const partial = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(partial, Buffer.concat([digest, script.createCachedData()]), { mode: 0o600 });
        renameSync(partial, cacheFile);
      } catch {
        // A cache that cannot be written only costs the next run a few milliseconds.
      }
    },
  };
}

const nodeRequire = createRequire(BUNDLE);

/**
 * The bundle's `require`. A package loads from the file an `import` of it would (the unbundled
 * modules import every package): openpgp's CommonJS build is a different, minified file whose error
 * texts differ from its ES module's, and those texts end up in the trace's output.
 */
function bundleRequire(id: string): unknown {
  if (isBuiltin(id)) return nodeRequire(id);
  return nodeRequire(fileURLToPath(import.meta.resolve(id)));
}

/**
 * `$TMPDIR/mirrorscope-compile-cache-UID/trace-KEY.bin`, or null: caching turned off (Node's own
 * NODE_DISABLE_COMPILE_CACHE), no uid (Windows), or a directory that is not this user's alone. A
 * cache is code that gets run, so a directory anyone else could write to is never used.
 */
function cacheFileFor(bundle: string): string | null {
  const uid = process.getuid?.();
  if (process.env.NODE_DISABLE_COMPILE_CACHE || uid === undefined) return null;
  const dir = path.join(tmpdir(), `mirrorscope-compile-cache-${uid}`);
  let st;
  try {
    st = lstatSync(dir);
  } catch {
    try {
      mkdirSync(dir, { mode: 0o700 });
      st = lstatSync(dir);
    } catch {
      return null;
    }
  }
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) return null;
  const key = createHash('sha256')
    .update([process.version, process.arch, process.execArgv.join(' '), bundle].join('\0'))
    .digest('hex')
    .slice(0, 16);
  return path.join(dir, `trace-${key}.bin`);
}
