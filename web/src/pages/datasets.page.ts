/** Datasets: the list, one dataset's versions, and one version's column profile and splits. */
import { api, downloadLink, seg } from '../api.js';
import { h, link } from '../dom.js';
import { fmtBytes, fmtDate, fmtNum } from '../format.js';
import type { View } from '../router.js';
import type { Dataset, DatasetVersion } from '../types.js';
import { emptyState, facts, pageHeader, section, table } from '../ui.js';

const tagList = (tags: string[]) => tags.map((t) => h('span', { class: 'tag' }, t));

export async function datasetsPage(view: View): Promise<void> {
  const { items } = await api<{ items: Dataset[] }>('/datasets?limit=1000');
  if (!view.isCurrent()) return;
  view.root.replaceChildren(
    pageHeader('Datasets'),
    items.length === 0
      ? emptyState(
          'No datasets yet — upload a CSV:',
          'npx modelyard datasets upload breast_cancer.csv --name breast-cancer --target target',
        )
      : table(
          ['Name', 'Kind', 'Latest', 'Versions', 'Tags', 'Description', 'Updated'],
          items.map((d) => [
            link(`/datasets/${seg(d.name)}`, d.name),
            d.kind,
            d.latestVersion === null
              ? '—'
              : link(`/datasets/${seg(d.name)}/${d.latestVersion}`, `v${d.latestVersion}`),
            d.versionCount,
            tagList(d.tags),
            d.description,
            fmtDate(d.updatedAt),
          ]),
          { numeric: [3], className: 'datasets' },
        ),
  );
}

export async function datasetPage(view: View): Promise<void> {
  const name = view.params.name!;
  const [d, { items }] = await Promise.all([
    api<Dataset>(`/datasets/${seg(name)}`),
    api<{ items: DatasetVersion[] }>(`/datasets/${seg(name)}/versions`),
  ]);
  if (!view.isCurrent()) return;
  view.root.replaceChildren(
    pageHeader(d.name, link('/datasets', '← all datasets')),
    d.description ? h('p', {}, d.description) : '',
    section(
      'Versions',
      table(
        ['Version', 'Rows', 'Columns', 'Target', 'Task', 'Size', 'Source', 'Created'],
        [...items]
          .sort((a, b) => b.version - a.version)
          .map((v) => [
            link(`/datasets/${seg(name)}/${v.version}`, `v${v.version}`),
            v.rowCount,
            v.columns.length,
            v.target ?? '—',
            v.task ?? '—',
            fmtBytes(v.sizeBytes),
            v.source,
            fmtDate(v.createdAt),
          ]),
        { numeric: [1, 2, 5] },
      ),
    ),
  );
}

export async function datasetVersionPage(view: View): Promise<void> {
  const { name, version } = view.params as { name: string; version: string };
  const v = await api<DatasetVersion>(`/datasets/${seg(name)}/versions/${seg(version)}`);
  if (!view.isCurrent()) return;
  const top = (c: DatasetVersion['columns'][number]) =>
    c.topValues
      ?.slice(0, 3)
      .map((t) => `${t.value} (${t.count})`)
      .join(', ') ?? '';
  view.root.replaceChildren(
    pageHeader(`${v.name} v${v.version}`, link(`/datasets/${seg(name)}`, '← all versions')),
    v.warnings.length ? h('ul', { class: 'warnings' }, ...v.warnings.map((w) => h('li', {}, w))) : '',
    section(
      'Summary',
      facts([
        ['Kind', `${v.kind} (${v.format})`],
        ['Rows', String(v.rowCount)],
        ['Target', v.target ?? '—'],
        ['Task', v.task ?? '—'],
        [
          'Splits',
          `train ${v.splitCounts.train} · validation ${v.splitCounts.validation} · test ${v.splitCounts.test}`,
        ],
        [
          'Labels',
          v.labelCounts
            ? Object.entries(v.labelCounts)
                .map(([k, n]) => `${k}: ${n}`)
                .join(', ')
            : undefined,
        ],
        ['Size', fmtBytes(v.sizeBytes)],
        ['Source', v.source],
        ['Created', fmtDate(v.createdAt)],
        [
          'Download',
          downloadLink(
            `/datasets/${seg(name)}/versions/${v.version}/download`,
            `${v.name}-v${v.version}.${v.format}`,
          ),
        ],
      ]),
    ),
    section(
      `Columns (${v.columns.length})`,
      table(
        ['Column', 'Type', 'Missing', 'Distinct', 'Min', 'Max', 'Mean', 'Std', 'Top values'],
        v.columns.map((c) => [
          c.name === v.target ? h('strong', { title: 'target' }, `${c.name} ◎`) : c.name,
          c.type,
          c.missing,
          c.distinct ?? '—',
          fmtNum(c.min),
          fmtNum(c.max),
          fmtNum(c.mean),
          fmtNum(c.std),
          top(c),
        ]),
        { numeric: [2, 3, 4, 5, 6, 7], className: 'columns' },
      ),
    ),
  );
}
