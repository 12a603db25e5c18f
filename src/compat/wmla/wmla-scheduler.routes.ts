/**
 * WMLA's scheduler view `GET /scheduler/applications`: the deep-learning applications, which in
 * WMLA are Spark applications and here are the runs behind WMLA execs and trainings. Its query
 * filters (applicationid, applicationname, driverid, state, sigId, search), sorts by one field
 * (`-field` or `order=desc` descending; default newest first) and pages (`start`, `length`; 416 for a range that cannot
 * be satisfied, with Content-Range naming the total, as HTTP ranges do).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { invalid } from '../../errors.js';
import type { RunView } from '../../modules/runs/index.js';
import type { CompatSurface } from '../index.js';
import { installWmlaAuth } from './wmla-auth.js';
import { WMLA_BASE, WMLA_RUN_STATE } from './wmla-common.js';
import { installWmlaErrors } from './wmla-errors.js';
import { TRAINING_LABELS } from './wmla-trainings.routes.js';

const EXEC_LABEL = 'wmla_exec';
const tags = ['wmla'];

/** Epoch milliseconds, as SparkApplicationDetail gives its times; 0 when not yet. */
const ms = (iso: string | null) => (iso ? Date.parse(iso) : 0);

/** A training's dlFramework, kept in its settings label. */
function frameworkOfTraining(r: RunView): string {
  const settings = JSON.parse(r.labels[TRAINING_LABELS.settings] ?? '{}') as { dlFramework?: string };
  return settings.dlFramework ?? '';
}

/** SparkApplicationDetail's fields that mean something for a run, plus which WMLA object it is. */
function toApplication(r: RunView) {
  const training = r.labels[TRAINING_LABELS.training];
  const started = ms(r.startedAt);
  return {
    applicationid: r.id,
    applicationname: r.name,
    type: 'BATCH',
    state: WMLA_RUN_STATE[r.state],
    // No Spark driver or instance group here: the run is the whole application.
    driverid: '',
    sparkinstancegroupid: r.labels.sigName ?? '',
    sigId: r.labels.sigName ?? '',
    username: r.createdBy ?? '',
    submittedtime: ms(r.createdAt),
    endtime: ms(r.endedAt),
    apprunduration: started ? ((ms(r.endedAt) || Date.now()) - started) / 1000 : 0,
    model: r.labels[TRAINING_LABELS.model] ?? '',
    dataset: r.dataset?.name ?? '',
    dltype: r.labels.framework ?? frameworkOfTraining(r),
    kind: training !== undefined ? 'training' : 'exec',
    trainName: training ?? '',
  };
}
type Application = ReturnType<typeof toApplication>;
const SORTABLE = Object.keys(
  toApplication({ labels: {}, state: 'queued', dataset: null } as unknown as RunView),
);

const Query = Type.Object({
  applicationid: Type.Optional(Type.String()),
  applicationname: Type.Optional(Type.String()),
  driverid: Type.Optional(Type.String()),
  search: Type.Optional(Type.String({ description: 'Case-insensitive text in id, name, state or user' })),
  sort: Type.Optional(Type.String({ description: 'One field; prefix - for descending' })),
  order: Type.Optional(Type.String({ description: 'asc | desc' })),
  start: Type.Optional(Type.Integer()),
  length: Type.Optional(Type.Integer()),
  state: Type.Optional(Type.String({ description: 'One state or a comma-separated list' })),
  sigId: Type.Optional(Type.String()),
});

export const wmlaSchedulerRoutes: CompatSurface = async (plain, { services, deps }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const { runs } = services;
  installWmlaAuth(app, services, deps);
  installWmlaErrors(app);

  app.get(
    `${WMLA_BASE}/scheduler/applications`,
    { schema: { tags, querystring: Query } },
    async (req, reply) => {
      const q = req.query;
      const byId = new Map<string, RunView>();
      for (const match of [{ [EXEC_LABEL]: undefined }, { [TRAINING_LABELS.model]: undefined }])
        for (const r of await runs.listByLabels(match)) byId.set(r.id, r);
      const states = q.state ? new Set(q.state.split(',').map((s) => s.trim().toUpperCase())) : null;
      const needle = q.search?.toLowerCase();
      let apps = [...byId.values()]
        .map(toApplication)
        .filter(
          (a) =>
            (q.applicationid === undefined || a.applicationid === q.applicationid) &&
            (q.applicationname === undefined || a.applicationname === q.applicationname) &&
            (q.driverid === undefined || a.driverid === q.driverid) &&
            (q.sigId === undefined || a.sigId === q.sigId) &&
            (!states || states.has(a.state)) &&
            (!needle ||
              [a.applicationid, a.applicationname, a.state, a.username].some((s) =>
                s.toLowerCase().includes(needle),
              )),
        );
      apps = sorted(apps, q.sort, q.order);

      const total = apps.length;
      const start = q.start ?? 0;
      const length = q.length ?? total;
      if (start < 0 || length < 0 || (start > 0 && start >= total))
        return reply
          .status(416)
          .header('content-range', `items */${total}`)
          .send({ message: `start ${start} and length ${length} are outside the ${total} applications` });
      const page = apps.slice(start, start + length);
      if (page.length > 0)
        void reply.header('content-range', `items ${start}-${start + page.length - 1}/${total}`);
      return page;
    },
  );
};

/** Sorted by one field (`-field` or order=desc: descending); default newest submitted first. */
function sorted(apps: Application[], sort: string | undefined, order: string | undefined): Application[] {
  if (order !== undefined && !['asc', 'desc'].includes(order.toLowerCase()))
    throw invalid(`order must be asc or desc (got '${order}')`, {
      errors: [{ field: 'order', message: 'must be asc or desc' }],
    });
  const spec = sort?.trim() || '-submittedtime';
  const field = spec.replace(/^-/, '') as keyof Application;
  if (!SORTABLE.includes(field))
    throw invalid(`sort field '${field}' is unknown (sortable: ${SORTABLE.join(', ')})`, {
      errors: [{ field: 'sort', message: 'unknown field' }],
    });
  const desc = spec.startsWith('-') || order?.toLowerCase() === 'desc';
  return [...apps].sort((a, b) => {
    const x = a[field];
    const y = b[field];
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return desc ? -c : c;
  });
}
