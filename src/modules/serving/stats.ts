/**
 * Request-time statistics for /stats/ (DRUM resets the time figures on each read), and DRUM's body
 * made from one process's figures or, under `serve --workers`, from every worker's.
 */
import { freemem, totalmem } from 'node:os';

/** Predictor run times in milliseconds; `min` is 0 while `count` is 0 (JSON has no Infinity). */
export interface TimeStats {
  count: number;
  min: number;
  max: number;
  total: number;
}

/** One process as DRUM's `drum_info` lists it. */
export interface ProcessSample {
  pid: number;
  cmdline: string[];
  rssBytes: number;
  /** CPU time over wall time since the previous sample, in percent. */
  cpuPercent: number;
}

export interface BatchingCounters {
  requests: number;
  batches: number;
  rows: number;
  maxBatchRequests: number;
}

/** One process's figures since its previous read: plain JSON, so a worker can send it over IPC. */
export interface StatsPart {
  process: ProcessSample;
  time: TimeStats;
  batching?: BatchingCounters;
}

export interface StatsCollector {
  /** Records one predictor run of `ms` milliseconds. */
  record(ms: number): void;
  /** This process's figures since the previous read; starts a new time window. */
  take(): StatsPart;
  /** DRUM's /stats/ body plus `extra` (our batching counters); resets the time figures. */
  snapshot(extra: Record<string, unknown>): Record<string, unknown>;
  readonly totals: { requests: number; errors: number };
}

/** Samples this process; each call's CPU figure covers the time since the previous call. */
export function createProcessSampler(): () => ProcessSample {
  let lastCpu = process.cpuUsage();
  let lastAt = performance.now();
  return () => {
    const now = performance.now();
    const cpu = process.cpuUsage(lastCpu);
    const cpuPercent = now > lastAt ? ((cpu.user + cpu.system) / 1000 / (now - lastAt)) * 100 : 0;
    lastCpu = process.cpuUsage();
    lastAt = now;
    return { pid: process.pid, cmdline: process.argv, rssBytes: process.memoryUsage().rss, cpuPercent };
  };
}

const emptyTime = (): TimeStats => ({ count: 0, min: 0, max: 0, total: 0 });

export function createStats(): StatsCollector {
  let t = emptyTime();
  const sample = createProcessSampler();
  const totals = { requests: 0, errors: 0 };
  const take = (): StatsPart => {
    const time = t;
    t = emptyTime();
    return { process: sample(), time };
  };
  return {
    totals,
    record(ms) {
      if (t.count === 0 || ms < t.min) t.min = ms;
      if (ms > t.max) t.max = ms;
      t.count++;
      t.total += ms;
    },
    take,
    snapshot(extra) {
      return { ...statsBody([take()]), ...extra };
    },
  };
}

/**
 * DRUM's body from several processes' figures: `others` (e.g. a supervising primary) listed first
 * with their memory counted, then one `drum_info` entry per part. Run times merge exactly — count
 * and total summed, avg = total / count — and batching counters are summed (the largest batch is
 * the largest of any). The machine's memory figures are given once.
 */
export function statsBody(parts: StatsPart[], others: ProcessSample[] = []): Record<string, unknown> {
  const mb = (b: number) => Math.round((b / 1048576) * 100) / 100;
  const sec = (ms: number) => Math.round(ms * 1e3) / 1e6;
  const processes = [...others, ...parts.map((p) => p.process)];
  const time = emptyTime();
  for (const { time: p } of parts) {
    if (p.count === 0) continue;
    time.min = time.count === 0 ? p.min : Math.min(time.min, p.min);
    time.max = Math.max(time.max, p.max);
    time.count += p.count;
    time.total += p.total;
  }
  const counted = parts.filter((p) => p.batching);
  const batching: BatchingCounters = { requests: 0, batches: 0, rows: 0, maxBatchRequests: 0 };
  for (const { batching: b } of counted) {
    batching.requests += b!.requests;
    batching.batches += b!.batches;
    batching.rows += b!.rows;
    batching.maxBatchRequests = Math.max(batching.maxBatchRequests, b!.maxBatchRequests);
  }
  return {
    drum_info: processes.map((p) => ({
      cmdline: p.cmdline,
      mem: mb(p.rssBytes),
      pid: p.pid,
      cpu_percent: Math.round(p.cpuPercent * 10) / 10,
    })),
    mem_info: {
      avail: mb(freemem()),
      free: mb(freemem()),
      total: mb(totalmem()),
      drum_rss: mb(processes.reduce((sum, p) => sum + p.rssBytes, 0)),
      container_limit: null,
      container_max_used: null,
      container_used: null,
      nginx_rss: 0,
    },
    time_info: {
      run_predictor_total: time.count
        ? { avg: sec(time.total / time.count), min: sec(time.min), max: sec(time.max), count: time.count }
        : { avg: null, min: null, max: null, count: 0 },
    },
    ...(counted.length > 0 ? { batching } : {}),
  };
}
