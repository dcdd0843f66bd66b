/**
 * Static analysis: the top-level variable names a template reads without a guard.
 * A name under `| default(...)`, `is defined`, `is undefined` or `is none` is guarded;
 * names bound by {% for %} / {% set %} / macros are local. Used to report undefined variables
 * before any host is contacted.
 */
import type { Expr, Stmt } from './ast.js';
import { parse } from './render.js';
import { isTemplate } from './lazy.js';

const GUARD_FILTERS = new Set(['default', 'd', 'mandatory']);
const GUARD_TESTS = new Set(['defined', 'undefined', 'none']);
/** Global functions of the template language (not variables). */
const GLOBALS = new Set(['range', 'lookup', 'query', 'q', 'dict', 'now', 'undef', 'loop', 'true', 'false', 'none', 'True', 'False', 'None', 'omit', 'namespace', 'super', 'varargs', 'kwargs', 'caller']);

/** Free names of a template string (or of a bare expression when isExpr). Throws on syntax errors. */
export function freeNames(text: string, isExpr = false): string[] {
  const src = isExpr && !isTemplate(text.trim()) ? `{{ ${text} }}` : text;
  const out = new Set<string>();
  walkStmts(parse(src), new Set(), out);
  return [...out];
}

function walkStmts(body: Stmt[], bound: Set<string>, out: Set<string>): void {
  const local = new Set(bound);
  for (const s of body) {
    switch (s.k) {
      case 'text':
        break;
      case 'out':
        walkExpr(s.e, local, out);
        break;
      case 'if':
        walkExpr(s.test, local, out);
        walkStmts(s.body, local, out);
        walkStmts(s.else_, local, out);
        break;
      case 'for': {
        walkExpr(s.iter, local, out);
        const inner = new Set([...local, ...s.names, 'loop']);
        if (s.filter) walkExpr(s.filter, inner, out);
        walkStmts(s.body, inner, out);
        walkStmts(s.else_, local, out);
        break;
      }
      case 'set':
        if (s.value) walkExpr(s.value, local, out);
        if (s.body) walkStmts(s.body, local, out);
        for (const t of s.targets) if (t.k === 'name') local.add(t.name);
        break;
      case 'macro':
        local.add(s.name);
        walkStmts(s.body, new Set([...local, ...s.params]), out);
        break;
    }
  }
}

function walkExpr(e: Expr | null, bound: Set<string>, out: Set<string>): void {
  if (!e) return;
  switch (e.k) {
    case 'name':
      if (!bound.has(e.name) && !GLOBALS.has(e.name)) out.add(e.name);
      return;
    case 'filter':
      if (!GUARD_FILTERS.has(e.name)) walkExpr(e.value, bound, out);
      e.args.forEach((a) => walkExpr(a, bound, out));
      e.kw.forEach(([, a]) => walkExpr(a, bound, out));
      walkExpr(e.star ?? null, bound, out);
      walkExpr(e.dstar ?? null, bound, out);
      return;
    case 'test':
      if (!GUARD_TESTS.has(e.name)) walkExpr(e.value, bound, out);
      e.args.forEach((a) => walkExpr(a, bound, out));
      e.kw.forEach(([, a]) => walkExpr(a, bound, out));
      walkExpr(e.star ?? null, bound, out);
      walkExpr(e.dstar ?? null, bound, out);
      return;
    case 'lit':
      return;
    case 'capture':
      walkStmts(e.body, bound, out);
      return;
    case 'cond':
      // `x if x is defined else y`: a guarded branch may read x
      if (e.test.k === 'test' && GUARD_TESTS.has(e.test.name)) {
        walkExpr(e.else_, bound, out);
        return;
      }
      walkExpr(e.test, bound, out);
      walkExpr(e.then, bound, out);
      walkExpr(e.else_, bound, out);
      return;
    case 'and':
    case 'or':
      // `x is defined and x.y`: the right side is guarded by the left
      if (e.l.k === 'test' && GUARD_TESTS.has(e.l.name)) return;
      walkExpr(e.l, bound, out);
      walkExpr(e.r, bound, out);
      return;
    default:
      for (const [k, v] of Object.entries(e)) {
        if (k === 'line' || k === 'col' || k === 'k') continue;
        if (Array.isArray(v)) v.forEach((x) => (Array.isArray(x) ? x.forEach((y) => isExpr(y) && walkExpr(y, bound, out)) : isExpr(x) && walkExpr(x, bound, out)));
        else if (isExpr(v)) walkExpr(v, bound, out);
      }
  }
}

const isExpr = (v: unknown): v is Expr => !!v && typeof v === 'object' && typeof (v as { k?: unknown }).k === 'string';
