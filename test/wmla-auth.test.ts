/**
 * WMLA clients log in with HTTP Basic (user name + password): over real HTTP, a Basic password is
 * read as an API token on every WMLA surface, with the token's role; the native API is unchanged.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { dialectsUnderTest } from './helpers/db.js';
import { createTestApp, type TestApp } from './helpers/app.js';

const BASE = '/platform/rest/deeplearning/v1';
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

for (const dialect of dialectsUnderTest()) {
  describe(`WMLA Basic authentication (${dialect})`, () => {
    let t: TestApp;
    let url: string;
    before(async () => {
      t = await createTestApp(dialect);
      await t.app.listen({ host: '127.0.0.1', port: 0 });
      url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    });
    after(() => t.close());

    test('while no token exists (open on loopback), an old Basic login is ignored, not refused', async () => {
      const r = await fetch(`${url}${BASE}/models`, { headers: { authorization: basic('admin', 'admin') } });
      assert.equal(r.status, 200);
      assert.deepEqual(await r.json(), []);
    });

    test('Basic user:token works like Bearer; a wrong password is 401 {message}; the role still applies', async () => {
      const editor = (await t.services.tokens.create({ name: 'ed', role: 'editor' })).token;
      const viewer = (await t.services.tokens.create({ name: 'vw', role: 'viewer' })).token;
      const call = (path: string, auth: string | undefined, init: RequestInit = {}) =>
        fetch(`${url}${BASE}${path}`, {
          ...init,
          headers: { ...(auth ? { authorization: auth } : {}), ...(init.headers ?? {}) },
        });

      const none = await call('/modeltemplates', undefined);
      assert.equal(none.status, 401);
      const wrong = await call('/modeltemplates', basic('Admin', 'not-a-token'));
      assert.equal(wrong.status, 401);
      assert.match(((await wrong.json()) as { message: string }).message, /unknown or revoked/);

      const created = await call('/modeltemplates', basic('Admin', editor), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'basic-tpl', path: '/p', framework: 'PyTorch' }),
      });
      assert.equal(created.status, 201, await created.clone().text());
      // The token alone as the user name (`token:`) is accepted too.
      const got = await call('/modeltemplates/basic-tpl', basic(viewer, ''));
      assert.equal(got.status, 200);
      assert.equal(((await got.json()) as { name: string }).name, 'basic-tpl');

      const denied = await call('/modeltemplates/basic-tpl', basic('Admin', viewer), { method: 'DELETE' });
      assert.equal(denied.status, 403);
      for (const path of ['/execs', '/datasets', '/inferences', '/edimodels', '/models'])
        assert.equal((await call(path, basic('Admin', viewer))).status, 200, path);

      // The native API keeps Bearer only.
      assert.equal(
        (await fetch(`${url}/api/v1/runs`, { headers: { authorization: basic('a', editor) } })).status,
        401,
      );
      assert.equal(
        (await fetch(`${url}/api/v1/runs`, { headers: { authorization: `Bearer ${editor}` } })).status,
        200,
      );
    });
  });
}
