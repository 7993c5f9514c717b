// "Did you mean" for unknown keys in every file mirrorscope reads, and the registry-level key that
// TOML gives to the [[registry.mirror]] table above it (containers/podman#14306).
import { describe, expect, it } from 'vitest';
import { assembleRegistriesConfig } from '../../src/core/registries/assemble.js';
import { parseRegistriesD } from '../../src/core/signatures/registries-d.js';
import { didYouMean } from '../../src/core/suggest.js';

const MAIN = '/etc/containers/registries.conf';

function notes(text: string) {
  return assembleRegistriesConfig({ main: { path: MAIN, text }, dropIns: [] }).notes.map((n) => [
    n.code,
    n.origin.line,
    n.message,
  ]);
}

describe('didYouMean', () => {
  it('names the closest known name, and nothing when none is close', () => {
    const keys = ['location', 'insecure', 'blocked', 'mirror-by-digest-only', 'mirror', 'prefix'];
    expect(didYouMean('mirror-by-digest-onyl', keys)).toBe('mirror-by-digest-only');
    expect(didYouMean('mirrors', keys)).toBe('mirror');
    expect(didYouMean('insecrue', keys)).toBe('insecure');
    expect(didYouMean('timeout', keys)).toBe(null);
    expect(didYouMean('imageDigestMirror', ['imageDigestMirrors'])).toBe('imageDigestMirrors');
  });
});

describe('registries.conf', () => {
  it('an unknown key says which setting it probably is; [[registry.mirrors]] → [[registry.mirror]]', () => {
    const text = [
      '[[registry]]',
      'location = "quay.io/acme"',
      'insecrue = true',
      '[[registry.mirrors]]',
      'location = "mirror.corp.example:5000/acme"',
      '',
    ].join('\n');
    expect(notes(text)).toEqual([
      [
        'unknown-key',
        3,
        'unknown key "registry[0].insecrue" is ignored by containers/image; did you mean "insecure"?',
      ],
      [
        'unknown-key',
        4,
        'unknown key "registry[0].mirrors" is ignored by containers/image; did you mean [[registry.mirror]]?',
      ],
    ]);
  });

  it('a registry-level key after the [[registry.mirror]] table is flagged with both lines', () => {
    const text = [
      '[[registry]]',
      'location = "quay.io/acme"',
      '',
      '[[registry.mirror]]',
      'location = "mirror.corp.example:5000/acme"',
      'mirror-by-digest-only = true',
      'blocked = true',
      '',
    ].join('\n');
    const [digestOnly, blocked] = notes(text);
    expect(digestOnly).toEqual([
      'key-in-mirror-table',
      6,
      '"mirror-by-digest-only" at line 6 comes after the [[registry.mirror]] table at line 4, so TOML puts it in that mirror, where containers/image ignores it; the [[registry]] at line 1 keeps its default (containers/podman#14306). Move "mirror-by-digest-only" above line 4',
    ]);
    expect(blocked![0]).toBe('key-in-mirror-table');
    expect(blocked![2]).toContain('"blocked" at line 7 comes after the [[registry.mirror]] table at line 4');
  });
});

describe('registries.d', () => {
  it('keys yaml.v3 ignores are kept as notes with their likely meaning', () => {
    const config = parseRegistriesD([
      {
        path: '/etc/containers/registries.d/acme.yaml',
        text: 'docker:\n  quay.io/acme:\n    lookasid: https://sigs.example/acme\ndefault_docker:\n  lookaside: https://x\n',
      },
    ]);
    expect(config.notes!.map((n) => [n.origin.line, n.message])).toEqual([
      [
        3,
        'unknown key "lookasid" in the "quay.io/acme" section is ignored by containers/image; did you mean "lookaside"?',
      ],
      [
        4,
        'unknown key "default_docker" in the file is ignored by containers/image; did you mean "default-docker"?',
      ],
    ]);
  });
});
