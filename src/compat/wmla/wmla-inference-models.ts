/**
 * WMLA's `POST /inferences` with InferenceCreateParam (`modelName`, `trainName`,
 * `inferenceModelName`): makes an inference model of a finished training, i.e. a WMLA model (project
 * `wmla`, `type: Inference`) holding a copy of the trained version's files. Like any WMLA model it
 * can then be published as an EDI service (`POST /edimodels/{name}`) or used by `startpredict`.
 */
import { AppError, conflict, invalid } from '../../errors.js';
import type { Services } from '../../modules/index.js';
import { findWmla, WMLA_MODELS_PROJECT, WMLA_RUN_STATE } from './wmla-common.js';
import { toModel } from './wmla-model-shapes.js';
import { mustFindTraining } from './wmla-trainings.routes.js';

const NAME_RULE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

function field(body: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const v = body[name];
  if (v === undefined || v === null || v === '') {
    if (required) throw invalid(`${name} is required`, { errors: [{ field: name, message: 'is required' }] });
    return undefined;
  }
  if (typeof v !== 'string')
    throw invalid(`${name} must be a string`, { errors: [{ field: name, message: 'must be a string' }] });
  return v;
}

/** True when the body is an InferenceCreateParam rather than our JSON prediction. */
export const isInferenceCreateParam = (body: Record<string, unknown>) =>
  body.trainName !== undefined || body.modelName !== undefined;

export async function createInferenceModel(
  services: Services,
  body: Record<string, unknown>,
  user: string,
): Promise<ReturnType<typeof toModel>> {
  const { registry: reg, runs } = services;
  const modelName = field(body, 'modelName', true)!;
  const trainName = field(body, 'trainName', true)!;
  const name = field(body, 'inferenceModelName', false) ?? `${modelName}-${trainName}-inference`;
  if (!NAME_RULE.test(name))
    throw invalid('inferenceModelName must be 1 to 100 letters, digits, _ . or -', {
      errors: [{ field: 'inferenceModelName', message: `must match ${NAME_RULE.source}` }],
    });
  const run = await mustFindTraining(runs, modelName, trainName);
  if (run.state !== 'succeeded' || !run.modelVersionId)
    throw conflict(
      `training '${trainName}' of model '${modelName}' is ${WMLA_RUN_STATE[run.state]}: only a FINISHED training makes an inference model`,
    );
  if (await findWmla(reg, WMLA_MODELS_PROJECT, name))
    throw new AppError('conflict', `model '${name}' already exists`);
  const trained = await reg.get(run.modelVersionId);
  const v = await reg.create(
    {
      name,
      project: WMLA_MODELS_PROJECT,
      framework: trained.framework ?? '',
      comment: `inference model of training '${trainName}' of model '${modelName}'`,
      design: { type: 'Inference', modelName, trainName, trainedVersionId: trained.id },
    },
    user,
  );
  for (const a of await reg.listArtifacts(trained.id)) {
    const { stream } = await reg.openArtifact(trained.id, a.path);
    await reg.putArtifact(v.id, a.path, stream, { contentType: a.contentType, force: true });
  }
  return toModel(await reg.get(v.id));
}
