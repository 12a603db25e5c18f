/**
 * The binary log-loss gradient kernel of the GBDT workspace's WebAssembly module (hist-wasm.ts
 * assembles the module; this file holds the function body): fdlibm's exp in f64x2 lanes,
 * bit-identical to computeGradients' JS loop.
 */
import {
  u32,
  vec,
  I32,
  V128,
  get,
  set,
  tee,
  constI32,
  ADD,
  SHL,
  GE_U,
  GT_U,
  loadV128,
  storeV128,
  F64X2_ADD,
  F64X2_SUB,
  BLOCK,
  LOOP,
  END,
  br,
  brIf,
  constF64x2,
  constI64x2,
  LOAD64_SPLAT,
  shuffle,
  F64X2_LT,
  V128_AND,
  V128_ANDNOT,
  V128_OR,
  V128_BITSELECT,
  F64X2_TRUNC,
  F64X2_ABS,
  F64X2_NEG,
  F64X2_MUL,
  F64X2_DIV,
  F64X2_MIN,
  F64X2_MAX,
  I32X4_TRUNC_SAT_F64X2_S_ZERO,
  I64X2_EXTEND_LOW_I32X4_S,
  I64X2_SHL,
  I64X2_ADD,
} from './wasm-asm.js';

// fdlibm's exp (e_exp.c), which V8's Math.exp is: reduction constants and remez polynomial.
const LN2_HI = 6.9314718036912381649e-1; // 0x3fe62e42fee00000: k·LN2_HI is exact for |k| < 2^11
const LN2_LO = 1.90821492927058770002e-10;
const INV_LN2 = 1.442695040888963387;
const [P1, P2, P3, P4, P5] = [
  1.66666666666666019037e-1, -2.77777777770155933842e-3, 6.61375632143793436117e-5, -1.6533902205465251539e-6,
  4.13813679705723846039e-8,
];
/** fdlibm reduces (k ≠ 0) only from |x| ≥ 0x3fd62e43_00000000 (its test on the high word). */
const REDUCE_FROM = new Float64Array(new BigUint64Array([0x3fd62e4300000000n]).buffer)[0]!;
/** The clamp on −s: 2^k stays a normal f64 (|k| ≤ 1021) and exp(x) finite. */
const EXP_CLAMP = 708;

/**
 * Independent f64x2 chains (2 rows each) interleaved per step of binaryGradients. One row's work
 * is a long dependency chain (two divisions), so the CPU needs several in flight: 160k rows, one
 * thread, bench/learn/gradients.ts: 6.7 ns/row with 1 chain, 5.4 with 2, 4.9 with 4, 4.1 with 6,
 * 4.0 with 8 (JS loop 12.3). Constants in locals instead of v128.const: no difference.
 */
const CHAINS = 8;

/**
 * `binaryGradients(y, s, gh, start, end)`: per row, pr = 1 / (1 + exp(−s)), g = pr − y,
 * h = max(pr·(1 − pr), 1e-16), exactly as computeGradients writes them. exp is fdlibm's algorithm
 * step for step (V8's Math.exp is fdlibm, so the results are bit-identical to the JS loop for
 * s ≥ −708): x = clamp(−s, ±708); k = trunc(x/ln2 ± ½) (0 when |x| < ½ln2); hi = x − k·ln2_hi,
 * lo = k·ln2_lo, r = hi − lo; c = r − r²·P(r²); exp(r) = 1 − ((lo − r·c/(2 − c)) − hi) (1 + x when
 * |x| < 2^-28); times 2^k built from exponent bits. Below s = −708 the clamp gives pr = 3.3e-308
 * instead of JS's 0 or subnormal (g differs by < 4e-308, h is 1e-16 either way). Rows go in f64x2
 * lane pairs (CHAINS pairs per step, then leftover pairs one at a time); an odd last row runs the
 * same code on a splatted load and stores one (g, h) pair. Lanes are independent, so each row's
 * result does not depend on how rows are split between threads.
 */
/** The function body with its local declarations. */
export function binaryGradientsBody(): number[] {
  const [Y, S, GH, START_, END_] = [0, 1, 2, 3, 4];
  const I = 5;
  /** v128 locals of one f64x2 chain; a second chain (4 rows per step) uses the next 9. */
  interface Chain {
    X: number;
    KF: number;
    HI: number;
    LO: number;
    R: number;
    T: number;
    C: number;
    E: number;
    PR: number;
  }
  const chain = (at: number): Chain => {
    const [X, KF, HI, LO, R, T, C, E, PR] = Array.from({ length: 9 }, (_, j) => at + j) as [
      number, number, number, number, number, number, number, number, number,
    ]; // prettier-ignore
    return { X, KF, HI, LO, R, T, C, E, PR };
  };
  const c = constF64x2;
  const at = (base: number, shift: number): number[] => [
    ...get(base),
    ...get(I),
    ...constI32(shift),
    SHL,
    ADD,
  ];
  /**
   * The steps for rows i + row0, i + row0 + 1 on chain v (one row, splatted, when `one`). Two
   * chains' steps are interleaved so their dependency chains (two divisions each) overlap.
   */
  const steps = (v: Chain, row0: number, one: boolean): number[][] => {
    const load = one ? LOAD64_SPLAT : loadV128(8 * row0);
    const { X, KF, HI, LO, R, T, C, E, PR } = v;
    // prettier-ignore
    const out = [
      // x = clamp(−s, −708, 708)
      [...at(S, 3), ...load, ...F64X2_NEG, ...c(-EXP_CLAMP), ...F64X2_MAX, ...c(EXP_CLAMP), ...F64X2_MIN, ...set(X)],
      // k = trunc(x·(1/ln2) + copysign(½, x)), zeroed where |x| < REDUCE_FROM
      [...get(X), ...c(INV_LN2), ...F64X2_MUL, ...get(X), ...c(-0), ...V128_AND, ...c(0.5), ...V128_OR, ...F64X2_ADD,
        ...F64X2_TRUNC, ...get(X), ...F64X2_ABS, ...c(REDUCE_FROM), ...F64X2_LT, ...V128_ANDNOT, ...set(KF)],
      // hi = x − k·ln2_hi, lo = k·ln2_lo, r = hi − lo, t = r²
      [...get(X), ...get(KF), ...c(LN2_HI), ...F64X2_MUL, ...F64X2_SUB, ...set(HI)],
      [...get(KF), ...c(LN2_LO), ...F64X2_MUL, ...set(LO)],
      [...get(HI), ...get(LO), ...F64X2_SUB, ...tee(R), ...get(R), ...F64X2_MUL, ...set(T)],
      // c = r − t·(P1 + t·(P2 + t·(P3 + t·(P4 + t·P5))))
      [...get(R), ...get(T),
        ...get(T), ...c(P5), ...F64X2_MUL, ...c(P4), ...F64X2_ADD, ...get(T), ...F64X2_MUL, ...c(P3), ...F64X2_ADD,
        ...get(T), ...F64X2_MUL, ...c(P2), ...F64X2_ADD, ...get(T), ...F64X2_MUL, ...c(P1), ...F64X2_ADD,
        ...F64X2_MUL, ...F64X2_SUB, ...set(C)],
      // exp(r) = |x| < 2^-28 ? 1 + x : 1 − ((lo − (r·c)/(2 − c)) − hi)
      [...c(1), ...get(X), ...F64X2_ADD,
        ...c(1), ...get(LO), ...get(R), ...get(C), ...F64X2_MUL, ...c(2), ...get(C), ...F64X2_SUB, ...F64X2_DIV,
        ...F64X2_SUB, ...get(HI), ...F64X2_SUB, ...F64X2_SUB,
        ...get(X), ...F64X2_ABS, ...c(2 ** -28), ...F64X2_LT, ...V128_BITSELECT,
        // e = exp(r)·2^k, 2^k from its exponent bits: (k + 1023) << 52
        ...get(KF), ...I32X4_TRUNC_SAT_F64X2_S_ZERO, ...I64X2_EXTEND_LOW_I32X4_S, ...constI64x2(1023), ...I64X2_ADD,
        ...constI32(52), ...I64X2_SHL, ...F64X2_MUL, ...set(E)],
      // pr = 1 / (1 + e); g = pr − y (in T); h = max(pr·(1 − pr), 1e-16) (in C)
      [...c(1), ...c(1), ...get(E), ...F64X2_ADD, ...F64X2_DIV, ...tee(PR),
        ...at(Y, 3), ...(one ? LOAD64_SPLAT : loadV128(8 * row0)), ...F64X2_SUB, ...set(T)],
      [...get(PR), ...c(1), ...get(PR), ...F64X2_SUB, ...F64X2_MUL, ...c(1e-16), ...F64X2_MAX, ...set(C)],
      // (g, h) of the first row at gh + 16·(i + row0), then of the second
      [...at(GH, 4), ...get(T), ...get(C), ...shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]),
        ...storeV128(16 * row0)],
    ];
    if (one) return out;
    // prettier-ignore
    out.push([...at(GH, 4), ...get(T), ...get(C),
      ...shuffle([8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31]), ...storeV128(16 * row0 + 16)]);
    return out;
  };
  const chains = Array.from({ length: CHAINS }, (_, j) => chain(I + 1 + 9 * j));
  const per = chains.map((v, j) => steps(v, 2 * j, false));
  const wide = per[0]!.flatMap((_, k) => per.flatMap((st) => st[k]!));
  const a = chains[0]!;
  // prettier-ignore
  return [
    // Locals: I; the chains' v128s.
    ...vec([[...u32(1), I32], [...u32(9 * CHAINS), V128]]),
    ...get(START_), ...set(I),
    // 2·CHAINS rows per step while they last ...
    ...BLOCK, ...LOOP,
    ...get(I), ...constI32(2 * CHAINS), ADD, ...get(END_), GT_U, ...brIf(1),
    ...wide,
    ...get(I), ...constI32(2 * CHAINS), ADD, ...set(I),
    ...br(0), END, END,
    // ... then two at a time, then one.
    ...BLOCK, ...LOOP,
    ...get(I), ...constI32(2), ADD, ...get(END_), GT_U, ...brIf(1),
    ...steps(a, 0, false).flat(),
    ...get(I), ...constI32(2), ADD, ...set(I),
    ...br(0), END, END,
    ...BLOCK,
    ...get(I), ...get(END_), GE_U, ...brIf(0),
    ...steps(a, 0, true).flat(),
    END,
    END,
  ];
}
