/** Request-time statistics for /stats/ (DRUM resets the time figures on each read). */
import { freemem, totalmem } from 'node:os';

export interface TimeStats {
  count: number;
  min: number;
  max: number;
  total: number;
}

export interface StatsCollector {
  /** Records one predictor run of `ms` milliseconds. */
  record(ms: number): void;
  /** DRUM's /stats/ body plus our batching counters; resets the time figures. */
  snapshot(extra: Record<string, unknown>): Record<string, unknown>;
  readonly totals: { requests: number; errors: number };
}

export function createStats(): StatsCollector {
  let t: TimeStats = { count: 0, min: Infinity, max: 0, total: 0 };
  let lastCpu = process.cpuUsage();
  let lastAt = performance.now();
  const totals = { requests: 0, errors: 0 };
  return {
    totals,
    record(ms) {
      t.count++;
      t.total += ms;
      if (ms < t.min) t.min = ms;
      if (ms > t.max) t.max = ms;
    },
    snapshot(extra) {
      const mb = (b: number) => Math.round((b / 1048576) * 100) / 100;
      const now = performance.now();
      const cpu = process.cpuUsage(lastCpu);
      const cpuPercent = now > lastAt ? ((cpu.user + cpu.system) / 1000 / (now - lastAt)) * 100 : 0;
      lastCpu = process.cpuUsage();
      lastAt = now;
      const rss = process.memoryUsage().rss;
      const sec = (ms: number) => Math.round(ms * 1e3) / 1e6;
      const time = t.count
        ? { avg: sec(t.total / t.count), min: sec(t.min), max: sec(t.max), count: t.count }
        : { avg: null, min: null, max: null, count: 0 };
      t = { count: 0, min: Infinity, max: 0, total: 0 };
      return {
        drum_info: [
          {
            cmdline: process.argv,
            mem: mb(rss),
            pid: process.pid,
            cpu_percent: Math.round(cpuPercent * 10) / 10,
          },
        ],
        mem_info: {
          avail: mb(freemem()),
          free: mb(freemem()),
          total: mb(totalmem()),
          drum_rss: mb(rss),
          container_limit: null,
          container_max_used: null,
          container_used: null,
          nginx_rss: 0,
        },
        time_info: { run_predictor_total: time },
        ...extra,
      };
    },
  };
}
