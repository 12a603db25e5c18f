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
      assert.match(r.headers.location as string, /model-registrations\/[0-9a-f]{32}$/);
      assert.equal(r.json().modelId.artifactVersion, '0.0.0');
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
      const del = await t.app.inject({ method: 'DELETE', url: `${MME}/model-registrations/${r.json().id}` });
      assert.equal(del.statusCode, 204);
      assert.equal(
        (await t.app.inject({ url: `${MME}/model-registrations/${r.json().id}` })).statusCode,
        404,
      );
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
