import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from './helpers/app.js';
import { dialectsUnderTest } from './helpers/db.js';

for (const dialect of dialectsUnderTest()) {
  describe(`app surface (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(dialect);
    });
    after(() => t.close());

    test('healthz and readyz report ok with the store reachable', async () => {
      assert.deepEqual((await t.app.inject({ url: '/healthz' })).json().status, 'ok');
      const ready = await t.app.inject({ url: '/readyz' });
      assert.equal(ready.statusCode, 200);
      assert.deepEqual(ready.json().checks, { db: 'ok', blobs: 'ok' });
    });

    test('metrics are in Prometheus text format and count requests by route', async () => {
      await t.app.inject({ url: '/healthz' });
      const res = await t.app.inject({ url: '/metrics' });
      assert.equal(res.statusCode, 200);
      assert.match(res.headers['content-type'] as string, /text\/plain/);
      assert.match(
        res.body,
        /modelyard_http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} \d+/,
      );
      assert.match(res.body, /modelyard_process_resident_memory_bytes/);
    });

    test('openapi.json describes the native API and /docs serves a page', async () => {
      const spec = (await t.app.inject({ url: '/openapi.json' })).json();
      assert.equal(spec.openapi, '3.0.3');
      assert.ok(spec.paths['/api/v1/tokens'], 'tokens routes are documented');
      const docs = await t.app.inject({ url: '/docs/' });
      assert.equal(docs.statusCode, 200);
      assert.match(docs.body, /swagger/i);
      // Every script, style and icon the page names is served.
      const assets = [...docs.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
      assert.ok(assets.length >= 5, `the page names its assets: ${assets.join(', ')}`);
      for (const url of assets) assert.equal((await t.app.inject({ url })).statusCode, 200, url);
      const bundle = await t.app.inject({ url: '/docs/static/swagger-ui-bundle.js' });
      assert.equal(bundle.statusCode, 200);
      assert.match(bundle.headers['content-type'] as string, /javascript/);
      assert.ok(bundle.body.length > 100_000, 'the Swagger UI build is served');
      const init = await t.app.inject({ url: '/docs/static/initializer.js' });
      assert.match(init.body, /"\/openapi\.json"/);
      assert.equal((await t.app.inject({ url: '/docs/json' })).json().openapi, '3.0.3');
      assert.equal((await t.app.inject({ url: '/docs/static/..%2Fpackage.json' })).statusCode, 404);
      assert.equal((await t.app.inject({ url: '/docs/static/nope.js' })).statusCode, 404);
    });

    test('every route schema compiles (compilation is deferred to first use)', async () => {
      await t.app.ready();
      const compiled = t.compileSchemas();
      assert.ok(compiled > 200, `expected the validators and serializers of every route, got ${compiled}`);
      assert.equal(t.compileSchemas(), 0, 'each is compiled once');
      // A route whose schemas were just compiled still validates and serializes as before.
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { role: 'viewer' } });
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().errors[0].field, 'body/name');
    });

    test('unknown routes answer problem+json 404', async () => {
      const res = await t.app.inject({ url: '/api/v1/nope' });
      assert.equal(res.statusCode, 404);
      assert.equal(res.json().code, 'not_found');
      assert.equal(res.json().status, 404);
    });

    test('request ids are echoed, generated when absent, and bad ones replaced', async () => {
      const given = await t.app.inject({ url: '/healthz', headers: { 'x-request-id': 'abc-123' } });
      assert.equal(given.headers['x-request-id'], 'abc-123');
      const made = await t.app.inject({ url: '/healthz' });
      assert.match(made.headers['x-request-id'] as string, /^[0-9a-f-]{36}$/);
      const bad = await t.app.inject({ url: '/healthz', headers: { 'x-request-id': 'bad id\twith spaces' } });
      assert.notEqual(bad.headers['x-request-id'], 'bad id\twith spaces');
    });

    test('validation errors name the field and the allowed values', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/tokens',
        payload: { name: 'x', role: 'root' },
      });
      assert.equal(res.statusCode, 400);
      const body = res.json();
      assert.equal(body.code, 'invalid');
      assert.deepEqual(body.errors[0], {
        field: 'body/role',
        message: 'must be one of viewer, editor, admin',
      });
    });

    test('malformed JSON is a 400, not a 500', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/tokens',
        headers: { 'content-type': 'application/json' },
        payload: '{"name":',
      });
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().reason, 'invalid_json');
    });
  });
}
