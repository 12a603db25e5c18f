/**
 * Small tasks that exercise the thread executor (tests, and an example of a task module).
 * A real task module looks the same: it exports its task function as `task` (or default).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { childEnv } from '../../config.js';
import type { TaskContext } from './executor.js';

export type SampleTaskInput =
  | { mode: 'succeed'; value?: unknown }
  | { mode: 'fail'; message: string }
  | { mode: 'env'; name: string }
  | { mode: 'lines'; count: number }
  /** Counts up forever, one line and one progress report every 10 ms, with checkpoints. */
  | { mode: 'counter' }
  /** A synchronous loop (never yields to the event loop) that reports progress every `every` steps. */
  | { mode: 'busy'; every: number }
  /** Waits until ended from outside. */
  | { mode: 'sleep' }
  /** Keeps allocating memory. */
  | { mode: 'hog' };

export async function task(input: SampleTaskInput, ctx: TaskContext): Promise<unknown> {
  switch (input.mode) {
    case 'succeed':
      return input.value ?? 'ok';
    case 'fail':
      throw new Error(input.message);
    case 'env':
      console.log(childEnv([input.name])[input.name] ?? '(unset)');
      return null;
    case 'lines':
      for (let i = 1; i <= input.count; i++) console.log(`line ${i}`);
      return null;
    case 'counter':
      for (let i = 1; ; i++) {
        ctx.checkpoint();
        console.log(String(i));
        ctx.progress(i);
        await sleep(10);
      }
    case 'busy': {
      let x = 0;
      for (let i = 1; ; i++) {
        x = (x * 31 + i) % 1_000_003;
        if (i % input.every === 0) {
          ctx.checkpoint();
          ctx.progress({ step: i, x });
        }
      }
    }
    case 'sleep':
      // An interval keeps the thread's event loop alive.
      setInterval(() => {}, 1000);
      return new Promise(() => {});
    case 'hog': {
      const keep: number[][] = [];
      for (;;) keep.push(new Array(1_000_000).fill(keep.length));
    }
  }
}
