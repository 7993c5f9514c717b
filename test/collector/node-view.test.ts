// A Node update that touches nothing the collector reads (the kubelet's status reports, the condition
// mirrorscope writes) is not a change; labels, annotations (MCO state), nodeInfo, arrival and removal are.
import type { V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { NodeViews } from '../../src/collector/node-view.js';

const node = (name: string, over: Partial<V1Node> = {}): V1Node => ({
  metadata: { name, uid: `uid-${name}`, labels: { 'node-role.kubernetes.io/worker': '' }, annotations: {} },
  status: { nodeInfo: { containerRuntimeVersion: 'cri-o://1.29.4', architecture: 'amd64' } as never },
  ...over,
});

describe('NodeViews', () => {
  it('ignores status-only updates and sees every change the collector reads', () => {
    const views = new NodeViews();
    const w1 = node('w1');
    expect(views.changed([w1])).toBe(true);
    expect(views.changed([w1])).toBe(false);
    const heartbeat: V1Node = {
      ...w1,
      status: {
        ...w1.status,
        conditions: [{ type: 'ImagePullsPredicted', status: 'False', reason: 'TlsCaMissing' }],
      },
    };
    expect(views.changed([heartbeat])).toBe(false);
    const annotated: V1Node = {
      ...heartbeat,
      metadata: {
        ...heartbeat.metadata,
        annotations: { 'machineconfiguration.openshift.io/state': 'Working' },
      },
    };
    expect(views.changed([annotated])).toBe(true);
    const upgraded: V1Node = {
      ...annotated,
      status: { nodeInfo: { ...annotated.status!.nodeInfo!, containerRuntimeVersion: 'cri-o://1.30.1' } },
    };
    expect(views.changed([upgraded])).toBe(true);
    const relabelled: V1Node = { ...upgraded, metadata: { ...upgraded.metadata, labels: {} } };
    expect(views.changed([relabelled])).toBe(true);
    expect(views.changed([relabelled, node('w2')])).toBe(true);
    expect(views.changed([relabelled, node('w2')])).toBe(false);
    expect(views.changed([node('w2')])).toBe(true);
  });
});
