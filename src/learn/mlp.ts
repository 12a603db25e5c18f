/**
 * Multi-layer perceptron (ReLU hidden layers) trained with mini-batch Adam and L2 weight decay.
 * Output: identity + squared error (regression), sigmoid (binary) or softmax (multiclass)
 * with log-loss. One iteration = one epoch; the full optimiser state is checkpointable.
 */
import { addOuter, rowsDotRows } from './mlp-kernels.js';
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
  const batch = Math.min(p.batch_size, n);
  // Batch activations (A[l]: batch × sizes[l], A[L] the raw outputs) and deltas, row-major.
  const A = sizes.map((sz) => new Float64Array(batch * sz));
  const D = sizes.map((sz) => new Float64Array(batch * sz));
  const wt = new Float64Array(Math.max(0, ...sizes.slice(1, L).map((sz, l) => sz * sizes[l + 2]!)));
  const rowsBuf = new Int32Array(batch);
  const grad = new Float64Array(P);
  const order = Uint32Array.from({ length: n }, (_, i) => i);
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
      const bs = e - s;
      lossSum += backprop(s, bs);
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

  /** Forward + backward for the batch order[s..s+bs), accumulating into grad; returns the loss sum. */
  function backprop(s: number, bs: number): number {
    const a0 = A[0]!;
    for (let r = 0; r < bs; r++) {
      const row = order[s + r]!;
      for (let j = 0; j < d; j++) a0[r * d + j] = x[row * d + j]!;
    }
    for (let l = 0; l < L; l++)
      rowsDotRows(A[l]!, bs, sizes[l]!, w, wOff[l]!, sizes[l + 1]!, A[l + 1]!, bOff[l]!, l < L - 1, null);
    const z = A[L]!;
    const dz = D[L]!;
    let loss = 0;
    for (let r = 0; r < bs; r++) {
      const y = target.y[order[s + r]!]!;
      const c = r * out;
      if (target.task === 'regression') {
        dz[c] = z[c]! - y;
        loss += 0.5 * dz[c]! * dz[c]!;
      } else if (target.task === 'binary') {
        const pr = 1 / (1 + Math.exp(-z[c]!));
        dz[c] = pr - y;
        loss -= Math.log(Math.max(1e-15, y === 1 ? pr : 1 - pr));
      } else {
        let max = -Infinity;
        for (let k = 0; k < out; k++) max = Math.max(max, z[c + k]!);
        let sum = 0;
        for (let k = 0; k < out; k++) sum += dz[c + k] = Math.exp(z[c + k]! - max);
        loss += max + Math.log(sum) - z[c + y]!;
        for (let k = 0; k < out; k++) dz[c + k] = dz[c + k]! / sum - (k === y ? 1 : 0);
      }
    }
    for (let l = L - 1; l >= 0; l--) {
      const nin = sizes[l]!;
      const nout = sizes[l + 1]!;
      addOuter(D[l + 1]!, bs, nout, A[l]!, nin, grad, wOff[l]!, bOff[l]!, rowsBuf);
      if (l === 0) break;
      // Deltas of the layer below: D[l+1] · W, as rows of D against rows of Wᵀ, masked by ReLU.
      for (let o = 0; o < nout; o++)
        for (let j = 0; j < nin; j++) wt[j * nout + o] = w[wOff[l]! + o * nin + j]!;
      rowsDotRows(D[l + 1]!, bs, nout, wt, 0, nin, D[l]!, -1, false, A[l]!);
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
