import { installWmlaErrors } from './wmla-errors.js';
/**
 * IBM WMLA "bring your own framework" execs (`/execs`) and the framework lists, on the runs
 * service: an exec is a user-code run whose code is the uploaded `file` (a single file or a
 * `.modelDir.tar`) and whose command comes from `args` (`--exec-start <framework> --model-main
 * <file> [user args…]`). Exec ids are run ids.
 */
import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { AppError, invalid, notFound } from '../../errors.js';
import { installWmlaAuth } from './wmla-auth.js';
import type { RunView } from '../../modules/runs/index.js';
import { zipStream } from '../../modules/registry/index.js';
import type { CompatSurface } from '../index.js';
import { WMLA_BASE, WMLA_RUN_STATE } from './wmla-common.js';

const BASE = WMLA_BASE;
const LABEL = 'wmla_exec';
const tags = ['wmla'];
/** Framework → how its `--model-main` is started (by file extension when not Python). */
export const WMLA_FRAMEWORKS = ['PyTorch', 'TensorFlow', 'Caffe', 'PyTorchOnElastic', 'Python', 'Shell'];
const STATE = WMLA_RUN_STATE;

const quote = (s: string) => (/^[A-Za-z0-9_./=:,+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** Splits an args string the way a shell would for plain words and quotes. */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

/** `--exec-start F --model-main main.py rest…` → the command that runs it. */
export function commandOf(args: string): { framework: string; main: string; command: string } {
  const words = splitArgs(args);
  let framework = '';
  let main = '';
  const rest: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '--exec-start') framework = words[++i] ?? '';
    else if (w === '--model-main') main = words[++i] ?? '';
    else rest.push(w);
  }
  if (!framework) throw invalid('args must name the framework: --exec-start <framework>');
  if (!WMLA_FRAMEWORKS.includes(framework))
    throw invalid(`framework '${framework}' is unknown (known: ${WMLA_FRAMEWORKS.join(', ')})`);
  if (!main) throw invalid('args must name the entry file: --model-main <file>');
  const runner = main.endsWith('.sh') ? 'sh' : /\.(m?js)$/.test(main) ? 'node' : 'python3';
  return { framework, main, command: [runner, main, ...rest].map(quote).join(' ') };
}

export const wmlaExecRoutes: CompatSurface = async (plain, { services, deps }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const { runs } = services;
  installWmlaAuth(app, services, deps);
  await app.register(multipart, { limits: { files: 1, fields: 8, fileSize: deps.config.uploadLimitBytes } });
  installWmlaErrors(app);

  async function exec(id: string): Promise<RunView> {
    const r = await runs.get(id).catch((e: unknown) => {
      throw e instanceof AppError && e.code === 'not_found' ? notFound('exec', id) : e;
    });
    if (r.labels[LABEL] === undefined) throw notFound('exec', id);
    return r;
  }

  const toBatch = (r: RunView) => ({
    id: r.id,
    execId: r.id,
    // WMLA points clients at these for Conductor calls; here the run id is the submission.
    submissionId: r.id,
    sigId: r.labels.sigName ?? '',
    name: r.name,
    args: r.labels.args ?? '',
    framework: r.labels.framework ?? '',
    state: STATE[r.state],
    reason: r.message ?? r.reason ?? '',
    creator: r.createdBy ?? '',
    createTime: r.createdAt,
    startTime: r.startedAt ?? '',
    endTime: r.endedAt ?? '',
    modelVersionId: r.modelVersionId ?? '',
  });

  const mine = async (req: FastifyRequest): Promise<RunView[]> =>
    (await runs.listByLabels({ [LABEL]: undefined })).filter((r) => r.createdBy === req.principal.name);

  const ExecQuery = Type.Object({
    args: Type.Optional(Type.String()),
    sigName: Type.Optional(Type.String()),
  });
  app.post(`${BASE}/execs`, { schema: { tags, querystring: ExecQuery } }, async (req, reply) => {
    if (!req.isMultipart()) throw invalid('send the model as multipart form field "file"');
    let args = req.query.args ?? '';
    let file: { name: string; bytes: Buffer } | null = null;
    for await (const part of req.parts()) {
      if (part.type === 'file') file = { name: part.filename, bytes: await part.toBuffer() };
      else if (part.fieldname === 'args') args = String(part.value);
    }
    if (!file) throw invalid('multipart field "file" is missing');
    const { framework, command } = commandOf(args);
    // WMLA names a model directory upload `<dir>.modelDir.tar`: it is a plain tar.
    const fileName = file.name.replace(/\.modelDir\.tar$/, '.tar');
    const code = await runs.uploadCode(fileName, new Uint8Array(file.bytes));
    const run = await runs.submit(
      {
        name: `exec-${file.name}`,
        codeId: code.id,
        command,
        labels: {
          [LABEL]: '1',
          framework,
          args,
          ...(req.query.sigName ? { sigName: req.query.sigName } : {}),
        },
      },
      req.principal.name,
    );
    void reply.status(201);
    return { ...toBatch(run), uid: run.id, href: `${BASE}/execs/${run.id}` };
  });

  app.get(`${BASE}/execs`, { schema: { tags } }, async (req) => (await mine(req)).map(toBatch));

  app.delete(`${BASE}/execs`, { schema: { tags } }, async (req, reply) => {
    for (const r of await mine(req)) await forget(r);
    void reply.status(204);
  });

  // DLFramework's fields (name, desc[], frameworkVersion, description) plus our earlier names.
  const frameworks = () =>
    WMLA_FRAMEWORKS.map((name) => ({
      name,
      frameworkName: name,
      version: '',
      frameworkVersion: '',
      desc: [`${name} (local process)`],
      description: `${name} (local process)`,
    }));
  app.get(`${BASE}/execs/frameworks`, { schema: { tags } }, async () => frameworks());
  app.get(`${BASE}/frameworks`, { schema: { tags } }, async () => frameworks());
  app.get(`${BASE}/frameworks/all`, { schema: { tags } }, async () => WMLA_FRAMEWORKS);

  const IdParams = Type.Object({ execId: Type.String() });
  app.get(`${BASE}/execs/:execId`, { schema: { tags, params: IdParams } }, async (req) =>
    toBatch(await exec(req.params.execId)),
  );

  app.get(`${BASE}/execs/:execId/log`, { schema: { tags, params: IdParams } }, async (req, reply) => {
    const r = await exec(req.params.execId);
    const lines: string[] = [];
    for (let after = 0; ;) {
      const page = await runs.logs(r.id, after, 5000);
      lines.push(...page.map((l) => l.text));
      if (page.length < 5000) break;
      after = page.at(-1)!.seq;
    }
    return reply.type('text/plain; charset=utf-8').send(lines.join('\n'));
  });

  /** The exec's output directory as a zip (its trained model and whatever else it wrote). */
  app.get(`${BASE}/execs/:execId/result`, { schema: { tags, params: IdParams } }, async (req, reply) => {
    const r = await exec(req.params.execId);
    const files = await runs.artifacts(r.id);
    if (files.length === 0) throw new AppError('not_found', `exec ${r.id} has no result (${STATE[r.state]})`);
    const zip = zipStream(
      files.map((f) => ({ name: f.path, open: async () => (await runs.openArtifact(r.id, f.path)).stream })),
    );
    return reply
      .type('application/zip')
      .header('content-disposition', `attachment; filename="${r.id}.zip"`)
      .send(zip);
  });

  async function stop(r: RunView) {
    await runs.cancel(r.id).catch((e: unknown) => {
      if (!(e instanceof AppError && e.code === 'conflict')) throw e; // already ended
    });
  }
  app.post(`${BASE}/execs/:execId/stop`, { schema: { tags, params: IdParams } }, async (req, reply) => {
    await stop(await exec(req.params.execId));
    void reply.status(204);
  });
  /**
   * Runs are history and are never deleted: deleting an exec stops it and relabels its run, so the
   * exec is gone for WMLA clients (404, no longer listed) while the run stays in /api/v1/runs.
   */
  async function forget(r: RunView) {
    await stop(r);
    const { [LABEL]: _l, ...labels } = r.labels;
    await runs.setLabels(r.id, { ...labels, wmla_deleted_exec: '1' });
  }
  app.delete(`${BASE}/execs/:execId`, { schema: { tags, params: IdParams } }, async (req, reply) => {
    await forget(await exec(req.params.execId));
    void reply.status(204);
  });
};
