import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evalExpr, isTemplate, render, renderDeep, truthy, type Vars } from '../../src/template/index.js';
import { parseYaml, valueLocOf } from '../../src/yaml/load.js';
import type { Loc } from '../../src/util/errors.js';

const LOC: Loc = { file: 'play.yaml', line: 10, col: 12 };
const vars: Vars = { n: 3, s: 'web', l: [1, 2], d: { k: 'v' }, t: true, z: null, f: 1.5, e: '' };
const r = (s: string, v: Vars = vars) => render(s, v, LOC);

test('isTemplate', () => {
  assert.is(isTemplate('{{ x }}'), true);
  assert.is(isTemplate('a {% if x %}b{% endif %}'), true);
  assert.is(isTemplate('plain { x }'), false);
  assert.is(isTemplate(42), false);
  assert.is(isTemplate(undefined), false);
});

test('a single {{ expr }} returns native values', () => {
  assert.is(r('{{ n }}'), 3);
  assert.is(r('{{ f }}'), 1.5);
  assert.is(r('{{ t }}'), true);
  assert.is(r('{{ z }}'), null);
  assert.equal(r('{{ l }}'), [1, 2]);
  assert.equal(r('{{ d }}'), { k: 'v' });
  assert.equal(r('{{ [1, "a", none] }}'), [1, 'a', null]);
  assert.equal(r('{{ {"a": [1, {"b": 2}]} }}'), { a: [1, { b: 2 }] });
  assert.is(r('  {{ n + 1 }}\n'), 4, 'whitespace around a single expression is allowed');
  assert.is(r('{{- n -}}'), 3);
  assert.is(r('{{ s }}'), 'web');
});

test('natives are copies: mutating a result leaves vars untouched', () => {
  const v = { l: [1, 2] };
  const out = r('{{ l }}', v) as number[];
  out.push(3);
  assert.equal(v.l, [1, 2]);
});

test('mixed templates return Python-formatted strings', () => {
  assert.is(r('n={{ n }}'), 'n=3');
  assert.is(r('{{ s }}-{{ n }}'), 'web-3');
  assert.is(r('x{{ l }}'), 'x[1, 2]');
  assert.is(r('x{{ d }}'), "x{'k': 'v'}");
  assert.is(r('x{{ t }}'), 'xTrue');
  assert.is(r('x{{ z }}y'), 'xy', 'None renders as empty (Ansible finalize)');
  assert.is(r('{{ "it\'s" }} {{ ["it\'s"] }}'), 'it\'s ["it\'s"]');
});

test('non-templates and non-strings are returned unchanged', () => {
  assert.is(r('plain text'), 'plain text');
  assert.is(render(5 as unknown as string, vars), 5);
  assert.is(r('{# comment only #}'), '', 'comments are stripped as in Ansible');
});

test('statements, whitespace control and comments', () => {
  assert.is(r('{% if n > 2 %}big{% else %}small{% endif %}'), 'big');
  assert.is(r('{% if n > 5 %}a{% elif n > 2 %}b{% else %}c{% endif %}'), 'b');
  assert.is(r('{% for i in l %}{{ loop.index }}/{{ loop.length }}:{{ i }}{% if not loop.last %},{% endif %}{% endfor %}'), '1/2:1,2/2:2');
  assert.is(r('{% for i in [] %}x{% else %}empty{% endfor %}'), 'empty');
  assert.is(r('a\n{%- if t %}\n  b\n{%- endif %}\nc'), 'a  bc');
  assert.is(r('a\n{% if t -%}\n  b{% endif %}'), 'a\nb');
  assert.is(r('{% if t %}\nline\n{% endif %}\n'), 'line\n', 'trim_blocks as in Ansible');
  assert.is(r('a{# note #}b'), 'ab');
  assert.is(r('{% raw %}{{ x }}{% endraw %}'), '{{ x }}');
  assert.is(r('{% set x = n * 2 %}{{ x }}'), '6');
  assert.is(r('{% set b %}n={{ n }}{% endset %}[{{ b }}]'), '[n=3]');
  assert.is(r('{% filter upper %}abc{% endfilter %}'), 'ABC');
});

test('renderDeep templates nested strings and keeps the input untouched', () => {
  const input = { a: '{{ n }}', b: ['x-{{ s }}', { c: '{{ l }}' }], d: 5, e: 'plain' };
  const snapshot = JSON.parse(JSON.stringify(input));
  const out = renderDeep(input, vars, LOC);
  assert.equal(out, { a: 3, b: ['x-web', { c: [1, 2] }], d: 5, e: 'plain' });
  assert.equal(input, snapshot);
  assert.is.not(out, input);
});

test('renderDeep keeps YAML locations and reports errors at the exact scalar', () => {
  const doc = parseYaml('task:\n  name: ok\n  args:\n    - "{{ n }}"\n    - "{{ missing }}"\n', 'tasks.yaml') as any;
  const okPart = renderDeep(doc.task.args.slice(0, 1), vars, LOC);
  assert.equal(okPart, [3]);
  const named = renderDeep({ ...doc.task, args: [] }, vars, LOC);
  assert.equal(named, { name: 'ok', args: [] });
  try {
    renderDeep(doc.task, vars, LOC);
    assert.unreachable('should fail');
  } catch (e: any) {
    assert.is(e.name, 'InputError');
    assert.equal(e.loc, { file: 'tasks.yaml', line: 5, col: 7 });
    assert.is(e.message, "undefined variable 'missing'");
  }
  assert.equal(valueLocOf(doc.task, 'name'), { file: 'tasks.yaml', line: 2, col: 9 });
});

test('evalExpr: bare expressions as in when:', () => {
  const res = { rc: 1, stdout: 'x y', failed: false, changed: true };
  const v: Vars = { ...vars, result: res, item: { name: 'a' }, flag: 'no' };
  assert.is(evalExpr("result.rc != 0 and 'x' in result.stdout", v), true);
  assert.is(evalExpr('foo is defined', v), false);
  assert.is(evalExpr('foo is not defined', v), true);
  assert.is(evalExpr('not z', v), true);
  assert.is(evalExpr('item.name == "a"', v), true);
  assert.is(evalExpr('result is changed', v), true);
  assert.is(evalExpr('{{ n > 2 }}', v), true);
  assert.is(evalExpr('{{ n }} == 3', v), true, 'legacy templated conditionals');
  assert.is(evalExpr(true, v), true);
  assert.is(evalExpr(0, v), 0);
  assert.is(evalExpr('l', v) instanceof Array, true);
  // ansible-playbook 2.14 runs `when: flag` for flag = 'no' (a non-empty string is true)
  assert.is(truthy(evalExpr('flag', v)), true, "string 'no' is true for when:, as in Ansible");
});

test('truthy: Python truthiness (conditions, as Ansible 2.14)', () => {
  for (const v of [true, 1, -1, 'yes', 'True', 'on', '1', 'anything', [0], { a: 1 }, 'no', 'False', 'off', '0']) assert.is(truthy(v), true, JSON.stringify(v));
  for (const v of [false, 0, null, undefined, '', [], {}]) assert.is(truthy(v), false, JSON.stringify(v));
});

test.run();
