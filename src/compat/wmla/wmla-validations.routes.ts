import { installWmlaErrors } from './wmla-errors.js';
/**
 * IBM WMLA `models/{m}/validations` on the runs module's evaluations: a validation evaluates the
 * model trained by training `trainName` on a split of that training's dataset (default the
 * validation split) and stores the metrics on the trained registry version. Evaluation is done
 * within the request, so a validation is FINISHED when the POST answers.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError, conflict } from '../../errors.js';
import { installWmlaAuth } from './wmla-auth.js';
import { SPLIT_NAMES } from '../../modules/datasets/index.js';
import { createRunEvaluations, type EvaluationRecord, type RunView } from '../../modules/runs/index.js';
import type { CompatSurface } from '../index.js';
import { mustFindWmla, WMLA_BASE, WMLA_MODELS_PROJECT } from './wmla-common.js';
import { mustFindTraining, TRAINING_LABELS, trainingsOf } from './wmla-trainings.routes.js';

const BASE = `${WMLA_BASE}/models/:m/validations`;
const tags = ['wmla'];

const ValidationBody = Type.Object(
  {
    valName: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$' }),
    trainName: Type.String({ minLength: 1 }),
    metrics: Type.Union(
      [Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }), Type.String({ minLength: 1 })],
      {
        description: 'Top1, Top5, ConfusionMatrix, Precision, Recall, F1, LogLoss, AUC, RMSE, MAE, R2',
      },
    ),
    threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    split: Type.Optional(
      Type.Union(
        SPLIT_NAMES.map((s) => Type.Literal(s)),
        { description: 'Split of the training dataset to evaluate on (default validation)' },
      ),
    ),
  },
  { additionalProperties: true },
);

/** ValidateDetail's fields (modelname, dataSet, status, appid, valParameters) plus the results. */
function toValidation(e: EvaluationRecord, run: RunView) {
  const trainName = e.labels.trainName ?? '';
  return {
    valName: e.name,
    trainName,
    modelName: e.labels.modelName ?? '',
    modelname: e.labels.modelName ?? '',
    dataSet: run.dataset?.name ?? '',
    valParameters: { valName: e.name, trainName, metrics: e.metrics, threshold: e.threshold },
    metrics: e.metrics,
    threshold: e.threshold,
    split: e.split,
    rows: e.rows,
    result: e.results,
    status: 'FINISHED',
    appid: e.runId,
    appURL: `/api/v1/runs/${e.runId}`,
    modelVersionId: e.modelVersionId,
    createTime: e.createdAt,
    user: e.createdBy ?? '',
  };
}

export const wmlaValidationRoutes: CompatSurface = async (plain, { services, deps }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const { runs, registry: reg } = services;
  const evaluations = createRunEvaluations({ runs, datasets: services.datasets, registry: reg });
  installWmlaAuth(app, services, deps);
  installWmlaErrors(app);

  /** Every validation of model `m`, with the training run it belongs to. */
  async function validationsOf(m: string): Promise<Array<{ run: RunView; e: EvaluationRecord }>> {
    await mustFindWmla(reg, WMLA_MODELS_PROJECT, m, 'model');
    const out: Array<{ run: RunView; e: EvaluationRecord }> = [];
    for (const run of await trainingsOf(runs, m)) {
      if (!run.modelVersionId) continue;
      for (const e of await evaluations.list(run.modelVersionId))
        if (e.labels.modelName === m) out.push({ run, e });
    }
    return out;
  }

  async function mustFindValidation(m: string, v: string) {
    const found = (await validationsOf(m)).find((x) => x.e.name === v);
    if (!found) throw new AppError('not_found', `validation '${v}' of model '${m}' was not found`);
    return found;
  }

  const MParams = Type.Object({ m: Type.String() });
  const VParams = Type.Object({ m: Type.String(), v: Type.String() });

  app.get(BASE, { schema: { tags, params: MParams } }, async (req) =>
    (await validationsOf(req.params.m)).map((x) => toValidation(x.e, x.run)),
  );

  app.post(BASE, { schema: { tags, params: MParams, body: ValidationBody } }, async (req, reply) => {
    const { m } = req.params;
    const { valName, trainName, metrics, threshold, split } = req.body;
    if ((await validationsOf(m)).some((x) => x.e.name === valName))
      throw conflict(`validation '${valName}' of model '${m}' already exists`);
    const run = await mustFindTraining(runs, m, trainName);
    const e = await evaluations.evaluate(
      run.id,
      {
        name: valName,
        split: split ?? 'validation',
        // A comma-separated string is accepted too (WMLA clients send either).
        metrics: (typeof metrics === 'string' ? [metrics] : metrics).flatMap((x) =>
          x.split(',').map((s) => s.trim()),
        ),
        ...(threshold !== undefined ? { threshold } : {}),
        labels: { modelName: m, trainName: run.labels[TRAINING_LABELS.training]! },
      },
      req.principal.name,
    );
    void reply.status(201);
    return toValidation(e, run);
  });

  app.delete(`${BASE}/:v`, { schema: { tags, params: VParams } }, async (req) => {
    const { e } = await mustFindValidation(req.params.m, req.params.v);
    await evaluations.remove(e.modelVersionId, e.name);
    return { message: `validation '${e.name}' of model '${req.params.m}' deleted` };
  });

  // Validations finish within their POST: there is never one running to stop.
  app.put(`${BASE}/:v/stop`, { schema: { tags, params: VParams } }, async (req) => {
    const { e, run } = await mustFindValidation(req.params.m, req.params.v);
    return toValidation(e, run);
  });
};
