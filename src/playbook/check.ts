/** Static template checks at load time: every template string of a task must parse. */
import { InputError, type Loc } from '../util/errors.js';
import { valueLocOf, itemLocOf, unsafeTagged } from '../yaml/load.js';
import { syntaxError } from '../template/index.js';
import type { ModuleTask, StaticIssue } from './model.js';

function walk(v: unknown, loc: Loc, out: InputError[], owner?: unknown, key?: string | number): void {
  if (owner !== undefined && key !== undefined && unsafeTagged(owner, key)) return; // `!unsafe`: data, not a template
  const here = owner === undefined ? loc : (typeof key === 'number' ? itemLocOf(owner, key) : valueLocOf(owner, String(key))) ?? loc;
  if (typeof v === 'string') {
    if (v.includes('{{') || v.includes('{%')) {
      const e = syntaxError(v, here, false);
      if (e) out.push(e);
    }
  } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, here, out, v, i));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, here, out, v, k);
}

/**
 * Check the templates in a task's params, loop, and bare expressions (when/changed_when/failed_when/
 * until). Ansible meets a bad template only when the task runs: the problems are kept on the task
 * (`issues`), and the loader makes each an error or a warning by where the task is (src/playbook/guard.ts).
 */
export function checkTemplates(t: ModuleTask, raw: Record<string, unknown>): void {
  const rest: InputError[] = [];
  walk(t.params, t.loc, rest, raw, t.module in raw ? t.module : Object.keys(raw).find((k) => raw[k] === t.params));
  if (t.loop !== undefined) walk(t.loop, t.loc, rest, raw, t.loopKind);
  const issues: StaticIssue[] = [];
  [...t.when, ...(t.changedWhen ?? []), ...(t.failedWhen ?? []), ...(t.until ? [t.until] : [])].forEach((c, i) => {
    if (typeof c.expr !== 'string') return;
    const e = syntaxError(c.expr, c.loc, true);
    if (e) issues.push({ error: e, firstWhen: i === 0 && t.when.length > 0 });
  });
  issues.push(...rest.map((error) => ({ error, firstWhen: false })));
  if (issues.length) t.issues = issues;
}

/** Modules that run nothing on the host (their values never reach a command line; they need no connection). */
export const CONTROLLER_ONLY = new Set(['debug', 'set_fact', 'assert', 'fail', 'pause', 'async_status']);

/**
 * A NUL byte (YAML "\0") cannot be part of a command line, a path or an environment value: the
 * host would silently cut the text there. A literal one is an error at load time; a templated
 * one fails the task when it runs (src/util/quote.ts). File content (copy content:) may hold NUL.
 */
export function checkNul(t: ModuleTask, raw: Record<string, unknown>, out: InputError[], at: Loc): void {
  if (CONTROLLER_ONLY.has(t.module)) return; // their values never reach a command line
  const walk = (v: unknown, here: Loc, path: string): void => {
    if (typeof v === 'string') {
      if (v.includes('\0')) out.push(new InputError(`${path} holds a NUL byte ("\\0"): no command line, path or name can hold one`, here, 'remove the \\0 escape (binary data belongs in a file: copy src:)'));
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, itemLocOf(v, i) ?? here, `${path}[${i}]`));
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) if (!(path === t.module && k === 'content')) walk(x, valueLocOf(v, k) ?? here, `${path}.${k}`);
    }
  };
  walk(t.params, at, t.module);
  if (raw.environment !== undefined) walk(raw.environment, valueLocOf(raw, 'environment') ?? t.loc, 'environment');
}
