/**
 * `modelyard perf-test <model>`: DRUM's perf-test matrix — sequential requests of growing payload
 * size (1 row ×100, 0.1 MB ×50, 10 MB ×5, 50 MB ×1) against a server started in-process (or --url),
 * printing min/avg/max seconds and the server's memory.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { VERSION } from '../app.js';
import { createPredictionServer } from '../modules/serving/prediction-server.js';
import { CliError } from './client.js';
import { addLabelFlags, labelOptions, modelArg } from './drum-flags.js';
import type { LabelFlags } from './drum-flags.js';

interface Case {
  label: string;
  rows?: number;
  bytes?: number;
  iterations: number;
}

const DEFAULT_CASES: Case[] = [
  { label: '1 row', rows: 1, iterations: 100 },
  { label: '0.1MB', bytes: 0.1 * 1048576, iterations: 50 },
  { label: '10MB', bytes: 10 * 1048576, iterations: 5 },
  { label: '50MB', bytes: 49.5 * 1048576, iterations: 1 },
];

/** Repeats the sample rows until the payload reaches `rows` rows or `bytes` bytes. */
function payload(header: string, sample: string[], c: Case): { body: string; rows: number } {
  const parts = [header];
  let size = header.length;
  let n = 0;
  while (c.rows !== undefined ? n < c.rows : size < c.bytes!) {
    const line = sample[n % sample.length]!;
    parts.push(line);
    size += line.length + 1;
    n++;
  }
  return { body: parts.join('\n') + '\n', rows: n };
}

export function registerPerfTest(program: Command): void {
  addLabelFlags(
    program
      .command('perf-test [model]')
      .description("measure prediction latency over DRUM's payload-size matrix")
      .option(
        '--input <file>',
        'CSV whose rows are repeated to build payloads (default: synthetic numeric rows)',
      )
      .option('--samples <n>', 'one case of n rows instead of the default matrix', Number)
      .option('--iterations <n>', 'requests per case (with --samples)', Number)
      .option('--max-mb <n>', 'skip default cases larger than this', Number)
      .option('--url <url>', 'test a running server instead of starting one'),
  ).action(
    async (
      modelArgument: string | undefined,
      o: LabelFlags & { input?: string; samples?: number; iterations?: number; maxMb?: number; url?: string },
    ) => {
      // Against a running server (--url) no model is loaded here.
      const model = o.url ? '' : modelArg(modelArgument, o);
      const labels = labelOptions(o);
      const server = o.url
        ? null
        : await createPredictionServer({ model, serverVersion: VERSION, ...labels }).catch((e: Error) => {
            throw new CliError(`cannot load model '${model}': ${e.message}`);
          });
      const base = o.url ?? (await server!.listen(0));
      try {
        let header: string;
        let sample: string[];
        if (o.input) {
          const lines = readFileSync(o.input, 'utf8')
            .split(/\r?\n/)
            .filter((l) => l !== '');
          header = lines[0]!;
          sample = lines.slice(1);
          if (sample.length === 0) throw new CliError(`--input '${o.input}' has no data rows`);
        } else {
          const inputs = server?.service?.runtime.inputs;
          if (!inputs?.count)
            throw new CliError('give --input: the model does not declare its input columns');
          const names = inputs.names ?? Array.from({ length: inputs.count }, (_, i) => `f${i}`);
          header = names.join(',');
          sample = Array.from({ length: 64 }, (_, r) =>
            names.map((_, j) => ((r * 7 + j * 13) % 97) / 9.7).join(','),
          );
        }
        const cases = o.samples
          ? [{ label: `${o.samples} rows`, rows: o.samples, iterations: o.iterations ?? 10 }]
          : DEFAULT_CASES.filter((c) => o.maxMb === undefined || (c.bytes ?? 0) <= o.maxMb * 1048576);
        const table: string[][] = [
          ['case', 'rows', 'size MB', 'iterations', 'min s', 'avg s', 'max s', 'rss MB'],
        ];
        for (const c of cases) {
          const { body, rows } = payload(header, sample, c);
          const times: number[] = [];
          for (let i = 0; i < c.iterations; i++) {
            const t0 = performance.now();
            const res = await fetch(`${base}/predict/`, {
              method: 'POST',
              headers: { 'content-type': 'text/csv' },
              body,
            });
            const text = await res.text();
            if (!res.ok) throw new CliError(`the server answered ${res.status}: ${text.slice(0, 300)}`);
            times.push((performance.now() - t0) / 1000);
          }
          const stats = (await (await fetch(`${base}/stats/`)).json()) as {
            mem_info?: { drum_rss?: number };
          };
          const f = (x: number) => x.toFixed(4);
          table.push([
            c.label,
            String(rows),
            (Buffer.byteLength(body) / 1048576).toFixed(2),
            String(c.iterations),
            f(Math.min(...times)),
            f(times.reduce((a, b) => a + b, 0) / times.length),
            f(Math.max(...times)),
            String(stats.mem_info?.drum_rss ?? ''),
          ]);
        }
        const widths = table[0]!.map((_, j) => Math.max(...table.map((r) => r[j]!.length)));
        for (const r of table)
          process.stdout.write(r.map((v, j) => v.padStart(widths[j]!)).join('  ') + '\n');
      } finally {
        await server?.close();
      }
    },
  );
}
