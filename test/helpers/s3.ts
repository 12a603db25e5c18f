/**
 * A real local S3-compatible server for tests: s3rver in a child process, on a free port, with a
 * temp directory. One bucket is created at start-up.
 *
 * s3rver is the S3 look-alike on npm that runs in Node; its gaps (no atomic overwrite, no
 * AbortMultipartUpload, ListMultipartUploads or ListParts, folder-ordered listings, `bytes=0-0`
 * read as `bytes=0-`) are noted where they matter. Debian bookworm packages no S3-compatible server (no minio), so there is no
 * better candidate installable here.
 *
 * Why a child process: s3rver signs its ListObjectsV2 continuation tokens with DES, which
 * OpenSSL 3 (Node 17+) only offers through the legacy provider. Turning that on for the test
 * process itself would hide the same mistake in our code, so only the server gets
 * `--openssl-legacy-provider`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Config } from '../../src/config.js';

export interface LocalS3Server {
  endpoint: string;
  bucket: string;
  /** Where s3rver keeps its files (buckets are folders under it). */
  directory: string;
  /** Ids of multipart uploads started and neither completed nor aborted, in any bucket. */
  pendingUploads(): string[];
  /**
   * Makes a pending multipart upload look started (and its parts written) `ms` ago, as one a
   * process killed long ago would have left.
   */
  ageUpload(uploadId: string, ms: number): void;
  /** Connection settings for the adapter, with the given key prefix. */
  config(prefix?: string): S3Config;
  stop(): Promise<void>;
}

// Runs inside the child: start s3rver on port 0 and report the port it got on stdout.
const SERVER_SCRIPT = `
const S3rver = require(process.env.S3RVER_PATH);
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: process.env.S3RVER_DIR,
  configureBuckets: [{ name: process.env.S3RVER_BUCKET, configs: [] }],
});
// s3rver 3.7 lacks AbortMultipartUpload (it answers MethodNotAllowed and keeps the parts). Answer it
// as S3 does, so that tests can see whether the adapter aborts what it started.
const fs = require('fs');
const path = require('path');
server.middleware.unshift(async (ctx, next) => {
  const bucket = ctx.method === 'DELETE' && ctx.query.uploadId ? ctx.path.split('/')[1] : '';
  if (!bucket) return next();
  const uploads = path.join(process.env.S3RVER_DIR, bucket, '._S3rver_uploads');
  fs.rmSync(path.join(uploads, path.basename(String(ctx.query.uploadId))), { recursive: true, force: true });
  ctx.status = 204;
});
// Nor ListMultipartUploads and ListParts (NotImplemented): answer them from s3rver's upload folder,
// with an upload initiated when its key file was written and a part modified when its file was.
const xml = (v) => String(v).replace(/[<>&'"]/g, (c) => '&#' + c.charCodeAt(0) + ';');
const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
server.middleware.unshift(async (ctx, next) => {
  const parts = ctx.path.split('/').filter(Boolean);
  const listUploads = parts.length === 1 && 'uploads' in ctx.query;
  const listParts = parts.length > 1 && typeof ctx.query.uploadId === 'string';
  if (ctx.method !== 'GET' || !(listUploads || listParts)) return next();
  const uploads = path.join(process.env.S3RVER_DIR, parts[0], '._S3rver_uploads');
  ctx.type = 'application/xml';
  if (listUploads) {
    const prefix = String(ctx.query.prefix || '');
    const items = [];
    for (const id of fs.existsSync(uploads) ? fs.readdirSync(uploads) : []) {
      try {
        const keyFile = path.join(uploads, id, 'key');
        items.push({ id, key: fs.readFileSync(keyFile, 'utf8'), at: fs.statSync(keyFile).mtime });
      } catch {} // being created or aborted right now
    }
    const shown = items.filter((u) => u.key.startsWith(prefix)).sort((a, b) => (a.key < b.key ? -1 : 1));
    ctx.body = '<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult ' + NS + '><Bucket>' +
      xml(parts[0]) + '</Bucket><Prefix>' + xml(prefix) + '</Prefix><IsTruncated>false</IsTruncated>' +
      shown.map((u) => '<Upload><Key>' + xml(u.key) + '</Key><UploadId>' + xml(u.id) + '</UploadId><Initiated>' +
        u.at.toISOString() + '</Initiated><StorageClass>STANDARD</StorageClass></Upload>').join('') +
      '</ListMultipartUploadsResult>';
    return;
  }
  const dir = path.join(uploads, path.basename(ctx.query.uploadId));
  if (!fs.existsSync(dir)) {
    ctx.status = 404;
    ctx.body = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchUpload</Code><Message>no such upload</Message></Error>';
    return;
  }
  const numbers = fs.readdirSync(dir).filter((f) => /^\\d+$/.test(f)).map(Number).sort((a, b) => a - b);
  ctx.body = '<?xml version="1.0" encoding="UTF-8"?><ListPartsResult ' + NS + '><Bucket>' + xml(parts[0]) +
    '</Bucket><UploadId>' + xml(ctx.query.uploadId) + '</UploadId><IsTruncated>false</IsTruncated>' +
    numbers.map((n) => {
      const st = fs.statSync(path.join(dir, String(n)));
      return '<Part><PartNumber>' + n + '</PartNumber><LastModified>' + st.mtime.toISOString() +
        '</LastModified><Size>' + st.size + '</Size></Part>';
    }).join('') + '</ListPartsResult>';
});
server.run().then(
  (addr) => process.stdout.write(JSON.stringify({ port: addr.port }) + '\\n'),
  (err) => { console.error(err); process.exit(1); },
);
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
`;

const START_TIMEOUT_MS = 15_000;

/** Starts s3rver with one bucket; stop() kills it and removes its directory. */
export async function startLocalS3(bucket = 'modelyard-test'): Promise<LocalS3Server> {
  const directory = mkdtempSync(join(tmpdir(), 'modelyard-s3-'));
  const s3rverPath = createRequire(import.meta.url).resolve('s3rver');
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', SERVER_SCRIPT], {
    env: { PATH: process.env.PATH, S3RVER_PATH: s3rverPath, S3RVER_DIR: directory, S3RVER_BUCKET: bucket },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let port: number;
  try {
    port = await readPort(child);
  } catch (e) {
    child.kill('SIGKILL');
    rmSync(directory, { recursive: true, force: true });
    throw e;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    directory,
    pendingUploads: () =>
      readdirSync(directory).flatMap((b) => {
        const uploads = join(directory, b, '._S3rver_uploads');
        return existsSync(uploads) ? readdirSync(uploads) : [];
      }),
    ageUpload: (uploadId, ms) => {
      const when = new Date(Date.now() - ms);
      for (const b of readdirSync(directory)) {
        const dir = join(directory, b, '._S3rver_uploads', uploadId);
        if (!existsSync(dir)) continue;
        for (const f of readdirSync(dir)) utimesSync(join(dir, f), when, when);
      }
    },
    config: (prefix = '') => ({
      endpoint,
      bucket,
      region: 'us-east-1',
      // s3rver's fixed credentials.
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      prefix,
      forcePathStyle: true,
    }),
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

function readPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`s3rver did not start in ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited with code ${code}: ${err.trim()}`));
    });
  });
}
