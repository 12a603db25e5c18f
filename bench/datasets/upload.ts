/**
 * bench:upload — streams a generated CSV (default 1 GB) to an in-process server over HTTP and
 * reports throughput and peak RSS (sampled every 100 ms) while the upload is profiled and split.
 * References measured in the same run: a plain file copy (disk bound) and csv-parse parsing a
 * sample of the same file (the general-purpose streaming parser).
 *
 *   npm run bench:upload -- --mb 1024
 */
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import pino from 'pino';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createDeps } from '../../src/deps.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const sizeMb = arg('mb', 1024);
const sampleMb = Math.min(sizeMb, arg('ref-mb', 256));
const MB = 1024 * 1024;

/** Writes ~sizeMb of a mixed-type CSV: ints, floats, a category, a bool, a 3-class label. */
async function generate(path: string): Promise<void> {
  const target = sizeMb * MB;
  let written = 0;
  let row = 0;
  async function* chunks() {
    yield 'id,f1,f2,f3,f4,f5,city,flag,label\n';
    const cities = ['Paris', 'Lyon', 'Nice', 'Lille', 'Brest', 'Metz'];
    while (written < target) {
      let s = '';
      for (let k = 0; k < 5000; k++, row++) {
        const r = (row * 2654435761) % 4294967296;
        s += `${row},${(r % 10007) / 97},${(r % 131) - 65},${(r % 7919) * 0.001},${r % 1000},${(r % 337) / 3},${cities[r % 6]},${r % 2 === 0},c${r % 3}\n`;
      }
      written += s.length;
      yield s;
    }
  }
  await pipeline(Readable.from(chunks()), createWriteStream(path));
}

function rssSampler() {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  return { peak: () => peak, stop: () => clearInterval(timer) };
}

async function main() {
  const dir = join(tmpdir(), 'modelyard-bench');
  mkdirSync(dir, { recursive: true });
  const csv = join(dir, `upload-${sizeMb}mb.csv`);
  if (!existsSync(csv)) {
    process.stderr.write(`generating ${sizeMb} MB CSV at ${csv} …\n`);
    await generate(csv);
  }
  const bytes = statSync(csv).size;
  const dataDir = mkdtempSync(join(tmpdir(), 'modelyard-bench-data-'));
  const deps = await createDeps(loadConfig({ dataDir, logLevel: 'silent', port: 0 }), {
    logger: pino({ level: 'silent' }),
  });
  const { app } = await buildApp(deps);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const sampler = rssSampler();
    const t0 = performance.now();
    const res = await fetch(`${url}/api/v1/datasets?name=bench&target=label&stratify=true&seed=1`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: Readable.toWeb(createReadStream(csv, { highWaterMark: MB })) as unknown as RequestInit['body'],
      duplex: 'half',
    } as RequestInit);
    const body = (await res.json()) as { rowCount?: number; detail?: string };
    const seconds = (performance.now() - t0) / 1000;
    sampler.stop();
    if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${body.detail}`);

    const c0 = performance.now();
    await pipeline(
      createReadStream(csv, { highWaterMark: MB }),
      createWriteStream(join(dataDir, 'copy.csv')),
    );
    const copySeconds = (performance.now() - c0) / 1000;
    rmSync(join(dataDir, 'copy.csv'));

    const p0 = performance.now();
    let parsedRows = 0;
    await pipeline(
      createReadStream(csv, { end: sampleMb * MB - 1, highWaterMark: MB }),
      parse({ relax_column_count: true }),
      async (rows: AsyncIterable<unknown>) => {
        for await (const _ of rows) parsedRows++;
      },
    );
    const parseSeconds = (performance.now() - p0) / 1000;

    const ours = {
      mb: bytes / MB,
      seconds,
      mbPerSec: bytes / MB / seconds,
      rows: body.rowCount,
      rssBeforeMb: rssBefore / MB,
      peakRssMb: sampler.peak() / MB,
    };
    const result = {
      name: 'upload',
      protocol:
        'POST text/csv over HTTP (fetch, streamed) to an in-process server; profile + stratified split + SQLite + local blobs; RSS of the whole process (server and client)',
      ours,
      references: {
        fileCopy: { mbPerSec: bytes / MB / copySeconds },
        csvParse: { sampleMb, rows: parsedRows, mbPerSec: sampleMb / parseSeconds },
      },
      ratios: {
        vsFileCopy: ours.mbPerSec / (bytes / MB / copySeconds),
        vsCsvParse: ours.mbPerSec / (sampleMb / parseSeconds),
      },
      machine: {
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: cpus().length,
        memGb: totalmem() / 1024 ** 3,
        platform: `${platform()} ${release()}`,
        node: process.version,
      },
      at: new Date().toISOString(),
    };
    const fmt = (n: number) => n.toFixed(1);
    console.log('| what | MB/s | notes |\n|---|---|---|');
    console.log(
      `| modelyard upload | ${fmt(ours.mbPerSec)} | ${fmt(ours.mb)} MB, ${ours.rows} rows in ${fmt(seconds)} s; peak RSS ${fmt(ours.peakRssMb)} MB (before ${fmt(ours.rssBeforeMb)} MB) |`,
    );
    console.log(
      `| file copy (reference) | ${fmt(result.references.fileCopy.mbPerSec)} | same file, fs stream copy |`,
    );
    console.log(
      `| csv-parse (reference) | ${fmt(result.references.csvParse.mbPerSec)} | parse only, first ${sampleMb} MB |`,
    );
    mkdirSync(join(import.meta.dirname, '../results'), { recursive: true });
    writeFileSync(
      join(import.meta.dirname, '../results/upload.json'),
      JSON.stringify(result, null, 2) + '\n',
    );
  } finally {
    await app.close();
    await deps.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
