/**
 * IBM WMLA `models/{m}/trainings` on the runs service. A training is a run labelled with its WMLA
 * model and training name. `dlFramework` `builtin.<learner>` trains a built-in learner on the
 * model's dataset with the model's `hyperparameter` object as its parameters; any WMLA framework
 * runs the model's files (its template's files, overlaid by its own) as user code, with
 * `config.json` holding the model's hyperparameters plus the training's settings.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { AppError, conflict, invalid } from '../../errors.js';
import { installWmlaAuth } from './wmla-auth.js';
import { zipStream, type ModelVersionView, type RegistryService } from '../../modules/registry/index.js';
import { BUILTIN_PREFIX, isTerminal, type RunsService, type RunView } from '../../modules/runs/index.js';
import type { CompatSurface } from '../index.js';
import {
  findWmla,
  mustFindWmla,
  WMLA_BASE,
  WMLA_MODELS_PROJECT,
  WMLA_RUN_STATE,
  WMLA_TEMPLATES_PROJECT,
} from './wmla-common.js';
import { installWmlaErrors } from './wmla-errors.js';
import { commandOf, WMLA_FRAMEWORKS } from './wmla-execs.routes.js';

const BASE = `${WMLA_BASE}/models/:m`;
const tags = ['wmla'];
/** Run labels: the WMLA model and training name, and the training's settings as JSON. */
export const TRAINING_LABELS = {
  model: 'wmla_model',
  training: 'wmla_training',
  settings: 'wmla_training_settings',
};
const NAME_RULE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const ENTRY_FILES = ['main.py', 'main.js', 'main.sh', 'train.py'];

const TrainingBody = Type.Object(
  {
    trainName: Type.String({ minLength: 1 }),
    dlFramework: Type.String({ minLength: 1 }),
    clusterSize: Type.Integer({ minimum: 1 }),
    cmd: Type.Optional(Type.String()),
    wtURL: Type.Optional(Type.String()),
    wfinit: Type.Optional(Type.String()),
    wtfolder: Type.Optional(Type.String()),
    gpuRatio: Type.Optional(Type.Number({ minimum: 0 })),
    testInterval: Type.Optional(Type.Integer({ minimum: 1 })),
    testIteration: Type.Optional(Type.Integer({ minimum: 1 })),
    syncMode: Type.Optional(Type.Union([Type.Literal('SYNC'), Type.Literal('ASYNC')])),
    distribute: Type.Optional(Type.Union([Type.String(), Type.Boolean()])),
    dataset: Type.Optional(Type.String({ minLength: 1, description: "Overrides the model's dataset" })),
  },
  { additionalProperties: true },
);
type TrainingBody = Static<typeof TrainingBody>;
type Settings = Omit<TrainingBody, 'trainName' | 'dataset'> & { testInterval: number; testIteration: number };

/** The trainings of WMLA model `m`, or the one named `t`. */
export async function trainingsOf(runs: RunsService, m: string, t?: string): Promise<RunView[]> {
  return runs.listByLabels({ [TRAINING_LABELS.model]: m, [TRAINING_LABELS.training]: t });
}

/** The training `t` of model `m`; 404 naming both. */
export async function mustFindTraining(runs: RunsService, m: string, t: string): Promise<RunView> {
  const [r] = await trainingsOf(runs, m, t);
  if (!r) throw new AppError('not_found', `training '${t}' of model '${m}' was not found`);
  return r;
}

/**
 * Runs are history: deleting a training (or its model) relabels its run, so WMLA no longer sees it
 * and the name is free again, while the run stays in /api/v1/runs.
 */
export async function forgetTraining(runs: RunsService, r: RunView): Promise<void> {
  const { [TRAINING_LABELS.model]: m, [TRAINING_LABELS.training]: t, ...labels } = r.labels;
  await runs.setLabels(r.id, { ...labels, wmla_deleted_training: `${m}/${t}` });
}

/** The model's code: its template's files, then its own (same paths win), as one zip. */
async function codeZip(
  reg: RegistryService,
  model: ModelVersionView,
): Promise<{ bytes: Uint8Array; files: string[] }> {
  const template = await findWmla(
    reg,
    WMLA_TEMPLATES_PROJECT,
    String((model.design as { templatename?: unknown } | null)?.templatename ?? ''),
  );
  const { stream, paths } = await reg.openLayeredZip(template ? [template.id, model.id] : [model.id]);
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return { bytes: new Uint8Array(Buffer.concat(chunks)), files: paths };
}

function commandFor(cmd: string | undefined, files: string[]): string {
  if (cmd?.includes('--exec-start')) return commandOf(cmd).command;
  if (cmd) return cmd;
  const entry = ENTRY_FILES.find((f) => files.includes(f));
  if (!entry)
    throw invalid(`cmd is required: the model has none of ${ENTRY_FILES.join(', ')}`, {
      errors: [{ field: 'cmd', message: 'required when the model has no main file' }],
    });
  return commandOf(`--exec-start Python --model-main ${entry}`).command;
}

export const wmlaTrainingRoutes: CompatSurface = async (plain, { services, deps }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const { runs, registry: reg } = services;
  installWmlaAuth(app, services, deps);
  installWmlaErrors(app);

  const model = (m: string) => mustFindWmla(reg, WMLA_MODELS_PROJECT, m, 'model');

  /** WMLA trainings of runs; their progress (the runs service's percent) is read in one query. */
  async function toTrainings(list: RunView[]) {
    const progress = await runs.progress(list);
    return list.map((r) => toTraining(r, progress.get(r.id)!));
  }
  const toOne = async (r: RunView) => (await toTrainings([r]))[0]!;

  /** TrainingParameters, flat as before and nested as TrainDetail {model, dataset, trainingParameters}. */
  function toTraining(r: RunView, progress: number) {
    const params = trainingParameters(r, progress);
    return { ...params, model: params.modelName, trainingParameters: params };
  }

  function trainingParameters(r: RunView, progress: number) {
    const settings = JSON.parse(r.labels[TRAINING_LABELS.settings] ?? '{}') as Settings;
    return {
      ...settings,
      trainName: r.labels[TRAINING_LABELS.training],
      modelName: r.labels[TRAINING_LABELS.model],
      dataset: r.dataset?.name ?? '',
      status: WMLA_RUN_STATE[r.state],
      reason: r.message ?? r.reason ?? '',
      progress: `${progress}%`,
      appid: r.id,
      appURL: `/api/v1/runs/${r.id}`,
      createTime: r.createdAt,
      startTime: r.startedAt ?? '',
      endTime: r.endedAt ?? '',
      user: r.createdBy ?? '',
      modelVersionId: r.modelVersionId ?? '',
    };
  }

  const MParams = Type.Object({ m: Type.String() });
  const TParams = Type.Object({ m: Type.String(), t: Type.String() });

  app.get(`${BASE}/trainings`, { schema: { tags, params: MParams } }, async (req) => {
    await model(req.params.m);
    return toTrainings(await trainingsOf(runs, req.params.m));
  });

  app.get(`${BASE}/trainingnames`, { schema: { tags, params: MParams } }, async (req) => {
    await model(req.params.m);
    return (await trainingsOf(runs, req.params.m)).map((r) => r.labels[TRAINING_LABELS.training]!);
  });

  app.post(
    `${BASE}/trainings`,
    { schema: { tags, params: MParams, body: TrainingBody } },
    async (req, reply) => {
      const { m } = req.params;
      const { trainName, dataset: datasetOverride, ...rest } = req.body;
      if (!NAME_RULE.test(trainName))
        throw invalid(
          'trainName must be 1 to 100 letters, digits, _ . or -, starting with a letter or digit',
          {
            errors: [{ field: 'trainName', message: `must match ${NAME_RULE.source}` }],
          },
        );
      const v = await model(m);
      if ((await trainingsOf(runs, m, trainName)).length > 0)
        throw conflict(`training '${trainName}' of model '${m}' already exists`);
      const design = (v.design ?? {}) as { dataset?: unknown; hyperparameter?: unknown };
      const hyper = (design.hyperparameter ?? {}) as Record<string, unknown>;
      if (typeof hyper !== 'object' || Array.isArray(hyper))
        throw invalid(`model '${m}' has a hyperparameter that is not an object`);
      const dataset = datasetOverride ?? (typeof design.dataset === 'string' ? design.dataset : undefined);
      const settings: Settings = {
        ...rest,
        testInterval: rest.testInterval ?? 100,
        testIteration: rest.testIteration ?? 10,
      };
      const common = {
        name: `${m}-${trainName}`,
        modelName: m,
        // The model's version is in use while the training runs (its delete is refused).
        usesModelVersionId: v.id,
        ...(dataset ? { dataset } : {}),
        labels: {
          [TRAINING_LABELS.model]: m,
          [TRAINING_LABELS.training]: trainName,
          [TRAINING_LABELS.settings]: JSON.stringify(settings),
        },
      };
      let run: RunView;
      if (rest.dlFramework.startsWith(BUILTIN_PREFIX)) {
        run = await runs.submit(
          { ...common, learner: rest.dlFramework.slice(BUILTIN_PREFIX.length), params: hyper },
          req.principal.name,
        );
      } else {
        if (!WMLA_FRAMEWORKS.includes(rest.dlFramework))
          throw invalid(
            `dlFramework '${rest.dlFramework}' is unknown (known: ${WMLA_FRAMEWORKS.join(', ')}, or ${BUILTIN_PREFIX}<learner>)`,
            { errors: [{ field: 'dlFramework', message: 'unknown framework' }] },
          );
        const code = await codeZip(reg, v);
        if (code.files.length === 0)
          throw invalid(`model '${m}' has no files to train with; add them with PUT /models/${m}/files`);
        const command = commandFor(rest.cmd, code.files);
        const uploaded = await runs.uploadCode(`${m}.zip`, code.bytes);
        const { dlFramework: _f, cmd: _c, ...config } = settings;
        run = await runs.submit(
          { ...common, codeId: uploaded.id, command, params: { ...hyper, ...config } },
          req.principal.name,
        );
      }
      void reply.status(201);
      return toOne(run);
    },
  );

  app.get(`${BASE}/trainings/:t`, { schema: { tags, params: TParams } }, async (req) => {
    await model(req.params.m);
    return toOne(await mustFindTraining(runs, req.params.m, req.params.t));
  });

  app.put(`${BASE}/trainings/:t/stop`, { schema: { tags, params: TParams } }, async (req) => {
    await model(req.params.m);
    const r = await mustFindTraining(runs, req.params.m, req.params.t);
    if (isTerminal(r.state)) return toOne(r); // already ended: stopping is a no-op
    await runs.cancel(r.id).catch((e: unknown) => {
      if (!(e instanceof AppError && e.code === 'conflict')) throw e; // it ended meanwhile
    });
    return toOne(await runs.get(r.id));
  });

  app.delete(`${BASE}/trainings/:t`, { schema: { tags, params: TParams } }, async (req) => {
    const { m, t } = req.params;
    await model(m);
    const r = await mustFindTraining(runs, m, t);
    if (!isTerminal(r.state))
      throw conflict(`training '${t}' is ${WMLA_RUN_STATE[r.state]}; stop it before deleting it`);
    await forgetTraining(runs, r);
    return { message: `training '${t}' of model '${m}' deleted` };
  });

  /**
   * The training's outputs: its one weight file as is, or every output file as a zip; with
   * `Accept: application/json`, their names (comma-separated) as WMLA's JSON string.
   */
  app.get(`${BASE}/trainings/:t/weightfile`, { schema: { tags, params: TParams } }, async (req, reply) => {
    await model(req.params.m);
    const r = await mustFindTraining(runs, req.params.m, req.params.t);
    const files = await runs.artifacts(r.id);
    if (files.length === 0)
      throw new AppError(
        'not_found',
        `training '${req.params.t}' has no weight file (${WMLA_RUN_STATE[r.state]})`,
      );
    // WMLA answers the weight file's name as a JSON string; a client asking for JSON gets that.
    if (/\bapplication\/json\b/.test(req.headers.accept ?? ''))
      return reply.type('application/json').send(JSON.stringify(files.map((f) => f.path).join(',')));
    if (files.length === 1) {
      const f = files[0]!;
      const { stream } = await runs.openArtifact(r.id, f.path);
      return reply
        .type('application/octet-stream')
        .header('content-disposition', `attachment; filename="${f.path.split('/').pop()}"`)
        .send(stream);
    }
    const zip = zipStream(
      files.map((f) => ({ name: f.path, open: async () => (await runs.openArtifact(r.id, f.path)).stream })),
    );
    return reply
      .type('application/zip')
      .header('content-disposition', `attachment; filename="${req.params.t}.zip"`)
      .send(zip);
  });
};
