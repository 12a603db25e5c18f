// Dev aid: A/B training speed of two checkouts of src/learn in one process, interleaved, on the
// bench data. `tsx bench/learn/ab.ts /path/to/other/checkout [threads=2] [reps=8] [trees=100]`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as LearnLib from '../../src/learn/index.js';

const [other, threadsArg, repsArg, treesArg] = process.argv.slice(2);
const threads = Number(threadsArg ?? 2);
const reps = Number(repsArg ?? 8);
const trees = Number(treesArg ?? 100);
const here = new URL('../..', import.meta.url).pathname;
type Lib = typeof LearnLib;
const libs: [string, Lib][] = [
  ['other', (await import(join(other!, 'src/learn/index.ts'))) as Lib],
  ['this', (await import(join(here, 'src/learn/index.ts'))) as Lib],
];
const csv = readFileSync(join(here, 'bench/data/learn-binary-200k.csv'));
const frames = libs.map(([, l]) => {
  const f = l.parseCsv(csv);
  return l.takeRows(
    f,
    Uint32Array.from({ length: 160_000 }, (_, i) => i),
  );
});
const times: number[][] = libs.map(() => []);
for (let r = 0; r < reps; r++)
  for (let i = 0; i < libs.length; i++) {
    const k = r % 2 === 0 ? i : libs.length - 1 - i;
    const t0 = performance.now();
    libs[k]![1].train('gbdt', frames[k]!, 'target', {
      n_estimators: trees,
      max_depth: 6,
      n_threads: threads,
    });
    times[k]!.push((performance.now() - t0) / 1000);
  }
const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
libs.forEach(([name], i) =>
  console.log(
    name.padEnd(6),
    'median',
    med(times[i]!).toFixed(3),
    'min',
    Math.min(...times[i]!).toFixed(3),
    times[i]!.map((t) => t.toFixed(2)).join(' '),
  ),
);
console.log('this/other median ratio', (med(times[1]!) / med(times[0]!)).toFixed(3));
