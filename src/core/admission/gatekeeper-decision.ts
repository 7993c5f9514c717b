// What Gatekeeper's validating webhook decides for a pod naming an image, constraint by constraint:
// the constraint's match, its template (K8sAllowedRepos/K8sDisallowedRepos evaluated here, any other
// template reported as not evaluated: no maintained in-process Rego engine exists on npm), the
// enforcement action the webhook applies, and the audit's own status.violations that name the image.
// Denials read as Gatekeeper composes them: `[constraint-name] message` (since v3.4; `[denied by
// name]` before). Reference: open-policy-agent/gatekeeper dd8507eb pkg/webhook/policy.go.
import type { AdmissionObjects, AuditViolation, ConstraintObject } from './objects.js';
import { matchPod, type PodFacts } from './gatekeeper-match.js';
import {
  currentLibraryVariant,
  evaluateRepoTemplate,
  libraryVariantOfRego,
  type ContainerField,
  type RepoTemplate,
} from './gatekeeper-repos.js';
import { check, type AdmissionCheck, type AdmissionDecision } from './types.js';

/** The namespace label that takes a namespace out of Gatekeeper's webhook configuration. */
export const GATEKEEPER_IGNORE_LABEL = 'admission.gatekeeper.sh/ignore';

export interface GatekeeperContainer {
  readonly field: ContainerField;
  readonly name: string;
  readonly image: string;
}

type TemplateChoice =
  | { readonly kind: 'library'; readonly variant: RepoTemplate; readonly detail: string }
  | { readonly kind: 'opaque'; readonly name: string; readonly detail: string };

function chooseTemplate(constraint: ConstraintObject, objects: AdmissionObjects): TemplateChoice {
  const kind = constraint.meta.kind;
  const template = objects.templates.find((t) => t.constraintKind === kind);
  if (template === undefined) {
    const current = currentLibraryVariant(kind);
    if (current !== null)
      return {
        kind: 'library',
        variant: current,
        detail: `no ConstraintTemplate for ${kind} was given: evaluated as the gatekeeper-library template ${current.template} ${current.version}`,
      };
    return {
      kind: 'opaque',
      name: kind.toLowerCase(),
      detail: `no ConstraintTemplate for ${kind} was given`,
    };
  }
  const name = template.meta.name;
  if (template.rego === null) {
    const engines = template.codeEngines.length > 0 ? ` (only ${template.codeEngines.join(', ')} code)` : '';
    return {
      kind: 'opaque',
      name,
      detail: `ConstraintTemplate ${name} has no Rego${engines}; mirrorscope evaluates no policy engine`,
    };
  }
  const variant = libraryVariantOfRego(template.rego);
  if (variant === null)
    return {
      kind: 'opaque',
      name,
      detail: `ConstraintTemplate ${name} has its own Rego; no maintained Rego engine runs in-process from npm (opa-wasm needs policies compiled by the opa tool), so only the audit's status.violations can speak for it`,
    };
  return {
    kind: 'library',
    variant,
    detail: `ConstraintTemplate ${name} is the gatekeeper-library ${variant.template} ${variant.version} (its Rego, up to whitespace)`,
  };
}

/** The actions the admission webhook applies: `scoped` lists them per enforcement point. */
export function webhookActions(constraint: ConstraintObject): readonly string[] {
  return constraint.enforcementAction === 'scoped'
    ? constraint.webhookActions
    : [constraint.enforcementAction];
}

/** The audit violations whose message names `image` the way the library templates quote it. */
export function auditViolationsNaming(constraint: ConstraintObject, image: string): AuditViolation[] {
  return constraint.violations.filter((v) => v.message.includes(`<${image}>`));
}

function auditChecks(constraint: ConstraintObject, named: readonly AuditViolation[]): AdmissionCheck[] {
  if (constraint.auditTimestamp === null && constraint.violations.length === 0) return [];
  const total = constraint.totalViolations ?? constraint.violations.length;
  const out = [
    check(
      'audit',
      'info',
      `Gatekeeper's audit${constraint.auditTimestamp === null ? '' : ` at ${constraint.auditTimestamp}`} lists ${total} violation${total === 1 ? '' : 's'} of this constraint; ${named.length} name${named.length === 1 ? 's' : ''} this image`,
    ),
  ];
  for (const v of named)
    out.push(
      check(
        'audit-violation',
        'info',
        `${v.kind} ${v.namespace === null ? '' : `${v.namespace}/`}${v.name}: ${v.message}`,
      ),
    );
  return out;
}

function decideOne(
  constraint: ConstraintObject,
  container: GatekeeperContainer,
  pod: PodFacts,
  objects: AdmissionObjects,
): AdmissionDecision | null {
  const match = matchPod(constraint.match, pod);
  if (match.matches === false) return null;
  const policy = { kind: constraint.meta.kind, name: constraint.meta.name, namespace: null };
  const checks: AdmissionCheck[] = [
    check('match', match.matches === null ? 'unknown' : 'pass', match.detail),
  ];
  const named = auditViolationsNaming(constraint, container.image);
  const audit = auditChecks(constraint, named);
  const actions = webhookActions(constraint);
  const template = chooseTemplate(constraint, objects);
  const decision = (allowed: boolean | null, message: string): AdmissionDecision => ({
    controller: 'gatekeeper',
    policy,
    allowed,
    message,
    checks: [...checks, ...audit],
  });

  if (template.kind === 'opaque') {
    checks.push(check('template', 'unknown', template.detail));
    const deniedHere = named.some(
      (v) =>
        v.namespace === pod.namespace &&
        (v.enforcementAction || 'deny') === 'deny' &&
        actions.includes('deny'),
    );
    if (deniedHere && match.matches === true) {
      checks.push(
        check(
          'audit',
          'fail',
          `the audit found this image violating the constraint in namespace ${pod.namespace}, with enforcementAction deny`,
        ),
      );
      return decision(
        false,
        named
          .filter((v) => v.namespace === pod.namespace)
          .map((v) => `[${constraint.meta.name}] ${v.message}`)
          .join('\n'),
      );
    }
    return decision(null, `not evaluated: template ${template.name}`);
  }
  checks.push(check('template', 'info', template.detail));
  const result = evaluateRepoTemplate(template.variant, constraint.parameters, container);
  if (!result.ok) {
    checks.push(check('repos', 'unknown', result.error));
    return decision(null, `not evaluated: ${result.error}`);
  }
  const verb = template.variant.template === 'k8sallowedrepos' ? 'allowed' : 'disallowed';
  if (result.violations.length === 0) {
    checks.push(
      check(
        'repos',
        'pass',
        result.matchedRepos.length > 0
          ? `${container.image} (as written in the pod spec) starts with the ${verb} prefix ${result.matchedRepos.map((r) => `"${r}"`).join(', ')}`
          : `${container.image} (as written in the pod spec) starts with none of the ${verb} prefixes`,
      ),
    );
    return decision(true, 'no violation');
  }
  const lines = result.violations.map((m) => `[${constraint.meta.name}] ${m}`);
  checks.push(
    check(
      'repos',
      'fail',
      verb === 'allowed'
        ? `${container.image} (as written in the pod spec) starts with none of the allowed prefixes; the match is a plain string prefix of the image as written`
        : `${container.image} (as written in the pod spec) starts with the disallowed prefix ${result.matchedRepos.map((r) => `"${r}"`).join(', ')}`,
    ),
  );
  if (match.matches === null)
    return decision(null, `cannot tell whether the constraint applies; if it does: ${lines.join('\n')}`);
  if (actions.includes('deny')) {
    checks.push(
      check('enforcement', 'fail', `enforcementAction ${constraint.enforcementAction}: the webhook denies`),
    );
    return decision(false, lines.join('\n'));
  }
  if (actions.includes('warn')) {
    checks.push(
      check('enforcement', 'info', 'enforcementAction warn: the pod is admitted, the client sees a warning'),
    );
    return decision(true, lines.map((l) => `warning: ${l}`).join('\n'));
  }
  if (actions.length === 1 && actions[0] === 'dryrun') {
    checks.push(
      check(
        'enforcement',
        'info',
        'enforcementAction dryrun: admitted; only the audit records the violation',
      ),
    );
    return decision(true, lines.map((l) => `dryrun: ${l}`).join('\n'));
  }
  checks.push(
    check(
      'enforcement',
      'unknown',
      `enforcementAction ${actions.join(', ') || '(none for the webhook)'} is not one the webhook acts on as deny, warn or dryrun`,
    ),
  );
  return decision(actions.length === 0 ? true : null, lines.join('\n'));
}

/** One decision per constraint whose match includes (or may include) the pod. */
export function decideGatekeeper(
  container: GatekeeperContainer,
  pod: PodFacts,
  objects: AdmissionObjects,
): AdmissionDecision[] {
  if (pod.namespaceObject?.meta.labels.has(GATEKEEPER_IGNORE_LABEL)) {
    return objects.constraints.length === 0
      ? []
      : [
          {
            controller: 'gatekeeper',
            policy: null,
            allowed: true,
            message: `namespace ${pod.namespace} has the label ${GATEKEEPER_IGNORE_LABEL}: the webhook is not called`,
            checks: [
              check(
                'exempt',
                'pass',
                `Gatekeeper's webhook configuration skips namespaces labelled ${GATEKEEPER_IGNORE_LABEL}`,
              ),
            ],
          },
        ];
  }
  const out: AdmissionDecision[] = [];
  for (const constraint of [...objects.constraints].sort((a, b) =>
    a.meta.name < b.meta.name ? -1 : a.meta.name > b.meta.name ? 1 : 0,
  )) {
    const d = decideOne(constraint, container, pod, objects);
    if (d !== null) out.push(d);
  }
  return out;
}
