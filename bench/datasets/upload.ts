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
  readFileSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
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
const ROOT = join(import.meta.dirname, '../..');

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
  // Written aside then renamed, so an interrupted run never leaves a short file in the cache.
  await pipeline(Readable.from(chunks()), createWriteStream(`${path}.partial`));
  renameSync(`${path}.partial`, path);
}

/** Peak RSS, and the peak heap / buffer memory behind it, sampled every 100 ms. */
function rssSampler() {
  const peak = { rss: 0, heapUsed: 0, arrayBuffers: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
    peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers);
  };
  sample();
  const timer = setInterval(sample, 100);
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
    // The client is the real CLI in its own process, so the sampled RSS is the server's alone.
    const client = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'src/cli/index.ts'),
        '--url',
        url,
        '--json',
        'datasets',
        'upload',
        csv,
      ].concat(['--name', 'bench', '--target', 'label', '--stratify', '--seed', '1']),
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let clientPeakKb = 0;
    const clientTimer = setInterval(() => {
      try {
        const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${client.pid}/status`, 'utf8'));
        if (m) clientPeakKb = Math.max(clientPeakKb, Number(m[1]));
      } catch {
        // not on Linux, or the client has exited
      }
    }, 100);
    let out = '';
    client.stdout.on('data', (c: Buffer) => (out += c));
    const code = await new Promise<number>((r) => client.on('close', (c) => r(c ?? 1)));
    clearInterval(clientTimer);
    const seconds = (performance.now() - t0) / 1000;
    sampler.stop();
    if (code !== 0) throw new Error(`upload failed (exit ${code}): ${out}`);
    const body = JSON.parse(out) as { rowCount?: number };

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
      peakRssMb: sampler.peak().rss / MB,
      peakHeapUsedMb: sampler.peak().heapUsed / MB,
      peakArrayBuffersMb: sampler.peak().arrayBuffers / MB,
      clientPeakRssMb: clientPeakKb / 1024,
    };
    const result = {
      name: 'upload',
      protocol:
        '`modelyard datasets upload` (CLI child process, streamed fetch) to an in-process server; profile + stratified split + SQLite + local blobs; RSS of the server process; the client RSS sampled separately',
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
      `| modelyard upload | ${fmt(ours.mbPerSec)} | ${fmt(ours.mb)} MB, ${ours.rows} rows in ${fmt(seconds)} s; peak RSS ${fmt(ours.peakRssMb)} MB (before ${fmt(ours.rssBeforeMb)} MB; peak heap ${fmt(ours.peakHeapUsedMb)} MB, buffers ${fmt(ours.peakArrayBuffersMb)} MB); CLI client peak RSS ${fmt(ours.clientPeakRssMb)} MB |`,
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
