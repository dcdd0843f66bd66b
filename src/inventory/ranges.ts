/**
 * Host names as written in an inventory: `name:port` suffixes and Ansible host ranges
 * (`web[01:20].example.com`, `db-[a:f]`, `node[0:10:2]`), as Ansible's parse_address /
 * expand_hostname_range do.
 */
import { InputError, type Loc } from '../util/errors.js';

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const MAX_EXPANSION = 10000;
const RANGE_HINT = 'ranges look like web[01:20].example.com, db-[a:f] or node[0:10:2] (begin:end[:step], inclusive)';

/** Split an inventory host key into name and optional port: `h:2222`, `[v6]:22`; bare IPv6 has no port. */
export function splitHostPort(key: string): { name: string; port?: number } {
  const v6 = /^\[([0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)\]:(\d+)$/.exec(key);
  if (v6) return { name: v6[1], port: Number(v6[2]) };
  const m = /^(.*[^:]):(\d+)$/.exec(key);
  if (m && !m[1].replace(/\[[^\]]*\]/g, '').includes(':')) return { name: m[1], port: Number(m[2]) };
  return { name: key };
}

/** Expand every host range of `name` (none: [name]). Throws InputError at `loc` for a bad range. */
export function expandHostRange(name: string, loc?: Loc): string[] {
  const out: string[] = [];
  expandInto(name, name, loc, out);
  return out;
}

function expandInto(whole: string, name: string, loc: Loc | undefined, out: string[]): void {
  const m = /\[([^\[\]]*:[^\[\]]*)\]/.exec(name);
  if (!m) {
    out.push(name);
    return;
  }
  const bad = (why: string) => new InputError(`bad host range in \`${whole}\`: ${why}`, loc, RANGE_HINT);
  const head = name.slice(0, m.index);
  const tail = name.slice(m.index + m[0].length);
  const bounds = m[1].split(':').map((s) => s.trim());
  if (bounds.length > 3) throw bad('expected begin:end or begin:end:step');
  const beg = bounds[0] || '0';
  const end = bounds[1];
  if (!end) throw bad('the range has no end value');
  let step = 1;
  if (bounds.length === 3) {
    if (!/^[1-9][0-9]*$/.test(bounds[2])) throw bad(`step \`${bounds[2]}\` must be a positive integer`);
    step = Number(bounds[2]);
  }
  const seq: string[] = [];
  if (/^[0-9]+$/.test(beg) && /^[0-9]+$/.test(end)) {
    const width = beg.length > 1 && beg[0] === '0' ? beg.length : 0;
    if (width && width !== end.length) throw bad(`zero-padded begin \`${beg}\` and end \`${end}\` must have the same length`);
    const b = Number(beg);
    const e = Number(end);
    if (b > e) throw bad(`begin ${beg} is greater than end ${end}`);
    if ((e - b) / step >= MAX_EXPANSION) throw bad(`expands to more than ${MAX_EXPANSION} hosts`);
    for (let i = b; i <= e; i += step) seq.push(width ? String(i).padStart(width, '0') : String(i));
  } else if (/^[A-Za-z]$/.test(beg) && /^[A-Za-z]$/.test(end)) {
    const b = LETTERS.indexOf(beg);
    const e = LETTERS.indexOf(end);
    if (b > e) throw bad(`begin \`${beg}\` comes after end \`${end}\``);
    for (let i = b; i <= e; i += step) seq.push(LETTERS[i]);
  } else {
    throw bad(`\`${m[1]}\` is neither a numeric nor a single-letter range`);
  }
  for (const s of seq) {
    expandInto(whole, head + s + tail, loc, out);
    if (out.length > MAX_EXPANSION) throw bad(`expands to more than ${MAX_EXPANSION} hosts`);
  }
}
