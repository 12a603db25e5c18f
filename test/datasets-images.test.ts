/**
 * Image-classification datasets: a zip of one folder per class → label counts, stratified
 * splits, previews, downloads; bad zips are 400 and leave nothing behind.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { dialectsUnderTest } from './helpers/db.js';
import { createTestApp, type TestApp } from './helpers/app.js';

/** A minimal zip writer (stored entries, no compression): enough to build test archives. */
function zip(entries: Array<[name: string, data: string]>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of entries) {
    const data = Buffer.from(text);
    const fileName = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(fileName.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(fileName.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, fileName, data);
    centrals.push(central, fileName);
    offset += 30 + fileName.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const classes = { cat: 20, dog: 30, bird: 10 };
const images: Array<[string, string]> = Object.entries(classes).flatMap(([label, n]) =>
  Array.from({ length: n }, (_, i): [string, string] => [
    `pets/${label}/img${String(i).padStart(3, '0')}.png`,
    `png-${label}-${i}`,
  ]),
);
const good = zip([...images, ['pets/README.txt', 'hello'], ['pets/cat/notes.md', 'x']]);

for (const dialect of dialectsUnderTest()) {
  describe(`image datasets (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(dialect);
    });
    after(async () => {
      await t.close();
    });

    const post = (body: Buffer, query = 'name=pets&seed=9') =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/datasets?${query}`,
        headers: { 'content-type': 'application/zip' },
        payload: body,
      });

    test('a class-per-folder zip becomes an images dataset with label counts and stratified splits', async () => {
      const res = await post(good);
      assert.equal(res.statusCode, 201, res.body);
      const v = res.json();
      assert.equal(v.kind, 'images');
      assert.equal(v.format, 'zip');
      assert.equal(v.rowCount, 60);
      assert.deepEqual(v.labelCounts, classes);
      assert.equal(v.task, 'multiclass');
      assert.equal(v.target, 'label');
      assert.equal(v.split.stratified, true);
      assert.deepEqual(v.splitCounts, { train: 48, validation: 6, test: 6 });
      assert.deepEqual(v.warnings, ['2 zip entries are not images in a class folder and were ignored']);
      assert.equal(v.sha256, createHash('sha256').update(good).digest('hex'));

      const page = (
        await t.app.inject({ url: '/api/v1/datasets/pets/versions/1/rows?split=test&length=100' })
      ).json();
      assert.deepEqual(page.columns, ['path', 'label']);
      assert.equal(page.total, 6);
      const perLabel: Record<string, number> = {};
      for (const [, label] of page.rows as string[][]) perLabel[label!] = (perLabel[label!] ?? 0) + 1;
      assert.deepEqual(perLabel, { bird: 1, cat: 2, dog: 3 });

      const dl = await t.app.inject({ url: '/api/v1/datasets/pets/versions/1/download' });
      assert.equal(dl.headers['content-type'], 'application/zip');
      assert.deepEqual(dl.rawPayload, good);
      const csv = await t.app.inject({ url: '/api/v1/datasets/pets/versions/1/download?split=train' });
      const lines = csv.body.trimEnd().split('\n');
      assert.equal(lines[0], 'path,label');
      assert.equal(lines.length, 49);
    });

    test('classes directly at the zip root work too', async () => {
      const res = await post(
        zip([
          ['a/1.jpg', '1'],
          ['a/2.jpg', '2'],
          ['b/1.jpeg', '3'],
          ['b/2.JPG', '4'],
        ]),
        'name=flat',
      );
      assert.equal(res.statusCode, 201, res.body);
      assert.deepEqual(res.json().labelCounts, { a: 2, b: 2 });
      assert.equal(res.json().task, 'binary');
    });

    for (const [title, body, reason] of [
      [
        'no class folders',
        zip([
          ['readme.txt', 'x'],
          ['a.png', 'y'],
        ]),
        'zip_no_classes',
      ],
      [
        'a single class',
        zip([
          ['only/1.png', 'x'],
          ['only/2.png', 'y'],
        ]),
        'zip_no_classes',
      ],
      [
        'a path-traversal entry',
        zip([
          ['a/1.png', 'x'],
          ['../evil/2.png', 'y'],
        ]),
        'zip_unsafe_path',
      ],
      [
        'an absolute entry',
        zip([
          ['a/1.png', 'x'],
          ['/etc/2.png', 'y'],
        ]),
        'zip_unsafe_path',
      ],
      ['not a zip at all', Buffer.from('just,some\ncsv,text\n'), 'zip_invalid'],
    ] as const) {
      test(`${title} → 400 ${reason}, nothing stored`, async () => {
        const res = await post(body, 'name=badzip');
        assert.equal(res.statusCode, 400, res.body);
        assert.equal(res.json().reason, reason);
        assert.equal(res.json().errors[0].field, 'file');
        assert.equal((await t.app.inject({ url: '/api/v1/datasets/badzip' })).statusCode, 404);
        const keys = (await t.deps.blobs.list('')).map((b) => b.key);
        assert.ok(keys.every((k) => !k.includes('badzip')));
        assert.equal(keys.length, 4, `only the two good datasets' blobs remain: ${keys.join(', ')}`);
      });
    }
  });
}
