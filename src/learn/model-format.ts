/**
 * Model bytes, format version 1 (see docs/learners.md):
 *   "MYLM" | u32 LE format version | u32 LE header length | UTF-8 JSON header | zero padding to 8 |
 *   array section: every typed array at an 8-byte aligned offset, little-endian.
 * The header holds everything but the numeric arrays; each array is referenced from the header's
 * predictor as { "$array": dtype, "offset": bytes from the array section start, "length": elements }.
 */
import type { Model } from './model.js';

export const MODEL_FORMAT_VERSION = 1;
const MAGIC = [0x4d, 0x59, 0x4c, 0x4d];

type Typed = Float64Array | Float32Array | Int32Array | Uint32Array | Uint8Array;
const DTYPES = {
  f64: Float64Array,
  f32: Float32Array,
  i32: Int32Array,
  u32: Uint32Array,
  u8: Uint8Array,
} as const;
type Dtype = keyof typeof DTYPES;

function dtypeOf(a: Typed): Dtype {
  if (a instanceof Float64Array) return 'f64';
  if (a instanceof Float32Array) return 'f32';
  if (a instanceof Int32Array) return 'i32';
  if (a instanceof Uint32Array) return 'u32';
  return 'u8';
}

interface ArrayRef {
  $array: Dtype;
  offset: number;
  length: number;
}

if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1)
  throw new Error('model format needs a little-endian host');

/** Serialises a model to the versioned binary format. */
export function saveModel(model: Model): Uint8Array {
  const arrays: Typed[] = [];
  let offset = 0;
  const encode = (v: unknown): unknown => {
    if (ArrayBuffer.isView(v)) {
      const a = v as Typed;
      const ref: ArrayRef = { $array: dtypeOf(a), offset, length: a.length };
      arrays.push(a);
      offset += Math.ceil(a.byteLength / 8) * 8;
      return ref;
    }
    if (Array.isArray(v)) return v.map(encode);
    if (typeof v === 'number' && !Number.isFinite(v)) return { $number: String(v) };
    if (v && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encode(x)]));
    return v;
  };
  const header = new TextEncoder().encode(
    JSON.stringify(encode({ ...model, formatVersion: MODEL_FORMAT_VERSION })),
  );
  const start = Math.ceil((12 + header.length) / 8) * 8;
  const out = new Uint8Array(start + offset);
  out.set(MAGIC, 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(4, MODEL_FORMAT_VERSION, true);
  dv.setUint32(8, header.length, true);
  out.set(header, 12);
  let pos = start;
  for (const a of arrays) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), pos);
    pos += Math.ceil(a.byteLength / 8) * 8;
  }
  return out;
}

/** Reads a model written by saveModel; throws on a wrong magic, unknown version or truncation. */
export function loadModel(bytes: Uint8Array): Model {
  if (bytes.length < 12 || MAGIC.some((m, i) => bytes[i] !== m))
    throw new Error('not a Modelyard model (bad magic)');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(4, true);
  if (version !== MODEL_FORMAT_VERSION) throw new Error(`unsupported model format version ${version}`);
  const headerLength = dv.getUint32(8, true);
  if (12 + headerLength > bytes.length) throw new Error('model bytes truncated (header)');
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength))) as unknown;
  const start = Math.ceil((12 + headerLength) / 8) * 8;
  const decode = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(decode);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.$array === 'string') {
        const ref = o as unknown as ArrayRef;
        const Ctor = DTYPES[ref.$array];
        if (!Ctor) throw new Error(`unknown array dtype ${ref.$array}`);
        const byteLength = ref.length * Ctor.BYTES_PER_ELEMENT;
        const from = start + ref.offset;
        if (from + byteLength > bytes.length) throw new Error('model bytes truncated (arrays)');
        // Copy so the model owns aligned memory independent of the caller's buffer.
        const copy = new Uint8Array(byteLength);
        copy.set(bytes.subarray(from, from + byteLength));
        return new Ctor(copy.buffer);
      }
      if (typeof o.$number === 'string') return Number(o.$number);
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, decode(x)]));
    }
    return v;
  };
  return decode(header) as Model;
}
