import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dialectsUnderTest } from './helpers/db.js';
import { createTestApp, type TestApp } from './helpers/app.js';

const BASE = '/platform/rest/deeplearning/v1';

function weightUpload(modelname: string, fileName: string, content: string) {
  const b = '----wmla' + Math.random().toString(16).slice(2);
  const payload =
    `--${b}\r\nContent-Disposition: form-data; name="modelname"\r\n\r\n${modelname}\r\n` +
    `--${b}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n${content}\r\n--${b}--\r\n`;
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${b}` } };
}

for (const dialect of dialectsUnderTest()) {
  describe(`WMLA models and model templates (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(dialect);
    });
    after(() => t.close());

    test('templates CRUD + files, models CRUD + files + weight file, WMLA status codes', async () => {
      const tpl = {
        name: 'resnet-tpl',
        path: '/opt/templates/resnet',
        framework: 'PyTorch',
        description: 'ResNet',
      };
      const c = await t.app.inject({ method: 'POST', url: `${BASE}/modeltemplates`, payload: tpl });
      assert.equal(c.statusCode, 201, c.body);
      assert.equal(
        (await t.app.inject({ method: 'POST', url: `${BASE}/modeltemplates`, payload: tpl })).statusCode,
        409,
      );
      const badFw = await t.app.inject({
        method: 'POST',
        url: `${BASE}/modeltemplates`,
        payload: { ...tpl, name: 'x-tpl', framework: 'Theano' },
      });
      assert.equal(badFw.statusCode, 400);
      assert.match(badFw.json().message, /framework/);
      await t.app.inject({
        method: 'PUT',
        url: `${BASE}/modeltemplates/resnet-tpl/files`,
        payload: { filename: 'main.py', content: 'print(1)' },
      });
      assert.deepEqual((await t.app.inject({ url: `${BASE}/modeltemplates/resnet-tpl/files` })).json(), [
        'main.py',
      ]);
      assert.equal(
        (await t.app.inject({ url: `${BASE}/modeltemplates/files/main.py?templatename=resnet-tpl` })).body,
        'print(1)',
      );
      const list = await t.app.inject({ url: `${BASE}/modeltemplates?framework=PyTorch` });
      assert.deepEqual(
        list.json().map((x: { name: string }) => x.name),
        ['resnet-tpl'],
      );
      const upd = await t.app.inject({
        method: 'PUT',
        url: `${BASE}/modeltemplates/resnet-tpl`,
        payload: { description: 'ResNet-50' },
      });
      assert.equal(upd.json().description, 'ResNet-50');
      assert.equal(upd.json().path, '/opt/templates/resnet');

      const m = await t.app.inject({
        method: 'POST',
        url: `${BASE}/models`,
        payload: { name: 'cifar', templatename: 'resnet-tpl', batchsize: 64 },
      });
      assert.equal(m.statusCode, 201, m.body);
      assert.equal(m.json().framework, 'PyTorch');
      assert.equal(m.json().batchsize, 64);
      assert.equal(
        (
          await t.app.inject({
            method: 'POST',
            url: `${BASE}/models`,
            payload: { name: 'cifar', templatename: 'resnet-tpl' },
          })
        ).statusCode,
        409,
      );
      assert.equal(
        (
          await t.app.inject({
            method: 'POST',
            url: `${BASE}/models`,
            payload: { name: 'x', templatename: 'nope' },
          })
        ).statusCode,
        400,
      );
      assert.equal(
        (
          await t.app.inject({
            method: 'POST',
            url: `${BASE}/models`,
            payload: { templatename: 'resnet-tpl' },
          })
        ).statusCode,
        400,
      );
      const put = await t.app.inject({
        method: 'PUT',
        url: `${BASE}/models/cifar`,
        payload: { batchsize: 128, epoch: 3 },
      });
      assert.equal(put.json().batchsize, 128);
      assert.equal(put.json().templatename, 'resnet-tpl');
      assert.equal((await t.app.inject({ url: `${BASE}/models/cifar` })).json().epoch, 3);
      assert.equal((await t.app.inject({ url: `${BASE}/models/nope` })).statusCode, 404);

      const w = await t.app.inject({
        method: 'POST',
        url: `${BASE}/models/weightfile`,
        ...weightUpload('cifar', 'w.pth', 'WEIGHTS'),
      });
      assert.equal(w.statusCode, 201, w.body);
      const w2 = await t.app.inject({
        method: 'POST',
        url: `${BASE}/models/weightfile`,
        ...weightUpload('cifar', 'w.pth', 'AGAIN'),
      });
      assert.equal(w2.statusCode, 409);
      assert.deepEqual((await t.app.inject({ url: `${BASE}/models/cifar/files` })).json(), ['weights/w.pth']);
      assert.equal((await t.app.inject({ url: `${BASE}/models/cifar/files/weights/w.pth` })).body, 'WEIGHTS');
      assert.deepEqual(
        (await t.app.inject({ url: `${BASE}/models` })).json().map((x: { name: string }) => x.name),
        ['cifar'],
      );

      // template in use by the model: 409; model in use by a deployment: 409
      assert.equal(
        (await t.app.inject({ method: 'DELETE', url: `${BASE}/modeltemplates/resnet-tpl` })).statusCode,
        409,
      );
      const model = await t.services.registry.resolve('wmla/cifar/latest');
      await t.services.registry.addReference(model.id, { kind: 'deployment', id: 'edi-1' });
      assert.equal((await t.app.inject({ method: 'DELETE', url: `${BASE}/models/cifar` })).statusCode, 409);
      await t.services.registry.removeReference(model.id, { kind: 'deployment', id: 'edi-1' });
      assert.equal((await t.app.inject({ method: 'DELETE', url: `${BASE}/models/cifar` })).statusCode, 200);
      assert.equal(
        (await t.app.inject({ method: 'DELETE', url: `${BASE}/modeltemplates/resnet-tpl` })).statusCode,
        200,
      );
      assert.equal((await t.app.inject({ url: `${BASE}/modeltemplates/resnet-tpl` })).statusCode, 404);
    });

    test('a viewer token cannot create', async () => {
      const viewer = await t.services.tokens.create({ name: 'wv', role: 'viewer' });
      const r = await t.app.inject({
        method: 'POST',
        url: `${BASE}/modeltemplates`,
        headers: { authorization: `Bearer ${viewer.token}` },
        payload: { name: 'v-tpl', path: '/p', framework: 'Caffe' },
      });
      assert.equal(r.statusCode, 403);
      assert.match(r.json().message, /editor/);
    });
  });
}
