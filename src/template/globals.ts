/** Global functions: range, lookup/query (lookups.ts), dict, namespace, now, undef. Nothing else is callable. */
import { Opaque, Undef, need, type Kw } from './core.js';
import { isMapping, pyErr, pyStr, setKey } from './py.js';
import type { GlobalFn } from './types.js';
import { now } from './pydate.js';
import { lookupGlobal } from './lookups.js';

/** A reference to a global function, as seen by templates (opaque: no attributes). */
export class GlobalRef extends Opaque {
  constructor(readonly name: string) {
    super();
    Object.freeze(this);
  }
  describe(): string {
    return `<function ${this.name}>`;
  }
}

/** Objects made by namespace(): the only objects `{% set ns.x = ... %}` may assign to. */
export const NAMESPACES = new WeakSet<object>();

const MAX_RANGE = 100_000;

function range(args: unknown[]): number[] {
  const n = args.map((a) => {
    const x = Number(need(a));
    if (!Number.isInteger(x)) throw pyErr(`range: integer arguments expected, got ${pyStr(a)}`);
    return x;
  });
  const [start, stop, step] = n.length === 1 ? [0, n[0], 1] : [n[0], n[1], n[2] ?? 1];
  if (!n.length || n.length > 3) throw pyErr('range expects 1 to 3 arguments');
  if (step === 0) throw pyErr('range: step must not be zero');
  const len = Math.max(0, Math.ceil((stop - start) / step));
  if (len > MAX_RANGE) throw pyErr(`range: too many items (${len}, the limit is ${MAX_RANGE})`);
  return Array.from({ length: len }, (_x, i) => start + i * step);
}

function dict(args: unknown[], kw: Kw): Record<string, unknown> {
  const out = {};
  for (const a of args) {
    if (isMapping(a)) for (const k of Object.keys(a)) setKey(out, k, a[k]);
    else if (Array.isArray(a))
      for (const pair of Array.from(a)) {
        if (!Array.isArray(pair) || pair.length !== 2) throw pyErr('dict: expected a list of (key, value) pairs');
        setKey(out, pyStr(need(pair[0])), pair[1]);
      }
    else throw pyErr('dict: expected a dict or a list of pairs');
  }
  for (const k of Object.keys(kw)) setKey(out, k, kw[k]);
  return out;
}

export const GLOBALS: Record<string, GlobalFn> = {
  range: (_e, a) => range(a),
  lookup: (e, a, kw, taint) => lookupGlobal(e, a, kw, false, taint),
  query: (e, a, kw, taint) => lookupGlobal(e, a, kw, true, taint),
  q: (e, a, kw, taint) => lookupGlobal(e, a, kw, true, taint),
  dict: (_e, a, kw) => dict(a, kw),
  now: (_e, a, kw) => now(a, kw),
  // undef(hint): an undefined value ("Mandatory variable has not been overridden" when used)
  undef: (_e, a, kw) => {
    const hint = a[0] ?? kw.hint;
    return new Undef(typeof hint === 'string' && hint ? hint : 'Mandatory variable has not been overridden', -1);
  },
  namespace: (_e, a, kw) => {
    const ns = dict(a, kw);
    NAMESPACES.add(ns);
    return ns;
  },
};
