/**
 * Finds a Python interpreter that can import the reference packages. The Debian packages
 * (python3-sklearn, python3-xgboost) live in /usr/bin/python3, which may not be first on PATH.
 */
import { spawnSync } from 'node:child_process';

const CANDIDATES = ['/usr/bin/python3', 'python3', 'python'];

function canImport(python: string, modules: string[]): boolean {
  const r = spawnSync(python, ['-c', `import ${modules.join(', ')}`], { stdio: 'ignore' });
  return r.status === 0;
}

/** The first interpreter importing every module; tries an apt install once if none does. */
export function resolvePython(modules: string[]): string | undefined {
  const found = (): string | undefined => CANDIDATES.find((p) => canImport(p, modules));
  let python = found();
  if (python) return python;
  console.log(
    `no python3 can import ${modules.join(', ')}; trying: apt-get install -y python3-sklearn python3-xgboost`,
  );
  const r = spawnSync('apt-get', ['install', '-y', 'python3-sklearn', 'python3-xgboost'], {
    stdio: 'inherit',
  });
  if (r.status !== 0)
    console.log('apt-get install failed (needs root and the Debian archive); reference results will be null');
  python = found();
  return python;
}

/** Runs a Python script with JSON on stdout; returns the parsed object or undefined with a message. */
export function runPythonJson(
  python: string,
  script: string,
  args: string[],
  env: Record<string, string> = {},
): unknown {
  const r = spawnSync(python, [script, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, ...env },
  });
  if (r.status !== 0) {
    console.log(`${script} failed (exit ${r.status}):\n${r.stderr}`);
    return undefined;
  }
  return JSON.parse(r.stdout) as unknown;
}
