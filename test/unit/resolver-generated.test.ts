// Properties of the resolver over generated configurations (the differential tests' generator).
import { describe, expect, it } from 'vitest';
import { MirrorscopeError } from '../../src/core/errors.js';
import { nameOf, parseCanonicalNamed, stringOf } from '../../src/core/reference/reference.js';
import { assembleRegistriesConfig } from '../../src/core/registries/assemble.js';
import type { RegistriesConfig } from '../../src/core/registries/types.js';
import { Resolver } from '../../src/core/resolve/resolver.js';
import { generateCase } from '../support/config-generator.js';

const MAIN = '/etc/containers/registries.conf';

/** A generated node root's registries.conf and drop-ins, or null when they do not load. */
function configOf(files: Readonly<Record<string, string>>): RegistriesConfig | null {
  const dropIns = Object.keys(files)
    .filter((p) => /^etc\/containers\/registries\.conf\.d\/[^/]+\.conf$/.test(p))
    .sort()
    .map((p) => ({ path: `/${p}`, text: files[p]! }));
  const main = files['etc/containers/registries.conf'];
  try {
    return assembleRegistriesConfig({
      main: main === undefined ? null : { path: MAIN, text: main },
      dropIns,
    });
  } catch (err) {
    if (err instanceof MirrorscopeError) return null;
    throw err;
  }
}

describe('the plan handed to the trace', () => {
  it('agrees with the resolution: same sources, skipped mirrors in place, references parsed once', () => {
    let checked = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const generated = generateCase(seed);
      const config = configOf(generated.files);
      if (config === null) continue;
      const r = new Resolver(config);
      for (const input of [...generated.refs, ...generated.names]) {
        const plan = r.plan(input);
        const context = `seed ${seed}, ${input}`;
        expect(plan.resolution, context).toEqual(r.resolve(input));
        expect(plan.candidates.length, context).toBe(plan.resolution.candidates.length);
        plan.candidates.forEach((candidate, i) => {
          const resolved = plan.resolution.candidates[i]!;
          expect(candidate.resolution, context).toBe(resolved);
          expect(stringOf(candidate.logical), context).toBe(resolved.image);
          const tried = candidate.sources.filter((s) => s.kind === 'try');
          const skipped = candidate.sources.filter((s) => s.kind === 'skip');
          expect(
            tried.map((s) => s.resolution),
            context,
          ).toEqual(resolved.sources);
          expect(
            skipped.map((s) => s.resolution),
            context,
          ).toEqual(resolved.skippedMirrors);
          for (const s of tried) {
            expect(s.physical, context).toEqual(parseCanonicalNamed(s.resolution.reference));
            expect(s.credentialsKey, context).toBe(nameOf(s.physical));
          }
          if (candidate.registry !== null && resolved.error === null) {
            const order = [...candidate.registry.mirrors, candidate.registry];
            expect(
              candidate.sources.map((s) => s.entry),
              context,
            ).toEqual(order);
          }
          checked += candidate.sources.length;
        });
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });
});
