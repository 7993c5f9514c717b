// Compares mirrorscope's answer with what skopeo/podman (containers/image 5.23) actually did.
// Every function returns the list of differences, empty when the answers agree.
import type { ResolveError, ResolveResult, SourceResolution } from '../../src/core/resolve/types.js';
import type { Attempt, PodmanRun, SkopeoRun } from './oracle.js';
import { skopeoCause } from './oracle.js';

/** The engine's answer for one input: a result, or the configuration error every result carries. */
export type EngineAnswer = { readonly result: ResolveResult } | { readonly configError: ResolveError };

/**
 * Reduces an error text to what containers/image itself says, without the callers' wrappers:
 * skopeo's `invalid reference format: ` in front of the lowercase error (ParseNormalizedNamed) and
 * containers/common's `cannot parse input: "X": ` (shortnames) wrap the same reference error.
 */
export function referenceErrorCore(text: string): string {
  return text.replace(/^cannot parse input: ".*?": /, '').replace(/^invalid reference format: (?=.)/, '');
}

/**
 * Config errors whose text comes from a different implementation (the TOML decoder) or a different
 * c/image version: only the wrapper naming the file is compared. containers-image.md §1.1, §11.
 */
function comparableConfigError(text: string): string {
  const toml = /^(.*?registries configuration ".*?": )toml: /.exec(text);
  if (toml !== null) return `${toml[1]}toml: …`;
  return text;
}

function describeSources(sources: readonly SourceResolution[]): string[] {
  return sources.map(
    (s) =>
      `${s.reference}${s.blocked ? ` [blocked by ${s.blockedBy?.prefix}]` : ''}${s.insecure ? ' [insecure]' : ''}`,
  );
}

function describeAttempts(attempts: readonly Attempt[]): string[] {
  return attempts.map(
    (a) =>
      `${a.reference}${a.blockedBy !== null ? ` [blocked by ${a.blockedBy}]` : ''}${a.insecure === true ? ' [insecure]' : ''}`,
  );
}

/** Same sources in the same order, same blocked decisions (and blocking prefix), same insecure flags. */
export function compareSources(ours: readonly SourceResolution[], theirs: readonly Attempt[]): string[] {
  const problems: string[] = [];
  const a = describeSources(ours);
  const b = describeAttempts(theirs);
  if (ours.length !== theirs.length || ours.some((s, i) => s.reference !== theirs[i]!.reference)) {
    problems.push(
      `source order differs:\n    ours:   ${JSON.stringify(a)}\n    theirs: ${JSON.stringify(b)}`,
    );
    return problems;
  }
  ours.forEach((s, i) => {
    const t = theirs[i]!;
    const theirBlock = t.blockedBy;
    if (s.blocked !== (theirBlock !== null) || (s.blocked && s.blockedBy?.prefix !== theirBlock)) {
      problems.push(
        `source ${i} ${s.reference}: blocked ours=${s.blockedBy?.prefix ?? false} theirs=${theirBlock ?? false}`,
      );
    }
    if (t.insecure !== null && s.insecure !== t.insecure) {
      problems.push(`source ${i} ${s.reference}: insecure ours=${s.insecure} theirs=${t.insecure}`);
    }
  });
  return problems;
}

/** A fully qualified reference against `skopeo inspect docker://REF`. */
export function compareWithSkopeo(answer: EngineAnswer, run: SkopeoRun): string[] {
  const cause = skopeoCause(run);
  if ('configError' in answer) {
    const expected = `loading registries configuration: ${answer.configError.upstream ?? answer.configError.message}`;
    if (run.attempts.length > 0)
      return [`we reject the configuration, skopeo tried ${JSON.stringify(describeAttempts(run.attempts))}`];
    if (cause === null || comparableConfigError(cause) !== comparableConfigError(expected)) {
      return [`configuration error differs:\n    ours:   ${expected}\n    theirs: ${cause}`];
    }
    return [];
  }
  const { result } = answer;
  if (result.error !== null && result.candidates.length === 0) {
    // Rejected before any candidate: an invalid reference.
    const ours = referenceErrorCore(result.error.upstream ?? result.error.message);
    const theirs = cause === null ? null : referenceErrorCore(cause);
    if (run.attempts.length > 0 || ours !== theirs) {
      return [
        `reference error differs:\n    ours:   ${ours}\n    theirs: ${theirs} (attempts ${JSON.stringify(describeAttempts(run.attempts))})`,
      ];
    }
    return [];
  }
  if (result.candidates.length !== 1)
    return [`a fully qualified reference gave ${result.candidates.length} candidates`];
  const candidate = result.candidates[0]!;
  if (candidate.error !== null) {
    const ours = candidate.error.upstream ?? candidate.error.message;
    if (run.attempts.length > 0 || cause !== ours) {
      return [
        `pull error differs:\n    ours:   ${ours}\n    theirs: ${cause} (attempts ${JSON.stringify(describeAttempts(run.attempts))})`,
      ];
    }
    return [];
  }
  if (run.attempts.length === 0)
    return [
      `we would try ${JSON.stringify(describeSources(candidate.sources))}, skopeo failed first: ${cause}`,
    ];
  return compareSources(candidate.sources, run.attempts);
}

/**
 * podman (libimage) drops the tag of a name that has a tag and a digest *before* short-name
 * resolution; CRI-O, which the engine follows, resolves the full name and drops the tag per candidate.
 * Only the name quoted in short-name errors shows it.
 */
function podmanTagDropped(text: string): string {
  return text.replace(/(short-name "[^"@]*?):[\w][\w.-]{0,127}(@[^"]+")/, '$1$2');
}

/** A name (short or not) against `podman pull NAME`. */
export function compareWithPodman(answer: EngineAnswer, run: PodmanRun): string[] {
  if ('configError' in answer) {
    const expected = answer.configError.upstream ?? answer.configError.message;
    if (run.candidates.length > 0)
      return [
        `we reject the configuration, podman tried ${JSON.stringify(run.candidates.map((c) => c.image))}`,
      ];
    if (run.error === null || comparableConfigError(run.error) !== comparableConfigError(expected)) {
      return [`configuration error differs:\n    ours:   ${expected}\n    theirs: ${run.error}`];
    }
    return [];
  }
  const { result } = answer;
  if (result.candidates.length === 0) {
    const ours = podmanTagDropped(
      referenceErrorCore(result.error?.upstream ?? result.error?.message ?? '(no error)'),
    );
    const theirs = run.error === null ? null : referenceErrorCore(run.error);
    if (run.candidates.length > 0 || ours !== theirs) {
      return [
        `rejection differs:\n    ours:   ${ours}\n    theirs: ${theirs} (candidates ${JSON.stringify(run.candidates.map((c) => c.image))})`,
      ];
    }
    return [];
  }
  const problems: string[] = [];
  const ourImages = result.candidates.map((c) => c.image);
  const theirImages = run.candidates.map((c) => c.image);
  if (JSON.stringify(ourImages) !== JSON.stringify(theirImages)) {
    return [
      `candidates differ:\n    ours:   ${JSON.stringify(ourImages)}\n    theirs: ${JSON.stringify(theirImages)}\n    podman error: ${run.error}`,
    ];
  }
  const ourDescription = result.shortName?.description ?? null;
  if (ourDescription !== null && (run.description === null || ourDescription !== run.description)) {
    problems.push(`description differs:\n    ours:   ${ourDescription}\n    theirs: ${run.description}`);
  }
  if (ourDescription === null && run.description !== null)
    problems.push(`podman described "${run.description}", we did not`);
  result.candidates.forEach((c, i) => {
    const theirs = run.candidates[i]!;
    if (c.error !== null) {
      const expected = c.error.upstream ?? c.error.message;
      if (theirs.attempts.length > 0 || theirs.error === null || !theirs.error.endsWith(expected)) {
        problems.push(
          `candidate ${c.image}: pull error differs:\n    ours:   ${expected}\n    theirs: ${theirs.error}`,
        );
      }
      return;
    }
    problems.push(...compareSources(c.sources, theirs.attempts).map((p) => `candidate ${c.image}: ${p}`));
  });
  return problems;
}
