/**
 * Jinja2 accepts a trailing comma in list, dict and tuple literals and in call arguments
 * (parser.py: parse_list/parse_dict/parse_tuple/parse_call_args "support for trailing comma"),
 * and `(x,)` is a one-element tuple; it refuses a comma with nothing before it, a trailing comma
 * in a macro's parameters, and a bracket closed by another kind. Expected values are Jinja2 3.1's.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evalExpr, render, syntaxError } from '../../src/template/index.js';

const V = { x: 1, d: { a: 1 }, s: 'a,b' };

test('list, dict and tuple literals take a trailing comma', () => {
  assert.equal(render('{{ [1, 2,] }}', V), [1, 2]);
  assert.equal(render('{{ [[1,], [2,],] }}', V), [[1], [2]]);
  assert.equal(render("{{ {'a': 1,} }}", V), { a: 1 });
  assert.equal(render("{{ {'a': {'b': 2,},} }}", V), { a: { b: 2 } });
  assert.equal(render('{{ (1, 2,) | list }}', V), [1, 2]);
  // Jinja2 prints a tuple as Python does: "(1, 2)", and "(1,)" for one element
  assert.is(render('t={{ (1, 2,) }}', V), 't=(1, 2)');
  assert.is(render('t={{ (1,) }}', V), 't=(1,)');
  assert.is(render('{{ (1,) | length }}', V), 1);
  assert.is(render('{{ (x) }}', V), 1); // parentheses without a comma group, they make no tuple
  assert.is(evalExpr('x in [1, 2,]', V), true);
  assert.is(evalExpr("'a' in {'a': 1,}", V), true);
});

test('call arguments take a trailing comma (filters, tests, methods, globals)', () => {
  assert.is(render("{{ [1, 2] | join(',',) }}", V), '1,2');
  assert.equal(render("{{ d | combine({'b': 2,},) }}", V), { a: 1, b: 2 });
  assert.equal(render("{{ s.split(',',) }}", V), ['a', 'b']);
  assert.equal(render('{{ range(3,) | list }}', V), [0, 1, 2]);
  assert.equal(render('{{ dict(a=1,) }}', V), { a: 1 });
  assert.is(evalExpr('x is in([1, 2],)', V), true);
  assert.is(render('{% macro m(a, b) %}{{ a }}-{{ b }}{% endmacro %}{{ m(1, 2,) }}', V), '1-2');
  assert.is(render('{% for a, b in [(1, 2),] %}{{ a }}{{ b }}{% endfor %}', V), '12');
});

test('what Jinja2 still refuses is still a syntax error', () => {
  for (const bad of ['{{ [1,,] }}', '{{ [,] }}', '{{ (,) }}', '{{ {,} }}', '{{ range(,) }}', '{{ [1, 2) }}', "{{ {'a' 1} }}", '{% macro m(a,) %}{% endmacro %}']) {
    assert.ok(syntaxError(bad), `${bad} should be a syntax error`);
  }
  assert.match(syntaxError('{{ [1, 2) }}')!.message, /expected ',' or '\]'/);
});

test.run();
