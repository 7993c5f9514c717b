// Writes the report as JSON without building one giant string: a 5,000-node report with 200
// findings per node is hundreds of megabytes, beyond what one V8 string may hold.
import type { ServerResponse } from 'node:http';
import type { ClusterReport } from '../core/report/types.js';

async function write(res: ServerResponse, chunk: string): Promise<void> {
  if (!res.write(chunk)) await new Promise<void>((resolve) => res.once('drain', resolve));
}

async function writeArray(res: ServerResponse, items: readonly unknown[]): Promise<void> {
  await write(res, '[');
  let buffer = '';
  for (let i = 0; i < items.length; i++) {
    buffer += (i === 0 ? '' : ',') + JSON.stringify(items[i]);
    if (buffer.length > 256 * 1024) {
      await write(res, buffer);
      buffer = '';
    }
    if (res.destroyed) return;
  }
  await write(res, `${buffer}]`);
}

/** Writes `head`'s fields, then each list item by item, as one JSON object. */
export async function streamObject(
  res: ServerResponse,
  head: Readonly<Record<string, unknown>>,
  lists: readonly (readonly [string, readonly unknown[]])[],
): Promise<void> {
  const text = JSON.stringify(head);
  await write(res, text.slice(0, -1));
  let first = text === '{}';
  for (const [name, items] of lists) {
    await write(res, `${first ? '' : ','}${JSON.stringify(name)}:`);
    first = false;
    await writeArray(res, items);
  }
  res.end('}\n');
}

export async function streamReport(res: ServerResponse, report: ClusterReport): Promise<void> {
  const { causes, problems, mirrors, images, findingClasses, nodes, ...head } = report;
  await streamObject(res, head, [
    ['causes', causes],
    ['problems', problems],
    ['mirrors', mirrors],
    ['images', images],
    ['findingClasses', findingClasses],
    ['nodes', nodes],
  ]);
}
