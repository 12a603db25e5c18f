/**
 * Server start-up removes the temp blobs of puts a crashed process abandoned over an hour ago,
 * and leaves stored blobs and recent temp files (a put possibly still running) alone.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/main.js';

test('start-up sweeps temp blobs abandoned over an hour ago', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'modelyard-sweep-'));
  const dir = join(dataDir, 'blobs', 'datasets', 'd1', 'v1');
  mkdirSync(dir, { recursive: true });
  const stored = join(dir, 'data.csv');
  const old = join(dir, 'data.csv.tmp-0123456789ab');
  const recent = join(dir, 'data.csv.tmp-ba9876543210');
  for (const f of [stored, old, recent]) writeFileSync(f, 'a,b\n1,2\n');
  const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
  utimesSync(old, twoHoursAgo, twoHoursAgo);
  utimesSync(stored, twoHoursAgo, twoHoursAgo);
  const server = await startServer(loadConfig({ dataDir, port: 0, logLevel: 'silent' }, {}));
  try {
    // The sweep runs in the background after listen: poll for its outcome.
    const deadline = Date.now() + 60_000;
    while (existsSync(old) && Date.now() < deadline) await sleep(20);
    assert.equal(existsSync(old), false, 'the abandoned temp file is removed');
    assert.equal(existsSync(recent), true, 'a recent temp file stays');
    assert.equal(existsSync(stored), true, 'stored blobs stay');
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
