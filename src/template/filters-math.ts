/**
 * Ansible's mathstuff filters (log, pow, root, human_readable, human_to_bytes, product,
 * permutations, combinations) and Jinja2's filesizeformat, as ansible-core 2.14 computes them.
 */
import { need } from './core.js';
import { isMapping, pyErr, pyStr, pyType } from './py.js';
import { pyFixed } from './pystr.js';
import { arg, type FilterFn } from './types.js';

const MAX_ITEMS = 1_000_000;

/** A Python real number (bool is one), else the TypeError Python's math functions raise. */
function real(v: unknown, fn: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return Number(v);
  throw pyErr(`${fn}() can only be used on numbers: must be real number, not ${pyType(v)}`);
}

/** math.* results: a domain error where Python raises one (JS gives NaN or Infinity). */
function mathResult(r: number, fn: string, inputs: number[]): number {
  if (Number.isNaN(r) && !inputs.some(Number.isNaN)) throw pyErr(`${fn}: math domain error`);
  if (!Number.isFinite(r) && inputs.every(Number.isFinite)) throw pyErr(`${fn}: math range error`);
  return r;
}

/** What Python iterates: list items, string characters, dict keys. */
function items(v: unknown, fn: string): unknown[] {
  need(v);
  if (Array.isArray(v)) return Array.from(v);
  if (typeof v === 'string') return Array.from(v);
  if (isMapping(v)) return Object.keys(v);
  throw pyErr(`${fn}: '${pyType(v)}' object is not iterable`);
}

function product(lists: unknown[][]): unknown[][] {
  if (lists.reduce((n, l) => n * l.length, 1) > MAX_ITEMS) throw pyErr(`product: too many items (the limit is ${MAX_ITEMS})`);
  return lists.reduce<unknown[][]>((acc, l) => acc.flatMap((p) => l.map((x) => [...p, x])), [[]]);
}

function permutations(pool: unknown[], r: number): unknown[][] {
  if (r > pool.length) return [];
  const out: unknown[][] = [];
  const walk = (prefix: number[]) => {
    if (out.length > MAX_ITEMS) throw pyErr(`permutations: too many items (the limit is ${MAX_ITEMS})`);
    if (prefix.length === r) return void out.push(prefix.map((i) => pool[i]));
    for (let i = 0; i < pool.length; i++) if (!prefix.includes(i)) walk([...prefix, i]);
  };
  walk([]);
  return out;
}

function combinations(pool: unknown[], r: number): unknown[][] {
  const out: unknown[][] = [];
  const walk = (start: number, prefix: unknown[]) => {
    if (out.length > MAX_ITEMS) throw pyErr(`combinations: too many items (the limit is ${MAX_ITEMS})`);
    if (prefix.length === r) return void out.push(prefix);
    for (let i = start; i < pool.length; i++) walk(i + 1, [...prefix, pool[i]]);
  };
  if (r <= pool.length) walk(0, []);
  return out;
}

function count(v: unknown, fn: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw pyErr(`${fn}: r must be a non-negative integer, got ${pyStr(v)}`);
  return v;
}

const SIZE_RANGES: [string, number][] = [['Y', 2 ** 80], ['Z', 2 ** 70], ['E', 2 ** 60], ['P', 2 ** 50], ['T', 2 ** 40], ['G', 2 ** 30], ['M', 2 ** 20], ['K', 2 ** 10], ['B', 1]];

/** Python round() of a float to an int: half to even. */
const roundEven = (x: number) => (Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x));

function humanReadable(size: unknown, isbits: unknown, unit: unknown): string {
  if (typeof size !== 'number' && typeof size !== 'boolean') throw pyErr(`human_readable() failed on bad input: '>=' not supported between instances of '${pyType(size)}' and 'int'`);
  const n = Number(size);
  const base = isbits ? 'bits' : 'Bytes';
  const u = unit === null || unit === undefined ? null : pyStr(unit).toUpperCase()[0];
  let [suffix, limit] = SIZE_RANGES[SIZE_RANGES.length - 1];
  for ([suffix, limit] of SIZE_RANGES) if ((u === null && n >= limit) || u === suffix) break;
  return `${pyFixed(n / limit, 2)} ${limit !== 1 ? suffix + base[0] : base}`;
}

function humanToBytes(v: unknown, defaultUnit: unknown, isbits: unknown): number {
  const text = pyStr(v);
  const bad = () => pyErr(`human_to_bytes() can't interpret following string: ${text}`);
  const m = /^\s*(\d*\.?\d*)\s*([A-Za-z]+)?/.exec(text);
  if (!m || !/\d/.test(m[1])) throw bad();
  const num = Number(m[1]);
  const unit = m[2] ?? (defaultUnit === null || defaultUnit === undefined ? null : pyStr(defaultUnit));
  if (unit === null) return roundEven(num);
  const range = SIZE_RANGES.find(([k]) => k === unit[0].toUpperCase());
  if (!range) throw bad();
  const [cls, clsName] = isbits ? ['b', 'bit'] : ['B', 'byte'];
  if (unit.length > 1 && !unit.toLowerCase().includes(clsName) && unit[1] !== cls) throw bad();
  return roundEven(num * range[1]);
}

function filesizeformat(v: unknown, binary: unknown): string {
  const bytes = typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : Number(pyStr(v).trim());
  if (Number.isNaN(bytes)) throw pyErr(`filesizeformat: could not convert string to float: '${pyStr(v)}'`);
  const base = binary ? 1024 : 1000;
  const prefixes = binary ? ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'] : ['kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
  if (bytes === 1) return '1 Byte';
  if (bytes < base) return `${Math.trunc(bytes)} Bytes`;
  let unit = base;
  for (let i = 0; i < prefixes.length; i++) {
    unit = base ** (i + 2);
    if (bytes < unit || i === prefixes.length - 1) return `${pyFixed((base * bytes) / unit, 1)} ${prefixes[i]}`;
  }
  return '';
}

export const MATH_FILTERS: Record<string, FilterFn> = {
  log: (_e, v, a, kw) => {
    const x = real(v, 'log');
    const base = arg(a, kw, 0, 'base', Math.E);
    const b = real(base, 'log');
    if (x <= 0 || b <= 0 || b === 1) throw pyErr(b === 1 ? 'log: float division by zero' : 'log: math domain error');
    return b === 10 ? Math.log10(x) : Math.log(x) / Math.log(b);
  },
  pow: (_e, v, a, kw) => {
    const [x, y] = [real(v, 'pow'), real(arg(a, kw, 0, 'y'), 'pow')];
    return mathResult(x ** y, 'pow', [x, y]);
  },
  root: (_e, v, a, kw) => {
    const x = real(v, 'root');
    const base = real(arg(a, kw, 0, 'base', 2), 'root');
    if (base === 2) {
      if (x < 0) throw pyErr('root() can only be used on numbers: math domain error');
      return Math.sqrt(x);
    }
    return mathResult(x ** (1 / base), 'root() can only be used on numbers', [x, base]);
  },
  human_readable: (_e, v, a, kw) => humanReadable(v, arg(a, kw, 0, 'isbits', false), arg(a, kw, 1, 'unit', null)),
  human_to_bytes: (_e, v, a, kw) => humanToBytes(v, arg(a, kw, 0, 'default_unit', null), arg(a, kw, 1, 'isbits', false)),
  filesizeformat: (_e, v, a, kw) => filesizeformat(v, arg(a, kw, 0, 'binary', false)),
  product: (_e, v, a, kw) => {
    const repeat = kw.repeat === undefined ? 1 : count(kw.repeat, 'product');
    const lists = [v, ...a].map((x) => items(x, 'product'));
    return product(Array.from({ length: repeat }, () => lists).flat());
  },
  permutations: (_e, v, a, kw) => {
    const pool = items(v, 'permutations');
    const r = arg(a, kw, 0, 'r', null);
    return permutations(pool, r === null || r === undefined ? pool.length : count(r, 'permutations'));
  },
  combinations: (_e, v, a, kw) => {
    const r = arg(a, kw, 0, 'r');
    if (r === undefined) throw pyErr("combinations: missing required argument 'r'");
    return combinations(items(v, 'combinations'), count(r, 'combinations'));
  },
};
