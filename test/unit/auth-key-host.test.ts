// auth-key-host-mismatch from the files alone: keys match exactly or by repository-path prefix,
// ports included; only a key naming the same machine is reported.
import { describe, expect, it } from 'vitest';
import { runStaticCheck } from '../../src/core/check/static-check.js';
import { unmatchedAuthKeys } from '../../src/core/diagnose/auth-key-mismatch.js';
import { assembleRegistriesConfig } from '../../src/core/registries/assemble.js';
import type { StaticCheckInput } from '../../src/core/check/static-check.js';

const at = { file: '/etc/containers/registries.conf', line: 4 };
const mirror = (location: string) => ({ location, origin: at });

describe('unmatchedAuthKeys', () => {
  it('a key without the port never matches a mirror with one', () => {
    expect(unmatchedAuthKeys([mirror('nexus.corp.example:8443/acme')], ['nexus.corp.example'])).toEqual([
      { location: 'nexus.corp.example:8443/acme', key: 'nexus.corp.example', origin: at },
    ]);
  });

  it('exact keys, parent paths and keys for a sub-repository match; other machines are not reported', () => {
    for (const key of [
      'nexus.corp.example:8443',
      'https://nexus.corp.example:8443/',
      'nexus.corp.example:8443/acme',
      'nexus.corp.example:8443/acme/app',
    ])
      expect(unmatchedAuthKeys([mirror('nexus.corp.example:8443/acme')], [key]), key).toEqual([]);
    expect(unmatchedAuthKeys([mirror('nexus.corp.example:8443/acme')], ['quay.io', 'other.example'])).toEqual(
      [],
    );
  });

  it('a key for a sibling path on the same host does not serve the mirror', () => {
    expect(
      unmatchedAuthKeys([mirror('nexus.corp.example:8443/team-b')], ['nexus.corp.example:8443/team-a']),
    ).toHaveLength(1);
  });
});

describe('the static check', () => {
  it('reports it at the mirror table, with the exact key to add', () => {
    const text = [
      '[[registry]]',
      'location = "quay.io/acme"',
      '',
      '[[registry.mirror]]',
      'location = "nexus.corp.example:8443/acme"',
      '',
    ].join('\n');
    const input: StaticCheckInput = {
      registries: {
        ok: true,
        value: assembleRegistriesConfig({ main: { path: at.file, text }, dropIns: [] }),
      },
      crio: null,
      registriesD: { ok: true, value: { defaultDocker: null, docker: new Map(), files: [] } },
      policies: [],
      keyFiles: new Map(),
      auth: { file: '/var/lib/kubelet/config.json', keys: ['nexus.corp.example', 'quay.io'] },
    };
    const found = runStaticCheck(input).filter((f) => f.id === 'auth-key-host-mismatch');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      file: at.file,
      line: 4,
      scope: 'nexus.corp.example:8443',
      severity: 'warning',
    });
    expect(found[0]!.fix).toContain('"nexus.corp.example:8443"');
  });
});
