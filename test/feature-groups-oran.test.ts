/**
 * The O-RAN Training Manager featureGroup surface on every dialect: FeatureGroupConfig round trip
 * (comma-separated feature_list, string port, masked token), legacy and v1 paths, bulk delete
 * counts, ProblemDetails errors and auth.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dialectsUnderTest } from './helpers/db.js';
import { createTestApp, type TestApp } from './helpers/app.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const V1 = '/ai-ml-model-training/v1';
const SECRET = 'oran-influx-token-7719';

const config = (name: string, extra: Json = {}) => ({
  featuregroup_name: name,
  feature_list: 'pdcpBytesDl,pdcpBytesUl',
  datalake_source: 'InfluxSource',
  host: 'influxdb.ricplt',
  port: '8086',
  bucket: 'UEData',
  token: SECRET,
  db_org: 'primary',
  measurement: 'liveCell',
  enable_dme: false,
  measured_obj_class: '',
  dme_port: '',
  source_name: '',
  ...extra,
});

function assertProblem(
  res: { statusCode: number; headers: Json; json(): Json },
  status: number,
  title: string,
) {
  assert.equal(res.statusCode, status);
  assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  const body = res.json();
  assert.deepEqual(Object.keys(body).sort(), ['detail', 'status', 'title']);
  assert.equal(body.status, status);
  assert.equal(body.title, title);
  return body.detail as string;
}

for (const dialect of dialectsUnderTest()) {
  describe(`O-RAN featureGroup surface (${dialect})`, () => {
    let t: TestApp;
    let editor: string;
    let viewer: string;
    const call = (method: string, url: string, payload?: unknown, token: string | null = editor) =>
      t.app.inject({
        method: method as 'GET',
        url,
        headers: token ? { authorization: `Bearer ${token}` } : {},
        ...(payload === undefined ? {} : { payload: payload as object }),
      });

    before(async () => {
      t = await createTestApp(dialect);
      editor = (await t.services.tokens.create({ name: 'ed', role: 'editor' })).token;
      viewer = (await t.services.tokens.create({ name: 'vw', role: 'viewer' })).token;
    });
    after(async () => {
      await t.close();
    });

    test('create (201 echo), list, get on both paths, put: a round trip with the token masked', async () => {
      const created = await call('POST', `${V1}/featureGroup`, config('liveCell_fg'));
      assert.equal(created.statusCode, 201, created.body);
      assert.deepEqual(created.json(), { ...config('liveCell_fg'), token: '****' });

      const list = await call('GET', `${V1}/featureGroup`, undefined, viewer);
      assert.equal(list.statusCode, 200);
      assert.deepEqual(list.json(), { FeatureGroups: [{ ...config('liveCell_fg'), token: '****' }] });

      for (const path of ['/featureGroup/liveCell_fg', `${V1}/featureGroup/liveCell_fg`]) {
        const got = await call('GET', path, undefined, viewer);
        assert.equal(got.statusCode, 200, path);
        assert.deepEqual(got.json(), { ...config('liveCell_fg'), token: '****' });
      }

      // What a client read (masked token included) goes back unchanged plus one edit.
      const edited = {
        ...created.json(),
        feature_list: 'pdcpBytesDl, rrcConnMean',
        enable_dme: true,
        dme_port: '31823',
      };
      const put = await call('PUT', '/featureGroup/liveCell_fg', edited);
      assert.equal(put.statusCode, 200, put.body);
      assert.deepEqual(put.json(), { result: 'Feature Group Edited' });
      const after = (await call('GET', '/featureGroup/liveCell_fg')).json();
      assert.equal(after.feature_list, 'pdcpBytesDl,rrcConnMean');
      assert.equal(after.enable_dme, true);
      assert.equal(after.dme_port, '31823');
      assert.equal(after.token, '****');
      const native = (await call('GET', '/api/v1/feature-groups/liveCell_fg')).json();
      assert.deepEqual(native.featureList, ['pdcpBytesDl', 'rrcConnMean']);
      assert.equal(native.port, 8086);
      assert.equal(native.tokenSet, true, 'the masked token kept the stored one');
      for (const r of [created, list, put]) assert.ok(!r.body.includes(SECRET));
    });

    test('errors are ProblemDetails with O-RAN field names', async () => {
      assert.match(
        assertProblem(await call('POST', `${V1}/featureGroup`, config('ab')), 400, 'Bad Request'),
        /name/,
      );
      assert.equal((await call('POST', `${V1}/featureGroup`, config('dup_fg'))).statusCode, 201);
      assert.match(
        assertProblem(await call('POST', `${V1}/featureGroup`, config('dup_fg')), 409, 'Conflict'),
        /already exists/,
      );
      const { featuregroup_name: _n, ...noName } = config('x');
      assert.match(
        assertProblem(await call('POST', `${V1}/featureGroup`, noName), 400, 'Bad Request'),
        /featuregroup_name/,
      );
      assert.equal(
        assertProblem(
          await call('POST', `${V1}/featureGroup`, config('no_host', { host: '' })),
          400,
          'Bad Request',
        ),
        'host is required when datalake_source is InfluxSource',
      );
      assert.match(
        assertProblem(
          await call('POST', `${V1}/featureGroup`, config('bad_port', { port: 'eighty' })),
          400,
          'Bad Request',
        ),
        /port/,
      );
      assert.match(
        assertProblem(
          await call('POST', `${V1}/featureGroup`, config('empty_list', { feature_list: ' , ' })),
          400,
          'Bad Request',
        ),
        /^feature_list must name at least one feature/,
      );
      assert.match(
        assertProblem(await call('GET', '/featureGroup/missing_fg'), 404, 'Not Found'),
        /feature group 'missing_fg' was not found/,
      );
      assert.match(
        assertProblem(await call('PUT', '/featureGroup/dup_fg', config('other_name')), 400, 'Bad Request'),
        /differs/,
      );
      assertProblem(await call('PUT', '/featureGroup/missing_fg', config('missing_fg')), 404, 'Not Found');
    });

    test('older TM field spellings are accepted; names are 3 to 63 word characters', async () => {
      const legacy = {
        featureGroupName: 'legacy_fg',
        feature_list: 'pdcpBytesDl,pdcpBytesUl',
        datalake_source: 'InfluxSource',
        Host: 'influxdb.ricplt',
        Port: '8086',
        bucket: 'UEData',
        token: SECRET,
        dbOrg: 'primary',
        _measurement: 'liveCell',
        enable_Dme: true,
        DmePort: '31823',
        measured_obj_class: 'NRCellDU',
        source_name: 'gnb',
      };
      const created = await call('POST', '/featureGroup', legacy);
      assert.equal(created.statusCode, 201, created.body);
      assert.deepEqual(
        created.json(),
        config('legacy_fg', {
          enable_dme: true,
          dme_port: '31823',
          measured_obj_class: 'NRCellDU',
          source_name: 'gnb',
          token: '****',
        }),
      );
      const put = await call('PUT', '/featureGroup/legacy_fg', { ...legacy, _measurement: 'cellMetrics' });
      assert.equal(put.statusCode, 200, put.body);
      assert.equal((await call('GET', '/featureGroup/legacy_fg')).json().measurement, 'cellMetrics');

      assert.equal((await call('POST', `${V1}/featureGroup`, config('x'.repeat(63)))).statusCode, 201);
      assertProblem(await call('POST', `${V1}/featureGroup`, config('x'.repeat(64))), 400, 'Bad Request');
      assertProblem(await call('POST', `${V1}/featureGroup`, config('bad-name')), 400, 'Bad Request');
    });

    test('Dataset source through O-RAN: source_name <name>@<version>, Influx fields optional', async () => {
      const up = await t.app.inject({
        method: 'POST',
        url: '/api/v1/datasets?name=cells&target=label',
        headers: { 'content-type': 'text/csv', authorization: `Bearer ${editor}` },
        payload: 'a,b,label\n1,2,x\n3,4,y\n5,6,x\n',
      });
      assert.equal(up.statusCode, 201, up.body);
      const body = {
        featuregroup_name: 'cells_fg',
        feature_list: 'a,b',
        datalake_source: 'Dataset',
        source_name: 'cells@1',
      };
      const ok = await call('POST', `${V1}/featureGroup`, body);
      assert.equal(ok.statusCode, 201, ok.body);
      assert.equal(ok.json().host, '');
      assert.equal(ok.json().port, '');
      const missing = await call('POST', `${V1}/featureGroup`, {
        ...body,
        featuregroup_name: 'cells_bad',
        feature_list: 'a,zz',
      });
      assert.equal(assertProblem(missing, 400, 'Bad Request'), 'feature_list unknown column(s): zz');
      const extracted = await call('POST', '/api/v1/feature-groups/cells_fg/extract', {});
      assert.equal(extracted.statusCode, 201, extracted.body);
      assert.equal(extracted.json().rowCount, 3);
    });

    test('bulk delete counts successes and failures', async () => {
      for (const n of ['del_one', 'del_two'])
        assert.equal((await call('POST', `${V1}/featureGroup`, config(n))).statusCode, 201);
      const res = await call('DELETE', '/featureGroup', {
        featuregroups_list: [
          { featureGroup_name: 'del_one' },
          { featureGroup_name: 'del_two' },
          { featureGroup_name: 'never_was' },
          { featuregroup_name: 'wrong_key' },
          'not an object',
        ],
      });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), { 'success count': 2, 'failure count': 3 });
      assert.equal((await call('GET', '/featureGroup/del_one')).statusCode, 404);
      assertProblem(await call('DELETE', '/featureGroup', { list: [] }), 400, 'Bad Request');
    });

    test('auth: viewers read only, anonymous refused, both as ProblemDetails', async () => {
      assert.match(
        assertProblem(
          await call('POST', `${V1}/featureGroup`, config('by_viewer'), viewer),
          403,
          'Forbidden',
        ),
        /editor role/,
      );
      assertProblem(
        await call('DELETE', '/featureGroup', { featuregroups_list: [] }, viewer),
        403,
        'Forbidden',
      );
      assertProblem(await call('GET', `${V1}/featureGroup`, undefined, null), 401, 'Unauthorized');
      assertProblem(await call('GET', `${V1}/featureGroup`, undefined, 'my_wrong'), 401, 'Unauthorized');
    });
  });
}
