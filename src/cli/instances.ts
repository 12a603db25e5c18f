/**
 * `modelyard instances …`: MISTK model instances on the server (list, show, create, delete). The
 * MISTK calls themselves go to the instance's base path, which `create` and `show` print.
 */
import type { Command } from 'commander';
import { createClient, type GlobalOptions } from './client.js';
import { printObject, printRows } from './output.js';

type Json = Record<string, unknown>;
interface InstanceJson {
  objectInfo: { name: string; resourceVersion: number; creationTime: string; modificationTime: string };
  state: string;
  payload: Json;
  task: { id: string; operation: string; status: string; error: string | null } | null;
}

const globals = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;
const enc = encodeURIComponent;

function summary(i: InstanceJson, baseUrl: string): Json {
  return {
    name: i.objectInfo.name,
    state: i.state,
    resourceVersion: i.objectInfo.resourceVersion,
    task: i.task ? `${i.task.operation} ${i.task.status}` : '',
    taskError: i.task?.error ?? undefined,
    payload: Object.keys(i.payload).length > 0 ? i.payload : undefined,
    modified: i.objectInfo.modificationTime,
    mistkUrl: `${baseUrl}/model-instances/${enc(i.objectInfo.name)}/v1/mistk`,
  };
}

const defined = (o: Json) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

export function registerInstances(program: Command): void {
  const cmd = program
    .command('instances')
    .description('MISTK model instances: a MISTK client drives one at <url>/model-instances/<name>/v1/mistk');

  cmd
    .command('list')
    .description('all model instances with their state and current task')
    .action(async (_o, c: Command) => {
      const g = globals(c);
      const client = createClient(g);
      const r = await client.json<{ items: InstanceJson[] }>('/api/v1/model-instances');
      printRows(
        r.items.map((i) => summary(i, client.baseUrl)),
        ['name', 'state', 'resourceVersion', 'task', 'modified'],
        !!g.json,
        r,
      );
    });

  cmd
    .command('show <name>')
    .description('one instance: MISTK status, current task, MISTK base URL')
    .action(async (name: string, _o, c: Command) => {
      const g = globals(c);
      const client = createClient(g);
      const i = await client.json<InstanceJson>(`/api/v1/model-instances/${enc(name)}`);
      printObject(g.json ? (i as unknown as Json) : defined(summary(i, client.baseUrl)), !!g.json);
    });

  cmd
    .command('create <name>')
    .description('a new instance in state started (name: lowercase letters, digits, - and .)')
    .action(async (name: string, _o, c: Command) => {
      const g = globals(c);
      const client = createClient(g);
      const i = await client.json<InstanceJson>('/api/v1/model-instances', {
        method: 'POST',
        json: { name },
      });
      printObject(g.json ? (i as unknown as Json) : defined(summary(i, client.baseUrl)), !!g.json);
    });

  cmd
    .command('delete <name>')
    .description('remove an instance (a running task is stopped; files it saved stay)')
    .action(async (name: string, _o, c: Command) => {
      const g = globals(c);
      await createClient(g).json(`/api/v1/model-instances/${enc(name)}`, { method: 'DELETE' });
      if (g.json) printObject({ deleted: name }, true);
      else process.stdout.write(`deleted ${name}\n`);
    });
}
