// Dev aid: the binary-gradient step over 160k rows, wasm kernel (hist-wasm.ts binaryGradients)
// against the JS loop (computeGradients), interleaved in one process; medians of `reps` passes.
// `tsx bench/learn/gradients.ts [reps=41]`. Scores spread like a boosted model's (|s| up to ~6).
import { computeGradients } from '../../src/learn/gbdt-objective.js';
import { histKernelModule, instantiateKernels } from '../../src/learn/hist-wasm.js';
import { wasm } from '../../src/learn/wasm-asm.js';
import { createRng } from '../../src/learn/random.js';

const reps = Number(process.argv[2] ?? 41);
const n = 160_000;
const mem = new wasm.Memory({ initial: Math.ceil((32 * n + 64) / 65536), maximum: 65536, shared: true });
const kernels = instantiateKernels(histKernelModule(), mem);
const [yAt, sAt, ghAt] = [16, 16 + 8 * n, 16 + 16 * n];
const y = new Float64Array(mem.buffer, yAt, n);
const s = new Float64Array(mem.buffer, sAt, n);
const gh = new Float64Array(mem.buffer, ghAt, 2 * n);
const rng = createRng(1);
for (let i = 0; i < n; i++) {
  y[i] = rng.next() < 0.3 ? 1 : 0;
  s[i] = (rng.next() + rng.next() + rng.next() - 1.5) * 4;
}
const js = (): void => computeGradients({ task: 'binary' }, y, s, 1, [gh]);
const wasmStep = (): void => kernels.binaryGradients(yAt, sAt, ghAt, 0, n);
const runs: [string, () => void, number[]][] = [
  ['js', js, []],
  ['wasm', wasmStep, []],
];
for (let r = 0; r < 20; r++) for (const [, f] of runs) f();
for (let r = 0; r < reps; r++)
  for (const [, f, t] of r % 2 === 0 ? runs : [...runs].reverse()) {
    const t0 = performance.now();
    f();
    t.push(performance.now() - t0);
  }
const med = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!;
for (const [name, , t] of runs)
  console.log(name.padEnd(5), `median ${med(t).toFixed(3)} ms`, `${((med(t) * 1e6) / n).toFixed(2)} ns/row`);
console.log('js/wasm median ratio', (med(runs[0]![2]) / med(runs[1]![2])).toFixed(2));
