/**
 * O-RAN SC AI/ML Training Manager feature-group API (`FeatureGroupConfig`), mapped onto the
 * feature-groups service. Only shapes, names, status codes and the ProblemDetails envelope are
 * translated here; every rule lives in the service.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { invalid, type AppError, type FieldError } from '../../errors.js';
import { installAuth } from '../../http/auth.js';
import type { FeatureGroupInput, FeatureGroupView } from '../../modules/feature-groups/index.js';
import type { CompatSurface } from '../index.js';
import { installOranProblemHandler } from './oran-problem.js';

const V1 = '/ai-ml-model-training/v1';

/** Native field name → O-RAN field name, so error details name what the client sent. */
const ORAN_FIELD: Record<string, string> = {
  name: 'featuregroup_name',
  featureList: 'feature_list',
  datalakeSource: 'datalake_source',
  dbOrg: 'db_org',
  enableDme: 'enable_dme',
  measuredObjClass: 'measured_obj_class',
  dmePort: 'dme_port',
  sourceName: 'source_name',
  queryFilter: 'query_filter',
};

const oranField = (f: string) => f.replace(/[A-Za-z]+/g, (w) => ORAN_FIELD[w] ?? w);
/** In prose only camelCase words are field names (`name` is also an English word). */
const oranProse = (s: string) => s.replace(/\b[a-z]+[A-Z][A-Za-z]*\b/g, (w) => ORAN_FIELD[w] ?? w);

function detailOf(err: AppError): string {
  if (err.errors.length === 0) return oranProse(err.message);
  return err.errors.map((e: FieldError) => `${oranField(e.field)} ${oranProse(e.message)}`).join('; ');
}

const FeatureGroupConfig = Type.Object({
  featuregroup_name: Type.String(),
  feature_list: Type.String({ description: 'Comma-separated feature names' }),
  datalake_source: Type.String(),
  host: Type.Optional(Type.String()),
  port: Type.Optional(Type.Union([Type.String(), Type.Integer()])),
  bucket: Type.Optional(Type.String()),
  token: Type.Optional(Type.String()),
  db_org: Type.Optional(Type.String()),
  measurement: Type.Optional(Type.String()),
  enable_dme: Type.Optional(Type.Boolean()),
  measured_obj_class: Type.Optional(Type.String()),
  dme_port: Type.Optional(Type.Union([Type.String(), Type.Integer()])),
  source_name: Type.Optional(Type.String()),
});
type FeatureGroupConfig = Static<typeof FeatureGroupConfig>;

/**
 * Older Training Manager releases (and the dashboards built on them) spell some fields
 * differently; they are renamed to the FeatureGroupConfig names before validation. A body that
 * sends both spellings keeps the FeatureGroupConfig one.
 */
const LEGACY_FIELDS: Record<string, keyof FeatureGroupConfig> = {
  featureGroupName: 'featuregroup_name',
  enable_Dme: 'enable_dme',
  DmePort: 'dme_port',
  dmePort: 'dme_port',
  _measurement: 'measurement',
  Host: 'host',
  Port: 'port',
  dbOrg: 'db_org',
};

function renameLegacy(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    const to = LEGACY_FIELDS[k];
    if (to === undefined) out[k] = v;
    else if (!(to in body)) out[to] = v;
  }
  return out;
}

const DeleteBody = Type.Object({
  featuregroups_list: Type.Array(Type.Unknown()),
});

function parsePort(port: string | number | undefined): number | null | undefined {
  if (port === undefined) return undefined;
  if (typeof port === 'number') return port;
  if (port.trim() === '') return null;
  if (!/^\d+$/.test(port.trim()))
    throw invalid(`port '${port}' is not a number`, {
      errors: [{ field: 'port', message: 'must be a number' }],
    });
  return Number(port);
}

/** O-RAN request → native input. */
function toInput(b: FeatureGroupConfig): FeatureGroupInput {
  return {
    featureList: b.feature_list
      .split(',')
      .map((f) => f.trim())
      .filter((f) => f !== ''),
    datalakeSource: b.datalake_source,
    host: b.host,
    port: parsePort(b.port),
    bucket: b.bucket,
    token: b.token,
    dbOrg: b.db_org,
    measurement: b.measurement,
    enableDme: b.enable_dme,
    measuredObjClass: b.measured_obj_class,
    dmePort: b.dme_port === undefined ? undefined : String(b.dme_port),
    sourceName: b.source_name,
  };
}

/** Native view → O-RAN FeatureGroupConfig (the token stays masked). */
function toConfig(v: FeatureGroupView): FeatureGroupConfig {
  return {
    featuregroup_name: v.name,
    feature_list: v.featureList.join(','),
    datalake_source: v.datalakeSource,
    host: v.host,
    port: v.port === null ? '' : String(v.port),
    bucket: v.bucket,
    token: v.token,
    db_org: v.dbOrg,
    measurement: v.measurement,
    enable_dme: v.enableDme,
    measured_obj_class: v.measuredObjClass,
    dme_port: v.dmePort,
    source_name: v.sourceName,
  };
}

const tags = ['o-ran'];
const NameParams = Type.Object({ featuregroup_name: Type.String() });

export const oranFeatureGroupRoutes: CompatSurface = async (plugin, { services, deps }) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
  const fg = services.featureGroups;
  installAuth(app, { tokens: services.tokens, host: deps.config.host, authMode: deps.config.authMode });
  installOranProblemHandler(app, { detail: detailOf });
  app.addHook('preValidation', async (req) => {
    if (req.method === 'POST' || req.method === 'PUT') req.body = renameLegacy(req.body);
  });

  // Create: the TM serves it under the v1 prefix; the legacy root path is kept for older clients.
  for (const prefix of [V1, '']) {
    app.post(`${prefix}/featureGroup`, { schema: { tags, body: FeatureGroupConfig } }, async (req, reply) => {
      const view = await fg.create({ name: req.body.featuregroup_name, ...toInput(req.body) });
      void reply.status(201);
      return toConfig(view);
    });

    app.get(`${prefix}/featureGroup`, { schema: { tags } }, async () => {
      const items: FeatureGroupConfig[] = [];
      for (let offset = 0; ; offset += 1000) {
        const page = await fg.list({ offset, limit: 1000 });
        items.push(...page.items.map(toConfig));
        if (offset + page.items.length >= page.total || page.items.length === 0) break;
      }
      return { FeatureGroups: items };
    });

    app.get(
      `${prefix}/featureGroup/:featuregroup_name`,
      { schema: { tags, params: NameParams } },
      async (req) => toConfig(await fg.get(req.params.featuregroup_name)),
    );

    app.put(
      `${prefix}/featureGroup/:featuregroup_name`,
      { schema: { tags, params: NameParams, body: FeatureGroupConfig } },
      async (req) => {
        const name = req.params.featuregroup_name;
        if (req.body.featuregroup_name !== name)
          throw invalid(
            `featuregroup_name '${req.body.featuregroup_name}' in the body differs from '${name}' in the path`,
          );
        await fg.replace(name, toInput(req.body));
        return { result: 'Feature Group Edited' };
      },
    );

    app.delete(`${prefix}/featureGroup`, { schema: { tags, body: DeleteBody } }, async (req) => {
      const names = req.body.featuregroups_list.map((item) => {
        const n = (item as { featureGroup_name?: unknown } | null)?.featureGroup_name;
        return typeof n === 'string' ? n : null;
      });
      const { deleted } = await fg.removeMany(names.filter((n): n is string => n !== null));
      return { 'success count': deleted.length, 'failure count': names.length - deleted.length };
    });
  }
};
