// Differential proof for fully qualified references: for generated configurations and references,
// mirrorscope's pull sources (order, rewritten references, blocked and insecure decisions) and its
// rejections (invalid configurations, references and rewrites) must be the ones skopeo 1.9.3
// (containers/image 5.23) actually produces, run for real in a network-less namespace.
//
// Replay a failure with DIFF_SEED=<seed> (valid cases) or DIFF_INVALID_SEED=<seed> (invalid ones).
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEFECT_KINDS,
  DEFECT_SIGNATURES,
  generateCase,
  generateInvalidCase,
  type GeneratedCase,
} from '../support/config-generator.js';
import { oracleUnavailableReason, skopeoInspect, type SkopeoRun } from '../support/oracle.js';
import { compareWithSkopeo } from '../support/differential-compare.js';
import {
  CRIO_1_26,
  mismatchReport,
  PODMAN,
  pool,
  runOracleCase,
  seedsFrom,
  type OracleOutcome,
} from '../support/differential-harness.js';

const unavailable = oracleUnavailableReason();

type Outcome = OracleOutcome<SkopeoRun>;

// Each case answered as podman/skopeo and as CRI-O 1.26 (containers/image 5.23–5.24): fully qualified
// references do not depend on the runtime, and skopeo parses the reference before the configuration,
// as CRI-O does.
const runCase = (c: GeneratedCase): Promise<Outcome> =>
  runOracleCase(c, c.refs, skopeoInspect, compareWithSkopeo, [PODMAN, CRIO_1_26]);

describe.skipIf(unavailable !== null)(
  'resolution equals skopeo 1.9.3 (containers/image 5.23), also with --crio-version 1.26',
  () => {
    let valid: Outcome[] = [];
    let invalid: Outcome[] = [];

    beforeAll(async () => {
      const started = Date.now();
      const validCases = seedsFrom('DIFF_SEED', 20_000, 60).map((seed) => generateCase(seed));
      const invalidSeeds = process.env.DIFF_INVALID_SEED
        ? seedsFrom('DIFF_INVALID_SEED', 0, 0).map((seed) => generateInvalidCase(seed))
        : DEFECT_KINDS.flatMap((kind, k) =>
            [0, 1].map((n) => generateInvalidCase(30_000 + k * 10 + n, kind)),
          );
      [valid, invalid] = [await pool(validCases, 2, runCase), await pool(invalidSeeds, 2, runCase)];
      const pairs = [...valid, ...invalid].reduce((n, o) => n + o.runs.length, 0);
      process.stderr.write(
        `skopeo differential: ${valid.length + invalid.length} config trees, ${pairs} references, ${Date.now() - started} ms\n`,
      );
    }, 300_000);

    it('gives the same sources, blocked and insecure decisions and rejections for generated valid configurations', () => {
      const { text } = mismatchReport(valid, 'DIFF_SEED');
      expect(text, text).toBe('');
    });

    it('rejects each generated invalid configuration with the error containers/image gives', () => {
      const { text } = mismatchReport(invalid, 'DIFF_INVALID_SEED');
      expect(text, text).toBe('');
      for (const kind of DEFECT_KINDS) {
        const cases = invalid.filter((o) => o.c.defect === kind);
        if (process.env.DIFF_INVALID_SEED) continue;
        expect(cases.length, kind).toBeGreaterThan(0);
        // The defect really is one: both sides reject the configuration.
        for (const o of cases) {
          expect(o.configRejected, `${kind} seed ${o.c.seed}: we accepted it`).toBe(true);
          expect(o.runs[0]!.fatal ?? '', `${kind} seed ${o.c.seed}`).toContain(
            'loading registries configuration',
          );
          expect(o.runs[0]!.fatal ?? '', `${kind} seed ${o.c.seed}`).toContain(DEFECT_SIGNATURES[kind]);
        }
      }
    });

    it('exercised the interesting paths (so agreement is not vacuous)', () => {
      if (process.env.DIFF_SEED) return;
      const runs = valid.flatMap((o) => o.runs);
      const attempts = runs.flatMap((r) => r.attempts);
      const count = (p: (r: SkopeoRun) => boolean): number => runs.filter(p).length;
      const figures = {
        pairs: runs.length,
        withMirrors: count((r) => r.attempts.length > 1),
        rewritten: count((r) => r.attempts.some((a) => !a.reference.startsWith(r.input.split(/[:@]/)[0]!))),
        blockedAttempts: attempts.filter((a) => a.blockedBy !== null).length,
        insecureAttempts: attempts.filter((a) => a.insecure === true).length,
        rewriteErrors: count((r) => r.failure === 'rewrite'),
        invalidReferences: count((r) => r.failure === 'reference'),
        blockedPrimaries: count((r) => r.failure === 'blocked'),
        dropInsLoaded: count((r) => r.loaded.some((f) => f.includes('registries.conf.d'))),
      };
      process.stderr.write(`skopeo differential coverage: ${JSON.stringify(figures)}\n`);
      expect(figures.pairs).toBeGreaterThanOrEqual(300);
      for (const [name, n] of Object.entries(figures)) expect(n, name).toBeGreaterThan(0);
    });
  },
);
