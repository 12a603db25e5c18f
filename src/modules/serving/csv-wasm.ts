/**
 * The CSV fast path's common case as a WebAssembly kernel (assembled here with the opcodes of
 * learn/wasm-asm.ts): lines whose fields are all plain decimals ([sign] digits [. digits], at
 * most 15 digits), empty fields (missing) or ignored columns. The kernel stops at the first line
 * it cannot decide (text, other missing markers, exponents, long numbers, ragged rows, a lone
 * '\r') and leaves that line to the JS reader in csv-payload.ts, which has every rule; then it
 * resumes. Why: the same loop in JS pays a bounds check and more per byte; measured on the
 * 1000-row breast_cancer payload (211 KB), the scan+convert loop alone is ~2.3x faster here.
 *
 * Values are bit-identical to the JS reader's: the mantissa (< 10^15) converts exactly and one
 * division by an exact power of ten rounds once, like `mant / P10[scale]` in JS.
 *
 * Memory (byte offsets): powers of ten 10^0..10^22 at 0, status words (stop position, row,
 * line) at STATUS, the column map (i32 per CSV field, model index or -1) at MAP, then the body
 * and the output rows (k f64 each), both placed by the caller.
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
  SUB,
  MUL,
  SHL,
  GE_U,
  loadU8,
  loadI32,
  loadF64,
  storeF64,
  BLOCK,
  LOOP,
  END,
  br,
  brIf,
  I64,
  F64,
  I32_EQ as EQ,
  I32_NE as NE,
  I32_LT_S as LT_S,
  I32_OR as OR,
  I64_ADD,
  I64_MUL,
  I64_EXTEND_I32_U,
  F64_CONVERT_I64_S,
  F64_DIV,
  F64_NEG,
  IF,
  ELSE,
  i64Const,
  wasm,
} from '../../learn/wasm-asm.js';

export const STATUS = 192;
export const MAP = 256;

const F64_NAN = [0x44, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f];
const storeI32 = (offset: number): number[] => [0x36, 2, ...u32(offset)];

// Parameters, then locals.
const [P, E, ROW, LINE, NC, K, OUT] = [0, 1, 2, 3, 4, 5, 6];
const [C, FIELD, M, LS, S, D0, D, NEG, F0, BASE, DOT] = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
const MANT = 18;
const V = 19;

/** c is ',', '\n' or '\r' (leaves an i32 0/1). */
const isEnd = (c: number): number[] =>
  // prettier-ignore
  [...get(c), ...constI32(0x2c), EQ, ...get(c), ...constI32(0x0a), EQ, OR, ...get(c), ...constI32(0x0d), EQ, OR];

/** Accumulates the digits at P into MANT; leaves D = (the byte that ended them) - '0'. */
// prettier-ignore
const digits = [
  ...BLOCK, ...LOOP,
  ...get(P), ...loadU8(0), ...constI32(0x30), SUB, ...tee(D), ...constI32(10), GE_U, ...brIf(1),
  ...get(MANT), ...i64Const(10), I64_MUL, ...get(D), I64_EXTEND_I32_U, I64_ADD, ...set(MANT),
  ...get(P), ...constI32(1), ADD, ...set(P), ...br(0),
  END, END,
];

/**
 * One field whose model column is M: stores its value at BASE + 8M, or branches out by `bail`
 * levels when the JS reader must decide. Leaves C = the byte after the digits (a stored value
 * counts only if C ends the field; otherwise the JS reader rewrites the whole row).
 */
function numberField(bail: number): number[] {
  // Nesting inside this code: an `if` adds one level to every branch out.
  // prettier-ignore
  return [
    ...constI32(0), ...set(NEG),
    ...get(P), ...loadU8(0), ...tee(C), ...constI32(0x2d), EQ, ...IF,
      ...constI32(1), ...set(NEG), ...get(P), ...constI32(1), ADD, ...set(P),
    ELSE,
      ...get(C), ...constI32(0x2b), EQ, ...IF, ...get(P), ...constI32(1), ADD, ...set(P), END,
    END,
    ...i64Const(0), ...set(MANT), ...get(P), ...set(D0), ...constI32(0), ...set(DOT),
    ...digits,
    // F0: where the digits after '.' start (P - F0 is then 0 without a '.').
    ...get(P), ...set(F0),
    ...get(D), ...constI32(-2), EQ, ...IF,
      ...constI32(1), ...set(DOT), ...get(P), ...constI32(1), ADD, ...tee(P), ...set(F0),
      ...digits,
    END,
    // C must end the field (',', '\n' or '\r'): the caller checks, after this store.
    ...get(P), ...loadU8(0), ...set(C),
    ...get(P), ...get(S), EQ, ...IF,
      // An empty field is missing.
      ...F64_NAN, ...set(V),
    ELSE,
      // 1 to 15 digits (P - D0 - DOT of them), else the JS reader decides.
      ...get(P), ...get(D0), SUB, ...get(DOT), SUB, ...constI32(1), SUB, ...constI32(15), GE_U, ...brIf(bail + 1),
      ...get(MANT), F64_CONVERT_I64_S,
      // Divided by 10^scale, scale = P - F0 digits after '.'.
      ...get(P), ...get(F0), SUB, ...constI32(3), SHL, ...loadF64(0), F64_DIV, ...set(V),
      ...get(NEG), ...IF, ...get(V), F64_NEG, ...set(V), END,
    END,
    ...get(BASE), ...get(M), ...constI32(3), SHL, ADD, ...get(V), ...storeF64(0),
  ];
}

/** Skips an ignored field; leaves C = the byte after it. */
// prettier-ignore
const skipField = [
  ...BLOCK, ...LOOP,
  ...get(P), ...loadU8(0), ...set(C), ...isEnd(C), ...brIf(1),
  ...get(P), ...constI32(1), ADD, ...set(P), ...br(0),
  END, END,
];

function kernelBody(): number[] {
  // Block structure: $done { $line loop { $bail { $field loop { … } row done } bail } }.
  // prettier-ignore
  const field = [
    ...LOOP,
    ...get(FIELD), ...get(NC), GE_U, ...brIf(1),
    ...get(P), ...set(S),
    ...get(FIELD), ...constI32(2), SHL, ...loadI32(MAP), ...tee(M), ...constI32(0), LT_S, ...IF,
      ...skipField,
    ELSE,
      ...numberField(2),
    END,
    ...get(FIELD), ...constI32(1), ADD, ...set(FIELD),
    ...get(C), ...constI32(0x2c), EQ, ...IF, ...get(P), ...constI32(1), ADD, ...set(P), ...br(1), END,
    // '\r' must be followed by '\n'; any other byte: the JS reader decides the line.
    ...get(C), ...constI32(0x0d), EQ, ...IF,
      ...get(P), ...loadU8(1), ...constI32(0x0a), NE, ...brIf(2),
      ...get(P), ...constI32(1), ADD, ...set(P),
    ELSE,
      ...get(C), ...constI32(0x0a), NE, ...brIf(2),
    END,
    ...get(P), ...constI32(1), ADD, ...set(P),
    END,
  ];
  // prettier-ignore
  return [
    ...BLOCK, ...LOOP,
    ...get(P), ...get(E), GE_U, ...brIf(1),
    ...get(P), ...loadU8(0), ...tee(C), ...constI32(0x0a), EQ, ...IF,
      ...get(P), ...constI32(1), ADD, ...set(P), ...get(LINE), ...constI32(1), ADD, ...set(LINE), ...br(1),
    END,
    ...get(C), ...constI32(0x0d), EQ, ...IF,
      ...get(P), ...loadU8(1), ...constI32(0x0a), EQ, ...IF,
        ...get(P), ...constI32(2), ADD, ...set(P), ...get(LINE), ...constI32(1), ADD, ...set(LINE), ...br(2),
      END,
    END,
    ...get(P), ...set(LS), ...constI32(0), ...set(FIELD),
    ...get(OUT), ...get(ROW), ...get(K), MUL, ...constI32(3), SHL, ADD, ...set(BASE),
    ...BLOCK,
    ...field,
    ...get(FIELD), ...get(NC), NE, ...brIf(0),
    ...get(ROW), ...constI32(1), ADD, ...set(ROW), ...get(LINE), ...constI32(1), ADD, ...set(LINE),
    ...br(1),
    END,
    // Bail: the JS reader takes this line.
    ...get(LS), ...set(P), ...br(1),
    END, END,
    ...constI32(0), ...get(P), ...storeI32(STATUS),
    ...constI32(0), ...get(ROW), ...storeI32(STATUS + 4),
    ...constI32(0), ...get(LINE), ...storeI32(STATUS + 8),
    END,
  ];
}

function moduleBytes(): Uint8Array {
  const locals = vec([
    [...u32(11), I32],
    [1, I64],
    [1, F64],
  ]);
  const body = [...locals, ...kernelBody()];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, ...vec(Array.from({ length: 7 }, () => [I32])), ...vec([])]])),
    ...section(2, vec([[...name('env'), ...name('mem'), 0x02, 0x00, ...u32(1)]])),
    ...section(3, vec([u32(0)])),
    ...section(7, vec([[...name('parse'), 0x00, 0]])),
    ...section(10, vec([[...u32(body.length), ...body]])),
  ]);
}

let compiled: object | null = null;

/** A kernel instance with its own memory (one per aligner: parse calls never overlap). */
export interface CsvKernel {
  /** Views of the memory (renewed by `reserve`). */
  u8: Uint8Array;
  f64: Float64Array;
  i32: Int32Array;
  /** Makes the memory at least `bytes` long. */
  reserve(bytes: number): void;
  /**
   * Parses lines from byte p to e (the byte before e is '\n') into rows of k f64 at byte `out`,
   * starting at row `row` and CSV line `line`; stops at e or at the start of a line it leaves
   * to JS. Returns where it stopped; i32[(STATUS + 4) / 4] and [(STATUS + 8) / 4] hold the row
   * and line reached.
   */
  run(p: number, e: number, row: number, line: number, nc: number, k: number, out: number): number;
}

export function createCsvKernel(): CsvKernel {
  compiled ??= new wasm.Module(moduleBytes());
  const mem = new wasm.Memory({ initial: 1 });
  const { exports } = new wasm.Instance(compiled, { env: { mem } });
  const parse = exports.parse as (...a: number[]) => void;
  const k: CsvKernel = {
    u8: new Uint8Array(0),
    f64: new Float64Array(0),
    i32: new Int32Array(0),
    reserve(bytes) {
      const have = mem.buffer.byteLength;
      if (bytes > have) mem.grow(Math.ceil((bytes - have) / 65536));
      if (k.u8.buffer !== mem.buffer) {
        k.u8 = new Uint8Array(mem.buffer);
        k.f64 = new Float64Array(mem.buffer);
        k.i32 = new Int32Array(mem.buffer);
        for (let i = 0; i < 23; i++) k.f64[i] = 10 ** i;
      }
    },
    run(p, e, row, line, nc, kk, out) {
      parse(p, e, row, line, nc, kk, out);
      return k.i32[STATUS / 4]!;
    },
  };
  k.reserve(65536);
  return k;
}
