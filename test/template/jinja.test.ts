import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evalExpr, render, type Vars } from '../../src/template/index.js';
import { InputError } from '../../src/util/errors.js';

const vars: Vars = {
  n: 5, s: 'Hello', l: [1, 2, 3], d: { a: 1 }, z: null, f: false, e: [], ver: '2.10.1',
  ok: { changed: false, failed: false, rc: 0 },
  bad: { changed: true, failed: true, rc: 2 },
  skip: { skipped: true, changed: false },
};
const x = (expr: string, v: Vars = vars) => evalExpr(expr, v, { file: 'f.yaml', line: 1, col: 1 });
const r = (s: string, v: Vars = vars) => render(s, v, { file: 'f.yaml', line: 1, col: 1 });
function fails(expr: string, re: RegExp): void {
  try {
    x(expr);
  } catch (e) {
    assert.ok(e instanceof InputError);
    assert.match((e as InputError).message, re);
    return;
  }
  assert.unreachable(`${expr} should fail`);
}

test('literals: True/False/None in both cases, lists, dicts, tuples', () => {
  assert.is(x('True'), true);
  assert.is(x('true'), true);
  assert.is(x('False'), false);
  assert.is(x('false'), false);
  assert.is(x('None'), null);
  assert.is(x('none'), null);
  assert.equal(x('[1, "two", 3.5]'), [1, 'two', 3.5]);
  assert.equal(x('{"k": [1], "n": {"m": none}}'), { k: [1], n: { m: null } });
  assert.equal(x('(1, 2)'), [1, 2]);
  assert.equal(x('{s: 1}'), { Hello: 1 }, 'dict keys are expressions, as in Jinja');
});

test('operators and Python semantics', () => {
  assert.is(x('"a" ~ 1 ~ none'), 'a1None');
  assert.is(x('n + 1'), 6);
  assert.is(x('7 / 2'), 3.5);
  assert.is(x('7 // 2'), 3);
  assert.is(x('-7 % 3'), 2, 'Python modulo');
  assert.is(x('2 ** 8'), 256);
  assert.equal(x('l + [4]'), [1, 2, 3, 4]);
  assert.is(x('"ab" * 2'), 'abab');
  assert.is(x('"%s-%s" % ("a", n)'), 'a-5');
  assert.is(x('-n'), -5);
  assert.is(x('1 < n < 10'), true, 'chained comparisons');
  assert.is(x('[1, 2] == [1, 2]'), true);
  assert.is(x('{"a": 1} == d'), true);
  assert.is(x('1 == 1.0'), true);
  assert.is(x('"1" == 1'), false);
  assert.is(x('"b" > "a"'), true);
  fails('"1" + 1', /unsupported operand type\(s\) for \+: 'str' and 'int'/);
  fails('"10" > 9', /'>' not supported between instances of 'str' and 'int'/);
  fails('n / 0', /division by zero/);
});

test('in / not in, and / or / not with Python truthiness', () => {
  assert.is(x('2 in l'), true);
  assert.is(x('9 not in l'), true);
  assert.is(x('"ell" in s'), true);
  assert.is(x('"a" in d'), true);
  assert.is(x('"b" in d'), false);
  assert.is(x('not e'), true, 'empty list is false');
  assert.is(x('not d'), false);
  assert.is(x('e or "fallback"'), 'fallback');
  assert.is(x('l and "yes"'), 'yes');
  assert.is(x('z or f or 0'), 0);
  assert.is(x('not ""'), true);
  assert.is(r('{% if e %}full{% else %}empty{% endif %}'), 'empty');
  assert.is(r('{% if {} %}full{% else %}empty{% endif %}'), 'empty');
});

test('inline if', () => {
  assert.is(x('"big" if n > 3 else "small"'), 'big');
  assert.is(x('"big" if n > 9 else "small"'), 'small');
  assert.is(x('("a" if f) | default("b")'), 'b');
});

test('tests: defined, none, types', () => {
  assert.is(x('n is defined'), true);
  assert.is(x('z is defined'), true, 'None is defined');
  assert.is(x('f is defined'), true, 'false is defined');
  assert.is(x('e is defined'), true, 'empty list is defined');
  assert.is(x('nope is undefined'), true);
  assert.is(x('d.a is defined and d.b is not defined'), true);
  assert.is(x('z is none'), true);
  assert.is(x('n is not none'), true);
  assert.is(x('s is string and n is number and d is mapping'), true);
  assert.is(x('l is iterable and s is iterable and n is not iterable'), true);
  assert.is(x('n is integer and 1.5 is float and f is boolean'), true);
  assert.is(x('l is sequence and d is not string'), true);
  assert.is(x('f is sameas false'), true);
  assert.is(x('z is sameas none'), true);
  assert.is(x('0 is sameas false'), false);
  assert.is(x('f is false and not (f is true)'), true);
});

test('tests: values, regex, truthiness, versions, registered results', () => {
  assert.is(x('n is divisibleby 5'), true);
  assert.is(x('n is odd and 4 is even'), true);
  assert.is(x('n is eq 5 and n is ne 4 and n is gt 4 and n is lt 6 and n is ge 5 and n is le 5'), true);
  assert.is(x('2 is in l and l is contains 3'), true);
  assert.is(x('"abc" is lower and "ABC" is upper'), true);
  assert.is(x('s is match("H")'), true);
  assert.is(x('s is match("ello")'), false, 'match is anchored at the start');
  assert.is(x('s is search("ello")'), true);
  assert.is(x('s is search("hello", ignorecase=true)'), true);
  assert.is(x('s is regex("^H.*o$")'), true);
  assert.is(x('"yes" is truthy and "" is falsy and "no" is truthy'), true);
  assert.is(x('"no" is truthy(convert_bool=True)'), false);
  assert.is(x('ver is version("2.9", ">")'), true);
  assert.is(x('ver is version("2.10.1", "eq")'), true);
  assert.is(x('ver is version_compare("2.11", "<")'), true);
  assert.is(x('bad is failed and ok is succeeded and ok is success'), true);
  assert.is(x('bad is changed and ok is not changed'), true);
  assert.is(x('skip is skipped and ok is not skipped'), true);
  assert.is(x('[1] is subset(l) and l is superset([2])'), true);
  assert.is(x('[true, false] is any and not ([true, false] is all)'), true);
  fails('n is failed', /the 'failed' test expects a registered result/);
});

test('Python methods on strings, lists and dicts', () => {
  assert.equal(x('"a,b".split(",")'), ['a', 'b']);
  assert.equal(x('" a  b ".split()'), ['a', 'b']);
  assert.equal(x('"a,b,c".split(",", 1)'), ['a', 'b,c']);
  assert.is(x('s.startswith("He") and s.endswith(("x", "lo"))'), true);
  assert.is(x('"  x ".strip() ~ "|" ~ "xxa".lstrip("x") ~ "|" ~ "a  ".rstrip()'), 'x|a|a');
  assert.is(x('s.lower() ~ s.upper()'), 'helloHELLO');
  assert.is(x('s.replace("l", "L")'), 'HeLLo');
  assert.is(x('"{} is {:>3}".format("n", n)'), 'n is   5');
  assert.is(x('"{name}!".format(name="hi")'), 'hi!');
  assert.is(x('"-".join(["a", "b"])'), 'a-b');
  assert.is(x('s.find("l") + s.count("l")'), 4);
  assert.is(x('l.index(2) + l.count(3)'), 2);
  assert.equal(x('d.items()'), [['a', 1]]);
  assert.equal(x('d.keys() | list'), ['a']);
  assert.equal(x('d.values()'), [1]);
  assert.is(x('d.get("a") + d.get("x", 10)'), 11);
  assert.is(x('d.get("x")'), null);
});

test('subscripts, slices and attribute access', () => {
  assert.is(x('l[0] + l[-1]'), 4);
  assert.is(x('l.1'), 2);
  assert.equal(x('l[1:]'), [2, 3]);
  assert.equal(x('l[:-1]'), [1, 2]);
  assert.equal(x('l[::-1]'), [3, 2, 1]);
  assert.equal(x('l[::2]'), [1, 3]);
  assert.is(x('s[1:3]'), 'el');
  assert.is(x('s[0]'), 'H');
  assert.is(x('d["a"] + d.a'), 2);
  assert.is(x('{"k": {"v": [7]}}.k.v.0'), 7);
});

test('string literals use Python escapes; braces balance inside expressions', () => {
  assert.is(x("'a\\d+'"), 'a\\d+', 'unknown escapes keep the backslash (regexes)');
  assert.is(x("'1\\n2'"), '1\n2');
  assert.is(x("'it\\'s'"), "it's");
  assert.is(x("'\\x41\\u00e9'"), 'Aé');
  assert.is(x("'a\\\\b'"), 'a\\b');
  assert.is(r("{{ 'a1b22' | regex_replace('\\d+', '#') }}"), 'a#b#');
  assert.equal(r('{{ {"a": {"b": 1}} }}'), { a: { b: 1 } });
  assert.equal(r('{{ d | combine({"x": {"y": 2}}) }}'), { a: 1, x: { y: 2 } });
  assert.is(r('{% set m = {"k": {"v": 1}} %}{{ m.k.v }}'), '1');
  assert.is(r("{{ '}}' ~ '{{' }}"), '}}{{');
});

test('loops, loop filters, loop variables, namespace, macros', () => {
  assert.is(r('{% for i in l if i != 2 %}{{ loop.index0 }}{{ i }}{% endfor %}'), '0113');
  assert.is(r('{% for k, v in d.items() %}{{ k }}={{ v }}{% endfor %}'), 'a=1');
  assert.is(r('{% for k in d %}{{ k }}{% endfor %}'), 'a', 'iterating a dict gives keys');
  assert.is(r('{% for c in "ab" %}{{ c }}.{% endfor %}'), 'a.b.');
  assert.is(r('{% for i in l %}{{ loop.revindex }}{{ loop.first }}{% endfor %}'), '3True2False1False');
  assert.is(r('{% for i in l %}{{ loop.cycle("o", "e") }}{% endfor %}'), 'oeo');
  assert.is(r('{% for i in l %}{% for j in "ab" %}{{ i }}{{ j }}{% endfor %} {% endfor %}'), '1a1b 2a2b 3a3b ');
  assert.is(r('{% set t = 0 %}{% for i in l %}{% set t = t + i %}{% endfor %}{{ t }}'), '0', 'loop scope as in Jinja');
  assert.is(r('{% set ns = namespace(t=0) %}{% for i in l %}{% set ns.t = ns.t + i %}{% endfor %}{{ ns.t }}'), '6');
  assert.is(r('{% macro tag(name, v="x") %}<{{ name }}={{ v }}>{% endmacro %}{{ tag("a") }}{{ tag("b", v=2) }}'), '<a=x><b=2>');
  assert.is(r('{% for i in range(3) %}{{ i }}{% endfor %}'), '012');
});

test.run();
