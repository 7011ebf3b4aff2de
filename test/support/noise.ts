// Deterministic pseudo-random bytes (xorshift32): incompressible pixel data for fit tests and the bench.

/** `length` bytes from xorshift32 seeded with `seed` (same seed, same bytes). */
export function noise(length: number, seed = 0x9e3779b9): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 255;
  }
  return out;
}
