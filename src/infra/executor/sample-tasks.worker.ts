/**
 * Small tasks that exercise the thread executor (tests, and an example of a task module).
 * A real task module looks the same: it exports its task function as `task` (or default).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { threadId } from 'node:worker_threads';
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
  | { mode: 'hog' }
  /** Returns the thread it ran on and how many tasks of this module that thread has run. */
  | { mode: 'thread' }
  /** Prints `<tag> <i>` on stdout and stderr, then `<tag> tail` with no line break on each. */
  | { mode: 'tagged'; tag: string; count: number }
  /** Returns like `thread` but leaves an interval running in its thread. */
  | { mode: 'linger' };

/** Tasks this module has run on this thread. */
let runs = 0;

export async function task(input: SampleTaskInput, ctx: TaskContext): Promise<unknown> {
  runs++;
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
          ctx.progress({ step: i, x, threadId });
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
    case 'thread':
      return { threadId, runs };
    case 'tagged':
      for (let i = 1; i <= input.count; i++) {
        console.log(`${input.tag} ${i}`);
        console.error(`${input.tag} ${i}`);
      }
      process.stdout.write(`${input.tag} tail`);
      process.stderr.write(`${input.tag} tail`);
      return { threadId, runs };
    case 'linger':
      setInterval(() => {}, 1000);
      return { threadId, runs };
  }
}
