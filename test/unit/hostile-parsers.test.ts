// Inputs that crashed the parsers (a RangeError, a spread-argument overflow) or made them quadratic.
// Each must end in a classified error naming its file and line, or in a normal result. Speed is
// measured in the bench (bench/hostile-files.bench.ts), not here; these inputs are big enough that
// the old code failed with an exception, and the quadratic ones are checked for the structure the
// linear code returns.
import { describe, expect, it } from 'vitest';
import { policyKeyPaths, runStaticCheck } from '../../src/core/check/static-check.js';
import { MirrorscopeError } from '../../src/core/errors.js';
import { parseYamlDocuments } from '../../src/core/mco/yaml-tree.js';
import { parsePolicy } from '../../src/core/policy/parse-policy.js';
import { assembleRegistriesConfig } from '../../src/core/registries/assemble.js';
import { parseRegistriesD } from '../../src/core/signatures/registries-d.js';
import { scanTomlPositions } from '../../src/core/toml/positions.js';

const D = '/etc/containers/registries.d';
const POLICY = '/etc/containers/policy.json';

function classified(run: () => unknown): MirrorscopeError {
  try {
    run();
  } catch (err) {
    if (err instanceof MirrorscopeError) return err;
    throw err;
  }
  throw new Error('expected a MirrorscopeError');
}

describe('YAML (registries.d, mirror objects)', () => {
  it('32 KB of `a: b:` lines (thousands of nested maps) is an error with file and line, not a RangeError', () => {
    const text = `docker:\n${'  a: b:\n'.repeat(4000)} c:\n`;
    const err = classified(() => parseRegistriesD([{ path: `${D}/deep.yaml`, text }]));
    expect(err.location?.file).toBe(`${D}/deep.yaml`);
    expect(err.location?.line).toBeGreaterThan(1);
    expect(err.message).toMatch(/nested more than 500 levels deep/);
  });

  it('deep flow collections are refused the same way', () => {
    const text = `docker: ${'['.repeat(100_000)}`;
    const err = classified(() => parseRegistriesD([{ path: `${D}/flow.yaml`, text }]));
    expect(err.message).toMatch(/nested more than 500 levels deep/);
    const objects = classified(() =>
      parseYamlDocuments({ path: 'objects.yaml', text: `a:\n${'  - '.repeat(1)}${'['.repeat(50_000)}` }),
    );
    expect(objects.location?.file).toBe('objects.yaml');
  });

  it('flow brackets nested inside one parser node (after an error) are counted too (found by the fuzzer)', () => {
    const text = ` a: b:\na: b:\n   a: b:\n  a: b:\n  a: b:\n  ${'['.repeat(16_000)}${']'.repeat(16_000)}\n`;
    const err = classified(() => parseRegistriesD([{ path: `${D}/flow.yaml`, text }]));
    expect(err.message).toBe(
      `${D}/flow.yaml:6: nested more than 500 levels deep: mirrorscope stops parsing here (containers/image allows up to 10000 levels)`,
    );
  });

  it('20,000 scopes load (the duplicate-key check is a Set, not every key against every other)', () => {
    const text = `docker:\n${Array.from({ length: 20_000 }, (_, i) => `  reg${i}.example.com:\n    lookaside: https://sigs.example.com/${i}\n`).join('')}`;
    const config = parseRegistriesD([{ path: `${D}/many.yaml`, text }]);
    expect(config.docker.size).toBe(20_000);
    expect(config.docker.get('reg19999.example.com')?.origin.line).toBe(40_000);
  });

  it('duplicate keys are still yaml.v3 errors, where yaml.v3 checks them', () => {
    const dupScope = classified(() =>
      parseRegistriesD([
        { path: `${D}/dup.yaml`, text: 'docker:\n  quay.io: {}\n  x.io: {}\n  quay.io: {}\n' },
      ]),
    );
    expect(dupScope.message).toBe(`${D}/dup.yaml:4: mapping key "quay.io" already defined at line 2`);
    const dupField = classified(() =>
      parseRegistriesD([
        { path: `${D}/dup.yaml`, text: 'docker:\n  quay.io:\n    lookaside: a\n    lookaside: b\n' },
      ]),
    );
    expect(dupField.message).toBe(
      `${D}/dup.yaml:4: field lookaside already set in type docker.registryNamespace`,
    );
    // Unknown struct fields are skipped by yaml.v3, duplicates included.
    expect(() =>
      parseRegistriesD([{ path: `${D}/ok.yaml`, text: 'docker:\n  quay.io:\n    x: 1\n    x: 2\n' }]),
    ).not.toThrow();
  });

  it('aliases of aliases in mirror objects cannot expand exponentially', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    const err = classified(() => parseYamlDocuments({ path: 'bomb.yaml', text: `${lines.join('\n')}\n` }));
    expect(err.message).toMatch(/^bomb\.yaml:\d+: YAML expands to more than 1000000 values/);
  });
});

describe('policy.json', () => {
  it('nested ~3,000 deep: a policy error with file and line, not a RangeError', () => {
    const text = `{"default": ${'['.repeat(3000)}${']'.repeat(3000)}}`;
    const err = classified(() => parsePolicy({ path: POLICY, text }));
    expect(err.message).toBe(
      `${POLICY}:1: json: cannot unmarshal array into Go value of type signature.prCommon`,
    );
  });

  it('deeper than encoding/json allows (10,000): "exceeded max depth", as Go says', () => {
    const err = classified(() => parsePolicy({ path: POLICY, text: `{"default":${'['.repeat(10_001)}` }));
    expect(err.message).toBe(`${POLICY}:1: exceeded max depth`);
    // 10,000 levels still parse (the error is then about the policy, not the JSON).
    const ok = classified(() =>
      parsePolicy({ path: POLICY, text: `{"default":${'['.repeat(9_999)}${']'.repeat(9_999)}}` }),
    );
    expect(ok.message).toMatch(/cannot unmarshal array/);
  });

  it('130,000 scopes: the static check runs (no spread-argument overflow)', () => {
    const docker: Record<string, unknown> = {};
    for (let i = 0; i < 130_000; i++)
      docker[`r${i}.example.com`] = [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: `/keys/${i}.gpg` }];
    const policy = parsePolicy({
      path: POLICY,
      text: JSON.stringify({ default: [{ type: 'reject' }], transports: { docker } }),
    });
    const findings = runStaticCheck({
      registries: { ok: true, value: assembleRegistriesConfig({ main: null, dropIns: [] }) },
      crio: null,
      // A broken registries.d keeps the (slow, linear) signature-storage checks out of this test.
      registriesD: { ok: false, error: new MirrorscopeError('config-invalid', 'broken') },
      policies: [{ path: POLICY, role: 'main', policy: { ok: true, value: policy } }],
      keyFiles: new Map(policyKeyPaths(policy).map((p) => [p, false])),
    });
    expect(findings.filter((f) => f.id === 'signature-key-missing').length).toBe(130_000);
  });
});

describe('TOML', () => {
  it('a table header with 60,000 dotted parts: positions found, every part resolved once', () => {
    const parts = Array.from({ length: 60_000 }, (_, i) => `p${i}`);
    const text = `[${parts.join('.')}]\nx = 1\n[[${parts.slice(0, 3).join('.')}.arr]]\ny = 2\n`;
    const positions = scanTomlPositions(text);
    expect(positions.lineOf([...parts, 'x'])).toBe(2);
    expect(positions.lineOf([...parts.slice(0, 3), 'arr', 0, 'y'])).toBe(4);
    expect(positions.closestLineOf([...parts, 'nowhere', 'deeper'])).toBe(1);
  });

  it('registries.conf with such a header loads (an unknown key, noted with its line)', () => {
    const parts = Array.from({ length: 20_000 }, (_, i) => `p${i}`);
    const config = assembleRegistriesConfig({
      main: { path: '/etc/containers/registries.conf', text: `[${parts.join('.')}]\nx = 1\n` },
      dropIns: [],
    });
    expect(config.registries).toEqual([]);
  });
});
