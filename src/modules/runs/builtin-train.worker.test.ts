/**
 * The built-in training task's checkpointing outside a thread: handing out the state every
 * iteration (checkpointEveryMs 0) or at a pause, and resuming from a handed-out state, both end
 * with the model an uninterrupted run gives, and each iteration is reported once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TaskContext } from '../../infra/executor/executor.js';
import { predict, train, type Checkpoint } from '../../learn/index.js';
import { loadFixture } from '../../learn/test-helpers.js';
import { trainResumable, type BuiltinProgress, type BuiltinTrainInput } from './builtin-train.worker.js';

const frame = loadFixture('breast_cancer');
const params = { n_estimators: 12, max_depth: 2, subsample: 0.8, seed: 4 };
const base: BuiltinTrainInput = {
  learner: 'gbdt',
  params,
  target: 'target',
  csv: new Uint8Array(),
  assignment: new Uint8Array(),
};

function recorder(pauseAt?: number) {
  const progress: BuiltinProgress[] = [];
  let iteration = 0;
  const ctx: TaskContext = {
    progress: (v) => {
      const p = v as BuiltinProgress;
      if ('iteration' in p) iteration = p.iteration;
      progress.push(JSON.parse(JSON.stringify(p)) as BuiltinProgress);
    },
    checkpoint: () => undefined,
    pauseRequested: () => iteration === pauseAt,
  };
  const iterations = () => progress.flatMap((p) => ('iteration' in p ? [p.iteration] : []));
  const checkpoints = () => progress.flatMap((p) => ('checkpoint' in p ? [p] : []));
  return { ctx, iterations, checkpoints };
}

const uninterrupted = train('gbdt', frame, 'target', params).model;
const sameModel = (m: ReturnType<typeof trainResumable>) =>
  assert.deepEqual(predict(m, frame).output, predict(uninterrupted, frame).output);

test('a checkpoint every iteration: same model, each iteration reported once', () => {
  const r = recorder();
  const model = trainResumable({ ...base, checkpointEveryMs: 0 }, frame, r.ctx);
  sameModel(model);
  assert.deepEqual(
    r.iterations(),
    Array.from({ length: 12 }, (_, i) => i + 1),
  );
  assert.deepEqual(
    r.checkpoints().map((c) => ('checkpoint' in c ? [c.checkpoint.iteration, c.why] : [])),
    Array.from({ length: 12 }, (_, i) => [i + 1, 'periodic']),
  );
});

test('a pause hands out the state at that iteration; a new attempt resumes from it', () => {
  const first = recorder(5);
  trainResumable(base, frame, first.ctx);
  const atPause = first.checkpoints()[0]!;
  assert.ok('checkpoint' in atPause && atPause.why === 'pause');
  const saved = (atPause as { checkpoint: Checkpoint }).checkpoint;
  assert.equal(saved.iteration, 5);

  const second = recorder();
  const model = trainResumable({ ...base, resumeFrom: saved }, frame, second.ctx);
  sameModel(model);
  assert.deepEqual(second.iterations(), [6, 7, 8, 9, 10, 11, 12]);
});

test('a pause at the last iteration still hands out the state, and resuming from it adds no round', () => {
  const r = recorder(12);
  sameModel(trainResumable(base, frame, r.ctx));
  const saved = r.checkpoints()[0] as { checkpoint: Checkpoint };
  assert.equal(saved.checkpoint.iteration, 12);
  const again = recorder();
  sameModel(trainResumable({ ...base, resumeFrom: saved.checkpoint }, frame, again.ctx));
  assert.deepEqual(again.iterations(), []);
});

test('a pause after the last round (while scoring) hands out the final state too', () => {
  let calls = 0;
  const progress: BuiltinProgress[] = [];
  const model = trainResumable(base, frame, {
    progress: (v) => progress.push(v as BuiltinProgress),
    checkpoint: () => undefined,
    // Not paused during the 12 rounds (one call each); paused when training has ended.
    pauseRequested: () => ++calls > 12,
  });
  sameModel(model);
  const handed = progress.filter((p) => 'checkpoint' in p) as Array<{ checkpoint: Checkpoint; why: string }>;
  assert.deepEqual(
    handed.map((p) => [p.checkpoint.iteration, p.why]),
    [[12, 'pause']],
  );
});
