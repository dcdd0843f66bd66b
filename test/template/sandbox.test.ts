import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { render, type Vars } from '../../src/template/index.js';
import { InputError } from '../../src/util/errors.js';

const g = globalThis as Record<string, unknown>;
let called = 0;
class Host {
  name = 'h1';
  secret(): string {
    called++;
    return 'leak';
  }
  get computed(): string {
    return 'getter';
  }
}
const vars: Vars = {
  s: 'str', l: [1, 2], d: { a: 1 }, n: 1,
  fn: () => {
    called++;
    return 'called';
  },
  obj: { run: () => called++ },
  host: new Host(),
};

function refused(tpl: string, re: RegExp = /not allowed|has no method|is not callable|undefined variable|no filter named|no test named|not supported/): void {
  let err: unknown;
  try {
    render(tpl, vars, { file: 'evil.yaml', line: 3, col: 5 });
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof InputError, `${tpl} must fail with an InputError, got ${String(err)}`);
  assert.match((err as InputError).message, re, tpl);
  assert.equal((err as InputError).loc, { file: 'evil.yaml', line: 3, col: 5 });
}

const PAYLOAD = "'globalThis.__kvplay_pwned = 1; return process'";

test('constructor chains are refused and never run code', () => {
  g.__kvplay_pwned = undefined;
  refused(`{{ ''.constructor.constructor(${PAYLOAD})() }}`, /access to attribute 'constructor' is not allowed/);
  refused(`{{ "".constructor }}`, /'constructor' is not allowed/);
  refused(`{{ range.constructor(${PAYLOAD})() }}`, /'constructor' is not allowed/);
  refused(`{{ range.constructor }}`, /'constructor' is not allowed/);
  refused('{{ cycler.constructor }}', /'constructor' is not allowed/);
  refused('{{ joiner.constructor }}', /'constructor' is not allowed/);
  refused(`{{ lookup.constructor(${PAYLOAD})() }}`, /'constructor' is not allowed/);
  refused('{{ namespace.constructor }}', /'constructor' is not allowed/);
  refused(`{{ l["constructor"]["constructor"](${PAYLOAD})() }}`, /'constructor' is not allowed/);
  refused(`{{ l["constr" ~ "uctor"] }}`, /'constructor' is not allowed/);
  refused(`{{ (l | first).constructor }}`, /'constructor' is not allowed/);
  refused(`{% for i in l %}{{ loop.constructor }}{% endfor %}`, /'constructor' is not allowed/);
  refused(`{% set c = d.constructor %}`, /'constructor' is not allowed/);
  refused(`{{ fn.constructor(${PAYLOAD})() }}`, /'constructor' is not allowed/);
  assert.is(g.__kvplay_pwned, undefined, 'no payload ran');
});

test('prototype and JS internals are refused', () => {
  refused('{{ d.__proto__ }}', /'__proto__' is not allowed/);
  refused('{{ d["__proto__"] }}', /'__proto__' is not allowed/);
  refused('{{ s.prototype }}', /'prototype' is not allowed/);
  refused('{{ d.__defineGetter__ }}', /'__defineGetter__' is not allowed/);
  refused('{{ d.__lookupGetter__("a") }}', /'__lookupGetter__' is not allowed/);
  refused('{{ s.toString() }}', /'toString' is not allowed/);
  refused('{{ n.valueOf() }}', /'valueOf' is not allowed/);
  refused('{{ d.hasOwnProperty("a") }}', /'hasOwnProperty' is not allowed/);
  refused("{{ ''.__class__.__mro__[1].__subclasses__() }}", /'__(class|subclasses)__' is not allowed/);
  refused("{{ ''.__class__ }}", /'__class__' is not allowed/);
  refused('{{ lipsum.__globals__ }}', /'__globals__' is not allowed/);
  refused('{{ fn.call(none) }}', /'call' is not allowed/);
});

test('only own data is visible: no inherited JS methods or properties', () => {
  refused('{{ s.length }}', /undefined variable 's.length'/);
  refused('{{ l.map }}', /undefined variable 'l.map'/);
  refused('{{ l.length }}', /undefined variable 'l.length'/);
  refused('{{ s.charAt(0) }}', /'str' object 's' has no method 'charAt'/);
  refused('{{ l.map(1) }}', /'list' object 'l' has no method 'map'/);
  refused('{{ l.push(3) }}', /has no method 'push'/);
  refused('{{ l.pop() }}', /has no method 'pop'/);
  refused('{{ d.update({"a": 2}) }}', /has no method 'update'/);
  assert.equal(vars.l, [1, 2]);
  assert.equal(vars.d, { a: 1 });
});

test('functions in variables are never exposed or called', () => {
  called = 0;
  refused('{{ fn }}', /undefined variable 'fn'/);
  refused('{{ fn() }}', /undefined variable 'fn'/);
  refused('{{ obj.run }}', /undefined variable 'obj.run'/);
  refused('{{ obj.run() }}', /'dict' object 'obj' has no method 'run'/);
  refused('{{ host.secret() }}', /has no method 'secret'/);
  refused('{{ host.secret }}', /undefined variable 'host.secret'/);
  refused('{{ n() }}', /'n' is not callable/);
  refused('{{ d.a() }}', /'dict' object 'd' has no method 'a'/);
  assert.is(called, 0, 'no function of the variables ran');
  assert.is(render('{{ host.name }}', vars), 'h1', 'own data of objects stays readable');
});

test("nunjucks globals are gone; Ansible's range/lookup/dict/namespace are safe", () => {
  refused('{{ cycler("a", "b") }}', /undefined variable 'cycler'/);
  refused('{{ joiner(",") }}', /undefined variable 'joiner'/);
  refused('{{ range }}', /is a function, not a value/);
  refused('{{ range.x }}', /undefined variable 'range.x'/);
  refused('{{ range(10 ** 7) | length }}', /too many items/);
  refused('{{ lookup("url", "https://example.com") }}', /lookup plugin \(url\) not found/);
  refused('{{ lookup("template", "no-such-template.j2") }}', /the template file no-such-template.j2 could not be found/);
  refused('{{ "x" * 100000000 }}', /too large/);
});

test('filters, tests and assignments cannot be abused', () => {
  refused('{{ l | map("constructor") | list }}', /no filter named 'constructor'/);
  refused('{{ l | select("constructor") | list }}', /no test named 'constructor'/);
  refused('{{ l | selectattr("constructor") | list }}', /'constructor' is not allowed/);
  refused('{{ l | map(attribute="__proto__") | list }}', /'__proto__' is not allowed/);
  refused('{{ d | toString }}', /no filter named 'toString'/);
  refused('{% set d.a = 5 %}', /cannot assign attribute on non-namespace object 'd'/);
  refused('{% set ns = namespace() %}{% set ns.__proto__ = 1 %}', /'__proto__' is not allowed/);
  const polluted = render('{{ {"__proto__": {"pwn": 1}} }}', vars) as Record<string, unknown>;
  assert.is(Object.getPrototypeOf(polluted), Object.prototype);
  assert.is(({} as Record<string, unknown>).pwn, undefined);
  assert.is((render('{{ \'{"__proto__": {"pwn": 1}}\' | from_json }}', vars) as Record<string, unknown>).pwn, undefined);
  assert.is(({} as Record<string, unknown>).pwn, undefined);
});

test.run();
