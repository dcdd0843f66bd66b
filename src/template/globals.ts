/** Global functions: range, lookup/query (env, file, vars), dict, namespace. Nothing else is callable. */
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { Opaque, Undef, need, type Kw } from './core.js';
import { NOT_FOUND, lookupVar } from './lazy.js';
import { isMapping, pyErr, pyStr, pyTruth, setKey } from './py.js';
import type { FEnv, GlobalFn } from './types.js';
import { decryptVaultBytes } from '../vault/loader.js';
import { InputError } from '../util/errors.js';

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

const LOOKUP_HINT = "supported lookups: lookup('env', 'NAME'), lookup('file', 'path'), lookup('vars', 'name')";

/** A vault-encrypted file is decrypted, as Ansible's file lookup does (a failure is a template error). */
function vaultPlain(data: Buffer, file: string): Buffer {
  try {
    return decryptVaultBytes(data, file);
  } catch (e) {
    if (e instanceof InputError) throw pyErr(`lookup('file'): ${file}: ${e.message}`, e.hint);
    throw e;
  }
}

function lookupPlugin(e: FEnv, name: string, terms: unknown[], kw: Kw): unknown[] {
  switch (name) {
    case 'env':
      return terms.map((t) => process.env[pyStr(t)] ?? (kw.default !== undefined ? kw.default : ''));
    case 'file': {
      const base = e.ctx.vars.__kvplay_basedir;
      const dir = typeof base === 'string' && base ? base : process.cwd();
      return terms.map((t) => {
        const p = pyStr(t);
        const candidates = isAbsolute(p) ? [p] : [join(dir, 'files', p), resolve(dir, p)];
        for (const c of candidates) {
          let data: Buffer;
          try {
            data = readFileSync(c);
          } catch {
            continue; // try the next candidate
          }
          let text = vaultPlain(data, c).toString('utf8');
          if (kw.rstrip !== false) text = text.replace(/\s+$/, '');
          if (pyTruth(kw.lstrip ?? false)) text = text.replace(/^\s+/, '');
          return text;
        }
        throw pyErr(`lookup('file'): could not read '${p}' (searched ${candidates.join(', ')})`, 'relative paths are resolved against the playbook or role directory (and its files/ folder)');
      });
    }
    case 'vars':
      return terms.map((t) => {
        const v = lookupVar(e.ctx, pyStr(t));
        if (v === NOT_FOUND) return kw.default !== undefined ? kw.default : new Undef(`undefined variable '${pyStr(t)}'`, -1);
        return v;
      });
    default:
      throw pyErr(`lookup plugin '${name}' is not supported`, LOOKUP_HINT);
  }
}

function lookup(e: FEnv, args: unknown[], kw: Kw, wantlist: boolean): unknown {
  const [name, ...terms] = args.map(need);
  if (typeof name !== 'string') throw pyErr('lookup: the first argument is the lookup name', LOOKUP_HINT);
  if (e.ctx.noLookups) throw pyErr(`the lookup '${name}' was found, however lookups are disabled here: the text of this condition came from untrusted data`, 'write the condition as a bare expression, without {{ }}');
  const flat = terms.flatMap((t) => (Array.isArray(t) ? Array.from(t) : [t]));
  const res = lookupPlugin(e, name, flat, kw);
  // lookup results are unsafe, as in Ansible: they are never templated again
  if (res.length) e.ctx.tainted = true;
  if (wantlist || pyTruth(kw.wantlist ?? false)) return res;
  return res.length === 1 ? res[0] : res.map((r) => pyStr(need(r))).join(',');
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
  lookup: (e, a, kw) => lookup(e, a, kw, false),
  query: (e, a, kw) => lookup(e, a, kw, true),
  q: (e, a, kw) => lookup(e, a, kw, true),
  dict: (_e, a, kw) => dict(a, kw),
  namespace: (_e, a, kw) => {
    const ns = dict(a, kw);
    NAMESPACES.add(ns);
    return ns;
  },
};
