/**
 * The web UI's tuning pages in headless Chromium over a real tuning job: the job list, a job's
 * trials with their params and objective, the objective/best-so-far plot and the links to each
 * trial's run, cancelling a running job. Skips without /usr/bin/chromium unless MODELYARD_REQUIRE_BROWSER=1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { browserSkip, launchBrowser } from './helpers/browser.js';
import { createRunsTestApp, uploadCode, uploadDataset, type Json, type RunsTestApp } from './runs-helpers.js';

const breast = readFileSync(join(import.meta.dirname, 'fixtures/datasets/breast_cancer.csv'));

describe('web UI tuning pages in a browser', { skip: browserSkip }, () => {
  let t: RunsTestApp;
  let browser: Browser;
  let page: Page;
  let job: Json;

  before(async () => {
    t = await createRunsTestApp('sqlite');
    await uploadDataset(t, 'breast-cancer', breast, 'target');
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tuning-jobs',
      payload: {
        name: 'ui-search',
        learner: 'gbdt',
        dataset: 'breast-cancer',
        metric: 'validation_accuracy',
        direction: 'maximize',
        algorithm: 'random',
        seed: 7,
        maxTrials: 3,
        space: { n_estimators: { type: 'int', low: 5, high: 30 } },
      },
    });
    assert.equal(res.statusCode, 201, res.body);
    for (let i = 0; ; i++) {
      job = (await t.app.inject({ url: '/api/v1/tuning-jobs/ui-search' })).json() as Json;
      if (!['queued', 'running'].includes(job.state as string)) break;
      assert.ok(i < 1200, `tuning job still ${job.state}`);
      await sleep(50);
    }
    assert.equal(job.state, 'succeeded', JSON.stringify(job));
    browser = await launchBrowser();
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  test('the list shows the job with its trials done and best value', async () => {
    await page.goto(`${t.url}/ui/tuning`);
    const row = page.locator('table.tuning-jobs tbody tr', { hasText: 'ui-search' });
    await row.waitFor();
    assert.equal(await row.locator('.badge').textContent(), 'succeeded');
    assert.match((await row.textContent()) ?? '', /maximize validation_accuracy.*3 \/ 3/);
    assert.match((await row.textContent()) ?? '', new RegExp(`\\(trial ${job.best.number}\\)`));
    assert.equal(await page.locator('#nav a.active').textContent(), 'Tuning');
  });

  test("a job's page lists the trials, plots objective and best so far, and links each run", async () => {
    await page.locator('table.tuning-jobs a', { hasText: 'ui-search' }).click();
    await page.waitForURL('**/ui/tuning/ui-search');
    const rows = page.locator('table.trials tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 3);
    const trials = job.trials as Json[];
    for (const trial of trials) {
      const row = page.locator(`table.trials tr[data-trial="${trial.number}"]`);
      const cells = await row.locator('td').allTextContents();
      assert.equal(cells[1], trial.state);
      assert.equal(Number(cells[2]), Number(Number(trial.value).toPrecision(5)));
      assert.equal(cells[3], String(trial.params.n_estimators));
      assert.equal(await row.locator('a').getAttribute('href'), `/ui/runs/${trial.runId}`);
    }
    assert.equal(
      await page.locator('table.trials tr.best').getAttribute('data-trial'),
      String(job.best.number),
    );

    const chart = page.locator('figure[data-metric="validation_accuracy"]');
    assert.equal(await chart.locator('circle.dot[data-series="validation_accuracy"]').count(), 3);
    const best = chart.locator('path.line[data-series="best so far"]');
    assert.equal(await best.getAttribute('data-points'), '3');
    assert.deepEqual(await chart.locator('.legend li').allTextContents(), [
      'validation_accuracy',
      'best so far',
    ]);

    const first = trials.find((x) => x.number === 0)!;
    await page.locator('table.trials tr[data-trial="0"] a').click();
    await page.waitForURL(`**/ui/runs/${first.runId}`);
    await page.locator('h1', { hasText: 'ui-search-trial-0' }).waitFor();
  });

  test('a running job is cancelled from its page after confirming', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tuning-jobs',
      payload: {
        name: 'ui-long-search',
        learner: 'gbdt',
        dataset: 'breast-cancer',
        metric: 'validation_accuracy',
        direction: 'maximize',
        maxTrials: 500,
        space: { n_estimators: { type: 'int', low: 5, high: 30 } },
      },
    });
    assert.equal(res.statusCode, 201, res.body);
    await page.goto(`${t.url}/ui/tuning/ui-long-search`);
    const asked = new Promise<string>((resolve) =>
      page.once('dialog', (d) => {
        resolve(d.message());
        void d.accept();
      }),
    );
    await page.locator('button[data-action="cancel"]').click();
    assert.match(await asked, /Cancel tuning job ui-long-search\?/);
    await page.locator('.page-header .badge', { hasText: 'cancelled' }).waitFor();
    const after = (await t.app.inject({ url: '/api/v1/tuning-jobs/ui-long-search' })).json() as Json;
    assert.equal(after.state, 'cancelled');
    assert.equal(await page.locator('button[data-action="cancel"]').count(), 0);
  });

  test('a user-code job shows its command where a learner would be, and no dataset', async () => {
    const code = await uploadCode(t, 'obj.sh', 'echo "{\\"metric\\": \\"loss\\", \\"value\\": 1}"\n');
    assert.equal(code.statusCode, 201, code.body);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tuning-jobs',
      payload: {
        name: 'ui-code-search',
        codeId: (code.json() as Json).id,
        command: 'sh obj.sh',
        metric: 'loss',
        direction: 'minimize',
        maxTrials: 1,
        space: { x: { type: 'float', low: 0, high: 1 } },
      },
    });
    assert.equal(res.statusCode, 201, res.body);
    await page.goto(`${t.url}/ui/tuning`);
    const row = page.locator('table.tuning-jobs tbody tr', { hasText: 'ui-code-search' });
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    assert.equal(cells[2], 'code: sh obj.sh');
    assert.equal(cells[3], '—');
    await row.locator('a').click();
    await page.waitForURL('**/ui/tuning/ui-code-search');
    const facts = await page.locator('section', { hasText: 'Summary' }).textContent();
    assert.match(facts ?? '', /Command\s*sh obj\.sh/);
    assert.match(facts ?? '', /Dataset\s*—/);
  });
});
