/** A server process for the restart-safety test: starts on the environment's config and prints its URL. */
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/main.js';

const server = await startServer(loadConfig({ port: 0, logLevel: 'silent' }));
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
