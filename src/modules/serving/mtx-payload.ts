/**
 * Matrix Market → Table (dense columns; absent coordinate entries are 0, as in a sparse frame).
 * Supports `matrix coordinate|array`, `real|integer|pattern`, `general|symmetric|skew-symmetric`.
 */
import { invalid } from '../../errors.js';
import type { Table } from './serving.types.js';

const bad = (msg: string) => invalid(`malformed Matrix Market payload: ${msg}`, { reason: 'mtx_malformed' });

/** `colnames` (from the multipart field X.colnames) names the columns, one per line. */
export function parseMtx(body: Uint8Array, colnames?: string[]): Table {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  const lines = text.split(/\r?\n/);
  const banner = (lines[0] ?? '').trim().toLowerCase().split(/\s+/);
  if (banner[0] !== '%%matrixmarket' || banner[1] !== 'matrix')
    throw bad('the first line must be "%%MatrixMarket matrix …"');
  const layout = banner[2];
  const field = banner[3];
  const symmetry = banner[4] ?? 'general';
  if (layout !== 'coordinate' && layout !== 'array') throw bad(`unknown layout '${layout}'`);
  if (!['real', 'integer', 'pattern', 'double'].includes(field ?? ''))
    throw bad(`unsupported field '${field}'`);
  if (!['general', 'symmetric', 'skew-symmetric'].includes(symmetry))
    throw bad(`unsupported symmetry '${symmetry}'`);
  let li = 1;
  while (li < lines.length && (lines[li]!.startsWith('%') || lines[li]!.trim() === '')) li++;
  const size = (lines[li++] ?? '').trim().split(/\s+/).map(Number);
  const [nRows, nCols] = size;
  if (!Number.isInteger(nRows) || !Number.isInteger(nCols) || nRows! < 0 || nCols! < 1)
    throw bad('the size line must give rows and columns');
  const cols = Array.from({ length: nCols! }, () => new Float64Array(nRows!));
  const data = lines.slice(li).filter((l) => l.trim() !== '' && !l.startsWith('%'));
  if (layout === 'coordinate') {
    const nnz = size[2];
    if (!Number.isInteger(nnz)) throw bad('the size line of a coordinate matrix must give the entry count');
    if (data.length !== nnz) throw bad(`expected ${nnz} entries, found ${data.length}`);
    for (const l of data) {
      const p = l.trim().split(/\s+/);
      const i = Number(p[0]) - 1;
      const j = Number(p[1]) - 1;
      const v = field === 'pattern' ? 1 : Number(p[2]);
      if (!(i >= 0 && i < nRows! && j >= 0 && j < nCols!) || Number.isNaN(v)) throw bad(`bad entry '${l}'`);
      cols[j]![i] = v;
      if (symmetry !== 'general' && i !== j && j < nRows! && i < nCols!)
        cols[i]![j] = symmetry === 'symmetric' ? v : -v;
    }
  } else {
    if (data.length !== nRows! * nCols!)
      throw bad(`expected ${nRows! * nCols!} values, found ${data.length}`);
    data.forEach((l, idx) => {
      const v = Number(l.trim());
      if (Number.isNaN(v)) throw bad(`bad value '${l}'`);
      cols[Math.floor(idx / nRows!)]![idx % nRows!] = v;
    });
  }
  if (colnames && colnames.length !== nCols)
    throw invalid(`X.colnames gives ${colnames.length} names for ${nCols} columns`, {
      reason: 'column_count',
    });
  if (nRows === 0) throw invalid('the payload has no rows', { reason: 'no_rows' });
  return { nRows: nRows!, names: colnames ?? null, columns: cols };
}
