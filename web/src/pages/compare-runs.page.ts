/**
 * Runs side by side (`/compare?runs=a,b,…`): their summary and parameters in one table, rows
 * that differ in bold, and one chart per metric with a coloured line per run.
 */
import { api, seg } from '../api.js';
import { multiLineChart, PALETTE, type Series } from '../chart.js';
import { h, link } from '../dom.js';
import { badge, durationOf, fmtNum } from '../format.js';
import type { View } from '../router.js';
import type { MetricPoint, Run } from '../types.js';
import { emptyState, pageHeader, section } from '../ui.js';

interface Compared {
  run: Run;
  label: string;
  color: string;
  params: Record<string, unknown>;
  metrics: MetricPoint[];
}

const show = (v: unknown) => (v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));

/** Run names label the lines; two runs with one name get their id's start to tell them apart. */
function labels(runs: Run[]): string[] {
  const count = new Map<string, number>();
  for (const r of runs) count.set(r.name, (count.get(r.name) ?? 0) + 1);
  return runs.map((r) => ((count.get(r.name) ?? 0) > 1 ? `${r.name} (${r.id.slice(0, 8)})` : r.name));
}

/** One row per field, one column per run; `differs` marks rows whose values are not all equal. */
function sideBySide(items: Compared[], rows: Array<[string, Array<string | Node>]>): HTMLElement {
  return h(
    'table',
    { class: 'grid compare' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, ''),
        ...items.map((c) =>
          h('th', {}, h('span', { class: 'swatch', style: `background: ${c.color}` }), c.label),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      ...rows.map(([name, values]) => {
        const texts = values.map((v) => (typeof v === 'string' ? v : (v.textContent ?? '')));
        const differs = texts.some((t) => t !== texts[0]);
        return h(
          'tr',
          { class: differs ? 'differs' : null, 'data-field': name },
          h('td', {}, name),
          ...values.map((v) => h('td', {}, v)),
        );
      }),
    ),
  );
}

function summaryRows(items: Compared[]): Array<[string, Array<string | Node>]> {
  const runs = items.map((c) => c.run);
  return [
    ['run', items.map((c) => link(`/runs/${seg(c.run.id)}`, c.run.name))],
    ['state', runs.map((r) => badge(r.state))],
    ['learner / command', runs.map((r) => r.learner ?? r.command ?? '—')],
    ['dataset', runs.map((r) => (r.dataset ? `${r.dataset.name}@${r.dataset.version}` : '—'))],
    ['duration', runs.map((r) => durationOf(r.startedAt, r.endedAt))],
  ];
}

function paramRows(items: Compared[]): Array<[string, string[]]> {
  const keys = [...new Set(items.flatMap((c) => Object.keys(c.params)))].sort((a, b) => a.localeCompare(b));
  return keys.map((k) => [k, items.map((c) => show(c.params[k]))]);
}

/** The last value of each metric per run, as a row per metric. */
function finalRows(items: Compared[], names: string[]): Array<[string, string[]]> {
  const lastOf = (points: MetricPoint[], name: string) => {
    let last: MetricPoint | undefined;
    for (const p of points) if (p.name === name && (!last || p.step >= last.step)) last = p;
    return last ? fmtNum(last.value) : '—';
  };
  return names.map((n) => [n, items.map((c) => lastOf(c.metrics, n))]);
}

function charts(items: Compared[], names: string[]): HTMLElement[] {
  return names.flatMap((name) => {
    const series: Series[] = items.map((c) => ({
      label: c.label,
      color: c.color,
      points: c.metrics.filter((p) => p.name === name).map((p) => ({ x: p.step, y: p.value })),
    }));
    // A metric reported once per run (a final score) reads better in the table than as dots.
    if (!series.some((sr) => sr.points.length > 1)) return [];
    return [multiLineChart(name, series)];
  });
}

export async function compareRunsPage(view: View): Promise<void> {
  const ids = (view.query.get('runs') ?? '').split(',').filter(Boolean);
  if (ids.length < 2) {
    view.root.replaceChildren(
      pageHeader('Compare runs', link('/runs', '← all runs')),
      emptyState('Tick two or more runs in the runs list, then press Compare.'),
    );
    return;
  }
  const loaded = await Promise.all(
    ids.map(async (id) => {
      const base = `/runs/${seg(id)}`;
      const [run, params, metrics] = await Promise.all([
        api<Run>(base),
        api<Record<string, string>>(`${base}/params`),
        api<MetricPoint[]>(`${base}/metrics`),
      ]);
      return { run, params: { ...run.params, ...params }, metrics };
    }),
  );
  if (!view.isCurrent()) return;
  const names = labels(loaded.map((l) => l.run));
  const items: Compared[] = loaded.map((l, i) => ({
    ...l,
    label: names[i]!,
    color: PALETTE[i % PALETTE.length]!,
  }));
  const metricNames = [...new Set(items.flatMap((c) => c.metrics.map((p) => p.name)))].sort((a, b) =>
    a.localeCompare(b),
  );
  const curves = charts(items, metricNames);
  const params = paramRows(items);
  view.root.replaceChildren(
    pageHeader(`Compare ${items.length} runs`, link('/runs', '← all runs')),
    section('Runs', sideBySide(items, summaryRows(items))),
    section(
      'Parameters',
      params.length ? sideBySide(items, params) : h('p', { class: 'muted' }, 'No parameters.'),
    ),
    section(
      'Metric curves',
      curves.length
        ? h('div', { class: 'charts' }, ...curves)
        : emptyState('No metric has more than one point in these runs.'),
    ),
    metricNames.length ? section('Final metrics', sideBySide(items, finalRows(items, metricNames))) : '',
  );
}
