/**
 * A few WebAssembly binary-format encoders and opcodes: just what hist-wasm.ts and
 * predict-wasm.ts need to assemble
 * its kernels (LEB128 integers, vectors, sections, locals, i32 arithmetic, memory access, 128-bit
 * SIMD f64x2 add/sub, f64 scalar loads/compares, structured control flow).
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
