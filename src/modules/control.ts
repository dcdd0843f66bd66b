/** Controller-side action modules: debug, set_fact, assert, fail, ping. */
import type { Module } from '../engine/module/types.js';
import { truthy } from '../template/truth.js';
import { boolish } from '../util/truth.js';
import { any, bool, int, object, str, type Static, typed } from '../engine/module/schema.js';

function show(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v, null, 2) ?? String(v);
}

export type DebugParams = Static<typeof debugSchema>;

const debugSchema = object(
  {
    msg: any("The message (any value). Default 'Hello world!'."),
    var: str('A variable name or bare expression (no {{ }}) whose value is printed.'),
    verbosity: int('Print only when kvplay runs with at least this many -v.', { minimum: 0, default: 0 }),
  },
  { not: { required: ['msg', 'var'] } },
);

export const debug: Module<DebugParams> = {
  name: 'debug',
  readOnly: true,
  doc: 'Print a message (msg) or the value of an expression (var). Never changes anything.',
  schema: debugSchema,
  async action(p, ctx) {
    const level = Number(ctx.vars.ansible_verbosity ?? 0);
    if ((p.verbosity ?? 0) > level) return { changed: false, skipped: true, reason: 'Verbosity threshold not met.', data: { skipped_reason: 'Verbosity threshold not met.' } };
    if (p.var !== undefined) {
      let v: unknown;
      try {
        v = ctx.evalExpr(p.var);
      } catch (e) {
        if (/undefined/i.test((e as Error | undefined)?.message ?? '')) v = 'VARIABLE IS NOT DEFINED!';
        else throw e;
      }
      if (v === undefined) v = 'VARIABLE IS NOT DEFINED!';
      return { changed: false, reason: `${p.var}: ${show(v)}`, data: { [p.var]: v } };
    }
    const msg = p.msg === undefined ? 'Hello world!' : p.msg;
    return { changed: false, msg: show(msg), data: { msg } };
  },
};

export const set_fact: Module<Record<string, unknown>> = {
  name: 'set_fact',
  readOnly: true,
  templateKeys: true,
  doc: "Set host variables from the given keys (values are templated first; the strings true/false/yes/no become booleans, like Ansible). cacheable is accepted and ignored.",
  schema: {
    type: 'object',
    description: 'Any variable names (letters, digits, _) with their values.',
    propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
    properties: { cacheable: { type: 'boolean', description: 'Ignored (no fact cache).' } },
    additionalProperties: true,
    minProperties: 1,
  },
  async action(p) {
    const vars: Record<string, unknown> = {};
    // like Ansible's set_fact: the strings true/false/yes/no become booleans
    for (const [k, v] of Object.entries(p)) {
      if (k === 'cacheable') continue;
      vars[k] = typeof v === 'string' && /^(true|false|yes|no)$/i.test(v) ? boolish(v) : v;
    }
    return { changed: false, reason: `set ${Object.keys(vars).join(', ')}`, setVars: vars, data: { ansible_facts: { ...vars } } };
  },
};

export type AssertParams = Static<typeof assertSchema>;

const assertSchema = object(
  {
    that: typed<string | boolean | (string | boolean)[]>({
      type: ['string', 'boolean', 'array'],
      items: { type: ['string', 'boolean'] },
      description: 'Bare expressions (no {{ }}), all of which must be true.',
    }),
    fail_msg: any("Message on failure (alias: msg). Default 'Assertion failed'.", { aliases: ['msg'] }),
    success_msg: any("Message on success. Default 'All assertions passed'."),
    quiet: bool('Less output on success.', false),
  },
  { required: ['that'] },
);

export const assert: Module<AssertParams> = {
  name: 'assert',
  readOnly: true,
  doc: 'Fail unless every expression in `that` is true.',
  schema: assertSchema,
  async action(p, ctx) {
    const list = Array.isArray(p.that) ? p.that : [p.that];
    for (const expr of list) {
      const v = typeof expr === 'boolean' ? expr : ctx.evalExpr(expr);
      if (!truthy(v)) {
        const msg = p.fail_msg ?? 'Assertion failed';
        return { changed: false, failed: true, msg: `${show(msg)} (${String(expr)} is false)`, data: { msg, assertion: expr, evaluated_to: false } };
      }
    }
    const msg = p.success_msg ?? 'All assertions passed';
    return { changed: false, msg: p.quiet ? 'ok' : show(msg), data: { msg } };
  },
};

export const fail: Module<{ msg?: unknown }> = {
  name: 'fail',
  readOnly: true,
  doc: 'Fail the host with a message.',
  schema: object({ msg: any("The message. Default 'Failed as requested from task'.") }),
  async action(p) {
    const msg = p.msg ?? 'Failed as requested from task';
    return { changed: false, failed: true, msg: show(msg), data: { msg } };
  },
};

export const ping: Module<{ data?: string }> = {
  name: 'ping',
  readOnly: true,
  doc: 'Check that the host runs commands (with become when set). Registers ping: pong.',
  schema: object({ data: str("Value returned in `ping` (default 'pong'); 'crash' makes the module fail.") }),
  async action(p, ctx) {
    const data = p.data ?? 'pong';
    if (data === 'crash') return { changed: false, failed: true, msg: 'boom (data: crash)' };
    const r = await ctx.transport.exec('echo pong', { become: ctx.become });
    if (r.code !== 0 || r.stdout.trim() !== 'pong') {
      return { changed: false, failed: true, msg: `ping failed: rc=${r.code} ${r.stderr.trim()}`.trim() };
    }
    return { changed: false, reason: data, data: { ping: data } };
  },
};
