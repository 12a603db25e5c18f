/**
 * WMLA model and template shapes: the request bodies (ModelCreateParam, ModelTemplateCreateParam,
 * file saves) in, ModelDetail and ModelTemplateDetail of registry versions out, and the listing of
 * a WMLA project (the latest version of every name).
 */
import { Type } from '@sinclair/typebox';
import type { ModelVersionView, RegistryService } from '../../modules/registry/index.js';

/** ModelCreateParam's typed fields; everything else a client sends is kept as is. */
const modelFields = {
  description: Type.Optional(Type.String()),
  dataset: Type.Optional(Type.String({ description: 'Dataset the model trains on; it is then in use' })),
  accelerator: Type.Optional(Type.Union(['Single', 'Native', 'Elastic'].map((a) => Type.Literal(a)))),
  type: Type.Optional(Type.Union(['Training', 'Inference'].map((a) => Type.Literal(a)))),
  hyperparameter: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  batchsize: Type.Optional(Type.Integer({ minimum: 1 })),
};
export const ModelBody = Type.Object(
  { name: Type.String({ minLength: 1 }), templatename: Type.String({ minLength: 1 }), ...modelFields },
  { additionalProperties: true },
);
export const ModelUpdate = Type.Object(
  {
    ...modelFields,
    // Names are ids: sent back unchanged by clients that PUT a whole ModelDetail, and ignored.
    name: Type.Optional(Type.String()),
    templatename: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
export const TemplateBody = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    path: Type.String({ minLength: 1 }),
    framework: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
export const FileBody = Type.Object({
  filename: Type.String({ minLength: 1 }),
  content: Type.String(),
});

export function toModel(v: ModelVersionView) {
  const design = (v.design ?? {}) as Record<string, unknown>;
  return {
    ...design,
    name: v.name,
    description: v.comment,
    framework: v.framework ?? '',
    user: v.createdBy ?? '',
    createTime: v.createdAt,
    updateTime: v.updatedAt,
  };
}

export function toTemplate(v: ModelVersionView) {
  const design = (v.design ?? {}) as Record<string, unknown>;
  return {
    ...design,
    name: v.name,
    path: v.uri,
    framework: v.framework ?? '',
    description: v.comment,
    createTime: v.createdAt,
    updateTime: v.updatedAt,
  };
}

/** The latest version of every name in `project` (matching `extra` filters), by name. */
export async function latestOf(
  reg: RegistryService,
  project: string,
  extra: Record<string, unknown> = {},
): Promise<ModelVersionView[]> {
  const all: ModelVersionView[] = [];
  for (let scrollId = ''; ;) {
    const page = await reg.search({
      filter: { projectName: project, ...extra },
      orderBy: ['name', 'version'],
      scrollId,
      pageSize: 1000,
    });
    all.push(...(await reg.getMany(page.items.map((i) => i.id))));
    if (!page.hasMore) break;
    scrollId = page.scrollId;
  }
  const latest = new Map<string, ModelVersionView>();
  for (const v of all) latest.set(v.name, v);
  return [...latest.values()];
}
