/**
 * The batch tree walk as a WebAssembly kernel assembled per model (opcodes in wasm-asm.ts; see
 * docs/decisions/0003-wasm-kernels-for-gbdt.md). Plain JS pays a bounds check on each of the three
 * loads of a descent step; here a step is two loads from one 16-byte node and one load of the
 * row's value, with the depth unrolled (it is a constant of the model) and eight rows walking
 * the same tree in lockstep. Measured (bench/learn/predict-batch.ts, CPU µs a row, 100 depth-6
 * trees): row predictor 1.03; the same tree-major loop in plain JS 0.93; this kernel with 4 rows
 * 0.61, 8 rows 0.48, 12 or 16 rows 0.50. Hoisting the root's loads out of the row loop did not help.
 *
 * Memory layout (byte offsets, all chosen by createWasmBatch): per tree, nInternal nodes of 16
 * bytes (f64 threshold, i32 8 × feature) then 2^depth f64 leaves; an i32 per tree with 8 × its
 * output index. Exported `walk(nodes, outs, nTrees, xoffs, roffs, cnt)`: for each tree t in
 * order and each of the cnt rows r, descends i = 2i + 1 + (x[f] > threshold) from the root, with
 * x the row at byte address xoffs[r] (i32), and adds the leaf to the f64 at roffs[r] + outs[t].
 * Rows must have no missing value among the features the trees read (the caller walks those).
 */
import {
  u32,
  vec,
  section,
  name,
  I32,
  get,
  set,
  tee,
  constI32,
  ADD,
  SHL,
  GE_U,
  GT_U,
  loadI32,
  loadF64,
  storeF64,
  F64_GT,
  F64_ADD,
  BLOCK,
  LOOP,
  END,
  br,
  brIf,
} from './wasm-asm.js';
import type { ImplicitTrees } from './implicit-trees.js';

const [NODES, OUTS, NTREES, XOFFS, ROFFS, CNT] = [0, 1, 2, 3, 4, 5];
// Locals: tree counter, tree base address, output offset, row counter, then per lane x, i, addr.
const [T, TB, OB, R] = [6, 7, 8, 9];
const LANES = 8;
const xL = (k: number): number => 10 + 3 * k;
const iL = (k: number): number => 11 + 3 * k;
const aL = (k: number): number => 12 + 3 * k;

/** Walks the current tree for rows R .. R+lanes-1. */
function lanes(n: number, depth: number, nInternal: number): number[] {
  const code: number[] = [];
  for (let k = 0; k < n; k++) {
    // prettier-ignore
    code.push(...get(XOFFS), ...get(R), ...constI32(2), SHL, ADD, ...loadI32(4 * k), ...set(xL(k)),
      ...constI32(0), ...set(iL(k)));
  }
  for (let d = 0; d < depth; d++) {
    for (let k = 0; k < n; k++) {
      // prettier-ignore
      code.push(
        ...get(TB), ...get(iL(k)), ...constI32(4), SHL, ADD, ...tee(aL(k)),
        ...loadI32(8), ...get(xL(k)), ADD, ...loadF64(0),
        ...get(aL(k)), ...loadF64(0), F64_GT,
        ...get(iL(k)), ...constI32(1), SHL, ADD, ...constI32(1), ADD, ...set(iL(k)),
      );
    }
  }
  for (let k = 0; k < n; k++) {
    // prettier-ignore
    code.push(
      ...get(ROFFS), ...get(R), ...constI32(2), SHL, ADD, ...loadI32(4 * k), ...get(OB), ADD, ...tee(aL(k)),
      ...get(aL(k)), ...loadF64(0),
      ...get(TB), ...get(iL(k)), ...constI32(3), SHL, ADD, ...loadF64(8 * nInternal),
      F64_ADD, ...storeF64(0),
    );
  }
  return code;
}

function walkBody(depth: number, nInternal: number): number[] {
  const treeBytes = 16 * nInternal + 8 * (nInternal + 1);
  // prettier-ignore
  return [
    ...constI32(0), ...set(T), ...get(NODES), ...set(TB),
    ...BLOCK, ...LOOP,
    ...get(T), ...get(NTREES), GE_U, ...brIf(1),
    ...get(OUTS), ...get(T), ...constI32(2), SHL, ADD, ...loadI32(0), ...set(OB),
    ...constI32(0), ...set(R),
    ...BLOCK, ...LOOP,
    ...get(R), ...constI32(LANES), ADD, ...get(CNT), GT_U, ...brIf(1),
    ...lanes(LANES, depth, nInternal),
    ...get(R), ...constI32(LANES), ADD, ...set(R), ...br(0),
    END, END,
    ...BLOCK, ...LOOP,
    ...get(R), ...get(CNT), GE_U, ...brIf(1),
    ...lanes(1, depth, nInternal),
    ...get(R), ...constI32(1), ADD, ...set(R), ...br(0),
    END, END,
    ...get(T), ...constI32(1), ADD, ...set(T),
    ...get(TB), ...constI32(treeBytes), ADD, ...set(TB), ...br(0),
    END, END,
  ];
}

function moduleBytes(depth: number, nInternal: number, pages: number): Uint8Array {
  const body = [...vec([[...u32(4 + 3 * LANES), I32]]), ...walkBody(depth, nInternal), END];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, ...vec(Array.from({ length: 6 }, () => [I32])), ...vec([])]])),
    ...section(2, vec([[...name('env'), ...name('mem'), 0x02, 0x00, ...u32(pages)]])),
    ...section(3, vec([u32(0)])),
    ...section(7, vec([[...name('walk'), 0x00, 0]])),
    ...section(10, vec([[...u32(body.length), ...body]])),
  ]);
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (d: { initial: number }) => { buffer: ArrayBuffer };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The trees in wasm memory, views on the row and score areas, and the kernel. */
export interface WasmBatch {
  /** Row area: `rows` rows of nCols f64 from f64 index xBase. */
  f64: Float64Array;
  i32: Int32Array;
  xBase: number;
  /** Score area: rows × nRaw f64 from f64 index rawBase. */
  rawBase: number;
  /** Byte offsets of the per-row offset lists (i32 index = byte / 4). */
  xoffs: number;
  roffs: number;
  /** Walks cnt rows (listed at xoffs/roffs) through every tree. */
  walk(cnt: number): void;
}

/** Lays m out in a fresh wasm memory with room for `rows` rows of nCols values. */
export function createWasmBatch(m: ImplicitTrees, rows: number, nCols: number): WasmBatch {
  const NI = m.nInternal;
  const NL = NI + 1;
  const nTrees = m.outputs.length;
  const treeBytes = 16 * NI + 8 * NL;
  const outs = nTrees * treeBytes;
  const xoffs = outs + 4 * nTrees + ((4 * nTrees) % 8);
  const roffs = xoffs + 4 * rows;
  const xBytes = roffs + 4 * rows;
  const rawBytes = xBytes + 8 * rows * nCols;
  const total = rawBytes + 8 * rows * m.base.length;
  const pages = Math.ceil(total / 65536) + 1;
  const mem = new wasm.Memory({ initial: pages });
  const f64 = new Float64Array(mem.buffer);
  const i32 = new Int32Array(mem.buffer);
  for (let t = 0; t < nTrees; t++) {
    const tb = (t * treeBytes) / 8;
    for (let i = 0; i < NI; i++) {
      f64[tb + 2 * i] = m.threshold[t * NI + i]!;
      i32[2 * (tb + 2 * i) + 2] = 8 * m.feature[t * NI + i]!;
    }
    for (let j = 0; j < NL; j++) f64[tb + 2 * NI + j] = m.leaf[t * NL + j]!;
    i32[outs / 4 + t] = 8 * m.outputs[t]!;
  }
  const { exports } = new wasm.Instance(new wasm.Module(moduleBytes(m.depth, NI, pages)), { env: { mem } });
  const kernel = exports.walk as (a: number, b: number, c: number, d: number, e: number, f: number) => void;
  return {
    f64,
    i32,
    xBase: xBytes / 8,
    rawBase: rawBytes / 8,
    xoffs,
    roffs,
    walk: (cnt) => kernel(0, outs, nTrees, xoffs, roffs, cnt),
  };
}
