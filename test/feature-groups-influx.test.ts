/**
 * Feature groups over a real InfluxDB 1.x (influxd started by the test, or MODELYARD_INFLUX_URL):
 * extract into a dataset version, InfluxDB's errors as 400, InfluxDB down as 503, and the
 * InfluxDB token absent from every response and every log line.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { buildApp, type BuiltApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDeps, type Deps } from '../src/deps.js';
import { dialectsUnderTest, freshStore, type TestStore } from './helpers/db.js';
import { freePort, influxSkipReason, startInflux, type InfluxServer } from './helpers/influx.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const SECRET = 'influxuser:influx-secret-5531';
const T0 = Date.UTC(2024, 0, 1, 0, 0, 0);
const iso = (i: number) => new Date(T0 + i * 1000).toISOString().replace('.000Z', 'Z');
const POINTS = [
  [0, 'a', -90.5, 12, true],
  [1, 'b', -80, 3, false],
  [2, 'a', -70.25, 7, true],
  [3, 'b', -99, 0, false],
  [4, 'a', -60, 9, false],
] as const;

describe('feature groups over InfluxDB', { skip: influxSkipReason() }, () => {
  let influx: InfluxServer;
  before(async () => {
    influx = await startInflux();
    await influx.createDatabase('telemetry');
    await influx.write(
      'telemetry',
      POINTS.map(
        ([i, cell, rsrp, prb, ok]) =>
          `cell,cellid=${cell} rsrp=${rsrp},prb=${prb}i,ok=${ok} ${T0 + i * 1000}`,
      ),
    );
  });
  after(async () => {
    await influx?.stop();
  });

  for (const dialect of dialectsUnderTest()) {
    describe(dialect, () => {
      let store: TestStore;
      let built: BuiltApp;
      let deps: Deps;
      const logLines: string[] = [];

      before(async () => {
        store = await freshStore(dialect);
        const logger = pino(
          { level: 'trace' },
          new Writable({
            write(chunk, _enc, done) {
              logLines.push(String(chunk));
              done();
            },
          }),
        );
        // The composition root builds the deps, so this suite follows Deps as it grows.
        const config = {
          ...loadConfig({ dataDir: store.dataDir, logLevel: 'trace' }, {}),
          databaseUrl: store.databaseUrl,
        };
        deps = await createDeps(config, { logger });
        built = await buildApp(deps);
      });
      after(async () => {
        await built.app.close();
        await deps.close();
        await store.close();
      });

      const call = (method: string, url: string, payload?: unknown) =>
        built.app.inject({
          method: method as 'GET',
          url,
          ...(payload === undefined ? {} : { payload: payload as object }),
        });

      const group = (name: string, extra: Json = {}) =>
        call('POST', '/api/v1/feature-groups', {
          name,
          featureList: ['rsrp', 'prb'],
          datalakeSource: 'InfluxSource',
          host: influx.host,
          port: influx.port,
          bucket: 'telemetry',
          measurement: 'cell',
          token: SECRET,
          ...extra,
        });

      test('extract: InfluxQL filter, time column, target, rows in a new dataset version', async () => {
        assert.equal((await group('cell_kpis')).statusCode, 201);
        const res = await call('POST', '/api/v1/feature-groups/cell_kpis/extract', {
          queryFilter: `WHERE time >= '${iso(1)}' AND "prb" > 0`,
          target: 'ok',
        });
        assert.equal(res.statusCode, 201, res.body);
        const v = res.json();
        assert.equal(v.name, 'cell_kpis');
        assert.equal(v.rowCount, 3);
        assert.equal(v.target, 'ok');
        assert.deepEqual(
          v.columns.map((c: Json) => c.name),
          ['time', 'rsrp', 'prb', 'ok'],
        );
        const csv = await call('GET', '/api/v1/datasets/cell_kpis/versions/1/download');
        assert.equal(
          csv.body,
          `time,rsrp,prb,ok\n${iso(1)},-80,3,false\n${iso(2)},-70.25,7,true\n${iso(4)},-60,9,false\n`,
        );
        const tagged = await group('cell_tags', { featureList: ['cellid', 'rsrp'] });
        assert.equal(tagged.statusCode, 201);
        const all = await call('POST', '/api/v1/feature-groups/cell_tags/extract', { target: 'ok' });
        assert.equal(all.statusCode, 201, all.body);
        assert.equal(all.json().rowCount, 5, 'no filter reads every point, tags included');
      });

      test("InfluxDB's own errors come back as 400 with its message", async () => {
        assert.equal((await group('cell_errs')).statusCode, 201);
        const parse = await call('POST', '/api/v1/feature-groups/cell_errs/extract', {
          queryFilter: 'rsrp >',
        });
        assert.equal(parse.statusCode, 400);
        assert.match(parse.json().detail, /^InfluxDB rejected the query: error parsing query/);
        const second = await call('POST', '/api/v1/feature-groups/cell_errs/extract', {
          queryFilter: 'rsrp > 0; DROP DATABASE telemetry',
        });
        assert.equal(second.statusCode, 400);
        assert.match(second.json().detail, /may not contain ";"/);
        const none = await call('POST', '/api/v1/feature-groups/cell_errs/extract', {
          queryFilter: 'rsrp > 0',
        });
        assert.equal(none.statusCode, 400);
        assert.match(none.json().detail, /selected no rows/);

        assert.equal((await group('cell_typo', { featureList: ['rsrp', 'rsrq'] })).statusCode, 201);
        const typo = await call('POST', '/api/v1/feature-groups/cell_typo/extract', {});
        assert.equal(typo.statusCode, 400);
        assert.match(typo.json().detail, /measurement 'cell' has no field or tag 'rsrq'/);

        assert.equal((await group('no_db', { bucket: 'nodb' })).statusCode, 201);
        const noDb = await call('POST', '/api/v1/feature-groups/no_db/extract', {});
        assert.equal(noDb.statusCode, 400);
        assert.match(noDb.json().detail, /database not found: nodb/);
        assert.equal((await call('GET', '/api/v1/datasets/cell_errs')).statusCode, 404, 'nothing stored');
      });

      test('InfluxDB down: 503 naming host:port', async () => {
        const port = await freePort();
        assert.equal((await group('cell_down', { port })).statusCode, 201);
        const res = await call('POST', '/api/v1/feature-groups/cell_down/extract', {});
        assert.equal(res.statusCode, 503);
        assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
        assert.match(
          res.json().detail,
          new RegExp(`^InfluxDB at ${influx.host}:${port} is unreachable \\(ECONNREFUSED\\)`),
        );
        const oran = await call('GET', '/ai-ml-model-training/v1/featureGroup');
        assert.equal(oran.statusCode, 200);
        assert.ok(oran.body.includes('"token":"****"'));
        assert.ok(!oran.body.includes(SECRET));
      });

      test('the InfluxDB token appears in no log line', () => {
        assert.ok(logLines.length > 10, 'requests were logged');
        const leaks = logLines.filter((l) => l.includes(SECRET) || l.includes('influx-secret'));
        assert.deepEqual(leaks, []);
      });
    });
  }
});
