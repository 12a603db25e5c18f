/**
 * Child rows of a version: tags, metadata and metrics. Kept apart from the version and project
 * tables because they are written from many places (register, edit, batch tags, metric reports)
 * with upsert rules of their own.
 */
import { createHash } from 'node:crypto';
import type { Executor } from './registry.repository.js';
import type { MetricInput } from './registry.schemas.js';

/** Tag and system-tag lists, metadata and metrics that travel with a version. */
export interface Children {
  tags?: string[];
  systemTags?: string[];
  metadata?: Array<{ key: string; type: string; value: string }>;
  metrics?: MetricInput[];
}

export const md5 = (s: string) => createHash('md5').update(s).digest('hex');

export async function replaceTags(ex: Executor, versionId: string, system: boolean, tags: string[]) {
  await ex
    .deleteFrom('model_tags')
    .where('version_id', '=', versionId)
    .where('system', '=', system ? 1 : 0)
    .execute();
  if (tags.length === 0) return;
  await ex
    .insertInto('model_tags')
    .values(tags.map((tag, position) => ({ version_id: versionId, system: system ? 1 : 0, tag, position })))
    .execute();
}

export async function upsertMetadata(
  ex: Executor,
  versionId: string,
  entries: Children['metadata'] & object,
) {
  for (const e of entries) {
    await ex
      .insertInto('model_metadata')
      .values({ version_id: versionId, key: e.key, type: e.type, value: e.value })
      .onConflict((oc) => oc.columns(['version_id', 'key']).doUpdateSet({ type: e.type, value: e.value }))
      .execute();
  }
}

/** Sets final metric values (and min/max when given, else the value itself). */
export async function upsertMetrics(ex: Executor, versionId: string, metrics: MetricInput[]) {
  for (const m of metrics) {
    const variant = m.variant ?? '';
    const row = {
      version_id: versionId,
      metric: m.metric,
      variant,
      metric_hash: md5(m.metric),
      variant_hash: md5(variant),
      value: m.value,
      min_value: m.min ?? m.value,
      min_iteration: m.minIteration ?? m.iteration ?? null,
      max_value: m.max ?? m.value,
      max_iteration: m.maxIteration ?? m.iteration ?? null,
      last_iteration: m.iteration ?? null,
    };
    const { version_id: _v, metric: _m, variant: _va, ...set } = row;
    await ex
      .insertInto('model_metrics')
      .values(row)
      .onConflict((oc) => oc.columns(['version_id', 'metric', 'variant']).doUpdateSet(set))
      .execute();
  }
}

/** Folds per-iteration points into last value, min and max with their iterations. */
export async function reportMetricPoints(
  ex: Executor,
  versionId: string,
  points: Array<{ metric: string; variant: string; value: number; iteration: number }>,
) {
  for (const p of points) {
    const cur = await ex
      .selectFrom('model_metrics')
      .selectAll()
      .where('version_id', '=', versionId)
      .where('metric', '=', p.metric)
      .where('variant', '=', p.variant)
      .executeTakeFirst();
    const isLast = !cur || cur.last_iteration === null || p.iteration >= cur.last_iteration;
    const lower = !cur || cur.min_value === null || p.value < cur.min_value;
    const higher = !cur || cur.max_value === null || p.value > cur.max_value;
    await upsertMetrics(ex, versionId, [
      {
        metric: p.metric,
        variant: p.variant,
        value: isLast ? p.value : (cur!.value ?? p.value),
        iteration: isLast ? p.iteration : (cur!.last_iteration ?? undefined),
        min: lower ? p.value : cur!.min_value!,
        minIteration: lower ? p.iteration : (cur!.min_iteration ?? undefined),
        max: higher ? p.value : cur!.max_value!,
        maxIteration: higher ? p.iteration : (cur!.max_iteration ?? undefined),
      },
    ]);
  }
}

/** Writes the child lists that are given (tags replaced, metadata and metrics upserted). */
export async function writeChildren(tx: Executor, id: string, c: Children) {
  if (c.tags) await replaceTags(tx, id, false, c.tags);
  if (c.systemTags) await replaceTags(tx, id, true, c.systemTags);
  if (c.metadata) await upsertMetadata(tx, id, c.metadata);
  if (c.metrics) await upsertMetrics(tx, id, c.metrics);
}
