// Cluster intent vs node reality, as one pure evaluation: the mirror objects are rendered the way the
// MCO renders them (per built-in pool, from the pool's template), then compared with the generated
// MachineConfig, the pool's rendered target, each node's current config (rollout lag) and each
// node's files on disk (drift).
import { createHash } from 'node:crypto';
import { renderFindings } from '../mco/findings.js';
import { MachineConfigs } from './machine-config-lookup.js';
import { nodeDrift, nodeLag } from './node-rollout.js';
import { objectRollout } from './object-rollout.js';
import {
  checkGenerated,
  checkOverride,
  generatedConfigName,
  generatorPool,
  profileFor,
  renderIntent,
  type GeneratedCheck,
  type OverrideCheck,
  type PoolIntent,
} from './pool-intent.js';
import type {
  ClusterFinding,
  IntentEvaluation,
  IntentInput,
  LaggingNode,
  NodeMcoState,
  PoolRollout,
  PoolState,
} from './types.js';

const DEFAULT_GRACE_MS = 120_000;
const MCC_LOG =
  'oc logs -n openshift-machine-config-operator deploy/machine-config-controller -c machine-config-controller';

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

function describeNode(n: LaggingNode): string {
  const parts = [
    `currentConfig ${n.currentConfig ?? '(none)'}`,
    `desiredConfig ${n.desiredConfig ?? '(none)'}`,
  ];
  parts.push(`state ${n.state ?? '(none)'}${n.reason ? `: ${n.reason}` : ''}`);
  return `${n.node} (${parts.join(', ')})`;
}

function listNodes(lagging: readonly LaggingNode[], max = 5): string {
  const shown = lagging.slice(0, max).map(describeNode).join('; ');
  return lagging.length > max ? `${shown}; and ${lagging.length - max} more` : shown;
}

function lagFindings(pool: PoolState, lagging: readonly LaggingNode[], members: number): ClusterFinding[] {
  if (lagging.length === 0) return [];
  const files = [...new Set(lagging.flatMap((n) => n.files))].sort().join(', ');
  const done = members - lagging.length;
  const nodes = lagging.map((n) => n.node);
  if (pool.paused)
    return [
      {
        id: 'pool-paused',
        key: `pool-paused:${pool.name}`,
        message: `MachineConfigPool ${pool.name} is paused, so ${lagging.length} of its ${members} nodes stay on a registries configuration other than its target ${pool.target} (${files} differ): ${listNodes(lagging)}.`,
        fix: `Unpause the pool when the change may roll out: oc patch mcp ${pool.name} --type merge -p '{"spec":{"paused":false}}'`,
        nodes,
      },
    ];
  const degraded = lagging.filter((n) => n.state === 'Degraded' || n.state === 'Unreconcilable');
  return [
    {
      id: 'mirror-config-not-rolled-out',
      key: `mirror-config-not-rolled-out:${pool.name}:${pool.target}`,
      message: `${done} of the ${members} nodes of pool ${pool.name} run its target ${pool.target}; ${lagging.length} still pull with an older registries configuration (${files} differ): ${listNodes(lagging)}.`,
      fix:
        degraded.length > 0
          ? `Fix what stops ${degraded.map((n) => n.node).join(', ')} (the reason above; oc logs -n openshift-machine-config-operator the machine-config-daemon pod on the node); the others follow one at a time (oc get mcp ${pool.name}).`
          : `Wait for the rollout (oc get mcp ${pool.name}; nodes update maxUnavailable at a time); if it does not move, check the machine-config-daemon on the nodes named.`,
      nodes,
    },
  ];
}

function generatedFinding(
  pool: PoolState,
  intent: PoolIntent,
  check: GeneratedCheck,
  nodes: string[],
): ClusterFinding[] {
  if (check.state !== 'differs' && check.state !== 'missing') return [];
  const name = generatedConfigName(intent.generator);
  return [
    {
      id: 'mirror-config-not-generated',
      key: `mirror-config-not-generated:${name}`,
      message: `MachineConfig ${name} does not carry what the mirror objects render to for pool ${pool.name}: ${check.difference}. The objects render without error, so the machine-config-controller has failed or stalled on them.`,
      fix: `Read the controller's reason: ${MCC_LOG} | grep 'image config'`,
      nodes,
    },
  ];
}

function overrideFinding(
  pool: PoolState,
  check: OverrideCheck,
  generated: string,
  nodes: string[],
): ClusterFinding[] {
  if (check.paths.length === 0) return [];
  const files = check.paths.join(', ');
  const by =
    check.by.length > 0
      ? `MachineConfig ${check.by.join(', ')} replaces ${files} of ${generated}`
      : `its ${files} is not the one ${generated} holds (no source config explains it; the render controller may be behind)`;
  return [
    {
      id: 'mirror-config-drift',
      key: `mirror-config-drift:pool:${pool.name}:${pool.target}`,
      message: `In pool ${pool.name}'s target ${pool.target}, ${by}: the ICSP/IDMS/ITMS/image.config objects have no effect on its nodes.`,
      fix:
        check.by.length > 0
          ? `Move what ${check.by.join(', ')} sets into ImageDigestMirrorSet/ImageTagMirrorSet/image.config objects and delete it (oc delete mc ${check.by.join(' ')}).`
          : `Check the pool's RenderDegraded condition (oc describe mcp ${pool.name}) and ${MCC_LOG}.`,
      nodes,
    },
  ];
}

function driftFinding(
  node: NodeMcoState,
  drift: { config: string; files: readonly string[] },
): ClusterFinding {
  return {
    id: 'mirror-config-drift',
    key: `mirror-config-drift:node:${node.name}`,
    message: `On node ${node.name}, ${drift.files.join(', ')} ${drift.files.length === 1 ? 'is' : 'are'} not what its current MachineConfig ${drift.config} wrote: edited by hand or by something other than the MCO. CRI-O pulls with the edited files; the machine-config-daemon reports "content mismatch" and the next update overwrites them.`,
    fix: `Put the change into a mirror object or MachineConfig instead, and restore the file (or let the next update do it); inspect with oc debug node/${node.name} -- chroot /host cat <file>.`,
    nodes: [node.name],
  };
}

function renderFindingsOnce(
  intents: readonly PoolIntent[],
  objects: IntentInput['objects'],
): ClusterFinding[] {
  const out = new Map<string, ClusterFinding>();
  for (const intent of intents)
    for (const f of renderFindings(objects, intent.result)) {
      const key = `${f.id}:${shortHash(`${f.scope ?? ''}\n${f.file ?? ''}\n${f.message}`)}`;
      if (!out.has(key))
        out.set(key, {
          id: f.id,
          key,
          message: f.message,
          fix: f.fix,
          scope: f.scope,
          file: f.file,
          line: f.line,
          nodes: [],
        });
    }
  return [...out.values()];
}

export function evaluateIntent(input: IntentInput): IntentEvaluation {
  const configs = new MachineConfigs(input.machineConfigs);
  const withinGrace = input.nowMs - input.objectsChangedAtMs < (input.graceMs ?? DEFAULT_GRACE_MS);
  const membersOf = new Map<string, NodeMcoState[]>();
  for (const n of input.nodes) {
    if (n.pool === null) continue;
    const list = membersOf.get(n.pool);
    if (list === undefined) membersOf.set(n.pool, [n]);
    else list.push(n);
  }

  const { profile, note } = profileFor(input.clusterVersion);
  const intents = new Map<string, PoolIntent | undefined>();
  for (const pool of input.pools) {
    const g = generatorPool(pool);
    if (!intents.has(g)) intents.set(g, renderIntent(input.objects, g, configs, profile));
  }
  const rendered = [...intents.values()].filter((i): i is PoolIntent => i !== undefined);
  const findings: ClusterFinding[] = renderFindingsOnce(rendered, input.objects);

  const pools: PoolRollout[] = input.pools.map((pool) => {
    const members = membersOf.get(pool.name) ?? [];
    const names = members.map((n) => n.name);
    const intent = intents.get(generatorPool(pool));
    const generatedName = generatedConfigName(generatorPool(pool));
    const generated = configs.get(generatedName);
    const check: GeneratedCheck =
      intent === undefined
        ? { state: 'unknown', difference: null }
        : checkGenerated(intent, generated, withinGrace);
    // Custom pools share worker's generated config: report its failure once, under worker.
    if (intent !== undefined && pool.builtIn) findings.push(...generatedFinding(pool, intent, check, names));

    const target = pool.target === null ? null : configs.get(pool.target);
    const override = generated && target ? checkOverride(pool, generated, target, configs) : undefined;
    // A target no source config explains is usually one the render controller is about to replace.
    if (override !== undefined && (override.by.length > 0 || !withinGrace))
      findings.push(...overrideFinding(pool, override, generatedName, names));

    const lagging: LaggingNode[] = [];
    const drifted: string[] = [];
    for (const node of members) {
      const lag = nodeLag(node, pool, configs);
      if (lag) lagging.push(lag);
      const drift = nodeDrift(node, configs);
      if (drift) {
        drifted.push(node.name);
        findings.push(driftFinding(node, drift));
      }
    }
    lagging.sort((a, b) => (a.node < b.node ? -1 : 1));
    findings.push(...lagFindings(pool, lagging, members.length));
    return {
      name: pool.name,
      paused: pool.paused,
      target: pool.target,
      current: pool.current,
      generatedConfig: generatedName,
      generated: check.state,
      overriddenBy: override?.by ?? [],
      nodes: members.length,
      nodesDone: members.filter((n) => n.currentConfig !== null).length - lagging.length,
      lagging,
      drifted: drifted.sort(),
      machineCount: pool.machineCount,
      updatedMachineCount: pool.updatedMachineCount,
      degradedMachineCount: pool.degradedMachineCount,
    };
  });

  for (const mc of input.machineConfigs.values())
    if (mc !== 'not-found' && mc.problems.length > 0)
      findings.push({
        id: 'machine-config-unreadable',
        key: `machine-config-unreadable:${mc.name}`,
        message: `MachineConfig ${mc.name} has registry files mirrorscope cannot decode, so they are left out of every comparison: ${mc.problems.join('; ')}.`,
        nodes: [],
      });

  const first = rendered[0];
  return {
    findings,
    rollout: {
      renderErrors: first?.result.errors.map((e) => e.message) ?? [],
      renderWarnings: [
        ...new Set([
          ...(note === null ? [] : [note]),
          ...rendered.flatMap((i) => [...i.warnings, ...i.result.warnings]),
          ...input.objects.notes.map((n) => `${n.file}: ${n.message}`),
        ]),
      ],
      pools,
      objects: objectRollout(input.objects.mirrorSets, input.pools, membersOf, configs),
    },
    wanted: configs.wanted,
  };
}
