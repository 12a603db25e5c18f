/** Runs: newest first, filterable by state, refreshed while any listed run is still active. */
import { api } from '../api.js';
import { h, link } from '../dom.js';
import { badge, durationOf, fmtDate } from '../format.js';
import { navigate, type View } from '../router.js';
import { RUN_STATES, isActive, type Run } from '../types.js';
import { emptyState, pageHeader, table } from '../ui.js';

const REFRESH_MS = 3000;

function whatRan(r: Run): string {
  const what = r.kind === 'builtin' ? (r.learner ?? 'built-in') : (r.command ?? 'user code');
  return r.modelName ? `${what} → ${r.modelName}` : what;
}

function runsTable(runs: Run[]): HTMLElement {
  return table(
    ['Name', 'Kind', 'State', 'Learner / model', 'Dataset', 'Created', 'Duration'],
    runs.map((r) => [
      link(`/runs/${encodeURIComponent(r.id)}`, r.name),
      r.kind,
      badge(r.state),
      whatRan(r),
      r.dataset ? `${r.dataset.name}@${r.dataset.version}` : '—',
      fmtDate(r.createdAt),
      durationOf(r.startedAt, r.endedAt),
    ]),
    { className: 'runs' },
  );
}

export async function runsListPage(view: View): Promise<void> {
  const state = view.query.get('state') ?? '';
  const select = h(
    'select',
    {
      name: 'state',
      'aria-label': 'Filter by state',
      onchange: (ev: Event) => {
        const v = (ev.target as HTMLSelectElement).value;
        navigate(v ? `/runs?state=${v}` : '/runs');
      },
    },
    h('option', { value: '' }, 'all states'),
    ...RUN_STATES.map((st) => h('option', { value: st, selected: st === state }, st)),
  );
  const body = h('div', {});
  view.root.replaceChildren(pageHeader('Runs', h('label', { class: 'filter' }, 'State ', select)), body);

  const draw = async (): Promise<boolean> => {
    const runs = await api<Run[]>(`/runs?limit=200${state ? `&state=${state}` : ''}`);
    if (!view.isCurrent()) return false;
    if (runs.length === 0)
      body.replaceChildren(
        state
          ? emptyState(`No ${state} runs.`)
          : emptyState('No runs yet — train one:', 'npx modelyard train gbdt --dataset breast-cancer -f'),
      );
    else body.replaceChildren(runsTable(runs));
    return runs.some((r) => isActive(r.state));
  };
  if (await draw()) view.poll(REFRESH_MS, draw);
}
