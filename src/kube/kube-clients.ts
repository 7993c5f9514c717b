// The collector's handle on the Kubernetes API: one KubeConfig and the typed clients built from it.
// Only the collector imports @kubernetes/client-node (it costs ~70 MiB RSS and ~300 ms to load).
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { MirrorscopeError } from '../core/errors.js';

export interface KubeClients {
  readonly config: k8s.KubeConfig;
  readonly core: k8s.CoreV1Api;
  readonly authentication: k8s.AuthenticationV1Api;
  readonly authorization: k8s.AuthorizationV1Api;
  /** OpenShift's objects (mirror sets, pools, MachineConfigs) and API discovery. */
  readonly custom: k8s.CustomObjectsApi;
  readonly apis: k8s.ApisApi;
  /** Where the configuration came from, for the start-up log line. */
  readonly source: string;
}

const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * client-node's default chain ends in an unauthenticated http://localhost:8080 when it finds nothing;
 * that only produces endless informer errors, so say once that there are no credentials instead.
 */
function defaultChainIsEmpty(env: NodeJS.ProcessEnv): boolean {
  if (env.KUBECONFIG) return false;
  if (existsSync(path.join(env.HOME ?? homedir(), '.kube', 'config'))) return false;
  return !(env.KUBERNETES_SERVICE_HOST && existsSync(IN_CLUSTER_TOKEN));
}

/**
 * `file` given: that kubeconfig. Otherwise the default chain ($KUBECONFIG, ~/.kube/config, the
 * in-cluster service account); a missing configuration is an error, never a silent localhost.
 */
export function loadKubeClients(file: string | null, env: NodeJS.ProcessEnv = process.env): KubeClients {
  if (file === null && defaultChainIsEmpty(env))
    throw new MirrorscopeError(
      'input-invalid',
      'no Kubernetes cluster credentials found: no --kubeconfig, $KUBECONFIG is not set, ' +
        `${path.join(env.HOME ?? homedir(), '.kube', 'config')} does not exist and this is not a pod with a service account. ` +
        'Pass --kubeconfig FILE, or --auth none to run without the Kubernetes API (loopback listeners only)',
    );
  const config = new k8s.KubeConfig();
  let source: string;
  try {
    if (file !== null) {
      config.loadFromFile(file);
      source = file;
    } else {
      config.loadFromDefault();
      source = process.env.KUBECONFIG ?? 'default kubeconfig / in-cluster service account';
    }
  } catch (err) {
    throw new MirrorscopeError(
      'usage',
      `cannot load the Kubernetes configuration${file === null ? '' : ` ${file}`}: ${(err as Error).message}`,
    );
  }
  const cluster = config.getCurrentCluster();
  if (cluster === null || cluster.server === '')
    throw new MirrorscopeError(
      'usage',
      `the Kubernetes configuration${file === null ? '' : ` ${file}`} names no current cluster`,
    );
  return {
    config,
    core: config.makeApiClient(k8s.CoreV1Api),
    authentication: config.makeApiClient(k8s.AuthenticationV1Api),
    authorization: config.makeApiClient(k8s.AuthorizationV1Api),
    custom: config.makeApiClient(k8s.CustomObjectsApi),
    apis: config.makeApiClient(k8s.ApisApi),
    source: `${source} (${cluster.server})`,
  };
}
