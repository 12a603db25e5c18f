/**
 * ClearML's calling convention on the models service: envelope, version negotiation, mounts,
 * methods, form/query inputs, auth, and the 500-row default page (reported, never silent).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dialectsUnderTest } from './helpers/db.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { clearmlCaller } from './helpers/clearml.js';

for (const dialect of dialectsUnderTest()) {
  describe(`ClearML protocol (${dialect})`, () => {
    let t: TestApp;
    const { call, ok, fails } = clearmlCaller(() => t);
    let id = '';
    before(async () => {
      t = await createTestApp(dialect);
      id = (await ok('create', { name: 'proto', uri: 'file:///p', ready: false })).id;
    });
    after(() => t.close());

    test('envelope: meta in clearml-server order, trx echoed from X-ClearML-Trx', async () => {
      const r = await call('get_by_id', { model: id }, { headers: { 'x-clearml-trx': 'trx-123' } });
      assert.deepEqual(Object.keys(r.meta), [
        'id',
        'trx',
        'endpoint',
        'result_code',
        'result_subcode',
        'result_msg',
        'error_stack',
        'error_data',
      ]);
      assert.match(r.meta.id, /^[0-9a-f]{32}$/);
      assert.equal(r.meta.trx, 'trx-123');
      assert.deepEqual(r.meta.endpoint, {
        name: 'models.get_by_id',
        requested_version: '2.31',
        actual_version: '2.1',
      });
      assert.equal(r.meta.error_stack, null);
      assert.deepEqual(r.meta.error_data, {});
      const legacy = await call('get_by_id', { model: id }, { headers: { 'x-trains-trx': 'trains-1' } });
      assert.equal(legacy.meta.trx, 'trains-1', 'the pre-ClearML header works too');
      const own = await call('get_by_id', { model: id });
      assert.equal(own.meta.trx, own.meta.id, 'without a trx header the call id is the trx');
    });

    test('version negotiation: highest definition ≤ requested; 400 above max; 404 below min', async () => {
      const cases: Array<[string, string, string | null]> = [
        ['delete', '2.13', '2.13'],
        ['get_all', '2.20', '2.15'],
        ['get_all', '2.9', '2.1'],
        ['get_all', '2.31', '2.26'],
        ['get_all_ex', '2.30', '2.27'],
        ['create', '2.12', '2.1'],
        ['move', '2.12', '2.12'],
        ['make_public', '2.9', '2.9'],
      ];
      for (const [action, requested, actual] of cases) {
        const r = await call(action, { ids: [], model: '-' }, { version: requested });
        assert.deepEqual(
          r.meta.endpoint,
          { name: `models.${action}`, requested_version: requested, actual_version: actual },
          `${action} at ${requested}`,
        );
      }
      const above = await fails('get_all', {}, 400, 0, { version: '2.32' });
      assert.equal(above.meta.result_msg, 'Invalid API version (max. supported version is 2.31)');
      assert.deepEqual(above.meta.endpoint, { name: '', requested_version: 1, actual_version: null });
      const below = await fails('update_tags', { ids: [id] }, 404, 0, { version: '2.26' });
      assert.equal(
        below.meta.result_msg,
        'Unable to find endpoint for name models.update_tags and version 2.26',
      );
      assert.deepEqual(below.meta.endpoint, {
        name: 'models.update_tags',
        requested_version: '2.26',
        actual_version: null,
      });
      const old = await fails('get_all', {}, 404, 0, { version: '2.0' });
      assert.deepEqual(old.meta.endpoint.requested_version, 2, 'clients before 2.1 get versions as numbers');
      const unknown = await fails('no_such_action', {}, 404, 0);
      assert.equal(
        unknown.meta.result_msg,
        'Unable to find endpoint for name models.no_such_action and version 2.31',
      );
    });

    test('the answer follows the version: delete url from 2.13, scroll_id from 2.15', async () => {
      const a = (await ok('create', { name: 'v-a', uri: 'file:///va' })).id;
      assert.deepEqual(await ok('delete', { model: a }, { version: '2.12' }), { deleted: true });
      const b = (await ok('create', { name: 'v-b', uri: 'file:///vb' })).id;
      assert.deepEqual(await ok('delete', { model: b }, { version: '2.13' }), {
        deleted: true,
        url: 'file:///vb',
      });
      assert.equal('scroll_id' in (await ok('get_all', {}, { version: '2.14' })), false);
      assert.equal(typeof (await ok('get_all', {}, { version: '2.15' })).scroll_id, 'string');
    });

    test('mounted at the root and under /api, with or without a version, trailing slash, any method', async () => {
      for (const prefix of ['', '/api'] as const)
        for (const version of [undefined, '2.13'])
          assert.equal((await ok('get_by_id', { model: id }, { prefix, version })).model.id, id);
      const slash = await t.app.inject({
        method: 'POST',
        url: '/api/v2.13/models.get_by_id/',
        payload: { model: id },
      });
      assert.equal(slash.statusCode, 200);
      for (const method of ['GET', 'PUT', 'DELETE'] as const)
        assert.equal((await ok('get_by_id', undefined, { method, query: `model=${id}` })).model.id, id);
      const bad = await t.app.inject({ method: 'POST', url: '/v2/models.get_all', payload: {} });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().meta.result_msg, 'Invalid request path /v2/models.get_all');
    });

    test('query string and form fields are merged into the body, with ClearML scalar conversion', async () => {
      const viaQuery = await ok('get_all', undefined, {
        method: 'GET',
        query: 'name=proto&ready=false&page=0&page_size=5&only_fields=name',
      });
      assert.deepEqual(viaQuery.models, [{ id, name: 'proto' }]);
      const viaForm = await ok('get_all', undefined, {
        raw: 'name=proto&ready=FALSE&page_size=5&only_fields=name&only_fields=ready',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.deepEqual(viaForm.models, [{ id, name: 'proto', ready: false }]);
      const merged = await ok('get_all', { only_fields: ['name'] }, { query: 'name=proto' });
      assert.deepEqual(merged.models, [{ id, name: 'proto' }]);
      const bodyWins = await ok(
        'get_all',
        { name: '^proto$', only_fields: ['name'] },
        { query: 'name=nothing' },
      );
      assert.equal(bodyWins.models.length, 1);
      const plain = await ok('get_by_id', undefined, {
        raw: JSON.stringify({ model: id }),
        headers: { 'content-type': 'text/plain' },
      });
      assert.equal(plain.model.id, id, 'any body is read as JSON, as clearml-server does');
      const broken = await fails('get_by_id', undefined, 400, 0, {
        raw: '{"model":',
        headers: { 'content-type': 'application/json' },
      });
      assert.match(broken.meta.result_msg, /^Failed to decode JSON object/);
      await fails('get_by_id', undefined, 400, 12, {
        raw: '[1,2]',
        headers: { 'content-type': 'application/json' },
      });
      await fails('get_all', undefined, 400, 0, {
        raw: '{"name":"a"}\n{"name":"b"}\n',
        headers: { 'content-type': 'application/json-lines' },
      });
      const empty = await ok('get_frameworks', undefined, {
        raw: '',
        headers: { 'content-type': 'application/json' },
      });
      assert.deepEqual(empty, { frameworks: [] });
    });

    test('500-row default page: kept for compatibility, reported in meta.paging and headers', async () => {
      const reg = t.services.registry;
      const seed = await reg.create({ name: 'bulk', project: 'bulk' }, null);
      // 500 more versions of the same registered model, in one insert (501 service calls take seconds).
      const row = await t.deps.db
        .selectFrom('model_versions')
        .selectAll()
        .where('id', '=', seed.id)
        .executeTakeFirstOrThrow();
      await t.deps.db
        .insertInto('model_versions')
        .values(
          Array.from({ length: 500 }, (_, i) => ({
            ...row,
            id: `${seed.id.slice(0, 24)}${(i + 1).toString(16).padStart(8, '0')}`,
            version: i + 2,
            created_at: new Date(Date.parse(row.created_at) + (i + 1) * 1000).toISOString(),
          })),
        )
        .execute();
      const p = await reg.ensureProject('bulk');
      const r = await call('get_all', { project: [p.id], only_fields: ['name'] });
      assert.equal(r.data.models.length, 500);
      assert.equal(r.meta.paging?.has_more, true);
      assert.equal(r.meta.paging?.default_page_size_applied, true);
      assert.match(String(r.meta.paging?.note), /only 500 models were returned/);
      assert.equal(r.headers['x-modelyard-truncated'], 'true');
      assert.equal(r.headers['x-modelyard-has-more'], 'true');
      const capped = await call('get_all', {
        project: [p.id],
        only_fields: ['name'],
        page: 0,
        page_size: 1000,
      });
      assert.equal(capped.data.models.length, 500);
      assert.equal(capped.meta.paging?.capped, true);
      assert.equal(capped.meta.paging?.requested_page_size, 1000);
      const second = await ok('get_all', {
        project: [p.id],
        only_fields: ['created'],
        page: 1,
        page_size: 500,
      });
      assert.equal(second.models.length, 1);
      assert.equal(second.models[0].id, `${seed.id.slice(0, 24)}${(500).toString(16).padStart(8, '0')}`);
      const first = await ok('get_all', { project: [p.id], only_fields: ['name'], scroll_id: null });
      const rest = await ok('get_all', {
        project: [p.id],
        only_fields: ['name'],
        scroll_id: first.scroll_id,
      });
      assert.deepEqual([first.models.length, rest.models.length], [500, 1]);
    });

    test('auth: anonymous refused once tokens exist; viewer reads but cannot write; editor writes', async () => {
      const viewer = (await t.services.tokens.create({ name: 'v', role: 'viewer' })).token;
      const editor = (await t.services.tokens.create({ name: 'e', role: 'editor' })).token;
      const anon = await fails('get_all', {}, 401, 20);
      assert.equal(
        anon.meta.result_msg,
        'Unauthorized (missing credentials) (an API token is required: send Authorization: Bearer <token>)',
      );
      assert.equal(anon.meta.endpoint.name, 'models.get_all');
      await fails('get_all', {}, 401, 30, { token: 'not-a-token' });
      assert.equal((await ok('get_by_id', { model: id }, { token: viewer })).model.id, id);
      await ok('get_all', {}, { token: viewer, prefix: '/api', version: '2.20' });
      const denied = await fails('edit', { model: id, comment: 'x' }, 403, 20, { token: viewer });
      assert.match(denied.meta.result_msg, /needs the editor role/);
      await fails('delete', { model: id }, 403, 20, { token: viewer, method: 'GET', query: `model=${id}` });
      assert.equal((await ok('edit', { model: id, comment: 'by editor' }, { token: editor })).updated, 1);
      const m = (await ok('get_by_id', { model: id }, { token: editor })).model;
      // auth.login: the secret key is a Modelyard token; the answer's token is used as Bearer.
      const basic = (secret: string) => `Basic ${Buffer.from(`any-access-key:${secret}`).toString('base64')}`;
      const login = await t.app.inject({
        method: 'POST',
        url: '/auth.login',
        headers: { authorization: basic(editor) },
      });
      assert.equal(login.statusCode, 200);
      assert.equal(login.json().meta.endpoint.name, 'auth.login');
      const session = login.json().data.token as string;
      assert.equal(session.split('.').length, 3, 'a JWT, as the ClearML SDK decodes it');
      assert.equal((await ok('get_by_id', { model: id }, { token: session })).model.id, id);
      const refused = await t.app.inject({
        method: 'GET',
        url: '/api/v2.13/auth.login',
        headers: { authorization: basic('nope') },
      });
      assert.deepEqual([refused.statusCode, refused.json().meta.result_subcode], [401, 22]);
      const none = await t.app.inject({ method: 'POST', url: '/auth.login' });
      assert.deepEqual([none.statusCode, none.json().meta.result_subcode], [401, 20]);
      assert.equal(m.last_changed_by, 'e');
    });
  });
}
