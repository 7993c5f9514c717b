// Signature verifications per second: a real gpg-made simple-signing signature (RSA-2048 and
// Ed25519 keys, compressed like skopeo's), verified (1) alone with an imported keyring and (2) as a
// whole `signedBy` policy evaluation (cached keyring, OpenPGP verify, payload, digest and identity).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as EvaluateModule from '../src/core/policy/evaluate.js';
import type * as ParseModule from '../src/core/policy/parse-policy.js';
import type * as SelectModule from '../src/core/policy/select-scope.js';
import type * as ReferenceModule from '../src/core/reference/reference.js';
import type * as GpgModule from '../src/core/signatures/gpg-verify.js';
import { loadBuilt, say, type BenchLine } from './types.js';

const { evaluatePolicy } = await loadBuilt<typeof EvaluateModule>('core/policy/evaluate.js');
const { parsePolicy } = await loadBuilt<typeof ParseModule>('core/policy/parse-policy.js');
const { requirementsFor } = await loadBuilt<typeof SelectModule>('core/policy/select-scope.js');
const { parseNormalizedNamed } = await loadBuilt<typeof ReferenceModule>('core/reference/reference.js');
const { importKeys, verifyGpgSignature } = await loadBuilt<typeof GpgModule>('core/signatures/gpg-verify.js');

const IMAGE = 'registry.example.com/lab/signed:v1';
const manifest = Buffer.from(
  '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}',
);
const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;

function makeSignature(dir: string, algorithm: string): { publicKey: Uint8Array; signature: Uint8Array } {
  const home = path.join(dir, `gnupg-${algorithm}`);
  execFileSync('mkdir', ['-m', '700', home]);
  const env = { ...process.env, GNUPGHOME: home };
  execFileSync(
    'gpg',
    [
      '--batch',
      '--passphrase',
      '',
      '--quick-gen-key',
      `Bench <bench-${algorithm}@lab.test>`,
      algorithm,
      'sign',
      'never',
    ],
    { env, stdio: 'ignore' },
  );
  const payload = path.join(dir, `payload-${algorithm}.json`);
  writeFileSync(
    payload,
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': IMAGE },
        image: { 'docker-manifest-digest': digest },
        type: 'atomic container signature',
      },
      optional: { creator: 'bench', timestamp: 1 },
    }),
  );
  const out = path.join(dir, `signature-${algorithm}`);
  execFileSync('gpg', ['--batch', '--yes', '--output', out, '--sign', payload], { env, stdio: 'ignore' });
  const publicKey = new Uint8Array(execFileSync('gpg', ['--export', `bench-${algorithm}@lab.test`], { env }));
  execFileSync('gpgconf', ['--homedir', home, '--kill', 'gpg-agent'], { env, stdio: 'ignore' });
  return { publicKey, signature: new Uint8Array(readFileSync(out)) };
}

async function measure(label: string, fn: () => Promise<void>, minMs = 1500): Promise<number> {
  for (let i = 0; i < 20; i++) await fn(); // warm-up (JIT, lazy openpgp import)
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) {
    await fn();
    n++;
  }
  const perSecond = n / ((performance.now() - start) / 1000);
  say(`${label}: ${perSecond.toFixed(0)}/s (${(1000 / perSecond).toFixed(3)} ms each, n=${n})`);
  return perSecond;
}

export async function run(): Promise<BenchLine[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mirrorscope-bench-sig-'));
  const lines: BenchLine[] = [];
  try {
    for (const algorithm of ['rsa2048', 'ed25519']) {
      const { publicKey, signature } = makeSignature(dir, algorithm);
      const keyring = await importKeys([publicKey]);
      const verifyOnly = await measure(`${algorithm} verify (keyring imported once)`, async () => {
        const r = await verifyGpgSignature(signature, keyring);
        if (!r.ok) throw new Error(r.reason);
      });
      const policy = parsePolicy({
        path: '/etc/containers/policy.json',
        text: JSON.stringify({
          default: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: '/etc/pki/bench.gpg' }],
        }),
      });
      const logical = parseNormalizedNamed(IMAGE);
      const requirements = requirementsFor(policy, logical);
      const fullPolicy = await measure(
        `${algorithm} signedBy policy evaluation (keyring cache, verify, payload, digest, identity)`,
        async () => {
          const verdict = await evaluatePolicy({
            logical,
            manifest,
            requirements,
            fetchSignatures: async () => ({ simpleSigning: [signature], sigstore: [] }),
            loadKeys: async () => ({ ok: true, blobs: [publicKey] }),
          });
          if (verdict.outcome !== 'verified') throw new Error(verdict.reason ?? verdict.outcome);
        },
      );
      lines.push(
        { bench: 'signatures', metric: `gpg-verify-per-second-${algorithm}`, value: Math.round(verifyOnly) },
        {
          bench: 'signatures',
          metric: `signedBy-evaluations-per-second-${algorithm}`,
          value: Math.round(fullPolicy),
        },
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}
