#!/usr/bin/env node
// Bundles the CLI/server into dist/ with esbuild. Loading one bundle instead of ~2,000 ESM files
// from node_modules cuts `modelyard` start-up by ~400 ms (docs/decisions/0001-bundle-the-cli.md).
// Type checking is `npm run check` (tsc --noEmit); this step only transpiles.
// It also builds the web UI (web/, Vite) into dist/web, which the server serves under /ui/.
import { build } from 'esbuild';
import { build as buildWeb } from 'vite';
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

function filesEndingWith(suffix, dir = 'src', out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) filesEndingWith(suffix, p, out);
    else if (name.endsWith(suffix)) out.push(p);
  }
  return out;
}

// Build beside dist/ and swap it in, so a CLI that is running (e.g. in another test run) never
// sees a half-written or missing bundle.
const tmp = `dist.tmp-${process.pid}`;
const old = `dist.old-${process.pid}`;
await build({
  // Worker-thread entry files are separate outputs: they are loaded by path at run time.
  entryPoints: ['src/cli/index.ts', ...filesEndingWith('.worker.ts')],
  outdir: tmp,
  outbase: 'src',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  // Native addons, packages that read their own files at run time, and optional heavy SDKs.
  external: [
    'better-sqlite3',
    'pg',
    'pg-native',
    '@fastify/swagger-ui',
    '@aws-sdk/*',
    'onnxruntime-node',
    'bullmq',
    'ioredis',
  ],
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});
// Plain-JavaScript scripts that run as processes of their own (the process executor's watchdog)
// are copied as they are, to the same place relative to the bundle root.
for (const file of filesEndingWith('.mjs')) {
  const target = join(tmp, relative('src', file));
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(file, target);
}
// The UI goes into the same temporary tree, so the swap below replaces bundle and UI together.
await buildWeb({
  root: 'web',
  configFile: 'web/vite.config.mjs',
  logLevel: 'warn',
  build: { outDir: resolve(tmp, 'web'), emptyOutDir: true },
});
try {
  renameSync('dist', old);
} catch {
  // no previous build
}
renameSync(tmp, 'dist');
rmSync(old, { recursive: true, force: true });
