// Differential proof for short names: for generated configurations (aliases in several files, the
// machine alias file, unqualified-search registries, short-name-mode), mirrorscope's candidates,
// its short-name description, and each candidate's pull sources must be what podman 4.3.1
// (containers/image 5.23, containers/common) actually tries, run for real without a terminal and
// without a network, so each candidate fails fast and podman moves on to the next.
//
// Replay a failure with DIFF_PODMAN_SEED=<seed> (valid cases) or DIFF_PODMAN_INVALID_SEED=<seed>.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEFECT_KINDS,
  DEFECT_SIGNATURES,
  generateCase,
  generateInvalidCase,
  type GeneratedCase,
} from '../support/config-generator.js';
import { oracleUnavailableReason, podmanPull, type PodmanRun } from '../support/oracle.js';
import { compareWithPodman } from '../support/differential-compare.js';
import type { EngineAnswer } from '../support/differential-compare.js';
import {
  CRIO_1_26,
  mismatchReport,
  PODMAN,
  pool,
  runOracleCase,
  seedsFrom,
  type Engine,
  type OracleOutcome,
} from '../support/differential-harness.js';

const unavailable = oracleUnavailableReason();

type Outcome = OracleOutcome<PodmanRun>;

/** Where CRI-O 1.26 and podman (same containers/image and containers/common) differ by design. */
const expectedDifferences = { forcedDisabled: 0, nameBeforeConfig: 0 };

/**
 * As podman, and as CRI-O 1.26, which runs the same shortnames.Resolve with the mode forced to disabled
 * (cri-o v1.26.x internal/storage/image.go): it agrees with podman except where podman's enforcing mode
 * refuses an ambiguous name (CRI-O tries every candidate instead), and where the image name is invalid
 * and the configuration broken (CRI-O parses the name first, podman loads the configuration first).
 */
function compareAs(answer: EngineAnswer, run: PodmanRun, engine: Engine): string[] {
  if (engine.runtime === 'crio' && 'result' in answer) {
    const { result } = answer;
    if (result.candidates.length > 1 && run.error?.includes('short-name resolution enforced') === true) {
      expectedDifferences.forcedDisabled++;
      return [];
    }
    if (result.error?.code === 'invalid-reference' && run.candidates.length === 0 && run.error !== null) {
      if (!run.error.includes('registries')) return compareWithPodman(answer, run);
      expectedDifferences.nameBeforeConfig++;
      return [];
    }
  }
  return compareWithPodman(answer, run);
}

const runCase = (c: GeneratedCase): Promise<Outcome> =>
  runOracleCase(c, c.names, podmanPull, compareAs, [PODMAN, CRIO_1_26]);

describe.skipIf(unavailable !== null)(
  'short-name resolution equals podman 4.3.1 (containers/image 5.23), and CRI-O 1.26 where their modes agree',
  () => {
    let valid: Outcome[] = [];
    let invalid: Outcome[] = [];

    beforeAll(async () => {
      const started = Date.now();
      const validCases = seedsFrom('DIFF_PODMAN_SEED', 40_000, 45).map((seed) => generateCase(seed));
      const invalidCases = process.env.DIFF_PODMAN_INVALID_SEED
        ? seedsFrom('DIFF_PODMAN_INVALID_SEED', 0, 0).map((seed) => generateInvalidCase(seed))
        : DEFECT_KINDS.map((kind, k) => generateInvalidCase(50_000 + k, kind));
      valid = await pool(validCases, 2, runCase);
      invalid = await pool(invalidCases, 2, runCase);
      const names = [...valid, ...invalid].reduce((n, o) => n + o.runs.length, 0);
      process.stderr.write(
        `podman differential: ${valid.length + invalid.length} config trees, ${names} names, ${Date.now() - started} ms\n`,
      );
    }, 300_000);

    it('gives the same candidates, description and per-candidate sources for generated configurations', () => {
      const { count, text } = mismatchReport(valid, 'DIFF_PODMAN_SEED');
      expect(count, text).toBe(0);
    });

    it('rejects each generated invalid configuration as podman does', () => {
      const { count, text } = mismatchReport(invalid, 'DIFF_PODMAN_INVALID_SEED');
      expect(count, text).toBe(0);
      if (process.env.DIFF_PODMAN_INVALID_SEED) return;
      for (const o of invalid) {
        const kind = o.c.defect!;
        expect(o.configRejected, `${kind} seed ${o.c.seed}: we accepted it`).toBe(true);
        expect(o.runs[0]!.error ?? '', `${kind} seed ${o.c.seed}`).toContain(DEFECT_SIGNATURES[kind]);
      }
    });

    it('exercised aliases, search registries, several candidates and short-name errors', () => {
      if (process.env.DIFF_PODMAN_SEED) return;
      const runs = valid.flatMap((o) => o.runs);
      const figures = {
        names: runs.length,
        aliases: runs.filter((r) => r.description?.includes('as an alias') === true).length,
        machineAliases: valid.filter(
          (o) => o.c.files['var/cache/containers/short-name-aliases.conf'] !== undefined,
        ).length,
        searched: runs.filter((r) => r.description?.includes('unqualified-search') === true).length,
        severalCandidates: runs.filter((r) => r.candidates.length > 1).length,
        mirroredCandidates: runs.filter((r) => r.candidates.some((c) => c.attempts.length > 1)).length,
        rejected: runs.filter((r) => r.candidates.length === 0 && r.error !== null).length,
      };
      process.stderr.write(
        `podman differential coverage: ${JSON.stringify({ ...figures, crio126: expectedDifferences })}\n`,
      );
      // CRI-O's forced mode was really exercised against podman's enforcing refusals.
      expect(expectedDifferences.forcedDisabled).toBeGreaterThan(0);
      expect(figures.names).toBeGreaterThanOrEqual(150);
      for (const [name, n] of Object.entries(figures)) expect(n, name).toBeGreaterThan(0);
    });
  },
);
