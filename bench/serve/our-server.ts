// Our prediction server for the benchmark, in its own process: `tsx our-server.ts MODEL PORT`.
import { createPredictionServer } from '../../src/modules/serving/prediction-server.js';

const [model, port] = process.argv.slice(2);
const server = await createPredictionServer({ model: model!, serverVersion: 'bench' });
await server.listen(Number(port));
process.stdout.write('ready\n');
