/**
 * Feature groups, native API, on every dialect: name rules, validation per source, CRUD, token
 * masking, extraction from a dataset (projection, target, filter), references, auth.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dialectsUnderTest } from './helpers/db.js';
import { createTestApp, type TestApp } from './helpers/app.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const WEATHER = `id,temp,city,label
1,20.5,Oslo,yes
2,15,Bergen,no
3,,Oslo,no
4,30,"Tromso, N",yes
5,25,Oslo,yes
`;
const SECRET = 'influx-secret-token-8842';

for (const dialect of dialectsUnderTest()) {
  describe(`feature groups API (${dialect})`, () => {
    let t: TestApp;
    let editor: string;
    let viewer: string;

    const call = (method: string, url: string, payload?: unknown, token = editor) =>
      t.app.inject({
        method: method as 'GET',
        url: `/api/v1${url}`,
        headers: { authorization: `Bearer ${token}` },
        ...(payload === undefined ? {} : { payload: payload as object }),
      });

    const datasetGroup = (name: string, extra: Json = {}) =>
      call('POST', '/feature-groups', {
        name,
        featureList: ['temp', 'city'],
        datalakeSource: 'Dataset',
        sourceName: 'weather',
        ...extra,
      });

    const influxGroup = (name: string, extra: Json = {}) =>
      call('POST', '/feature-groups', {
        name,
        featureList: ['rsrp', 'prb'],
        datalakeSource: 'InfluxSource',
        host: '127.0.0.1',
        port: 8086,
        bucket: 'telemetry',
        measurement: 'cell',
        token: SECRET,
        dbOrg: 'ran',
        ...extra,
      });

    async function readVersion(name: string, version: number): Promise<string> {
      const res = await call('GET', `/datasets/${name}/versions/${version}/download`);
      assert.equal(res.statusCode, 200, res.body);
      return res.body;
    }

    before(async () => {
      t = await createTestApp(dialect);
      editor = (await t.services.tokens.create({ name: 'ed', role: 'editor' })).token;
      viewer = (await t.services.tokens.create({ name: 'vw', role: 'viewer' })).token;
      const up = await t.app.inject({
        method: 'POST',
        url: '/api/v1/datasets?name=weather&target=label&seed=1',
        headers: { 'content-type': 'text/csv', authorization: `Bearer ${editor}` },
        payload: WEATHER,
      });
      assert.equal(up.statusCode, 201, up.body);
    });
    after(async () => {
      await t.close();
    });

    test('names: \\w{3,63}, unique (409)', async () => {
      for (const bad of ['ab', 'has-dash', 'spa ce', 'x'.repeat(64), 'ünï']) {
        const res = await datasetGroup(bad);
        assert.equal(res.statusCode, 400, `${bad}: ${res.body}`);
        assert.match(res.json().detail, /name/);
      }
      assert.equal((await datasetGroup('x'.repeat(63))).statusCode, 201);
      const first = await datasetGroup('weather_fg');
      assert.equal(first.statusCode, 201, first.body);
      assert.equal(first.headers.location, '/api/v1/feature-groups/weather_fg');
      const dup = await datasetGroup('weather_fg', { featureList: ['temp'] });
      assert.equal(dup.statusCode, 409);
      assert.equal(dup.headers['content-type'], 'application/problem+json; charset=utf-8');
      assert.match(dup.json().detail, /feature group 'weather_fg' already exists/);
    });

    test('Dataset source: feature columns must exist in the version (400 names them)', async () => {
      const res = await datasetGroup('bad_columns', { featureList: ['temp', 'wind', 'rain'] });
      assert.equal(res.statusCode, 400);
      assert.match(res.json().detail, /dataset 'weather' version 1 has no column\(s\) 'wind', 'rain'/);
      assert.deepEqual(res.json().errors, [
        { field: 'featureList', message: 'unknown column(s): wind, rain' },
      ]);

      const noDs = await datasetGroup('no_dataset', { sourceName: 'nope@2' });
      assert.equal(noDs.statusCode, 400);
      assert.match(noDs.json().detail, /sourceName 'nope@2'/);
      const noVersion = await datasetGroup('no_version', { sourceName: 'weather@9' });
      assert.equal(noVersion.statusCode, 400);
      const noName = await datasetGroup('no_source', { sourceName: undefined });
      assert.equal(noName.statusCode, 400);
      assert.match(noName.json().detail, /sourceName is required when datalakeSource is Dataset/);
      const list = (await call('GET', '/feature-groups?name=no_')).json();
      assert.equal(list.total, 0, 'nothing half-stored');
    });

    test('InfluxSource: connection fields required; bad source and port named', async () => {
      const res = await influxGroup('influx_missing', { host: '', port: undefined, measurement: undefined });
      assert.equal(res.statusCode, 400);
      const fields = (res.json().errors as Json[]).map((e) => e.field).sort();
      assert.deepEqual(fields, ['host', 'measurement', 'port']);
      const src = await influxGroup('influx_src', { datalakeSource: 'Kafka' });
      assert.equal(src.statusCode, 400);
      assert.match(src.json().detail, /must be one of InfluxSource, Dataset/);
      const port = await influxGroup('influx_port', { port: 70000 });
      assert.equal(port.statusCode, 400);
      assert.match(port.json().detail, /port/);
    });

    test('the token is stored but never returned: create, get, list, put, patch', async () => {
      const created = await influxGroup('cells');
      assert.equal(created.statusCode, 201, created.body);
      const bodies = [created.body];
      assert.equal(created.json().token, '****');
      assert.equal(created.json().tokenSet, true);
      bodies.push((await call('GET', '/feature-groups/cells')).body);
      bodies.push((await call('GET', '/feature-groups')).body);
      const put = await call('PUT', '/feature-groups/cells', {
        featureList: ['rsrp'],
        datalakeSource: 'InfluxSource',
        host: 'influx.local',
        port: 8087,
        bucket: 'telemetry',
        measurement: 'cell',
        token: '****',
      });
      assert.equal(put.statusCode, 200, put.body);
      bodies.push(put.body);
      assert.equal(put.json().tokenSet, true, 'a masked token keeps the stored one');
      const patched = await call('PATCH', '/feature-groups/cells', {
        description: 'cell KPIs',
        enableDme: true,
      });
      assert.equal(patched.statusCode, 200, patched.body);
      bodies.push(patched.body);
      assert.equal(patched.json().description, 'cell KPIs');
      assert.equal(patched.json().enableDme, true);
      assert.deepEqual(patched.json().featureList, ['rsrp']);
      assert.equal(patched.json().port, 8087);
      for (const b of bodies) assert.ok(!b.includes(SECRET), `token leaked in ${b}`);
      const row = await t.deps.db
        .selectFrom('feature_groups')
        .select('token')
        .where('name', '=', 'cells')
        .executeTakeFirstOrThrow();
      assert.equal(row.token, SECRET, 'the real token is kept for InfluxDB');
      const cleared = await call('PATCH', '/feature-groups/cells', { token: '' });
      assert.equal(cleared.json().tokenSet, false);
      assert.equal(cleared.json().token, '');
    });

    test('CRUD: list paging and name filter, rename refused, delete', async () => {
      for (const n of ['list_a1', 'list_a2', 'list_b1'])
        assert.equal((await datasetGroup(n)).statusCode, 201);
      const page = (await call('GET', '/feature-groups?name=LIST_A&limit=1')).json();
      assert.equal(page.total, 2);
      assert.deepEqual(
        page.items.map((i: Json) => i.name),
        ['list_a1'],
      );
      const page2 = (await call('GET', '/feature-groups?name=list_a&limit=1&offset=1')).json();
      assert.deepEqual(
        page2.items.map((i: Json) => i.name),
        ['list_a2'],
      );
      const underscore = (await call('GET', '/feature-groups?name=t_a')).json();
      assert.equal(underscore.total, 2, "'_' in the filter is literal");
      const rename = await call('PATCH', '/feature-groups/list_a1', { name: 'other' });
      assert.equal(rename.statusCode, 400);
      assert.match(rename.json().detail, /cannot be renamed/);
      assert.equal((await call('DELETE', '/feature-groups/list_a1')).statusCode, 204);
      assert.equal((await call('GET', '/feature-groups/list_a1')).statusCode, 404);
      const again = await call('DELETE', '/feature-groups/list_a1');
      assert.equal(again.statusCode, 404);
      assert.match(again.json().detail, /feature group 'list_a1' was not found/);
    });

    test('extract from a dataset: projected columns in order, target, filtered rows', async () => {
      assert.equal((await datasetGroup('oslo_fg', { featureList: ['city', 'temp'] })).statusCode, 201);
      const res = await call('POST', '/feature-groups/oslo_fg/extract', {
        queryFilter: "temp > 16 AND city IN ('Oslo', 'Tromso, N') OR city = 'Bergen'",
        split: { train: 50, validation: 0, test: 50, seed: 3 },
      });
      assert.equal(res.statusCode, 201, res.body);
      const v = res.json();
      assert.equal(v.name, 'oslo_fg');
      assert.equal(v.version, 1);
      assert.equal(v.rowCount, 4);
      assert.equal(v.target, 'label', 'the source target comes along by default');
      assert.equal(v.source, 'feature_group');
      assert.deepEqual(
        v.columns.map((c: Json) => c.name),
        ['city', 'temp', 'label'],
      );
      assert.equal(
        await readVersion('oslo_fg', 1),
        'city,temp,label\nOslo,20.5,yes\nBergen,15,no\n"Tromso, N",30,yes\nOslo,25,yes\n',
      );

      const bare = await t.app.inject({
        method: 'POST',
        url: '/api/v1/feature-groups/oslo_fg/extract',
        headers: { authorization: `Bearer ${editor}` },
      });
      assert.equal(bare.statusCode, 201, `no body means all defaults: ${bare.body}`);
      assert.equal(bare.json().version, 2);

      const second = await call('POST', '/feature-groups/oslo_fg/extract', {
        target: null,
        datasetName: 'oslo_all',
      });
      assert.equal(second.statusCode, 201, second.body);
      assert.equal(second.json().rowCount, 5);
      assert.equal(second.json().target, null);
      assert.equal((await readVersion('oslo_all', 1)).split('\n')[0], 'city,temp');

      const third = await call('POST', '/feature-groups/oslo_fg/extract', {
        queryFilter: 'temp IS NULL OR temp >= 30',
      });
      assert.equal(third.json().version, 3, 'each extract is a new version');
      assert.equal(await readVersion('oslo_fg', 3), 'city,temp,label\nOslo,,no\n"Tromso, N",30,yes\n');
    });

    test('extract: bad filter, unknown columns, no rows → 400 and nothing stored', async () => {
      assert.equal((await datasetGroup('bad_extract')).statusCode, 201);
      const cases: Array<[Json, RegExp]> = [
        [{ queryFilter: 'temp >' }, /queryFilter: expected a value/],
        [{ queryFilter: "temp > 'x" }, /unterminated string/],
        [{ queryFilter: 'wind > 3' }, /no column\(s\) 'wind'/],
        [{ target: 'nope' }, /no column\(s\) 'nope'/],
        [{ queryFilter: 'temp > 100' }, /selected no rows/],
      ];
      for (const [body, re] of cases) {
        const res = await call('POST', '/feature-groups/bad_extract/extract', body);
        assert.equal(res.statusCode, 400, JSON.stringify(body));
        assert.match(res.json().detail, re);
      }
      assert.equal((await call('GET', '/datasets/bad_extract')).statusCode, 404, 'no dataset was started');
      assert.equal((await call('POST', '/feature-groups/missing_fg/extract', {})).statusCode, 404);
    });

    test('a group pinned to a dataset version blocks deleting that version', async () => {
      assert.equal((await datasetGroup('pinned_fg', { sourceName: 'weather@1' })).statusCode, 201);
      const blocked = await call('DELETE', '/datasets/weather/versions/1');
      assert.equal(blocked.statusCode, 409, blocked.body);
      assert.match(blocked.json().detail, /feature_group pinned_fg/);
      assert.equal((await call('DELETE', '/feature-groups/pinned_fg')).statusCode, 204);
      const got = (await call('GET', '/feature-groups/pinned_fg')).statusCode;
      assert.equal(got, 404);
    });

    test('auth: viewers read, only editors write; no token is 401', async () => {
      const asViewer = await call('POST', '/feature-groups', { name: 'by_viewer' }, viewer);
      assert.equal(asViewer.statusCode, 403);
      assert.match(asViewer.json().detail, /needs the editor role/);
      assert.equal((await call('GET', '/feature-groups', undefined, viewer)).statusCode, 200);
      assert.equal((await call('POST', '/feature-groups/weather_fg/extract', {}, viewer)).statusCode, 403);
      assert.equal((await call('DELETE', '/feature-groups/weather_fg', undefined, viewer)).statusCode, 403);
      const anon = await t.app.inject({ method: 'GET', url: '/api/v1/feature-groups' });
      assert.equal(anon.statusCode, 401);
    });
  });
}
