// Writes one ConfigMap: replace it, or create it when it does not exist yet.
import type { CoreV1Api, V1ConfigMap } from '@kubernetes/client-node';
import { kubeStatusCode } from './api-error.js';

export async function writeConfigMap(
  core: CoreV1Api,
  namespace: string,
  name: string,
  data: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>> = {},
): Promise<'created' | 'replaced'> {
  const body: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, labels: { ...labels } },
    data: { ...data },
  };
  try {
    await core.replaceNamespacedConfigMap({ name, namespace, body });
    return 'replaced';
  } catch (err) {
    if (kubeStatusCode(err) !== 404) throw err;
  }
  try {
    await core.createNamespacedConfigMap({ namespace, body });
    return 'created';
  } catch (err) {
    // Created by someone else between the two calls: replace it after all.
    if (kubeStatusCode(err) !== 409) throw err;
    await core.replaceNamespacedConfigMap({ name, namespace, body });
    return 'replaced';
  }
}
