/**
 * Seeded randomness for the sample generator. Every value the generator writes comes from an
 * sfc32 stream seeded by `(seed, stream name, key)`, never from `Math.random`, so the same
 * options always give the same rows. Seeding per key (an order id, a customer id) lets a record
 * be recomputed on any later day without keeping it in memory.
 */

/** murmur3's 32-bit finalizer: spreads every input bit over the whole word. */
function fmix32(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The 32-bit id of a named stream under a seed (FNV-1a of the name, mixed with the seed). */
export function streamId(seed: number, name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  const seedHigh = Math.floor(seed / 0x1_0000_0000);
  return fmix32(h ^ fmix32(seed >>> 0) ^ fmix32(seedHigh + 0x9e3779b9));
}

/** A small, fast PRNG (sfc32) that can be re-seeded in place to avoid allocating per record. */
export class Random {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;

  constructor(stream: number, key = 0, subKey = 0) {
    this.reseed(stream, key, subKey);
  }

  /** Restarts the generator on the sequence of `(stream, key, subKey)`. */
  reseed(stream: number, key = 0, subKey = 0): this {
    const keyHigh = Math.floor(key / 0x1_0000_0000);
    this.a = fmix32(stream ^ 0x9e3779b9);
    this.b = fmix32((key >>> 0) ^ Math.imul(this.a, 0x27d4eb2f));
    this.c = fmix32((subKey >>> 0) ^ fmix32(keyHigh ^ this.b) ^ 0x165667b1);
    this.d = 1;
    for (let i = 0; i < 8; i++) this.uint32();
    return this;
  }

  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.uint32() / 0x1_0000_0000;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [min, max], both included. */
  intBetween(min: number, max: number): number {
    return min + this.below(max - min + 1);
  }

  /** Uniform in [min, max). */
  between(min: number, max: number): number {
    return min + this.float() * (max - min);
  }

  chance(probability: number): boolean {
    return this.float() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }

  /** Standard normal deviate (Box-Muller). */
  normal(): number {
    const u = 1 - this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.float());
  }

  /** Log-uniform in [min, max): prices and revenues spread over orders of magnitude. */
  logBetween(min: number, max: number): number {
    return Math.exp(this.between(Math.log(min), Math.log(max)));
  }
}

/** Up to `count` distinct ids in [1, upTo] that `accept` lets through, ascending. */
export function sampleIds(
  random: Random,
  count: number,
  upTo: number,
  accept: (id: number) => boolean,
): number[] {
  const chosen = new Set<number>();
  for (let attempt = 0; chosen.size < count && attempt < 20 * count + 100; attempt++) {
    const id = 1 + random.below(upTo);
    if (!chosen.has(id) && accept(id)) chosen.add(id);
  }
  return [...chosen].sort((a, b) => a - b);
}

/** A fixed set of choices with weights, picked by one uniform draw. */
export class WeightedChoice<T> {
  private readonly values: T[] = [];
  private readonly cumulative: number[] = [];

  constructor(entries: readonly (readonly [T, number])[]) {
    const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
    let running = 0;
    for (const [value, weight] of entries) {
      running += weight / total;
      this.values.push(value);
      this.cumulative.push(running);
    }
  }

  pick(random: Random): T {
    const u = random.float();
    for (let i = 0; i < this.cumulative.length - 1; i++) {
      if (u < this.cumulative[i]!) return this.values[i]!;
    }
    return this.values[this.values.length - 1]!;
  }
}

/**
 * Which kind of dirt, if any, a record carries. Kinds are drawn at their rates; on top of that a
 * batch can force one record per kind, so that every kind shows up even in a tiny sample.
 */
export class DirtSchedule<Kind extends string> {
  private readonly forced = new Map<number, Kind>();

  constructor(
    private readonly rates: readonly (readonly [Kind, number])[],
    forceInto?: { readonly random: Random; readonly batchSize: number },
  ) {
    if (forceInto && forceInto.batchSize >= rates.length) {
      for (const [kind] of rates) {
        let position = forceInto.random.below(forceInto.batchSize);
        while (this.forced.has(position)) position = (position + 1) % forceInto.batchSize;
        this.forced.set(position, kind);
      }
    }
  }

  /** The dirt of the record at `position` in the forced batch (any position outside it is drawn only). */
  kindAt(position: number, random: Random): Kind | undefined {
    const u = random.float();
    const forced = this.forced.get(position);
    if (forced !== undefined) return forced;
    let threshold = 0;
    for (const [kind, rate] of this.rates) {
      threshold += rate;
      if (u < threshold) return kind;
    }
    return undefined;
  }
}
