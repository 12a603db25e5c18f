/**
 * Starting a worker thread on one of our own `*.worker` modules the same way from the TypeScript
 * sources (tests, `npm run dev`, under tsx) and from the esbuild bundle in dist/ (scripts/build.mjs
 * bundles every `*.worker.ts`). Shared by the thread executor and deployment replicas; a helper,
 * not an adapter: there is no port behind it.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * URL of a worker module given its path under src/ without extension (e.g.
 * `infra/executor/task-host.worker`): the `.ts` source under tsx, the bundled `.js` in dist/
 * (where this code may sit in dist/ or a subfolder, so the bundle root is searched upwards).
 */
export function workerModuleUrl(pathFromSrc: string): URL {
  if (import.meta.url.endsWith('.ts')) return new URL(`../${pathFromSrc}.ts`, import.meta.url);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 4; up++) {
    const candidate = join(dir, `${pathFromSrc}.js`);
    if (existsSync(candidate)) return pathToFileURL(candidate);
    dir = dirname(dir);
  }
  throw new Error(`worker module ${pathFromSrc}.js not found near ${fileURLToPath(import.meta.url)}`);
}

/**
 * Starts a Worker on `module`. When TypeScript is involved (`needsTsx`: the module, or something
 * it will import, is a `.ts` source) tsx is registered inside the thread first, since Node 20 does
 * not hand the parent's --import loaders to worker threads.
 */
export function startModuleWorker(
  module: URL,
  options: WorkerOptions,
  needsTsx = module.pathname.endsWith('.ts'),
): Worker {
  const withArgv = { ...options, execArgv: workerExecArgv() };
  if (!needsTsx) return new Worker(module, withArgv);
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(module.href)}); })`;
  return new Worker(boot, { ...withArgv, eval: true });
}

/**
 * The parent's flags minus tsx's loader: a worker would re-run `--import tsx` (~0.5 s) although,
 * on Node 20, the hooks it installs there do not apply to the worker's own imports.
 */
function workerExecArgv(): string[] {
  const out: string[] = [];
  const args = process.execArgv;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (['--import', '--loader', '--require', '-r'].includes(a) && args[i + 1]?.includes('tsx')) i++;
    else if (!/^--(import|loader|require)=.*tsx/.test(a)) out.push(a);
  }
  return out;
}
