import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evalExpr, markUnsafe, render, renderDeep, type Vars } from '../../src/template/index.js';
import { InputError } from '../../src/util/errors.js';
import { parseYaml } from '../../src/yaml/load.js';

const LOC = { file: 'play.yaml', line: 4, col: 9 };
const r = (s: string, v: Vars) => render(s, v, LOC);
function error(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  assert.unreachable('expected an InputError');
  throw new Error('unreachable');
}

test('a variable whose value is a template is rendered when used, recursively', () => {
  const v = { a: 'x', b: '{{ a }}/y', c: '{{ b }}/z', n: '{{ 1 + 1 }}', list: '{{ [a, b] }}' };
  assert.is(r('{{ c }}', v), 'x/y/z');
  assert.is(r('{{ n }}', v), 2, 'native values survive lazy rendering');
  assert.is(r('{{ n + 1 }}', v), 3);
  assert.equal(r('{{ list }}', v), ['x', 'x/y']);
  assert.is(v.b, '{{ a }}/y', 'vars are not modified');
});

test('templates nested in dicts and lists are rendered lazily', () => {
  const v = { base: '/srv', app: { root: '{{ base }}/app', dirs: ['{{ app.root }}/log', 'static'] } };
  assert.is(r('{{ app.root }}', v), '/srv/app');
  assert.is(r('{{ app.dirs[0] }}', v), '/srv/app/log');
  assert.equal(r('{{ app }}', v), { root: '/srv/app', dirs: ['/srv/app/log', 'static'] });
  assert.equal(r('{{ app.dirs | map("upper") | list }}', v), ['/SRV/APP/LOG', 'STATIC']);
  assert.is(r('{{ app | to_json }}', v), '{"root": "/srv/app", "dirs": ["/srv/app/log", "static"]}');
  assert.equal(r('{{ app | combine({"x": 1}) }}', v), { root: '/srv/app', dirs: ['/srv/app/log', 'static'], x: 1 });
  assert.equal(r('{{ app | dict2items | map(attribute="value") | first }}', v), '/srv/app');
  assert.equal(renderDeep({ p: '{{ app.dirs }}' }, v), { p: ['/srv/app/log', 'static'] });
});

test('unused variables with undefined references do not error', () => {
  const v = { good: 'ok', broken: '{{ does_not_exist }}', deep: { broken: '{{ nope }}', fine: 1 } };
  assert.is(r('{{ good }}', v), 'ok');
  assert.is(r('{{ deep.fine }}', v), 1);
  assert.is(r('{{ broken | default("d") }}', v), 'd', 'a var that renders to undefined is undefined');
  assert.is(evalExpr('broken is defined', v), false);
});

test('using a variable with an undefined reference fails and names both', () => {
  const e = error(() => r('{{ b }}', { b: '{{ a }}/x' }));
  assert.is(e.message, "undefined variable 'a' (in the value of 'b')");
  assert.equal(e.loc, LOC);
  const e2 = error(() => r('{{ cfg.path }}', { cfg: { path: '{{ root }}/etc' } }));
  assert.is(e2.message, "undefined variable 'root' (in the value of 'cfg.path')");
});

test('variables defined in YAML report errors at their own location', () => {
  const v = parseYaml('greeting: "hi {{ name }}"\nname: "{{ first }} {{ last }}"\nfirst: Ada\n', 'vars.yaml') as Vars;
  const e = error(() => r('{{ greeting }}', v));
  assert.equal(e.loc, { file: 'vars.yaml', line: 2, col: 7 });
  assert.match(e.message, /undefined variable 'last'/);
  assert.is(r('{{ greeting }}', { ...v, last: 'L' }), 'hi Ada L');
});

test('recursive loops are detected', () => {
  const e = error(() => r('{{ a }}', { a: '{{ b }}', b: '{{ a }}' }));
  assert.is(e.message, "recursive loop detected in template for variable 'a'");
  const self = error(() => r('{{ x }}', { x: '{{ x + 1 }}' }));
  assert.is(self.message, "recursive loop detected in template for variable 'x'");
  const nested = error(() => r('{{ d.p }}', { d: { p: '{{ d.q }}', q: '{{ d.p }}' } }));
  assert.is(nested.message, "recursive loop detected in template for variable 'd.p'");
  const when = error(() => evalExpr('a == 1', { a: '{{ b }}', b: '{{ a }}' }));
  assert.match(when.message, /recursive loop detected/);
});

test('a variable used twice is rendered once per call', () => {
  let calls = 0;
  const v: Vars = {};
  Object.defineProperty(v, 'x', { enumerable: true, get: () => (calls++, '{{ 1 }}') });
  assert.is(r('{{ x + x }}', v), 2);
  assert.is(calls, 1);
});

test('markUnsafe: data from hosts is never templated', () => {
  const result = markUnsafe({ stdout: 'value is {{ secret }}', rc: 0 });
  assert.is(r('{{ result.stdout }}', { result, secret: 's3' }), 'value is {{ secret }}');
  assert.is(r('{{ reg.stdout }}', { reg: { stdout: '{{ secret }}' }, secret: 's3' }), 's3', 'unmarked data is lazily templated');
  const nested = markUnsafe({ data: { out: '{{ secret }}' } });
  assert.is(r('{{ res.data.out }}', { res: nested, secret: 's3' }), '{{ secret }}', 'nested objects are marked too');
  const copy = r('{{ res.data }}', { res: nested });
  assert.is(r('{{ fact.out }}', { fact: copy, secret: 's3' }), '{{ secret }}', 'copies of unsafe data stay unsafe');
});

test('loop variables and set shadow lazy variables', () => {
  const v = { item: '{{ nope }}', l: [1, 2] };
  assert.is(r('{% for item in l %}{{ item }}{% endfor %}', v), '12');
  assert.is(r('{% set item = 5 %}{{ item }}', v), '5');
});

test('prototype-chained vars (inherited scopes) resolve, Object.prototype names do not', () => {
  const parent = { inherited: 'p', templ: '{{ own }}!' };
  const child = Object.assign(Object.create(parent), { own: 'c' }) as Vars;
  assert.is(r('{{ inherited }}-{{ templ }}', child), 'p-c!');
  assert.is(evalExpr('toString is defined', child), false);
  assert.is(evalExpr('hasOwnProperty is defined', {}), false);
});

test.run();
