/**
 * The synthetic benchmark suite of ../shared/reference/hpo.md §4–5 (all minimised), plus shifted
 * copies of the centred functions and the two multi-fidelity functions used for pruners.
 * bench/hpo/optuna_run.py implements the same definitions for the Optuna side.
 */
export interface Problem {
  name: string;
  bounds: [number, number][];
  fStar: number;
  f: (x: readonly number[]) => number;
}

const { PI, cos, sin, exp, sqrt } = Math;

function branin(x: readonly number[], s = 1): number {
  const [x1, x2] = x as [number, number];
  const b = 5.1 / (4 * PI * PI) - 0.1 * (1 - s);
  const c = 5 / PI;
  const t = 1 / (8 * PI);
  return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * cos(x1) + 10;
}

const H3A = [
  [3, 10, 30],
  [0.1, 10, 35],
  [3, 10, 30],
  [0.1, 10, 35],
];
const H3P = [
  [3689, 1170, 2673],
  [4699, 4387, 7470],
  [1091, 8732, 5547],
  [381, 5743, 8828],
].map((r) => r.map((v) => v * 1e-4));
const H6A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H6P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((r) => r.map((v) => v * 1e-4));

function hartmann(A: number[][], P: number[][], x: readonly number[], s = 1): number {
  const alpha = [1 - 0.1 * (1 - s), 1.2, 3, 3.2];
  let total = 0;
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    for (let j = 0; j < x.length; j++) inner += A[i]![j]! * (x[j]! - P[i]![j]!) ** 2;
    total -= alpha[i]! * exp(-inner);
  }
  return total;
}

const rosenbrock = (x: readonly number[]): number => {
  let s = 0;
  for (let i = 0; i < x.length - 1; i++) s += 100 * (x[i + 1]! - x[i]! ** 2) ** 2 + (x[i]! - 1) ** 2;
  return s;
};
const ackley = (x: readonly number[]): number => {
  const d = x.length;
  let s1 = 0;
  let s2 = 0;
  for (const v of x) {
    s1 += v * v;
    s2 += cos(2 * PI * v);
  }
  return -20 * exp(-0.2 * sqrt(s1 / d)) - exp(s2 / d) + 20 + Math.E;
};
const levy = (x: readonly number[]): number => {
  const w = x.map((v) => 1 + (v - 1) / 4);
  const d = w.length;
  let s = sin(PI * w[0]!) ** 2;
  for (let i = 0; i < d - 1; i++) s += (w[i]! - 1) ** 2 * (1 + 10 * sin(PI * w[i]! + 1) ** 2);
  return s + (w[d - 1]! - 1) ** 2 * (1 + sin(2 * PI * w[d - 1]!) ** 2);
};
const styblinski = (x: readonly number[]): number =>
  0.5 * x.reduce((s, v) => s + v ** 4 - 16 * v * v + 5 * v, 0);
const rastrigin = (x: readonly number[]): number =>
  10 * x.length + x.reduce((s, v) => s + v * v - 10 * cos(2 * PI * v), 0);
const michalewicz = (x: readonly number[]): number =>
  -x.reduce((s, v, i) => s + sin(v) * sin(((i + 1) * v * v) / PI) ** 20, 0);

const box = (lo: number, hi: number, d: number): [number, number][] =>
  Array.from({ length: d }, () => [lo, hi]);

/** Fixed per-instance offsets (fraction of the range) for the shifted copies; same in optuna_run.py. */
export const SHIFTS: Record<string, number[]> = {
  ackley5: [0.13, -0.07, 0.17, -0.15, 0.04],
  rastrigin5: [-0.11, 0.16, 0.05, -0.18, 0.09],
};

function shifted(p: Problem): Problem {
  const delta = SHIFTS[p.name]!.map((fr, j) => fr * (p.bounds[j]![1] - p.bounds[j]![0]));
  return { ...p, name: `${p.name}_shifted`, f: (x) => p.f(x.map((v, j) => v - delta[j]!)) };
}

const STYB = -39.16616570377142;
const base: Problem[] = [
  {
    name: 'branin2',
    bounds: [
      [-5, 10],
      [0, 15],
    ],
    fStar: 0.397887357729739,
    f: (x) => branin(x),
  },
  { name: 'hartmann3', bounds: box(0, 1, 3), fStar: -3.86278214782076, f: (x) => hartmann(H3A, H3P, x) },
  { name: 'hartmann6', bounds: box(0, 1, 6), fStar: -3.32236801141551, f: (x) => hartmann(H6A, H6P, x) },
  { name: 'rosenbrock5', bounds: box(-5, 10, 5), fStar: 0, f: rosenbrock },
  { name: 'levy5', bounds: box(-10, 10, 5), fStar: 0, f: levy },
  { name: 'styblinski5', bounds: box(-5, 5, 5), fStar: STYB * 5, f: styblinski },
  { name: 'styblinski10', bounds: box(-5, 5, 10), fStar: STYB * 10, f: styblinski },
  { name: 'michalewicz5', bounds: box(0, PI, 5), fStar: -4.687658179, f: michalewicz },
  { name: 'ackley5', bounds: box(-32.768, 32.768, 5), fStar: 0, f: ackley },
  { name: 'ackley10', bounds: box(-32.768, 32.768, 10), fStar: 0, f: ackley },
  { name: 'rastrigin5', bounds: box(-5.12, 5.12, 5), fStar: 0, f: rastrigin },
];

/** The 11 gate functions followed by the 2 shifted copies. */
export const SYNTHETIC: Problem[] = [
  ...base,
  shifted(base.find((p) => p.name === 'ackley5')!),
  shifted(base.find((p) => p.name === 'rastrigin5')!),
];

export interface FidelityProblem {
  name: string;
  bounds: [number, number][];
  fStar: number;
  /** Objective at fidelity s ∈ (0, 1]; s = 1 is the real function. */
  f: (x: readonly number[], s: number) => number;
}

/** BoTorch's augmented Hartmann6 and Branin (hpo.md §4): the fidelity perturbs one coefficient. */
export const MULTI_FIDELITY: FidelityProblem[] = [
  {
    name: 'aug_hartmann6',
    bounds: box(0, 1, 6),
    fStar: -3.32236801141551,
    f: (x, s) => hartmann(H6A, H6P, x, s),
  },
  {
    name: 'aug_branin',
    bounds: [
      [-5, 10],
      [0, 15],
    ],
    fStar: 0.397887357729739,
    f: (x, s) => branin(x, s),
  },
];
