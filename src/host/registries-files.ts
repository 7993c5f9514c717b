// Reads registries.conf, its drop-ins and the machine alias file from a node root.
import path from 'node:path';
import { assembleRegistriesConfig } from '../core/registries/assemble.js';
import { loadMachineAliases } from '../core/registries/machine-aliases.js';
import type { ConfigFile, RegistriesConfig } from '../core/registries/types.js';
import type { ResolverOptions } from '../core/resolve/resolver.js';
import { NODE_PATHS, type NodeRoot } from './node-root.js';
import { readNodeFiles } from './read-text.js';

async function readConfigFile(root: NodeRoot, nodePath: string): Promise<ConfigFile | null> {
  return (await readNodeFiles(root, [nodePath]))[0] ?? null;
}

/** `.conf` entries in lexical order; subdirectories are not descended into (containers/image `dropInConfigs`). */
async function listDropIns(root: NodeRoot, nodeDir: string): Promise<string[]> {
  const entries = (await root.readDir(nodeDir)) ?? [];
  return entries
    .filter((e) => !e.isDirectory && e.name.endsWith('.conf'))
    .map((e) => path.posix.join(nodeDir, e.name));
}

export interface LoadedRegistries {
  readonly config: RegistriesConfig;
  readonly resolverOptions: ResolverOptions;
  /** The raw files, for hashing and drift comparison. */
  readonly files: readonly ConfigFile[];
}

export async function loadNodeRegistries(root: NodeRoot): Promise<LoadedRegistries> {
  const main = await readConfigFile(root, NODE_PATHS.registriesConf);
  const dropIns = await readNodeFiles(root, await listDropIns(root, NODE_PATHS.registriesConfD));
  const config = assembleRegistriesConfig({ main, dropIns });
  const aliasFile = await readConfigFile(root, NODE_PATHS.machineAliases);
  const machine = aliasFile === null ? null : loadMachineAliases(aliasFile);
  const resolverOptions: ResolverOptions = {
    configDescription: [NODE_PATHS.registriesConf, NODE_PATHS.registriesConfD].join(', '),
    ...(machine?.ok === true ? { machineAliases: machine.aliases } : {}),
    ...(machine?.ok === false ? { machineAliasesError: machine.error } : {}),
  };
  const files = [...(main ? [main] : []), ...dropIns, ...(aliasFile ? [aliasFile] : [])];
  return { config, resolverOptions, files };
}
