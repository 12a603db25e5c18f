/**
 * Runs: newest first, filterable by state, refreshed while any listed run is still active. Ticking
 * two or more runs enables Compare, which opens them side by side.
 */
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

/** The ticked run ids survive the refreshes, which redraw the table. */
function runsTable(runs: Run[], selected: Set<string>, changed: () => void): HTMLElement {
  const tick = (r: Run) =>
    h('input', {
      type: 'checkbox',
      name: 'compare',
      value: r.id,
      'aria-label': `Select ${r.name} to compare`,
      checked: selected.has(r.id),
      onchange: (ev: Event) => {
        if ((ev.target as HTMLInputElement).checked) selected.add(r.id);
        else selected.delete(r.id);
        changed();
      },
    });
  return table(
    ['', 'Name', 'Kind', 'State', 'Learner / model', 'Dataset', 'Created', 'Duration'],
    runs.map((r) => [
      tick(r),
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
  const selected = new Set<string>();
  const compare = h(
    'button',
    {
      type: 'button',
      'data-action': 'compare',
      disabled: true,
      onclick: () => navigate(`/compare?runs=${[...selected].map(encodeURIComponent).join(',')}`),
    },
    'Compare',
  );
  const changed = () => {
    compare.disabled = selected.size < 2;
    compare.textContent = selected.size ? `Compare (${selected.size})` : 'Compare';
  };
  view.root.replaceChildren(
    pageHeader('Runs', h('label', { class: 'filter' }, 'State ', select), compare),
    body,
  );

  const draw = async (): Promise<boolean> => {
    const runs = await api<Run[]>(`/runs?limit=200${state ? `&state=${state}` : ''}`);
    if (!view.isCurrent()) return false;
    if (runs.length === 0)
      body.replaceChildren(
        state
          ? emptyState(`No ${state} runs.`)
          : emptyState('No runs yet — train one:', 'npx modelyard train gbdt --dataset breast-cancer -f'),
      );
    else body.replaceChildren(runsTable(runs, selected, changed));
    return runs.some((r) => isActive(r.state));
  };
  if (await draw()) view.poll(REFRESH_MS, draw);
}
