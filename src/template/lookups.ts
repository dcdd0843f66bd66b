/**
 * lookup() / query() / q(), as Ansible's Templar._lookup: the terms are templated first
 * (listify_lookup_plugin_terms: a term holding {{ }} is rendered, unless it came from unsafe
 * data), the plugin runs on the controller, and its results are unsafe (the render is tainted),
 * unless allow_unsafe=True. lookup() joins string results with ',' (one non-string result is
 * returned as is), query() and wantlist=True return the list. errors='ignore'/'warn' turn a
 * plugin's failure into None (or []).
 * The plugins: lookups-files.ts (controller files and commands) and lookups-loops.ts (data).
 */
import { TplError, Undef, need, type Kw } from './core.js';
import { NOT_FOUND, lookupVar } from './lazy.js';
import { isMapping, ownData, pyErr, pyStr, pyTruth, pyType, setKey } from './py.js';
import { pyRegex } from '../util/pyre.js';
import { InputError } from '../util/errors.js';
import type { FEnv } from './types.js';
import { FILE_LOOKUPS, SUBDIR_OPTION } from './lookups-files.js';
import { LOOP_LOOKUPS } from './lookups-loops.js';

/** A lookup plugin: run(terms, options) -> results (a list). */
export type LookupFn = (e: FEnv, terms: unknown[], kw: Kw) => unknown[];

const LOOKUP_HINT = 'see ansible.builtin lookups: file, env, template, pipe, lines, first_found, fileglob, items, list, dict, password, vars, sequence, subelements, nested, together, indexed_items, random_choice, varnames, unvault';

const CORE_LOOKUPS: Record<string, LookupFn> = {
  env: (_e, terms, kw) =>
    terms.map((t) => {
      const name = pyStr(t).trim().split(/\s+/)[0];
      if (!name) throw pyErr("lookup('env'): an empty variable name");
      const v = process.env[name];
      return v !== undefined ? v : kw.default !== undefined ? kw.default : '';
    }),
  vars: (e, terms, kw) =>
    terms.map((t) => {
      if (typeof t !== 'string') throw pyErr(`Invalid setting identifier, "${pyStr(t)}" is not a string, its a ${pyType(t)}`);
      let v = lookupVar(e.ctx, t);
      if (v === NOT_FOUND) {
        const hv = lookupVar(e.ctx, 'hostvars');
        const host = lookupVar(e.ctx, 'inventory_hostname');
        const mine = isMapping(hv) && typeof host === 'string' ? ownData(hv, host)?.v : undefined;
        const r = isMapping(mine) ? ownData(mine, t) : undefined;
        v = r ? r.v : NOT_FOUND;
      }
      if (v === NOT_FOUND || v instanceof Undef) {
        if (kw.default !== undefined && kw.default !== null) return kw.default;
        throw new TplError(`No variable found with this name: ${t}`, "define it, or give lookup('vars', name, default=...)", -1);
      }
      return v;
    }),
  varnames: (e, terms) => {
    const names = Object.keys(e.ctx.vars);
    return terms.flatMap((t) => {
      if (typeof t !== 'string') throw pyErr(`Invalid setting identifier, "${pyStr(t)}" is not a string, it is a ${pyType(t)}`);
      const re = pyRegex(t);
      return names.filter((n) => re.test(n));
    });
  },
};

const PLUGINS: Record<string, LookupFn> = Object.freeze(Object.assign(Object.create(null), CORE_LOOKUPS, FILE_LOOKUPS, LOOP_LOOKUPS));

/** Whether a lookup plugin of that name exists (with_<name> loops). */
export const hasLookup = (name: string) => Object.prototype.hasOwnProperty.call(PLUGINS, name.replace(/^ansible\.builtin\./, ''));

/**
 * Ansible's listify step: strings holding a template are rendered (recursively inside lists and
 * dicts), except data that is unsafe.
 */
export function templateTerm(e: FEnv, v: unknown, depth = 0): unknown {
  if (depth > 100) throw pyErr('lookup terms are nested too deeply');
  if (typeof v === 'string') return /\{\{|\{%/.test(v) ? need(e.ctx.render(e.ctx, v, e.ctx.loc)) : v;
  if (Array.isArray(v)) return Array.from(v, (x) => templateTerm(e, x, depth + 1));
  if (isMapping(v)) {
    const out = {};
    for (const k of Object.keys(v)) setKey(out, k, templateTerm(e, v[k], depth + 1));
    return out;
  }
  return v;
}

/** Run plugin `name` on already templated terms (with_<name> loops, query()). */
export function runLookup(e: FEnv, name: string, terms: unknown[], kw: Kw): unknown[] {
  const short = name.replace(/^ansible\.builtin\./, '');
  if (!Object.prototype.hasOwnProperty.call(PLUGINS, short)) throw pyErr(`lookup plugin (${name}) not found`, LOOKUP_HINT);
  const r = PLUGINS[short](e, terms, kw);
  return r;
}

/** lookup(name, *terms, **kw) / query(...): `taint[i]` tells whether argument i came from unsafe data. */
export function lookupGlobal(e: FEnv, args: unknown[], kwIn: Kw, wantlistDefault: boolean, taint: boolean[] = []): unknown {
  const name = need(args[0]);
  if (typeof name !== 'string') throw pyErr('lookup: the first argument is the lookup name', LOOKUP_HINT);
  if (e.ctx.noLookups) throw pyErr(`the lookup '${name}' was found, however lookups are disabled here: the text of this condition came from untrusted data`, 'write the condition as a bare expression, without {{ }}');
  const kw: Kw = Object.assign(Object.create(null), kwIn);
  const wantlist = wantlistDefault || pyTruth(kw.wantlist ?? false);
  const allowUnsafe = pyTruth(kw.allow_unsafe ?? false);
  const errors = kw.errors === undefined ? 'strict' : pyStr(kw.errors);
  delete kw.wantlist;
  delete kw.allow_unsafe;
  delete kw.errors;
  delete kw[SUBDIR_OPTION]; // set by with_first_found loops only
  const terms = args.slice(1).map((t, i) => (taint[i + 1] ? need(t) : templateTerm(e, need(t))));
  let ran: unknown[];
  try {
    ran = runLookup(e, name, terms, kw);
  } catch (err) {
    if ((err instanceof TplError || err instanceof InputError) && (errors === 'ignore' || errors === 'warn') && !/^lookup plugin \(/.test(err.message)) {
      if (errors === 'warn') process.stderr.write(`[WARNING]: Lookup failed but the error is being ignored: ${err.message}\n`);
      return wantlist ? [] : null;
    }
    throw err;
  }
  // allow_unsafe=True: the plugin's list as it is (neither marked nor joined), as in Ansible
  if (!ran.length || allowUnsafe) return ran;
  e.ctx.tainted = true;
  if (wantlist) return ran;
  if (ran.every((x) => typeof x === 'string')) return ran.join(',');
  return ran.length === 1 ? ran[0] : ran;
}
