/**
 * The registry benchmark's data and queries: 100k versions (10 per model) with 1-4 user tags from
 * a skewed pool of 40, 5% archived, one metric each; and the get_all-style queries it times.
 */
import { sql } from 'kysely';
import { createHash, randomBytes } from 'node:crypto';
import type { Db, DbDialect } from '../../src/infra/db/kysely.js';

const VERSIONS_PER_MODEL = 10;
const TAGS = Array.from({ length: 40 }, (_, i) => `t${i}`);
const FRAMEWORKS = ['pytorch', 'tensorflow', 'xgboost', 'sklearn', 'onnx'];

/** Deterministic pseudo-random numbers, so every run inserts the same data. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** The get_all-style queries timed: regex on name, tag operators, an order, a page. */
export const QUERIES = [
  {
    filter: { name: 'model-1', tags: ['__$all', 't3'], system_tags: ['-archived'] },
    orderBy: ['-last_update'],
    pageSize: 50,
  },
  {
    filter: { name: '^model-[0-9]*7$', tags: ['t1', 't2', '-t5'] },
    orderBy: ['-created'],
    pageSize: 50,
    page: 1,
  },
  {
    filter: { _any_: { fields: ['name', 'comment'], pattern: 'BEST' }, tags: ['__$not', 't9'] },
    orderBy: ['name', '-created'],
    pageSize: 50,
  },
  {
    filter: {
      framework: ['xgboost', 'onnx'],
      ready: true,
      'metrics.acc.val': [0.5, null],
      tags: ['t4', 't6'],
    },
    orderBy: ['-created'],
    pageSize: 50,
  },
].map((q) => ({
  ...q,
  onlyFields: [
    'id',
    'name',
    'version',
    'createdAt',
    'updatedAt',
    'framework',
    'ready',
    'tags',
    'systemTags',
    'comment',
    'project.name',
  ],
}));

async function insertChunks<T>(db: Db, table: string, rows: T[], chunk: number) {
  for (let i = 0; i < rows.length; i += chunk)
    await db
      .insertInto(table as never)
      .values(rows.slice(i, i + chunk) as never)
      .execute();
}

/** Bulk-loads projects, models, versions, tags and metrics in one transaction per table. */
export async function seed(db: Db, dialect: DbDialect, ROWS: number): Promise<number> {
  const t0 = performance.now();
  const rand = rng(42);
  const project = (
    await db.selectFrom('projects').select('id').where('name', '=', 'default').executeTakeFirstOrThrow()
  ).id;
  const base = Date.parse('2024-01-01T00:00:00Z');
  const models: Array<Record<string, unknown>> = [];
  const versions: Array<Record<string, unknown>> = [];
  const tags: Array<Record<string, unknown>> = [];
  const metrics: Array<Record<string, unknown>> = [];
  for (let m = 0; m < ROWS / VERSIONS_PER_MODEL; m++) {
    const modelId = randomBytes(16).toString('hex');
    const name = `model-${m}`;
    models.push({
      id: modelId,
      project_id: project,
      name,
      description: '',
      created_at: '2024-01-01T00:00:00.000Z',
      updated_at: '2024-01-01T00:00:00.000Z',
    });
    for (let v = 1; v <= VERSIONS_PER_MODEL; v++) {
      const id = randomBytes(16).toString('hex');
      const created = new Date(base + Math.floor(rand() * 3e10)).toISOString();
      const updated = new Date(Date.parse(created) + Math.floor(rand() * 1e9)).toISOString();
      versions.push({
        id,
        model_id: modelId,
        project_id: project,
        name,
        version: v,
        comment: rand() < 0.1 ? 'best so far' : 'baseline run',
        framework: FRAMEWORKS[Math.floor(rand() * FRAMEWORKS.length)],
        uri: '',
        signature: null,
        labels: '{}',
        design: null,
        ready: rand() < 0.3 ? 1 : 0,
        public: 0,
        source_run_id: null,
        dataset_version_id: null,
        parent_id: null,
        artifact_version: '0.0.0',
        last_iteration: 0,
        created_by: 'bench',
        created_at: created,
        updated_at: updated,
        last_change_at: updated,
        last_changed_by: 'bench',
      });
      const n = 1 + Math.floor(rand() * 4);
      const chosen = new Set<string>();
      while (chosen.size < n) chosen.add(TAGS[Math.floor(rand() * 10 + (rand() < 0.5 ? 0 : rand() * 30))]!);
      [...chosen].forEach((tag, position) => tags.push({ version_id: id, system: 0, tag, position }));
      if (rand() < 0.05) tags.push({ version_id: id, system: 1, tag: 'archived', position: 0 });
      const acc = Math.round(rand() * 1000) / 1000;
      metrics.push({
        version_id: id,
        metric: 'acc',
        variant: 'val',
        metric_hash: md5('acc'),
        variant_hash: md5('val'),
        value: acc,
        min_value: acc,
        min_iteration: 0,
        max_value: acc,
        max_iteration: 0,
        last_iteration: 0,
      });
    }
  }
  const chunk = dialect === 'sqlite' ? 1000 : 2000;
  await db.transaction().execute(async (tx) => {
    await insertChunks(tx as unknown as Db, 'registered_models', models, chunk);
    await insertChunks(tx as unknown as Db, 'model_versions', versions, Math.floor(chunk / 2));
    await insertChunks(tx as unknown as Db, 'model_tags', tags, chunk);
    await insertChunks(tx as unknown as Db, 'model_metrics', metrics, chunk);
  });
  // Fresh statistics, as a long-running server would have them.
  await sql`analyze`.execute(db);
  return performance.now() - t0;
}
