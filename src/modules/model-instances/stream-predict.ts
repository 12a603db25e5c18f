/**
 * /streamPredict: each value of the body is base64 data; here that data is one CSV row of feature
 * values in the model's input order (or a header line and one row, when the caller names the
 * columns). Small by nature, so it runs on the request's thread against the cached model.
 */
import { invalid } from '../../errors.js';
import { inputNames, parseCsv, predict, type Model } from '../../learn/index.js';
import { detailsMarkdown, predictionAt, type Prediction } from './predictions.js';

const BASE64 = /^[A-Za-z0-9+/\r\n]*={0,2}\s*$/;

function bad(id: string, rule: string) {
  return invalid(`streamPredict: the data for '${id}' ${rule}`, {
    reason: 'invalid_stream_data',
    errors: [{ field: `body/${id}`, message: rule }],
  });
}

/** The CSV text (header + one row) for one entry, or a 400 naming the id. */
function entryCsv(model: Model, id: string, value: unknown): string {
  if (typeof value !== 'string' || !BASE64.test(value) || value.replace(/\s/g, '').length % 4 !== 0)
    throw bad(id, 'is not base64 text');
  const text = Buffer.from(value, 'base64').toString('utf8');
  if (text.includes('\uFFFD')) throw bad(id, 'does not decode to UTF-8 text');
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const names = inputNames(model);
  if (lines.length === 1) {
    const n = lines[0]!.split(',').length;
    if (n !== names.length)
      throw bad(id, `has ${n} values; the model takes ${names.length} (${names.join(', ')})`);
    return `${names.map((c) => (/[",]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')}\n${lines[0]}\n`;
  }
  if (lines.length === 2) return `${lines[0]}\n${lines[1]}\n`;
  throw bad(
    id,
    lines.length === 0
      ? 'is empty: one CSV row of feature values is expected'
      : `has ${lines.length} lines: one row (optionally after a header line) is expected`,
  );
}

export type StreamAnswer = Record<string, Prediction | (Record<string, unknown> & { details: string })>;

/** Predicts every entry of a MISTK dataMap. */
export function streamPredict(
  model: Model,
  dataMap: Record<string, unknown>,
  details: boolean,
): StreamAnswer {
  const out: StreamAnswer = {};
  for (const [id, value] of Object.entries(dataMap)) {
    let p;
    try {
      p = predict(model, parseCsv(entryCsv(model, id, value)));
    } catch (e) {
      if (e instanceof Error && e.name === 'AppError') throw e;
      throw bad(id, `cannot be read as a row of features: ${(e as Error).message}`);
    }
    const v = predictionAt(model, p, 0);
    if (!details) out[id] = v;
    else
      out[id] = {
        ...(typeof v === 'number' ? { value: v } : v),
        details: detailsMarkdown(model, p, 0),
      };
  }
  return out;
}
