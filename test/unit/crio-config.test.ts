import { describe, expect, it } from 'vitest';
import { readCrioImageConfig } from '../../src/core/crio/crio-config.js';

const file = (path: string, text: string) => ({ path, text });

describe('crio.conf [crio.image] settings', () => {
  it('defaults to enforcing with no auth file, like CRI-O', () => {
    const config = readCrioImageConfig([]);
    expect(config.shortNameMode).toEqual({ value: 'enforcing', origin: null });
    expect(config.globalAuthFile.value).toBe('');
    expect(config.signaturePolicyDir.value).toBe('/etc/crio/policies');
  });

  it('lets later drop-ins override only the keys they set, with file and line', () => {
    const config = readCrioImageConfig([
      file(
        '/etc/crio/crio.conf',
        '[crio.image]\nglobal_auth_file = "/var/lib/kubelet/config.json"\nshort_name_mode = "disabled"\n',
      ),
      file(
        '/etc/crio/crio.conf.d/10-mine',
        '[crio.runtime]\nlog_level = "debug"\n\n[crio.image]\nshort_name_mode = "enforcing"\n',
      ),
    ]);
    expect(config.globalAuthFile).toEqual({
      value: '/var/lib/kubelet/config.json',
      origin: { file: '/etc/crio/crio.conf', line: 2 },
    });
    expect(config.shortNameMode).toEqual({
      value: 'enforcing',
      origin: { file: '/etc/crio/crio.conf.d/10-mine', line: 5 },
    });
  });

  it('treats an empty short_name_mode as enforcing', () => {
    expect(
      readCrioImageConfig([file('/etc/crio/crio.conf', '[crio.image]\nshort_name_mode = ""\n')]).shortNameMode
        .value,
    ).toBe('enforcing');
  });

  it('rejects invalid values and broken TOML naming file and line', () => {
    expect(() =>
      readCrioImageConfig([file('/etc/crio/crio.conf', '[crio.image]\nshort_name_mode = "permissive"\n')]),
    ).toThrow('/etc/crio/crio.conf:2: short_name_mode must be "enforcing" or "disabled", got "permissive"');
    expect(() => readCrioImageConfig([file('/etc/crio/crio.conf', '[crio.image\n')])).toThrow(
      /^\/etc\/crio\/crio.conf:1: invalid TOML/,
    );
  });
});
