import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { StringEnum } from '../../http/schemas.js';
import type { Services } from '../index.js';
import { ROLES } from './tokens.service.js';

const TokenView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: StringEnum(ROLES),
  prefix: Type.String({ description: 'First characters of the secret' }),
  createdAt: Type.String(),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
});

/** API tokens: admin only. The secret is returned once, at creation. */
export const tokensRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { tokens } = services;
  app.get(
    '/tokens',
    {
      config: { role: 'admin' },
      schema: { tags: ['tokens'], response: { 200: Type.Object({ items: Type.Array(TokenView) }) } },
    },
    async () => ({ items: await tokens.list() }),
  );
  app.post(
    '/tokens',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['tokens'],
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 100 }), role: StringEnum(ROLES) },
          { additionalProperties: false },
        ),
        response: { 201: Type.Intersect([TokenView, Type.Object({ token: Type.String() })]) },
      },
    },
    async (req, reply) => {
      void reply.status(201);
      return tokens.create(req.body);
    },
  );
  app.delete(
    '/tokens/:id',
    { config: { role: 'admin' }, schema: { tags: ['tokens'], params: Type.Object({ id: Type.String() }) } },
    async (req, reply) => {
      await tokens.revoke(req.params.id);
      void reply.status(204);
    },
  );
};
