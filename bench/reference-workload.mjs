// A fixed piece of work, run in a fresh process before each bench: the kind a report build does
// (small objects, string keys compared, sorted and looked up in a map). Its time says how fast this
// machine runs at that moment, so that figures taken minutes apart, on a shared machine whose speed
// moves, can be set side by side (`npm run bench` prints it as {"bench":"machine",…}).
import { performance } from 'node:perf_hooks';
import process from 'node:process';

const COUNT = 300_000;
const started = performance.now();
const items = [];
for (let i = 0; i < COUNT; i++) items.push({ key: `key-${(i * 7919) % COUNT}`, value: i });
items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
const byKey = new Map();
for (const item of items) byKey.set(item.key, item.value);
let sum = 0;
for (let round = 0; round < 5; round++) for (const item of items) sum += byKey.get(item.key);
if (sum !== 5 * ((COUNT * (COUNT - 1)) / 2)) throw new Error('the reference workload miscounted');
process.stdout.write(`${(performance.now() - started).toFixed(0)}\n`);
