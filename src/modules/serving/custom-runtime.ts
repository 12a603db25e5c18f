/**
 * Custom model code (DRUM-style hooks) in a child process: `custom.py` under a Python that has
 * pandas, or `custom.mjs` under Node. The child speaks JSON lines on stdin/stdout; requests are
 * pipelined and answered in order, so the child's single thread is the only queue.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { AppError } from '../../errors.js';
import { parseCsvTable, tableToCsv, textColumn } from './csv-payload.js';
import { jsonColumn } from './json-payload.js';
import { NODE_RUNNER_SOURCE } from './custom-node-runner.js';
import type { ModelRuntime, RawScores, Table, TableColumn, UnstructuredResponse } from './serving.types.js';

export type CustomLanguage = 'python' | 'node';

export interface CustomRuntimeOptions {
  /** Python interpreters to try, in order (the first that imports pandas wins). */
  pythonCandidates?: string[];
  loadTimeoutMs?: number;
}

interface Reply {
  id: number;
  ok: boolean;
  error?: string;
  hooks?: string[];
  columns?: string[];
  data?: unknown;
  csv?: string;
  table?: { columns: string[]; rows: unknown[][] };
  base64?: boolean;
  mimetype?: string;
  charset?: string;
}

const DEFAULT_PYTHONS = ['/usr/bin/python3', 'python3', 'python'];
let pythonCache: string | null = null;

/** First interpreter that can import pandas (Debian's /usr/bin/python3 usually; pyenv often not). */
export function resolvePython(candidates = DEFAULT_PYTHONS): string {
  if (pythonCache) return pythonCache;
  for (const c of candidates) {
    const r = spawnSync(c, ['-c', 'import pandas'], { stdio: 'ignore', timeout: 30_000 });
    if (r.status === 0) return (pythonCache = c);
  }
  throw new Error(`no Python with pandas found (tried ${candidates.join(', ')}); install python3-pandas`);
}

function pythonRunnerPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'clients', 'python', 'drum_custom_runner.py');
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  throw new Error('clients/python/drum_custom_runner.py not found next to the installation');
}

/** Which hook file a directory holds, or null. */
export function customLanguageOf(dir: string): CustomLanguage | null {
  if (existsSync(join(dir, 'custom.py'))) return 'python';
  if (existsSync(join(dir, 'custom.mjs'))) return 'node';
  return null;
}

export async function createCustomRuntime(
  codeDir: string,
  language: CustomLanguage,
  options: CustomRuntimeOptions = {},
): Promise<ModelRuntime> {
  const child: ChildProcess =
    language === 'python'
      ? spawn(resolvePython(options.pythonCandidates), ['-u', pythonRunnerPath(), codeDir], {
          stdio: ['pipe', 'pipe', 'pipe'],
        })
      : spawn(process.execPath, ['--input-type=module', '-e', NODE_RUNNER_SOURCE, codeDir], {
          stdio: ['pipe', 'pipe', 'pipe'],
        });
  let stderrTail = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderrTail = (stderrTail + d.toString('utf8')).slice(-4000);
  });
  const pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exited: Error | null = null;
  let onReady: ((r: Reply) => void) | null = null;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let r: Reply;
    try {
      r = JSON.parse(line) as Reply;
    } catch {
      return;
    }
    if (r.id === 0) onReady?.(r);
    const p = pending.get(r.id);
    if (p) {
      pending.delete(r.id);
      p.resolve(r);
    }
  });
  const ready = new Promise<Reply>((resolve, reject) => {
    onReady = resolve;
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      exited = new Error(
        `the custom model process exited (${signal ?? code})${stderrTail ? `: ${stderrTail.trim().slice(-1000)}` : ''}`,
      );
      reject(exited);
      for (const p of pending.values()) p.reject(exited);
      pending.clear();
    });
  });
  const timeoutMs = options.loadTimeoutMs ?? 120_000;
  let timer: NodeJS.Timeout | undefined;
  const hello = await Promise.race([
    ready,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`load_model did not finish within ${timeoutMs} ms`)),
        timeoutMs,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  if (!hello.ok) {
    child.kill();
    throw new Error(hello.error ?? 'load failed');
  }
  child.stdin!.on('error', () => {});
  const hooks = new Set(hello.hooks ?? []);

  function call(msg: Record<string, unknown>): Promise<Reply> {
    if (exited) return Promise.reject(new AppError('internal', exited.message));
    const id = nextId++;
    return new Promise<Reply>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      child.stdin!.write(JSON.stringify({ id, ...msg }) + '\n');
    }).then((r) => {
      // A hook failure is the model's error: DRUM answers 500 with the exception text.
      if (!r.ok)
        throw new AppError('internal', r.error ?? 'the custom hook failed', { reason: 'hook_failed' });
      return r;
    });
  }

  const encode = (t: Table) =>
    language === 'python'
      ? { csv: tableToCsv(t) }
      : {
          table: {
            columns: t.names ?? t.columns.map((_, j) => String(j)),
            rows: Array.from({ length: t.nRows }, (_, i) =>
              t.columns.map((c) => {
                const v = c[i];
                return typeof v === 'number' && Number.isNaN(v) ? null : (v ?? null);
              }),
            ),
          },
        };

  return {
    predictor: language === 'python' ? 'python custom.py' : 'node custom.mjs',
    language,
    source: codeDir,
    platform: `custom_${language}`,
    inputs: { names: null, count: null, levels: null },
    outputNames: null,
    outputSize: null,
    impliedTargetType: null,
    async predictTable(t: Table): Promise<RawScores> {
      const r = await call({ op: 'score', ...encode(t) });
      const columns = r.columns ?? [];
      const rows = (r.data ?? []) as unknown[][];
      const values = new Float64Array(rows.length * columns.length);
      rows.forEach((row, i) =>
        row.forEach((v, j) => (values[i * columns.length + j] = typeof v === 'number' ? v : NaN)),
      );
      return { values, nRows: rows.length, columns, cells: rows };
    },
    ...(hooks.has('score_unstructured')
      ? {
          async scoreUnstructured(req): Promise<UnstructuredResponse> {
            const bin = typeof req.data !== 'string';
            const r = await call({
              op: 'unstructured',
              data: bin ? Buffer.from(req.data as Uint8Array).toString('base64') : req.data,
              base64: bin,
              mimetype: req.mimetype,
              charset: req.charset,
              query: req.query,
              headers: req.headers,
            });
            const data = r.base64 ? Buffer.from(String(r.data), 'base64') : String(r.data ?? '');
            return { data, mimetype: r.mimetype, charset: r.charset };
          },
        }
      : {}),
    ...(hooks.has('transform')
      ? {
          async transform(t: Table): Promise<Table> {
            const r = await call({ op: 'transform', ...encode(t) });
            if (r.csv !== undefined) return parseCsvTable(Buffer.from(r.csv));
            const tab = r.table!;
            const cols: TableColumn[] = tab.columns.map((_, j) => {
              const cells = tab.rows.map((row) => row[j]);
              return cells.every((c) => typeof c === 'string')
                ? textColumn(cells as string[])
                : jsonColumn(cells, 'transform');
            });
            return { nRows: tab.rows.length, names: tab.columns, columns: cols };
          },
        }
      : {}),
    async close() {
      if (exited) return;
      const done = new Promise((r) => child.once('exit', r));
      child.stdin!.end();
      const t = setTimeout(() => child.kill('SIGKILL'), 2000);
      await done;
      clearTimeout(t);
    },
  };
}
