/**
 * One truth rule and one regex translator (issue 10, "divergent copies"): `when:` and `assert:`
 * agree (Python truth, as ansible-playbook 2.14: 'no' and 'false' are true), keyword booleans use
 * Ansible's boolean(), and every regex user compiles through src/util/pyre.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evalExpr, render, truthy } from '../../src/template/index.js';
import { boolish, toBool } from '../../src/util/truth.js';
import { expandMatch, paramRegex, pyRegex } from '../../src/util/pyre.js';
import { loadModule } from '../../src/engine/module/registry.js';
import { makeCtx } from '../modules/helpers.js';

const vars = { a: 'no', b: 'false', c: '0', e: '', f: 'yes', z: 0, l: [], d: {} };

test('conditions: Python truth (ansible-playbook 2.14 runs `when: a` for a = "no")', () => {
  const got = Object.fromEntries(Object.keys(vars).map((k) => [k, truthy(evalExpr(k, vars))]));
  assert.equal(got, { a: true, b: true, c: true, e: false, f: true, z: false, l: false, d: false });
});

test('assert: that: evaluates with the same rule as when:', async () => {
  const mod = (await loadModule('assert'))!;
  for (const [k, expect] of [['a', true], ['b', true], ['e', false]] as const) {
    const ctx = makeCtx({ evalExpr: (x: unknown) => evalExpr(x as string, vars) } as never);
    const r = await mod.action!({ that: [k] } as never, ctx);
    assert.is(!r.failed, expect, `assert that: ${k}`);
    assert.is(truthy(evalExpr(k, vars)), expect, `when: ${k}`);
  }
});

test('keyword booleans: Ansible boolean(); the bool filter: to_bool', () => {
  assert.equal(['yes', 'on', 'Y', '1', 't', ' True ', 1, true].map(toBool), [true, true, true, true, true, true, true, true]);
  assert.equal(['no', 'off', 'n', '0', 'F', 0, false].map(toBool), [false, false, false, false, false, false, false]);
  assert.is(toBool('maybe'), undefined);
  assert.is(boolish('maybe'), false);
  assert.is(render("{{ 'no' | bool }}", {}), false);
  assert.is(render("{{ 'Yes' | bool }}", {}), true);
  assert.is(render('{{ none | bool }}', {}), '', "None, rendered as '' (Ansible's finalize)");
  assert.is(render("{{ 'no' is truthy(convert_bool=True) }}", {}), false);
  assert.is(render("{{ 'no' is truthy }}", {}), true);
});

test('one regex translator: \\A is the start of the string even with (?m), as in Python', () => {
  assert.is(pyRegex('(?m)\\Anext').test('line a\nnext'), false);
  assert.is(paramRegex('(?m)\\Anext', 'search_regex', 'm').test('line a\nnext'), false);
  assert.is(paramRegex('^next$', 'search_regex', 'm').test('line a\nnext\nz'), true);
  assert.is(render("{{ 'line a\\nnext' is search('(?m)\\\\Anext') }}", {}), false);
  const m = paramRegex('(?P<k>\\w+)=(\\d+)').exec('port=22')!;
  assert.is(expandMatch('\\g<k>: \\2', m), 'port: 22');
  assert.throws(() => paramRegex('(', 'regexp'), /regexp: invalid regular expression/);
});

test.run();
