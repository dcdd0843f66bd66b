/**
 * Python's random.Random (MT19937, CPython's seeding), so that seeded randomness gives Ansible's
 * values to the digit: `60 | random(seed=inventory_hostname)`, `shuffle(seed=...)`, and the
 * password lookup's `seed=`. Unseeded callers use node:crypto instead (as SystemRandom).
 */
import { createHash, randomInt } from 'node:crypto';

const N = 624;
const M = 397;

export class PyRandom {
  private mt = new Uint32Array(N);
  private mti = N + 1;

  /** random.Random(seed): an int (its absolute value) or a str (version 2: the text and its SHA-512). */
  constructor(seed: number | string) {
    let n: bigint;
    if (typeof seed === 'string') {
      const b = Buffer.from(seed, 'utf8');
      const all = Buffer.concat([b, createHash('sha512').update(b).digest()]);
      n = BigInt('0x' + (all.toString('hex') || '0'));
    } else n = BigInt(Math.abs(Math.trunc(seed)));
    const key: number[] = [];
    while (n > 0n) {
      key.push(Number(n & 0xffffffffn));
      n >>= 32n;
    }
    this.initByArray(key.length ? key : [0]);
  }

  private initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const p = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (Math.imul(1812433253, p) + i) >>> 0;
    }
    this.mti = N;
  }

  private initByArray(key: number[]): void {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k; k--) {
      const p = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(p, 1664525)) + key[j] + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k; k--) {
      const p = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(p, 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
    }
    mt[0] = 0x80000000;
  }

  private uint32(): number {
    const mt = this.mt;
    if (this.mti >= N) {
      let kk = 0;
      const mag = (y: number) => (y & 1 ? 0x9908b0df : 0);
      for (; kk < N - M; kk++) {
        const y = (mt[kk] & 0x80000000) | (mt[kk + 1] & 0x7fffffff);
        mt[kk] = mt[kk + M] ^ (y >>> 1) ^ mag(y);
      }
      for (; kk < N - 1; kk++) {
        const y = (mt[kk] & 0x80000000) | (mt[kk + 1] & 0x7fffffff);
        mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ mag(y);
      }
      const y = (mt[N - 1] & 0x80000000) | (mt[0] & 0x7fffffff);
      mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ mag(y);
      this.mti = 0;
    }
    let y = mt[this.mti++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** random.getrandbits(k), k <= 53 here. */
  getrandbits(k: number): number {
    if (k <= 0) return 0;
    if (k <= 32) return this.uint32() >>> (32 - k);
    let r = 0;
    let mult = 1;
    for (let left = k; left > 0; left -= 32) {
      let w = this.uint32();
      if (left < 32) w >>>= 32 - left;
      r += w * mult;
      mult *= 2 ** 32;
    }
    return r;
  }

  /** _randbelow_with_getrandbits */
  randbelow(n: number): number {
    if (n <= 0) return 0;
    const k = n.toString(2).length;
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }

  random(): number {
    const a = this.uint32() >>> 5;
    const b = this.uint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }
}

/** A source of randomness: Python's seeded generator, or the system's (node:crypto) without a seed. */
export interface Rng {
  randbelow(n: number): number;
}
export const systemRng: Rng = { randbelow: (n) => (n <= 0 ? 0 : randomInt(n)) };
export const rngFor = (seed: unknown): Rng => (seed === null || seed === undefined ? systemRng : new PyRandom(typeof seed === 'number' ? seed : typeof seed === 'boolean' ? Number(seed) : String(seed)));

/** random.randrange(start, stop, step) */
export function randrange(r: Rng, start: number, stop: number, step: number): number | undefined {
  if (step === 1) return stop > start ? start + r.randbelow(stop - start) : undefined;
  const n = step > 0 ? Math.floor((stop - start + step - 1) / step) : Math.floor((stop - start + step + 1) / step);
  return n > 0 ? start + step * r.randbelow(n) : undefined;
}

/** random.shuffle (in place) */
export function shuffle<T>(r: Rng, x: T[]): T[] {
  for (let i = x.length - 1; i > 0; i--) {
    const j = r.randbelow(i + 1);
    [x[i], x[j]] = [x[j], x[i]];
  }
  return x;
}
