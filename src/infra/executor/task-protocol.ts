/** Messages and shared control values between the thread executor and its task host thread. */

export type ToParent =
  | { t: 'started' }
  | { t: 'progress'; value: unknown }
  | { t: 'done'; value: unknown }
  | { t: 'error'; message: string };

export interface TaskWorkerData {
  __modelyardTask: true;
  /** URL (href) of the task module the host loads. */
  taskModule: string;
  input: unknown;
  control: Int32Array;
}

export const RUN = 0;
export const PAUSED = 1;
export const CANCELLED = 2;
