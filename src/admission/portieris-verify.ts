// Portieris' `VerifyByPolicy` (pkg/verifier/simple/imagePolicy.go) against the real registry and
// signature store: it reads the manifest from the registry NAMED in the pod spec (Portieris runs
// containers/image with no registries.conf, so no mirrors and no insecure registries), asks
// `IsRunningImageAllowed` of the top-level manifest (a manifest list is verified as the list), and
// reads simple signatures from the registry's signature API or the policy's lookaside store. Portieris
// is built with containers_image_openpgp (its Makefile), so refusal texts are the openpgp mechanism's.
import type { CertFile } from '../host/certs-d.js';
import { Credentials } from '../core/credentials/secret.js';
import {
  evaluatePolicy,
  SignatureFetchError,
  type KeyLoad,
  type SignatureSet,
} from '../core/policy/evaluate.js';
import type { KeySource } from '../core/policy/types.js';
import { nameOf, stringOf } from '../core/reference/reference.js';
import { lookasideBase, LookasideUrlError, redactUrl } from '../core/signatures/registries-d-lookup.js';
import { sha256Digest } from '../core/signatures/payload.js';
import type {
  PortierisSignatureOutcome,
  PortierisSignaturePlan,
} from '../core/admission/portieris-decision.js';
import { goQuote } from '../core/mco/go-format.js';
import { NodeRoot } from '../host/node-root.js';
import { ProbeFailure, RegistryClient } from '../probe/registry-client.js';
import { createSignatureHttp } from '../signatures/http-get.js';
import { readLookaside } from '../signatures/lookaside-reader.js';
import { accessFromRegistryClient } from '../signatures/probe-access.js';
import { readExtensionSignatures } from '../signatures/registry-signatures.js';

export interface PortierisVerifyOptions {
  readonly timeoutMs: number;
  /** CAs Portieris' container trusts besides the public roots (a private registry's CA). */
  readonly cas: readonly CertFile[];
}

const noLog = (): void => {};

function storeTopLevel(store: NonNullable<PortierisSignaturePlan['store']>): string {
  if (store.username === '') return store.url;
  const scheme = store.url.startsWith('https://') ? 'https://' : 'http://';
  const rest = store.url.slice(scheme.length);
  return `${scheme}${encodeURIComponent(store.username)}:${encodeURIComponent(store.password)}@${rest}`;
}

const keyDataOnly = async (source: KeySource): Promise<KeyLoad> =>
  source.kind === 'keyData'
    ? { ok: true, blobs: [source.data] }
    : { ok: false, error: 'Portieris passes keys as data', missingPath: null };

export async function verifyPortierisSignature(
  plan: PortierisSignaturePlan,
  options: PortierisVerifyOptions,
): Promise<PortierisSignatureOutcome> {
  const ref = plan.reference;
  const image = stringOf(ref);
  const host = ref.domain === 'docker.io' ? 'registry-1.docker.io' : ref.domain;
  const noSecret = `Deny ${goQuote(image)}, no valid ImagePullSecret, 0 tried`;
  const client = new RegistryClient({
    host,
    insecure: false,
    tls: { dir: null, system: null, cas: options.cas, clientCert: null, clientKey: null },
    credentials: Credentials.anonymous,
    credentialsFound: false,
    timeoutMs: options.timeoutMs,
    userAgent: 'mirrorscope (as portieris)',
  });
  // Portieris passes the store credentials inside the lookaside URL; Go's client (and Node's, for a
  // URL with user info) sends them as Basic auth to it, and to a relative redirect (the resolved URL
  // keeps the user info), never to another host.
  const http = createSignatureHttp({
    timeoutMs: options.timeoutMs,
    ca: options.cas.map((c) => c.pem.toString('utf8')),
  });
  try {
    let manifest;
    try {
      manifest = await client.manifest(ref.path, ref.digest ?? ref.tag ?? 'latest', 'GET', noLog);
    } catch (err) {
      if (!(err instanceof ProbeFailure)) throw err;
      return {
        kind: 'unknown',
        detail: `Portieris reads ${image} from ${host} itself (no mirrors); from here: ${err.message}. If Portieris cannot reach it either, anonymous access fails and, with no imagePullSecret that works, it denies: simple: ${noSecret}`,
      };
    }
    if (manifest.status !== 200 || manifest.bytes === null) {
      return {
        kind: 'unknown',
        detail: `${host} answers ${manifest.classified.reason} to an anonymous manifest request for ${image}; Portieris then tries the pod's imagePullSecrets for ${host}, and with none that works it denies: simple: ${noSecret}`,
      };
    }
    const bytes = new Uint8Array(manifest.bytes);
    const digest = sha256Digest(bytes);
    const access = accessFromRegistryClient(client);
    const where: string[] = [];
    const fetchSignatures = async (): Promise<SignatureSet> => {
      if (await access.supportsSignatureExtension()) {
        where.push(`${host}'s signature API (X-Registry-Supports-Signatures)`);
        return { simpleSigning: await readExtensionSignatures(access, ref.path, digest), sigstore: [] };
      }
      if (plan.store === null) {
        where.push('nowhere: no storeURL, and the registry has no signature API');
        return { simpleSigning: [], sigstore: [] };
      }
      let base;
      try {
        base = lookasideBase(storeTopLevel(plan.store), ref);
      } catch (err) {
        if (err instanceof LookasideUrlError) {
          // The URL carries the store password (raw and encoded): never let it into a message.
          const { password } = plan.store;
          const shown =
            password === ''
              ? err.message
              : err.message.replaceAll(encodeURIComponent(password), 'xxxxx').replaceAll(password, 'xxxxx');
          throw new SignatureFetchError(shown, redactUrl(plan.store.url));
        }
        throw err;
      }
      where.push(`the lookaside ${plan.store.url}/${ref.path}@${digest.replace(':', '=')}/`);
      // Only http(s) URLs reach here, so the root is never read.
      const read = await readLookaside(base, digest, new NodeRoot('/nonexistent-portieris-root'), http);
      return { simpleSigning: read.blobs, sigstore: [] };
    };
    const verdict = await evaluatePolicy({
      logical: ref,
      manifest: bytes,
      requirements: plan.requirements,
      fetchSignatures,
      loadKeys: keyDataOnly,
    });
    const from = where.length > 0 ? `; signatures read from ${where.join(', ')}` : '';
    if (verdict.allowed)
      return {
        kind: 'verified',
        digest,
        detail: `${nameOf(ref)} manifest ${digest}${verdict.verifiedBy === null ? '' : ` signed by ${verdict.verifiedBy}`}${from}`,
      };
    const reason = verdict.reason ?? 'refused';
    if (verdict.outcome === 'store-unreachable') {
      const unreachable = /connect|timeout|ENOTFOUND|EAI_AGAIN|socket/i.test(reason);
      return unreachable
        ? { kind: 'unknown', detail: `the signature store cannot be read from here: ${reason}` }
        : { kind: 'error', error: reason, detail: `reading signatures fails: ${reason}` };
    }
    return {
      kind: 'denied',
      reason,
      detail: `${image} (manifest ${digest}): ${reason}${verdict.signatureCount === null ? '' : ` (${verdict.signatureCount} signature${verdict.signatureCount === 1 ? '' : 's'})`}${from}`,
    };
  } finally {
    client.close();
    http.close();
  }
}
