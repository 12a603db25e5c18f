import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { cliArgs } from '../../test/helpers/cli.js';
import { buildFixtures } from '../../test/fixtures/serving/models.js';
import { statsBody } from '../modules/serving/stats.js';
import type { StatsPart } from '../modules/serving/stats.js';
import { restartDelayMs } from './serve-cluster.js';

test('a crashed worker is replaced at once, a crash loop backs off to at most 30 s', () => {
  assert.equal(restartDelayMs(50), 30_000);
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(restartDelayMs), [0, 1000, 2000, 4000, 8000, 16_000, 30_000]);
});

interface StatsBody {
  drum_info: Array<{ pid: number; mem: number; cpu_percent: number }>;
  mem_info: { drum_rss: number; total: number };
  time_info: {
    run_predictor_total: { avg: number | null; min: number | null; max: number | null; count: number };
  };
  batching?: { requests: number; batches: number; rows: number; maxBatchRequests: number };
  workers?: number;
  workers_missing?: number;
}

test("several processes' figures merge into one /stats/ body", () => {
  const part = (pid: number, rssMb: number, times: number[], maxBatch: number): StatsPart => ({
    process: { pid, cmdline: ['node'], rssBytes: rssMb * 1048576, cpuPercent: 12.34 },
    time: {
      count: times.length,
      min: times.length ? Math.min(...times) : 0,
      max: times.length ? Math.max(...times) : 0,
      total: times.reduce((a, b) => a + b, 0),
    },
    batching: { requests: times.length, batches: 1, rows: 2 * times.length, maxBatchRequests: maxBatch },
  });
  const primary = { pid: 1, cmdline: ['node'], rssBytes: 10 * 1048576, cpuPercent: 0 };
  const body = statsBody(
    [part(2, 100, [2, 4], 3), part(3, 50, [1, 1, 1, 9], 5), part(4, 60, [], 0)],
    [primary],
  ) as unknown as StatsBody;
  assert.deepEqual(
    body.drum_info.map((d) => [d.pid, d.mem, d.cpu_percent]),
    [
      [1, 10, 0],
      [2, 100, 12.3],
      [3, 50, 12.3],
      [4, 60, 12.3],
    ],
  );
  assert.equal(body.mem_info.drum_rss, 220);
  // avg is the mean over all 6 runs (18 ms / 6), not the mean of the workers' averages.
  assert.deepEqual(body.time_info.run_predictor_total, { avg: 0.003, min: 0.001, max: 0.009, count: 6 });
  assert.deepEqual(body.batching, { requests: 6, batches: 3, rows: 12, maxBatchRequests: 5 });
  const idle = statsBody([part(2, 100, [], 0)]) as unknown as StatsBody;
  assert.deepEqual(idle.time_info.run_predictor_total, { avg: null, min: null, max: null, count: 0 });
});

describe('serve --workers 2: /stats/ covers every worker', () => {
  let child: ChildProcess;
  let stderr = '';
  let url = '';

  /** One request on a fresh connection, so the cluster hands each to the next worker. */
  function call(
    method: string,
    path: string,
    body?: string,
  ): Promise<{ status: number; worker: number; body: string }> {
    return new Promise((resolve, reject) => {
      const headers = body ? { 'content-type': 'text/csv' } : {};
      const req = request(url + path, { method, agent: false, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () =>
          resolve({ status: res.statusCode!, worker: Number(res.headers['x-modelyard-worker']), body: text }),
        );
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  async function stats(): Promise<StatsBody> {
    const r = await call('GET', '/stats/');
    assert.equal(r.status, 200, r.body);
    return JSON.parse(r.body) as StatsBody;
  }

  before(async () => {
    const fx = buildFixtures();
    child = spawn(process.execPath, cliArgs('serve', fx.abc, '--address', '127.0.0.1:0', '--workers', '2'), {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const end = Date.now() + 60_000;
    while (!(url = /at (http:\/\/\S+)/.exec(stderr)?.[1] ?? '')) {
      if (child.exitCode !== null || Date.now() > end) throw new Error(`serve did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  test('request counts of both workers are summed, one drum_info entry per process, windows reset', async () => {
    await stats(); // starts every worker's window afresh
    const workers = new Set<number>();
    let sent = 0;
    while (sent < 6 || workers.size < 2) {
      assert.ok(sent < 200, `only workers ${[...workers].join(', ')} answered`);
      const r = await call('POST', '/predict/', 'a,b,c\n4,1,0\n-4,0,2\n');
      assert.equal(r.status, 200, r.body);
      workers.add(r.worker);
      sent++;
    }
    const s = await stats();
    assert.equal(s.workers, 2);
    assert.equal(s.workers_missing, 0);
    assert.equal(s.time_info.run_predictor_total.count, sent);
    const t = s.time_info.run_predictor_total;
    assert.ok(t.min! <= t.avg! && t.avg! <= t.max!, JSON.stringify(t));
    // The supervising primary first, then one entry per worker.
    const byPid = (a: number, b: number) => a - b;
    assert.equal(s.drum_info[0]!.pid, child.pid);
    assert.deepEqual(
      s.drum_info
        .slice(1)
        .map((d) => d.pid)
        .sort(byPid),
      [...workers].sort(byPid),
    );
    const rss = s.drum_info.reduce((sum, d) => sum + d.mem, 0);
    assert.ok(Math.abs(s.mem_info.drum_rss - rss) < 0.05, `${s.mem_info.drum_rss} vs ${rss}`);
    // Batching counters are not windowed: every prediction since start, summed over the workers.
    assert.equal(s.batching?.requests, sent);
    const again = await stats();
    assert.equal(again.time_info.run_predictor_total.count, 0);
    assert.equal(again.workers, 2);
  });

  test('a worker that does not answer is left out and counted as missing', async () => {
    const workers = new Set<number>();
    while (workers.size < 2) workers.add((await call('GET', '/ping/')).worker);
    const [stopped, running] = [...workers];
    process.kill(stopped!, 'SIGSTOP');
    try {
      // The stopped worker takes no connection, so at least one of these reaches the running one.
      const reads = [stats(), stats()];
      const first = await Promise.race(reads);
      assert.equal(first.workers, 1);
      assert.equal(first.workers_missing, 1);
      assert.deepEqual(
        first.drum_info.map((d) => d.pid),
        [child.pid, running],
      );
      process.kill(stopped!, 'SIGCONT');
      for (const r of await Promise.all(reads)) assert.equal(r.workers! + r.workers_missing!, 2);
    } finally {
      process.kill(stopped!, 'SIGCONT');
    }
  });
});
