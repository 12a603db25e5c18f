import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { AppError, notFound } from '../../errors.js';
import { nowIso, type Db } from '../../infra/db/kysely.js';

export const ROLES = ['viewer', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { viewer: 1, editor: 2, admin: 3 };

/** True when `have` may do what needs `need`. */
export function roleAllows(have: Role, need: Role): boolean {
  return RANK[have] >= RANK[need];
}

export interface TokenView {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface Principal {
  tokenId: string | null;
  name: string;
  role: Role;
}

const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

/** How long the "are there any tokens?" answer is trusted (tokens may be created by another process). */
const COUNT_TTL_MS = 1000;

export function createTokensService(deps: { db: Db }) {
  const { db } = deps;
  let cachedCount: { value: number; at: number } | null = null;

  async function create(input: { name: string; role: string }): Promise<TokenView & { token: string }> {
    if (!(ROLES as readonly string[]).includes(input.role)) {
      throw new AppError('invalid', `role must be one of ${ROLES.join(', ')} (got '${input.role}')`, {
        errors: [{ field: 'role', message: `must be one of ${ROLES.join(', ')}` }],
      });
    }
    const name = input.name.trim();
    if (name === '' || name.length > 100) {
      throw new AppError('invalid', 'name must be 1 to 100 characters', {
        errors: [{ field: 'name', message: '1 to 100 characters' }],
      });
    }
    const secret = `my_${randomBytes(24).toString('base64url')}`;
    const row = {
      id: randomUUID(),
      name,
      role: input.role as Role,
      token_hash: hashSecret(secret),
      token_prefix: secret.slice(0, 7),
      created_at: nowIso(),
      last_used_at: null,
      revoked_at: null,
    };
    await db.insertInto('api_tokens').values(row).execute();
    cachedCount = null;
    return { ...toView(row), token: secret };
  }

  async function list(): Promise<TokenView[]> {
    const rows = await db.selectFrom('api_tokens').selectAll().orderBy('created_at').execute();
    return rows.map(toView);
  }

  async function revoke(id: string): Promise<void> {
    const r = await db
      .updateTable('api_tokens')
      .set({ revoked_at: nowIso() })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw notFound('token', id);
    cachedCount = null;
  }

  /** The principal a secret stands for, or null when it is unknown or revoked. */
  async function verify(secret: string): Promise<Principal | null> {
    const row = await db
      .selectFrom('api_tokens')
      .select(['id', 'name', 'role'])
      .where('token_hash', '=', hashSecret(secret))
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (!row) return null;
    return { tokenId: row.id, name: row.name, role: row.role };
  }

  /** Number of live tokens, cached briefly: asked on every anonymous request. */
  async function activeCount(): Promise<number> {
    const now = Date.now();
    if (cachedCount && now - cachedCount.at < COUNT_TTL_MS) return cachedCount.value;
    const r = await db
      .selectFrom('api_tokens')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('revoked_at', 'is', null)
      .executeTakeFirstOrThrow();
    cachedCount = { value: Number(r.n), at: now };
    return cachedCount.value;
  }

  return { create, list, revoke, verify, activeCount };
}

export type TokensService = ReturnType<typeof createTokensService>;

function toView(r: {
  id: string;
  name: string;
  role: Role;
  token_prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}): TokenView {
  return {
    id: r.id,
    name: r.name,
    role: r.role,
    prefix: r.token_prefix,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  };
}
