/**
 * The shared `references` helper on every dialect: idempotent add, remove, per-kind isolation,
 * refusal inside a transaction (which then rolls back), and forced release.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { conflict } from '../src/errors.js';
import { createReferences } from '../src/infra/db/references.js';
import { dialectsUnderTest, freshStore, type TestStore } from './helpers/db.js';

for (const dialect of dialectsUnderTest()) {
  describe(`references (${dialect})`, () => {
    let store: TestStore;
    before(async () => {
      store = await freshStore(dialect);
    });
    after(() => store.close());

    const things = createReferences('thing');
    const others = createReferences('other');

    it('records a use once, lists it per target kind, and forgets it', async () => {
      const { db } = store;
      await things.add(db, 't1', { kind: 'run', id: 'r1' });
      await things.add(db, 't1', { kind: 'run', id: 'r1' });
      await things.add(db, 't2', { kind: 'deployment', id: 'd1' });
      await others.add(db, 't1', { kind: 'run', id: 'r9' });
      assert.deepEqual(await things.list(db, ['t1']), [{ kind: 'run', id: 'r1', targetId: 't1' }]);
      assert.equal((await things.list(db, ['t1', 't2'])).length, 2);
      assert.deepEqual(await things.list(db, []), []);
      assert.deepEqual(await others.list(db, ['t1']), [{ kind: 'run', id: 'r9', targetId: 't1' }]);
      await things.remove(db, 't1', { kind: 'run', id: 'r1' });
      await things.remove(db, 't1', { kind: 'run', id: 'never' });
      assert.deepEqual(await things.list(db, ['t1']), []);
      assert.equal((await others.list(db, ['t1'])).length, 1, 'another kind is untouched');
    });

    it('refuses inside a transaction, rolling back what it did, and allows once released', async () => {
      const { db } = store;
      await things.add(db, 'x', { kind: 'run', id: 'r2' });
      const refuse = (uses: Array<{ kind: string; id: string }>) =>
        conflict(`in use by ${uses.map((u) => u.id).join(',')}`, { reason: 'thing_in_use' });
      await assert.rejects(
        db.transaction().execute(async (tx) => {
          // An add in the same transaction (a no-op here) must not abort it on PostgreSQL.
          await things.add(tx, 'x', { kind: 'run', id: 'r2' });
          await others.add(tx, 'x', { kind: 'run', id: 'rolled-back' });
          await things.refuseIfReferenced(tx, ['x'], refuse);
        }),
        (e: Error & { reason?: string }) => e.reason === 'thing_in_use' && /r2/.test(e.message),
      );
      assert.deepEqual(await others.list(db, ['x']), [], 'the refused transaction left nothing');
      assert.equal(await things.release(db, ['x']), 1);
      assert.equal(await things.release(db, []), 0);
      await things.refuseIfReferenced(db, ['x'], refuse);
    });
  });
}
