/**
 * Task arguments -> module params.
 *   command: ls -l chdir=/tmp creates=/x   free-form: known k=v pairs become params, the rest is the command
 *   copy: src=a dest=b mode=0644           k=v pairs (values may be quoted: msg="a b")
 *   copy: {src: a, dest: b}                a mapping passes through (positions kept)
 * and the task's `args:` mapping is merged in (inline arguments win).
 */
import { InputError, type Loc } from '../../util/errors.js';
import { copyLoc } from '../../yaml/load.js';
import { assignVars } from '../../template/unsafe.js';
import type { ModuleInfo } from './types.js';
import { splitArgs, unquote } from '../../util/shlex.js';
import { paramNames } from './validate.js';

const KV = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/;


/** Parse a free-form / k=v string into params. */
export function parseArgString(mod: ModuleInfo, s: string, loc: Loc | undefined): Record<string, unknown> {
  let toks;
  try {
    toks = splitArgs(s);
  } catch (e) {
    throw new InputError(`${mod.name}: ${(e as Error).message}`, loc, 'close the quote, or use the YAML mapping form of the arguments');
  }
  const out: Record<string, unknown> = {};
  const keys = new Set(paramNames(mod));
  if (mod.freeForm) {
    // Known k=v pairs are params; everything else (as written) is the command.
    const pieces: string[] = [];
    let last = 0;
    for (const t of toks) {
      const m = KV.exec(t.raw);
      if (m && keys.has(m[1]) && m[1] !== mod.freeForm && m[1] !== 'argv') {
        out[m[1]] = unquote(m[2]);
        pieces.push(s.slice(last, t.start).replace(/[ \t]+$/, ''));
        last = t.end;
      }
    }
    pieces.push(s.slice(last));
    const rest = pieces.join('').trim();
    if (rest !== '') out[mod.freeForm] = rest;
    return out;
  }
  for (const t of toks) {
    const m = KV.exec(t.raw);
    if (!m) {
      throw new InputError(
        `${mod.name} does not take a free-form argument: '${t.raw}'`,
        loc,
        `write key=value pairs (${mod.name}: key=value ...) or a YAML mapping`,
      );
    }
    out[m[1]] = unquote(m[2]);
  }
  return out;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Normalize a task's module value (`raw`: string, mapping or null) plus the task's `args:`
 * into a params object. A mapping `raw` keeps its hidden YAML positions.
 */
export function normalizeArgs(mod: ModuleInfo, raw: unknown, loc: Loc | undefined, taskArgs?: unknown): Record<string, unknown> {
  let params: Record<string, unknown>;
  if (raw === null || raw === undefined || raw === '') params = {};
  else if (typeof raw === 'string') params = parseArgString(mod, raw, loc);
  else if (isMapping(raw)) {
    params = raw;
    // Ansible's spelling of the free-form argument in mapping form
    if (mod.freeForm && '_raw_params' in raw && !(mod.freeForm in raw)) {
      const { _raw_params, ...rest } = raw;
      params = copyLoc(raw, { [mod.freeForm]: _raw_params, ...rest });
    }
  } else if (typeof raw === 'number' || typeof raw === 'boolean') {
    if (!mod.freeForm) throw new InputError(`${mod.name}: arguments must be key=value pairs or a mapping, got ${JSON.stringify(raw)}`, loc, undefined);
    params = { [mod.freeForm]: String(raw) };
  } else {
    throw new InputError(`${mod.name}: arguments must be a mapping or a string, got a list`, loc, 'write the parameters as a YAML mapping under the module name');
  }
  if (taskArgs === undefined || taskArgs === null) return params;
  if (!isMapping(taskArgs)) throw new InputError('args: must be a mapping', loc, 'e.g. args: {chdir: /tmp}');
  if (params === raw && !Object.keys(taskArgs).length) return params;
  const merged = assignVars({}, taskArgs, params); // keeps `!unsafe` of args: values
  return copyLoc(isMapping(raw) ? raw : taskArgs, merged);
}
