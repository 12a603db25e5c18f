/**
 * Evaluation metrics. Classification labels are class indices (0..k-1); probabilities are
 * row-major n×k matrices. All functions are pure and allocate only their result.
 */
type Labels = ArrayLike<number>;

function checkLengths(a: Labels, b: Labels): void {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  if (a.length === 0) throw new Error('metrics need at least one row');
}

/** Fraction of rows where the predicted class equals the true class. */
export function accuracy(yTrue: Labels, yPred: Labels): number {
  checkLengths(yTrue, yPred);
  let ok = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) ok++;
  return ok / yTrue.length;
}

/** Confusion matrix: `m[t][p]` counts rows of true class t predicted as p. */
export function confusionMatrix(yTrue: Labels, yPred: Labels, nClasses?: number): number[][] {
  checkLengths(yTrue, yPred);
  let k = nClasses ?? 0;
  if (nClasses === undefined)
    for (let i = 0; i < yTrue.length; i++) k = Math.max(k, yTrue[i]! + 1, yPred[i]! + 1);
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]!]![yPred[i]!]! += 1;
  return m;
}

export interface PrfOptions {
  /** 'binary' scores the positive class only; 'macro' averages over classes (default 'binary'). */
  average?: 'binary' | 'macro';
  /** Positive class index for 'binary' (default 1). */
  positive?: number;
  nClasses?: number;
}

export interface Prf {
  precision: number;
  recall: number;
  f1: number;
}

/** Precision, recall and F1; a ratio with a zero denominator counts as 0 (as scikit-learn does). */
export function precisionRecallF1(yTrue: Labels, yPred: Labels, options: PrfOptions = {}): Prf {
  const m = confusionMatrix(yTrue, yPred, options.nClasses);
  const forClass = (c: number): Prf => {
    let tp = 0;
    let predicted = 0;
    let actual = 0;
    for (let i = 0; i < m.length; i++) {
      predicted += m[i]![c] ?? 0;
      actual += m[c]?.[i] ?? 0;
    }
    tp = m[c]?.[c] ?? 0;
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = actual === 0 ? 0 : tp / actual;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { precision, recall, f1 };
  };
  if ((options.average ?? 'binary') === 'binary') return forClass(options.positive ?? 1);
  const all = m.map((_, c) => forClass(c));
  const mean = (f: (p: Prf) => number): number => all.reduce((s, p) => s + f(p), 0) / all.length;
  return { precision: mean((p) => p.precision), recall: mean((p) => p.recall), f1: mean((p) => p.f1) };
}

/** Mean negative log-likelihood; probabilities are clipped to [1e-15, 1-1e-15]. */
export function logLoss(yTrue: Labels, proba: ArrayLike<number>, nClasses: number): number {
  if (proba.length !== yTrue.length * nClasses) throw new Error('proba must be n×nClasses');
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const p = Math.min(1 - 1e-15, Math.max(1e-15, proba[i * nClasses + yTrue[i]!]!));
    s -= Math.log(p);
  }
  return s / yTrue.length;
}

/** Area under the ROC curve for binary labels (1 = positive); ties get the average rank. */
export function rocAuc(yTrue: Labels, scores: ArrayLike<number>): number {
  checkLengths(yTrue, scores);
  const n = yTrue.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => scores[a]! - scores[b]!);
  let nPos = 0;
  let rankSumPos = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (yTrue[order[k]!] === 1) {
        nPos++;
        rankSumPos += avgRank;
      }
    }
    i = j + 1;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) throw new Error('ROC AUC needs both classes in yTrue');
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** Root mean squared error. */
export function rmse(yTrue: Labels, yPred: Labels): number {
  checkLengths(yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) s += (yTrue[i]! - yPred[i]!) ** 2;
  return Math.sqrt(s / yTrue.length);
}

/** Mean absolute error. */
export function mae(yTrue: Labels, yPred: Labels): number {
  checkLengths(yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) s += Math.abs(yTrue[i]! - yPred[i]!);
  return s / yTrue.length;
}

/** Coefficient of determination, 1 - SS_res / SS_tot. */
export function r2(yTrue: Labels, yPred: Labels): number {
  checkLengths(yTrue, yPred);
  let mean = 0;
  for (let i = 0; i < yTrue.length; i++) mean += yTrue[i]!;
  mean /= yTrue.length;
  let res = 0;
  let tot = 0;
  for (let i = 0; i < yTrue.length; i++) {
    res += (yTrue[i]! - yPred[i]!) ** 2;
    tot += (yTrue[i]! - mean) ** 2;
  }
  return tot === 0 ? (res === 0 ? 1 : 0) : 1 - res / tot;
}
