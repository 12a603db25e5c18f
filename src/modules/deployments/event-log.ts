/**
 * What happened to each deployment (loads, swaps, alias moves, failures), kept in the database so
 * it survives a restart and is the same for every server process: the last 500 per deployment.
 * Writes on one deployment are serialised in this process; a concurrent writer in another process
 * that takes the same sequence number loses the insert and retries with the next one.
 */
import type { Deps } from '../../deps.js';
import { isUniqueViolation } from '../../infra/db/kysely.js';
import type { Db } from '../../infra/db/kysely.js';

export interface DeploymentEvent {
  at: string;
  level: 'info' | 'warn' | 'error';
  message: string;
}

/** Events kept per deployment; older ones are pruned as new ones arrive. */
export const EVENTS_KEPT = 500;

export function createEventLog(db: Db, logger: Deps['logger']) {
  const chains = new Map<string, Promise<void>>();

  async function insert(name: string, level: DeploymentEvent['level'], message: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const top = await db
        .selectFrom('deployment_events')
        .select((eb) => eb.fn.max('seq').as('seq'))
        .where('deployment_name', '=', name)
        .executeTakeFirst();
      const seq = Number(top?.seq ?? 0) + 1;
      try {
        await db
          .insertInto('deployment_events')
          .values({ deployment_name: name, seq, at: new Date().toISOString(), level, message })
          .execute();
      } catch (e) {
        if (isUniqueViolation(e) && attempt < 5) continue;
        throw e;
      }
      if (seq > EVENTS_KEPT)
        await db
          .deleteFrom('deployment_events')
          .where('deployment_name', '=', name)
          .where('seq', '<=', seq - EVENTS_KEPT)
          .execute();
      return;
    }
  }

  return {
    /** Appends an event; a failed write is logged, never thrown: it must not fail the operation. */
    add(name: string, level: DeploymentEvent['level'], message: string): Promise<void> {
      const prev = chains.get(name) ?? Promise.resolve();
      const next = prev.then(() =>
        insert(name, level, message).catch((e: unknown) =>
          logger.warn({ err: e, deployment: name }, 'deployment event not recorded'),
        ),
      );
      chains.set(name, next);
      void next.then(() => {
        if (chains.get(name) === next) chains.delete(name);
      });
      return next;
    },
    /** Events of a deployment, oldest first; `limit` keeps the newest ones. */
    async list(name: string, limit = EVENTS_KEPT): Promise<DeploymentEvent[]> {
      await chains.get(name);
      const rows = await db
        .selectFrom('deployment_events')
        .select(['at', 'level', 'message'])
        .where('deployment_name', '=', name)
        .orderBy('seq', 'desc')
        .limit(limit)
        .execute();
      return rows.reverse().map((r) => ({ ...r, level: r.level as DeploymentEvent['level'] }));
    },
    async drop(name: string): Promise<void> {
      await chains.get(name);
      await db.deleteFrom('deployment_events').where('deployment_name', '=', name).execute();
    },
  };
}

export type EventLog = ReturnType<typeof createEventLog>;
