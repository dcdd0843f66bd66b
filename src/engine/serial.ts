/** Play `serial:` batches, as Ansible's PlayIterator cuts them. */
import { InputError, type Loc } from '../util/errors.js';

/** Ansible's serial: a batch size, "N%" of the play's hosts, or a list of those (the last one repeats); 0 = all. */
export function serialBatches(names: string[], serial: unknown, loc: Loc): string[][] {
  if (serial === undefined || serial === null) return [names];
  const sizes = (Array.isArray(serial) ? serial : [serial]).map((x) => {
    const s = typeof x === 'number' ? String(x) : typeof x === 'string' ? x.trim() : '';
    if (!/^\d+(\.\d+)?%?$/.test(s)) throw new InputError(`'serial' must be an integer, "N%" or a list of those, got ${JSON.stringify(x)}`, loc, 'e.g. serial: 2, serial: "30%" or serial: [1, 5, "50%"]');
    return s.endsWith('%') ? Math.floor((names.length * parseFloat(s)) / 100) || 1 : Math.floor(Number(s));
  });
  const out: string[][] = [];
  let i = 0;
  for (let b = 0; i < names.length; b = Math.min(b + 1, sizes.length - 1)) {
    const n = sizes[b] > 0 ? sizes[b] : names.length;
    out.push(names.slice(i, i + n));
    i += n;
  }
  return out.length ? out : [names];
}
