import { assembleRegistriesConfig } from './dist/core/registries/assemble.js';
import { parsePolicy } from './dist/core/policy/parse-policy.js';
import { parseRegistriesD } from './dist/core/signatures/registries-d.js';
import { scanTomlPositions } from './dist/core/toml/positions.js';
import { parse } from 'smol-toml';
const t = (name, f) => { const s = performance.now(); try { f(); console.log(name, 'ok', Math.round(performance.now() - s), 'ms'); } catch (e) { console.log(name, e.constructor.name, String(e.message).slice(0, 100), Math.round(performance.now() - s), 'ms'); } };
for (const n of [20000, 60000]) {
  const hdr = '[' + Array.from({ length: n }, (_, i) => 'p' + i).join('.') + ']\nx = 1\n';
  t(`smol ${n}`, () => parse(hdr));
  t(`positions ${n}`, () => scanTomlPositions(hdr));
  t(`registries.conf header ${n}`, () => assembleRegistriesConfig({ main: { path: '/r.conf', text: hdr }, dropIns: [] }));
}
t('policy deep 3000', () => parsePolicy({ path: '/p.json', text: '{"default":' + '['.repeat(3000) + ']'.repeat(3000) + '}' }));
t('policy deep 20000', () => parsePolicy({ path: '/p.json', text: '['.repeat(20000) }));
const scopes = {}; for (let i = 0; i < 130000; i++) scopes['r' + i + '.example.com'] = [{ type: 'insecureAcceptAnything' }];
const ptext = JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }], transports: { docker: scopes } });
t('policy 130k', () => parsePolicy({ path: '/p.json', text: ptext }));
const big = 'docker:\n' + Array.from({length: 20000}, (_, i) => `  reg${i}.example.com:\n    lookaside: https://x/${i}\n`).join('');
t('registries.d 20k', () => parseRegistriesD([{ path: '/a.yaml', text: big }]));
let conf = ''; let i = 0; while (conf.length < 16 * 1024 * 1024) { conf += `[[registry]]\nprefix = "quay.io/t${i}"\nlocation = "m${i}.example.com/t"\n[[registry.mirror]]\nlocation = "mm${i}.example.com/t"\n`; i++; }
t('16MiB registries.conf', () => assembleRegistriesConfig({ main: { path: '/r.conf', text: conf }, dropIns: [] }));
console.log('rss MB', Math.round(process.memoryUsage().rss / 1e6));
