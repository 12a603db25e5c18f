/**
 * A real InfluxDB 1.x for integration tests. Uses MODELYARD_INFLUX_URL when set; otherwise starts
 * `influxd` on free loopback ports with a throwaway config and data directory, and stops it after.
 * When influxd is not installed the suite is skipped with a reason, unless
 * MODELYARD_INFLUX_REQUIRED is set (CI), in which case starting fails loudly.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testEnv } from '../../src/config.js';

export interface InfluxServer {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  host: string;
  port: number;
  /** Creates a database (idempotent). */
  createDatabase(name: string): Promise<void>;
  /** Writes points in line protocol, timestamps in ms. */
  write(database: string, lines: string[]): Promise<void>;
  stop(): Promise<void>;
}

function influxdInstalled(): boolean {
  return spawnSync('influxd', ['version'], { stdio: 'ignore' }).status === 0;
}

/** Why the InfluxDB suite cannot run here, or undefined when it can (or must). */
export function influxSkipReason(): string | undefined {
  const env = testEnv();
  if (env.influxUrl !== '' || env.requireInflux || influxdInstalled()) return undefined;
  return 'influxd is not installed (apt-get install influxdb) and MODELYARD_INFLUX_URL is not set';
}

/** A port nobody listens on right now (for the server, and for "InfluxDB is down" tests). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPing(url: string, child: ChildProcess | null, logPath: string | null): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const r = await fetch(`${url}/ping`);
      if (r.status === 204) return;
    } catch {
      // not listening yet
    }
    if (child && child.exitCode !== null) {
      const log = logPath ? readFileSync(logPath, 'utf8').slice(-2000) : '';
      throw new Error(`influxd exited with code ${child.exitCode} before answering /ping:\n${log}`);
    }
    if (Date.now() > deadline) throw new Error(`InfluxDB at ${url} did not answer /ping within 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function influxCall(url: string, path: string, body: string): Promise<void> {
  const r = await fetch(`${url}${path}`, { method: 'POST', body });
  if (r.status >= 300) throw new Error(`InfluxDB ${path} answered ${r.status}: ${await r.text()}`);
}

function client(url: string, stop: () => Promise<void>): InfluxServer {
  const u = new URL(url);
  return {
    url,
    host: u.hostname,
    port: Number(u.port),
    createDatabase: async (name) => {
      const r = await fetch(`${url}/query`, {
        method: 'POST',
        body: new URLSearchParams({ q: `CREATE DATABASE "${name}"` }),
      });
      if (r.status >= 300) throw new Error(`CREATE DATABASE answered ${r.status}: ${await r.text()}`);
    },
    write: (database, lines) =>
      influxCall(url, `/write?db=${encodeURIComponent(database)}&precision=ms`, lines.join('\n')),
    stop,
  };
}

/** Starts (or connects to) InfluxDB. Call only when influxSkipReason() is undefined. */
export async function startInflux(): Promise<InfluxServer> {
  const env = testEnv();
  if (env.influxUrl !== '') {
    const url = env.influxUrl.replace(/\/+$/, '');
    await waitForPing(url, null, null);
    return client(url, async () => {});
  }
  if (!influxdInstalled())
    throw new Error(
      'MODELYARD_INFLUX_REQUIRED is set but influxd is not installed (apt-get install influxdb)',
    );
  const dir = mkdtempSync(join(tmpdir(), 'modelyard-influx-'));
  const [rpcPort, httpPort] = [await freePort(), await freePort()];
  const config = `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${join(dir, 'meta')}"
[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = false
  log-enabled = false
[logging]
  level = "warn"
`;
  const configPath = join(dir, 'influxdb.conf');
  const logPath = join(dir, 'influxd.log');
  writeFileSync(configPath, config);
  const logFd = openSync(logPath, 'a');
  const child = spawn('influxd', ['run', '-config', configPath], { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const url = `http://127.0.0.1:${httpPort}`;
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPing(url, child, logPath);
  } catch (e) {
    await stop();
    throw e;
  }
  return client(url, stop);
}
