/**
 * Python's datetime and timedelta for templates: the to_datetime and strftime filters and the
 * now() global, with the attributes, methods and arithmetic Ansible's documentation uses:
 *   (("2016-08-14 20:00:12" | to_datetime) - ("2015-12-25" | to_datetime('%Y-%m-%d'))).days
 *   now().year, now(fmt='%Y-%m-%d'), ('%Y' | strftime(1700000000, utc=true))
 * A datetime is naive (no time zone), as Python's; arithmetic is done on its wall-clock fields.
 * strftime follows glibc's (what Python's time.strftime calls): flags -, _ and 0 included.
 */
import { PyObject, type Kw } from './core.js';
import { pyErr, pyStr, pyType } from './py.js';
import { arg } from './types.js';

const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const US_PER_DAY = 86_400_000_000;
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Fields of a broken-down time (as struct_tm, plus microseconds and the UTC offset in seconds). */
export interface Tm {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  us: number;
  /** seconds east of UTC, and the zone name (strftime %z / %Z) */
  offset?: number;
  zone?: string;
}

const epochDay = (t: Tm) => Date.UTC(t.year, t.month - 1, t.day) / 86_400_000;
const weekday = (t: Tm) => (((epochDay(t) + 3) % 7) + 7) % 7; // Monday = 0
const yday = (t: Tm) => epochDay(t) - Date.UTC(t.year, 0, 1) / 86_400_000 + 1;

function isoWeek(t: Tm): [number, number] {
  const wd = weekday(t);
  const thursday = epochDay(t) - wd + 3;
  const y = new Date(thursday * 86_400_000).getUTCFullYear();
  return [y, Math.floor((thursday - Date.UTC(y, 0, 1) / 86_400_000) / 7) + 1];
}

/** The zone-name formatter: made once per TZ (building one costs ~0.3 ms; the command module asks twice per result). */
let zoneFmt: { tz: string | undefined; fmt: Intl.DateTimeFormat } | undefined;
function zoneFormat(): Intl.DateTimeFormat {
  const tz = process.env.TZ;
  if (!zoneFmt || zoneFmt.tz !== tz) zoneFmt = { tz, fmt: new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }) };
  return zoneFmt.fmt;
}

/** The broken-down local (or UTC) time of epoch seconds `s`. */
export function tmOf(s: number, utc: boolean): Tm {
  const d = new Date(Math.floor(s * 1000));
  const us = Math.round((s - Math.floor(s)) * 1e6) % 1e6;
  if (utc) return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), us, offset: 0, zone: 'GMT' };
  const zone = zoneFormat().formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? '';
  return { year: d.getFullYear(), month: d.getMonth() + 1, day: d.getDate(), hour: d.getHours(), minute: d.getMinutes(), second: d.getSeconds(), us, offset: -d.getTimezoneOffset() * 60, zone };
}

/** C/glibc strftime of a broken-down time. */
export function strftime(fmt: string, t: Tm): string {
  return fmt.replace(/%([-_0^#]?)([a-zA-Z%+])/g, (all, flag: string, c: string) => {
    const num = (n: number, w = 2) => (flag === '-' ? String(n) : flag === '_' ? String(n).padStart(w, ' ') : pad(n, w));
    const h12 = t.hour % 12 || 12;
    const wd = weekday(t);
    const yd = yday(t);
    let out: string;
    switch (c) {
      case 'a': out = DAYS[wd].slice(0, 3); break;
      case 'A': out = DAYS[wd]; break;
      case 'b': case 'h': out = MONTHS[t.month - 1].slice(0, 3); break;
      case 'B': out = MONTHS[t.month - 1]; break;
      case 'c': return strftime('%a %b %e %H:%M:%S %Y', t);
      case 'C': out = num(Math.floor(t.year / 100)); break;
      case 'd': out = num(t.day); break;
      case 'D': case 'x': return strftime('%m/%d/%y', t);
      case 'e': out = flag ? num(t.day) : String(t.day).padStart(2, ' '); break;
      case 'F': return strftime('%Y-%m-%d', t);
      case 'f': out = pad(t.us, 6); break;
      case 'G': out = String(isoWeek(t)[0]); break;
      case 'g': out = num(isoWeek(t)[0] % 100); break;
      case 'H': out = num(t.hour); break;
      case 'I': out = num(h12); break;
      case 'j': out = num(yd, 3); break;
      case 'k': out = flag ? num(t.hour) : String(t.hour).padStart(2, ' '); break;
      case 'l': out = flag ? num(h12) : String(h12).padStart(2, ' '); break;
      case 'm': out = num(t.month); break;
      case 'M': out = num(t.minute); break;
      case 'n': return '\n';
      case 'p': out = t.hour < 12 ? 'AM' : 'PM'; break;
      case 'P': out = t.hour < 12 ? 'am' : 'pm'; break;
      case 'r': return strftime('%I:%M:%S %p', t);
      case 'R': return strftime('%H:%M', t);
      case 's': out = String(Math.floor(Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second) / 1000 - (t.offset ?? 0))); break;
      case 'S': out = num(t.second); break;
      case 't': return '\t';
      case 'T': case 'X': return strftime('%H:%M:%S', t);
      case 'u': out = String(wd + 1); break;
      case 'U': out = num(Math.floor((yd - 1 + 7 - ((wd + 1) % 7)) / 7)); break;
      case 'V': out = num(isoWeek(t)[1]); break;
      case 'w': out = String((wd + 1) % 7); break;
      case 'W': out = num(Math.floor((yd - 1 + 7 - wd) / 7)); break;
      case 'y': out = num(t.year % 100); break;
      case 'Y': out = String(t.year); break;
      case 'z': {
        if (t.offset === undefined) return '';
        const o = Math.abs(t.offset);
        out = (t.offset < 0 ? '-' : '+') + pad(Math.floor(o / 3600)) + pad(Math.floor(o / 60) % 60);
        break;
      }
      case 'Z': out = t.zone ?? ''; break;
      case '%': return '%';
      default: return all;
    }
    return flag === '^' ? out.toUpperCase() : out;
  });
}

const STRP: Record<string, string> = {
  Y: '(\\d{4})', m: '(\\d{1,2})', d: '(\\d{1,2})', H: '(\\d{1,2})', M: '(\\d{1,2})', S: '(\\d{1,2})', f: '(\\d{1,6})', y: '(\\d{2})',
  I: '(\\d{1,2})', p: '(am|pm)', j: '(\\d{1,3})', b: '([a-z]{3})', h: '([a-z]{3})', B: '([a-z]+)', a: '([a-z]{3})', A: '([a-z]+)',
  z: '([+-]\\d{2}:?\\d{2}|z)', Z: '([a-z]+)', w: '(\\d)', '%': '%',
};

/** Python's datetime.strptime (naive result; %z is read but, as the other fields of no use here, dropped). */
export function strptime(s: string, fmt: string): PyDateTime {
  const fields: string[] = [];
  let re = '';
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i];
    if (c === '%' && i + 1 < fmt.length) {
      const d = fmt[++i];
      if (!STRP[d]) throw pyErr(`'${d}' is a bad directive in format '${fmt}'`);
      if (d !== '%') fields.push(d);
      re += STRP[d];
    } else if (/\s/.test(c)) re += '\\s+';
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  const m = new RegExp('^' + re, 'i').exec(s);
  if (!m) throw pyErr(`time data ${pyRepr(s)} does not match format ${pyRepr(fmt)}`);
  if (m[0].length < s.length) throw pyErr(`unconverted data remains: ${s.slice(m[0].length)}`);
  const t: Tm = { year: 1900, month: 1, day: 1, hour: 0, minute: 0, second: 0, us: 0 };
  let pm: boolean | undefined;
  let jday: number | undefined;
  fields.forEach((d, i) => {
    const v = m[i + 1];
    const n = Number(v);
    const name = (list: string[]) => list.findIndex((x) => x.toLowerCase() === v.toLowerCase() || x.slice(0, 3).toLowerCase() === v.toLowerCase());
    switch (d) {
      case 'Y': t.year = n; break;
      case 'y': t.year = n < 69 ? 2000 + n : 1900 + n; break;
      case 'm': t.month = n; break;
      case 'd': t.day = n; break;
      case 'H': t.hour = n; break;
      case 'I': t.hour = n % 12; break;
      case 'p': pm = v.toLowerCase() === 'pm'; break;
      case 'M': t.minute = n; break;
      case 'S': t.second = n; break;
      case 'f': t.us = Number(v.padEnd(6, '0')); break;
      case 'j': jday = n; break;
      case 'b': case 'h': case 'B': {
        const k = name(MONTHS);
        if (k < 0) throw pyErr(`time data ${pyRepr(s)} does not match format ${pyRepr(fmt)}`);
        t.month = k + 1;
        break;
      }
    }
  });
  if (pm !== undefined && fields.includes('I')) t.hour += pm ? 12 : 0;
  if (jday !== undefined) {
    const d = new Date(Date.UTC(t.year, 0, jday));
    [t.month, t.day] = [d.getUTCMonth() + 1, d.getUTCDate()];
  }
  const check = new Date(Date.UTC(t.year, t.month - 1, t.day));
  if (t.month < 1 || t.month > 12 || check.getUTCDate() !== t.day || t.hour > 23 || t.minute > 59 || t.second > 61) throw pyErr(`time data ${pyRepr(s)} does not match format ${pyRepr(fmt)}`);
  return PyDateTime.of(t);
}

const pyRepr = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** datetime.timedelta: days, seconds (0..86399), microseconds (0..999999), normalized as Python does. */
export class PyTimeDelta extends PyObject {
  readonly typeName = 'timedelta';
  readonly days: number;
  readonly seconds: number;
  readonly microseconds: number;
  constructor(readonly totalUs: number) {
    super();
    this.days = Math.floor(totalUs / US_PER_DAY);
    const rest = totalUs - this.days * US_PER_DAY;
    this.seconds = Math.floor(rest / 1e6);
    this.microseconds = rest - this.seconds * 1e6;
  }
  str(): string {
    const hms = `${Math.floor(this.seconds / 3600)}:${pad(Math.floor(this.seconds / 60) % 60)}:${pad(this.seconds % 60)}${this.microseconds ? '.' + pad(this.microseconds, 6) : ''}`;
    return this.days ? `${this.days} day${Math.abs(this.days) === 1 ? '' : 's'}, ${hms}` : hms;
  }
  repr(): string {
    const parts = [this.days && `days=${this.days}`, this.seconds && `seconds=${this.seconds}`, this.microseconds && `microseconds=${this.microseconds}`].filter(Boolean);
    return `datetime.timedelta(${parts.join(', ')})`;
  }
  attr(name: string): unknown {
    return name === 'days' ? this.days : name === 'seconds' ? this.seconds : name === 'microseconds' ? this.microseconds : undefined;
  }
  call(name: string): unknown {
    return name === 'total_seconds' ? this.totalUs / 1e6 : undefined;
  }
  binop(op: string, other: unknown, right: boolean): unknown {
    if (other instanceof PyTimeDelta && (op === '+' || op === '-')) return new PyTimeDelta(op === '+' ? this.totalUs + other.totalUs : right ? other.totalUs - this.totalUs : this.totalUs - other.totalUs);
    if (typeof other === 'number' && op === '*') return new PyTimeDelta(Math.round(this.totalUs * other));
    if (other instanceof PyDateTime && right === false && op === '+') return other.binop('+', this, true);
    return undefined;
  }
  compare(other: unknown): number | undefined {
    return other instanceof PyTimeDelta ? Math.sign(this.totalUs - other.totalUs) : undefined;
  }
  truth(): boolean {
    return this.totalUs !== 0;
  }
}

/** datetime.datetime (naive). */
export class PyDateTime extends PyObject {
  readonly typeName = 'datetime';
  private constructor(readonly t: Tm, private readonly us: number) {
    super();
  }
  static of(t: Tm): PyDateTime {
    const us = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second) * 1000 + t.us;
    return new PyDateTime({ ...t, offset: undefined, zone: undefined }, us);
  }
  private static fromUs(us: number): PyDateTime {
    const ms = Math.floor(us / 1000);
    const d = new Date(ms);
    return PyDateTime.of({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), us: us - Math.floor(us / 1e6) * 1e6 });
  }
  private iso(sep: string): string {
    const t = this.t;
    return `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}${sep}${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}${t.us ? '.' + pad(t.us, 6) : ''}`;
  }
  str(): string {
    return this.iso(' ');
  }
  repr(): string {
    const t = this.t;
    const f = [t.year, t.month, t.day, t.hour, t.minute, t.second, t.us];
    while (f.length > 3 && f[f.length - 1] === 0) f.pop();
    return `datetime.datetime(${f.join(', ')})`;
  }
  json(): unknown {
    return this.iso('T');
  }
  attr(name: string): unknown {
    const t = this.t;
    const a: Record<string, number> = { year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute, second: t.second, microsecond: t.us };
    return Object.prototype.hasOwnProperty.call(a, name) ? a[name] : undefined;
  }
  call(name: string, args: unknown[], kw: Kw): unknown {
    switch (name) {
      case 'strftime':
        return strftime(pyStr(arg(args, kw, 0, 'format')), this.t);
      case 'isoformat':
        return this.iso(pyStr(arg(args, kw, 0, 'sep', 'T')));
      case 'weekday':
        return weekday(this.t);
      case 'isoweekday':
        return weekday(this.t) + 1;
      case 'timestamp': {
        const t = this.t;
        return new Date(t.year, t.month - 1, t.day, t.hour, t.minute, t.second).getTime() / 1000 + t.us / 1e6;
      }
      case 'replace': {
        const t: Tm = { ...this.t };
        for (const k of Object.keys(kw)) {
          const key = k === 'microsecond' ? 'us' : k;
          if (!['year', 'month', 'day', 'hour', 'minute', 'second', 'us'].includes(key) || typeof kw[k] !== 'number') throw pyErr(`replace: bad argument '${k}'`);
          (t as unknown as Record<string, number>)[key] = kw[k] as number;
        }
        return PyDateTime.of(t);
      }
    }
    return undefined;
  }
  binop(op: string, other: unknown, right: boolean): unknown {
    if (other instanceof PyDateTime && op === '-') return new PyTimeDelta(right ? other.us - this.us : this.us - other.us);
    if (other instanceof PyTimeDelta && (op === '+' || (op === '-' && !right))) return PyDateTime.fromUs(op === '+' ? this.us + other.totalUs : this.us - other.totalUs);
    return undefined;
  }
  compare(other: unknown): number | undefined {
    return other instanceof PyDateTime ? Math.sign(this.us - other.us) : undefined;
  }
}

/** The now() global: now(utc=False, fmt=None), a datetime (or its strftime). */
export function now(args: unknown[], kw: Kw): unknown {
  const t = tmOf(Date.now() / 1000, !!arg(args, kw, 0, 'utc', false));
  const fmt = arg(args, kw, 1, 'fmt', null);
  return fmt === null || fmt === undefined ? PyDateTime.of(t) : strftime(pyStr(fmt), t);
}

/** The strftime filter: strftime(format, second=None, utc=False) on epoch seconds (now by default). */
export function strftimeFilter(fmt: unknown, args: unknown[], kw: Kw): string {
  const sec = arg(args, kw, 0, 'second', null);
  let s = Date.now() / 1000;
  if (sec !== null && sec !== undefined) {
    s = typeof sec === 'number' ? sec : typeof sec === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(sec) ? Number(sec) : NaN;
    if (Number.isNaN(s)) throw pyErr(`Invalid value for epoch value (${pyStr(sec)})`);
  }
  if (typeof fmt !== 'string') throw pyErr(`strftime() argument 1 must be str, not ${pyType(fmt)}`);
  return strftime(fmt, tmOf(s, !!arg(args, kw, 1, 'utc', false)));
}
