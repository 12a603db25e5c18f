/**
 * The web UI: how the server serves dist/web under /ui/ (any machine), and what a user sees in a
 * real headless Chromium over seeded data (runs, metric curves, models, datasets, the token form).
 * Without /usr/bin/chromium the browser suite skips, unless MODELYARD_REQUIRE_BROWSER=1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { browserMissing, CHROMIUM, launchBrowser, requireBrowser } from './helpers/browser.js';
import { installWebUi, safeJoin } from '../src/http/web-ui.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import {
  createRunsTestApp,
  submit,
  submitScript,
  uploadDataset,
  waitRun,
  type Json,
  type RunsTestApp,
} from './runs-helpers.js';

const breast = readFileSync(join(import.meta.dirname, 'fixtures/datasets/breast_cancer.csv'));

describe('web UI serving', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp('sqlite');
  });
  after(() => t.close());

  test('/ redirects to /ui/, which serves the built index.html without caching', async () => {
    const root = await t.app.inject({ method: 'GET', url: '/' });
    assert.equal(root.statusCode, 302);
    assert.equal(root.headers.location, '/ui/');
    const page = await t.app.inject({ method: 'GET', url: '/ui/' });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.equal(page.headers['cache-control'], 'no-cache');
    assert.match(page.body, /<main id="app">/);
  });

  test('hashed assets have their content type and are cached for good', async () => {
    const html = (await t.app.inject({ method: 'GET', url: '/ui/' })).body;
    const js = /src="(\/ui\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    const css = /href="(\/ui\/assets\/[^"]+\.css)"/.exec(html)?.[1];
    assert.ok(js && css, 'index.html links a script and a stylesheet under /ui/assets/');
    const script = await t.app.inject({ method: 'GET', url: js });
    assert.equal(script.statusCode, 200);
    assert.match(String(script.headers['content-type']), /^text\/javascript/);
    assert.equal(script.headers['cache-control'], 'public, max-age=31536000, immutable');
    const style = await t.app.inject({ method: 'GET', url: css });
    assert.match(String(style.headers['content-type']), /^text\/css/);
  });

  test('client routes get index.html; missing files and paths outside dist/web get 404', async () => {
    const route = await t.app.inject({ method: 'GET', url: '/ui/runs/some-run-id' });
    assert.equal(route.statusCode, 200);
    assert.match(route.body, /<main id="app">/);
    assert.equal((await t.app.inject({ method: 'GET', url: '/ui/assets/missing.js' })).statusCode, 404);
    for (const url of [
      '/ui/..%2f..%2fpackage.json',
      '/ui/%2e%2e/%2e%2e/package.json',
      '/ui/..%5c..%5cpackage.json',
    ]) {
      const res = await t.app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 404, url);
      assert.doesNotMatch(res.body, /"name": "modelyard"/);
    }
    assert.equal(safeJoin('/srv/web', '../secret'), null);
    assert.equal(safeJoin('/srv/web', 'a/../../secret'), null);
    assert.equal(safeJoin('/srv/web', 'x\0y'), null);
    assert.equal(safeJoin('/srv/web', 'assets/a.js'), '/srv/web/assets/a.js');
  });

  test('the API, health and docs routes are untouched', async () => {
    assert.equal((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    assert.equal((await t.app.inject({ method: 'GET', url: '/docs' })).statusCode, 200);
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/runs' })).statusCode, 200);
  });

  test('without a build, /ui/ says to run npm run build', async () => {
    const app = Fastify();
    installWebUi(app, { dir: join(mkdtempSync(join(tmpdir(), 'modelyard-web-')), 'missing') });
    const res = await app.inject({ method: 'GET', url: '/ui/runs' });
    assert.equal(res.statusCode, 503);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    assert.match(res.body, /npm run build/);
    await app.close();
  });
});

if (browserMissing && requireBrowser)
  test('a browser is available (MODELYARD_REQUIRE_BROWSER=1)', () => {
    assert.fail(`${CHROMIUM} is missing: apt-get install chromium`);
  });

describe(
  'web UI in a browser',
  {
    skip:
      browserMissing &&
      `${CHROMIUM} is missing (apt-get install chromium); MODELYARD_REQUIRE_BROWSER=1 fails instead`,
  },
  () => {
    let t: RunsTestApp;
    let browser: Browser;
    let page: Page;
    let runId: string;
    let modelId: string;
    let trainedModel: string;

    before(async () => {
      t = await createRunsTestApp('sqlite');
      await uploadDataset(t, 'breast-cancer', breast, 'target');
      const res = await submit(t, { learner: 'gbdt', dataset: 'breast-cancer', name: 'ui-gbdt' });
      assert.equal(res.statusCode, 201, res.body);
      runId = (res.json() as Json).id;
      const run = await waitRun(t, runId);
      assert.equal(run.state, 'succeeded', run.message ?? '');
      trainedModel = (await t.services.registry.resolve(run.modelVersionId!)).name;
      const reg = await t.app.inject({
        method: 'POST',
        url: '/api/v1/models',
        payload: {
          name: 'hand-made',
          framework: 'sklearn',
          tags: ['ui-test'],
          metrics: [{ metric: 'auc', value: 0.93 }],
        },
      });
      assert.equal(reg.statusCode, 201, reg.body);
      modelId = (reg.json() as Json).id;
      browser = await launchBrowser();
      page = await browser.newPage();
    });
    after(async () => {
      await browser?.close();
      await t?.close();
    });

    const nav = (label: string) => page.locator('#nav a', { hasText: label }).click();

    test('the runs list shows the run with its state', async () => {
      await page.goto(`${t.url}/`);
      await page.waitForURL(/\/ui\/runs$/);
      const row = page.locator('table.runs tbody tr', { hasText: 'ui-gbdt' });
      await row.waitFor();
      assert.equal(await row.locator('.badge').textContent(), 'succeeded');
      assert.match((await row.textContent()) ?? '', /gbdt/);
      assert.equal(await page.locator('#nav a.active').textContent(), 'Runs');
    });

    test('the run page draws metric curves as SVG and lists metrics, logs and artifacts', async () => {
      await page.locator('table.runs a', { hasText: 'ui-gbdt' }).click();
      await page.waitForURL(`**/ui/runs/${runId}`);
      const chart = page.locator('figure[data-metric="train_loss"]');
      const line = chart.locator('svg.chart path.line');
      await line.waitFor();
      assert.match((await line.getAttribute('d')) ?? '', /^M[\d.]+,[\d.]+(L[\d.]+,[\d.]+)+$/);
      assert.ok(Number(await line.getAttribute('data-points')) > 1);
      assert.ok((await chart.locator('text.tick').count()) > 4, 'the axes have ticks');
      await chart.locator('rect.overlay').hover();
      assert.match((await chart.locator('text.tip').textContent()) ?? '', /^step \d+: [\d.e-]+$/);
      assert.match((await page.locator('table.final-metrics').textContent()) ?? '', /validation_accuracy/);
      assert.match((await page.locator('pre.logs').textContent()) ?? '', /training gbdt/);
      const model = page.locator('.facts a[href^="/ui/models/"]');
      assert.equal(await model.textContent(), `${trainedModel} v1`);
      const artifact = page.locator('a', { hasText: 'model.myd' });
      assert.equal(await artifact.getAttribute('href'), `/api/v1/runs/${runId}/artifacts/model.myd`);
    });

    test('the models page lists the versions and opens one', async () => {
      await nav('Models');
      await page.waitForURL(/\/ui\/models$/);
      const rows = page.locator('table.models tbody tr');
      await rows.filter({ hasText: 'hand-made' }).waitFor();
      assert.match((await rows.filter({ hasText: trainedModel }).textContent()) ?? '', /v1/);
      const hand = rows.filter({ hasText: 'hand-made' });
      assert.match((await hand.textContent()) ?? '', /sklearn.*ui-test|ui-test.*sklearn/);
      assert.equal(await hand.locator('.badge').textContent(), 'draft');
      await hand.locator('a', { hasText: 'hand-made' }).click();
      await page.waitForURL(`**/ui/models/${modelId}`);
      await page.locator('h1', { hasText: 'hand-made v1' }).waitFor();
      assert.match((await page.locator('table.version-metrics').textContent()) ?? '', /auc.*0\.93/);
    });

    test('the datasets page lists the dataset and shows a version profile', async () => {
      await nav('Datasets');
      const row = page.locator('table.datasets tbody tr', { hasText: 'breast-cancer' });
      await row.waitFor();
      await row.locator('a', { hasText: 'v1' }).click();
      await page.waitForURL('**/ui/datasets/breast-cancer/1');
      const columns = page.locator('table.columns');
      await columns.waitFor();
      assert.match((await columns.textContent()) ?? '', /mean radius/);
    });

    test('two ticked runs open a comparison: parameters side by side, a line per run per metric', async () => {
      const res = await submit(t, {
        learner: 'gbdt',
        dataset: 'breast-cancer',
        name: 'compare-gbdt',
        params: { n_estimators: 12, learning_rate: 0.3 },
      });
      assert.equal((await waitRun(t, (res.json() as Json).id)).state, 'succeeded');
      await page.goto(`${t.url}/ui/runs`);
      for (const name of ['ui-gbdt', 'compare-gbdt'])
        await page
          .locator('table.runs tbody tr')
          .filter({ has: page.getByRole('link', { name, exact: true }) })
          .locator('input[name="compare"]')
          .check();
      await page.locator('button[data-action="compare"]:enabled', { hasText: 'Compare (2)' }).click();
      await page.waitForURL(/\/ui\/compare\?runs=/);
      await page.locator('h1', { hasText: 'Compare 2 runs' }).waitFor();
      const lr = page.locator('table.compare tr[data-field="learning_rate"]');
      assert.match((await lr.textContent()) ?? '', /0\.3/);
      assert.equal(await lr.getAttribute('class'), 'differs');
      const chart = page.locator('figure[data-metric="train_loss"]');
      const lines = chart.locator('path.line');
      assert.equal(await lines.count(), 2);
      assert.notEqual(await lines.nth(0).getAttribute('style'), await lines.nth(1).getAttribute('style'));
      assert.deepEqual(await chart.locator('.legend li').allTextContents(), ['ui-gbdt', 'compare-gbdt']);
      await chart.locator('rect.overlay').hover({ position: { x: 1, y: 10 } });
      assert.match(
        (await chart.locator('text.tip').textContent()) ?? '',
        /^step \d+: ui-gbdt [\d.e-]+, compare-gbdt [\d.e-]+$/,
      );
    });

    test('empty pages say how to make something; API errors show their message', async () => {
      await nav('Deployments');
      await page.locator('.empty', { hasText: 'No deployments yet' }).waitFor();
      assert.match((await page.locator('.empty pre').textContent()) ?? '', /modelyard deployments create/);
      await nav('Model instances');
      await page.locator('.empty', { hasText: 'No model instances yet' }).waitFor();
      await page.goto(`${t.url}/ui/runs/no-such-run`);
      const error = page.locator('.error');
      await error.waitFor();
      assert.match((await error.textContent()) ?? '', /API error 404: .*no-such-run/);
    });

    test('an active run updates in place: state and log lines appear without a reload', async () => {
      const gate = join(mkdtempSync(join(tmpdir(), 'modelyard-ui-gate-')), 'go');
      const id = await submitScript(
        t,
        `echo first-line\nwhile [ ! -f ${gate} ]; do sleep 0.05; done\necho last-line\n`,
        { name: 'ui-live' },
      );
      await waitRun(t, id, (r) => r.state === 'running');
      await page.goto(`${t.url}/ui/runs`);
      const row = page.locator('table.runs tbody tr', { hasText: 'ui-live' });
      await row.locator('.badge', { hasText: 'running' }).waitFor();
      await row.locator('a', { hasText: 'ui-live' }).click();
      await page.locator('h2', { hasText: 'Logs (live)' }).waitFor();
      await page.locator('pre.logs', { hasText: 'first-line' }).waitFor();
      writeFileSync(gate, '');
      await page.locator('.page-header .badge', { hasText: 'succeeded' }).waitFor();
      await page.locator('pre.logs', { hasText: 'last-line' }).waitFor();
      assert.equal(await page.locator('h2', { hasText: 'Logs (live)' }).count(), 0);
    });

    test('once a token exists the UI asks for one and then uses it', async () => {
      const token = await t.services.tokens.create({ name: 'ui', role: 'viewer' });
      await page.goto(`${t.url}/ui/runs`);
      const form = page.locator('form.token-form');
      await form.waitFor();
      await form.locator('input[name="token"]').fill(token.token);
      await form.locator('button[type="submit"]').click();
      await page.locator('table.runs tbody tr', { hasText: 'ui-gbdt' }).waitFor();
      assert.equal(await page.evaluate("localStorage.getItem('modelyard.token')"), token.token);
    });
  },
);
