import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dialectsUnderTest } from './helpers/db.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { unzip } from './helpers/unzip.js';

const MME = '/ai-ml-model-registration/v1';

function multipartBody(field: string, fileName: string, content: Buffer) {
  const boundary = '----modelyard' + Math.random().toString(16).slice(2);
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${fileName}"\r\nContent-Type: application/zip\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return {
    payload: Buffer.concat([head, content, tail]),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

for (const dialect of dialectsUnderTest()) {
  describe(`O-RAN model routes (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(dialect);
    });
    after(() => t.close());

    test('MME registration (201, 409), uploads bump 0.0.0 → 1.0.0 → 1.1.0, Model.zip per artifact version', async () => {
      const body = {
        modelId: { modelName: 'qoe', modelVersion: '1' },
        description: 'QoE predictor',
        modelInformation: {
          metadata: { author: 'ran' },
          inputDataType: 'pdcpBytesDl,pdcpBytesUl',
          outputDataType: 'c',
        },
      };
      const r = await t.app.inject({ method: 'POST', url: `${MME}/model-registrations`, payload: body });
      assert.equal(r.statusCode, 201, r.body);
      assert.match(
        r.headers.location as string,
        /^ai-ml-model-registration\/v1\/model-registrations\/[0-9a-f]{32}$/,
      );
      assert.equal(r.json().modelInfo.modelId.artifactVersion, '0.0.0');
      const dup = await t.app.inject({ method: 'POST', url: `${MME}/model-registrations`, payload: body });
      assert.equal(dup.statusCode, 409);
      assert.equal(dup.json().title, 'Conflict');
      const none = await t.app.inject({ url: '/model/qoe/1/0.0.0/Model.zip' });
      assert.equal(none.statusCode, 404);
      assert.match(none.headers['content-type'] as string, /^text\/plain/);
      const zip1 = Buffer.from('PK-first');
      const up1 = await t.app.inject({
        method: 'POST',
        url: `${MME}/uploadModel/qoe/1`,
        ...multipartBody('file', 'Model.zip', zip1),
      });
      assert.equal(up1.statusCode, 200, up1.body);
      assert.equal(up1.json().artifactVersion, '1.0.0');
      assert.equal(up1.json().code, 200);
      assert.deepEqual(up1.json().modelinfo.modelId, {
        modelName: 'qoe',
        modelVersion: '1',
        artifactVersion: '1.0.0',
      });
      const up2 = await t.app.inject({
        method: 'POST',
        url: `${MME}/uploadModel/qoe/1`,
        ...multipartBody('file', 'Model.zip', Buffer.from('PK-second')),
      });
      assert.equal(up2.json().artifactVersion, '1.1.0');
      const got = await t.app.inject({ url: '/model/qoe/1/1.1.0/Model.zip' });
      assert.equal(got.statusCode, 200);
      assert.equal(got.headers['content-type'], 'application/zip');
      assert.equal(got.body, 'PK-second');
      assert.equal((await t.app.inject({ url: '/model/qoe/1/1.0.0/Model.zip' })).statusCode, 404);
      assert.equal((await t.app.inject({ url: '/model/qoe/2/1.1.0/Model.zip' })).statusCode, 404);
      assert.equal((await t.app.inject({ url: '/model/qoe/1/Model.zip' })).body, 'PK-second');
      const info = await t.app.inject({ url: `${MME}/getModelInfo/qoe` });
      assert.equal(info.json()[0].modelInformation.inputDataType, 'pdcpBytesDl,pdcpBytesUl');
      const del = await t.app.inject({
        method: 'DELETE',
        url: `${MME}/model-registrations/${r.json().modelInfo.id}`,
      });
      assert.equal(del.statusCode, 204);
      assert.equal(
        (await t.app.inject({ url: `${MME}/model-registrations/${r.json().modelInfo.id}` })).statusCode,
        404,
      );
    });

    test('MME PUT registration, R1AP discovery filters, downloadModel, .zip-only upload', async () => {
      const reg = (name: string, version: string, input = 'a,b') =>
        t.app.inject({
          method: 'POST',
          url: `${MME}/model-registrations`,
          payload: {
            modelId: { modelName: name, modelVersion: version },
            modelInformation: { inputDataType: input },
          },
        });
      const first = await reg('thr', '1');
      assert.equal(first.statusCode, 201, first.body);
      assert.equal((await reg('thr', '2')).statusCode, 201);
      assert.equal((await reg('other', '1')).statusCode, 201);
      const id = first.json().modelInfo.id as string;

      const edit = {
        modelId: { modelName: 'thr', modelVersion: '1' },
        description: 'throughput',
        modelInformation: { inputDataType: 'a,b,c', outputDataType: 'tput' },
        modelLocation: 's3://models/thr',
      };
      const put = await t.app.inject({
        method: 'PUT',
        url: `${MME}/model-registrations/${id}`,
        payload: edit,
      });
      assert.equal(put.statusCode, 200, put.body);
      assert.equal(put.json().modelinfo.modelInformation.inputDataType, 'a,b,c');
      const got = (await t.app.inject({ url: `${MME}/model-registrations/${id}` })).json();
      assert.equal(got.description, 'throughput');
      assert.equal(got.modelLocation, 's3://models/thr');
      assert.equal(got.modelInformation.outputDataType, 'tput');
      assert.deepEqual(got.modelId, { modelName: 'thr', modelVersion: '1', artifactVersion: '0.0.0' });
      const renamed = await t.app.inject({
        method: 'PUT',
        url: `${MME}/model-registrations/${id}`,
        payload: { ...edit, modelId: { modelName: 'thr', modelVersion: '9' } },
      });
      assert.equal(renamed.statusCode, 400);
      assert.match(renamed.json().detail, /different modelName and modelVersion/);
      const missing = await t.app.inject({
        method: 'PUT',
        url: `${MME}/model-registrations/00000000000000000000000000000000`,
        payload: edit,
      });
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json().title, 'Not Found');

      const discover = async (qs: string) => t.app.inject({ url: `/ai-ml-model-discovery/v1/models${qs}` });
      const names = (r: { json(): unknown }) =>
        (r.json() as Array<{ modelId: { modelName: string; modelVersion: string } }>).map(
          (m) => `${m.modelId.modelName}/${m.modelId.modelVersion}`,
        );
      const all = names(await discover(''));
      assert.ok(
        ['thr/1', 'thr/2', 'other/1'].every((n) => all.includes(n)),
        all.join(','),
      );
      assert.deepEqual(names(await discover('?model-name=thr')), ['thr/1', 'thr/2']);
      assert.deepEqual(names(await discover('?model-name=thr&model-version=2')), ['thr/2']);
      assert.deepEqual(
        names(await discover('?model-version=1'))
          .sort()
          .slice(-2),
        ['other/1', 'thr/1'],
      );
      const none = await discover('?model-name=thr&model-version=7');
      assert.equal(none.statusCode, 404);
      assert.match(none.headers['content-type'] as string, /^application\/problem\+json/);
      const bad = await discover('?modelName=thr');
      assert.equal(bad.statusCode, 400);
      assert.match(bad.json().detail, /Only allowed params are model-name and model-version/);

      const notZip = await t.app.inject({
        method: 'POST',
        url: `${MME}/uploadModel/thr/2`,
        ...multipartBody('file', 'model.pkl', Buffer.from('pickle')),
      });
      assert.equal(notZip.statusCode, 400, notZip.body);
      assert.match(notZip.json().detail, /Only \.zip files are allowed/);
      const up = await t.app.inject({
        method: 'POST',
        url: `${MME}/uploadModel/thr/2`,
        ...multipartBody('file', 'thr.zip', Buffer.from('PK-thr')),
      });
      assert.equal(up.json().artifactVersion, '1.0.0');
      const dl = await t.app.inject({ url: `${MME}/downloadModel/thr/2/1.0.0/model.zip` });
      assert.equal(dl.statusCode, 200);
      assert.equal(dl.headers['content-type'], 'application/zip');
      assert.equal(dl.body, 'PK-thr');
      const dlMissing = await t.app.inject({ url: `${MME}/downloadModel/thr/2/0.0.0/model.zip` });
      assert.equal(dlMissing.statusCode, 404);
      assert.match(dlMissing.headers['content-type'] as string, /^text\/plain/);
    });

    test('Model.zip of a native version zips its files; our version number works as the O-RAN version', async () => {
      const v = await t.services.registry.create({ name: 'native-model' }, null);
      await t.services.registry.putArtifact(v.id, 'model.onnx', Buffer.from('onnx-bytes'));
      await t.services.registry.putArtifact(v.id, 'meta/labels.txt', 'a\nb\n');
      const r = await t.app.inject({ url: '/model/native-model/1/1.1.0/Model.zip' });
      assert.equal(r.statusCode, 200);
      const files = await unzip(r.rawPayload);
      assert.deepEqual([...files.keys()], ['meta/labels.txt', 'model.onnx']);
      assert.equal(files.get('model.onnx')!.toString(), 'onnx-bytes');
    });
  });
}
