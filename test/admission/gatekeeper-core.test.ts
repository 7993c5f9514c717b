// Gatekeeper's match and the library repo templates. Vectors: the gatekeeper-library test suites
// (open-policy-agent/gatekeeper-library 5c441fb6: library/general/allowedrepos/suite.yaml and
// disallowedrepos/suite.yaml with their samples) and Gatekeeper's match rules (gatekeeper dd8507eb
// pkg/mutation/match/match.go, pkg/wildcard), written as our own fixtures.
import { describe, expect, it } from 'vitest';
import { decideGatekeeper, type GatekeeperContainer } from '../../src/core/admission/gatekeeper-decision.js';
import { gatekeeperWildcard, matchPod, type PodFacts } from '../../src/core/admission/gatekeeper-match.js';
import {
  evaluateRepoTemplate,
  libraryVariantOfRego,
  regoFingerprint,
} from '../../src/core/admission/gatekeeper-repos.js';
import { selectorMatches } from '../../src/core/admission/label-selector.js';
import { parseAdmissionObjects, type AdmissionObjects } from '../../src/core/admission/objects.js';

const objects = (text: string): AdmissionObjects => parseAdmissionObjects([{ path: 'gk.yaml', text }]);

const allowedConstraint = (extra = '') => `apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sAllowedRepos
metadata: {name: repo-is-openpolicyagent}
spec:
  match:
    kinds: [{apiGroups: [""], kinds: ["Pod"]}]
    namespaces: ["default"]
  parameters:
    repos: ["openpolicyagent/"]
${extra}`;

const disallowedConstraint = `apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sDisallowedRepos
metadata: {name: repo-must-not-be-k8s-gcr-io}
spec:
  match:
    kinds: [{apiGroups: [""], kinds: ["Pod"]}]
  parameters:
    repos: ["k8s.gcr.io/"]
`;

const pod = (namespace = 'default', more: Partial<PodFacts> = {}): PodFacts => ({
  namespace,
  labels: new Map(),
  name: 'p',
  namespaceObject: null,
  ...more,
});
const container = (
  image: string,
  name = 'opa',
  field: GatekeeperContainer['field'] = 'containers',
): GatekeeperContainer => ({ field, name, image });

describe('gatekeeper-library K8sAllowedRepos suite', () => {
  const o = objects(allowedConstraint());
  it('example-allowed: openpolicyagent/opa:0.9.2 has no violation', () => {
    expect(decideGatekeeper(container('openpolicyagent/opa:0.9.2'), pod(), o)).toMatchObject([
      {
        controller: 'gatekeeper',
        allowed: true,
        message: 'no violation',
        policy: { kind: 'K8sAllowedRepos', name: 'repo-is-openpolicyagent' },
      },
    ]);
  });
  it.each([
    ['containers', 'container'],
    ['initContainers', 'initContainer'],
    ['ephemeralContainers', 'ephemeralContainer'],
  ] as const)('%s with nginx: one violation worded "%s <…>"', (field, word) => {
    const [d] = decideGatekeeper(container('nginx', 'nginx', field), pod(), o);
    expect(d).toMatchObject({
      allowed: false,
      message: `[repo-is-openpolicyagent] ${word} <nginx> has an invalid image repo <nginx>, allowed repos are ["openpolicyagent/"]`,
    });
  });
  it('applies only to the namespaces the constraint names', () => {
    expect(decideGatekeeper(container('nginx'), pod('other'), o)).toEqual([]);
  });
});

describe('gatekeeper-library K8sDisallowedRepos suite', () => {
  const o = objects(disallowedConstraint);
  it('example-allowed: registry.k8s.io passes', () => {
    expect(
      decideGatekeeper(
        container('registry.k8s.io/kustomize/kustomize:v3.8.9', 'kustomize'),
        pod('any'),
        o,
      )[0],
    ).toMatchObject({ allowed: true });
  });
  it.each(['containers', 'initContainers', 'ephemeralContainers'] as const)(
    '%s from k8s.gcr.io is denied',
    (field) => {
      const [d] = decideGatekeeper(
        container('k8s.gcr.io/kustomize/kustomize:v3.8.9', 'kustomize', field),
        pod('any'),
        o,
      );
      expect(d!.allowed).toBe(false);
      expect(d!.message).toMatch(
        / <kustomize> has an invalid image repo <k8s\.gcr\.io\/kustomize\/kustomize:v3\.8\.9>, disallowed repos are \["k8s\.gcr\.io\/"\]$/,
      );
    },
  );
});

describe('repo templates', () => {
  it('a prefix without "/" lets a look-alike registry through (the template description warns of it)', () => {
    const variant = libraryVariantOfRego('package k8sallowedrepos');
    expect(variant).toBeNull();
    const v = evaluateRepoTemplate(
      {
        template: 'k8sallowedrepos',
        version: 'x',
        fields: ['containers'],
        label: {
          containers: 'container',
          initContainers: 'initContainer',
          ephemeralContainers: 'ephemeralContainer',
        },
      },
      { repos: ['harbor.example.com'] },
      container('harbor.example.com.evil.io/x:1'),
    );
    expect(v).toMatchObject({ ok: true, violations: [] });
  });
  it('missing repos: the Rego message is undefined, so no violation', () => {
    const o = objects(
      `apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sAllowedRepos\nmetadata: {name: empty}\nspec: {}\n`,
    );
    expect(decideGatekeeper(container('nginx'), pod(), o)[0]).toMatchObject({ allowed: true });
  });
  it('an empty list denies everything', () => {
    const o = objects(
      `apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sAllowedRepos\nmetadata: {name: none}\nspec: {parameters: {repos: []}}\n`,
    );
    expect(decideGatekeeper(container('nginx'), pod(), o)[0]!.message).toBe(
      '[none] container <opa> has an invalid image repo <nginx>, allowed repos are []',
    );
  });
  it('quotes repos the way Rego prints strings', () => {
    const o = objects(
      `apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sAllowedRepos\nmetadata: {name: q}\nspec: {parameters: {repos: ["a\\"b/", "c/"]}}\n`,
    );
    expect(decideGatekeeper(container('nginx'), pod(), o)[0]!.message).toContain(
      'allowed repos are ["a\\"b/", "c/"]',
    );
  });
  it('whitespace does not change a Rego fingerprint; content does', () => {
    expect(regoFingerprint('package  a\n\n  violation')).toBe(regoFingerprint('package a violation'));
    expect(regoFingerprint('package a')).not.toBe(regoFingerprint('package b'));
  });
  it('a template with its own Rego is not evaluated', () => {
    const template = `apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata: {name: k8srequireharbor}
spec:
  crd: {spec: {names: {kind: K8sRequireHarbor}}}
  targets:
  - target: admission.k8s.gatekeeper.sh
    rego: |
      package k8srequireharbor
      violation[{"msg": "no"}] { true }
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sRequireHarbor
metadata: {name: require-harbor-repo}
spec: {}
`;
    expect(decideGatekeeper(container('nginx'), pod(), objects(template))[0]).toMatchObject({
      allowed: null,
      message: 'not evaluated: template k8srequireharbor',
    });
  });
});

describe('enforcement actions and audit status', () => {
  it('warn admits with a warning, dryrun admits silently', () => {
    const warn = objects(allowedConstraint().replace('  match:', '  enforcementAction: warn\n  match:'));
    expect(decideGatekeeper(container('nginx'), pod(), warn)[0]).toMatchObject({
      allowed: true,
      message: expect.stringMatching(/^warning: \[repo-is-openpolicyagent\]/),
    });
    const dry = objects(allowedConstraint().replace('  match:', '  enforcementAction: dryrun\n  match:'));
    expect(decideGatekeeper(container('nginx'), pod(), dry)[0]).toMatchObject({
      allowed: true,
      message: expect.stringMatching(/^dryrun: /),
    });
  });
  it('scoped actions: only those for validation.gatekeeper.sh count', () => {
    const scoped = objects(
      allowedConstraint().replace(
        '  match:',
        '  enforcementAction: scoped\n  scopedEnforcementActions:\n  - action: warn\n    enforcementPoints: [{name: validation.gatekeeper.sh}]\n  - action: deny\n    enforcementPoints: [{name: gator.gatekeeper.sh}]\n  match:',
      ),
    );
    expect(decideGatekeeper(container('nginx'), pod(), scoped)[0]!.allowed).toBe(true);
  });
  it("an opaque template's audit violation naming the image in this namespace is a denial", () => {
    const text = `apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sRequireHarbor
metadata: {name: require-harbor-repo}
spec: {match: {kinds: [{apiGroups: [""], kinds: ["Pod"]}]}}
status:
  auditTimestamp: "2026-12-01T10:00:00Z"
  totalViolations: 2
  violations:
  - {enforcementAction: deny, kind: Pod, name: web-1, namespace: shop, message: "container <web> has an invalid image repo <nginx:1.25>, allowed repos are [\\"harbor.example.com/\\"]"}
  - {enforcementAction: deny, kind: Pod, name: api-1, namespace: shop, message: "container <api> has an invalid image repo <quay.io/x/api:2>, allowed repos are [\\"harbor.example.com/\\"]"}
`;
    const o = objects(text);
    const [d] = decideGatekeeper(container('nginx:1.25', 'web'), pod('shop'), o);
    expect(d).toMatchObject({ allowed: false });
    expect(d!.message).toBe(
      '[require-harbor-repo] container <web> has an invalid image repo <nginx:1.25>, allowed repos are ["harbor.example.com/"]',
    );
    expect(d!.checks.filter((c) => c.kind === 'audit-violation')).toHaveLength(1);
    expect(decideGatekeeper(container('nginx:1.25', 'web'), pod('other'), o)[0]!.allowed).toBeNull();
  });
  it('a namespace labelled admission.gatekeeper.sh/ignore never reaches the webhook', () => {
    const o = objects(
      allowedConstraint() +
        '---\napiVersion: v1\nkind: Namespace\nmetadata: {name: default, labels: {admission.gatekeeper.sh/ignore: "yes"}}\n',
    );
    expect(
      decideGatekeeper(container('nginx'), pod('default', { namespaceObject: o.namespaces[0]! }), o),
    ).toMatchObject([{ allowed: true, policy: null }]);
  });
});

describe('match (pkg/mutation/match)', () => {
  const m = (spec: string) =>
    objects(
      `apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sAllowedRepos\nmetadata: {name: c}\nspec: {match: ${spec}}\n`,
    ).constraints[0]!.match;
  it('kinds: Pod with group "" or "*"; other kinds do not apply', () => {
    expect(matchPod(m('{kinds: [{apiGroups: ["*"], kinds: ["*"]}]}'), pod()).matches).toBe(true);
    expect(matchPod(m('{kinds: [{apiGroups: ["apps"], kinds: ["Pod"]}]}'), pod()).matches).toBe(false);
    expect(matchPod(m('{kinds: [{apiGroups: [""], kinds: ["Deployment"]}]}'), pod()).matches).toBe(false);
  });
  it('namespace wildcards and exclusions', () => {
    expect(gatekeeperWildcard('kube-*', 'kube-system')).toBe(true);
    expect(gatekeeperWildcard('*-system', 'kube-system')).toBe(true);
    expect(gatekeeperWildcard('*ube*', 'kube-system')).toBe(true);
    expect(gatekeeperWildcard('kube', 'kube-system')).toBe(false);
    expect(matchPod(m('{excludedNamespaces: ["kube-*"]}'), pod('kube-system')).matches).toBe(false);
    expect(matchPod(m('{scope: Cluster}'), pod()).matches).toBe(false);
  });
  it('labelSelector and namespaceSelector: undecided without the labels, exact with them', () => {
    const sel = m('{labelSelector: {matchLabels: {app: web}}}');
    expect(matchPod(sel, pod('default', { labels: null })).matches).toBeNull();
    expect(matchPod(sel, pod('default', { labels: new Map([['app', 'web']]) })).matches).toBe(true);
    expect(matchPod(sel, pod('default', { labels: new Map([['app', 'db']]) })).matches).toBe(false);
    const nsSel = m('{namespaceSelector: {matchExpressions: [{key: team, operator: In, values: [shop]}]}}');
    expect(matchPod(nsSel, pod()).matches).toBeNull();
    const ns = objects('apiVersion: v1\nkind: Namespace\nmetadata: {name: default, labels: {team: shop}}\n')
      .namespaces[0]!;
    expect(matchPod(nsSel, pod('default', { namespaceObject: ns })).matches).toBe(true);
  });
  it('label selector operators as apimachinery', () => {
    const labels = new Map([['a', '1']]);
    const s = (expr: string) =>
      objects(
        `apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: X\nmetadata: {name: c}\nspec: {match: {labelSelector: {matchExpressions: [${expr}]}}}\n`,
      ).constraints[0]!.match.labelSelector!;
    expect(selectorMatches(s('{key: a, operator: NotIn, values: ["2"]}'), labels)).toEqual({
      ok: true,
      matches: true,
    });
    expect(selectorMatches(s('{key: b, operator: NotIn, values: ["2"]}'), labels)).toEqual({
      ok: true,
      matches: true,
    });
    expect(selectorMatches(s('{key: a, operator: DoesNotExist}'), labels)).toEqual({
      ok: true,
      matches: false,
    });
    expect(selectorMatches(s('{key: a, operator: In, values: []}'), labels).ok).toBe(false);
    expect(selectorMatches(s('{key: a, operator: Gt, values: ["1"]}'), labels)).toEqual({
      ok: false,
      error: '"Gt" is not a valid label selector operator',
    });
  });
});
