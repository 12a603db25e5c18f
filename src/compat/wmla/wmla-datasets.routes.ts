import { installWmlaErrors } from './wmla-errors.js';
/**
 * IBM WMLA `/datasets` on the datasets module. A WMLA CSV dataset is a dataset registered from the
 * server file `trainpath` (read where it is, as the native server-path import does), split into
 * train/validation/test by `valpercentage`/`testpercentage`; or, when `valpath`/`testpath` name
 * other files, from those files with their rows as the split. `sigid` is kept as a tag. Only CSV
 * datasources are supported: the image and record formats (LMDB, TFRecords, …) are Spark jobs in
 * WMLA with no counterpart here.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError, conflict, invalid } from '../../errors.js';
import { installWmlaAuth } from './wmla-auth.js';
import {
  registerSplitFiles,
  type DatasetsService,
  type DatasetVersionView,
  type DatasetView,
  type SplitName,
} from '../../modules/datasets/index.js';
import type { CompatSurface } from '../index.js';
import { WMLA_BASE } from './wmla-common.js';

const BASE = `${WMLA_BASE}/datasets`;
const tags = ['wmla'];
const TAG = 'wmla';
const SIG_PREFIX = 'sigid:';
const SIG_RULE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,57}$/;
const TYPES: Record<string, SplitName> = {
  train: 'train',
  validation: 'validation',
  val: 'validation',
  test: 'test',
};

const Percent = Type.Number({ minimum: 0, maximum: 100 });
const DatasetBody = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    dbbackend: Type.String({ minLength: 1 }),
    sigid: Type.String({ minLength: 1 }),
    datasourcetype: Type.String({ minLength: 1 }),
    trainpath: Type.Optional(Type.String()),
    valpath: Type.Optional(Type.String()),
    testpath: Type.Optional(Type.String()),
    valpercentage: Type.Optional(Percent),
    testpercentage: Type.Optional(Percent),
    imagedetail: Type.Optional(
      Type.Object(
        { valpercentage: Type.Optional(Percent), testpercentage: Type.Optional(Percent) },
        { additionalProperties: true },
      ),
    ),
    target: Type.Optional(Type.String({ minLength: 1, description: 'Label column (default: none)' })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967295 })),
    description: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

/**
 * A WMLA model names its `dataset`; while it does, deleting that dataset is 409 (WMLA's "in use"):
 * the model is recorded as a referrer of every version of the dataset.
 */
export function wmlaDatasetUse(datasets: DatasetsService) {
  const referrer = (modelId: string) => ({ kind: 'wmla_model', id: modelId });
  return {
    /** 400 unless `name` is absent or names a dataset; the ids of its versions. */
    async check(name: unknown): Promise<string[]> {
      if (name === undefined || name === null || name === '') return [];
      const fail = invalid(`dataset '${String(name)}' was not found`, {
        errors: [{ field: 'dataset', message: 'must name an existing dataset' }],
      });
      if (typeof name !== 'string') throw fail;
      const versions = await datasets.listVersions(name).catch((e: unknown) => {
        throw e instanceof AppError && e.code === 'not_found' ? fail : e;
      });
      return versions.map((v) => v.id);
    },
    async add(versionIds: string[], modelId: string): Promise<void> {
      for (const id of versionIds) await datasets.addReference(id, referrer(modelId));
    },
    async release(name: unknown, modelId: string): Promise<void> {
      if (typeof name !== 'string' || name === '') return;
      const versions = await datasets.listVersions(name).catch(() => []);
      for (const v of versions) await datasets.removeReference(v.id, referrer(modelId));
    },
  };
}

function toDetail(d: DatasetView, v: DatasetVersionView | null) {
  const sig = d.tags.find((t) => t.startsWith(SIG_PREFIX));
  // Separate split files were copied into storage: their paths are in the description only.
  const path = v?.sourcePath ?? '';
  return {
    name: d.name,
    dbbackend: 'CSV',
    datasourcetype: 'CSV',
    sigid: sig ? sig.slice(SIG_PREFIX.length) : '',
    trainpath: path,
    valpath: path,
    testpath: path,
    status: v ? 'FINISHED' : 'FAILED',
    // DatasetDetail's Spark fields: imports run inside the POST here, with no Spark application.
    runduration: 0,
    signame: '',
    masterUrl: '',
    driverid: '',
    sparkappid: '',
    size: v?.sizeBytes ?? 0,
    rows: v?.rowCount ?? 0,
    train: v?.splitCounts.train ?? 0,
    validation: v?.splitCounts.validation ?? 0,
    test: v?.splitCounts.test ?? 0,
    target: v?.target ?? '',
    columns: v?.columns.map((c) => c.name) ?? [],
    createUser: v?.createdBy ?? '',
    submittedtime: d.createdAt,
    description: d.description,
  };
}

export const wmlaDatasetRoutes: CompatSurface = async (plain, { services, deps }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const { datasets } = services;
  installWmlaAuth(app, services, deps);
  installWmlaErrors(app);

  async function detail(name: string) {
    const d = await datasets.get(name).catch((e: unknown) => {
      throw e instanceof AppError && e.code === 'not_found'
        ? new AppError('not_found', `dataset '${name}' was not found`)
        : e;
    });
    return toDetail(d, d.latest);
  }

  app.get(BASE, { schema: { tags } }, async () => {
    const out = [];
    for (let offset = 0; ; offset += 200) {
      const page = await datasets.list({ tag: TAG, offset, limit: 200 });
      for (const d of page.items) out.push(await detail(d.name));
      if (offset + page.items.length >= page.total || page.items.length === 0) return out;
    }
  });

  app.post(BASE, { schema: { tags, body: DatasetBody } }, async (req, reply) => {
    const b = req.body;
    if (b.datasourcetype.toUpperCase() !== 'CSV')
      throw invalid(
        `datasourcetype '${b.datasourcetype}' is not supported: only CSV datasets can be imported here (datasourcetype CSV, dbbackend CSV, trainpath a CSV file on the server)`,
        { errors: [{ field: 'datasourcetype', message: 'must be CSV' }] },
      );
    if (b.dbbackend.toUpperCase() !== 'CSV')
      throw invalid(`dbbackend '${b.dbbackend}' is not supported with CSV data: use CSV`, {
        errors: [{ field: 'dbbackend', message: 'must be CSV' }],
      });
    if (!b.trainpath)
      throw invalid('trainpath is required: the CSV file on the server', {
        errors: [{ field: 'trainpath', message: 'required for CSV' }],
      });
    if (!SIG_RULE.test(b.sigid))
      throw invalid('sigid must be 1 to 58 letters, digits, _ . : or -', {
        errors: [{ field: 'sigid', message: `must match ${SIG_RULE.source}` }],
      });
    if (req.principal.role !== 'admin')
      throw new AppError('forbidden', 'importing a server-side path needs the admin role', {
        reason: 'role_too_low',
      });
    if (
      await datasets.get(b.name).then(
        () => true,
        (e: unknown) => (e instanceof AppError && e.code === 'not_found' ? false : Promise.reject(e)),
      )
    )
      throw conflict(`dataset '${b.name}' already exists`);
    const common = {
      name: b.name,
      target: b.target ?? null,
      ...(b.description !== undefined ? { description: b.description } : {}),
      tags: [TAG, `${SIG_PREFIX}${b.sigid}`],
      createdBy: req.principal.name,
    };
    const separate = (p: string | undefined) => (p && p !== b.trainpath ? p : undefined);
    const valpath = separate(b.valpath);
    const testpath = separate(b.testpath);
    if (valpath || testpath) {
      // Separate split files: the version's split is exactly the files' rows.
      await registerSplitFiles(datasets, {
        ...common,
        description:
          b.description ?? `WMLA import of ${[b.trainpath, valpath, testpath].filter(Boolean).join(', ')}`,
        paths: {
          train: { path: b.trainpath, field: 'trainpath' },
          ...(valpath ? { validation: { path: valpath, field: 'valpath' } } : {}),
          ...(testpath ? { test: { path: testpath, field: 'testpath' } } : {}),
        },
      });
    } else {
      const validation = b.valpercentage ?? b.imagedetail?.valpercentage ?? 10;
      const test = b.testpercentage ?? b.imagedetail?.testpercentage ?? 10;
      if (validation + test >= 100)
        throw invalid('valpercentage + testpercentage must be below 100', {
          errors: [{ field: 'valpercentage', message: 'leaves no training rows' }],
        });
      await datasets.registerPath({
        ...common,
        path: b.trainpath,
        split: {
          train: 100 - validation - test,
          validation,
          test,
          ...(b.seed !== undefined ? { seed: b.seed } : {}),
        },
      });
    }
    void reply.status(201);
    return detail(b.name);
  });

  const NameParams = Type.Object({ name: Type.String() });
  app.get(`${BASE}/:name`, { schema: { tags, params: NameParams } }, async (req) => detail(req.params.name));

  app.delete(`${BASE}/:name`, { schema: { tags, params: NameParams } }, async (req) => {
    await detail(req.params.name);
    await datasets.deleteDataset(req.params.name); // 409 while a run uses it
    return { message: `dataset '${req.params.name}' deleted` };
  });

  const CsvQuery = Type.Object({
    type: Type.Optional(Type.String({ description: 'train | validation | test (default train)' })),
    start: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
    length: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 10 })),
  });
  app.get(
    `${BASE}/:name/csvs`,
    { schema: { tags, params: NameParams, querystring: CsvQuery } },
    async (req) => {
      const split = TYPES[req.query.type ?? 'train'];
      if (!split)
        throw invalid(`type '${req.query.type}' is unknown: use train, validation or test`, {
          errors: [{ field: 'type', message: 'must be train, validation or test' }],
        });
      await detail(req.params.name);
      const start = req.query.start ?? 0;
      const page = await datasets.rows(req.params.name, 'latest', {
        split,
        start,
        length: req.query.length ?? 10,
      });
      return {
        type: split,
        start,
        length: page.rows.length,
        total: page.total,
        header: page.columns,
        rows: page.rows,
      };
    },
  );

  // Image datasets (objectimages) are Spark imports in WMLA with no counterpart: every dataset
  // here is CSV, so its rows are at /csvs.
  app.get(`${BASE}/:name/objectimages`, { schema: { tags, params: NameParams } }, async (req) => {
    const d = await detail(req.params.name);
    throw invalid(
      `dataset '${d.name}' is a CSV dataset: read its rows with GET ${BASE}/${d.name}/csvs (image datasets are not supported)`,
      { reason: 'unsupported' },
    );
  });

  // Imports finish within their POST: there is never a running import to stop.
  app.put(`${BASE}/:name/stop`, { schema: { tags, params: NameParams } }, async (req) => {
    const d = await detail(req.params.name);
    return { ...d, message: `dataset '${d.name}' is ${d.status}; nothing to stop` };
  });
};
