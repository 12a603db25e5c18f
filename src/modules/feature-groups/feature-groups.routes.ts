import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../index.js';

export const featureGroupsRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async () => {};
