import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../index.js';

export const datasetsRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async () => {};
