import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dialectsUnderTest } from './helpers/db.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { unzip } from './helpers/unzip.js';

for (const dialect of dialectsUnderTest()) {
  describe(`registry artifacts and HTTP (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(dialect);
    });
    after(() => t.close());

    test('upload, list, download, Model.zip; artifact versions 0.0.0 → 1.0.0 → 1.1.0', async () => {
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v1/models',
        payload: { name: 'zipper' },
      });
      assert.equal(created.statusCode, 201);
      const id = created.json().id as string;
      const big = Buffer.alloc(300_000);
      for (let i = 0; i < big.length; i++) big[i] = (i * 31) % 251;
      const up1 = await t.app.inject({
        method: 'PUT',
        url: `/api/v1/models/${id}/artifacts/weights/model.bin`,
        headers: { 'content-type': 'application/octet-stream' },
        payload: big,
      });
      assert.equal(up1.statusCode, 201, up1.body);
      assert.equal(up1.json().artifactVersion, '1.0.0');
      const json = '{"keep": "bytes as sent"}';
      const up2 = await t.app.inject({
        method: 'PUT',
        url: `/api/v1/models/zipper%2F1/artifacts/config.json`,
        headers: { 'content-type': 'application/json' },
        payload: json,
      });
      assert.equal(up2.statusCode, 201, up2.body);
      assert.equal(up2.json().artifactVersion, '1.1.0');
      const list = await t.app.inject({ url: `/api/v1/models/${id}/artifacts` });
      assert.deepEqual(
        list.json().items.map((a: { path: string; sizeBytes: number }) => [a.path, a.sizeBytes]),
        [
          ['config.json', json.length],
          ['weights/model.bin', big.length],
        ],
      );
      assert.equal(list.json().artifactVersion, '1.1.0');
      const one = await t.app.inject({ url: `/api/v1/models/${id}/artifacts/config.json` });
      assert.equal(one.statusCode, 200);
      assert.equal(one.body, json);
      assert.match(one.headers['content-type'] as string, /application\/json/);
      const zip = await t.app.inject({ url: `/api/v1/models/${id}/Model.zip` });
      assert.equal(zip.statusCode, 200);
      assert.equal(zip.headers['content-type'], 'application/zip');
      const files = await unzip(zip.rawPayload);
      assert.deepEqual([...files.keys()], ['config.json', 'weights/model.bin']);
      assert.ok(files.get('weights/model.bin')!.equals(big));
      assert.equal(files.get('config.json')!.toString(), json);
      // replacing a file frees the old blob
      await t.services.registry.putArtifact(id, 'config.json', '{}');
      assert.equal((await t.deps.blobs.list(`models/${id}/`)).length, 2);
      assert.equal((await t.services.registry.get(id)).artifactVersion, '1.2.0');
      const missing = await t.app.inject({ url: `/api/v1/models/${id}/artifacts/nope.txt` });
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json().reason, 'artifact_not_found');
      const bad = await t.app.inject({
        method: 'PUT',
        url: `/api/v1/models/${id}/artifacts/a%20b.txt`,
        payload: 'x',
      });
      assert.equal(bad.statusCode, 400, bad.body);
      assert.equal(bad.json().reason, 'bad_artifact_path');
      await assert.rejects(
        t.services.registry.putArtifact(id, '../escape', 'x'),
        /not a valid artifact path/,
      );
    });

    test('a ready version refuses uploads unless forced; zip of nothing is 404', async () => {
      const v = await t.services.registry.create({ name: 'frozen', ready: true }, null);
      const r = await t.app.inject({
        method: 'PUT',
        url: `/api/v1/models/${v.id}/artifacts/a.txt`,
        payload: 'x',
      });
      assert.equal(r.statusCode, 409);
      assert.equal(r.json().reason, 'model_is_ready');
      const f = await t.app.inject({
        method: 'PUT',
        url: `/api/v1/models/${v.id}/artifacts/a.txt?force=true`,
        payload: 'x',
      });
      assert.equal(f.statusCode, 201);
      const empty = await t.services.registry.create({ name: 'empty' }, null);
      const z = await t.app.inject({ url: `/api/v1/models/${empty.id}/Model.zip` });
      assert.equal(z.statusCode, 404);
      assert.equal(z.json().reason, 'no_artifacts');
    });

    test('HTTP lifecycle: create, edit, publish, alias, batch, delete 409 then forced', async () => {
      const c = await t.app.inject({
        method: 'POST',
        url: '/api/v1/models',
        payload: {
          name: 'lifecycle',
          signature: { inputs: [{ name: 'x', type: 'float' }] },
          labels: { cat: 0, dog: 1 },
        },
      });
      const id = c.json().id as string;
      assert.deepEqual(c.json().signature, { inputs: [{ name: 'x', type: 'float' }], outputs: [] });
      const e = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/models/${id}`,
        payload: { comment: 'v1', uri: 'file:///m' },
      });
      assert.equal(e.statusCode, 200);
      assert.deepEqual(e.json().fields.sort(), ['comment', 'uri']);
      const p = await t.app.inject({ method: 'POST', url: `/api/v1/models/${id}/ready` });
      assert.equal(p.json().ready, true);
      const again = await t.app.inject({ method: 'POST', url: `/api/v1/models/${id}/ready` });
      assert.equal(again.statusCode, 409);
      assert.equal(again.json().reason, 'already_ready');
      const locked = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/models/${id}`,
        payload: { uri: 'x' },
      });
      assert.equal(locked.statusCode, 409);
      assert.equal(locked.json().reason, 'model_is_ready');
      const al = await t.app.inject({ method: 'PUT', url: `/api/v1/models/${id}/aliases/production` });
      assert.equal(al.statusCode, 200);
      const byAlias = await t.app.inject({ url: '/api/v1/models/lifecycle@production' });
      assert.equal(byAlias.json().id, id);
      const byRef = await t.app.inject({ url: '/api/v1/models/resolve?ref=default/lifecycle/1' });
      assert.equal(byRef.json().id, id);
      const batch = await t.app.inject({
        method: 'POST',
        url: '/api/v1/models/batch/archive',
        payload: { ids: [id, 'nope'] },
      });
      assert.deepEqual(batch.json().succeeded, [{ id, archived: 1 }]);
      assert.equal(batch.json().failed[0].error.reason, 'model_not_found');
      await t.services.registry.addReference(id, { kind: 'deployment', id: 'd1' });
      const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/models/${id}` });
      assert.equal(del.statusCode, 409);
      assert.equal(del.json().reason, 'model_in_use');
      assert.deepEqual(del.json().details.referrers, [{ kind: 'deployment', id: 'd1' }]);
      const forced = await t.app.inject({ method: 'DELETE', url: `/api/v1/models/${id}?force=true` });
      assert.equal(forced.statusCode, 200);
      assert.equal((await t.app.inject({ url: `/api/v1/models/${id}` })).statusCode, 404);
      const openapi = await t.app.inject({ url: '/openapi.json' });
      assert.ok(openapi.json().paths['/api/v1/models/search']);
    });

    test('auth: a viewer can read and search but not write', async () => {
      const viewer = await t.services.tokens.create({ name: 'v', role: 'viewer' });
      const editor = await t.services.tokens.create({ name: 'e', role: 'editor' });
      const as = (tok: string) => ({ authorization: `Bearer ${tok}` });
      const made = await t.app.inject({
        method: 'POST',
        url: '/api/v1/models',
        headers: as(editor.token),
        payload: { name: 'authz' },
      });
      assert.equal(made.statusCode, 201);
      assert.equal(made.json().createdBy, 'e');
      const id = made.json().id as string;
      assert.equal(
        (await t.app.inject({ url: `/api/v1/models/${id}`, headers: as(viewer.token) })).statusCode,
        200,
      );
      const s = await t.app.inject({
        method: 'POST',
        url: '/api/v1/models/search',
        headers: as(viewer.token),
        payload: {},
      });
      assert.equal(s.statusCode, 200);
      for (const [method, url] of [
        ['POST', '/api/v1/models'],
        ['PATCH', `/api/v1/models/${id}`],
        ['DELETE', `/api/v1/models/${id}`],
        ['POST', `/api/v1/models/${id}/ready`],
        ['PUT', `/api/v1/models/${id}/artifacts/a.bin`],
      ] as const) {
        const r = await t.app.inject({
          method,
          url,
          headers: as(viewer.token),
          payload: method === 'PUT' ? 'x' : { name: 'x' },
        });
        assert.equal(r.statusCode, 403, `${method} ${url}`);
      }
      assert.equal((await t.app.inject({ url: `/api/v1/models/${id}` })).statusCode, 401);
    });
  });
}
