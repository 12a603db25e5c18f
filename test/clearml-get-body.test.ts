/**
 * The ClearML SDK sends every call as GET with a JSON body by default (POST only when
 * CLEARML_API_DEFAULT_REQ_METHOD says so): those bodies are read like POST ones, reads and writes
 * alike, over real HTTP as the SDK's `requests` session sends them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dialectsUnderTest } from './helpers/db.js';
import { createTestApp, type TestApp } from './helpers/app.js';

interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked field by field
  body: any;
}

for (const dialect of dialectsUnderTest()) {
  describe(`ClearML GET bodies (${dialect})`, () => {
    let t: TestApp;
    let port = 0;
    /** One GET over a socket, body and all, as Python requests sends `session.request('get', url, json=…)`. */
    const get = (path: string, payload: string, contentType = 'application/json') =>
      new Promise<Answer>((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            method: 'GET',
            path,
            headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
              }),
            );
          },
        );
        req.on('error', reject);
        req.end(payload);
      });
    before(async () => {
      t = await createTestApp(dialect, { bodyLimitBytes: 4096 });
      await t.app.listen({ host: '127.0.0.1', port: 0 });
      port = (t.app.server.address() as AddressInfo).port;
    });
    after(() => t.close());

    test('create, edit, get_by_id and filtered get_all all work as GET with a JSON body', async () => {
      const created = await get(
        '/v2.23/models.create',
        JSON.stringify({ name: 'sdk-get', uri: 's3://b/m.pt' }),
      );
      assert.equal(created.status, 200, created.body.meta.result_msg);
      const id = created.body.data.id as string;
      await get('/models.create', JSON.stringify({ name: 'other', uri: 'file:///o' }));
      const edited = await get('/v2.23/models.edit', JSON.stringify({ model: id, comment: 'via GET' }));
      assert.deepEqual(edited.body.data, { updated: 1, fields: { comment: 'via GET' } });
      const one = await get('/v2.23/models.get_by_id', JSON.stringify({ model: id }));
      assert.equal(one.body.data.model.comment, 'via GET');
      const some = await get(
        '/v2.23/models.get_all',
        JSON.stringify({ name: '^sdk-', only_fields: ['name'] }),
      );
      assert.deepEqual(some.body.data.models, [{ id, name: 'sdk-get' }]);
      const form = await get(
        '/models.get_all',
        'name=%5Eother%24&only_fields=name',
        'application/x-www-form-urlencoded',
      );
      assert.deepEqual(
        form.body.data.models.map((m: { name: string }) => m.name),
        ['other'],
      );
    });

    test('a broken GET body is 400/0, an empty one is no fields, one over the limit is 413', async () => {
      const broken = await get('/models.get_by_id', '{"model":');
      assert.deepEqual([broken.status, broken.body.meta.result_subcode], [400, 0]);
      assert.match(broken.body.meta.result_msg, /^Failed to decode JSON object/);
      const empty = await get('/models.get_by_id', '');
      assert.deepEqual([empty.status, empty.body.meta.result_subcode], [400, 11]);
      const big = await get('/models.get_all', JSON.stringify({ name: 'x'.repeat(5000) }));
      assert.deepEqual([big.status, big.body.meta.result_code], [413, 413]);
    });
  });
}
