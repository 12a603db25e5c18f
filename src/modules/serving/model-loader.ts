/**
 * Resolves a model reference to a runtime. Loaders are tried in order; the file loader handles
 * paths (built-in model file, .onnx file, or a directory with custom.py / custom.mjs). A registry
 * loader (`model@alias`, `model/version`) plugs in ahead of it without changing the server.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { createBuiltinRuntime, isBuiltinModel } from './builtin-runtime.js';
import { createCustomRuntime, customLanguageOf } from './custom-runtime.js';
import type { CustomRuntimeOptions } from './custom-runtime.js';
import { createOnnxRuntime } from './onnx-runtime.js';
import type { ModelRuntime } from './serving.types.js';

export interface LoadedModel {
  runtime: ModelRuntime;
  /** Default model name in the V2/V1 routes (a file's basename without extension). */
  name: string;
  version?: string;
}

export interface ModelLoader {
  /** A runtime when this loader understands `ref`, or null to let the next loader try. */
  load(ref: string, options: CustomRuntimeOptions): Promise<LoadedModel | null>;
}

const MODEL_EXTS = ['.myd', '.onnx'];

async function loadFile(path: string): Promise<ModelRuntime> {
  const bytes = await readFile(path);
  if (isBuiltinModel(bytes)) return createBuiltinRuntime(bytes, path);
  if (extname(path).toLowerCase() === '.onnx') return createOnnxRuntime(path);
  throw new Error(`'${path}' is neither a Modelyard model file nor an .onnx file`);
}

/** Paths: a model file, or a directory holding custom.py / custom.mjs or exactly one model file. */
export const fileModelLoader: ModelLoader = {
  async load(ref, options) {
    if (!existsSync(ref)) return null;
    const name = basename(ref).replace(/\.[^.]+$/, '') || 'model';
    if (!statSync(ref).isDirectory()) return { runtime: await loadFile(ref), name };
    const language = customLanguageOf(ref);
    if (language) return { runtime: await createCustomRuntime(ref, language, options), name };
    const files = readdirSync(ref).filter((f) => MODEL_EXTS.includes(extname(f).toLowerCase()));
    if (files.length !== 1)
      throw new Error(`'${ref}' has no custom.py or custom.mjs and not exactly one .myd/.onnx file`);
    return { runtime: await loadFile(join(ref, files[0]!)), name };
  },
};

export async function loadModelRef(
  ref: string,
  loaders: ModelLoader[] = [fileModelLoader],
  options: CustomRuntimeOptions = {},
): Promise<LoadedModel> {
  for (const loader of loaders) {
    const loaded = await loader.load(ref, options);
    if (loaded) return loaded;
  }
  throw new Error(`cannot find model '${ref}' (no such file or directory)`);
}
