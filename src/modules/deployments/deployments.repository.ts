/** Rows of the `deployments` table; the service owns every rule. */
import { randomBytes } from 'node:crypto';
import type { Selectable, Updateable } from 'kysely';
import type { Db } from '../../infra/db/kysely.js';
import type { DeploymentsTable } from '../../infra/db/schema.js';

export type DeploymentRow = Selectable<DeploymentsTable>;

export const newDeploymentId = () => randomBytes(16).toString('hex');

export function createDeploymentsRepository(db: Db) {
  return {
    async byName(name: string): Promise<DeploymentRow | undefined> {
      return db.selectFrom('deployments').selectAll().where('name', '=', name).executeTakeFirst();
    },
    async list(): Promise<DeploymentRow[]> {
      return db.selectFrom('deployments').selectAll().orderBy('name').execute();
    },
    async insert(row: DeploymentRow): Promise<void> {
      await db.insertInto('deployments').values(row).execute();
    },
    async update(id: string, patch: Updateable<DeploymentsTable>): Promise<void> {
      await db.updateTable('deployments').set(patch).where('id', '=', id).execute();
    },
    async remove(id: string): Promise<void> {
      await db.deleteFrom('deployments').where('id', '=', id).execute();
    },
  };
}

export type DeploymentsRepository = ReturnType<typeof createDeploymentsRepository>;
