// MachineConfigs by name for one evaluation, remembering the names asked for that were not there, so
// the collector can fetch exactly those and evaluate again.
import type { MachineConfigView } from './machine-config.js';
import type { MachineConfigLookup } from './types.js';

export class MachineConfigs {
  private readonly missing = new Set<string>();

  constructor(private readonly known: MachineConfigLookup) {}

  /** The config; null when the API has none of that name; undefined when not fetched yet. */
  get(name: string): MachineConfigView | null | undefined {
    const found = this.known.get(name);
    if (found === undefined) {
      this.missing.add(name);
      return undefined;
    }
    return found === 'not-found' ? null : found;
  }

  get wanted(): string[] {
    return [...this.missing].sort();
  }
}
