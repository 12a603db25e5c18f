/**
 * WMLA ModelDetail and ModelTemplateDetail of registry versions, and the listing of a WMLA project
 * (the latest version of every name): what the models and templates routes render.
 */
import type { ModelVersionView, RegistryService } from '../../modules/registry/index.js';

export function toModel(v: ModelVersionView) {
  const design = (v.design ?? {}) as Record<string, unknown>;
  return {
    ...design,
    name: v.name,
    description: v.comment,
    framework: v.framework ?? '',
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
