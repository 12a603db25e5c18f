/** Turns a model's scores for one input file into per-row samples, the shape jobs store. */
import type { Scores } from '../serving/serving.types.js';

export interface PredictSample {
  /** `<file>` when the file has one row, else `<file>#<row>` (rows from 0). */
  sampleId: string;
  input: string;
  row: number;
  /**
   * Classification: the labels with probability ≥ threshold, most probable first.
   * Other target types: every output column in order.
   */
  predictions: Array<{ label: string; score: number }>;
}

const CLASSIFICATION = new Set(['binary', 'multiclass']);

export function samplesOf(
  fileName: string,
  targetType: string,
  scores: Scores,
  labels: string[] | null,
  threshold: number | null,
): PredictSample[] {
  const k = scores.columns.length;
  const out: PredictSample[] = [];
  for (let r = 0; r < scores.nRows; r++) {
    let predictions = scores.columns.map((c, j) => ({
      label: labels?.[j] ?? c,
      score: scores.values[r * k + j]!,
    }));
    if (CLASSIFICATION.has(targetType)) {
      predictions.sort((a, b) => b.score - a.score);
      if (threshold !== null) predictions = predictions.filter((p) => p.score >= threshold);
    }
    out.push({
      sampleId: scores.nRows === 1 ? fileName : `${fileName}#${r}`,
      input: fileName,
      row: r,
      predictions,
    });
  }
  return out;
}
