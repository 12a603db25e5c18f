/** `modelyard tuning-jobs list|show|cancel|delete`: look at and control server-run searches. */
import type { Command } from 'commander';
import { createClient, type GlobalOptions } from './client.js';
import { printObject, printRows } from './output.js';
import { followJob, progressLine } from './tune.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const globals = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;
const path = (name: string) => `/api/v1/tuning-jobs/${encodeURIComponent(name)}`;

export function registerTuningJobs(program: Command): void {
  const jobs = program.command('tuning-jobs').description('tuning jobs: list, show, cancel, delete');

  jobs
    .command('list')
    .option('--state <state>', 'queued | running | succeeded | failed | cancelled')
    .action(async (o: { state?: string }, cmd: Command) => {
      const g = globals(cmd);
      const res = await createClient(g).json<{ items: Json[] }>('/api/v1/tuning-jobs', {
        query: o.state ? { state: o.state } : {},
      });
      const rows = res.items.map((j) => ({
        name: j.name,
        state: j.state,
        learner: j.learner ?? `code: ${j.command}`,
        dataset: j.dataset ?? '',
        trials: `${j.counts.succeeded + j.counts.failed + j.counts.cancelled}/${j.maxTrials}`,
        best: j.best ? `${j.metric}=${Number(j.best.value).toPrecision(5)}` : '',
        created: j.createdAt,
      }));
      printRows(rows, ['name', 'state', 'learner', 'dataset', 'trials', 'best', 'created'], !!g.json, res);
    });

  jobs
    .command('show <name>')
    .option('-f, --follow', 'follow progress until the job ends')
    .action(async (name: string, o: { follow?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const c = createClient(g);
      const job = o.follow ? await followJob(c, name, !!g.json) : await c.json<Json>(path(name));
      if (g.json) return printObject(job, true);
      const { trials, best: _b, counts: _c, ...rest } = job;
      printObject(rest, false);
      process.stdout.write(`${progressLine(job)}\n\n`);
      printRows(
        (trials as Json[]).map((t) => ({
          trial: t.number,
          state: t.state,
          value: t.value === null ? '' : Number(t.value).toPrecision(5),
          params: t.params,
          run: t.runId,
          error: t.error,
        })),
        ['trial', 'state', 'value', 'params', 'run', 'error'],
        false,
      );
    });

  jobs.command('cancel <name>').action(async (name: string, _o: unknown, cmd: Command) => {
    const job = await createClient(globals(cmd)).json<Json>(`${path(name)}/cancel`, { method: 'POST' });
    process.stdout.write(`tuning job ${job.name} ${job.state}\n`);
  });

  jobs.command('delete <name>').action(async (name: string, _o: unknown, cmd: Command) => {
    await createClient(globals(cmd)).json<Json>(path(name), { method: 'DELETE' });
    process.stdout.write(`deleted tuning job ${name}\n`);
  });
}
