import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { render, type Vars } from '../../src/template/index.js';
import { InputError } from '../../src/util/errors.js';

const users = [
  { name: 'bob', admin: true, uid: 1002, groups: ['wheel'] },
  { name: 'al', admin: false, uid: 1001, groups: [] },
  { name: 'cy', admin: true, uid: 1003 },
];
const vars: Vars = { l: [3, 1, 2, 1], users, d: { b: 2, a: 1 }, words: ['b', 'A', 'c'], nested: [1, [2, [3, [4]]]] };
const r = (s: string, v: Vars = vars) => render(s, v, { file: 'f.yaml', line: 1, col: 1 });
function fails(s: string, re: RegExp): void {
  try {
    r(s);
  } catch (e) {
    assert.ok(e instanceof InputError);
    assert.match((e as InputError).message, re);
    return;
  }
  assert.unreachable(`${s} should fail`);
}

test('length, count, first, last, list, reverse', () => {
  assert.is(r('{{ l | length }}'), 4);
  assert.is(r('{{ d | count }}'), 2);
  assert.is(r('{{ "héllo" | length }}'), 5);
  assert.is(r('{{ l | first }}'), 3);
  assert.is(r('{{ l | last }}'), 1);
  assert.is(r('{{ [] | first | default("none") }}'), 'none');
  assert.equal(r('{{ "ab" | list }}'), ['a', 'b']);
  assert.equal(r('{{ d | list }}'), ['b', 'a']);
  assert.equal(r('{{ l | reverse | list }}'), [1, 2, 1, 3]);
  assert.is(r('{{ "abc" | reverse }}'), 'cba');
  assert.equal(vars.l, [3, 1, 2, 1], 'filters never mutate variables');
});

test('set operations', () => {
  assert.equal(r('{{ l | unique }}'), [3, 1, 2]);
  assert.equal(r('{{ [1, 2] | union([2, 3]) }}'), [1, 2, 3]);
  assert.equal(r('{{ [1, 2, 3] | difference([2]) }}'), [1, 3]);
  assert.equal(r('{{ [1, 2, 3] | intersect([3, 2, 9]) }}'), [2, 3]);
  assert.equal(r('{{ [1, 2] | symmetric_difference([2, 3]) }}'), [1, 3]);
  assert.equal(r('{{ [{"a": 1}, {"a": 1}] | unique }}'), [{ a: 1 }], 'dicts compare by value');
});

test('sort, min, max, sum', () => {
  assert.equal(r('{{ l | sort }}'), [1, 1, 2, 3]);
  assert.equal(r('{{ l | sort(reverse=true) }}'), [3, 2, 1, 1]);
  assert.equal(r('{{ words | sort }}'), ['A', 'b', 'c'], 'case-insensitive by default');
  assert.equal(r('{{ words | sort(case_sensitive=true) }}'), ['A', 'b', 'c']);
  assert.equal(r('{{ ["b", "a", "C"] | sort(case_sensitive=true) }}'), ['C', 'a', 'b']);
  assert.equal(r('{{ users | sort(attribute="uid") | map(attribute="name") | list }}'), ['al', 'bob', 'cy']);
  assert.is(r('{{ l | min }}'), 1);
  assert.is(r('{{ l | max }}'), 3);
  assert.equal(r('{{ users | max(attribute="uid") }}'), users[2]);
  assert.is(r('{{ l | sum }}'), 7);
  assert.is(r('{{ users | sum(attribute="uid") }}'), 3006);
  assert.equal(r('{{ [[1], [2, 3]] | sum(start=[]) }}'), [1, 2, 3]);
  assert.equal(r('{{ d | dictsort }}'), [['a', 1], ['b', 2]]);
  fails('{{ [1, "a"] | sort }}', /'<' not supported between instances of 'str' and 'int'/);
});

test('join, map, select, reject, selectattr, rejectattr', () => {
  assert.is(r('{{ l | join(",") }}'), '3,1,2,1');
  assert.is(r('{{ users | join(", ", attribute="name") }}'), 'bob, al, cy');
  assert.equal(r('{{ users | map(attribute="name") | list }}'), ['bob', 'al', 'cy']);
  assert.equal(r('{{ users | map(attribute="groups.0", default="-") | list }}'), ['wheel', '-', '-']);
  assert.equal(r('{{ ["a", "b"] | map("upper") | list }}'), ['A', 'B']);
  assert.equal(r('{{ ["1", "2"] | map("int") | sum }}'), 3);
  assert.equal(r('{{ ["a1", "b2"] | map("regex_replace", "\\d", "") | list }}'), ['a', 'b']);
  assert.equal(r('{{ l | select("odd") | list }}'), [3, 1, 1]);
  assert.equal(r('{{ l | select("gt", 1) | list }}'), [3, 2]);
  assert.equal(r('{{ [0, 1, "", "x", none] | select | list }}'), [1, 'x']);
  assert.equal(r('{{ l | reject("eq", 1) | list }}'), [3, 2]);
  assert.equal(r('{{ users | selectattr("admin") | map(attribute="name") | list }}'), ['bob', 'cy']);
  assert.equal(r('{{ users | selectattr("uid", ">", 1001) | map(attribute="name") | list }}'), ['bob', 'cy']);
  assert.equal(r('{{ users | selectattr("groups", "defined") | map(attribute="name") | list }}'), ['bob', 'al']);
  assert.equal(r('{{ users | rejectattr("admin") | map(attribute="name") | list }}'), ['al']);
  assert.equal(r('{{ users | selectattr("name", "match", "^[ab]") | map(attribute="uid") | list }}'), [1002, 1001]);
  fails('{{ users | selectattr("groups", "eq", []) | list }}', /undefined variable 'item.groups'/);
});

test('dict2items, items2dict, combine, items', () => {
  assert.equal(r('{{ d | dict2items }}'), [{ key: 'b', value: 2 }, { key: 'a', value: 1 }]);
  assert.equal(r('{{ d | dict2items(key_name="k", value_name="v") }}'), [{ k: 'b', v: 2 }, { k: 'a', v: 1 }]);
  assert.equal(r('{{ [{"key": "x", "value": 1}] | items2dict }}'), { x: 1 });
  assert.equal(r('{{ [{"n": "x", "v": 1}] | items2dict(key_name="n", value_name="v") }}'), { x: 1 });
  assert.equal(r('{{ d | items }}'), [['b', 2], ['a', 1]]);
  assert.equal(r('{{ d | combine({"a": 9, "c": 3}) }}'), { b: 2, a: 9, c: 3 });
  assert.equal(r('{{ {"a": {"x": 1, "l": [1]}} | combine({"a": {"y": 2, "l": [2]}}) }}'), { a: { y: 2, l: [2] } });
  assert.equal(r('{{ {"a": {"x": 1}} | combine({"a": {"y": 2}}, recursive=True) }}'), { a: { x: 1, y: 2 } });
  assert.equal(r('{{ {"l": [1]} | combine({"l": [2]}, list_merge="append") }}'), { l: [1, 2] });
  assert.equal(r('{{ [{"a": 1}, {"b": 2}] | combine }}'), { a: 1, b: 2 });
  assert.equal(r('{{ {} | combine({"__proto__": {"polluted": 1}}) }}'), JSON.parse('{"__proto__": {"polluted": 1}}'));
  assert.is(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
});

test('zip, flatten, batch, groupby, extract', () => {
  assert.equal(r('{{ [1, 2, 3] | zip(["a", "b"]) | list }}'), [[1, 'a'], [2, 'b']]);
  assert.equal(r('{{ [1] | zip_longest(["a", "b"], fillvalue="-") | list }}'), [[1, 'a'], ['-', 'b']]);
  assert.equal(r('{{ nested | flatten }}'), [1, 2, 3, 4]);
  assert.equal(r('{{ nested | flatten(levels=1) }}'), [1, 2, [3, [4]]]);
  assert.equal(r('{{ [1, none, [2]] | flatten }}'), [1, 2]);
  assert.equal(r('{{ [1, 2, 3] | batch(2) | list }}'), [[1, 2], [3]]);
  assert.equal(r('{{ users | groupby("admin") | map("first") | list }}'), [false, true]);
  assert.equal(r('{{ ["a", "b"] | map("extract", {"a": 1, "b": 2}) | list }}'), [1, 2]);
  assert.equal(r('{{ dict(["a", "b"] | zip([1, 2])) }}'), { a: 1, b: 2 });
  assert.equal(r('{{ dict(x=1) }}'), { x: 1 });
  assert.equal(r('{{ range(2, 8, 2) | list }}'), [2, 4, 6]);
  fails('{{ range(10000000) }}', /range: too many items/);
});

test.run();
