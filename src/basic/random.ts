/**
 * Seeded pseudo-random numbers. Every source of randomness in the library (initialisation, shuffling,
 * dropout seeds, synthetic data) draws from an `Rng` so that a fixed seed reproduces a run exactly.
 */
/** Position of an {@link Rng} stream (JSON-serialisable). */
export interface RngState {
  state: number;
  spareNormal: number | null;
}

export class Rng {
  private state: number;
  private spareNormal: number | null = null;

  /** @param seed any integer; equal seeds give equal streams. */
  constructor(seed: number) {
    // splitmix-style scrambling so that nearby seeds (1, 2, 3) give unrelated streams
    let s = (seed >>> 0) ^ 0x9e3779b9;
    s = Math.imul(s ^ (s >>> 16), 0x85ebca6b);
    s = Math.imul(s ^ (s >>> 13), 0xc2b2ae35);
    this.state = (s ^ (s >>> 16)) >>> 0;
  }

  /** The stream's position, to persist with a model so that resumed training draws what an uninterrupted run would. */
  getState(): RngState {
    return { state: this.state, spareNormal: this.spareNormal };
  }

  /** Continue from a position returned by {@link Rng.getState}. */
  setState(s: RngState): void {
    if (!(Number.isInteger(s.state) && s.state >= 0 && s.state <= 0xffffffff)) throw new Error(`Rng.setState: state must be a 32-bit unsigned integer (got ${s.state})`);
    if (!(s.spareNormal === null || Number.isFinite(s.spareNormal))) throw new Error(`Rng.setState: spareNormal must be null or finite (got ${s.spareNormal})`);
    this.state = s.state;
    this.spareNormal = s.spareNormal;
  }

  /** Uniform float in [0, 1) (mulberry32). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal (Box-Muller, caching the second value). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T extends { length: number; [i: number]: number }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A new independent generator derived from this one (for sub-components that need their own stream). */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 4294967296));
  }

  /** An integer seed for APIs (e.g. tf.dropout) that take a numeric seed. */
  seed(): number {
    return Math.floor(this.next() * 2147483647);
  }
}

/** Sample from a categorical distribution given by unnormalised non-negative weights. */
export function sampleCategorical(rng: Rng, weights: ArrayLike<number>, total?: number): number {
  let sum = total;
  if (sum === undefined) {
    sum = 0;
    for (let i = 0; i < weights.length; i++) sum += weights[i];
  }
  let r = rng.next() * sum;
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i];
    if (r < 0) return i;
  }
  return weights.length - 1;
}
