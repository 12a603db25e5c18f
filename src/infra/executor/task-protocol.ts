/** Messages and shared control values between the thread executor and its task host threads. */

export type ToParent =
  | { t: 'started' }
  | { t: 'progress'; value: unknown }
  /**
   * The task's outcome, posted after the host wrote `endMark` on stdout and stderr. `reusable`: the
   * task left nothing running in the thread (no ref'd timer, socket, …) and the host waits for the
   * next task; otherwise it stops listening and the thread is left to exit.
   */
  | { t: 'done'; value: unknown; reusable: boolean }
  /** The task threw, or (before `started`) its module could not be loaded. */
  | { t: 'error'; message: string; reusable: boolean };

/** The thread's workerData: only marks it as a task thread; tasks arrive as RunTask messages. */
export interface TaskHostData {
  __modelyardTask: true;
}

/** Parent → host: run one task. A thread runs one task at a time. */
export interface RunTask {
  t: 'run';
  /** URL (href) of the task module the host loads. */
  taskModule: string;
  input: unknown;
  /** This task's control slot (over a SharedArrayBuffer): RUN, PAUSED or CANCELLED. */
  control: Int32Array;
  /** Written by the host on stdout and stderr after the task's last output. */
  endMark: string;
}

export const RUN = 0;
export const PAUSED = 1;
export const CANCELLED = 2;
