import { resolve } from 'node:path';

/**
 * The one place that reads the environment. Every setting has a CLI flag and an env twin
 * (`MODELYARD_<NAME>`); flags win over env, env over defaults.
 */
export interface Config {
  /** Interface to listen on. Loopback with no API tokens lets the server run open (single user). */
  host: string;
  port: number;
  /** Holds the SQLite file and local blobs unless DATABASE_URL / S3 settings say otherwise. */
  dataDir: string;
  /** `postgres://…` selects PostgreSQL; empty selects SQLite in dataDir. */
  databaseUrl: string;
  /** `auto`: open on loopback while no token exists; `required`: always need a token. */
  authMode: 'auto' | 'required';
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Largest JSON / prediction body accepted. Uploads of datasets stream and are not bounded by it. */
  bodyLimitBytes: number;
  /** Largest dataset upload accepted. */
  uploadLimitBytes: number;
  s3: S3Config | null;
  /** `redis://…` (env REDIS_URL or MODELYARD_REDIS_URL); used by the BullMQ job queue. */
  redisUrl: string;
  /** `memory`: jobs in process (default); `redis`: BullMQ, shared by worker processes (default when redisUrl is set). */
  queueBackend: 'memory' | 'redis';
  /** Namespace of the queue's Redis keys, so several installations can share one Redis. */
  queuePrefix: string;
  /**
   * BullMQ only (env MODELYARD_QUEUE_LOCK_DURATION_MS, default 30 s): how long a worker's claim on
   * a running job lasts without renewal (renewed every half of it). A job whose worker died
   * (kill -9, lost machine) is delivered again once its lock expired and a stalled check ran, so a
   * shorter lock re-queues it sooner; too short, and a worker whose event loop stalls that long
   * loses jobs it is still running.
   */
  queueLockDurationMs: number;
  /**
   * BullMQ only (env MODELYARD_QUEUE_STALLED_INTERVAL_MS, default 30 s): how often each worker
   * looks for jobs whose lock expired.
   */
  queueStalledIntervalMs: number;
  influx: { url: string } | null;
  /** Run queues this process consumes and their concurrency (env MODELYARD_RUN_QUEUES, `default=2,gpu=1`). */
  runQueues: Record<string, number>;
  /** `on`: the server also executes runs (default); `off`: it only enqueues (workers run them). */
  runWorker: 'on' | 'off';
  /** URL user code uses to reach the API (default: the server's own listen URL). */
  publicUrl: string;
}

export interface S3Config {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Key prefix inside the bucket, e.g. `modelyard/`. */
  prefix: string;
  forcePathStyle: boolean;
}

/** Overrides that CLI flags may carry. */
export type ConfigOverrides = Partial<
  Pick<Config, 'host' | 'port' | 'dataDir' | 'databaseUrl' | 'logLevel' | 'authMode'>
>;

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string, fallback: string): string {
  const v = env[name];
  return v === undefined || v === '' ? fallback : v;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name}=${raw} is invalid: expected an integer from ${min} to ${max}`);
  }
  return n;
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name}=${raw} is invalid: expected one of ${allowed.join(', ')}`);
  }
  return raw as T;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Parses configuration once; throws ConfigError with the variable name and rule on bad input. */
export function loadConfig(overrides: ConfigOverrides = {}, env: Env = process.env): Config {
  const s3Bucket = str(env, 'MODELYARD_S3_BUCKET', '');
  const databaseUrl =
    overrides.databaseUrl ?? str(env, 'DATABASE_URL', str(env, 'MODELYARD_DATABASE_URL', ''));
  if (databaseUrl !== '' && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError(`DATABASE_URL must start with postgres:// (got '${databaseUrl.split(':')[0]}:…')`);
  }
  const redisUrl = str(env, 'REDIS_URL', str(env, 'MODELYARD_REDIS_URL', ''));
  if (redisUrl !== '' && !/^rediss?:\/\//.test(redisUrl)) {
    throw new ConfigError(
      `REDIS_URL must start with redis:// or rediss:// (got '${redisUrl.split(':')[0]}:…')`,
    );
  }
  const queueBackend = oneOf(env, 'MODELYARD_QUEUE', redisUrl === '' ? 'memory' : 'redis', [
    'memory',
    'redis',
  ] as const);
  if (queueBackend === 'redis' && redisUrl === '') {
    throw new ConfigError('MODELYARD_QUEUE=redis needs REDIS_URL (e.g. redis://127.0.0.1:6379)');
  }
  const config: Config = {
    host: overrides.host ?? str(env, 'MODELYARD_HOST', '127.0.0.1'),
    port: overrides.port ?? int(env, 'MODELYARD_PORT', 8080, 0, 65535),
    dataDir: resolve(overrides.dataDir ?? str(env, 'MODELYARD_DATA_DIR', '.modelyard')),
    databaseUrl,
    authMode: overrides.authMode ?? oneOf(env, 'MODELYARD_AUTH', 'auto', ['auto', 'required'] as const),
    logLevel: overrides.logLevel ?? oneOf(env, 'MODELYARD_LOG_LEVEL', 'info', LOG_LEVELS),
    bodyLimitBytes: int(env, 'MODELYARD_BODY_LIMIT_BYTES', 50 * 1024 * 1024, 1024, 2 ** 31),
    uploadLimitBytes: int(env, 'MODELYARD_UPLOAD_LIMIT_BYTES', 50 * 1024 ** 3, 1024, Number.MAX_SAFE_INTEGER),
    s3:
      s3Bucket === ''
        ? null
        : {
            endpoint: str(env, 'MODELYARD_S3_ENDPOINT', ''),
            bucket: s3Bucket,
            region: str(env, 'MODELYARD_S3_REGION', 'us-east-1'),
            accessKeyId: str(env, 'MODELYARD_S3_ACCESS_KEY_ID', str(env, 'AWS_ACCESS_KEY_ID', '')),
            secretAccessKey: str(
              env,
              'MODELYARD_S3_SECRET_ACCESS_KEY',
              str(env, 'AWS_SECRET_ACCESS_KEY', ''),
            ),
            prefix: str(env, 'MODELYARD_S3_PREFIX', ''),
            forcePathStyle: str(env, 'MODELYARD_S3_FORCE_PATH_STYLE', 'true') !== 'false',
          },
    redisUrl,
    queueBackend,
    queuePrefix: str(env, 'MODELYARD_QUEUE_PREFIX', 'modelyard'),
    queueLockDurationMs: int(env, 'MODELYARD_QUEUE_LOCK_DURATION_MS', 30_000, 500, DAY_MS),
    queueStalledIntervalMs: int(env, 'MODELYARD_QUEUE_STALLED_INTERVAL_MS', 30_000, 500, DAY_MS),
    influx:
      str(env, 'MODELYARD_INFLUX_URL', '') === '' ? null : { url: str(env, 'MODELYARD_INFLUX_URL', '') },
    runQueues: parseRunQueues(str(env, 'MODELYARD_RUN_QUEUES', 'default=2')),
    runWorker: oneOf(env, 'MODELYARD_RUN_WORKER', 'on', ['on', 'off'] as const),
    publicUrl: str(env, 'MODELYARD_PUBLIC_URL', '').replace(/\/+$/, ''),
  };
  return config;
}

/** Parses `name=concurrency,…` (a bare name means concurrency 1). */
export function parseRunQueues(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')) {
    const [name = '', n = '1'] = part.split('=');
    const concurrency = Number(n);
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(name) || !Number.isInteger(concurrency) || concurrency < 1) {
      throw new ConfigError(
        `MODELYARD_RUN_QUEUES entry '${part}' is invalid: expected <queue>=<concurrency ≥ 1>, queue names of letters, digits, . _ -`,
      );
    }
    out[name] = concurrency;
  }
  if (Object.keys(out).length === 0) throw new ConfigError('MODELYARD_RUN_QUEUES names no queue');
  return out;
}

/** Client-side settings for CLI commands that talk to a server. */
export interface ClientConfig {
  url: string;
  token: string;
}

export function loadClientConfig(overrides: Partial<ClientConfig>, env: Env = process.env): ClientConfig {
  return {
    url: (overrides.url ?? str(env, 'MODELYARD_URL', 'http://127.0.0.1:8080')).replace(/\/+$/, ''),
    token: overrides.token ?? str(env, 'MODELYARD_TOKEN', ''),
  };
}

/**
 * Server environment variables handed to programs the server runs: only `names` when given (user
 * code must not see database URLs, S3 keys or tokens), all of them for our own worker threads.
 */
export function childEnv(names?: readonly string[], env: Env = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names ?? Object.keys(env)) {
    const v = env[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** Test-only settings read from the environment (integration suites switch on these). */
export function testEnv(env: Env = process.env) {
  return {
    databaseUrl: str(env, 'DATABASE_URL', ''),
    redisUrl: str(env, 'REDIS_URL', ''),
    influxUrl: str(env, 'MODELYARD_INFLUX_URL', ''),
    requirePostgres: str(env, 'MODELYARD_REQUIRE_POSTGRES', '') === '1',
    /** Set by CI: the Redis (BullMQ) suites must run, so a missing REDIS_URL fails instead of skipping. */
    requireRedis: str(env, 'MODELYARD_REQUIRE_REDIS', '') === '1',
    /** Set by CI: the InfluxDB suite must run (influxd installed or MODELYARD_INFLUX_URL given). */
    requireInflux: !['', '0', 'false'].includes(str(env, 'MODELYARD_INFLUX_REQUIRED', '')),
  };
}
