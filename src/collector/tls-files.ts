// The collector's serving certificate (on OpenShift, the service CA's `serving-cert` Secret). The
// files are re-read periodically and a changed pair is swapped in without a restart, because the
// service CA rotates the certificate in place.
import { readFileSync } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import { MirrorscopeError } from '../core/errors.js';

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface TlsPair {
  readonly cert: string;
  readonly key: string;
}

export function readTlsPair(files: TlsFiles): TlsPair {
  try {
    return { cert: readFileSync(files.certFile, 'utf8'), key: readFileSync(files.keyFile, 'utf8') };
  } catch (err) {
    throw new MirrorscopeError('usage', `cannot read the serving certificate: ${(err as Error).message}`);
  }
}

const RELOAD_INTERVAL_MS = 60_000;

/** Watches the pair and updates every server's secure context when it changes; returns a stop function. */
export function reloadTlsPeriodically(
  files: TlsFiles,
  initial: TlsPair,
  servers: readonly HttpsServer[],
  onError: (message: string) => void,
): () => void {
  let current = initial;
  const timer = setInterval(() => {
    let next: TlsPair;
    try {
      next = readTlsPair(files);
    } catch (err) {
      onError((err as Error).message);
      return;
    }
    if (next.cert === current.cert && next.key === current.key) return;
    try {
      for (const server of servers) server.setSecureContext(next);
      current = next;
    } catch (err) {
      onError(`the new serving certificate is not usable: ${(err as Error).message}`);
    }
  }, RELOAD_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
