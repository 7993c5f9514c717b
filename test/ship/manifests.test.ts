// Renders every kustomization with kubectl and checks each object against the Kubernetes schemas
// (kubernetes-models) and OpenShift's SCC schema, then the properties the deployment promises:
// read-only hostPath directories, least-privilege RBAC, a locked-down agent.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/cli.js';

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [k: string]: unknown;
};

const KUSTOMIZATIONS = [
  'daemonset/base',
  'daemonset/overlays/openshift',
  'daemonset/overlays/openshift-pull-secret',
  'daemonset/overlays/openshift-pod-pull-secrets',
];

function render(dir: string): Obj[] {
  const out = execFileSync('kubectl', ['kustomize', `${REPO}/${dir}`], { encoding: 'utf8' });
  return parseAllDocuments(out).map((d) => d.toJSON() as Obj);
}

const MODEL_MODULES: Record<string, string> = {
  v1: 'kubernetes-models/v1',
  'apps/v1': 'kubernetes-models/apps/v1',
  'rbac.authorization.k8s.io/v1': 'kubernetes-models/rbac.authorization.k8s.io/v1',
  'scheduling.k8s.io/v1': 'kubernetes-models/scheduling.k8s.io/v1',
};

const sccSchema = JSON.parse(
  readFileSync(`${REPO}/test/fixtures/schemas/securitycontextconstraints.schema.json`, 'utf8'),
) as object;
const validateScc = new Ajv({ allErrors: true, strict: false }).compile(sccSchema);
const monitoringSchemas = JSON.parse(
  readFileSync(`${REPO}/test/fixtures/schemas/monitoring.coreos.com.schema.json`, 'utf8'),
) as { definitions: Record<string, object> };
const monitoringAjv = new Ajv({ allErrors: true, strict: false });

async function validate(obj: Obj): Promise<void> {
  if (obj.kind === 'SecurityContextConstraints') {
    const valid = validateScc(structuredClone(obj));
    if (!valid) throw new Error(`SCC ${obj.metadata.name}: ${JSON.stringify(validateScc.errors)}`);
    return;
  }
  if (obj.apiVersion === 'monitoring.coreos.com/v1') {
    const schema = monitoringSchemas.definitions[obj.kind];
    if (schema === undefined) throw new Error(`no schema for ${obj.apiVersion} ${obj.kind}`);
    const check = monitoringAjv.compile(schema);
    if (!check(structuredClone(obj)))
      throw new Error(`${obj.kind} ${obj.metadata.name}: ${JSON.stringify(check.errors)}`);
    return;
  }
  const modulePath = MODEL_MODULES[obj.apiVersion];
  if (modulePath === undefined) throw new Error(`no schema for ${obj.apiVersion} ${obj.kind}`);
  const models = (await import(modulePath)) as Record<string, new (o: unknown) => { validate(): void }>;
  const Model = models[obj.kind];
  if (Model === undefined) throw new Error(`no model for ${obj.apiVersion} ${obj.kind}`);
  new Model(obj).validate();
}

type PodSpec = {
  securityContext?: Record<string, unknown>;
  containers: {
    name: string;
    args?: string[];
    env?: { name: string; value?: string }[];
    securityContext?: Record<string, unknown>;
    resources?: { limits?: Record<string, string> };
    volumeMounts?: { name: string; readOnly?: boolean; mountPath: string }[];
  }[];
  volumes?: {
    name: string;
    hostPath?: { path: string; type?: string };
    projected?: { sources: { serviceAccountToken?: { audience?: string } }[] };
  }[];
  tolerations?: unknown[];
  priorityClassName?: string;
};

const podSpec = (o: Obj): PodSpec => (o.spec as { template: { spec: PodSpec } }).template.spec;

/** The rules each service account ends up with, through every binding in the rendered set. */
function grants(
  objects: Obj[],
  sa: string,
): { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }[] {
  const roles = new Map(
    objects
      .filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role')
      .map((o) => [`${o.kind}/${o.metadata.name}`, o]),
  );
  const rules = [];
  for (const b of objects.filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding')) {
    const subjects = (b.subjects as { kind: string; name: string }[]) ?? [];
    if (!subjects.some((s) => s.kind === 'ServiceAccount' && s.name === sa)) continue;
    const ref = b.roleRef as { kind: string; name: string };
    if (ref.name === 'system:auth-delegator') {
      rules.push(
        { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
        { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
      );
      continue;
    }
    const role = roles.get(`${ref.kind}/${ref.name}`);
    if (role === undefined)
      throw new Error(
        `binding ${b.metadata.name} refers to a role that is not shipped: ${ref.kind}/${ref.name}`,
      );
    rules.push(
      ...(role.rules as {
        apiGroups: string[];
        resources: string[];
        verbs: string[];
        resourceNames?: string[];
      }[]),
    );
  }
  return rules;
}

const COLLECTOR_ALLOWED: Record<string, string[]> = {
  'authentication.k8s.io/tokenreviews': ['create'],
  'authorization.k8s.io/subjectaccessreviews': ['create'],
  // get: the agent pod a token is bound to, in the collector's namespace only (a Role, see below).
  '/pods': ['list', 'watch', 'get'],
  '/nodes': ['list', 'watch'],
  // create and patch: PredictedPullFailure Events and their series count (docs/kubernetes-surfaces.md).
  '/events': ['list', 'watch', 'create', 'patch'],
  // The ImagePullsPredicted condition, by server-side apply (a patch) of the status subresource only.
  '/nodes/status': ['patch'],
  '/configmaps': ['create', 'get', 'update', 'patch'],
  'operator.openshift.io/imagecontentsourcepolicies': ['get', 'list', 'watch'],
  'config.openshift.io/imagedigestmirrorsets': ['get', 'list', 'watch'],
  'config.openshift.io/imagetagmirrorsets': ['get', 'list', 'watch'],
  'config.openshift.io/images': ['get', 'list', 'watch'],
  'config.openshift.io/clusterversions': ['get', 'list', 'watch'],
  'config.openshift.io/clusterimagepolicies': ['get', 'list', 'watch'],
  'config.openshift.io/imagepolicies': ['get', 'list', 'watch'],
  'machineconfiguration.openshift.io/machineconfigpools': ['get', 'list', 'watch'],
  // Fetched by name only: listing would copy every rendered config (pull secret included).
  'machineconfiguration.openshift.io/machineconfigs': ['get'],
  // Only with the pod-pull-secrets component, and by name only (checked below).
  '/secrets': ['get'],
};

describe.each(KUSTOMIZATIONS)('%s', (dir) => {
  const objects = render(dir);

  it('renders objects that all validate against their schemas', async () => {
    expect(objects.length).toBeGreaterThan(10);
    for (const obj of objects) await validate(obj);
  });

  it('mounts host directories only, every one read-only', () => {
    for (const o of objects.filter((x) => x.kind === 'DaemonSet' || x.kind === 'Deployment')) {
      const spec = podSpec(o);
      for (const v of spec.volumes ?? []) {
        if (v.hostPath === undefined) continue;
        expect(['Directory', undefined], `${v.name} must be a directory mount`).toContain(v.hostPath.type);
        for (const c of spec.containers) {
          for (const m of c.volumeMounts ?? [])
            if (m.name === v.name) expect(m.readOnly, `${c.name}:${m.mountPath}`).toBe(true);
        }
      }
    }
  });

  it('runs the agent locked down, on every node, with a token for the collector audience', () => {
    const ds = objects.find((o) => o.kind === 'DaemonSet' && o.metadata.name === 'mirrorscope-agent')!;
    const spec = podSpec(ds);
    const agent = spec.containers[0]!;
    expect(agent.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(spec.securityContext).toMatchObject({ seccompProfile: { type: 'RuntimeDefault' } });
    expect(spec.tolerations).toEqual([{ operator: 'Exists' }]);
    expect((ds.spec as { updateStrategy: unknown }).updateStrategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: '10%' },
    });
    expect(
      objects.some((o) => o.kind === 'PriorityClass' && o.metadata.name === spec.priorityClassName),
    ).toBe(true);
    const audiences = (spec.volumes ?? []).flatMap(
      (v) => v.projected?.sources.map((s) => s.serviceAccountToken?.audience) ?? [],
    );
    expect(audiences).toContain('mirrorscope');
    const heap = Number(
      /--max-old-space-size=(\d+)/.exec(agent.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '')?.[1],
    );
    const limitMi = Number(/^(\d+)Mi$/.exec(agent.resources?.limits?.memory ?? '')?.[1]);
    expect(heap).toBeGreaterThan(0);
    expect(heap).toBeLessThan(limitMi);
  });

  it('grants the agent nothing in the Kubernetes API (SCC use only, on OpenShift)', () => {
    for (const rule of grants(objects, 'mirrorscope-agent')) {
      expect(rule).toEqual({
        apiGroups: ['security.openshift.io'],
        resources: ['securitycontextconstraints'],
        resourceNames: ['mirrorscope-agent'],
        verbs: ['use'],
      });
    }
  });

  it('grants the collector nothing beyond its list', () => {
    const rules = grants(objects, 'mirrorscope-collector');
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      for (const group of rule.apiGroups) {
        for (const resource of rule.resources) {
          const allowed = COLLECTOR_ALLOWED[`${group}/${resource}`];
          expect(allowed, `${group}/${resource}`).toBeDefined();
          for (const verb of rule.verbs) expect(allowed, `${verb} ${group}/${resource}`).toContain(verb);
          if (resource === 'configmaps' && rule.verbs.some((v) => v !== 'create'))
            expect(rule.resourceNames).toEqual(['mirrorscope-report']);
        }
      }
    }
    const podReaders = objects.filter(
      (o) =>
        (o.kind === 'ClusterRole' || o.kind === 'Role') &&
        (o.rules as { resources: string[]; verbs: string[] }[]).some(
          (r) => r.resources.includes('pods') && r.verbs.includes('get'),
        ),
    );
    expect(podReaders.map((o) => o.kind)).toEqual(['Role']);
  });
});

describe('the OpenShift overlay', () => {
  const objects = render('daemonset/overlays/openshift');

  it('runs the agent as spc_t under an SCC that allows exactly that', () => {
    const scc = objects.find((o) => o.kind === 'SecurityContextConstraints')!;
    expect(scc).toMatchObject({
      allowHostDirVolumePlugin: true,
      allowPrivilegedContainer: false,
      seLinuxContext: { type: 'RunAsAny' },
      runAsUser: { type: 'MustRunAsNonRoot' },
    });
    const spec = podSpec(objects.find((o) => o.kind === 'DaemonSet')!);
    expect(spec.securityContext).toMatchObject({ seLinuxOptions: { type: 'spc_t' } });
    const binding = objects.find(
      (o) => o.kind === 'RoleBinding' && o.metadata.name === 'mirrorscope-agent-scc',
    )!;
    expect(binding.roleRef).toMatchObject({ name: 'mirrorscope-agent-scc' });
  });

  it('serves the collector with a service-CA certificate that agents trust', () => {
    const svc = objects.find((o) => o.kind === 'Service')!;
    expect(svc.metadata).toMatchObject({
      annotations: { 'service.beta.openshift.io/serving-cert-secret-name': 'mirrorscope-collector-tls' },
    });
    const ca = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'mirrorscope-collector-ca')!;
    expect(ca.metadata).toMatchObject({
      annotations: { 'service.beta.openshift.io/inject-cabundle': 'true' },
    });
    const args = podSpec(objects.find((o) => o.kind === 'DaemonSet')!).containers[0]!.args!;
    expect(args).toContain('--collector=wss://mirrorscope-collector.mirrorscope.svc:8443');
  });

  it('scrapes the collector over TLS on the port its Service names, with a token that may only get nodes', () => {
    const monitor = objects.find((o) => o.kind === 'ServiceMonitor')! as Obj & {
      spec: { endpoints: Record<string, unknown>[]; selector: { matchLabels: Record<string, string> } };
    };
    const svc = objects.find((o) => o.kind === 'Service')! as Obj & {
      metadata: { labels: Record<string, string> };
      spec: { ports: { name: string }[] };
    };
    expect(svc.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(svc.spec.ports.map((p) => p.name)).toContain(monitor.spec.endpoints[0]!.port);
    expect(monitor.spec.endpoints[0]).toMatchObject({
      scheme: 'https',
      tlsConfig: { serverName: 'mirrorscope-collector.mirrorscope.svc' },
      authorization: { credentials: { name: 'mirrorscope-metrics-reader-token' } },
    });
    const secret = objects.find(
      (o) => o.kind === 'Secret' && o.metadata.name === 'mirrorscope-metrics-reader-token',
    )!;
    expect(secret.type).toBe('kubernetes.io/service-account-token');
    expect(grants(objects, 'mirrorscope-metrics-reader')).toEqual([
      { apiGroups: [''], resources: ['nodes'], verbs: ['get'] },
    ]);
    const pods = objects.find((o) => o.kind === 'PodMonitor')! as Obj & {
      spec: { podMetricsEndpoints: { port: string }[] };
    };
    const ports = (
      podSpec(objects.find((o) => o.kind === 'DaemonSet')!).containers[0] as { ports?: { name: string }[] }
    ).ports!;
    expect(ports.map((p) => p.name)).toContain(pods.spec.podMetricsEndpoints[0]!.port);
    const rule = objects.find((o) => o.kind === 'PrometheusRule')!;
    expect(rule.metadata).toMatchObject({
      labels: { 'openshift.io/prometheus-rule-evaluation-scope': 'leaf-prometheus' },
    });
  });
});

describe("reading pods' pull secrets", () => {
  const readsSecrets = (dir: string) =>
    grants(render(dir), 'mirrorscope-collector').filter((r) => r.resources.includes('secrets'));

  it('is granted only by the pod-pull-secrets component: get, never list or watch', () => {
    for (const dir of KUSTOMIZATIONS.filter((d) => !d.endsWith('pod-pull-secrets')))
      expect(readsSecrets(dir), dir).toEqual([]);
    const rules = readsSecrets('daemonset/overlays/openshift-pod-pull-secrets');
    expect(rules).toEqual([{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }]);
  });

  it('turns the collector flag on with the role', () => {
    const objects = render('daemonset/overlays/openshift-pod-pull-secrets');
    const args = podSpec(objects.find((o) => o.kind === 'Deployment')!).containers[0]!.args!;
    expect(args).toContain('--pod-pull-secrets');
    const base = render('daemonset/overlays/openshift');
    expect(podSpec(base.find((o) => o.kind === 'Deployment')!).containers[0]!.args).not.toContain(
      '--pod-pull-secrets',
    );
  });
});
