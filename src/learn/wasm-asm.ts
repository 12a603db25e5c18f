/**
 * A few WebAssembly binary-format encoders and opcodes: just what hist-wasm.ts and
 * predict-wasm.ts need to assemble
 * its kernels (LEB128 integers, vectors, sections, locals, i32 arithmetic, memory access, 128-bit
 * SIMD f64x2 add/sub, f64 scalar loads/compares, structured control flow), plus the f64x2/i64x2
 * arithmetic, bit operations and lane conversions of the binary-gradient kernel (exp in SIMD).
 */
export const u32 = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
export const i32 = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
};
export const vec = (items: number[][]): number[] => [...u32(items.length), ...items.flat()];
export const section = (id: number, body: number[]): number[] => [id, ...u32(body.length), ...body];
export const name = (s: string): number[] => [...u32(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

export const I32 = 0x7f;
export const V128 = 0x7b;
export const get = (i: number): number[] => [0x20, i];
export const set = (i: number): number[] => [0x21, i];
export const tee = (i: number): number[] => [0x22, i];
export const constI32 = (v: number): number[] => [0x41, ...i32(v)];
export const ADD = 0x6a;
export const MUL = 0x6c;
export const XOR = 0x73;
export const SHL = 0x74;
export const GE_U = 0x4f;
export const GT_U = 0x4b;
export const loadI32 = (offset: number): number[] => [0x28, 2, ...u32(offset)];
export const LOAD_U8 = [0x2d, 0, 0];
export const loadU8 = (offset: number): number[] => [0x2d, 0, ...u32(offset)];
export const loadV128 = (offset: number): number[] => [0xfd, 0x00, 4, ...u32(offset)];
export const storeV128 = (offset: number): number[] => [0xfd, 0x0b, 4, ...u32(offset)];
export const STORE_I32 = [0x36, 2, 0];
export const LOAD_V128 = [0xfd, 0x00, 4, 0];
export const STORE_V128 = [0xfd, 0x0b, 4, 0];
export const F64X2_ADD = [0xfd, ...u32(240)];
export const F64X2_SUB = [0xfd, ...u32(241)];
export const BLOCK = [0x02, 0x40];
export const LOOP = [0x03, 0x40];
export const END = 0x0b;
export const br = (depth: number): number[] => [0x0c, depth];
export const brIf = (depth: number): number[] => [0x0d, depth];
export const F64 = 0x7c;
export const SUB = 0x6b;
export const LT_U = 0x49;
export const loadF64 = (offset: number): number[] => [0x2b, 3, ...u32(offset)];
export const storeF64 = (offset: number): number[] => [0x39, 3, ...u32(offset)];
export const F64_GT = 0x64;
export const F64_ADD = 0xa0;

// 128-bit SIMD for the binary-gradient kernel (hist-wasm.ts binaryGradients). Opcode numbers are
// the SIMD proposal's (0xfd prefix, then a LEB128 u32).
const simd = (op: number): number[] => [0xfd, ...u32(op)];
/** v128.const with the same f64 in both lanes. */
export const constF64x2 = (v: number): number[] => {
  const b = new Uint8Array(new Float64Array([v, v]).buffer);
  return [...simd(0x0c), ...b];
};
/** v128.const with the same i64 in both lanes (v a safe integer). */
export const constI64x2 = (v: number): number[] => {
  const b = new Uint8Array(new BigInt64Array([BigInt(v), BigInt(v)]).buffer);
  return [...simd(0x0c), ...b];
};
/** v128.load64_splat: one f64 loaded into both lanes (8-byte alignment hint). */
export const LOAD64_SPLAT = [...simd(0x0a), 3, 0];
/** i8x16.shuffle of the two v128 operands (bytes 0–15 of the first, 16–31 of the second). */
export const shuffle = (lanes: number[]): number[] => [...simd(0x0d), ...lanes];
export const F64X2_LT = simd(0x49);
/** v128 bitwise and / a & ~b / or / bitselect(a, b, mask) = (a & mask) | (b & ~mask). */
export const V128_AND = simd(0x4e);
export const V128_ANDNOT = simd(0x4f);
export const V128_OR = simd(0x50);
export const V128_BITSELECT = simd(0x52);
/** f64x2.trunc: round each lane toward zero. */
export const F64X2_TRUNC = simd(0x7a);
export const F64X2_ABS = simd(0xec);
export const F64X2_NEG = simd(0xed);
export const F64X2_MUL = simd(0xf2);
export const F64X2_DIV = simd(0xf3);
/** f64x2.min / max (IEEE: NaN in either lane gives NaN). */
export const F64X2_MIN = simd(0xf4);
export const F64X2_MAX = simd(0xf5);
/** i32x4.trunc_sat_f64x2_s_zero: the two f64 lanes to i32 lanes 0–1 (lanes 2–3 zero). */
export const I32X4_TRUNC_SAT_F64X2_S_ZERO = simd(0xfc);
/** i64x2.extend_low_i32x4_s: i32 lanes 0–1 sign-extended to two i64 lanes. */
export const I64X2_EXTEND_LOW_I32X4_S = simd(0xc7);
/** i64x2.shl by an i32 count. */
export const I64X2_SHL = simd(0xcb);
export const I64X2_ADD = simd(0xce);

// Scalar opcodes the CSV and prediction kernels also use.
export const I64 = 0x7e;
export const I32_EQ = 0x46;
export const I32_NE = 0x47;
export const I32_LT_S = 0x48;
export const I32_OR = 0x72;
export const I64_ADD = 0x7c;
export const I64_MUL = 0x7e;
export const I64_EXTEND_I32_U = 0xad;
export const F64_NE = 0x62;
export const F64_NEG = 0x9a;
export const F64_DIV = 0xa3;
export const F64_CONVERT_I64_S = 0xb9;
export const IF = [0x04, 0x40];
export const ELSE = 0x05;
export const RETURN = 0x0f;
export const CALL = 0x10;
/** i64.const of a small value (one LEB128 byte: -64 ≤ v < 64). */
export const i64Const = (v: number): number[] => [0x42, v];

/** A compiled module (opaque; structured-clonable to a worker). */
export interface WasmModule {
  readonly __wasmModule?: never;
}
/** A shared WebAssembly.Memory; its buffer is a SharedArrayBuffer. */
export interface WasmMemory {
  readonly buffer: SharedArrayBuffer;
  grow(pages: number): number;
}
/** A WebAssembly.Memory of one thread. */
export interface WasmLocalMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: Record<string, unknown> };
  Memory: {
    new (d: { initial: number; maximum: number; shared: true }): WasmMemory;
    new (d: { initial: number; maximum?: number }): WasmLocalMemory;
  };
}
/** WebAssembly as Node provides it (the project's TypeScript libs declare no values for it). */
export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
