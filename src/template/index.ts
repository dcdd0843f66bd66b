/**
 * Ansible-compatible Jinja2 templating for playbooks.
 *
 *   render('{{ ports | map("int") | list }}', vars, loc)   -> [22, 80]   (native value)
 *   render('http://{{ host }}:{{ port }}/', vars, loc)      -> 'http://a:80/'
 *   evalExpr("result.rc != 0 and 'x' in result.stdout", vars, loc) -> true
 *
 * Parsing is our own port of Jinja2's lexer and parser (parser.ts); evaluation is our own
 * sandboxed interpreter (interp.ts): no template can reach JavaScript.
 * Variables whose values are templates are rendered lazily when used (src/template/lazy.ts).
 * Every error is an InputError located at the template (loc plus the line within the template).
 * Untrusted data (host data, lookups, `!unsafe`) is never templated; see unsafe.ts.
 */
import { InputError, type Loc } from '../util/errors.js';
import { copyLoc, itemLocOf, valueLocOf } from '../yaml/load.js';
import type { Vars } from './core.js';
import { NOT_FOUND, hasJinja, isTemplate, lookupVar, materialize, newCtx, tracked, type Ctx } from './lazy.js';
import { isMapping } from './py.js';
import { evalTop, parse, renderIn, renderTop, single, toInputError } from './render.js';
import { renderFileIn } from './file.js';
import { ANSIBLE_OPTIONS, type TemplateOptions } from './options.js';
import { runLookup } from './lookups.js';
import { SUBDIR_OPTION } from './lookups-files.js';
import { Interp } from './interp.js';
import { isUnsafe, isUnsafeKey, markUnsafe, setVar } from './unsafe.js';

export type { Vars } from './core.js';
export { truthy } from './truth.js';
export { isTemplate } from './lazy.js';
export { assignVars, carryUnsafe, isUnsafe, isUnsafeKey, markUnsafe, markUnsafeKey, mergeVars, setVar, withVar } from './unsafe.js';

/** A rendered value, and whether it is unsafe (it was computed from host data, a lookup or `!unsafe`). */
export interface Rendered {
  value: unknown;
  unsafe: boolean;
}

const ctxFor = (vars: Vars, loc: Loc | undefined): Ctx => newCtx(vars ?? {}, loc, renderIn);

/**
 * Template a string. Exactly one `{{ expr }}` (whitespace around allowed) returns the native value
 * (list, dict, number, boolean, null); anything else returns a string. Non-templates are returned as is.
 */
export function render(value: string, vars: Vars, loc?: Loc): unknown {
  return renderTracked(value, vars, loc).value;
}

/** render(), telling whether the result is unsafe (lists and dicts are also marked unsafe). */
export function renderTracked(value: string, vars: Vars, loc?: Loc): Rendered {
  if (!hasJinja(value)) return { value, unsafe: false };
  const ctx = ctxFor(vars, loc);
  const r = tracked(ctx, () => renderTop(ctx, value, loc));
  return { value: r.t ? markUnsafe(r.v) : r.v, unsafe: r.t };
}

/**
 * Template every string inside arrays/objects (new objects; YAML locations kept and used for errors).
 * Unsafe values are copied as they are; a value whose render read unsafe data is marked unsafe
 * in its container (unsafe.ts), so storing the result keeps host data literal.
 */
export function renderDeep(value: unknown, vars: Vars, loc?: Loc): unknown {
  return renderDeepTracked(value, vars, loc).value;
}

/** renderDeep(), telling whether the value as a whole is unsafe (its parts carry their own marks). */
export function renderDeepTracked(value: unknown, vars: Vars, loc?: Loc): Rendered {
  const ctx = ctxFor(vars, loc);
  const walk = (v: unknown, here: Loc | undefined, depth: number): [unknown, boolean] => {
    if (depth > 100) throw new InputError('value is nested too deeply to template', here, 'check for circular data');
    if (typeof v === 'string') {
      if (!hasJinja(v)) return [v, false];
      const r = tracked(ctx, () => renderTop(ctx, v, here));
      return [r.t ? markUnsafe(r.v) : r.v, r.t];
    }
    if (isUnsafe(v)) return [v, true];
    const isArr = Array.isArray(v);
    if (!isArr && !(isMapping(v) && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null))) return [v, false];
    const src = v as Record<string, unknown>;
    const out: Record<string, unknown> | unknown[] = isArr ? [] : {};
    for (const k of Object.keys(src)) {
      const [x, unsafe] = isUnsafeKey(src, k) ? [src[k], true] : walk(src[k], (isArr ? itemLocOf(src, Number(k)) : valueLocOf(src, k)) ?? here, depth + 1);
      setVar(out, k, x, unsafe);
    }
    return [copyLoc(v, out), false];
  };
  const [v, unsafe] = walk(value, loc, 0);
  return { value: v, unsafe };
}

/** The value of variable `name` as a template reads it (rendered lazily; unsafe data as it is). */
export function varValue(vars: Vars, name: string, loc?: Loc): unknown {
  const ctx = ctxFor(vars, loc);
  const v = lookupVar(ctx, name);
  try {
    return v === NOT_FOUND ? undefined : materialize(v);
  } catch (err) {
    throw toInputError(err, loc);
  }
}

/**
 * Evaluate a bare Jinja expression (when:, changed_when:, failed_when:, until:).
 * Booleans and numbers pass through; `{{ expr }}` is accepted too.
 */
export function evalExpr(expr: string | boolean | number, vars: Vars, loc?: Loc): unknown {
  if (typeof expr !== 'string') return expr;
  const ctx = ctxFor(vars, loc);
  const s = expr.trim();
  if (!isTemplate(s)) return evalTop(ctx, s, loc);
  let isSingle: boolean;
  try {
    isSingle = single(parse(s)) !== null;
  } catch (err) {
    throw toInputError(err, loc);
  }
  if (isSingle) return renderTop(ctx, s, loc);
  // legacy "{{ a }} == 'x'": render the pieces, then evaluate the result as an expression;
  // text that came from unsafe data may not run lookups (as in Ansible)
  const text = tracked(ctx, () => renderTop(ctx, s, loc));
  if (text.t) ctx.noLookups = true;
  return evalTop(ctx, String(text.v), loc);
}

/**
 * Static check: the syntax error of a template (or of a bare expression when `isExpr`), if any.
 * Unknown filter and test names count as syntax errors.
 */
export function syntaxError(text: string, loc?: Loc, isExpr = false): InputError | undefined {
  const s = text.trim();
  try {
    if (isExpr && !isTemplate(s)) parse(`{{ ${s} }}`);
    else parse(text);
    return undefined;
  } catch (err) {
    if (isExpr && !isTemplate(s) && (err as { line?: number }).line === 0 && typeof (err as { col?: number }).col === 'number') (err as { col: number }).col = Math.max(0, (err as { col: number }).col - 3);
    return toInputError(err, loc, isExpr && !isTemplate(s) ? 'expression' : 'template');
  }
}
export { freeNames } from './names.js';

/** Render the text of a template file (template module): a string; see file.ts and options.ts. */
export function renderTemplateFile(text: string, vars: Vars, loc?: Loc, opts: TemplateOptions = ANSIBLE_OPTIONS): string {
  return renderFileIn(ctxFor(vars, loc), text, loc, opts);
}
export { ANSIBLE_OPTIONS, setOption, type TemplateOptions } from './options.js';

/**
 * The items of a `with_<name>` loop: lookup plugin `name` run on the (already templated) terms,
 * as Ansible's task executor does (`subdir`: the folder first_found searches first). The items are
 * plain data; the caller marks them unsafe, as Ansible does.
 */
export function loopLookup(name: string, terms: unknown[], vars: Vars, loc: Loc | undefined, subdir?: string): unknown[] {
  const ctx = ctxFor(vars, loc);
  try {
    const kw = Object.create(null);
    if (subdir) kw[SUBDIR_OPTION] = subdir;
    return runLookup(new Interp(ctx), name, terms, kw).map((x) => materialize(x));
  } catch (err) {
    throw toInputError(err, loc);
  }
}
export { hasLookup } from './lookups.js';
