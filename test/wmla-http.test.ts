/**
 * WMLA's HTTP conventions as its clients exercise them, on every dialect: bodiless calls sent with
 * `content-type: application/json`, the `{message}` envelope on paths and operations this server
 * does not have (404 / 501, after authentication), image-dataset and exec fields.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dialectsUnderTest } from './helpers/db.js';
import { createTestApp, type TestApp } from './helpers/app.js';

const BASE = '/platform/rest/deeplearning/v1';
const JSON_TYPE = { 'content-type': 'application/json' };

for (const dialect of dialectsUnderTest()) {
  describe(`WMLA HTTP conventions (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(dialect);
    });
    after(() => t.close());

    test('bodiless PUT/DELETE with content-type application/json work; bad JSON is still 400', async () => {
      const path = join(t.deps.config.dataDir, 'two.csv');
      writeFileSync(path, 'a,b\n1,2\n3,4\n5,6\n7,8\n9,10\n');
      const ds = await t.app.inject({
        method: 'POST',
        url: `${BASE}/datasets`,
        payload: { name: 'two', dbbackend: 'CSV', datasourcetype: 'CSV', sigid: 's1', trainpath: path },
      });
      assert.equal(ds.statusCode, 201, ds.body);
      const stop = await t.app.inject({
        method: 'PUT',
        url: `${BASE}/datasets/two/stop`,
        headers: JSON_TYPE,
      });
      assert.equal(stop.statusCode, 200, stop.body);
      assert.equal(stop.json().name, 'two');
      for (const f of [
        'runduration',
        'signame',
        'masterUrl',
        'driverid',
        'sparkappid',
        'submittedtime',
        'createUser',
      ])
        assert.ok(f in stop.json(), `DatasetDetail.${f}`);
      const tpl = await t.app.inject({
        method: 'POST',
        url: `${BASE}/modeltemplates`,
        payload: { name: 'http-tpl', path: '/p', framework: 'Caffe' },
      });
      assert.equal(tpl.statusCode, 201);
      const gone = await t.app.inject({
        method: 'DELETE',
        url: `${BASE}/modeltemplates/http-tpl`,
        headers: JSON_TYPE,
      });
      assert.equal(gone.statusCode, 200, gone.body);
      const bad = await t.app.inject({
        method: 'POST',
        url: `${BASE}/models`,
        headers: JSON_TYPE,
        payload: '{"name": ',
      });
      assert.equal(bad.statusCode, 400);
      assert.ok(bad.json().message);
      const proto = await t.app.inject({
        method: 'PUT',
        url: `${BASE}/models/x`,
        headers: JSON_TYPE,
        payload: '{"__proto__": {"polluted": true}}',
      });
      assert.equal(proto.statusCode, 400);
    });

    test('objectimages of a CSV dataset is 400 pointing at /csvs; of an unknown one 404', async () => {
      const r = await t.app.inject({ url: `${BASE}/datasets/two/objectimages?type=train&start=0&length=5` });
      assert.equal(r.statusCode, 400);
      assert.match(r.json().message, /\/datasets\/two\/csvs/);
      assert.equal((await t.app.inject({ url: `${BASE}/datasets/nope/objectimages` })).statusCode, 404);
    });

    test('unknown WMLA paths 404 and left-out operations 501, both as {message}; auth first', async () => {
      const unknown = await t.app.inject({ url: `${BASE}/no-such-thing` });
      assert.equal(unknown.statusCode, 404);
      assert.match(unknown.headers['content-type'] as string, /^application\/json/);
      assert.match(unknown.json().message, /no WMLA endpoint GET/);
      for (const [method, url] of [
        ['GET', '/hypersearch/algorithm/my-plugin'],
        ['PUT', '/hypersearch/Admin-hpo-1/restart'],
        ['GET', '/models/m/hypersearch'],
        ['GET', '/scheduler/instances'],
        ['GET', '/conf'],
      ] as const) {
        const r = await t.app.inject({ method, url: `${BASE}${url}` });
        assert.equal(r.statusCode, 501, url);
        assert.match(r.json().message, /is not supported by this server/, url);
      }
      const b = '----wmla' + Math.random().toString(16).slice(2);
      const hpo = await t.app.inject({
        method: 'POST',
        url: `${BASE}/hypersearch/algorithm`,
        headers: { 'content-type': `multipart/form-data; boundary=${b}` },
        payload: `--${b}\r\nContent-Disposition: form-data; name="data"\r\n\r\n{}\r\n--${b}--\r\n`,
      });
      assert.equal(hpo.statusCode, 501, hpo.body);
      assert.match(hpo.json().message, /hypersearch operation \(user plugin algorithms, restart\)/);
      // Registered routes still win over the fallback.
      assert.equal((await t.app.inject({ url: `${BASE}/frameworks/all` })).statusCode, 200);
      await t.services.tokens.create({ name: 'x', role: 'viewer' });
      assert.equal((await t.app.inject({ url: `${BASE}/hypersearch` })).statusCode, 401);
    });
  });
}
