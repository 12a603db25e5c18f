/**
 * A ModelLoader for registry references (`name@alias`, `name/3`, a version id): it copies the
 * version's artifacts into a local cache directory once, then hands the directory to the serving
 * runtime's file loader (a .myd/.onnx file, or custom.py/custom.mjs code). The registry is reached
 * through a small source interface so the main server (registry service) and the CLI (HTTP API)
 * share the same loader.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { AppError } from '../../errors.js';
import type { ModelVersionView, RegistryService } from '../registry/index.js';
import { fileModelLoader } from '../serving/model-loader.js';
import type { LoadedModel, ModelLoader } from '../serving/model-loader.js';

/** The version facts the loader needs. */
export interface RegistryVersionRef {
  id: string;
  name: string;
  version: number;
  artifactVersion: string;
}

/** Where the loader reads versions and artifact bytes from. */
export interface RegistrySource {
  /** The version a reference points at, or null when the registry has none. */
  resolve(ref: string): Promise<RegistryVersionRef | null>;
  artifactPaths(versionId: string): Promise<string[]>;
  readArtifact(versionId: string, path: string): Promise<Buffer>;
}

async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The registry service as a source (in the server). */
export function registryServiceSource(registry: RegistryService): RegistrySource {
  return {
    async resolve(ref) {
      try {
        return versionRef(await registry.resolve(ref));
      } catch (e) {
        if (e instanceof AppError && e.code === 'not_found') return null;
        throw e;
      }
    },
    async artifactPaths(id) {
      return (await registry.listArtifacts(id)).map((a) => a.path);
    },
    async readArtifact(id, path) {
      return drain((await registry.openArtifact(id, path)).stream);
    },
  };
}

export function versionRef(v: ModelVersionView): RegistryVersionRef {
  return { id: v.id, name: v.name, version: v.version, artifactVersion: v.artifactVersion };
}

/** A registry reference looks like `name@alias`, `name/3`, `name/latest` or a 32-hex version id. */
export function looksLikeRegistryRef(ref: string): boolean {
  return /^[0-9a-f]{32}$/.test(ref) || /^[^@\s]+@[^@/\s]+$/.test(ref) || /^[^\s]+\/(\d+|latest)$/.test(ref);
}

/**
 * Copies a version's artifacts to `<cacheDir>/<id>-<hash of artifact version>/` (written to a temp
 * directory and renamed, so a half-copied model is never loaded) and returns that directory.
 */
export async function materializeVersion(
  source: RegistrySource,
  v: RegistryVersionRef,
  cacheDir: string,
): Promise<string> {
  const tag = createHash('sha256').update(v.artifactVersion).digest('hex').slice(0, 12);
  const dir = join(cacheDir, `${v.id}-${tag}`);
  if (existsSync(dir)) return dir;
  const paths = await source.artifactPaths(v.id);
  if (paths.length === 0)
    throw new AppError('invalid', `model version ${v.name}/${v.version} has no artifacts to serve`, {
      reason: 'no_artifacts',
    });
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  try {
    for (const p of paths) {
      const file = join(tmp, p);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, await source.readArtifact(v.id, p));
    }
    mkdirSync(cacheDir, { recursive: true });
    if (existsSync(dir)) rmSync(tmp, { recursive: true, force: true });
    else renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return dir;
}

/** Loads a version (already resolved) into a runtime; its name in V2/V1 routes is the model name. */
export async function loadVersion(
  source: RegistrySource,
  v: RegistryVersionRef,
  cacheDir: string,
): Promise<LoadedModel> {
  const dir = await materializeVersion(source, v, cacheDir);
  const loaded = await fileModelLoader.load(dir, {});
  if (!loaded) throw new Error(`artifacts of ${v.name}/${v.version} vanished from ${dir}`);
  return { runtime: loaded.runtime, name: v.name, version: String(v.version) };
}

/**
 * The loader `modelyard serve` and the deployments use for registry references. It answers null
 * (next loader) for anything that is not a registry reference or that the registry does not know.
 */
export function createRegistryModelLoader(source: RegistrySource, cacheDir: string): ModelLoader {
  return {
    async load(ref) {
      if (!looksLikeRegistryRef(ref)) return null;
      const v = await source.resolve(ref);
      return v ? loadVersion(source, v, cacheDir) : null;
    },
  };
}
