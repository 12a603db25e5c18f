/**
 * Hyperparameter tuning jobs: the list, and one job's trials (params, objective, state, run) with
 * the objective per trial and the best value so far plotted. Both refresh while a job is active;
 * an active job can be cancelled.
 */
import { actionBar, actionButton } from '../actions.js';
import { api, apiSend, seg } from '../api.js';
import { multiLineChart, PALETTE, type Point } from '../chart.js';
import { h, link } from '../dom.js';
import { badge, durationOf, fmtDate, fmtNum } from '../format.js';
import type { View } from '../router.js';
import type { Trial, TuningJob } from '../types.js';
import { emptyState, facts, pageHeader, section, table } from '../ui.js';

const REFRESH_MS = 3000;
const jobActive = (state: string) => state === 'queued' || state === 'running';
const finished = (j: TuningJob) => j.counts.succeeded + j.counts.failed + j.counts.cancelled;
/** What each trial trains: the built-in learner, or the user's command. */
const trains = (j: TuningJob) => j.learner ?? `code: ${j.command ?? ''}`;
const show = (v: unknown) =>
  typeof v === 'string' ? v : typeof v === 'number' ? fmtNum(v) : JSON.stringify(v);

function bestCell(j: TuningJob) {
  if (!j.best || j.best.value === null) return '—';
  const text = `${fmtNum(j.best.value)} (trial ${j.best.number})`;
  return j.best.runId ? link(`/runs/${seg(j.best.runId)}`, text) : text;
}

export async function tuningJobsPage(view: View): Promise<void> {
  const draw = async (): Promise<boolean> => {
    const { items } = await api<{ items: TuningJob[] }>('/tuning-jobs?limit=200');
    if (!view.isCurrent()) return false;
    view.root.replaceChildren(
      pageHeader('Tuning jobs'),
      items.length === 0
        ? emptyState(
            'No tuning jobs yet — start one from the CLI:',
            `npx modelyard tune gbdt --dataset breast-cancer --space 'max_depth=int:2:8,learning_rate=float:0.01:0.3:log' --metric validation_roc_auc --direction maximize --trials 20 -f`,
          )
        : table(
            ['Name', 'State', 'Trains', 'Dataset', 'Objective', 'Trials', 'Best', 'Created'],
            items.map((j) => [
              link(`/tuning/${seg(j.name)}`, j.name),
              badge(j.state),
              trains(j),
              j.dataset ?? '—',
              `${j.direction} ${j.metric}`,
              `${finished(j)} / ${j.maxTrials}`,
              bestCell(j),
              fmtDate(j.createdAt),
            ]),
            { className: 'tuning-jobs' },
          ),
    );
    return items.some((j) => jobActive(j.state));
  };
  if (await draw()) view.poll(REFRESH_MS, draw);
}

/** Each finished trial's objective, and the best of those up to it (by the job's direction). */
export function objectiveSeries(trials: Trial[], direction: string): { values: Point[]; best: Point[] } {
  const better = (a: number, b: number) => (direction === 'maximize' ? a > b : a < b);
  const values: Point[] = [];
  const best: Point[] = [];
  let bestSoFar: number | undefined;
  for (const t of [...trials].sort((a, b) => a.number - b.number)) {
    if (t.value === null) continue;
    values.push({ x: t.number, y: t.value });
    if (bestSoFar === undefined || better(t.value, bestSoFar)) bestSoFar = t.value;
    best.push({ x: t.number, y: bestSoFar });
  }
  return { values, best };
}

function trialsTable(job: TuningJob, trials: Trial[]): HTMLElement {
  if (trials.length === 0) return h('p', { class: 'muted' }, 'No trials yet.');
  const keys = [...new Set(trials.flatMap((t) => Object.keys(t.params)))].sort((a, b) => a.localeCompare(b));
  const t = table(
    ['Trial', 'State', job.metric, ...keys, 'Run', 'Duration'],
    [...trials]
      .sort((a, b) => a.number - b.number)
      .map((tr) => [
        String(tr.number),
        tr.error ? h('span', { title: tr.error }, badge(tr.state)) : badge(tr.state),
        fmtNum(tr.value),
        ...keys.map((k) => (k in tr.params ? show(tr.params[k]) : '—')),
        tr.runId ? link(`/runs/${seg(tr.runId)}`, 'run') : '—',
        durationOf(tr.createdAt, tr.endedAt),
      ]),
    { className: 'trials', numeric: [0, 2] },
  );
  // Mark the best trial's row so it stands out in a long table.
  const rows = t.querySelectorAll('tbody tr');
  [...trials]
    .sort((a, b) => a.number - b.number)
    .forEach((tr, i) => {
      rows[i]?.setAttribute('data-trial', String(tr.number));
      if (job.best && tr.number === job.best.number) rows[i]?.classList.add('best');
    });
  return t;
}

export async function tuningJobPage(view: View): Promise<void> {
  const name = view.params.name!;
  const bar = actionBar();
  const draw = async (): Promise<boolean> => {
    const job = await api<TuningJob & { trials: Trial[] }>(`/tuning-jobs/${seg(name)}`);
    if (!view.isCurrent()) return false;
    const { values, best } = objectiveSeries(job.trials, job.direction);
    bar.set(
      jobActive(job.state) &&
        actionButton(bar, {
          label: 'Cancel job',
          name: 'cancel',
          danger: true,
          confirm: `Cancel tuning job ${job.name}? Its running trials are cancelled too.`,
          act: () => apiSend('POST', `/tuning-jobs/${seg(name)}/cancel`),
          done: draw,
        }),
    );
    view.root.replaceChildren(
      pageHeader(job.name, badge(job.state), link('/tuning', '← all tuning jobs')),
      bar.el,
      job.error ? h('p', { class: 'error' }, job.error) : '',
      section(
        'Summary',
        facts([
          [job.kind === 'code' ? 'Command' : 'Learner', job.learner ?? job.command ?? ''],
          ['Dataset', job.dataset ?? '—'],
          ['Objective', `${job.direction} ${job.metric}`],
          ['Algorithm', `${job.algorithm} (seed ${job.seed})`],
          ['Trials', `${finished(job)} of ${job.maxTrials} done, ${job.counts.running} running`],
          ['Best', bestCell(job)],
          ['Created', fmtDate(job.createdAt)],
          ['Duration', durationOf(job.createdAt, job.endedAt)],
        ]),
      ),
      section(
        'Objective per trial',
        values.length
          ? multiLineChart(
              job.metric,
              [
                { label: job.metric, points: values, color: PALETTE[0], draw: 'dots' },
                { label: 'best so far', points: best, color: PALETTE[1] },
              ],
              'trial',
            )
          : emptyState('No trial has finished yet.'),
      ),
      section('Trials', trialsTable(job, job.trials)),
    );
    return jobActive(job.state);
  };
  if (await draw()) view.poll(REFRESH_MS, draw);
}
