/**
 * Ansible-compatible Jinja2 templating for playbooks.
 *
 *   render('{{ ports | map("int") | list }}', vars, loc)   -> [22, 80]   (native value)
 *   render('http://{{ host }}:{{ port }}/', vars, loc)      -> 'http://a:80/'
 *   evalExpr("result.rc != 0 and 'x' in result.stdout", vars, loc) -> true
 *
 * nunjucks only parses (src/template/nunjucks.ts); evaluation is our own sandboxed interpreter.
 * Variables whose values are templates are rendered lazily when used (src/template/lazy.ts).
 * Every error is an InputError located at the template (loc plus the line within the template).
 */
import { InputError, type Loc } from '../util/errors.js';
import { copyLoc, itemLocOf, valueLocOf } from '../yaml/load.js';
import type { Vars } from './core.js';
import { hasJinja, isTemplate, newCtx, type Ctx } from './lazy.js';
import { isMapping, setKey } from './py.js';
import { evalTop, parse, renderIn, renderTop, single, toInputError } from './render.js';

export type { Vars } from './core.js';
export { truthy } from './truth.js';
export { isTemplate, markUnsafe } from './lazy.js';

const ctxFor = (vars: Vars, loc: Loc | undefined): Ctx => newCtx(vars ?? {}, loc, renderIn);

/**
 * Template a string. Exactly one `{{ expr }}` (whitespace around allowed) returns the native value
 * (list, dict, number, boolean, null); anything else returns a string. Non-templates are returned as is.
 */
export function render(value: string, vars: Vars, loc?: Loc): unknown {
  if (!hasJinja(value)) return value;
  return renderTop(ctxFor(vars, loc), value, loc);
}

/** Template every string inside arrays/objects (new objects; YAML locations kept and used for errors). */
export function renderDeep(value: unknown, vars: Vars, loc?: Loc): unknown {
  const ctx = ctxFor(vars, loc);
  const walk = (v: unknown, here: Loc | undefined, depth: number): unknown => {
    if (depth > 100) throw new InputError('value is nested too deeply to template', here, 'check for circular data');
    if (typeof v === 'string') return hasJinja(v) ? renderTop(ctx, v, here) : v;
    if (Array.isArray(v)) return copyLoc(v, v.map((x, i) => walk(x, itemLocOf(v, i) ?? here, depth + 1)));
    if (isMapping(v) && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) setKey(out, k, walk(v[k], valueLocOf(v, k) ?? here, depth + 1));
      return copyLoc(v, out);
    }
    return v;
  };
  return walk(value, loc, 0);
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
  // legacy "{{ a }} == 'x'": render the pieces, then evaluate the result as an expression
  return evalTop(ctx, String(renderTop(ctx, s, loc)), loc);
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
