import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from './helpers/app.js';
import { dialectsUnderTest } from './helpers/db.js';

type Who = 'anonymous' | 'bogus' | 'viewer' | 'editor' | 'admin' | 'revoked';
type Call = {
  name: string;
  method: 'GET' | 'POST';
  url: string;
  payload?: unknown;
  need: 'viewer' | 'editor' | 'admin';
};

const CALLS: Call[] = [
  { name: 'list datasets', method: 'GET', url: '/api/v1/datasets', need: 'viewer' },
  {
    name: 'create feature group',
    method: 'POST',
    url: '/api/v1/feature-groups',
    payload: {},
    need: 'editor',
  },
  { name: 'list tokens', method: 'GET', url: '/api/v1/tokens', need: 'admin' },
];
const RANK = { viewer: 1, editor: 2, admin: 3 } as const;

for (const dialect of dialectsUnderTest()) {
  describe(`auth matrix with tokens (${dialect})`, () => {
    let t: TestApp;
    const secrets: Partial<Record<Who, string>> = { bogus: 'my_not-a-real-token' };
    before(async () => {
      t = await createTestApp(dialect);
      for (const role of ['viewer', 'editor', 'admin'] as const) {
        secrets[role] = (await t.services.tokens.create({ name: role, role })).token;
      }
      const revoked = await t.services.tokens.create({ name: 'old', role: 'admin' });
      await t.services.tokens.revoke(revoked.id);
      secrets.revoked = revoked.token;
    });
    after(() => t.close());

    for (const who of ['anonymous', 'bogus', 'revoked', 'viewer', 'editor', 'admin'] as const) {
      for (const call of CALLS) {
        test(`${who} → ${call.name}`, async () => {
          const secret = secrets[who];
          const res = await t.app.inject({
            method: call.method,
            url: call.url,
            payload: call.payload as object,
            headers: secret ? { authorization: `Bearer ${secret}` } : {},
          });
          if (who === 'anonymous' || who === 'bogus' || who === 'revoked') {
            assert.equal(res.statusCode, 401, res.body);
            assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
            assert.equal(res.json().code, 'unauthenticated');
          } else if (RANK[who] < RANK[call.need]) {
            assert.equal(res.statusCode, 403, res.body);
            assert.match(res.json().detail, new RegExp(`needs the ${call.need} role`));
          } else {
            assert.ok(res.statusCode !== 401 && res.statusCode !== 403, `${res.statusCode} ${res.body}`);
          }
        });
      }
    }

    test('X-Api-Key works like a bearer token', async () => {
      const res = await t.app.inject({ url: '/api/v1/tokens', headers: { 'x-api-key': secrets.admin! } });
      assert.equal(res.statusCode, 200);
      const names = res.json().items.map((i: { name: string }) => i.name);
      assert.deepEqual(names.sort(), ['admin', 'editor', 'old', 'viewer']);
      assert.ok(!res.body.includes(secrets.admin!), 'secrets are never listed');
    });
  });

  describe(`open mode (${dialect})`, () => {
    test('loopback without tokens runs open; creating a token closes it', async () => {
      const t = await createTestApp(dialect, { host: '127.0.0.1' });
      try {
        const open = await t.app.inject({ url: '/api/v1/tokens' });
        assert.equal(open.statusCode, 200);
        const created = await t.app.inject({
          method: 'POST',
          url: '/api/v1/tokens',
          payload: { name: 'ci', role: 'editor' },
        });
        assert.equal(created.statusCode, 201);
        assert.match(created.json().token, /^my_/);
        // The open/closed answer is cached for at most a second.
        await new Promise((r) => setTimeout(r, 1100));
        assert.equal((await t.app.inject({ url: '/api/v1/tokens' })).statusCode, 401);
      } finally {
        await t.close();
      }
    });

    test('bound to a non-loopback address, anonymous calls are refused even with no tokens', async () => {
      const t = await createTestApp(dialect, { host: '0.0.0.0' });
      try {
        const res = await t.app.inject({ url: '/api/v1/datasets' });
        assert.equal(res.statusCode, 401);
        // Probes stay public.
        assert.equal((await t.app.inject({ url: '/healthz' })).statusCode, 200);
      } finally {
        await t.close();
      }
    });

    test('auth mode required refuses anonymous calls on loopback', async () => {
      const t = await createTestApp(dialect, { host: '127.0.0.1', authMode: 'required' });
      try {
        assert.equal((await t.app.inject({ url: '/api/v1/datasets' })).statusCode, 401);
      } finally {
        await t.close();
      }
    });
  });
}
