/**
 * Runs Optuna live through bench/hpo/optuna_run.py. Optuna comes from Debian (python3-optuna 3.1)
 * in the system interpreter, not the pyenv python3 first on PATH, so candidates are tried in order
 * until one imports optuna. When none can, the bench says so and continues without the live runs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface LiveRun {
  problem: string;
  algo: string;
  seed: number;
  trace: number[];
  msAt100: number;
  msAt200: number;
}

const SCRIPT = fileURLToPath(new URL('./optuna_run.py', import.meta.url));

function findPython(): { python: string; version: string } | null {
  const candidates = [process.env.MODELYARD_PYTHON, '/usr/bin/python3', 'python3', 'python'].filter(
    (c): c is string => !!c,
  );
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import optuna; print(optuna.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return { python, version: r.stdout.trim() };
  }
  return null;
}

export async function runOptunaLive(o: {
  problems: string[];
  seeds: number;
  budget: number;
  workers: number;
  sharedDir: string;
  install: boolean;
  samplers?: string;
}): Promise<{ status: string; runs: LiveRun[] }> {
  let found = findPython();
  if (!found && o.install) {
    console.log('Optuna not found; installing Debian python3-optuna python3-cmaes (apt-get) …');
    spawnSync('apt-get', ['install', '-y', 'python3-optuna', 'python3-cmaes'], { stdio: 'inherit' });
    found = findPython();
  }
  if (!found) {
    return {
      status:
        'NOT RUN: no Python interpreter can import optuna (install with `apt-get install -y python3-optuna python3-cmaes`, or pass --install-optuna)',
      runs: [],
    };
  }
  const samplers = o.samplers ?? 'tpe,random,cmaes';
  console.log(`Optuna ${found.version} via ${found.python}: ${samplers} on ${o.problems.length} problems …`);
  const runs: LiveRun[] = [];
  const groups = Array.from({ length: Math.max(1, o.workers) }, (_, w) =>
    Array.from({ length: o.seeds }, (_, s) => s).filter((s) => s % Math.max(1, o.workers) === w),
  ).filter((g) => g.length > 0);
  const errors: string[] = [];
  await Promise.all(
    groups.map(
      (seeds) =>
        new Promise<void>((resolve) => {
          const args = [
            SCRIPT,
            '--problems',
            o.problems.join(','),
            '--samplers',
            samplers,
            '--seeds',
            seeds.join(','),
            '--budget',
            String(o.budget),
            '--shared',
            o.sharedDir,
          ];
          const child = spawn(found.python, args, { stdio: ['ignore', 'pipe', 'pipe'] });
          let buf = '';
          let err = '';
          child.stdout.on('data', (chunk: Buffer) => {
            buf += chunk.toString('utf8');
            let nl;
            while ((nl = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, nl).trim();
              buf = buf.slice(nl + 1);
              if (line) runs.push(JSON.parse(line) as LiveRun);
            }
          });
          child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
          child.on('close', (code) => {
            if (code !== 0) errors.push(`exit ${code}: ${err.slice(-500)}`);
            resolve();
          });
        }),
    ),
  );
  const status = `Optuna ${found.version} (${found.python}), ${runs.length} runs${errors.length ? `; errors: ${errors.join(' | ')}` : ''}`;
  return { status, runs: runs.map((r) => ({ ...r, msAt100: r.msAt100 ?? NaN, msAt200: r.msAt200 ?? NaN })) };
}
