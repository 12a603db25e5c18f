import type { CompatSurface } from '../index.js';

export const oranFeatureGroupRoutes: CompatSurface = async () => {};
