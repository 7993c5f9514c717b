// Properties of the resolver over generated configurations (the differential tests' generator).
import { describe, expect, it } from 'vitest';
import { MirrorscopeError } from '../../src/core/errors.js';
import { nameOf, parseCanonicalNamed, stringOf } from '../../src/core/reference/reference.js';
import { assembleRegistriesConfig } from '../../src/core/registries/assemble.js';
import { pullSourcesFromReference, RewriteError } from '../../src/core/registries/pull-sources.js';
import { RegistryIndex } from '../../src/core/registries/registry-index.js';
import type { RegistriesConfig, Registry } from '../../src/core/registries/types.js';
import { Resolver } from '../../src/core/resolve/resolver.js';
import type { CandidateResolution } from '../../src/core/resolve/types.js';
import { generateCase, Rng } from '../support/config-generator.js';
import { scanFindRegistry } from '../support/scan-find.js';

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

/** Every reference and short name of 300 generated configurations that load, with their resolver. */
function* generatedInputs(): Generator<{
  config: RegistriesConfig;
  resolver: Resolver;
  input: string;
  context: string;
}> {
  for (let seed = 1; seed <= 300; seed++) {
    const generated = generateCase(seed);
    const config = configOf(generated.files);
    if (config === null) continue;
    const resolver = new Resolver(config);
    for (const input of [...generated.refs, ...generated.names])
      yield { config, resolver, input, context: `seed ${seed}, ${input}` };
  }
}

describe('the plan handed to the trace', () => {
  it('agrees with the resolution: same sources, skipped mirrors in place, references parsed once', () => {
    let checked = 0;
    for (const { resolver: r, input, context } of generatedInputs()) {
      const plan = r.plan(input);
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
    expect(checked).toBeGreaterThan(1000);
  });
});

/** What the straightforward scan decides for a candidate: the entry, the sources and the skipped mirrors. */
function scanDecision(registries: readonly Registry[], image: string) {
  const ref = parseCanonicalNamed(image);
  const registry = scanFindRegistry(registries, nameOf(ref));
  if (registry === undefined)
    return { prefix: null, error: null, skipped: [], sources: [`${image} blocked=false insecure=false`] };
  let plan;
  try {
    plan = pullSourcesFromReference(registry, ref);
  } catch (err) {
    if (!(err instanceof RewriteError)) throw err;
    return { prefix: registry.prefix, error: 'rewrite-invalid', skipped: [], sources: [] };
  }
  return {
    prefix: registry.prefix,
    error: null,
    skipped: plan.skipped.map((s) => `${s.endpoint.location} ${s.reason}`),
    sources: plan.sources.map((s) => {
      const blocked = scanFindRegistry(registries, nameOf(s.reference))?.blocked === true;
      return `${stringOf(s.reference)} blocked=${blocked} insecure=${s.endpoint.insecure}`;
    }),
  };
}

function resolvedDecision(c: CandidateResolution) {
  return {
    prefix: c.registry?.prefix ?? null,
    error: c.error?.code ?? null,
    skipped: c.skippedMirrors.map((s) => `${s.location} ${s.reason}`),
    sources: c.sources.map((s) => `${s.reference} blocked=${s.blocked} insecure=${s.insecure}`),
  };
}

describe('the indexed lookup and the templated sources', () => {
  it('decide what the straightforward scan of every entry decides', () => {
    let candidates = 0;
    for (const { config, resolver, input, context } of generatedInputs()) {
      for (const c of resolver.resolve(input).candidates) {
        expect(resolvedDecision(c), context).toEqual(scanDecision(config.registries, c.image));
        candidates++;
      }
    }
    expect(candidates).toBeGreaterThan(1000);
  });

  it('find the same entry as the scan among thousands of prefixes that share hosts and paths', () => {
    const rng = new Rng(18);
    const hosts = ['quay.io', 'a.example.com', 'example.com', 'example.com:5000', 'b.a.example.com', 'x.io'];
    const wildcards = ['*.example.com', '*.a.example.com', '*.io'];
    const segment = () =>
      rng.pick(['ns', 'app', 'team', 'v1', 'x']) + (rng.chance(0.5) ? String(rng.int(40)) : '');
    const pathOf = (depth: number) => Array.from({ length: depth }, segment).join('/');
    const prefixes = new Set<string>(wildcards);
    while (prefixes.size < 3000) {
      const depth = rng.int(4);
      prefixes.add(depth === 0 ? rng.pick(hosts) : `${rng.pick(hosts)}/${pathOf(depth)}`);
    }
    const registries = [...prefixes].map((prefix) => ({ prefix }));
    const index = new RegistryIndex(registries);
    for (let i = 0; i < 3000; i++) {
      const name = `${rng.pick(hosts)}/${pathOf(1 + rng.int(5))}`;
      expect(index.find(name)?.prefix, name).toBe(scanFindRegistry(registries, name)?.prefix);
    }
  });
});

describe('the packed templates of a large file', () => {
  it('describe every source as the general path does, at every position among thousands of entries', () => {
    const rng = new Rng(1818);
    const hosts = ['quay.io', 'a.example.com', 'example.com:5000', 'b.a.example.com', 'docker.io'];
    const segment = () => rng.pick(['ns', 'app', 'team', 'v1']) + String(rng.int(30));
    const pathOf = (depth: number) => Array.from({ length: depth }, segment).join('/');
    const prefixes = new Set<string>(['*.example.com', '*.a.example.com']);
    while (prefixes.size < 2500) prefixes.add(`${rng.pick(hosts)}/${pathOf(1 + rng.int(3))}`);
    const lines: string[] = [];
    const locationFlags = new Map<string, [boolean, boolean]>();
    for (const prefix of prefixes) {
      // Some locations are not canonical (docker.io, upper case) or sit below another prefix: no templates.
      const location = rng.chance(0.1)
        ? `docker.io/${pathOf(1)}`
        : rng.chance(0.05)
          ? `source.example.net/Upper/${pathOf(1)}`
          : rng.chance(0.1)
            ? [...prefixes][rng.int(prefixes.size)]!.replace('*.', 'x.')
            : `source${rng.int(50)}.example.net/${pathOf(1 + rng.int(2))}`;
      lines.push('[[registry]]', `prefix = "${prefix}"`, `location = "${location}"`);
      // Entries sharing a location must agree on `blocked` and `insecure`.
      const flags = locationFlags.get(location) ?? [rng.chance(0.1), rng.chance(0.1)];
      locationFlags.set(location, flags);
      if (flags[0]) lines.push('blocked = true');
      if (flags[1]) lines.push('insecure = true');
      // containers/image refuses mirror-by-digest-only beside a mirror's pull-from-mirror.
      const byDigestOnly = rng.chance(0.1);
      if (byDigestOnly) lines.push('mirror-by-digest-only = true');
      for (let m = rng.int(5); m > 0; m--) {
        lines.push('[[registry.mirror]]', `location = "mirror${rng.int(9)}.example.net:5000/${pathOf(1)}"`);
        if (rng.chance(0.2)) lines.push('insecure = true');
        if (!byDigestOnly && rng.chance(0.3))
          lines.push(`pull-from-mirror = "${rng.pick(['all', 'digest-only', 'tag-only'])}"`);
      }
    }
    const config = assembleRegistriesConfig({
      main: { path: MAIN, text: `${lines.join('\n')}\n` },
      dropIns: [],
    });
    const resolver = new Resolver(config);
    const digest = `sha256:${'d'.repeat(64)}`;
    let matched = 0;
    for (let i = 0; i < 4000; i++) {
      const prefix = rng.pick([...prefixes]).replace('*.', `w${rng.int(3)}.`);
      const name = `${prefix}/${pathOf(1 + rng.int(2))}`;
      const input = rng.chance(0.5) ? `${name}:v${rng.int(9)}` : `${name}@${digest}`;
      const resolved = resolver.resolve(input);
      // `plan` never takes the templates: it parses every physical reference.
      expect(resolved, input).toEqual(resolver.plan(input).resolution);
      for (const c of resolved.candidates)
        expect(resolvedDecision(c), input).toEqual(scanDecision(config.registries, c.image));
      if (resolved.candidates[0]?.registry !== null) matched++;
    }
    expect(matched).toBeGreaterThan(3000);
  });
});
