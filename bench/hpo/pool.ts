/** A tiny process pool: N forked workers (tsx loader), jobs handed out as workers free up. */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

export async function runPool<J, R>(
  jobs: J[],
  nWorkers: number,
  onResult: (r: R, done: number) => void,
): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: Math.min(nWorkers, jobs.length) }, () => {
      const child = fork(WORKER, [], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      return new Promise<void>((resolve, reject) => {
        const feed = (): void => {
          if (next < jobs.length) child.send(jobs[next++] as object);
          else {
            child.send({ kind: 'exit' });
            resolve();
          }
        };
        child.on('message', (r) => {
          results.push(r as R);
          onResult(r as R, ++done);
          feed();
        });
        child.on('exit', (code) =>
          code === 0 ? resolve() : reject(new Error(`bench worker exited with ${code}`)),
        );
        feed();
      });
    }),
  );
  return results;
}
