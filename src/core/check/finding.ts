// A static-check finding: the catalogue's severity and usual fix, with this problem's message and place.
import { definitionOf, type FindingId } from '../findings/catalogue.js';
import type { Finding } from '../findings/types.js';

export function finding<Id extends FindingId>(
  id: Id,
  message: string,
  file: string | null,
  line: number | null,
  scope: string | null,
  fix?: string,
): Finding<Id> {
  const def = definitionOf(id);
  return { id, severity: def.severity, message, file, line, scope, fix: fix ?? def.fix };
}
