/**
 * WMLA `GET /scheduler/applications` on every dialect: the runs of WMLA execs and trainings as
 * applications, with WMLA's filters, one-field sort, start/length paging and 416 for a bad range.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { dialectsUnderTest } from './helpers/db.js';
import { createRunsTestApp, type Json, type RunsTestApp } from './runs-helpers.js';

const BASE = '/platform/rest/deeplearning/v1';
const APPS = `${BASE}/scheduler/applications`;

function execBody(fileName: string, content: string) {
  const b = '----wmla' + Math.random().toString(16).slice(2);
  const payload = `--${b}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n${content}\r\n--${b}--\r\n`;
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${b}` } };
}

for (const dialect of dialectsUnderTest()) {
  describe(`WMLA scheduler applications (${dialect})`, () => {
    let t: RunsTestApp;
    const ids: string[] = [];
    let trainingId = '';
    const list = async (query: string) => {
      const r = await t.app.inject({ url: `${APPS}${query}` });
      assert.equal(r.statusCode, 200, r.body);
      return r.json() as Json[];
    };

    before(async () => {
      t = await createRunsTestApp(dialect);
      for (const [sig, code] of [
        ['sigA', 'exit 0'],
        ['sigB', 'exit 3'],
      ]) {
        const res = await t.app.inject({
          method: 'POST',
          url: `${BASE}/execs?sigName=${sig}&args=${encodeURIComponent('--exec-start Shell --model-main main.sh')}`,
          ...execBody('main.sh', code!),
        });
        assert.equal(res.statusCode, 201, res.body);
        ids.push((res.json() as Json).id as string);
        await sleep(5); // distinct creation times for the sort
      }
      const inject = (method: 'POST' | 'PUT', url: string, payload: Json) =>
        t.app.inject({ method, url: `${BASE}${url}`, payload });
      assert.equal(
        (await inject('POST', '/modeltemplates', { name: 'tpl', path: '/t', framework: 'PyTorch' }))
          .statusCode,
        201,
      );
      assert.equal((await inject('POST', '/models', { name: 'm1', templatename: 'tpl' })).statusCode, 201);
      assert.equal(
        (await inject('PUT', '/models/m1/files', { filename: 'main.sh', content: 'exit 0' })).statusCode,
        200,
      );
      const tr = await inject('POST', '/models/m1/trainings', {
        trainName: 't1',
        dlFramework: 'Shell',
        clusterSize: 1,
      });
      assert.equal(tr.statusCode, 201, tr.body);
      trainingId = (tr.json() as Json).appid as string;
      // Runs of other surfaces are not WMLA applications.
      const code = await t.services.runs.uploadCode('x.sh', new TextEncoder().encode('exit 0'));
      await t.services.runs.submit({ name: 'native', codeId: code.id, command: 'sh x.sh' }, 'someone');
      const end = Date.now() + 60_000;
      while ((await list('?state=SUBMITTED,RUNNING')).length > 0) {
        if (Date.now() > end) throw new Error('applications still running after 60 s');
        await sleep(50);
      }
    });
    after(() => t.close());

    test('lists execs and trainings, newest first; filters by id, name, state, sigId, search', async () => {
      const all = await list('');
      assert.deepEqual(
        all.map((a) => a.applicationid),
        [trainingId, ids[1], ids[0]],
      );
      const training = all[0]!;
      assert.equal(training.type, 'BATCH');
      assert.equal(training.kind, 'training');
      assert.equal(training.dltype, 'Shell');
      assert.ok(training.submittedtime > 0 && training.endtime >= training.submittedtime);
      assert.equal(training.model, 'm1');
      assert.equal(training.trainName, 't1');
      assert.equal(training.state, 'FINISHED');
      assert.deepEqual(
        (await list(`?applicationid=${ids[0]}`)).map((a) => a.sigId),
        ['sigA'],
      );
      assert.deepEqual(
        (await list('?state=failed')).map((a) => a.applicationid),
        [ids[1]],
      );
      assert.deepEqual(
        (await list('?sigId=sigB')).map((a) => a.state),
        ['FAILED'],
      );
      assert.deepEqual(
        (await list('?applicationname=m1-t1')).map((a) => a.applicationid),
        [trainingId],
      );
      assert.equal((await list('?search=M1-T')).length, 1);
      assert.equal((await list('?driverid=x')).length, 0);
    });

    test('sort by one field (- or order=desc), start/length pages with Content-Range, 416 out of range', async () => {
      assert.deepEqual(
        (await list('?sort=submittedtime')).map((a) => a.applicationid),
        [ids[0], ids[1], trainingId],
      );
      assert.deepEqual(
        (await list('?sort=submittedtime&order=desc')).map((a) => a.applicationid),
        [trainingId, ids[1], ids[0]],
      );
      assert.deepEqual(
        (await list('?sort=-state')).map((a) => a.state),
        ['FINISHED', 'FINISHED', 'FAILED'],
      );
      const page = await t.app.inject({ url: `${APPS}?sort=submittedtime&start=1&length=1` });
      assert.equal(page.statusCode, 200);
      assert.deepEqual(
        (page.json() as Json[]).map((a) => a.applicationid),
        [ids[1]],
      );
      assert.equal(page.headers['content-range'], 'items 1-1/3');
      const beyond = await t.app.inject({ url: `${APPS}?start=3&length=10` });
      assert.equal(beyond.statusCode, 416);
      assert.equal(beyond.headers['content-range'], 'items */3');
      assert.match((beyond.json() as Json).message, /outside the 3 applications/);
      assert.equal((await t.app.inject({ url: `${APPS}?start=-1` })).statusCode, 416);
      const badSort = await t.app.inject({ url: `${APPS}?sort=colour` });
      assert.equal(badSort.statusCode, 400);
      assert.match((badSort.json() as Json).message, /sort field 'colour'/);
      assert.equal((await t.app.inject({ url: `${APPS}?order=sideways` })).statusCode, 400);
      assert.equal((await t.app.inject({ url: `${APPS}?start=abc` })).statusCode, 400);
    });
  });
}
