// Golden tests of the MCO rendering: our own cases, expected outputs written by hand from the
// documented runtime-utils / MCO behaviour (test/fixtures/mco/*.conf, *.policy.json).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MirrorscopeError } from '../../src/core/errors.js';
import { idmsYamlFor } from '../../src/core/mco/icsp-to-idms.js';
import { parseClusterObjects } from '../../src/core/mco/parse-objects.js';
import { renderRegistries, type RenderOptions } from '../../src/core/mco/render.js';
import { mcoProfile } from '../../src/core/mco/versions.js';

const FIXTURES = new URL('../fixtures/mco/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8');

function render(yaml: string, options: RenderOptions = {}, path = 'objects.yaml') {
  return renderRegistries(parseClusterObjects([{ path, text: yaml }]), options);
}

function renderFixture(name: string, options: RenderOptions = {}) {
  return render(fixture(`${name}.yaml`), options, `${name}.yaml`);
}

const LEGACY = { profile: mcoProfile('4.12') };
const HEADER =
  'unqualified-search-registries = ["registry.access.redhat.com", "docker.io"]\nshort-name-mode = ""\nadditional-layer-store-auth-helper = ""\n';

function idms(name: string, entries: string): string {
  return `apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: ${name}}\nspec:\n  imageDigestMirrors:\n${entries}---\n`;
}

function itms(name: string, entries: string): string {
  return `apiVersion: config.openshift.io/v1\nkind: ImageTagMirrorSet\nmetadata: {name: ${name}}\nspec:\n  imageTagMirrors:\n${entries}---\n`;
}

function icsp(name: string, entries: string): string {
  return `apiVersion: operator.openshift.io/v1alpha1\nkind: ImageContentSourcePolicy\nmetadata: {name: ${name}}\nspec:\n  repositoryDigestMirrors:\n${entries}---\n`;
}

function image(registrySources: string): string {
  return `apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n${registrySources}---\n`;
}

function rejection(yaml: string, options: RenderOptions = {}): string {
  const result = render(yaml, options);
  expect(result.registriesConf).toBeNull();
  expect(result.errors).toHaveLength(1);
  return result.errors[0]!.message;
}

describe('merge order', () => {
  it('merges lists topologically, interleaves unrelated lists byte-wise, breaks cycles byte-wise, keeps a source listed inside a list', () => {
    const result = renderFixture('merge-order');
    expect(result.errors).toEqual([]);
    expect(result.registriesConf).toBe(fixture('merge-order.conf'));
  });

  it('orders by byte value, not by locale: upper case sorts before lower case', () => {
    const yaml =
      idms('one', '  - source: src.example/a\n    mirrors: [b.example/a]\n') +
      idms('two', '  - source: src.example/a\n    mirrors: [B.example/a]\n');
    const mirrors = render(yaml).mirrorOrigins['src.example/a']!.map((m) => m.mirror);
    expect(mirrors).toEqual(['B.example/a', 'b.example/a']);
  });

  it('records, for every mirror, the objects that listed it', () => {
    const origins = renderFixture('merge-order').mirrorOrigins;
    const named = (scope: string) =>
      Object.fromEntries(
        origins[scope]!.map((m) => [m.mirror, m.objects.map((o) => `${o.kind}/${o.name}@${o.line}`)]),
      );
    expect(named('registry.vendor.example/app')).toEqual({
      'mirror-a.example/app': ['ImageDigestMirrorSet/admin@20'],
      'mirror-b.example/app': ['ImageDigestMirrorSet/vendor@3', 'ImageDigestMirrorSet/admin@20'],
      'mirror-c.example/app': ['ImageDigestMirrorSet/vendor@3'],
    });
    expect(origins['ignored.example/app']).toBeUndefined();
  });
});

describe('nested scopes, insecure and blocked propagation', () => {
  it('copies mirrors into blocked/insecure sub-scopes with the sub-path appended, and marks mirrors under insecure scopes', () => {
    const result = renderFixture('nested-scopes');
    expect(result.registriesConf).toBe(fixture('nested-scopes.conf'));
    expect(result.policyJsonText! + '\n').toBe(fixture('nested-scopes.policy.json'));
    const secret = result.mirrorOrigins['quay.example/team/secret']![0]!;
    expect(secret).toMatchObject({
      mirror: 'mirror.example/team/secret',
      inheritedFrom: 'quay.example/team',
    });
    expect(secret.objects.map((o) => o.name)).toEqual(['team']);
  });

  it('handles wildcard insecure/blocked scopes and wildcard mirror sources', () => {
    const result = renderFixture('wildcard-scopes');
    expect(result.registriesConf).toBe(fixture('wildcard-scopes.conf'));
    expect(result.policyJson!.transports['docker']).toEqual({
      '*.blocked.lab.example': [{ type: 'reject' }],
      'registry.lab.example/private': [{ type: 'reject' }],
    });
  });

  it('does not mark a copied mirror insecure when only its copy falls under an insecure scope (flags are propagated before copying)', () => {
    const yaml =
      idms('a', '  - source: src.example/ns\n    mirrors: [m.example/ns]\n') +
      image('    insecureRegistries: [m.example/ns/sub]\n    blockedRegistries: [src.example/ns/sub]\n');
    const conf = render(yaml).registriesConf!;
    expect(conf).toContain(
      '  location = "src.example/ns/sub"\n  blocked = true\n\n  [[registry.mirror]]\n    location = "m.example/ns/sub"\n    pull-from-mirror = "digest-only"\n',
    );
  });

  it('gives a nested entry the mirrors of the first (byte-order) mirrored scope that contains it', () => {
    const yaml =
      idms(
        'a',
        '  - source: reg.example\n    mirrors: [top.example]\n  - source: reg.example/team\n    mirrors: [team.example/team]\n',
      ) + image('    blockedRegistries: [reg.example/team/x]\n');
    const origins = render(yaml).mirrorOrigins['reg.example/team/x']!;
    expect(origins.map((m) => [m.mirror, m.inheritedFrom])).toEqual([['top.example/team/x', 'reg.example']]);
  });

  it('rejects a mirrored wildcard source with an un-mirrored entry inside it', () => {
    const yaml =
      idms('w', '  - source: "*.corp.example"\n    mirrors: [mirror.example/corp]\n') +
      image('    insecureRegistries: [build.corp.example]\n');
    const result = render(yaml);
    expect(result.errors[0]!.message).toBe(
      'internal error: mirrorsAdjustedForNestedScope for a wildcard scope "*.corp.example"',
    );
    expect(result.errors[0]!.mcoLog).toBe(
      'Error syncing image config openshift-config: could not Create/Update MachineConfig: could not update registries config with new changes: internal error: mirrorsAdjustedForNestedScope for a wildcard scope "*.corp.example"',
    );
  });
});

describe('mirror source policies and validation errors', () => {
  const src = '  - source: registry.example/app\n';

  it('blocks the source for NeverContactSource (IDMS and ITMS), tag mirrors after digest mirrors, ICSP and IDMS merged', () => {
    const result = renderFixture('digest-and-tag');
    expect(result.registriesConf).toBe(fixture('digest-and-tag.conf'));
    const busybox = Object.fromEntries(
      result.mirrorOrigins['docker.io/library/busybox']!.map((m) => [m.mirror, m.objects.map((o) => o.kind)]),
    );
    expect(busybox['shared.corp.example/busybox']).toEqual([
      'ImageDigestMirrorSet',
      'ImageContentSourcePolicy',
    ]);
    expect(busybox['mirror.corp.example/busybox']).toEqual(['ImageContentSourcePolicy']);
    expect(busybox['tags.corp.example/busybox']).toEqual(['ImageTagMirrorSet']);
  });

  it('rejects an ICSP (always AllowContactingSource) and an IDMS NeverContactSource for the same source', () => {
    const yaml =
      icsp('old', `${src}    mirrors: [m1.example/app]\n`) +
      idms('new', `${src}    mirrors: [m2.example/app]\n    mirrorSourcePolicy: NeverContactSource\n`);
    expect(rejection(yaml)).toBe(
      'conflicting mirrorSourcePolicy is set for the same source "registry.example/app" in imagedigestmirrorsets, imagetagmirrorsets, or imagecontentsourcepolicies',
    );
  });

  it('rejects IDMS NeverContactSource with an ITMS that leaves the policy unset', () => {
    const yaml =
      idms('d', `${src}    mirrors: [m.example/app]\n    mirrorSourcePolicy: NeverContactSource\n`) +
      itms('t', `${src}    mirrors: [t.example/app]\n`);
    expect(rejection(yaml)).toContain(
      'conflicting mirrorSourcePolicy is set for the same source "registry.example/app"',
    );
  });

  it('accepts an explicit AllowContactingSource next to an unset policy', () => {
    const yaml =
      idms('d', `${src}    mirrors: [m.example/app]\n    mirrorSourcePolicy: AllowContactingSource\n`) +
      icsp('i', `${src}    mirrors: [n.example/app]\n`);
    expect(render(yaml).errors).toEqual([]);
  });

  it('ignores the policy of an entry without a real mirror, but still validates it', () => {
    const yaml = idms('d', `${src}    mirrorSourcePolicy: NeverContactSource\n`);
    const result = render(yaml);
    expect(result.errors).toEqual([]);
    expect(result.registriesConf).toBe(HEADER);
    const conflict =
      idms('d', `${src}    mirrorSourcePolicy: NeverContactSource\n`) +
      icsp('i', `${src}    mirrors: [n.example/app]\n`);
    expect(rejection(conflict)).toContain('conflicting mirrorSourcePolicy');
  });

  it('rejects NeverContactSource when the source is one of its mirrors', () => {
    const yaml = idms(
      'd',
      `${src}    mirrors: [m.example/app, registry.example/app]\n    mirrorSourcePolicy: NeverContactSource\n`,
    );
    expect(rejection(yaml)).toBe(
      'cannot set mirrorSourcePolicy: NeverContactSource if the source "registry.example/app" is one of the mirrors',
    );
  });

  it('applies the source/mirror patterns to ICSPs, which the API server never validates', () => {
    expect(rejection(icsp('i', `${src}    mirrors: [m.example/app:latest]\n`))).toBe(
      'invalid format for mirror "m.example/app:latest"',
    );
    expect(rejection(icsp('i', '  - source: ""\n    mirrors: [m.example/app]\n'))).toBe(
      'invalid format for source ""',
    );
    expect(rejection(icsp('i', '  - source: https://quay.io/x\n    mirrors: [m.example/x]\n'))).toBe(
      'invalid format for source "https://quay.io/x"',
    );
    expect(rejection(icsp('i', '  - source: "*.quay.io"\n    mirrors: ["*.m.example"]\n'))).toBe(
      'invalid format for mirror "*.m.example"',
    );
  });

  it('rejects invalid insecure/blocked scopes and allowed+blocked together', () => {
    expect(rejection(image('    insecureRegistries: ["*.example.com/x"]\n'))).toBe(
      'invalid entry for insecure registries "*.example.com/x"',
    );
    expect(rejection(image('    blockedRegistries: ["foo.*.example.com"]\n'))).toBe(
      'invalid entry for blocked registries "foo.*.example.com"',
    );
    const both = render(image('    allowedRegistries: [quay.io]\n    blockedRegistries: [docker.io]\n'));
    expect(both.errors).toEqual([
      {
        message: 'invalid images config: only one of AllowedRegistries or BlockedRegistries may be specified',
        mcoLog:
          'Error syncing image config openshift-config: could not Create/Update MachineConfig: could not update policy json with new changes: invalid images config: only one of AllowedRegistries or BlockedRegistries may be specified',
      },
    ]);
    expect(rejection(image('    allowedRegistries: ["quay.io/*"]\n'))).toBe(
      'invalid entry for allowed registries "quay.io/*"',
    );
  });
});

describe('policy.json and the search drop-in', () => {
  it('allowedRegistries → default reject; the atomic transport drops scopes with three or more slashes', () => {
    const result = render(
      image('    allowedRegistries: [quay.io, registry.example/a/b/c, "*.corp.example"]\n'),
    );
    expect(result.registriesConfGenerated).toBe(false);
    expect(result.policyJson).toEqual({
      default: [{ type: 'reject' }],
      transports: {
        atomic: {
          '*.corp.example': [{ type: 'insecureAcceptAnything' }],
          'quay.io': [{ type: 'insecureAcceptAnything' }],
        },
        docker: {
          '*.corp.example': [{ type: 'insecureAcceptAnything' }],
          'quay.io': [{ type: 'insecureAcceptAnything' }],
          'registry.example/a/b/c': [{ type: 'insecureAcceptAnything' }],
        },
        'docker-daemon': { '': [{ type: 'insecureAcceptAnything' }] },
      },
    });
  });

  it('writes containerRuntimeSearchRegistries as a drop-in and leaves registries.conf to the template', () => {
    const result = render(image('    containerRuntimeSearchRegistries: [registry.corp.example, quay.io]\n'));
    expect(result.searchRegistriesDropIn).toBe(
      'unqualified-search-registries = ["registry.corp.example", "quay.io"]\nshort-name-mode = ""\nadditional-layer-store-auth-helper = ""\n',
    );
    expect(result.registriesConfGenerated).toBe(false);
    expect(result.registriesConf).toBe(
      "unqualified-search-registries = ['registry.access.redhat.com', 'docker.io']\n",
    );
    expect(
      render(image('    containerRuntimeSearchRegistries: [quay.io]\n'), { profile: mcoProfile('4.18') })
        .searchRegistriesDropIn,
    ).toBe('unqualified-search-registries = ["quay.io"]\nshort-name-mode = ""\n');
  });

  it('re-encodes the template once anything is set, even an empty insecure list', () => {
    const result = render(image('    insecureRegistries: []\n'));
    expect(result.registriesConfGenerated).toBe(true);
    expect(result.registriesConf).toBe(HEADER);
  });
});

describe('release payload exception', () => {
  const release = `quay.io/openshift-release-dev/ocp-release@sha256:${'1'.repeat(64)}`;
  const clusterVersion = `apiVersion: config.openshift.io/v1\nkind: ClusterVersion\nmetadata: {name: version}\nstatus:\n  desired:\n    image: ${release}\n---\n`;

  it('drops a blocked scope containing the payload when the payload has no mirror (non-fatal)', () => {
    const result = render(clusterVersion + image('    blockedRegistries: [quay.io, docker.io]\n'));
    expect(result.errors).toEqual([]);
    expect(result.warnings).toContain(
      'error adding ["quay.io"] to blocked registries, cannot block the repository being used by the payload, skipping....',
    );
    expect(result.registriesConf).toBe(
      `${HEADER}\n[[registry]]\n  prefix = ""\n  location = "docker.io"\n  blocked = true\n`,
    );
    expect(result.policyJson!.transports['docker']).toEqual({ 'docker.io': [{ type: 'reject' }] });
  });

  it('keeps it blocked when the payload has an unblocked digest mirror, and allows the payload repository in policy.json', () => {
    const yaml =
      clusterVersion +
      idms(
        'ocp',
        '  - source: quay.io/openshift-release-dev/ocp-release\n    mirrors: [mirror.corp.example/ocp-release]\n',
      ) +
      image('    blockedRegistries: [quay.io]\n');
    const result = render(yaml);
    expect(result.warnings).toContain(
      '"quay.io" matches the payload repository, but will add it to the list of blocked registries as there are mirror rules configured for it',
    );
    expect(result.registriesConf).toBe(
      `${HEADER}\n[[registry]]\n  prefix = ""\n  location = "quay.io/openshift-release-dev/ocp-release"\n  blocked = true\n\n  [[registry.mirror]]\n    location = "mirror.corp.example/ocp-release"\n    pull-from-mirror = "digest-only"\n\n[[registry]]\n  prefix = ""\n  location = "quay.io"\n  blocked = true\n`,
    );
    expect(result.policyJson!.default).toEqual([{ type: 'insecureAcceptAnything' }]);
    expect(result.policyJson!.transports['docker']).toEqual({
      'quay.io': [{ type: 'reject' }],
      'quay.io/openshift-release-dev/ocp-release': [{ type: 'insecureAcceptAnything' }],
    });
  });

  it('treats a mirror that is itself blocked as no mirror', () => {
    const yaml =
      clusterVersion +
      idms(
        'ocp',
        '  - source: quay.io/openshift-release-dev/ocp-release\n    mirrors: [quay.io/mirror/ocp-release]\n',
      ) +
      image('    blockedRegistries: [quay.io]\n');
    expect(render(yaml).warnings).toContain(
      'error adding ["quay.io"] to blocked registries, cannot block the repository being used by the payload, skipping....',
    );
  });

  it('fails the sync on a release image that is not a canonical reference', () => {
    expect(
      render(image('    blockedRegistries: [quay.io]\n'), { releaseImage: 'ocp-release:4.18' }).errors[0]!
        .message,
    ).toBe('error parsing reference of release image');
  });
});

describe('MCO 4.12', () => {
  it('renders ICSPs with registry-level mirror-by-digest-only (copied to nested scopes), ignores IDMS/ITMS, writes compact policy.json with unfiltered atomic scopes', () => {
    const result = renderFixture('icsp-4.12', LEGACY);
    expect(result.registriesConf).toBe(fixture('icsp-4.12.conf'));
    expect(result.policyJsonText).toBe(fixture('icsp-4.12.policy.json'));
    expect(result.warnings).toEqual([
      'ImageTagMirrorSet "not-in-4-12" is ignored: MCO 4.12 reads only ImageContentSourcePolicy objects',
    ]);
  });

  it('renders the same objects in the current per-mirror form', () => {
    const result = renderFixture('icsp-4.12');
    expect(result.registriesConf).toBe(fixture('icsp-4.12.current.conf'));
    expect(result.policyJson!.transports['atomic']).toEqual({});
  });

  it('uses the 4.12 validation texts', () => {
    expect(rejection(icsp('i', '  - source: ""\n    mirrors: [m.example/app]\n'), LEGACY)).toBe(
      'invalid empty entry for source configuration',
    );
    expect(rejection(icsp('i', '  - source: "*.quay.io"\n    mirrors: [m.example/app]\n'), LEGACY)).toBe(
      'wildcard entries are not supported with mirror configuration "*.quay.io"',
    );
    expect(rejection(icsp('i', '  - source: quay.io/a\n    mirrors: [""]\n'), LEGACY)).toBe(
      'invalid empty entry for mirror configuration',
    );
    // No pattern check in 4.12: a tag in a mirror goes through.
    expect(render(icsp('i', '  - source: quay.io/a\n    mirrors: [m.example/a:1]\n'), LEGACY).errors).toEqual(
      [],
    );
  });

  it('refuses the unmodelled transition releases', () => {
    expect(() => mcoProfile('4.14')).toThrow(MirrorscopeError);
    expect(mcoProfile('4.16')).toMatchObject({
      legacy: false,
      indentPolicyJson: false,
      encodesAlsHelper: false,
    });
  });
});

describe('template', () => {
  it('keeps the template registries, mirrors and aliases, drops v1 tables, and appends the rendered mirrors', () => {
    const template = {
      path: 'template.conf',
      text: `unqualified-search-registries = ["registry.access.redhat.com"]
short-name-mode = "enforcing"

[[registry]]
location = "quay.example/team"
insecure = true
[[registry.mirror]]
location = "cache.example/team"

[aliases]
"tool" = "quay.example/team/tool"
"my/app" = "quay.example/team/app"
`,
    };
    const result = render(idms('t', '  - source: quay.example/team\n    mirrors: [mirror.example/team]\n'), {
      template,
    });
    expect(result.registriesConf).toBe(`unqualified-search-registries = ["registry.access.redhat.com"]
short-name-mode = "enforcing"
additional-layer-store-auth-helper = ""

[[registry]]
  prefix = ""
  location = "quay.example/team"
  insecure = true

  [[registry.mirror]]
    location = "cache.example/team"

  [[registry.mirror]]
    location = "mirror.example/team"
    pull-from-mirror = "digest-only"

[aliases]
  "my/app" = "quay.example/team/app"
  tool = "quay.example/team/tool"
`);
    expect(result.mirrorOrigins['quay.example/team']![0]).toMatchObject({
      mirror: 'cache.example/team',
      fromTemplate: true,
      objects: [],
    });
  });

  it('warns when CRI-O would refuse what the MCO writes (template mirror-by-digest-only + pull-from-mirror mirrors)', () => {
    const template = {
      path: 'template.conf',
      text: '[[registry]]\nlocation = "quay.example/team"\nmirror-by-digest-only = true\n',
    };
    const result = render(idms('t', '  - source: quay.example/team\n    mirrors: [mirror.example/team]\n'), {
      template,
    });
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([
      'containers/image (CRI-O, podman) refuses this rendered registries.conf, so every pull on the nodes would fail: loading registries configuration "/etc/containers/registries.conf": cannot set mirror usage mirror-by-digest-only for the registry ("quay.example/team") and pull-from-mirror for per-mirror ("mirror.example/team") at the same time',
    ]);
  });

  it('reports a broken template with its line', () => {
    const template = { path: 'template.conf', text: 'short-name-mode = "x"\n[[registry]]\nlocation = 3\n' };
    expect(() =>
      render(idms('t', '  - source: a.example/x\n    mirrors: [b.example/x]\n'), { template }),
    ).toThrow(/template\.conf:3: .*location/);
  });
});

describe('reading objects', () => {
  it('names file and line for YAML errors, wrong types and unsupported enum values', () => {
    const cases: [string, RegExp][] = [
      ['kind: ImageDigestMirrorSet\n  bad: [\n', /^objects\.yaml:\d+: invalid YAML/],
      [
        idms('x', '  - source: 42\n    mirrors: [m.example/a]\n'),
        /^objects\.yaml:6: .*source must be a string, got number 42/,
      ],
      [
        idms('x', '  - source: a.example/x\n    mirrors: m.example/a\n'),
        /^objects\.yaml:7: .*mirrors must be a list/,
      ],
      [
        idms('x', '  - source: a.example/x\n    mirrors: [m.example/a]\n    mirrorSourcePolicy: Never\n'),
        /^objects\.yaml:8: .*Unsupported value: "Never"/,
      ],
      [idms('x', '  - mirrors: [m.example/a]\n'), /^objects\.yaml:6: .*source: Required value/],
      [
        'apiVersion: config.openshift.io/v1alpha1\nkind: ImageDigestMirrorSet\nmetadata: {name: x}\n',
        /^objects\.yaml:1: ImageDigestMirrorSet must have apiVersion config\.openshift\.io\/v1/,
      ],
      [
        idms('x', '') + idms('x', ''),
        /^objects\.yaml:7: ImageDigestMirrorSet\/x is defined twice \(also at objects\.yaml:1\)/,
      ],
    ];
    for (const [yaml, pattern] of cases) {
      let error: unknown;
      try {
        parseClusterObjects([{ path: 'objects.yaml', text: yaml }]);
      } catch (err) {
        error = err;
      }
      expect(error, yaml).toBeInstanceOf(MirrorscopeError);
      expect((error as MirrorscopeError).message, yaml).toMatch(pattern);
    }
  });

  it('notes duplicate IDMS/ITMS mirrors, which the API server refuses (listType=set), but not ICSP ones', () => {
    const yaml =
      idms('x', '  - source: a.example/x\n    mirrors: [m.example/x, n.example/x, m.example/x]\n') +
      icsp('y', '  - source: b.example/x\n    mirrors: [m.example/x, m.example/x]\n');
    const notes = parseClusterObjects([{ path: 'objects.yaml', text: yaml }]).notes;
    expect(notes).toEqual([
      {
        message:
          'ImageDigestMirrorSet "x" spec.imageDigestMirrors[0].mirrors: Duplicate value: "m.example/x" (the API server rejects this object; the MCO would accept it)',
        file: 'objects.yaml',
        line: 7,
      },
    ]);
  });

  it('reads typed lists whose items omit kind, and notes objects it does not use', () => {
    const yaml = `apiVersion: config.openshift.io/v1
kind: ImageDigestMirrorSetList
items:
- metadata: {name: a}
  spec: {imageDigestMirrors: [{source: a.example/x, mirrors: [m.example/x]}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
`;
    const objects = parseClusterObjects([{ path: 'objects.yaml', text: yaml }]);
    expect(objects.mirrorSets.map((o) => `${o.kind}/${o.ref.name}`)).toEqual(['ImageDigestMirrorSet/a']);
    expect(objects.notes.map((n) => n.line)).toEqual([7]);
  });
});

describe('ICSP → IDMS', () => {
  it('produces an IDMS that renders to the same registries.conf', () => {
    const objects = parseClusterObjects([{ path: 'a.yaml', text: fixture('digest-and-tag.yaml') }]);
    const converted = objects.mirrorSets
      .map((o) =>
        o.kind === 'ImageContentSourcePolicy'
          ? idmsYamlFor(o).replace('name: legacy-icsp', 'name: converted')
          : null,
      )
      .filter((y) => y !== null);
    expect(converted).toHaveLength(1);
    const withoutIcsp = fixture('digest-and-tag.yaml').split('---\n').slice(1).join('---\n');
    const rerendered = render(`${converted[0]}---\n${withoutIcsp}`);
    expect(rerendered.registriesConf).toBe(fixture('digest-and-tag.conf'));
    expect(converted[0]).toContain('kind: ImageDigestMirrorSet');
  });
});
