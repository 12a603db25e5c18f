/**
 * Pipelines: named, versioned training programs a run can be started from. Every built-in learner
 * is the pipeline `builtin.<learner>` (version `1`); an uploaded pipeline is a code archive plus
 * the command that runs it (user code). Compat surfaces (O-RAN `/pipelines`) map onto this.
 */
import type { Db } from '../../infra/db/kysely.js';
import { nowIso } from '../../infra/db/kysely.js';
import { invalid, notFound } from '../../errors.js';
import { learners } from '../../learn/index.js';
import type { RunsService } from './runs.service.js';

export const BUILTIN_PREFIX = 'builtin.';
const NAME_RULE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

type PipelineTables = {
  run_pipelines: {
    name: string;
    version: string;
    code_id: string;
    command: string;
    description: string;
    created_at: string;
  };
};

export interface PipelineView {
  name: string;
  version: string;
  kind: 'builtin' | 'code';
  description: string;
  /** For uploaded pipelines: the code archive and its command. */
  codeId: string | null;
  command: string | null;
  createdAt: string | null;
}

/** What a run needs from a pipeline: a learner, or code + command. */
export type PipelineRunInput = { learner: string } | { codeId: string; command: string };

/** The command for a single-file archive when the uploader gives none, by file extension. */
function defaultCommand(files: string[]): string | null {
  if (files.length !== 1) return null;
  const f = files[0]!;
  const quoted = `'${f.replace(/'/g, `'\\''`)}'`;
  if (f.endsWith('.py')) return `python3 ${quoted}`;
  if (f.endsWith('.sh')) return `sh ${quoted}`;
  if (/\.(m?js)$/.test(f)) return `node ${quoted}`;
  return null;
}

export function createPipelinesService(deps: { db: Db; runs: RunsService }) {
  const db = deps.db.withTables<PipelineTables>();

  const builtins = (): PipelineView[] =>
    Object.keys(learners).map((l) => ({
      name: `${BUILTIN_PREFIX}${l}`,
      version: '1',
      kind: 'builtin',
      description: `built-in learner ${l}`,
      codeId: null,
      command: null,
      createdAt: null,
    }));

  const toView = (r: PipelineTables['run_pipelines']): PipelineView => ({
    name: r.name,
    version: r.version,
    kind: 'code',
    description: r.description,
    codeId: r.code_id,
    command: r.command,
    createdAt: r.created_at,
  });

  /** Stores an archive as pipeline `name` (a new version: `version`, or the next integer). */
  async function upload(
    name: string,
    fileName: string,
    bytes: Uint8Array,
    opts: { command?: string; description?: string; version?: string } = {},
  ): Promise<PipelineView> {
    if (!NAME_RULE.test(name) || name.startsWith(BUILTIN_PREFIX))
      throw invalid(`pipeline name '${name}' is invalid`, {
        errors: [
          { field: 'name', message: `letters, digits, . _ - (1–100), not starting with ${BUILTIN_PREFIX}` },
        ],
      });
    const code = await deps.runs.uploadCode(fileName, bytes);
    const command = opts.command?.trim() || defaultCommand(code.files);
    if (!command)
      throw invalid('command is required unless the archive is one .py, .sh or .js file', {
        errors: [{ field: 'command', message: 'required for this archive' }],
      });
    const existing = await db
      .selectFrom('run_pipelines')
      .select('version')
      .where('name', '=', name)
      .execute();
    const version =
      opts.version ?? String(existing.reduce((m, r) => Math.max(m, Number(r.version) || 0), 0) + 1);
    if (existing.some((r) => r.version === version))
      throw invalid(`pipeline ${name} already has version ${version}`, {
        errors: [{ field: 'version', message: 'exists' }],
      });
    const row = {
      name,
      version,
      code_id: code.id,
      command,
      description: opts.description ?? '',
      created_at: nowIso(),
    };
    await db.insertInto('run_pipelines').values(row).execute();
    return toView(row);
  }

  async function list(): Promise<PipelineView[]> {
    const rows = await db
      .selectFrom('run_pipelines')
      .selectAll()
      .orderBy('name')
      .orderBy('created_at')
      .execute();
    return [...builtins(), ...rows.map(toView)];
  }

  /** Pipeline `name` at `version` (default: the newest). */
  async function get(name: string, version?: string): Promise<PipelineView> {
    if (name.startsWith(BUILTIN_PREFIX)) {
      const b = builtins().find((p) => p.name === name);
      if (!b || (version && version !== b.version)) throw notFound('pipeline', name);
      return b;
    }
    let q = db.selectFrom('run_pipelines').selectAll().where('name', '=', name);
    if (version) q = q.where('version', '=', version);
    const rows = await q.orderBy('created_at', 'desc').execute();
    const r = rows[0];
    if (!r) throw notFound('pipeline', version ? `${name} version ${version}` : name);
    return toView(r);
  }

  /** The run fields that start `pipeline`. */
  function runInputOf(p: PipelineView): PipelineRunInput {
    if (p.kind === 'builtin') return { learner: p.name.slice(BUILTIN_PREFIX.length) };
    return { codeId: p.codeId!, command: p.command! };
  }

  return { upload, list, get, runInputOf };
}

export type PipelinesService = ReturnType<typeof createPipelinesService>;
