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
 * lanes and blocks of 64, 256 or 512 rows were no better. Each tree is then walked only to its
 * own depth (one unrolled walk function per depth; the single-row layout pads every tree to the
 * ensemble's): on the breast-cancer GBDT (trees of depth 2–6, mean 3.8) 0.42 → 0.28 µs a row.
 *
 * Memory layout (byte offsets, all chosen by createWasmBatch): from byte 16, per tree, a complete
 * tree of its own depth d: 2^d - 1 nodes of 16 bytes (f64 threshold, i32 8 × feature) then 2^d
 * f64 leaves; a table of three i32 per tree (its start - 16, 8 × its output index, d); the row
 * area (rows of nCols f64); the score area (rows of nRaw f64). Exported `walk(table, nTrees,
 * rowArea, scoreArea, cnt)`: for each tree in order and each of the first cnt rows, descends from
 * the root and adds the leaf to the row's score. Rows must have no missing value among the
 * features the trees read (the caller walks those).
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
  F64,
  F64_NE,
  I32_OR as OR,
  IF,
  RETURN,
  I32_EQ,
  CALL,
  wasm,
} from './wasm-asm.js';
import type { ImplicitTrees } from './implicit-trees.js';

// A depth-d walk function's parameters: tree base, output offset, row and score areas, row count;
// locals: row counter, the current group's row and score addresses, a node address, then one node
// index per lane.
const [TB, OB, XB, RB, CNT, R, XR, SR, A] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
const LANES = 8;
const iL = (k: number): number => 9 + k;
// The exported walk's parameters: tree table, tree count, row and score areas, row count; locals:
// tree counter, table pointer, the tree's depth, base and output offset.
const [TREES, NTREES, WXB, WRB, WCNT, T, P, DEPTH, WTB, WOB] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

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

/** walk_d: adds a depth-d tree's leaves to the scores of rows 0 .. CNT-1 (eight at a time). */
function depthWalkBody(depth: number, rowBytes: number, scoreBytes: number): number[] {
  const nInternal = (1 << depth) - 1;
  // prettier-ignore
  return [
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
  ];
}

/** walk: for each tree in order, the walk function of its own depth (functions 0 .. maxDepth). */
function walkBody(maxDepth: number): number[] {
  const dispatch: number[] = [];
  for (let d = 0; d <= maxDepth; d++) {
    // prettier-ignore
    dispatch.push(
      ...get(DEPTH), ...constI32(d), I32_EQ, ...IF,
      ...get(WTB), ...get(WOB), ...get(WXB), ...get(WRB), ...get(WCNT), CALL, ...u32(d),
      END,
    );
  }
  // prettier-ignore
  return [
    ...constI32(0), ...set(T), ...get(TREES), ...set(P),
    ...BLOCK, ...LOOP,
    ...get(T), ...get(NTREES), GE_U, ...brIf(1),
    ...get(P), ...loadI32(0), ...set(WTB),
    ...get(P), ...loadI32(4), ...set(WOB),
    ...get(P), ...loadI32(8), ...set(DEPTH),
    ...dispatch,
    ...get(T), ...constI32(1), ADD, ...set(T),
    ...get(P), ...constI32(12), ADD, ...set(P), ...br(0),
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

function moduleBytes(maxDepth: number, rowBytes: number, scoreBytes: number, pages: number): Uint8Array {
  const depthWalks = Array.from({ length: maxDepth + 1 }, (_, d) => [
    ...vec([[...u32(4 + LANES), I32]]),
    ...depthWalkBody(d, rowBytes, scoreBytes),
    END,
  ]);
  const walk = [...vec([[...u32(5), I32]]), ...walkBody(maxDepth), END];
  const nan = nanBody();
  const fns = [...depthWalks, walk, nan];
  const walkIndex = maxDepth + 1;
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(
      1,
      vec([
        [0x60, ...vec(Array.from({ length: 5 }, () => [I32])), ...vec([])],
        [0x60, ...vec([[I32], [I32]]), ...vec([[I32]])],
      ]),
    ),
    ...section(2, vec([[...name('env'), ...name('mem'), 0x02, 0x00, ...u32(pages)]])),
    ...section(3, vec([...depthWalks.map(() => u32(0)), u32(0), u32(1)])),
    ...section(
      7,
      vec([
        [...name('walk'), 0x00, ...u32(walkIndex)],
        [...name('nan'), 0x00, ...u32(walkIndex + 1)],
      ]),
    ),
    ...section(10, vec(fns.map((f) => [...u32(f.length), ...f]))),
  ]);
}

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

/**
 * Each tree's own depth: one more than the deepest node with a finite threshold. Nodes below it
 * (the padding of shallower leaves, or a split at +∞) send every non-missing value left, so the
 * walk can stop there and take the leftmost leaf below.
 */
function treeDepths(m: ImplicitTrees): Int32Array {
  const NI = m.nInternal;
  const depths = new Int32Array(m.outputs.length);
  for (let t = 0; t < depths.length; t++)
    for (let i = 0; i < NI; i++)
      if (m.threshold[t * NI + i] !== Infinity) depths[t] = Math.max(depths[t]!, 32 - Math.clz32(i + 1));
  return depths;
}

/** Lays m out in a fresh wasm memory with room for `rows` rows of nCols values. */
export function createWasmBatch(m: ImplicitTrees, rows: number, nCols: number): WasmBatch {
  const D = m.depth;
  const NI = m.nInternal;
  const NL = NI + 1;
  const nTrees = m.outputs.length;
  const nRaw = m.base.length;
  const depths = treeDepths(m);
  // Trees from byte 16 (so a tree's base, its start - 16, is never negative), each a complete
  // tree of its own depth: 16-byte nodes, then its leaves.
  let at = 16;
  const starts = new Int32Array(nTrees);
  for (let t = 0; t < nTrees; t++) {
    starts[t] = at;
    at += 16 * ((1 << depths[t]!) - 1) + 8 * (1 << depths[t]!);
  }
  const table = at;
  const xBytes = table + 12 * nTrees + ((12 * nTrees) % 8);
  const rawBytes = xBytes + 8 * rows * nCols;
  const total = rawBytes + 8 * rows * nRaw;
  const pages = Math.ceil(total / 65536) + 1;
  const mem = new wasm.Memory({ initial: pages });
  const f64 = new Float64Array(mem.buffer);
  const i32 = new Int32Array(mem.buffer);
  for (let t = 0; t < nTrees; t++) {
    const d = depths[t]!;
    const ni = (1 << d) - 1;
    const tb = starts[t]! / 8;
    for (let i = 0; i < ni; i++) {
      f64[tb + 2 * i] = m.threshold[t * NI + i]!;
      i32[2 * (tb + 2 * i) + 2] = 8 * m.feature[t * NI + i]!;
    }
    // Leaf j of the depth-d tree is node ni + j; its value is the padded tree's leftmost leaf below.
    for (let j = 0; j <= ni; j++)
      f64[tb + 2 * ni + j] = m.leaf[t * NL + (ni + j + 1) * (1 << (D - d)) - 1 - NI]!;
    i32.set([starts[t]! - 16, 8 * m.outputs[t]!, d], table / 4 + 3 * t);
  }
  let maxDepth = 0;
  for (const d of depths) maxDepth = Math.max(maxDepth, d);
  const bytes = moduleBytes(maxDepth, 8 * nCols, 8 * nRaw, pages);
  const { exports } = new wasm.Instance(new wasm.Module(bytes), { env: { mem } });
  const kernel = exports.walk as (a: number, b: number, c: number, d: number, e: number) => void;
  const nan = exports.nan as (from: number, to: number) => number;
  return {
    f64,
    xBase: xBytes / 8,
    rawBase: rawBytes / 8,
    walk: (cnt) => kernel(table, nTrees, xBytes, rawBytes, cnt),
    hasNaN: (n) => nan(xBytes, xBytes + 8 * n) !== 0,
  };
}
