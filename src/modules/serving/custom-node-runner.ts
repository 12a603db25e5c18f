/**
 * Source of the child process that hosts a `custom.mjs` (run as `node --input-type=module -e`, so
 * it works from both the TypeScript sources and the bundle). Same JSON-lines protocol as
 * clients/python/drum_custom_runner.py; data frames travel as {columns, rows}.
 */
export const NODE_RUNNER_SOURCE = String.raw`
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
const out = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr);
console.log = console.error;
const send = (o) => out(JSON.stringify(o) + '\n');
const codeDir = process.argv[1];
const path = join(codeDir, 'custom.mjs');
let mod, model;
try {
  mod = await import(pathToFileURL(path).href);
  if (mod.init) await mod.init({ codeDir });
  model = mod.load_model ? await mod.load_model(codeDir) : null;
} catch (e) {
  send({ id: 0, ok: false, error: 'Failed loading hooks from [' + path + '] : ' + (e && e.message ? e.message : String(e)) });
  process.exit(0);
}
send({ id: 0, ok: true, hooks: ['load_model', 'score', 'score_unstructured', 'transform'].filter((h) => typeof mod[h] === 'function') });
const frame = (r) => {
  if (r && Array.isArray(r.columns) && Array.isArray(r.rows)) return { columns: r.columns.map(String), data: r.rows };
  const rows = Array.from(r, (v) => (Array.isArray(v) ? v : [v]));
  const w = rows.length ? rows[0].length : 1;
  return { columns: w === 1 ? ['Predictions'] : rows[0].map((_, i) => String(i)), data: rows };
};
for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const req = JSON.parse(line);
  try {
    if (req.op === 'score') {
      if (!mod.score) throw new Error('custom.mjs has no score hook');
      send({ id: req.id, ok: true, ...frame(await mod.score(req.table, model)) });
    } else if (req.op === 'transform') {
      if (!mod.transform) throw new Error('custom.mjs has no transform hook');
      const f = frame(await mod.transform(req.table, model));
      send({ id: req.id, ok: true, table: { columns: f.columns, rows: f.data } });
    } else if (req.op === 'unstructured') {
      if (!mod.score_unstructured) throw new Error('custom.mjs has no score_unstructured hook');
      const data = req.base64 ? Buffer.from(req.data, 'base64') : req.data;
      let r = await mod.score_unstructured(model, data, { mimetype: req.mimetype, charset: req.charset, query: req.query, headers: req.headers });
      let extra = {};
      if (r && typeof r === 'object' && !(r instanceof Uint8Array) && 'data' in r) { extra = r; r = r.data; }
      const bin = r instanceof Uint8Array;
      send({ id: req.id, ok: true, data: bin ? Buffer.from(r).toString('base64') : String(r ?? ''), base64: bin,
        ...(extra.mimetype ? { mimetype: extra.mimetype } : {}), ...(extra.charset ? { charset: extra.charset } : {}) });
    } else send({ id: req.id, ok: false, error: 'unknown op ' + req.op });
  } catch (e) {
    send({ id: req.id, ok: false, error: e && e.message ? e.message : String(e) });
  }
}
`;
