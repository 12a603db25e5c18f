/**
 * Predictions in MISTK's shapes: rows of predictions.csv (`id,label,confidence`, the header the
 * MISTK examples write and its harness checks) and the per-id values /streamPredict answers.
 */
import type { Column, Frame, Model, Predictions } from '../../learn/index.js';

export const PREDICTIONS_HEADER = 'id,label,confidence';

/** One prediction: the class and its probability, or the value of a regression. */
export type Prediction = { label: string; confidence: number } | number;

function cell(c: Column, row: number): string {
  if (c.kind === 'numeric') {
    const v = c.values[row]!;
    return Number.isNaN(v) ? '' : String(v);
  }
  const code = c.codes[row]!;
  return code < 0 ? '' : c.levels[code]!;
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The prediction of row `i`. */
export function predictionAt(model: Model, p: Predictions, i: number): Prediction {
  if (model.task === 'regression') return p.output[i]!;
  const k = model.classes.length;
  const c = p.classIndex![i]!;
  return { label: model.classes[c]!, confidence: p.output[i * k + c]! };
}

/** predictions.csv rows (no header): id is the `id` column when the data has one, else the row number. */
export function predictionRows(model: Model, frame: Frame, p: Predictions): string[] {
  const idCol = frame.columns.find((c) => c.name === 'id');
  const out: string[] = [];
  for (let i = 0; i < frame.nRows; i++) {
    const id = idCol ? cell(idCol, i) : String(i);
    const v = predictionAt(model, p, i);
    out.push(
      typeof v === 'number'
        ? `${csvField(id)},${v},`
        : `${csvField(id)},${csvField(v.label)},${v.confidence}`,
    );
  }
  return out;
}

/** MISTK's `details`: a markdown summary of one prediction (class probabilities, or the value). */
export function detailsMarkdown(model: Model, p: Predictions, i: number): string {
  if (model.task === 'regression')
    return `**${model.learner}** regression on \`${model.target}\`: predicted value ${p.output[i]}`;
  const k = model.classes.length;
  const rows = model.classes.map((c, j) => `| ${c} | ${p.output[i * k + j]!.toFixed(4)} |`);
  return [
    `**${model.learner}** ${model.task} classification on \`${model.target}\``,
    '',
    '| class | probability |',
    '|---|---|',
    ...rows,
  ].join('\n');
}
