/**
 * `modelyard tune` and `modelyard tuning-jobs …` against a live server: a followed search ends
 * with its progress and best line, list/show/delete see it, a bad space is one line with exit 1;
 * `tune --code DIR --command …` searches the params of the user's program; usage errors exit 2.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { freshStore, type TestStore } from './helpers/db.js';
import { getJob, startServer, uploadBreastCancer, type TuningServer } from './tuning-helpers.js';

describe('tuning CLI', () => {
  let store: TestStore;
  let s: TuningServer;
  let url: string;
  const run = (...args: string[]) => runCli(url, ...args);

  before(async () => {
    store = await freshStore('sqlite');
    s = await startServer(store);
    url = await s.app.listen({ host: '127.0.0.1', port: 0 });
    await uploadBreastCancer(s);
  });
  after(async () => {
    await s.stop();
    await store.close();
  });

  test('tune -f, then list, show and delete; bad spaces fail with one line', async () => {
    const [tuned, badText, badServer] = await Promise.all([
      run(
        'tune',
        'gbdt',
        '--dataset',
        'bc',
        '--name',
        'cli-search',
        '--space',
        'max_depth=int:2:6,learning_rate=float:0.05:0.3:log',
        '--param',
        'n_estimators=10',
        '--metric',
        'validation_roc_auc',
        '--direction',
        'maximize',
        '--trials',
        '3',
        '--algorithm',
        'random',
        '--parallel',
        '2',
        '--seed',
        '3',
        '-f',
      ),
      run(
        'tune',
        'gbdt',
        '--dataset',
        'bc',
        '--space',
        'max_depth=int',
        '--metric',
        'm',
        '--direction',
        'maximize',
        '--trials',
        '2',
      ),
      run(
        'tune',
        'gbdt',
        '--dataset',
        'bc',
        '--space',
        'max_depth=int:8:2',
        '--metric',
        'm',
        '--direction',
        'maximize',
        '--trials',
        '2',
      ),
    ]);
    assert.equal(tuned.code, 0, tuned.stderr);
    assert.match(
      tuned.stdout,
      /created tuning job cli-search \(random, 3 trials, maximize validation_roc_auc\)/,
    );
    assert.match(
      tuned.stdout,
      /\[#{20}\] 3\/3 {2}running 0 {2}failed 0 {2}best validation_roc_auc=0\.\d+ \(trial \d: max_depth=\d/,
    );
    assert.match(tuned.stdout, /tuning job cli-search succeeded/);
    assert.equal(badText.code, 1);
    assert.match(badText.stderr, /--space 'max_depth=int' must be name=int:low:high/);
    assert.equal(badServer.code, 1);
    assert.match(badServer.stderr, /space\.max_depth/);
    assert.equal(badServer.stderr.trim().split('\n').length, 1);

    const [list, show] = await Promise.all([
      run('tuning-jobs', 'list'),
      run('tuning-jobs', 'show', 'cli-search'),
    ]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /cli-search\s+succeeded\s+gbdt\s+bc\s+3\/3\s+validation_roc_auc=0\.\d+/);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /^state\s+succeeded$/m);
    assert.equal(show.stdout.match(/^\d\s+succeeded\s+0\.\d+/gm)?.length, 3);

    const del = await run('tuning-jobs', 'delete', 'cli-search');
    assert.equal(del.code, 0, del.stderr);
    assert.equal((await run('tuning-jobs', 'show', 'cli-search')).code, 1);
  });
  test('tune --code DIR --command: each trial runs the program with its params; usage errors exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tune-code-'));
    try {
      writeFileSync(
        join(dir, 'train.cjs'),
        `const p = JSON.parse(require('node:fs').readFileSync('config.json', 'utf8'));
console.log(JSON.stringify({ metric: 'loss', value: (p.x - 3) ** 2 + p.offset }));
`,
      );
      const common = [
        '--space',
        'x=float:-2:8',
        '--metric',
        'loss',
        '--direction',
        'minimize',
        '--trials',
        '3',
      ];
      const [tuned, both, neither, noCommand, noDataset, missingDir] = await Promise.all([
        run(
          'tune',
          '--code',
          dir,
          '--command',
          'node train.cjs',
          '--name',
          'cli-code',
          '--param',
          'offset=1',
          '--algorithm',
          'random',
          '--seed',
          '5',
          ...common,
          '-f',
        ),
        run('tune', 'gbdt', '--dataset', 'bc', '--code', dir, '--command', 'node train.cjs', ...common),
        run('tune', ...common),
        run('tune', '--code', dir, ...common),
        run('tune', 'gbdt', ...common),
        run('tune', '--code', join(dir, 'nope'), '--command', 'x', ...common),
      ]);
      assert.equal(tuned.code, 0, tuned.stderr);
      assert.match(tuned.stdout, /created tuning job cli-code \(random, 3 trials, minimize loss\)/);
      assert.match(tuned.stdout, /3\/3 {2}running 0 {2}failed 0 {2}best loss=\S+ \(trial \d: x=/);
      assert.match(tuned.stdout, /tuning job cli-code succeeded/);
      const job = await getJob(s, 'cli-code');
      assert.equal(job.command, 'node train.cjs');
      for (const t of job.trials) assert.equal(t.value, (t.params.x - 3) ** 2 + 1);
      assert.equal(both.code, 2);
      assert.match(both.stderr, /give a learner \('gbdt'\) or --code, not both/);
      assert.equal(neither.code, 2);
      assert.match(neither.stderr, /name a learner .* or give --code <dir> --command <cmd>/);
      assert.equal(noCommand.code, 2);
      assert.match(noCommand.stderr, /--command is required with --code/);
      assert.equal(noDataset.code, 2);
      assert.match(noDataset.stderr, /--dataset is required with a learner/);
      assert.equal(missingDir.code, 2);
      assert.match(missingDir.stderr, /--code '.*nope' does not exist/);

      const list = await run('tuning-jobs', 'list');
      assert.match(list.stdout, /cli-code\s+succeeded\s+code: node train\.cjs/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  test('tune --resource: a Hyperband job over n_estimators; --resource with another algorithm exits 2', async () => {
    const common = ['--dataset', 'bc', '--space', 'max_depth=int:2:5', '--metric', 'validation_roc_auc'];
    const [tuned, wrongAlgo, badText] = await Promise.all([
      run(
        'tune',
        'gbdt',
        ...common,
        '--direction',
        'maximize',
        '--trials',
        '5',
        '--name',
        'cli-hb',
        '--resource',
        'n_estimators:9:1:3',
        '--seed',
        '2',
        '-f',
      ),
      run(
        'tune',
        'gbdt',
        ...common,
        '--direction',
        'maximize',
        '--trials',
        '5',
        '--algorithm',
        'tpe',
        '--resource',
        'n_estimators:9',
      ),
      run(
        'tune',
        'gbdt',
        ...common,
        '--direction',
        'maximize',
        '--trials',
        '5',
        '--resource',
        'n_estimators',
      ),
    ]);
    assert.equal(tuned.code, 0, tuned.stderr);
    assert.match(
      tuned.stdout,
      /created tuning job cli-hb \(hyperband, 5 trials, maximize validation_roc_auc\)/,
    );
    const job = await getJob(s, 'cli-hb');
    assert.equal(job.state, 'succeeded');
    assert.deepEqual(job.algorithmOptions, {
      resourceName: 'n_estimators',
      maxResource: 9,
      minResource: 1,
      eta: 3,
    });
    for (const t of job.trials)
      assert.ok([1, 3, 9].includes(t.params.n_estimators), JSON.stringify(t.params));
    assert.equal(wrongAlgo.code, 2);
    assert.match(wrongAlgo.stderr, /--resource goes with --algorithm hyperband or asha, not tpe/);
    assert.equal(badText.code, 2);
    assert.match(badText.stderr, /--resource 'n_estimators' must be name:max/);
  });
});
