/**
 * `modelyard predict-jobs …`: batch prediction jobs on the server — score CSV files with a
 * registry model, follow the job, print or save the per-row predictions.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { CliError, createClient, type GlobalOptions } from './client.js';
import { printObject, printRows } from './output.js';

type Json = Record<string, unknown>;
const globals = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;
const enc = encodeURIComponent;
const ENDED = new Set(['succeeded', 'failed', 'cancelled']);

const row = (j: Json) => ({
  name: j.name,
  state: j.state,
  model: j.model,
  inputs: (j.inputs as unknown[]).length,
  samples: j.samples,
  created: j.createdAt,
  error: j.error ?? '',
});

export function registerPredictJobs(program: Command): void {
  const pj = program
    .command('predict-jobs')
    .description('batch prediction jobs: score CSV files with a registry model on the server');

  pj.command('submit <name> <model> <files...>')
    .description(
      'score CSV files (header row) with <model>: name@alias, name/3, a version id or a model name',
    )
    .option('--threshold <p>', 'classification: keep labels with probability ≥ p (0–1)')
    .option('-w, --wait', 'wait until the job ends and print it')
    .action(async (name: string, model: string, files: string[], _o, cmd: Command) => {
      const o = cmd.opts() as { threshold?: string; wait?: boolean };
      const g = globals(cmd);
      const c = createClient(g);
      const form = new FormData();
      form.set('name', name);
      form.set('model', model);
      if (o.threshold !== undefined) form.set('threshold', o.threshold);
      files.forEach((f, i) => {
        let bytes: Buffer;
        try {
          bytes = readFileSync(f);
        } catch (e) {
          throw new CliError(`cannot read ${f}: ${(e as Error).message}`, 2);
        }
        form.append(`file${i}`, new Blob([bytes], { type: 'text/csv' }), basename(f));
      });
      let j = await c.json<Json>('/api/v1/predict-jobs', { method: 'POST', body: form });
      while (o.wait && !ENDED.has(String(j.state))) {
        await sleep(200);
        j = await c.json<Json>(`/api/v1/predict-jobs/${enc(name)}`);
      }
      printObject(g.json ? j : row(j), !!g.json);
      if (o.wait && j.state !== 'succeeded') process.exitCode = 1;
    });

  pj.command('list')
    .description('all jobs, oldest first')
    .option('--model <ref>', 'only jobs submitted with this model reference')
    .action(async (_o, cmd: Command) => {
      const g = globals(cmd);
      const o = cmd.opts() as { model?: string };
      const r = await createClient(g).json<{ items: Json[] }>('/api/v1/predict-jobs', {
        query: { model: o.model },
      });
      printRows(
        r.items.map(row),
        ['name', 'state', 'model', 'inputs', 'samples', 'created', 'error'],
        !!g.json,
        r,
      );
    });

  pj.command('show <name>')
    .description('one job')
    .action(async (name: string, _o, cmd: Command) => {
      const g = globals(cmd);
      printObject(await createClient(g).json<Json>(`/api/v1/predict-jobs/${enc(name)}`), !!g.json);
    });

  pj.command('results <name>')
    .description('per-row predictions: sample, then label=score pairs (most probable first)')
    .action(async (name: string, _o, cmd: Command) => {
      const g = globals(cmd);
      const r = await createClient(g).json<{
        job: Json;
        samples: Array<{ sampleId: string; predictions: Array<{ label: string; score: number }> }>;
      }>(`/api/v1/predict-jobs/${enc(name)}/results`);
      if (g.json) return void process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      if (r.job.state !== 'succeeded')
        throw new CliError(`job ${name} is ${String(r.job.state)}: no results`);
      for (const s of r.samples)
        process.stdout.write(
          `${s.sampleId}\t${s.predictions.map((p) => `${p.label}=${p.score}`).join('\t')}\n`,
        );
    });

  pj.command('stop <name>')
    .description('cancel a queued or running job')
    .action(async (name: string, _o, cmd: Command) => {
      const g = globals(cmd);
      const j = await createClient(g).json<Json>(`/api/v1/predict-jobs/${enc(name)}/stop`, {
        method: 'POST',
      });
      printObject(g.json ? j : row(j), !!g.json);
    });

  pj.command('delete <name>')
    .description('delete an ended job with its inputs and results')
    .action(async (name: string, _o, cmd: Command) => {
      const g = globals(cmd);
      printObject(
        await createClient(g).json<Json>(`/api/v1/predict-jobs/${enc(name)}`, { method: 'DELETE' }),
        !!g.json,
      );
    });
}
