/**
 * The batch tree walk as a WebAssembly kernel assembled per model (opcodes in wasm-asm.ts; see
 * docs/decisions/0003-wasm-kernels-for-gbdt.md). Plain JS pays a bounds check on each of the three
 * loads of a descent step; here a step is two loads from one 16-byte node and one load of the
 * row's value, with the depth unrolled (it is a constant of the model) and eight rows walking
 * the same tree in lockstep. Measured (bench/learn/predict-batch.ts, CPU µs a row, 100 depth-6
 * trees): row predictor 1.03; the same tree-major loop in plain JS 0.93; this kernel with 4 rows
 * 0.61, 8 rows 0.48, 12 or 16 rows 0.50. Hoisting the root's loads out of the row loop did not help.
 * Rows at fixed strides (no per-row address lists, one register per lane instead of three) and
 * 1-based node indices (i = 2i + c) then took the walk ~15% lower (A/B, 1000 rows); 6, 12 or 16
 * lanes and blocks of 64, 256 or 512 rows were no better.
 *
 * Memory layout (byte offsets, all chosen by createWasmBatch): from byte 16, per tree, nInternal
 * nodes of 16 bytes (f64 threshold, i32 8 × feature) then 2^depth f64 leaves; an i32 per tree
 * with 8 × its output index; the row area (rows of nCols f64); the score area (rows of nRaw f64).
 * Exported `walk(nodes, outs, nTrees, rowArea, scoreArea, cnt)`: for each tree t in order and
 * each of the first cnt rows, descends from the root and adds the leaf to the row's score
 * outs[t]. Rows must have no missing value among the features the trees read (the caller walks
 * those).
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
  SUB,
  MUL,
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

const F64 = 0x7c;
const F64_NE = 0x62;
const OR = 0x72;
const IF = [0x04, 0x40];
const RETURN = 0x0f;

const [NODES, OUTS, NTREES, XB, RB, CNT] = [0, 1, 2, 3, 4, 5];
// Locals: tree counter, tree base address, output offset, row counter, the current group's row
// and score addresses, a node address, then one node index per lane.
const [T, TB, OB, R, XR, SR, A] = [6, 7, 8, 9, 10, 11, 12];
const LANES = 8;
const iL = (k: number): number => 13 + k;

/**
 * Walks the current tree for rows R .. R+n-1. Node indices are 1-based (children 2i and 2i + 1,
 * node i at TB + 16i) so a step is i = 2i + (x > threshold); lane k's row is at XR + k × rowBytes
 * and its score at SR + k × scoreBytes, both constant offsets: one live register per lane.
 */
function lanes(n: number, depth: number, nInternal: number, rowBytes: number, scoreBytes: number): number[] {
  const code: number[] = [];
  // The first step reads the root (node 1, at TB + 16) for every lane: i = 2 + (x > threshold).
  for (let k = 0; k < n; k++) {
    // prettier-ignore
    const first = depth === 0 ? constI32(1) : [
      ...get(TB), ...loadI32(24), ...get(XR), ADD, ...loadF64(k * rowBytes),
      ...get(TB), ...loadF64(16), F64_GT, ...constI32(2), ADD,
    ];
    code.push(...first, ...set(iL(k)));
  }
  for (let d = 1; d < depth; d++) {
    for (let k = 0; k < n; k++) {
      // prettier-ignore
      code.push(
        ...get(TB), ...get(iL(k)), ...constI32(4), SHL, ADD, ...tee(A),
        ...loadI32(8), ...get(XR), ADD, ...loadF64(k * rowBytes),
        ...get(A), ...loadF64(0), F64_GT,
        ...get(iL(k)), ...constI32(1), SHL, ADD, ...set(iL(k)),
      );
    }
  }
  // Leaf j = i - 2^depth sits after the nodes: TB + 16 + 16 × nInternal + 8j = TB + 8i + 8(nInternal + 1).
  for (let k = 0; k < n; k++) {
    // prettier-ignore
    code.push(
      ...get(SR), ...get(SR), ...loadF64(k * scoreBytes),
      ...get(TB), ...get(iL(k)), ...constI32(3), SHL, ADD, ...loadF64(8 * nInternal + 8),
      F64_ADD, ...storeF64(k * scoreBytes),
    );
  }
  return code;
}

/** Points XR and SR at row R's values and score (output OB). */
function groupBase(rowBytes: number, scoreBytes: number): number[] {
  // prettier-ignore
  return [
    ...get(XB), ...get(R), ...constI32(rowBytes), MUL, ADD, ...set(XR),
    ...get(RB), ...get(R), ...constI32(scoreBytes), MUL, ADD, ...get(OB), ADD, ...set(SR),
  ];
}

function walkBody(depth: number, nInternal: number, rowBytes: number, scoreBytes: number): number[] {
  const treeBytes = 16 * nInternal + 8 * (nInternal + 1);
  // prettier-ignore
  return [
    ...constI32(0), ...set(T), ...get(NODES), ...constI32(16), SUB, ...set(TB),
    ...BLOCK, ...LOOP,
    ...get(T), ...get(NTREES), GE_U, ...brIf(1),
    ...get(OUTS), ...get(T), ...constI32(2), SHL, ADD, ...loadI32(0), ...set(OB),
    ...constI32(0), ...set(R),
    ...BLOCK, ...LOOP,
    ...get(R), ...constI32(LANES), ADD, ...get(CNT), GT_U, ...brIf(1),
    ...groupBase(rowBytes, scoreBytes),
    ...lanes(LANES, depth, nInternal, rowBytes, scoreBytes),
    ...get(R), ...constI32(LANES), ADD, ...set(R), ...br(0),
    END, END,
    ...BLOCK, ...LOOP,
    ...get(R), ...get(CNT), GE_U, ...brIf(1),
    ...groupBase(rowBytes, scoreBytes),
    ...lanes(1, depth, nInternal, rowBytes, scoreBytes),
    ...get(R), ...constI32(1), ADD, ...set(R), ...br(0),
    END, END,
    ...get(T), ...constI32(1), ADD, ...set(T),
    ...get(TB), ...constI32(treeBytes), ADD, ...set(TB), ...br(0),
    END, END,
  ];
}

/**
 * `nan(from, to)`: 1 when an f64 in bytes [from, to) is NaN, else 0; four values an iteration
 * (the JS loop over a block's values cost ~1.7x as much).
 */
function nanBody(): number[] {
  const [FROM, TO, V] = [0, 1, 2];
  const isNaN = (offset: number): number[] => [
    ...get(FROM),
    ...loadF64(offset),
    ...tee(V),
    ...get(V),
    F64_NE,
  ];
  // prettier-ignore
  return [
    ...vec([[1, F64]]),
    ...BLOCK, ...LOOP,
    ...get(FROM), ...constI32(32), ADD, ...get(TO), GT_U, ...brIf(1),
    ...isNaN(0), ...isNaN(8), OR, ...isNaN(16), OR, ...isNaN(24), OR, ...IF, ...constI32(1), RETURN, END,
    ...get(FROM), ...constI32(32), ADD, ...set(FROM), ...br(0),
    END, END,
    ...BLOCK, ...LOOP,
    ...get(FROM), ...get(TO), GE_U, ...brIf(1),
    ...isNaN(0), ...IF, ...constI32(1), RETURN, END,
    ...get(FROM), ...constI32(8), ADD, ...set(FROM), ...br(0),
    END, END,
    ...constI32(0), END,
  ];
}

function moduleBytes(
  depth: number,
  nInternal: number,
  rowBytes: number,
  scoreBytes: number,
  pages: number,
): Uint8Array {
  const walk = [...vec([[...u32(7 + LANES), I32]]), ...walkBody(depth, nInternal, rowBytes, scoreBytes), END];
  const nan = nanBody();
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(
      1,
      vec([
        [0x60, ...vec(Array.from({ length: 6 }, () => [I32])), ...vec([])],
        [0x60, ...vec([[I32], [I32]]), ...vec([[I32]])],
      ]),
    ),
    ...section(2, vec([[...name('env'), ...name('mem'), 0x02, 0x00, ...u32(pages)]])),
    ...section(3, vec([u32(0), u32(1)])),
    ...section(
      7,
      vec([
        [...name('walk'), 0x00, 0],
        [...name('nan'), 0x00, 1],
      ]),
    ),
    ...section(
      10,
      vec([
        [...u32(walk.length), ...walk],
        [...u32(nan.length), ...nan],
      ]),
    ),
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
  f64: Float64Array;
  /** Row area: row c (c < rows) is nCols f64 from f64 index xBase + c × nCols. */
  xBase: number;
  /** Score area: row c's nRaw f64 from f64 index rawBase + c × nRaw. */
  rawBase: number;
  /** Adds every tree's leaf to the scores of rows 0 .. cnt-1 of the row area. */
  walk(cnt: number): void;
  /** Whether one of the first n values of the row area is NaN. */
  hasNaN(n: number): boolean;
}

/** Lays m out in a fresh wasm memory with room for `rows` rows of nCols values. */
export function createWasmBatch(m: ImplicitTrees, rows: number, nCols: number): WasmBatch {
  const NI = m.nInternal;
  const NL = NI + 1;
  const nTrees = m.outputs.length;
  const nRaw = m.base.length;
  const treeBytes = 16 * NI + 8 * NL;
  // Trees from byte 16, so that the kernel's TB (tree start - 16) is never negative.
  const nodes = 16;
  const outs = nodes + nTrees * treeBytes;
  const xBytes = outs + 4 * nTrees + ((4 * nTrees) % 8);
  const rawBytes = xBytes + 8 * rows * nCols;
  const total = rawBytes + 8 * rows * nRaw;
  const pages = Math.ceil(total / 65536) + 1;
  const mem = new wasm.Memory({ initial: pages });
  const f64 = new Float64Array(mem.buffer);
  const i32 = new Int32Array(mem.buffer);
  for (let t = 0; t < nTrees; t++) {
    const tb = (nodes + t * treeBytes) / 8;
    for (let i = 0; i < NI; i++) {
      f64[tb + 2 * i] = m.threshold[t * NI + i]!;
      i32[2 * (tb + 2 * i) + 2] = 8 * m.feature[t * NI + i]!;
    }
    for (let j = 0; j < NL; j++) f64[tb + 2 * NI + j] = m.leaf[t * NL + j]!;
    i32[outs / 4 + t] = 8 * m.outputs[t]!;
  }
  const bytes = moduleBytes(m.depth, NI, 8 * nCols, 8 * nRaw, pages);
  const { exports } = new wasm.Instance(new wasm.Module(bytes), { env: { mem } });
  const kernel = exports.walk as (a: number, b: number, c: number, d: number, e: number, f: number) => void;
  const nan = exports.nan as (from: number, to: number) => number;
  return {
    f64,
    xBase: xBytes / 8,
    rawBase: rawBytes / 8,
    walk: (cnt) => kernel(nodes, outs, nTrees, xBytes, rawBytes, cnt),
    hasNaN: (n) => nan(xBytes, xBytes + 8 * n) !== 0,
  };
}
