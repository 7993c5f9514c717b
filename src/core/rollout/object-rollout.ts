// The rollout view of the report: for each mirror object, how many nodes' current configs apply it,
// per pool, and whether each pool's target does.
import { REGISTRIES_CONF_PATH } from '../mco/render.js';
import type { MirrorSetObject } from '../mco/types.js';
import type { RegistriesConfig } from '../registries/types.js';
import type { MachineConfigView } from './machine-config.js';
import type { MachineConfigs } from './machine-config-lookup.js';
import { appliesObject } from './object-coverage.js';
import { loadRegistriesText } from './registries-equivalence.js';
import type { NodeMcoState, ObjectRollout, PoolState } from './types.js';

/** Rendered configs are immutable (their name is a hash of their content): load each once. */
const loaded = new WeakMap<MachineConfigView, RegistriesConfig | null>();

function registriesOf(mc: MachineConfigView): RegistriesConfig | null {
  if (loaded.has(mc)) return loaded.get(mc)!;
  const file = mc.files.get(REGISTRIES_CONF_PATH);
  const result = file === undefined ? null : loadRegistriesText(file.path, file.text);
  const config = result !== null && 'config' in result ? result.config : null;
  loaded.set(mc, config);
  return config;
}

function applies(mc: MachineConfigView | null | undefined, object: MirrorSetObject): boolean | null {
  if (mc === undefined || mc === null) return null;
  const config = registriesOf(mc);
  return config === null ? object.entries.length === 0 : appliesObject(config, object);
}

/** `membersOf`: each pool's nodes (evaluate.ts groups them once); those without a currentConfig are not counted. */
export function objectRollout(
  objects: readonly MirrorSetObject[],
  pools: readonly PoolState[],
  membersOf: ReadonlyMap<string, readonly NodeMcoState[]>,
  configs: MachineConfigs,
): ObjectRollout[] {
  const nodesByPool = new Map(
    [...membersOf].map(([pool, members]) => [pool, members.filter((n) => n.currentConfig !== null)] as const),
  );
  return objects.map((object) => {
    let nodesApplying = 0;
    let total = 0;
    const perPool = pools.map((pool) => {
      const members = nodesByPool.get(pool.name) ?? [];
      // Nodes share a handful of configs: decide once per config.
      const byConfig = new Map<string, boolean | null>();
      let applying = 0;
      for (const n of members) {
        let verdict = byConfig.get(n.currentConfig!);
        if (verdict === undefined) {
          verdict = applies(configs.get(n.currentConfig!), object);
          byConfig.set(n.currentConfig!, verdict);
        }
        if (verdict === true) applying++;
      }
      nodesApplying += applying;
      total += members.length;
      return {
        pool: pool.name,
        nodesApplying: applying,
        nodes: members.length,
        inTarget: pool.target === null ? null : applies(configs.get(pool.target), object),
      };
    });
    return {
      kind: object.kind,
      name: object.ref.name,
      entries: object.entries.length,
      nodesApplying,
      nodes: total,
      pools: perPool,
    };
  });
}
