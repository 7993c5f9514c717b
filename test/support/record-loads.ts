// A preload script (`node --require FILE`) that appends the path or URL of every module the process
// loads to the file named by $MIRRORSCOPE_TEST_LOADS: which packages a command really loads.
/** Records every module the process loads, CommonJS (also `require` of an ES module) and ES modules. */
export const RECORD_LOADS = `
const Module = require('node:module');
const { appendFileSync } = require('node:fs');
const out = process.env.MIRRORSCOPE_TEST_LOADS;
const load = Module._load;
Module._load = function (request, parent, isMain) {
  let file = request;
  try { file = Module._resolveFilename(request, parent, isMain); } catch {}
  appendFileSync(out, file + '\\n');
  return load.apply(this, arguments);
};
Module.register('data:text/javascript,' + encodeURIComponent(\`
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(\${JSON.stringify(out)}, r.url + '\\\\n');
  return r;
}\`));
`;
