/**
 * The shared `references` table: one row records that a referrer (a run, a deployment, a feature
 * group, a WMLA model…) uses a target (a dataset version, a model version…). Deleting a target
 * is refused with 409 while any row names it. Each owning module makes one helper for its target
 * kind; the functions take the executor so they run inside the caller's transaction when needed.
 */
import type { AppError } from '../../errors.js';
import { nowIso, type Db, type Tx } from './kysely.js';

/** Whatever uses a target: its kind (`run`, `deployment`, …) and id. */
export interface Referrer {
  kind: string;
  id: string;
}

/** One use of a target. */
export interface Reference extends Referrer {
  targetId: string;
}

/** Reference bookkeeping for one target kind. */
export interface References {
  /** Records that `referrer` uses `targetId`; recording the same use twice is a no-op. */
  add(ex: Db | Tx, targetId: string, referrer: Referrer): Promise<void>;
  /** Forgets one use; forgetting a use that was never recorded is a no-op. */
  remove(ex: Db | Tx, targetId: string, referrer: Referrer): Promise<void>;
  /** Every use of any of the targets, oldest first. */
  list(ex: Db | Tx, targetIds: string[]): Promise<Reference[]>;
  /** Throws `refuse(uses)` when any of the targets is in use (call inside the deleting transaction). */
  refuseIfReferenced(
    ex: Db | Tx,
    targetIds: string[],
    refuse: (uses: Reference[]) => AppError,
  ): Promise<void>;
  /** Drops every use of the targets (a forced delete); returns how many were dropped. */
  release(ex: Db | Tx, targetIds: string[]): Promise<number>;
  /** Drops every use by `referrer` of targets of this kind (the referrer ended). */
  forget(ex: Db | Tx, referrer: Referrer): Promise<void>;
}

export function createReferences(targetKind: string): References {
  async function list(ex: Db | Tx, targetIds: string[]): Promise<Reference[]> {
    if (targetIds.length === 0) return [];
    const rows = await ex
      .selectFrom('references')
      .select(['referrer_kind', 'referrer_id', 'target_id'])
      .where('target_kind', '=', targetKind)
      .where('target_id', 'in', targetIds)
      .orderBy('created_at')
      .orderBy('referrer_kind')
      .orderBy('referrer_id')
      .execute();
    return rows.map((r) => ({ kind: r.referrer_kind, id: r.referrer_id, targetId: r.target_id }));
  }

  return {
    async add(ex, targetId, referrer) {
      await ex
        .insertInto('references')
        .values({
          target_kind: targetKind,
          target_id: targetId,
          referrer_kind: referrer.kind,
          referrer_id: referrer.id,
          created_at: nowIso(),
        })
        // A conflict clause, not a caught unique violation: on PostgreSQL the latter would abort
        // an enclosing transaction.
        .onConflict((oc) => oc.doNothing())
        .execute();
    },
    async remove(ex, targetId, referrer) {
      await ex
        .deleteFrom('references')
        .where('target_kind', '=', targetKind)
        .where('target_id', '=', targetId)
        .where('referrer_kind', '=', referrer.kind)
        .where('referrer_id', '=', referrer.id)
        .execute();
    },
    list,
    async refuseIfReferenced(ex, targetIds, refuse) {
      const uses = await list(ex, targetIds);
      if (uses.length > 0) throw refuse(uses);
    },
    async release(ex, targetIds) {
      if (targetIds.length === 0) return 0;
      const r = await ex
        .deleteFrom('references')
        .where('target_kind', '=', targetKind)
        .where('target_id', 'in', targetIds)
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
    async forget(ex, referrer) {
      await ex
        .deleteFrom('references')
        .where('target_kind', '=', targetKind)
        .where('referrer_kind', '=', referrer.kind)
        .where('referrer_id', '=', referrer.id)
        .execute();
    },
  };
}

/** `run r1, deployment d2, …` for messages: at most `max` referrers, then an ellipsis. */
export function describeReferrers(uses: Referrer[], max = 10): string {
  const shown = uses.slice(0, max).map((u) => `${u.kind} ${u.id}`);
  return uses.length > max ? `${shown.join(', ')}, …` : shown.join(', ');
}
