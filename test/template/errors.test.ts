import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evalExpr, render, syntaxError, type Vars } from '../../src/template/index.js';
import { InputError, type Loc } from '../../src/util/errors.js';

const LOC: Loc = { file: 'play.yaml', line: 10, col: 12 };
const vars: Vars = { d: { k: 'v', n: null }, l: [1, 2], z: null, s: 'str', n: 1 };
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
const rerr = (s: string) => error(() => render(s, vars, LOC));

test('undefined variable: message, location and hint', () => {
  const e = rerr('{{ foo }}');
  assert.is(e.message, "undefined variable 'foo'");
  assert.equal(e.loc, LOC);
  assert.match(e.hint ?? '', /default\(/);
  assert.match(e.hint ?? '', /vars|inventory/);
  assert.is(e.format(), "play.yaml:10:12: error: undefined variable 'foo'\n  hint: " + e.hint);
});

test('undefined attributes and items name the full path', () => {
  assert.is(rerr('{{ d.x }}').message, "undefined variable 'd.x': 'd' has no attribute 'x'");
  assert.is(rerr('{{ d["x y"] }}').message, "undefined variable 'd[\"x y\"]': 'd' has no attribute 'x y'");
  assert.is(rerr('{{ d.k.x }}').message, "undefined variable 'd.k.x': 'd.k' (str) has no attribute 'x'");
  assert.is(rerr('{{ foo.bar.baz }}').message, "undefined variable 'foo'", 'the root cause is reported');
  assert.is(rerr('{{ l[5] }}').message, "undefined variable 'l[5]': 'l' has no item 5 (length 2)");
  assert.is(rerr('{{ z.x }}').message, "undefined variable 'z.x': 'z' is None");
  assert.is(rerr('{{ d.n.x }}').message, "undefined variable 'd.n.x': 'd.n' is None");
});

test('multi-line templates add the line offset', () => {
  assert.equal(rerr('line one\n{{ foo }}').loc, { file: 'play.yaml', line: 11, col: 12 });
  assert.equal(rerr('a\nb\n  {% if t %}x{% endif %}').loc, { file: 'play.yaml', line: 12, col: 12 });
  assert.equal(rerr('{% for i in l %}\n{{ i }}\n{{ i.nope }}\n{% endfor %}').loc, { file: 'play.yaml', line: 12, col: 12 });
  assert.equal(error(() => render('x\n{{ foo }}', vars)).loc, { file: '<template>', line: 2, col: 1 });
});

test('undefined values fail wherever they are used (strict), except default/defined', () => {
  assert.match(rerr('{% if foo %}x{% endif %}').message, /undefined variable 'foo'/);
  assert.match(rerr('{{ foo == 1 }}').message, /undefined variable 'foo'/);
  assert.match(rerr('{{ foo ~ "x" }}').message, /undefined variable 'foo'/);
  assert.match(rerr('{% for i in foo %}{% endfor %}').message, /undefined variable 'foo'/);
  assert.match(rerr('{{ foo | upper }}').message, /undefined variable 'foo'/);
  assert.match(rerr('{{ "x" | replace(foo, "y") }}').message, /undefined variable 'foo'/);
  assert.match(rerr('{{ [foo] }}').message, /undefined variable 'foo'/);
  assert.match(rerr('{{ foo() }}').message, /undefined variable 'foo'/);
  assert.match(error(() => evalExpr('foo', vars, LOC)).message, /undefined variable 'foo'/);
  assert.is(render('{{ foo | default("ok") }}', vars), 'ok');
  assert.is(evalExpr('u is defined or o.u is defined', { u: undefined, o: { u: undefined } }), false, 'a JS undefined value is undefined');
});

test('template syntax errors are located, with a hint', () => {
  const e = rerr('{{ foo }');
  assert.match(e.message, /^template syntax error: /);
  assert.match(e.hint ?? '', /\{\{ \}\}/);
  assert.equal(e.loc, LOC);
  assert.equal(rerr('ok\nok\n{{ a + }}').loc, { file: 'play.yaml', line: 12, col: 12 });
  assert.match(rerr('{% if n %}never closed').message, /template syntax error: .*endif/);
  assert.match(rerr('{% for x in %}{% endfor %}').message, /template syntax error/);
  assert.is(rerr('{{ n | nosuchfilter }}').message, "template syntax error: no filter named 'nosuchfilter'");
  assert.is(rerr('{{ n is nosuchtest }}').message, "template syntax error: no test named 'nosuchtest'");
  assert.match(rerr('{% include "x.j2" %}').message, /\{% include %\} is not supported/);
  assert.match(rerr('{% extends "x.j2" %}').message, /\{% extends %\} is not supported/);
});

test('expression syntax errors (when:)', () => {
  const e = error(() => evalExpr('n ==', vars, LOC));
  assert.match(e.message, /^expression syntax error: /);
  assert.equal(e.loc, LOC);
  assert.is(e.message, 'expression syntax error: the expression ends too early');
  assert.match(e.hint ?? '', /bare Jinja expression/);
  assert.is(error(() => evalExpr('n n', vars, LOC)).message, 'expression syntax error: unexpected text after the expression (missing operator or quotes?)');
  assert.match(rerr('{{ n n }}').message, /expected }} after the expression/);
  assert.match(rerr("{{ 'open }}").message, /unterminated string/);
});

test('type and runtime errors carry the template location', () => {
  const e = rerr('a\n{{ s + 1 }}');
  assert.is(e.message, "unsupported operand type(s) for +: 'str' and 'int'");
  assert.equal(e.loc, { file: 'play.yaml', line: 11, col: 12 });
  assert.match(e.hint ?? '', /\| int/);
  assert.match(rerr('{{ n | length }}').message, /object of type 'int' has no len\(\)/);
  assert.match(rerr('{{ n | dict2items }}').message, /dict2items: expected a dict, got int/);
  assert.match(rerr('{% for a, b in l %}{% endfor %}').message, /cannot unpack int 1 into 2 loop variables/);
  assert.match(rerr('{{ 1 if n > 5 }}').message, /no else branch/);
});

test('syntaxError(): static check used at load time', () => {
  assert.is(syntaxError('{{ a | default(1) }}', LOC), undefined);
  assert.is(syntaxError('a == 1 and b is defined', LOC, true), undefined);
  const e = syntaxError('x\n{{ a | nofilter }}', LOC);
  assert.ok(e instanceof InputError);
  assert.equal(e!.loc, { file: 'play.yaml', line: 11, col: 12 });
  const w = syntaxError('a ==', LOC, true);
  assert.match(w!.message, /^expression syntax error/);
  assert.is(syntaxError('{{ undefined_is_not_a_syntax_error }}', LOC), undefined);
});

test.run();
