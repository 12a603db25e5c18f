/** `modelyard score <model> --input X.csv --output preds.csv`: batch scoring in streamed chunks. */
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { parseCsvTable } from '../modules/serving/csv-payload.js';
import { loadModelRef } from '../modules/serving/model-loader.js';
import { createServingService } from '../modules/serving/serving.service.js';
import type { ServingService } from '../modules/serving/serving.service.js';
import type { Scores } from '../modules/serving/serving.types.js';
import { CliError } from './client.js';
import { addLabelFlags, labelOptions, modelArg } from './drum-flags.js';
import type { LabelFlags } from './drum-flags.js';

const CHUNK_BYTES = 4 * 1024 * 1024;

async function scoreChunk(svc: ServingService, csv: Buffer): Promise<Scores> {
  const fast = svc.scoreCsvSync(csv);
  // The fast path reuses its buffer: copy before the next chunk.
  if (fast) return { ...fast, values: fast.values.slice(0, fast.nRows * fast.columns.length) };
  return svc.scoreTable(parseCsvTable(csv));
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function registerScore(program: Command): void {
  addLabelFlags(
    program
      .command('score [model]')
      .description('score a CSV file with a model, streaming (DRUM `drum score`)')
      .requiredOption('--input <file>', 'CSV with a header row')
      .requiredOption('--output <file>', 'where to write predictions (CSV)'),
  ).action(async (modelArgument: string | undefined, o: LabelFlags & { input: string; output: string }) => {
    const model = modelArg(modelArgument, o);
    let size: number;
    try {
      size = statSync(o.input).size;
    } catch {
      throw new CliError(`cannot read --input '${o.input}'`);
    }
    const labels = labelOptions(o);
    let svc: ServingService;
    try {
      const loaded = await loadModelRef(model);
      svc = createServingService(loaded.runtime, { name: loaded.name, ...labels });
    } catch (e) {
      throw new CliError(`cannot load model '${model}': ${(e as Error).message}`);
    }
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: 'scoring [{bar}] {percentage}% | {value}/{total} MB | {rows} rows',
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    const totalMb = Math.max(0.01, Math.round((size / 1048576) * 100) / 100);
    bar.start(totalMb, 0, { rows: 0 });
    const out = createWriteStream(o.output);
    let header: Buffer | null = null;
    let carry: Buffer = Buffer.alloc(0);
    let read = 0;
    let rows = 0;
    const flush = async (lines: Buffer) => {
      if (lines.length === 0 || !header) return;
      const s = await scoreChunk(svc, Buffer.concat([header, lines]));
      const k = s.columns.length;
      if (rows === 0) out.write(s.columns.map(csvCell).join(',') + '\n');
      let text = '';
      for (let i = 0; i < s.nRows; i++) {
        let line = '';
        for (let c = 0; c < k; c++)
          line += (c ? ',' : '') + (Number.isFinite(s.values[i * k + c]!) ? String(s.values[i * k + c]) : '');
        text += line + '\n';
      }
      rows += s.nRows;
      if (!out.write(text)) await once(out, 'drain');
    };
    try {
      for await (const chunk of createReadStream(o.input, { highWaterMark: CHUNK_BYTES })) {
        read += (chunk as Buffer).length;
        let buf = carry.length ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
        if (!header) {
          const nl = buf.indexOf(0x0a);
          if (nl === -1) {
            carry = buf;
            continue;
          }
          header = buf.subarray(0, nl + 1);
          buf = buf.subarray(nl + 1);
        }
        const last = buf.lastIndexOf(0x0a);
        await flush(buf.subarray(0, last + 1));
        carry = Buffer.from(buf.subarray(last + 1));
        bar.update(Math.round((read / 1048576) * 100) / 100, { rows });
      }
      if (carry.length) await flush(Buffer.concat([carry, Buffer.from('\n')]));
      if (!header) throw new CliError(`--input '${o.input}' is empty`);
    } catch (e) {
      bar.stop();
      out.destroy();
      await svc.close();
      if (e instanceof CliError) throw e;
      throw new CliError(`scoring failed after ${rows} rows: ${(e as Error).message}`);
    }
    bar.update(totalMb, { rows });
    bar.stop();
    out.end();
    await once(out, 'finish');
    await svc.close();
    process.stderr.write(`wrote ${rows} predictions to ${o.output}\n`);
  });
}
