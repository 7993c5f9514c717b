// Each rendered registries.conf is fed to our resolver and to skopeo, to show a pull goes where the
// objects intend. skopeo 1.9.3 (containers/image 5.23) predates `pull-from-mirror` and ignores it,
// so it checks the 4.12 (`mirror-by-digest-only`) rendering for every reference, and the current
// rendering only for references where that key cannot matter (digest pulls without tag-only mirrors,
// or scopes without mirrors). Our resolver checks every reference in both forms.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseClusterObjects } from '../../src/core/mco/parse-objects.js';
import { renderRegistries, SEARCH_REGISTRIES_DROP_IN_PATH } from '../../src/core/mco/render.js';
import { mcoProfile } from '../../src/core/mco/versions.js';
import { assembleRegistriesConfig } from '../../src/core/registries/assemble.js';
import { Resolver } from '../../src/core/resolve/resolver.js';
import { skopeoAttempts, type ConfigTree } from '../support/skopeo.js';

const D = `sha256:${'c'.repeat(64)}`;
const fixture = (name: string) => readFileSync(new URL(`../fixtures/mco/${name}`, import.meta.url), 'utf8');

/** The same objects as ICSPs, for the 4.12 rendering. */
const asIcsp = (yaml: string) =>
  yaml
    .replaceAll(
      'apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet',
      'apiVersion: operator.openshift.io/v1alpha1\nkind: ImageContentSourcePolicy',
    )
    .replaceAll('imageDigestMirrors:', 'repositoryDigestMirrors:');

interface Attempt {
  readonly reference: string;
  readonly insecure?: boolean;
  readonly blocked?: boolean;
}

interface Pull {
  readonly ref: string;
  /** What the objects intend CRI-O to try, in order. */
  readonly intent: readonly Attempt[];
  /** skopeo 1.9.3 can check this pull against this rendering. */
  readonly skopeo: boolean;
}

interface Case {
  readonly name: string;
  readonly yaml: string;
  readonly version?: string;
  readonly pulls: readonly Pull[];
}

function renderTree(c: Case): ConfigTree {
  const result = renderRegistries(parseClusterObjects([{ path: `${c.name}.yaml`, text: c.yaml }]), {
    profile: mcoProfile(c.version),
  });
  expect(result.errors).toEqual([]);
  const dropIns: Record<string, string> =
    result.searchRegistriesDropIn === null
      ? {}
      : { '01-image-searchRegistries.conf': result.searchRegistriesDropIn };
  return { registriesConf: result.registriesConf!, dropIns };
}

function resolverFor(tree: ConfigTree): Resolver {
  const dropIns = Object.entries(tree.dropIns ?? {}).map(([name, text]) => ({
    path: `/etc/containers/registries.conf.d/${name}`,
    text,
  }));
  return new Resolver(
    assembleRegistriesConfig({
      main: { path: '/etc/containers/registries.conf', text: tree.registriesConf },
      dropIns,
    }),
  );
}

const normalize = (a: Attempt) => ({
  reference: a.reference,
  insecure: a.insecure ?? false,
  blocked: a.blocked ?? false,
});
/** skopeo cannot show the insecure flag of a blocked source: it refuses before connecting. */
const observable = (a: Attempt) => ({
  reference: a.reference,
  insecure: (a.insecure ?? false) && !(a.blocked ?? false),
  blocked: a.blocked ?? false,
});

const digestMirrors = (hosts: string[], rest: string) =>
  hosts.map((h) => ({ reference: `${h}${rest}@${D}` }));

const mergeOrderPulls = (legacy: boolean): Pull[] => [
  {
    ref: `registry.vendor.example/app/web@${D}`,
    intent: [
      ...digestMirrors(['mirror-a.example/app', 'mirror-b.example/app', 'mirror-c.example/app'], '/web'),
      { reference: `registry.vendor.example/app/web@${D}` },
    ],
    skopeo: true,
  },
  {
    // A cycle broken at the source: the source is contacted first as a "mirror", then again last.
    ref: `cyc.example/x/y@${D}`,
    intent: digestMirrors(['cyc.example/x', 'm1.example/x', 'm2.example/x', 'cyc.example/x'], '/y'),
    skopeo: true,
  },
  {
    ref: `src.example/app/svc@${D}`,
    intent: digestMirrors(
      ['z1.example/app', 'src.example/app', 'y2.example/app', 'x3.example/app', 'src.example/app'],
      '/svc',
    ),
    skopeo: true,
  },
  {
    ref: `quay.example/tools/t@${D}`,
    intent: digestMirrors(['local.example/tools', 'z-mirror.example/tools', 'quay.example/tools'], '/t'),
    skopeo: true,
  },
  {
    ref: 'registry.vendor.example/app/web:1',
    intent: [{ reference: 'registry.vendor.example/app/web:1' }],
    skopeo: legacy,
  },
];

const nestedPulls = (legacy: boolean): Pull[] => [
  {
    ref: `quay.example/team/secret/app@${D}`,
    intent: [
      { reference: `mirror.example/team/secret/app@${D}`, insecure: true },
      { reference: `quay.example/team/secret/app@${D}`, blocked: true },
    ],
    skopeo: true,
  },
  {
    ref: `quay.example/team/dev/x@${D}`,
    intent: [
      { reference: `mirror.example/team/dev/x@${D}`, insecure: true },
      { reference: `quay.example/team/dev/x@${D}`, insecure: true },
    ],
    skopeo: true,
  },
  {
    ref: `quay.example/team/y@${D}`,
    intent: [
      { reference: `mirror.example/team/y@${D}`, insecure: true },
      { reference: `quay.example/team/y@${D}` },
    ],
    skopeo: true,
  },
  {
    ref: 'quay.example/team/secret/app:1',
    intent: [{ reference: 'quay.example/team/secret/app:1', blocked: true }],
    skopeo: legacy,
  },
  { ref: 'quay.example/team/y:2', intent: [{ reference: 'quay.example/team/y:2' }], skopeo: legacy },
];

const CASES: Case[] = [
  { name: 'merge-order', yaml: fixture('merge-order.yaml'), pulls: mergeOrderPulls(false) },
  {
    name: 'merge-order-4.12',
    yaml: asIcsp(fixture('merge-order.yaml')),
    version: '4.12',
    pulls: mergeOrderPulls(true),
  },
  { name: 'nested-scopes', yaml: fixture('nested-scopes.yaml'), pulls: nestedPulls(false) },
  {
    name: 'nested-scopes-4.12',
    yaml: asIcsp(fixture('nested-scopes.yaml')),
    version: '4.12',
    pulls: nestedPulls(true),
  },
  {
    name: 'wildcard-scopes',
    yaml: fixture('wildcard-scopes.yaml'),
    pulls: [
      {
        ref: `registry.corp.example/ns/app@${D}`,
        intent: [
          { reference: `mirror.example/corp/ns/app@${D}` },
          { reference: `registry.corp.example/ns/app@${D}` },
        ],
        skopeo: true,
      },
      {
        ref: `x.blocked.lab.example/a/b@${D}`,
        intent: [{ reference: `x.blocked.lab.example/a/b@${D}`, insecure: true, blocked: true }],
        skopeo: true,
      },
      {
        ref: `quay.example/ops/tool@${D}`,
        intent: [
          { reference: `m.lab.example/ops/tool@${D}`, insecure: true },
          { reference: `quay.example/ops/tool@${D}` },
        ],
        skopeo: true,
      },
      {
        ref: 'registry.lab.example/private/x:1',
        intent: [{ reference: 'registry.lab.example/private/x:1', insecure: true, blocked: true }],
        skopeo: true,
      },
      {
        ref: 'registry.lab.example/public/x:1',
        intent: [{ reference: 'registry.lab.example/public/x:1', insecure: true }],
        skopeo: true,
      },
    ],
  },
  {
    name: 'digest-and-tag',
    yaml: fixture('digest-and-tag.yaml'),
    pulls: [
      {
        ref: 'docker.io/library/busybox:1.36',
        intent: [
          { reference: 'tags.corp.example/busybox:1.36' },
          { reference: 'docker.io/library/busybox:1.36' },
        ],
        skopeo: false,
      },
      {
        ref: `docker.io/busybox@${D}`,
        intent: [
          ...digestMirrors(
            ['backup.corp.example/busybox', 'mirror.corp.example/busybox', 'shared.corp.example/busybox'],
            '',
          ),
          { reference: `docker.io/library/busybox@${D}` },
        ],
        skopeo: false,
      },
      {
        ref: 'registry.redhat.io/ubi9/ubi:9',
        intent: [
          { reference: 'tags.corp.example/ubi9/ubi:9' },
          { reference: 'registry.redhat.io/ubi9/ubi:9', blocked: true },
        ],
        skopeo: false,
      },
      {
        ref: `registry.redhat.io/ubi9/ubi@${D}`,
        intent: [
          { reference: `mirror.corp.example/ubi9/ubi@${D}` },
          { reference: `registry.redhat.io/ubi9/ubi@${D}`, blocked: true },
        ],
        skopeo: false,
      },
    ],
  },
  {
    // The ICSP and IDMS of digest-and-tag without its ITMS: no tag-only mirror, so skopeo can check digest pulls.
    name: 'icsp-plus-idms',
    yaml: fixture('digest-and-tag.yaml').split('---\n').slice(0, 2).join('---\n'),
    pulls: [
      {
        ref: `docker.io/library/busybox@${D}`,
        intent: [
          ...digestMirrors(
            ['backup.corp.example/busybox', 'mirror.corp.example/busybox', 'shared.corp.example/busybox'],
            '',
          ),
          { reference: `docker.io/library/busybox@${D}` },
        ],
        skopeo: true,
      },
      {
        ref: `registry.redhat.io/ubi9/ubi@${D}`,
        intent: [
          { reference: `mirror.corp.example/ubi9/ubi@${D}` },
          { reference: `registry.redhat.io/ubi9/ubi@${D}`, blocked: true },
        ],
        skopeo: true,
      },
      {
        ref: 'registry.redhat.io/ubi9/ubi:9',
        intent: [{ reference: 'registry.redhat.io/ubi9/ubi:9', blocked: true }],
        skopeo: false,
      },
    ],
  },
  {
    name: 'icsp-4.12',
    yaml: fixture('icsp-4.12.yaml'),
    version: '4.12',
    pulls: [
      {
        ref: `quay.io/ocp/release@${D}`,
        intent: digestMirrors(['m1.example/ocp', 'm2.example/ocp', 'quay.io/ocp/release'], ''),
        skopeo: true,
      },
      {
        ref: 'quay.io/ocp/release:4.12.0',
        intent: [{ reference: 'quay.io/ocp/release:4.12.0' }],
        skopeo: true,
      },
      {
        ref: `quay.io/ocp/release/private/x@${D}`,
        intent: [
          ...digestMirrors(['m1.example/ocp/private', 'm2.example/ocp/private'], '/x'),
          { reference: `quay.io/ocp/release/private/x@${D}`, blocked: true },
        ],
        skopeo: true,
      },
      { ref: 'quay.io/ocp/tools/t:1', intent: [{ reference: 'quay.io/ocp/tools/t:1' }], skopeo: true },
    ],
  },
];

describe.each(CASES)('$name', (c) => {
  const tree = renderTree(c);
  const resolver = resolverFor(tree);

  it.each(c.pulls)('our resolver: $ref', (pull) => {
    const result = resolver.resolve(pull.ref);
    expect(result.error).toBeNull();
    expect(result.candidates).toHaveLength(1);
    const sources = result.candidates[0]!.sources.map((s) => normalize(s));
    expect(sources).toEqual(pull.intent.map(normalize));
  });

  const skopeoPulls = c.pulls.filter((p) => p.skopeo);
  if (skopeoPulls.length > 0) {
    it.each(skopeoPulls)('skopeo: $ref', (pull) => {
      expect(skopeoAttempts(tree, pull.ref).map(observable)).toEqual(pull.intent.map(observable));
    });
  }
});

describe('search registries drop-in', () => {
  it('makes CRI-O expand short names over the listed registries, replacing the template list', () => {
    const yaml =
      'apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n    containerRuntimeSearchRegistries: [registry.corp.example, quay.io]\n';
    const tree = renderTree({ name: 'search', yaml, pulls: [] });
    expect(Object.keys(tree.dropIns!)).toEqual([SEARCH_REGISTRIES_DROP_IN_PATH.split('/').pop()]);
    const config = resolverFor(tree).config;
    expect(config.unqualifiedSearchRegistries).toEqual(['registry.corp.example', 'quay.io']);
    const candidates = resolverFor(tree)
      .resolve('tool:1')
      .candidates.map((cand) => cand.image);
    expect(candidates).toEqual(['registry.corp.example/tool:1', 'quay.io/tool:1']);
  });
});
