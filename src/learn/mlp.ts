/**
 * Multi-layer perceptron (ReLU hidden layers) trained with mini-batch Adam and L2 weight decay.
 * Output: identity + squared error (regression), sigmoid (binary) or softmax (multiclass)
 * with log-loss. One iteration = one epoch; the full optimiser state is checkpointable.
 */
import { createRng } from './random.js';
import type { Design, FitOptions, FitResult, MlpPredictor, Target } from './types.js';

export interface MlpParams {
  hidden_layer_sizes: number[];
  learning_rate: number;
  batch_size: number;
  max_iter: number;
  alpha: number;
  tol: number;
  n_iter_no_change: number;
  seed: number;
}

interface MlpState {
  params: number[];
  m: number[];
  v: number[];
  step: number;
  epoch: number;
  rng: number;
  bestLoss: number | null;
  noImprove: number;
}

/** Trains an MLP; weights use Glorot-uniform initialisation from the seed. */
export function fitMlp(design: Design, target: Target, p: MlpParams, opts: FitOptions = {}): FitResult {
  const { nRows: n, nCols: d, columns } = design;
  const out = target.task === 'multiclass' ? target.nClasses : 1;
  const sizes = [d, ...p.hidden_layer_sizes, out];
  const L = sizes.length - 1;
  const wOff: number[] = [];
  const bOff: number[] = [];
  let P = 0;
  for (let l = 0; l < L; l++) {
    wOff.push(P);
    P += sizes[l]! * sizes[l + 1]!;
    bOff.push(P);
    P += sizes[l + 1]!;
  }
  const x = new Float64Array(n * d);
  for (let j = 0; j < d; j++) for (let i = 0; i < n; i++) x[i * d + j] = columns[j]![i]!;
  if (opts.resumeFrom && opts.resumeFrom.learner !== 'mlp') throw new Error('checkpoint is not from mlp');
  const resume = opts.resumeFrom?.state as MlpState | undefined;
  const rng = createRng(p.seed, resume?.rng);
  const w = new Float64Array(P);
  const m = new Float64Array(P);
  const v = new Float64Array(P);
  if (resume) {
    w.set(resume.params);
    m.set(resume.m);
    v.set(resume.v);
  } else {
    for (let l = 0; l < L; l++) {
      const bound = Math.sqrt(6 / (sizes[l]! + sizes[l + 1]!));
      for (let i = wOff[l]!; i < bOff[l]!; i++) w[i] = (rng.next() * 2 - 1) * bound;
      for (let i = bOff[l]!; i < bOff[l]! + sizes[l + 1]!; i++) w[i] = (rng.next() * 2 - 1) * bound;
    }
  }
  let step = resume?.step ?? 0;
  let epoch = resume?.epoch ?? 0;
  let bestLoss = resume?.bestLoss ?? Infinity;
  let noImprove = resume?.noImprove ?? 0;
  const acts = sizes.map((s) => new Float64Array(s));
  const deltas = sizes.map((s) => new Float64Array(s));
  const grad = new Float64Array(P);
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  const batch = Math.min(p.batch_size, n);
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  let lastLoss = NaN;
  while (epoch < p.max_iter) {
    // Shuffle from the identity each epoch so the order depends only on the (checkpointed) rng.
    for (let i = 0; i < n; i++) order[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    let lossSum = 0;
    for (let s = 0; s < n; s += batch) {
      const e = Math.min(n, s + batch);
      grad.fill(0);
      for (let bi = s; bi < e; bi++) lossSum += backprop(order[bi]!);
      const bs = e - s;
      step++;
      const c1 = 1 - b1 ** step;
      const c2 = 1 - b2 ** step;
      for (let l = 0; l < L; l++) {
        for (let i = wOff[l]!; i < bOff[l]! + sizes[l + 1]!; i++) {
          const g = (grad[i]! + (i < bOff[l]! ? p.alpha * w[i]! : 0)) / bs;
          m[i] = b1 * m[i]! + (1 - b1) * g;
          v[i] = b2 * v[i]! + (1 - b2) * g * g;
          w[i]! -= (p.learning_rate * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + eps);
        }
      }
    }
    epoch++;
    lastLoss = lossSum / n;
    if (lastLoss > bestLoss - p.tol) noImprove++;
    else noImprove = 0;
    if (lastLoss < bestLoss) bestLoss = lastLoss;
    if (opts.onIteration?.({ iteration: epoch, metrics: { train_loss: lastLoss } }) === 'stop') break;
    if (noImprove >= p.n_iter_no_change) break;
  }

  /** Forward + backward for one row, accumulating into grad; returns the row loss. */
  function backprop(row: number): number {
    const a0 = acts[0]!;
    for (let j = 0; j < d; j++) a0[j] = x[row * d + j]!;
    for (let l = 0; l < L; l++) {
      const nin = sizes[l]!;
      const nout = sizes[l + 1]!;
      const src = acts[l]!;
      const dst = acts[l + 1]!;
      for (let o = 0; o < nout; o++) {
        let z = w[bOff[l]! + o]!;
        const base = wOff[l]! + o * nin;
        for (let j = 0; j < nin; j++) z += w[base + j]! * src[j]!;
        dst[o] = l === L - 1 || z > 0 ? z : 0;
      }
    }
    const z = acts[L]!;
    const dz = deltas[L]!;
    const y = target.y[row]!;
    let loss: number;
    if (target.task === 'regression') {
      dz[0] = z[0]! - y;
      loss = 0.5 * dz[0]! * dz[0]!;
    } else if (target.task === 'binary') {
      const pr = 1 / (1 + Math.exp(-z[0]!));
      dz[0] = pr - y;
      loss = -Math.log(Math.max(1e-15, y === 1 ? pr : 1 - pr));
    } else {
      let max = -Infinity;
      for (let k = 0; k < out; k++) max = Math.max(max, z[k]!);
      let sum = 0;
      for (let k = 0; k < out; k++) sum += Math.exp(z[k]! - max);
      loss = max + Math.log(sum) - z[y]!;
      for (let k = 0; k < out; k++) dz[k] = Math.exp(z[k]! - max) / sum - (k === y ? 1 : 0);
    }
    for (let l = L - 1; l >= 0; l--) {
      const nin = sizes[l]!;
      const nout = sizes[l + 1]!;
      const src = acts[l]!;
      const dOut = deltas[l + 1]!;
      const dIn = deltas[l]!;
      if (l > 0) dIn.fill(0);
      for (let o = 0; o < nout; o++) {
        const g = dOut[o]!;
        if (g === 0) continue;
        grad[bOff[l]! + o]! += g;
        const base = wOff[l]! + o * nin;
        for (let j = 0; j < nin; j++) {
          grad[base + j]! += g * src[j]!;
          if (l > 0) dIn[j]! += g * w[base + j]!;
        }
      }
      if (l > 0) for (let j = 0; j < nin; j++) if (src[j]! <= 0) dIn[j] = 0;
    }
    return loss;
  }

  const predictor: MlpPredictor = {
    kind: 'mlp',
    link: target.task === 'binary' ? 'sigmoid' : target.task === 'multiclass' ? 'softmax' : 'identity',
    nRaw: out,
    sizes,
    weights: wOff.map((o, l) => w.slice(o, bOff[l]!)),
    biases: bOff.map((o, l) => w.slice(o, o + sizes[l + 1]!)),
  };
  const state: MlpState = {
    params: Array.from(w),
    m: Array.from(m),
    v: Array.from(v),
    step,
    epoch,
    rng: rng.state(),
    bestLoss: Number.isFinite(bestLoss) ? bestLoss : null,
    noImprove,
  };
  return {
    predictor,
    iterations: epoch,
    checkpoint: { learner: 'mlp', iteration: epoch, state: state as unknown as Record<string, unknown> },
    metrics: { train_loss: lastLoss },
  };
}
