/**
 * The entry every built-in task thread starts on (the thread adapter's side of the protocol in
 * thread-executor.ts). A thread serves tasks one after another, so their code stays compiled: for
 * each RunTask message it loads the task module (cached after the first import), takes its task
 * function (the `task` export, else the default export) and serves it: posts `{t:'started'}`, runs
 * the function and posts `{t:'done', value}` or `{t:'error', message}`. Task modules therefore
 * import nothing from the adapter; they export a plain function typed with the port's TaskFunction.
 *
 * A module that cannot be loaded, or exports no function, gets `{t:'error'}` without `started`, so
 * the parent reports `failed_to_start`.
 *
 * After each task the host writes the task's end mark on stdout and stderr (the parent cuts the
 * task's log there) and checks that the task
 * left nothing running: a ref'd timer or socket would print into, or keep state for, the next
 * task. Such a thread is not reused: the host stops listening so it exits once that ends (or the
 * parent ends it).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { TaskContext, TaskFunction } from './executor.js';
import { CANCELLED, PAUSED, type RunTask, type TaskHostData, type ToParent } from './task-protocol.js';

const data = workerData as TaskHostData | undefined;
if (!parentPort || data?.__modelyardTask !== true)
  throw new Error('the task host runs only on a task thread');
const port = parentPort;
const post = (m: ToParent) => port.postMessage(m);

const onRun = (m: RunTask) => void serve(m);
port.on('message', onRun);

async function loadTask(href: string): Promise<TaskFunction<unknown, unknown>> {
  const loaded = (await import(href)) as { task?: unknown; default?: unknown };
  const fn = typeof loaded.task === 'function' ? loaded.task : loaded.default;
  if (typeof fn !== 'function')
    throw new Error(`task module ${href} exports no task function (export "task" or a default)`);
  return fn as TaskFunction<unknown, unknown>;
}

/** Active ref'd resources by type ('Timeout', 'TCPSocketWrap', …). */
function resources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

async function serve(m: RunTask): Promise<void> {
  const before = resources();
  let result: ToParent;
  try {
    const fn = await loadTask(m.taskModule);
    post({ t: 'started' });
    const control = m.control;
    const ctx: TaskContext = {
      progress: (value) => post({ t: 'progress', value }),
      checkpoint() {
        while (Atomics.load(control, 0) === PAUSED) Atomics.wait(control, 0, PAUSED);
        if (Atomics.load(control, 0) === CANCELLED) throw new Error('task cancelled');
      },
      pauseRequested: () => Atomics.load(control, 0) === PAUSED,
    };
    result = { t: 'done', value: await fn(m.input, ctx), reusable: false };
  } catch (e) {
    result = { t: 'error', message: e instanceof Error ? e.message : String(e), reusable: false };
  }
  // After everything the task wrote: the parent knows where this task's output ends. Once the
  // parent has taken it, the stdio ports hold no pending write (which counts as a resource).
  await Promise.all([endOutput(process.stdout, m.endMark), endOutput(process.stderr, m.endMark)]);
  const left = resources();
  result.reusable = [...left].every(([type, n]) => n <= (before.get(type) ?? 0));
  try {
    post(result);
  } catch (e) {
    post({
      t: 'error',
      message: `task result cannot be sent: ${(e as Error).message}`,
      reusable: result.reusable,
    });
  }
  if (!result.reusable) {
    port.off('message', onRun);
    port.unref();
  }
}

function endOutput(stream: NodeJS.WriteStream, mark: string): Promise<void> {
  return new Promise((resolve) => {
    try {
      stream.write(mark, () => resolve());
    } catch {
      resolve();
    }
  });
}
