/**
 * The entry every built-in task thread starts on (the thread adapter's side of the protocol in
 * thread-executor.ts). It loads the task module named in workerData, takes its task function (the
 * `task` export, else the default export) and serves it: posts `{t:'started'}`, runs the function
 * and posts `{t:'done', value}` or `{t:'error', message}`. Task modules therefore import nothing
 * from the adapter; they export a plain function typed with the port's TaskFunction.
 *
 * A module that cannot be loaded, or exports no function, throws before `started` is posted, so
 * the parent reports `failed_to_start`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { TaskContext, TaskFunction } from './executor.js';
import { CANCELLED, PAUSED, type TaskWorkerData, type ToParent } from './task-protocol.js';

const data = workerData as TaskWorkerData | undefined;
if (!parentPort || data?.__modelyardTask !== true)
  throw new Error('the task host runs only on a task thread');
const port = parentPort;
const post = (m: ToParent) => port.postMessage(m);

const loaded = (await import(data.taskModule)) as { task?: unknown; default?: unknown };
const fn = typeof loaded.task === 'function' ? loaded.task : loaded.default;
if (typeof fn !== 'function')
  throw new Error(`task module ${data.taskModule} exports no task function (export "task" or a default)`);

const control = data.control;
const ctx: TaskContext = {
  progress: (value) => post({ t: 'progress', value }),
  checkpoint() {
    while (Atomics.load(control, 0) === PAUSED) Atomics.wait(control, 0, PAUSED);
    if (Atomics.load(control, 0) === CANCELLED) throw new Error('task cancelled');
  },
  pauseRequested: () => Atomics.load(control, 0) === PAUSED,
};
post({ t: 'started' });
Promise.resolve()
  .then(() => (fn as TaskFunction<unknown, unknown>)(data.input, ctx))
  .then(
    (value) => {
      try {
        post({ t: 'done', value });
      } catch (e) {
        post({ t: 'error', message: `task result cannot be sent: ${(e as Error).message}` });
      }
    },
    (e: unknown) => post({ t: 'error', message: e instanceof Error ? e.message : String(e) }),
  );
