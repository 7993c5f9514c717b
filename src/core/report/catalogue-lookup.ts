// Catalogue lookups by a plain string id (agents may run a newer catalogue than the collector).
import { CATALOGUE } from '../findings/catalogue.js';
import type { FindingDefinition, Severity } from '../findings/types.js';

const BY_ID: Readonly<Record<string, FindingDefinition | undefined>> = CATALOGUE;

export function findingDefinition(id: string): FindingDefinition | undefined {
  return BY_ID[id];
}

export function catalogueSeverity(id: string, fallback: Severity = 'error'): Severity {
  return BY_ID[id]?.severity ?? fallback;
}

export function catalogueFix(id: string): string {
  return BY_ID[id]?.fix ?? '';
}
