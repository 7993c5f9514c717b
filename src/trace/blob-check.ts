// After the manifest, a pull downloads the config blob and every layer from the SAME source: a blob
// the winning source lacks fails the pull, and containers/image never goes back to the next mirror
// (containers/podman#20374). This checks, with HEAD requests, that the winning source has every blob
// of the image CRI-O would pull (for an index, the instance for the node's platform).
import {
  chooseInstance,
  formatPlatform,
  manifestContent,
  type BlobRef,
  type Platform,
} from '../core/registry-protocol/manifest-blobs.js';
import { ProbeFailure, type ProbeStep, type RegistryClient, type StepLog } from '../probe/registry-client.js';
import type { BlobCheck, MissingBlob } from './types.js';

/** containers/image `maxParallelDownloads`: at most this many blobs of one image in flight. */
const PARALLEL_BLOBS = 6;
/** Blobs checked per image at most: a hostile manifest may list tens of thousands. */
const MAX_BLOBS = 1000;
/** Bounds the answers kept in a long-running agent. */
const MAX_CACHED = 20_000;

interface BlobAnswer {
  /** 'present' | 'missing', or why the registry's answer does not tell. */
  readonly state: 'present' | 'missing' | 'unknown';
  readonly status: number | null;
  readonly detail: string;
}

export interface BlobCheckInput {
  readonly client: RegistryClient;
  readonly repoPath: string;
  readonly bytes: Uint8Array;
  readonly mediaType: string;
  readonly platform: Platform;
  /** How long a blob's answer is reused for other images of the same repository (0: this check only). */
  readonly cacheTtlMs: number;
  readonly log: StepLog;
}

function describeBlob(b: { role: string; layer: number | null; digest: string }): string {
  return b.role === 'layer' ? `layer ${b.layer} ${b.digest}` : `${b.role} ${b.digest}`;
}

/**
 * Blob answers kept for later checks. One checker may serve the engines of successive configurations
 * (the agent's scans): an answer is keyed by the client that asked, and a client stands for everything
 * that decides the answer (host, TLS settings and CAs, credentials: see ClientCache), so a
 * configuration that contacts a host as before reuses its answers, and one that changes the
 * credentials or the CA for it gets a client, and answers, of its own.
 */
export class BlobChecker {
  /**
   * Keyed by client, repository and digest: a registry serves a blob only through the repositories it
   * is linked to, so the same digest can exist in one repository and be missing in another.
   */
  private readonly answers = new Map<string, { at: number; settled: boolean; answer: Promise<BlobAnswer> }>();
  private readonly clientIds = new WeakMap<RegistryClient, number>();
  private nextClientId = 0;

  /** Forgets every answer. */
  clear(): void {
    this.answers.clear();
  }

  private clientId(client: RegistryClient): number {
    let id = this.clientIds.get(client);
    if (id === undefined) this.clientIds.set(client, (id = ++this.nextClientId));
    return id;
  }

  async check(input: BlobCheckInput): Promise<BlobCheck> {
    const content = manifestContent(input.bytes, input.mediaType);
    if (content.kind === 'unreadable') return unknown(null, null, 0, content.reason);
    if (content.kind === 'image') return this.checkBlobs(input, content.blobs, null, null);
    const platform = formatPlatform(input.platform);
    const chosen = chooseInstance(content, input.platform);
    if ('error' in chosen)
      return {
        outcome: 'no-platform',
        platform,
        instance: null,
        checked: 0,
        missing: [],
        reason: `choosing an image from manifest list: ${chosen.error}`,
      };
    const digest = chosen.entry.digest;
    let answer;
    try {
      answer = await input.client.manifest(input.repoPath, digest, 'GET', input.log);
    } catch (err) {
      if (!(err instanceof ProbeFailure)) throw err;
      return unknown(platform, digest, 0, `the ${platform} manifest ${digest}: ${err.classified.reason}`);
    }
    if (answer.status === 404) {
      const missing: MissingBlob = { digest, role: 'manifest', layer: null, status: 404 };
      return {
        outcome: 'missing',
        platform,
        instance: digest,
        checked: 0,
        missing: [missing],
        reason: `the index is there but the ${platform} image manifest ${digest} is not (HTTP 404)`,
      };
    }
    if (answer.classified.outcome !== 'found' || answer.bytes === null)
      return unknown(platform, digest, 0, `the ${platform} manifest ${digest}: ${answer.classified.reason}`);
    if (answer.digest !== digest)
      return unknown(
        platform,
        digest,
        0,
        `the ${platform} manifest's digest is ${answer.digest}, not ${digest}`,
      );
    const inner = manifestContent(answer.bytes, answer.mediaType || chosen.entry.mediaType);
    if (inner.kind !== 'image')
      return unknown(
        platform,
        digest,
        0,
        inner.kind === 'index' ? `the ${platform} entry ${digest} is itself an index` : inner.reason,
      );
    return this.checkBlobs(input, inner.blobs, platform, digest);
  }

  private async checkBlobs(
    input: BlobCheckInput,
    blobs: readonly BlobRef[],
    platform: string | null,
    instance: string | null,
  ): Promise<BlobCheck> {
    const answers = new Array<BlobAnswer | undefined>(blobs.length);
    // The steps of each blob are kept apart and logged in manifest order, whatever answers first.
    const logs = blobs.map(() => [] as ProbeStep[]);
    const limit = Math.min(blobs.length, MAX_BLOBS);
    let next = 0;
    // A registry that stops answering would otherwise cost a timeout per remaining blob.
    let transportFailed = false;
    const worker = async () => {
      while (next < limit && !transportFailed) {
        const i = next++;
        const answer = await this.blobAnswer(input, blobs[i]!.digest, (step) => logs[i]!.push(step));
        answers[i] = answer;
        if (answer.state === 'unknown' && answer.status === null) transportFailed = true;
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_BLOBS, limit) }, worker));
    for (const step of logs.flat()) input.log(step);
    const missing: MissingBlob[] = [];
    const unclear: string[] = [];
    let unasked = 0;
    blobs.forEach((b, i) => {
      const a = answers[i];
      if (a === undefined) unasked++;
      else if (a.state === 'missing')
        missing.push({ digest: b.digest, role: b.role, layer: b.layer, status: a.status });
      else if (a.state === 'unknown') unclear.push(`${describeBlob(b)}: ${a.detail}`);
    });
    if (unasked > 0)
      unclear.push(
        transportFailed
          ? `${unasked} more blob(s) not asked after the registry stopped answering`
          : `${unasked} more blob(s) not asked (at most ${MAX_BLOBS} are checked)`,
      );
    const checked = answers.filter((a) => a !== undefined && a.state !== 'unknown').length;
    const of = platform === null ? '' : ` of the ${platform} image ${instance}`;
    if (missing.length > 0) {
      const first = missing[0]!;
      const more = missing.length > 1 ? ` (and ${missing.length - 1} more blob(s))` : '';
      return {
        outcome: 'missing',
        platform,
        instance,
        checked,
        missing,
        reason: `the manifest is there but ${describeBlob(first)}${of} is not (HTTP ${first.status ?? '?'})${more}`,
      };
    }
    if (unclear.length > 0)
      return unknown(
        platform,
        instance,
        checked,
        `cannot tell whether every blob${of} exists: ${unclear.join('; ')}`,
      );
    return {
      outcome: 'complete',
      platform,
      instance,
      checked,
      missing: [],
      reason: `the config and ${blobs.length - 1} layer(s)${of} are all there`,
    };
  }

  private blobAnswer(input: BlobCheckInput, digest: string, log: StepLog): Promise<BlobAnswer> {
    const key = `${this.clientId(input.client)}|${input.repoPath}|${digest}`;
    const now = Date.now();
    const hit = this.answers.get(key);
    if (hit !== undefined && (!hit.settled || now - hit.at < input.cacheTtlMs)) {
      log({ kind: 'fetch', message: `blob ${digest}: answer reused`, durationMs: 0, status: null });
      return hit.answer;
    }
    const answer = this.ask(input, digest, log);
    const entry = { at: now, settled: false, answer };
    this.answers.set(key, entry);
    void answer.then((a) => {
      entry.settled = true;
      // Only a clear answer is worth keeping for other images (and only this entry: a check that
      // keeps nothing must not drop what a later one stored).
      if ((a.state === 'unknown' || input.cacheTtlMs <= 0) && this.answers.get(key) === entry)
        this.answers.delete(key);
    });
    if (this.answers.size > MAX_CACHED) this.sweep(now, input.cacheTtlMs);
    return answer;
  }

  private sweep(now: number, ttlMs: number): void {
    for (const [k, e] of this.answers) if (e.settled && now - e.at >= ttlMs) this.answers.delete(k);
    // Still too many (a long TTL): drop the oldest half.
    let drop = this.answers.size - MAX_CACHED / 2;
    if (this.answers.size <= MAX_CACHED) return;
    for (const k of this.answers.keys()) {
      if (drop-- <= 0) break;
      this.answers.delete(k);
    }
  }

  private async ask(input: BlobCheckInput, digest: string, log: StepLog): Promise<BlobAnswer> {
    let answer;
    try {
      answer = await input.client.blobHead(input.repoPath, digest, log);
    } catch (err) {
      if (!(err instanceof ProbeFailure)) throw err;
      return { state: 'unknown', status: null, detail: err.classified.reason };
    }
    const { status, via } = answer;
    const redirected =
      via !== input.client.config.host ? ` (from ${via}, where the registry redirected)` : '';
    if (status >= 200 && status < 300) return { state: 'present', status, detail: '' };
    if (status === 404) return { state: 'missing', status, detail: `HTTP 404${redirected}` };
    return { state: 'unknown', status, detail: `HTTP ${status}${redirected}` };
  }
}

function unknown(
  platform: string | null,
  instance: string | null,
  checked: number,
  reason: string,
): BlobCheck {
  return { outcome: 'unknown', platform, instance, checked, missing: [], reason };
}
