/**
 * One model version: summary, metrics (with the source run's curves when it came from a run),
 * signature, metadata, labels and artifact files; actions to publish, archive and set aliases.
 */
import { actionBar, type ActionBar } from '../actions.js';
import { api, downloadLink, seg } from '../api.js';
import { chartsByName } from '../chart.js';
import { h, link } from '../dom.js';
import { badge, fmtBytes, fmtDate, fmtNum } from '../format.js';
import type { View } from '../router.js';
import type { MetricPoint, ModelVersion } from '../types.js';
import { facts, pageHeader, section, table } from '../ui.js';
import { aliasChip, modelActions } from './model-actions.js';
import { tags } from './models.page.js';

interface Artifact {
  path: string;
  sizeBytes: number;
  sha256: string;
  contentType: string;
  createdAt: string;
}

/** The run's curves, or none when the run is gone or unreadable (the version outlives it). */
async function runCurves(runId: string | null): Promise<HTMLElement[]> {
  if (!runId) return [];
  try {
    return chartsByName(await api<MetricPoint[]>(`/runs/${seg(runId)}/metrics`));
  } catch {
    return [];
  }
}

function metricsTable(m: ModelVersion): HTMLElement {
  if (m.metrics.length === 0) return h('p', { class: 'muted' }, 'No metrics.');
  return table(
    ['Metric', 'Variant', 'Last', 'Min', 'Max', 'Last iteration'],
    m.metrics.map((x) => [
      x.metric,
      x.variant || '—',
      fmtNum(x.value),
      fmtNum(x.min),
      fmtNum(x.max),
      x.lastIteration ?? '—',
    ]),
    { numeric: [2, 3, 4, 5], className: 'version-metrics' },
  );
}

function artifactsTable(id: string, items: Artifact[]): HTMLElement {
  if (items.length === 0) return h('p', { class: 'muted' }, 'No artifact files.');
  return h(
    'div',
    {},
    table(
      ['Path', 'Size', 'Type', 'SHA-256', 'Created'],
      items.map((a) => [
        downloadLink(`/models/${seg(id)}/artifacts/${a.path.split('/').map(seg).join('/')}`, a.path),
        fmtBytes(a.sizeBytes),
        a.contentType,
        h('code', { title: a.sha256 }, a.sha256.slice(0, 12)),
        fmtDate(a.createdAt),
      ]),
      { numeric: [1] },
    ),
    h(
      'p',
      {},
      downloadLink(`/models/${seg(id)}/Model.zip`, 'Model.zip'),
      h('span', { class: 'muted' }, ' (all files)'),
    ),
  );
}

export async function modelVersionPage(view: View): Promise<void> {
  await drawVersion(view, actionBar(), view.params.id!);
}

async function drawVersion(view: View, bar: ActionBar, id: string): Promise<void> {
  const m = await api<ModelVersion>(`/models/${seg(id)}`);
  const [{ items: artifacts }, curves] = await Promise.all([
    api<{ items: Artifact[] }>(`/models/${seg(m.id)}/artifacts`),
    runCurves(m.lineage.sourceRunId),
  ]);
  if (!view.isCurrent()) return;
  const sig = m.signature;
  const redraw = () => drawVersion(view, bar, id).catch((err: unknown) => bar.fail(err));
  bar.set(...modelActions(bar, m, redraw));
  view.root.replaceChildren(
    pageHeader(
      `${m.name} v${m.version}`,
      badge(m.ready ? 'published' : 'draft'),
      m.archived ? badge('archived') : '',
      link('/models', '← all models'),
    ),
    bar.el,
    section(
      'Summary',
      facts([
        ['Id', h('code', {}, m.id)],
        ['Project', m.project.name],
        ['Aliases', m.aliases.length ? m.aliases.map((a) => aliasChip(bar, m, a, redraw)) : '—'],
        ['Tags', m.tags.length ? tags(m.tags) : '—'],
        ['Framework', m.framework ?? '—'],
        ['Comment', m.comment || undefined],
        ['URI', m.uri ? h('code', {}, m.uri) : undefined],
        [
          'Source run',
          m.lineage.sourceRunId
            ? link(`/runs/${seg(m.lineage.sourceRunId)}`, m.lineage.sourceRunId)
            : undefined,
        ],
        ['Artifact version', m.artifactVersion],
        ['Created', `${fmtDate(m.createdAt)}${m.createdBy ? ` by ${m.createdBy}` : ''}`],
        ['Archived', m.archived ? 'yes' : undefined],
      ]),
    ),
    section('Metrics', metricsTable(m), curves.length ? h('div', { class: 'charts' }, ...curves) : ''),
    sig
      ? section(
          'Signature',
          table(
            ['Direction', 'Column', 'Type'],
            [
              ...sig.inputs.map((c) => ['input', c.name, c.type]),
              ...sig.outputs.map((c) => ['output', c.name, c.type]),
            ],
          ),
        )
      : '',
    m.metadata.length
      ? section(
          'Metadata',
          table(
            ['Key', 'Type', 'Value'],
            m.metadata.map((e) => [e.key, e.type, e.value]),
          ),
        )
      : '',
    Object.keys(m.labels).length
      ? section(
          'Labels',
          table(
            ['Label', 'Index'],
            Object.entries(m.labels).map(([k, v]) => [k, v]),
            { numeric: [1] },
          ),
        )
      : '',
    section('Artifacts', artifactsTable(m.id, artifacts)),
  );
}
