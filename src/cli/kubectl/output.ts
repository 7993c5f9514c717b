// kubectl-style output: `-o` picks a table (default), a wide table, JSON or YAML. Tables are what
// `kubectl get` prints: upper-case headers, columns padded to their widest cell, three spaces apart.
import { stringify } from 'yaml';
import { MirrorscopeError } from '../../core/errors.js';

export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml';

const FORMATS: readonly OutputFormat[] = ['table', 'wide', 'json', 'yaml'];

export function outputFormat(flag: unknown, allowed: readonly OutputFormat[] = FORMATS): OutputFormat {
  const value = flag === undefined ? 'table' : String(flag);
  if (!(allowed as readonly string[]).includes(value))
    throw new MirrorscopeError(
      'usage',
      `-o ${value} is not an output format of this command (one of: ${allowed.join(', ')})`,
    );
  return value as OutputFormat;
}

export interface Column<T> {
  readonly header: string;
  readonly value: (row: T) => string;
  /** Only with `-o wide`. */
  readonly wide?: boolean;
}

export function table<T>(rows: readonly T[], columns: readonly Column<T>[], wide: boolean): string {
  const shown = columns.filter((c) => wide || c.wide !== true);
  const cells = [
    shown.map((c) => c.header),
    ...rows.map((r) => shown.map((c) => c.value(r).replace(/\s+/g, ' ') || '<none>')),
  ];
  const widths = shown.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
  return `${cells
    .map((line) =>
      line
        .map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths[i]! + 3)))
        .join('')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

export function document(value: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : stringify(value);
}
