/**
 * The product version, read from package.json at build time (esbuild inlines the JSON; tsx reads
 * it), so `--version`, /healthz, the OpenAPI page and X-Drum-Version all say the released version.
 */
import pkg from '../package.json' with { type: 'json' };

export const VERSION: string = pkg.version;
