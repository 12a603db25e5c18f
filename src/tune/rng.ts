/**
 * Seeded pseudo-random generator (xoshiro128**) whose whole state is four uint32 words, so a
 * study can serialise it and resume with exactly the same stream after a restart.
 */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Standard normal draw (Box–Muller, no cached spare so the state stays 4 words). */
  normal(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Current state, for serialisation. */
  getState(): number[];
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Creates a generator from an integer seed, or from a state previously returned by `getState()`. */
export function createRng(seedOrState: number | readonly number[]): Rng {
  const s = new Uint32Array(4);
  if (typeof seedOrState === 'number') {
    // Mix the seed so nearby seeds give unrelated streams.
    const sm = splitmix32(Math.floor(seedOrState) ^ 0x5bd1e995);
    for (let i = 0; i < 4; i++) s[i] = sm();
  } else {
    if (seedOrState.length !== 4) throw new Error('rng state must have 4 words');
    for (let i = 0; i < 4; i++) s[i] = (seedOrState[i] ?? 0) >>> 0;
  }
  if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) s[0] = 1;
  let a = s[0]!,
    b = s[1]!,
    c = s[2]!,
    d = s[3]!;
  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0;
    const t = (b << 9) >>> 0;
    c = (c ^ a) >>> 0;
    d = (d ^ b) >>> 0;
    b = (b ^ c) >>> 0;
    a = (a ^ d) >>> 0;
    c = (c ^ t) >>> 0;
    d = rotl(d, 11);
    return result;
  };
  const next = (): number => (nextU32() * 2 ** 21 + (nextU32() >>> 11)) / 2 ** 53;
  return {
    next,
    normal() {
      let u = next();
      while (u <= 0) u = next();
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    int(n) {
      return Math.min(n - 1, Math.floor(next() * n));
    },
    getState: () => [a, b, c, d],
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
