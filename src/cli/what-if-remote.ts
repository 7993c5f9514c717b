// `what-if --collector`: the files go to the collector as they are (it parses them, so errors name
// file and line), the answer comes back as the report.
import type { FlagValues } from '../core/args.js';
import { WHAT_IF_PATH } from '../protocol/messages.js';
import type { WhatIfReport } from '../core/what-if/types.js';
import { collectorBase, postToCollector } from './collector-client.js';
import type { CommandIo } from './command.js';
import { readObjectFiles } from './object-files.js';

export async function whatIfOnCollector(
  files: readonly string[],
  flags: FlagValues,
  io: CommandIo,
): Promise<WhatIfReport | null> {
  const layers = [];
  for (const f of files) layers.push((await readObjectFiles([f])).files);
  const base = collectorBase(flags.collector, io);
  const answer = await postToCollector(
    base,
    WHAT_IF_PATH,
    { layers, delete: (flags.delete as string[] | undefined) ?? [] },
    flags['token-file'],
    io,
  );
  if (!answer.ok) {
    io.stderr.write(`mirrorscope what-if: ${answer.message}\n`);
    return null;
  }
  try {
    const report = JSON.parse(answer.body) as WhatIfReport;
    if (typeof report.summary === 'object' && Array.isArray(report.changes)) return report;
  } catch {
    // reported below
  }
  io.stderr.write('mirrorscope what-if: the collector did not answer with a what-if report\n');
  return null;
}
