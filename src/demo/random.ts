// A seeded pseudo-random source for the demo data: xoshiro128** (Blackman and Vigna, "Scrambled linear
// pseudorandom number generators", 2018), seeded through splitmix32. Pure code never reads Math.random.
// The uniforms come from 32-bit integer arithmetic only (Math.imul, shifts), so they are the same on every
// platform; normal and Poisson draws add Math.log and Math.exp, which V8 computes with its own fdlibm port
// rather than the platform's libm.
import { InputError } from '../errors.js';

/** A stream of seeded draws. */
export interface Random {
  /** The next raw 32-bit output, an unsigned integer. */
  uint32(): number;
  /** A uniform double in [0, 1) with 53 random bits. */
  uniform(): number;
  /** A standard normal draw (Marsaglia's polar method). */
  normal(): number;
  /** A Poisson draw with mean `lambda` (Knuth's product method; meant for small means). */
  poisson(lambda: number): number;
  /** An index into `weights`, drawn with probability proportional to its weight. */
  weighted(weights: readonly number[]): number;
}

const TWO_POW_32 = 0x1_0000_0000;
const TWO_POW_53 = 2 ** 53;

/**
 * The raw xoshiro128** generator over a given 128-bit state (four 32-bit words, not all zero). Exposed
 * for the reference test vector; use `createRandom` for everything else.
 *
 * @example
 * const next = xoshiro128StarStar([1, 2, 3, 4]);
 * next(); // 11520
 */
export function xoshiro128StarStar(state: readonly [number, number, number, number]): () => number {
  let [s0, s1, s2, s3] = state.map((word) => word >>> 0) as [number, number, number, number];
  if ((s0 | s1 | s2 | s3) === 0) {
    throw new InputError('INVALID_ARGUMENT', 'xoshiro128** needs a state that is not all zero');
  }
  return () => {
    const result = Math.imul(rotateLeft(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotateLeft(s3, 11);
    return result;
  };
}

/**
 * A seeded random stream. `seed` is any non-negative safe integer; it is reduced to 32 bits (seeds equal
 * modulo 2^32 give the same stream) and expanded into the 128-bit state by splitmix32, as the xoshiro
 * authors recommend.
 *
 * @example
 * const random = createRandom(42);
 * random.uniform(); // the same number on every run
 */
export function createRandom(seed: number): Random {
  assertSeed(seed);
  let sm = seed >>> 0;
  const nextSplitMix = (): number => {
    sm = (sm + 0x9e3779b9) >>> 0;
    let z = sm;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  const state: [number, number, number, number] = [
    nextSplitMix(),
    nextSplitMix(),
    nextSplitMix(),
    nextSplitMix(),
  ];
  // splitmix32 is a bijection of a counter, so four consecutive outputs are never all zero.
  const next = xoshiro128StarStar(state);

  const uniform = (): number => {
    const high = next() >>> 5; // 27 bits
    const low = next() >>> 6; // 26 bits
    return (high * 2 ** 26 + low) / TWO_POW_53;
  };

  return {
    uint32: next,
    uniform,
    normal(): number {
      for (;;) {
        const u = 2 * uniform() - 1;
        const v = 2 * uniform() - 1;
        const s = u * u + v * v;
        if (s > 0 && s < 1) return u * Math.sqrt((-2 * Math.log(s)) / s);
      }
    },
    poisson(lambda: number): number {
      if (!(lambda >= 0) || !Number.isFinite(lambda) || lambda > 50) {
        throw new InputError('INVALID_ARGUMENT', `poisson: the mean must be in [0, 50], not ${lambda}`);
      }
      const limit = Math.exp(-lambda);
      let k = 0;
      let product = uniform();
      while (product > limit) {
        k += 1;
        product *= uniform();
      }
      return k;
    },
    weighted(weights: readonly number[]): number {
      let total = 0;
      for (const weight of weights) {
        if (!(weight >= 0) || !Number.isFinite(weight)) {
          throw new InputError(
            'INVALID_ARGUMENT',
            `weighted: weights must be finite and >= 0, not ${weight}`,
          );
        }
        total += weight;
      }
      if (total <= 0) throw new InputError('INVALID_ARGUMENT', 'weighted: the weights sum to zero');
      let target = uniform() * total;
      for (let i = 0; i < weights.length; i += 1) {
        target -= weights[i] ?? 0;
        if (target < 0) return i;
      }
      // Rounding can leave target at a hair above zero: the last positive weight takes it.
      for (let i = weights.length - 1; i >= 0; i -= 1) if ((weights[i] ?? 0) > 0) return i;
      return weights.length - 1;
    },
  };
}

/**
 * A 32-bit seed for one named stream of a scenario, so that adding a stream never shifts another
 * (FNV-1a over the label's UTF-16 code units, started from the parent seed, then `mix32`).
 *
 * @example
 * deriveSeed(7, 'incumbent-training') !== deriveSeed(7, 'candidate-training'); // true
 */
export function deriveSeed(seed: number, label: string): number {
  assertSeed(seed);
  let hash = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  // The high part of a seed above 2^32 would otherwise be lost.
  hash = Math.imul(hash ^ Math.floor(seed / TWO_POW_32), 0x01000193) >>> 0;
  for (let i = 0; i < label.length; i += 1) {
    hash = Math.imul(hash ^ label.charCodeAt(i), 0x01000193) >>> 0;
  }
  return mix32(hash);
}

/**
 * The murmur3 32-bit finaliser: a bijection on 32-bit integers that scatters neighbouring inputs, so
 * `mix32(base ^ i)` gives distinct, random-looking values for distinct i.
 *
 * @example
 * mix32(1) !== mix32(2); // true, and never equal for distinct 32-bit inputs
 */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function assertSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new InputError('INVALID_ARGUMENT', `a seed must be a non-negative safe integer, not ${seed}`);
  }
}

function rotateLeft(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
