import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { decideScale, INITIAL_SCALE_STATE } from './autoscale-policy.js';
import type { ScalePolicy, ScaleState } from './autoscale-policy.js';
import { unlimitedReplicas } from './autoscaler.js';
import { MAX_REPLICAS } from './deployments-validate.js';

const policy: ScalePolicy = {
  minReplicas: 1,
  maxReplicas: 3,
  upInflightPerReplica: 2,
  upBusy: 0.9,
  upSamples: 3,
  downInflightPerReplica: 0.5,
  downDelayMs: 10_000,
};

/** Feeds samples (one per second) and returns the replica count after each. */
function run(replicas: number, inflights: number[], p = policy): number[] {
  let state: ScaleState = INITIAL_SCALE_STATE;
  const out: number[] = [];
  inflights.forEach((inflight, i) => {
    const d = decideScale(p, state, { atMs: i * 1000, inflight, replicas });
    state = d.state;
    replicas = d.replicas;
    out.push(replicas);
  });
  return out;
}

test('scales up one replica after N consecutive samples above the threshold', () => {
  assert.deepEqual(run(1, [5, 5, 5]), [1, 1, 2]);
  // A dip resets the count.
  assert.deepEqual(run(1, [5, 5, 1, 5, 5, 5]), [1, 1, 1, 1, 1, 2]);
  // Per replica: 5 in flight on 2 replicas is 2.5 > 2, on 3 it is not.
  assert.deepEqual(run(2, [5, 5, 5, 5, 5, 5, 5]), [2, 2, 3, 3, 3, 3, 3]);
});

test('a busy event loop with requests in flight counts as high load too, an idle one or no requests does not', () => {
  const feed = (samples: { inflight: number; busy: number }[]): number[] => {
    let state: ScaleState = INITIAL_SCALE_STATE;
    let replicas = 1;
    return samples.map(({ inflight, busy }, i) => {
      const d = decideScale(policy, state, { atMs: i * 1000, inflight, replicas, busy });
      state = d.state;
      replicas = d.replicas;
      return replicas;
    });
  };
  // Few requests in flight (each answered in one go) but the loop saturated: scale up.
  assert.deepEqual(feed(Array.from({ length: 3 }, () => ({ inflight: 0.45, busy: 0.97 }))), [1, 1, 2]);
  // Busy with something else (no requests): no change; requests but a loop with room: no change.
  assert.deepEqual(feed(Array.from({ length: 4 }, () => ({ inflight: 0, busy: 0.99 }))), [1, 1, 1, 1]);
  assert.deepEqual(feed(Array.from({ length: 4 }, () => ({ inflight: 1.5, busy: 0.6 }))), [1, 1, 1, 1]);
  const reason = decideScale(
    policy,
    { highSamples: 2, lowSinceMs: null },
    {
      atMs: 0,
      inflight: 0.5,
      replicas: 1,
      busy: 0.95,
    },
  ).reason;
  assert.match(reason ?? '', /event loop at least 90% busy/);
});

test('never scales past max', () => {
  assert.deepEqual(run(3, [100, 100, 100, 100, 100]), [3, 3, 3, 3, 3]);
});

test('scales down one replica per whole delay of low load, never below min', () => {
  const idle = new Array<number>(35).fill(0);
  const r = run(3, idle);
  assert.equal(r[9], 3);
  assert.equal(r[10], 2); // 10 s of low load
  assert.equal(r[19], 2);
  assert.equal(r[20], 1); // another 10 s
  assert.equal(r[34], 1); // min
  // Load between the thresholds neither scales down nor counts toward it.
  assert.deepEqual(run(2, new Array<number>(15).fill(2)), new Array<number>(15).fill(2));
  // Low load interrupted restarts the clock.
  const bumpy = [...new Array<number>(8).fill(0), 3, ...new Array<number>(11).fill(0)];
  const b = run(2, bumpy);
  assert.equal(b[18], 2); // low again since t = 9 s
  assert.equal(b[19], 1);
});

test('brings a count outside min..max back inside at once', () => {
  const up = decideScale({ ...policy, minReplicas: 2 }, INITIAL_SCALE_STATE, {
    atMs: 0,
    inflight: 0,
    replicas: 1,
  });
  assert.equal(up.replicas, 2);
  assert.match(up.reason!, /minInstances/);
  const down = decideScale(policy, INITIAL_SCALE_STATE, { atMs: 0, inflight: 0, replicas: 5 });
  assert.equal(down.replicas, 3);
});

test('maxInstances -1 means one replica per core, never below min', () => {
  const cores = availableParallelism();
  assert.equal(unlimitedReplicas(1), Math.max(1, Math.min(MAX_REPLICAS, cores)));
  assert.equal(unlimitedReplicas(cores + 3), cores + 3);
});
