/**
 * ClearML SDK sign-in: `auth.login` answers a JWT the SDK can decode (it reads api_version from
 * it and fails to start otherwise), usable as the Bearer on every models.* call; altered or revoked
 * sessions are refused; a server running open hands out an anonymous session.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dialectsUnderTest } from './helpers/db.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { clearmlCaller } from './helpers/clearml.js';

/** What PyJWT's decode(verify_signature=False) returns: the JSON of the middle part. */
function decodeJwt(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const parts = token.split('.');
  assert.equal(parts.length, 3, 'a JWT has three dot-separated parts');
  const json = (p: string) =>
    JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
  return { header: json(parts[0]!), claims: json(parts[1]!) };
}

for (const dialect of dialectsUnderTest()) {
  describe(`ClearML sessions (${dialect})`, () => {
    let t: TestApp;
    const { ok, fails } = clearmlCaller(() => t);
    const basic = (secret: string) => `Basic ${Buffer.from(`any-access-key:${secret}`).toString('base64')}`;
    const login = async (authorization?: string, url = '/auth.login') => {
      const res = await t.app.inject({
        method: 'POST',
        url,
        headers: authorization ? { authorization } : {},
        payload: {},
      });
      const body = res.json();
      assert.equal(res.statusCode, body.meta.result_code);
      return { status: res.statusCode, subcode: body.meta.result_subcode, token: body.data.token as string };
    };
    before(async () => {
      t = await createTestApp(dialect);
    });
    after(() => t.close());

    test('while the server runs open, any credentials get an anonymous session that works', async () => {
      const r = await login(basic('whatever'));
      assert.equal(r.status, 200);
      const { header, claims } = decodeJwt(r.token);
      assert.equal(header.typ, 'JWT');
      assert.equal(claims.api_version, '2.31');
      assert.equal('tok' in claims, false, 'an anonymous session carries no API token');
      const d = await ok('create', { name: 'open-model', uri: 'file:///o' }, { token: r.token });
      assert.match(d.id, /^[0-9a-f]{32}$/);
      assert.equal((await login()).status, 200, 'no credentials at all: still open');
    });

    test('auth.login answers a decodable JWT that is the Bearer for models.* calls', async () => {
      const anonymous = (await login(basic('x'))).token;
      const editor = await t.services.tokens.create({ name: 'sdk-user', role: 'editor' });
      // Tokens exist now: the server no longer runs open, and an anonymous session is no credential.
      await fails('get_all', {}, 401, 20, { token: anonymous });
      const r = await login(basic(editor.token));
      assert.equal(r.status, 200);
      const { header, claims } = decodeJwt(r.token);
      assert.deepEqual(header, { alg: 'HS256', typ: 'JWT' });
      assert.equal(claims.api_version, '2.31');
      assert.equal(claims.server_version, '2.0.0');
      assert.equal(claims.feature_set, 'basic');
      assert.deepEqual(claims.identity, {
        company: 'modelyard',
        company_name: 'modelyard',
        user: 'sdk-user',
        user_name: 'sdk-user',
        role: 'editor',
      });
      assert.equal(typeof claims.iat, 'number');
      const id = (await ok('create', { name: 'by-session', uri: 'file:///s' }, { token: r.token })).id;
      const m = (await ok('get_by_id', { model: id }, { token: r.token, prefix: '/api', version: '2.20' }))
        .model;
      assert.equal(m.user, 'sdk-user', 'the session acts as its API token');
      // CLEARML_AUTH_TOKEN: the SDK logs in once with the token as Bearer, raw or a session token.
      for (const bearer of [editor.token, r.token]) {
        const again = await login(`Bearer ${bearer}`, '/v2.23/auth.login');
        assert.equal(again.status, 200);
        assert.equal(decodeJwt(again.token).claims.tok, editor.token);
      }
    });

    test('an altered session token is refused; revoking the API token ends its sessions', async () => {
      const viewer = await t.services.tokens.create({ name: 'viewer', role: 'viewer' });
      const session = (await login(basic(viewer.token))).token;
      await ok('get_all', {}, { token: session });
      const denied = await fails('edit', { model: '0'.repeat(32), comment: 'x' }, 403, 20, {
        token: session,
      });
      assert.match(denied.meta.result_msg, /needs the editor role/);
      const [h, p, s] = session.split('.');
      const claims = decodeJwt(session).claims;
      const promoted = Buffer.from(JSON.stringify({ ...claims, identity: { role: 'admin' } })).toString(
        'base64url',
      );
      await fails('get_all', {}, 401, 30, { token: `${h}.${promoted}.${s}` });
      await fails('get_all', {}, 401, 30, { token: `${h}.${p}.${Buffer.alloc(32).toString('base64url')}` });
      await t.services.tokens.revoke(viewer.id);
      await fails('get_all', {}, 401, 30, { token: session });
      const relogin = await login(basic(viewer.token));
      assert.deepEqual([relogin.status, relogin.subcode], [401, 22]);
    });
  });
}
