/**
 * One run: summary, parameters, state timeline, metric curves, final metrics, log tail and
 * artifacts. While the run is active the page refreshes, appending new log lines as they come,
 * and offers to cancel it.
 */
import { actionBar, actionButton } from '../actions.js';
import { api, apiSend, downloadLink, seg } from '../api.js';
import { chartsByName } from '../chart.js';
import { h, link } from '../dom.js';
import { badge, durationOf, fmtBytes, fmtDate, fmtNum } from '../format.js';
import type { View } from '../router.js';
import {
  isActive,
  type LogLine,
  type MetricPoint,
  type ModelVersion,
  type Run,
  type RunEvent,
} from '../types.js';
import { emptyState, facts, pageHeader, section, table } from '../ui.js';

const REFRESH_MS = 2000;
const LOG_TAIL = 300;

interface Artifact {
  path: string;
  sizeBytes: number;
  createdAt: string;
}

/** `modelLabel` is `name vN` of the registered version when it could be read. */
function summary(r: Run, modelLabel: string | undefined): HTMLElement {
  return facts([
    ['Id', h('code', {}, r.id)],
    ['Kind', r.kind],
    ['Learner', r.learner ?? undefined],
    ['Command', r.command ? h('code', {}, r.command) : undefined],
    [
      'Dataset',
      r.dataset
        ? link(
            `/datasets/${seg(r.dataset.name)}/${r.dataset.version}`,
            `${r.dataset.name}@${r.dataset.version}`,
          )
        : undefined,
    ],
    ['Feature group', r.featureGroup ?? undefined],
    ['Target', r.target ?? undefined],
    ['Queue', r.queue],
    ['Attempt', `${r.attempt} of ${r.retries + 1}`],
    [
      'Model',
      r.modelVersionId
        ? link(`/models/${seg(r.modelVersionId)}`, modelLabel ?? r.modelName ?? r.modelVersionId)
        : (r.modelName ?? undefined),
    ],
    ['Created', `${fmtDate(r.createdAt)}${r.createdBy ? ` by ${r.createdBy}` : ''}`],
    ['Started', fmtDate(r.startedAt)],
    ['Ended', fmtDate(r.endedAt)],
    ['Duration', durationOf(r.startedAt, r.endedAt)],
    [
      'Labels',
      Object.keys(r.labels).length
        ? Object.entries(r.labels).map(([k, v]) => h('span', { class: 'tag' }, `${k}=${v}`))
        : undefined,
    ],
  ]);
}

function paramsTable(params: Record<string, unknown>): HTMLElement {
  const entries = Object.entries(params).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return h('p', { class: 'muted' }, 'No parameters.');
  return table(
    ['Parameter', 'Value'],
    entries.map(([k, v]) => [k, h('code', {}, typeof v === 'string' ? v : JSON.stringify(v))]),
  );
}

function timeline(events: RunEvent[]): HTMLElement {
  if (events.length === 0) return h('p', { class: 'muted' }, 'No events yet.');
  return h(
    'ol',
    { class: 'timeline' },
    ...events.map((e) =>
      h(
        'li',
        {},
        h('time', {}, fmtDate(e.at)),
        e.kind === 'state' ? badge(e.name) : h('span', { class: 'phase' }, `${e.name}: ${e.status}`),
        e.reason ? h('span', { class: 'muted' }, ` ${e.reason}`) : null,
        e.message ? h('span', {}, ` — ${e.message}`) : null,
        e.attempt > 1 ? h('span', { class: 'muted' }, ` (attempt ${e.attempt})`) : null,
      ),
    ),
  );
}

/** The last point of every metric, as the run ended (or so far). */
function finalMetrics(points: MetricPoint[]): HTMLElement {
  const last = new Map<string, MetricPoint>();
  for (const p of points) {
    const seen = last.get(p.name);
    if (!seen || p.step >= seen.step) last.set(p.name, p);
  }
  if (last.size === 0) return h('p', { class: 'muted' }, 'No metrics reported.');
  return table(
    ['Metric', 'Value', 'Step'],
    [...last.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((p) => [p.name, fmtNum(p.value), p.step]),
    { numeric: [1, 2], className: 'final-metrics' },
  );
}

function artifactsTable(runId: string, items: Artifact[]): HTMLElement {
  if (items.length === 0) return h('p', { class: 'muted' }, 'No artifacts.');
  return table(
    ['Path', 'Size', 'Created'],
    items.map((a) => [
      downloadLink(`/runs/${seg(runId)}/artifacts/${a.path.split('/').map(seg).join('/')}`, a.path),
      fmtBytes(a.sizeBytes),
      fmtDate(a.createdAt),
    ]),
    { numeric: [1] },
  );
}

/** The version's `name vN`; undefined when it is gone or unreadable (the run outlives it). */
async function versionLabel(id: string): Promise<string | undefined> {
  try {
    const m = await api<ModelVersion>(`/models/${seg(id)}`);
    return `${m.name} v${m.version}`;
  } catch {
    return undefined;
  }
}

export async function runDetailPage(view: View): Promise<void> {
  const id = view.params.id!;
  const base = `/runs/${seg(id)}`;
  const logs: LogLine[] = [];
  let after = 0;
  const logBox = h('pre', { class: 'logs' });
  const bar = actionBar();
  // Read once per version id: a live run's refreshes should not re-fetch the registry each time.
  let model: { id: string; label: Promise<string | undefined> } | undefined;

  const fetchLogs = async () => {
    const { lines } = await api<{ lines: LogLine[] }>(`${base}/logs?after=${after}&limit=10000`);
    if (lines.length === 0) return;
    logs.push(...lines);
    after = lines[lines.length - 1]!.seq;
    logs.splice(0, Math.max(0, logs.length - LOG_TAIL));
    const atBottom = logBox.scrollTop + logBox.clientHeight >= logBox.scrollHeight - 4;
    logBox.textContent = logs.map((l) => (l.stream === 'stderr' ? `! ${l.text}` : l.text)).join('\n');
    if (atBottom) logBox.scrollTop = logBox.scrollHeight;
  };

  const draw = async (): Promise<boolean> => {
    const [run, events, metrics, params, artifacts] = await Promise.all([
      api<Run>(base),
      api<RunEvent[]>(`${base}/events`),
      api<MetricPoint[]>(`${base}/metrics`),
      api<Record<string, string>>(`${base}/params`),
      api<Artifact[]>(`${base}/artifacts`),
      fetchLogs(),
    ]);
    if (run.modelVersionId && model?.id !== run.modelVersionId)
      model = { id: run.modelVersionId, label: versionLabel(run.modelVersionId) };
    const modelLabel = run.modelVersionId ? await model?.label : undefined;
    if (!view.isCurrent()) return false;
    const charts = chartsByName(metrics);
    bar.set(
      isActive(run.state) &&
        actionButton(bar, {
          label: 'Cancel run',
          name: 'cancel',
          danger: true,
          confirm: `Cancel run ${run.name}? Its process is stopped and the run ends as cancelled.`,
          act: () => apiSend('POST', `${base}/cancel`),
          done: draw,
        }),
    );
    view.root.replaceChildren(
      pageHeader(run.name, badge(run.state), link('/runs', '← all runs')),
      bar.el,
      run.message
        ? h(
            'p',
            { class: run.state === 'failed' ? 'error' : 'muted' },
            run.reason ? `${run.reason}: ` : '',
            run.message,
          )
        : '',
      h(
        'div',
        { class: 'two-col' },
        section('Summary', summary(run, modelLabel)),
        section('Parameters', paramsTable({ ...run.params, ...params })),
      ),
      section(
        'Metric curves',
        charts.length
          ? h('div', { class: 'charts' }, ...charts)
          : emptyState('No metric has more than one point yet.'),
      ),
      h(
        'div',
        { class: 'two-col' },
        section('Final metrics', finalMetrics(metrics)),
        section('State timeline', timeline(events)),
      ),
      section(
        `Logs${isActive(run.state) ? ' (live)' : ''}`,
        logs.length ? logBox : h('p', { class: 'muted' }, 'No log lines.'),
      ),
      section('Artifacts', artifactsTable(run.id, artifacts)),
    );
    // Re-attaching the log box resets its scroll; a live tail should show the newest lines.
    if (isActive(run.state)) logBox.scrollTop = logBox.scrollHeight;
    return isActive(run.state);
  };
  if (await draw()) view.poll(REFRESH_MS, draw);
}
