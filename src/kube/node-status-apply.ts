// Server-side apply of the collector's own node condition, through the nodes/status subresource.
// The apply names only the condition of our type, so each write leaves the kubelet's conditions (and
// any other manager's) alone; applying no condition releases ours, which the API server then deletes.
import { PatchStrategy, setHeaderOptions, type CoreV1Api } from '@kubernetes/client-node';
import type { NodeCondition } from '../core/kube-writes/node-condition.js';

/** The field manager of everything the collector writes with server-side apply. */
export const FIELD_MANAGER = 'mirrorscope';

export async function applyNodeCondition(
  core: CoreV1Api,
  node: string,
  condition: NodeCondition | null,
): Promise<void> {
  await core.patchNodeStatus(
    {
      name: node,
      body: {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: node },
        status: condition === null ? {} : { conditions: [condition] },
      },
      fieldManager: FIELD_MANAGER,
      // The collector is the one authority for this condition type: take it over from whoever
      // touched it by hand (the documented practice for controllers).
      force: true,
    },
    setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
  );
}
