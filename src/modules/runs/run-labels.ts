/**
 * Runs found and re-tagged by their labels. Compat surfaces keep their own objects (WMLA execs and
 * trainings) as runs marked with a label; these are the one place that lists and relabels them.
 */
import { nowIso } from '../../infra/db/kysely.js';
import type { RunView } from './runs.schemas.js';
import type { RunsService } from './runs.service.js';

const PAGE = 500;

/** Every run whose labels hold all of `match` (a value of `undefined` only needs the key). */
export async function listRunsByLabels(
  runs: RunsService,
  match: Record<string, string | undefined>,
): Promise<RunView[]> {
  const wanted = Object.entries(match);
  const out: RunView[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await runs.list({ limit: PAGE, offset });
    for (const r of page)
      if (wanted.every(([k, v]) => r.labels[k] !== undefined && (v === undefined || r.labels[k] === v)))
        out.push(r);
    if (page.length < PAGE) return out;
  }
}

/**
 * Replaces a run's labels. Runs are history and never deleted, so a surface that "deletes" one of
 * its objects relabels the run instead (it then no longer matches the surface's label).
 */
export async function setRunLabels(
  runs: RunsService,
  id: string,
  labels: Record<string, string>,
): Promise<RunView> {
  await runs.get(id); // 404 for an unknown run
  await runs.internal.repo.update(id, { labels: JSON.stringify(labels), updated_at: nowIso() });
  return runs.get(id);
}
