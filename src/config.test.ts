import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from './config.js';

test('defaults: loopback, port 8080, SQLite in ./.modelyard, auth auto', () => {
  const c = loadConfig({}, {});
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 8080);
  assert.match(c.dataDir, /\.modelyard$/);
  assert.equal(c.databaseUrl, '');
  assert.equal(c.authMode, 'auto');
  assert.equal(c.s3, null);
});

test('env twins are read and flags win over env', () => {
  const env = { MODELYARD_PORT: '9000', MODELYARD_HOST: '0.0.0.0', DATABASE_URL: 'postgres://x@y/z' };
  const c = loadConfig({ port: 9100 }, env);
  assert.equal(c.port, 9100);
  assert.equal(c.host, '0.0.0.0');
  assert.equal(c.databaseUrl, 'postgres://x@y/z');
});

test('bad values name the variable and the rule', () => {
  assert.throws(
    () => loadConfig({}, { MODELYARD_PORT: 'eighty' }),
    (e: Error) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /MODELYARD_PORT=eighty is invalid: expected an integer from 0 to 65535/);
      return true;
    },
  );
  assert.throws(() => loadConfig({}, { MODELYARD_AUTH: 'maybe' }), /expected one of auto, required/);
  assert.throws(() => loadConfig({}, { DATABASE_URL: 'mysql://x' }), /must start with postgres:\/\//);
});

test('S3 settings appear only when a bucket is named', () => {
  const c = loadConfig({}, { MODELYARD_S3_BUCKET: 'b', MODELYARD_S3_ENDPOINT: 'http://127.0.0.1:9000' });
  assert.equal(c.s3?.bucket, 'b');
  assert.equal(c.s3?.forcePathStyle, true);
});

test('queue: in process by default, BullMQ when REDIS_URL is set, and MODELYARD_QUEUE overrides', () => {
  assert.equal(loadConfig({}, {}).queueBackend, 'memory');
  const redis = loadConfig({}, { REDIS_URL: 'redis://127.0.0.1:6379' });
  assert.equal(redis.queueBackend, 'redis');
  assert.equal(redis.queuePrefix, 'modelyard');
  assert.equal(
    loadConfig({}, { REDIS_URL: 'redis://h:1', MODELYARD_QUEUE: 'memory' }).queueBackend,
    'memory',
  );
  assert.throws(() => loadConfig({}, { MODELYARD_QUEUE: 'redis' }), /MODELYARD_QUEUE=redis needs REDIS_URL/);
  assert.throws(() => loadConfig({}, { REDIS_URL: 'http://h' }), /REDIS_URL must start with redis:\/\//);
});

test('queue lock duration and stalled-check interval: 30 s by default, env in ms, bounds named', () => {
  const defaults = loadConfig({}, {});
  assert.equal(defaults.queueLockDurationMs, 30_000);
  assert.equal(defaults.queueStalledIntervalMs, 30_000);
  const set = loadConfig(
    {},
    { MODELYARD_QUEUE_LOCK_DURATION_MS: '10000', MODELYARD_QUEUE_STALLED_INTERVAL_MS: '2500' },
  );
  assert.equal(set.queueLockDurationMs, 10_000);
  assert.equal(set.queueStalledIntervalMs, 2500);
  assert.throws(
    () => loadConfig({}, { MODELYARD_QUEUE_LOCK_DURATION_MS: '30s' }),
    /MODELYARD_QUEUE_LOCK_DURATION_MS=30s is invalid: expected an integer from 500 to 86400000/,
  );
  assert.throws(
    () => loadConfig({}, { MODELYARD_QUEUE_STALLED_INTERVAL_MS: '100' }),
    /MODELYARD_QUEUE_STALLED_INTERVAL_MS=100 is invalid: expected an integer from 500 to 86400000/,
  );
});
