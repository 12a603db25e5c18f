/**
 * The web UI's actions in headless Chromium: cancel a run, set/move/remove an alias, publish and
 * archive a version, stop and start a deployment. Each test checks what the page shows afterwards
 * and the API's state. Skips without /usr/bin/chromium unless MODELYARD_REQUIRE_BROWSER=1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { browserSkip, launchBrowser } from './helpers/browser.js';
import { registerLinear } from './helpers/deployments.js';
import { createRunsTestApp, submitScript, waitRun, type Json, type RunsTestApp } from './runs-helpers.js';

describe('web UI actions in a browser', { skip: browserSkip }, () => {
  let t: RunsTestApp;
  let browser: Browser;
  let page: Page;
  let v1: string;
  let v2: string;

  before(async () => {
    t = await createRunsTestApp('sqlite');
    v1 = await registerLinear(t.services, 'lin', 1);
    v2 = await registerLinear(t.services, 'lin', 2);
    browser = await launchBrowser();
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  const get = async (url: string) => t.app.inject({ method: 'GET', url: `/api/v1${url}` });
  /** Accepts the next confirm() and resolves to its message. */
  const accept = () =>
    new Promise<string>((resolve) =>
      page.once('dialog', (d) => {
        resolve(d.message());
        void d.accept();
      }),
    );
  const setAlias = async (alias: string) => {
    await page.locator('form.alias-form input[name="alias"]').fill(alias);
    await page.locator('button[data-action="set-alias"]').click();
  };

  test('a running run is cancelled from its page after confirming', async () => {
    const gate = join(mkdtempSync(join(tmpdir(), 'modelyard-ui-gate-')), 'never');
    const id = await submitScript(t, `echo waiting\nwhile [ ! -f ${gate} ]; do sleep 0.05; done\n`, {
      name: 'ui-cancel-me',
    });
    await waitRun(t, id, (r) => r.state === 'running');
    await page.goto(`${t.url}/ui/runs/${id}`);
    const asked = accept();
    await page.locator('button[data-action="cancel"]').click();
    assert.match(await asked, /Cancel run ui-cancel-me\?/);
    await page.locator('.page-header .badge', { hasText: 'cancelled' }).waitFor();
    assert.equal((await waitRun(t, id)).state, 'cancelled');
    assert.equal(await page.locator('button[data-action="cancel"]').count(), 0);
  });

  test('an alias is set on a version, then moved to another after confirming', async () => {
    await page.goto(`${t.url}/ui/models/${v1}`);
    await page.locator('h1', { hasText: 'lin v1' }).waitFor();
    await setAlias('production');
    await page.locator('[data-alias="production"]').waitFor();
    assert.equal(((await get('/models/lin@production')).json() as Json).id, v1);

    await page.goto(`${t.url}/ui/models/${v2}`);
    await page.locator('h1', { hasText: 'lin v2' }).waitFor();
    const asked = accept();
    await setAlias('production');
    assert.equal(await asked, 'Move alias production of lin from v1 to v2?');
    await page.locator('[data-alias="production"]').waitFor();
    assert.equal(((await get('/models/lin@production')).json() as Json).id, v2);
  });

  test('a rejected alias shows the API message and changes nothing', async () => {
    await page.goto(`${t.url}/ui/models/${v2}`);
    await page.locator('h1', { hasText: 'lin v2' }).waitFor();
    await setAlias('1-not-valid');
    const error = page.locator('.actions .error');
    await error.waitFor();
    assert.match((await error.textContent()) ?? '', /API error 400: .*must start with a letter/);
    assert.equal((await get('/models/lin@1-not-valid')).statusCode, 404);
  });

  test('a version is published, archived and unarchived; an alias is removed', async () => {
    await page.goto(`${t.url}/ui/models/${v2}`);
    const header = page.locator('.page-header');
    await header.locator('.badge', { hasText: 'draft' }).waitFor();
    let asked = accept();
    await page.locator('button[data-action="publish"]').click();
    assert.match(await asked, /Publish lin v2\?/);
    await header.locator('.badge', { hasText: 'published' }).waitFor();
    assert.equal(((await get(`/models/${v2}`)).json() as Json).ready, true);
    assert.equal(await page.locator('button[data-action="publish"]').count(), 0);

    asked = accept();
    await page.locator('button[data-action="archive"]').click();
    assert.match(await asked, /Archive lin v2\?/);
    await header.locator('.badge', { hasText: 'archived' }).waitFor();
    assert.equal(((await get(`/models/${v2}`)).json() as Json).archived, true);
    await page.locator('button[data-action="unarchive"]').click();
    await page.locator('button[data-action="archive"]').waitFor();
    assert.equal(await header.locator('.badge', { hasText: 'archived' }).count(), 0);
    assert.equal(((await get(`/models/${v2}`)).json() as Json).archived, false);

    asked = accept();
    await page.locator('[data-alias="production"] button[data-action="remove-alias"]').click();
    assert.equal(await asked, 'Remove alias production from lin?');
    await page.locator('[data-alias="production"]').waitFor({ state: 'detached' });
    assert.equal((await get('/models/lin@production')).statusCode, 404);
  });

  test('a deployment is stopped after confirming and started again', async () => {
    const c = await t.app.inject({
      method: 'POST',
      url: '/api/v1/deployments',
      payload: { name: 'lin-ui', model: `${v1}` },
    });
    assert.equal(c.statusCode, 201, c.body);
    await page.goto(`${t.url}/ui/deployments/lin-ui`);
    const header = page.locator('.page-header');
    await header.locator('.badge', { hasText: 'running' }).waitFor();
    const asked = accept();
    await page.locator('button[data-action="stop"]').click();
    assert.match(await asked, /Stop lin-ui\?/);
    await header.locator('.badge', { hasText: 'stopped' }).waitFor();
    assert.equal(((await get('/deployments/lin-ui')).json() as Json).status, 'stopped');
    await page.locator('button[data-action="start"]').click();
    await header.locator('.badge', { hasText: 'running' }).waitFor();
    assert.equal(((await get('/deployments/lin-ui')).json() as Json).status, 'running');
    await page.locator('button[data-action="stop"]').waitFor();
  });
});
