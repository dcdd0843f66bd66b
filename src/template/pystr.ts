/** Python string operations: split, strip, title, str.format and %-formatting. */
import { isMapping, ownData, pyErr, pyRepr, pyStr, pyType, TUPLES } from './py.js';
import { TYPE_HINT } from './core.js';

export function pySplit(s: string, sep: unknown = null, maxsplit: unknown = -1): string[] {
  const max = Number(maxsplit ?? -1);
  if (sep === null || sep === undefined) {
    const out: string[] = [];
    let rest = s.replace(/^\s+/, '');
    while (rest.length) {
      if (max >= 0 && out.length === max) {
        out.push(rest);
        break;
      }
      const m = /\s+/.exec(rest);
      if (!m) {
        out.push(rest);
        break;
      }
      out.push(rest.slice(0, m.index));
      rest = rest.slice(m.index + m[0].length);
    }
    return out;
  }
  const d = String(sep);
  if (d === '') throw pyErr('empty separator');
  const parts = s.split(d);
  return max >= 0 && parts.length > max + 1 ? [...parts.slice(0, max), parts.slice(max).join(d)] : parts;
}

function charSet(chars: unknown): (c: string) => boolean {
  if (chars === null || chars === undefined) return (c) => /\s/.test(c);
  const set = new Set(Array.from(String(chars)));
  return (c) => set.has(c);
}

export function pyStrip(s: string, chars?: unknown, side: 'both' | 'left' | 'right' = 'both'): string {
  const is = charSet(chars);
  const a = Array.from(s);
  let i = 0;
  let j = a.length;
  if (side !== 'right') while (i < j && is(a[i])) i++;
  if (side !== 'left') while (j > i && is(a[j - 1])) j--;
  return a.slice(i, j).join('');
}

export const pyTitle = (s: string) => s.replace(/\p{L}+/gu, (w) => w[0].toUpperCase() + w.slice(1).toLowerCase());
export const pyCapitalize = (s: string) => (s ? s[0].toUpperCase() + s.slice(1).toLowerCase() : s);

/**
 * Python's '%.<p>f': the exact binary value rounded, ties to even (JS toFixed rounds ties up:
 * (0.125).toFixed(2) is 0.13, Python's '%.2f' % 0.125 is 0.12).
 */
export function pyFixed(x: number, p: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  if (Math.abs(x) >= 1e21 || p > 60) return x.toFixed(Math.min(p, 100));
  const exact = Math.abs(x).toFixed(Math.min(100, p + 40));
  const cut = exact.indexOf('.') + 1 + p;
  if (/^50*$/.test(exact.slice(cut))) {
    // a tie: round to the even last digit
    const kept = exact.slice(0, p ? cut : cut - 1);
    const last = Number(kept.replace('.', '').slice(-1));
    const down = (x < 0 ? '-' : '') + kept;
    return last % 2 === 0 ? down : x.toFixed(p);
  }
  return x.toFixed(p);
}

/** Apply a format spec such as `>10`, `05d`, `.2f`, `x`. */
function applySpec(v: unknown, spec: string, conv: string): string {
  const m = /^(?:(.)?([<>^=]))?([+\- ])?(0)?(\d+)?(?:\.(\d+))?([sdifFeExXo%r])?$/.exec(spec);
  if (!m) throw pyErr(`unsupported format spec '${spec}'`);
  const [, fillc, align, sign, zero, width, prec, type = conv] = m;
  let s: string;
  const num = () => {
    if (typeof v !== 'number' && typeof v !== 'boolean') throw pyErr(`format '${type}' needs a number, got ${pyType(v)}`, TYPE_HINT);
    return Number(v);
  };
  switch (type) {
    case 'd':
    case 'i':
      s = String(Math.trunc(num()));
      break;
    case 'f':
    case 'F':
      s = pyFixed(num(), prec ? Number(prec) : 6);
      break;
    case 'e':
    case 'E':
      s = num().toExponential(prec ? Number(prec) : 6).replace(/e([+-])(\d)$/, 'e$10$2');
      if (type === 'E') s = s.toUpperCase();
      break;
    case 'x':
    case 'X':
    case 'o':
      s = Math.trunc(num()).toString(type === 'o' ? 8 : 16);
      if (type === 'X') s = s.toUpperCase();
      break;
    case '%':
      s = pyFixed(num() * 100, prec ? Number(prec) : 6) + '%';
      break;
    case 'r':
      s = pyRepr(v);
      break;
    default:
      s = pyStr(v);
      if (prec) s = s.slice(0, Number(prec));
  }
  if (sign && typeof v === 'number' && v >= 0 && type !== 's') s = (sign === ' ' ? ' ' : sign === '+' ? '+' : '') + s;
  const w = width ? Number(width) : 0;
  if (s.length >= w) return s;
  const numeric = typeof v === 'number';
  const a = align ?? (zero ? '=' : numeric ? '>' : '<');
  const fill = fillc ?? (zero ? '0' : ' ');
  const pad = fill.repeat(w - s.length);
  if (a === '<') return s + pad;
  if (a === '^') return pad.slice(0, Math.floor(pad.length / 2)) + s + pad.slice(Math.floor(pad.length / 2));
  if (a === '=' && /^[+-]/.test(s)) return s[0] + pad + s.slice(1);
  return pad + s;
}

/** Python str.format: '{} {0} {name} {:>5}'. */
export function pyFormat(fmt: string, args: unknown[], kw: Record<string, unknown>): string {
  let auto = 0;
  return fmt.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (all, field: string | undefined) => {
    if (all === '{{') return '{';
    if (all === '}}') return '}';
    const [ref, spec = ''] = (field ?? '').split(/:(.*)/s);
    const name = ref.replace(/!.*$/, '');
    let v: unknown;
    if (name === '') v = args[auto++];
    else if (/^\d+$/.test(name)) v = args[Number(name)];
    else v = ownData(kw, name)?.v;
    if (v === undefined) throw pyErr(`format: no value for field '{${field}}'`);
    return applySpec(v, spec, ref.endsWith('!r') ? 'r' : 's');
  });
}

/** Python printf-style formatting: '%s-%05.1f' % (a, b), '%(name)s' % dict. */
export function pyPercent(fmt: string, arg: unknown): string {
  const list = Array.isArray(arg) && TUPLES.has(arg) ? Array.from(arg) : [arg];
  let i = 0;
  const out = fmt.replace(/%(?:\(([^)]*)\))?([#0\- +]*)(\d+|\*)?(?:\.(\d+))?([sdifFeExXorc%])/g, (_all, key, flags: string, width, prec, type) => {
    if (type === '%') return '%';
    let v: unknown;
    if (key !== undefined) {
      if (!isMapping(arg)) throw pyErr('format requires a mapping');
      const r = ownData(arg, key);
      if (!r) throw pyErr(`format: the mapping has no key '${key}'`);
      v = r.v;
    } else {
      if (i >= list.length) throw pyErr('not enough arguments for format string');
      v = list[i++];
    }
    const left = flags.includes('-');
    const spec = (left ? '<' : '') + (flags.includes('+') ? '+' : '') + (flags.includes('0') && !left ? '0' : '') + (width ?? '') + (prec ? '.' + prec : '');
    return applySpec(type === 'c' ? String.fromCharCode(Number(v)) : v, spec, type === 'c' ? 's' : type);
  });
  if (!isMapping(arg) && i < list.length) throw pyErr('not all arguments converted during string formatting');
  return out;
}

/** Python's str.splitlines(): breaks at \n, \r\n, \r, \v, \f, \x1c-\x1e, \x85, \u2028, \u2029; no empty last item. */
export function pySplitlines(s: string, keepends = false): string[] {
  const out: string[] = [];
  const re = /\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/g;
  let last = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    out.push(s.slice(last, keepends ? m.index + m[0].length : m.index));
    last = m.index + m[0].length;
  }
  if (last < s.length) out.push(s.slice(last));
  return out;
}
