/**
 * A play's `vars_prompt:` as Ansible's PlaybookExecutor reads it: a list of mappings, each with a
 * `name` and optional `prompt`, `default`, `private` (true unless said), `confirm`, `unsafe`.
 * The values are asked (or defaulted) when the play starts: src/engine/varsprompt.ts.
 */
import { InputError, type Loc } from '../util/errors.js';
import { keyLocOf, itemLocOf, valueLocOf } from '../yaml/load.js';
import { didYouMean } from '../util/suggest.js';
import { kindOf } from './schema.js';
import type { VarPrompt } from './model.js';
import type { LoadCtx } from './tasks.js';

const KEYS = ['name', 'prompt', 'default', 'private', 'confirm', 'unsafe', 'encrypt', 'salt', 'salt_size'];
const UNSUPPORTED_KEYS = new Set(['encrypt', 'salt', 'salt_size']);
const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

export function parseVarsPrompt(p: Record<string, unknown>, loc: Loc, ctx: LoadCtx): VarPrompt[] {
  const v = p.vars_prompt;
  if (v === undefined || v === null) return [];
  const at = valueLocOf(p, 'vars_prompt') ?? loc;
  const hint = 'vars_prompt: [{name: NAME, prompt: "Question?", default: VALUE, private: false}]';
  if (!Array.isArray(v)) {
    ctx.errors.push(new InputError(`'vars_prompt' must be a list of mappings, got ${kindOf(v)}`, at, hint));
    return [];
  }
  const out: VarPrompt[] = [];
  v.forEach((e, i) => {
    const eloc = itemLocOf(v, i) ?? at;
    if (!isObj(e) || typeof e.name !== 'string' || !e.name) {
      ctx.errors.push(new InputError(`a vars_prompt entry must be a mapping with a 'name', got ${kindOf(e)}`, eloc, hint));
      return;
    }
    for (const k of Object.keys(e)) {
      if (UNSUPPORTED_KEYS.has(k)) ctx.errors.push(new InputError(`vars_prompt '${k}' is not supported by kvplay`, keyLocOf(e, k) ?? eloc, "kvplay does not support vars_prompt encrypt yet: hash the value where it is used, e.g. \"{{ pw | password_hash('sha512') }}\""));
      else if (!KEYS.includes(k)) ctx.errors.push(new InputError(`unknown vars_prompt key '${k}'`, keyLocOf(e, k) ?? eloc, didYouMean(k, KEYS) || `allowed: ${KEYS.filter((x) => !UNSUPPORTED_KEYS.has(x)).join(', ')}`));
    }
    ctx.defined.add(e.name);
    out.push({ entry: e, loc: eloc });
  });
  return out;
}
