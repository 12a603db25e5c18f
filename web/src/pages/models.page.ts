/** The model registry: every version, newest first, with aliases, tags and publish state. */
import { api } from '../api.js';
import { h, link } from '../dom.js';
import { badge, fmtDate } from '../format.js';
import type { View } from '../router.js';
import type { ModelVersion } from '../types.js';
import { emptyState, pageHeader, table } from '../ui.js';

export const tags = (items: string[], cls = 'tag') => items.map((t) => h('span', { class: cls }, t));

export async function modelsPage(view: View): Promise<void> {
  const { items, hasMore } = await api<{ items: ModelVersion[]; hasMore: boolean }>(
    '/models?orderBy=-created&pageSize=500',
  );
  if (!view.isCurrent()) return;
  view.root.replaceChildren(
    pageHeader('Models'),
    items.length === 0
      ? emptyState(
          'No model versions yet — a successful training run registers one:',
          'npx modelyard train gbdt --dataset breast-cancer -f',
        )
      : table(
          ['Name', 'Version', 'Aliases', 'Tags', 'Framework', 'Project', 'Created', 'State'],
          items.map((m) => [
            link(`/models/${encodeURIComponent(m.id)}`, m.name),
            link(`/models/${encodeURIComponent(m.id)}`, `v${m.version}`),
            tags(m.aliases, 'alias'),
            tags(m.tags),
            m.framework ?? '—',
            m.project.name,
            fmtDate(m.createdAt),
            badge(m.ready ? 'published' : 'draft'),
          ]),
          { className: 'models' },
        ),
    hasMore ? h('p', { class: 'muted' }, 'Showing the newest 500 versions.') : '',
  );
}
