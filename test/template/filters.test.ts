import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render, type Vars } from '../../src/template/index.js';
import { InputError } from '../../src/util/errors.js';

const vars: Vars = { s: 'Hello World', n: 7, e: '', z: null, l: [3, 1, 2], d: { b: 2, a: 1 }, word: "it's" };
const r = (s: string, v: Vars = vars) => render(s, v, { file: 'f.yaml', line: 1, col: 1 });
function fails(s: string, re: RegExp, v: Vars = vars): void {
  try {
    r(s, v);
  } catch (e) {
    assert.ok(e instanceof InputError, `InputError expected for ${s}`);
    assert.match((e as InputError).message, re);
    return;
  }
  assert.unreachable(`${s} should fail`);
}

test('default / d', () => {
  assert.is(r('{{ missing | default("x") }}'), 'x');
  assert.is(r('{{ missing | d(5) }}'), 5);
  assert.is(r('{{ missing | default }}'), '');
  assert.is(r('{{ e | default("x") }}'), '', 'defined empty values are kept');
  assert.is(r('{{ z | default("x") }}'), '', "None is defined (and rendered as '', as Ansible does)");
  assert.is(r('{{ e | default("x", true) }}'), 'x', 'boolean=true also replaces falsy values');
  assert.is(r('{{ z | default("x", boolean=true) }}'), 'x');
  assert.is(r('{{ missing | default(other | default(3)) }}'), 3);
});

test('mandatory', () => {
  assert.is(r('{{ n | mandatory }}'), 7);
  fails('{{ missing | mandatory }}', /mandatory variable not defined: undefined variable 'missing'/);
  fails('{{ missing | mandatory("set missing please") }}', /^set missing please$/);
});

test('bool, int, float, string', () => {
  assert.is(r('{{ "yes" | bool }}'), true);
  assert.is(r('{{ "True" | bool }}'), true);
  assert.is(r('{{ "off" | bool }}'), false);
  assert.is(r('{{ 1 | bool }}'), true);
  assert.is(r('{{ "42" | int }}'), 42);
  assert.is(r('{{ " -3 " | int }}'), -3);
  assert.is(r('{{ "3.9" | int }}'), 3);
  assert.is(r('{{ "abc" | int }}'), 0);
  assert.is(r('{{ "abc" | int(default=-1) }}'), -1);
  assert.is(r('{{ "0x1f" | int(base=16) }}'), 31);
  assert.is(r('{{ true | int }}'), 1);
  assert.is(r('{{ "2.5" | float }}'), 2.5);
  assert.is(r('{{ "x" | float }}'), 0);
  assert.is(r('{{ 12 | string }}'), '12');
  assert.is(r('{{ true | string }}'), 'True');
  assert.is(r('{{ l | string }}'), '[3, 1, 2]');
});

test('text filters', () => {
  assert.is(r('{{ s | lower }}'), 'hello world');
  assert.is(r('{{ s | upper }}'), 'HELLO WORLD');
  assert.is(r('{{ "hELLO wORLD" | capitalize }}'), 'Hello world');
  assert.is(r('{{ "hello big world" | title }}'), 'Hello Big World');
  assert.is(r('{{ "  pad\n" | trim }}'), 'pad');
  assert.is(r('{{ "  pad\\n" | trim }}'), 'pad\\n', 'inside {{ }} a backslash is literal, as in Ansible');
  assert.is(r('{{ "xxaxx" | trim("x") }}'), 'a');
  assert.is(r('{{ s | replace("o", "0") }}'), 'Hell0 W0rld');
  assert.is(r('{{ "aaa" | replace("a", "b", 2) }}'), 'bba');
  assert.equal(r('{{ "a,b,,c" | split(",") }}'), ['a', 'b', '', 'c']);
  assert.equal(r('{{ "  a  b c " | split }}'), ['a', 'b', 'c']);
  assert.is(r('{{ "%s=%05.1f" | format("x", 2.26) }}'), 'x=002.3');
  assert.is(r('{{ "a\nb" | indent(2) }}'), 'a\n  b');
  assert.is(r('{{ "a\nb" | indent(2, true) }}'), '  a\n  b');
  assert.is(r('{{ "<a href=\'x\'>" | e }}'), '&lt;a href=&#39;x&#39;&gt;');
});

test('regex filters with Python syntax', () => {
  assert.is(r('{{ "abc123def" | regex_replace("\\d+", "#") }}'), 'abc#def');
  assert.is(r('{{ "ab-12" | regex_replace("(\\w+)-(\\d+)", "\\2-\\1") }}'), '12-ab');
  assert.is(r('{{ "ab-12" | regex_replace("(?P<w>\\w+)-(?P<d>\\d+)", "\\g<d>:\\g<w>") }}'), '12:ab');
  assert.is(r('{{ "ab" | regex_replace("(a)", "\\g<1>0") }}'), 'a0b', '\\g<1>0 is group 1 then a literal 0');
  assert.is(r('{{ "AbA" | regex_replace("a", "x", ignorecase=true) }}'), 'xbx');
  assert.is(r('{{ "a$b" | regex_replace("\\$", "$$") }}'), 'a$$b', 'replacement $ is literal');
  assert.is(r('{{ "line1\nline2" | regex_replace("^l", "L", multiline=true) }}'), 'Line1\nLine2');
  assert.is(r('{{ "v1.22" | regex_search("\\d+\\.\\d+") }}'), '1.22');
  assert.is(r('{{ "none here" | regex_search("\\d+") }}'), '', "no match: None, rendered as ''");
  assert.equal(r('{{ "key=val" | regex_search("(?P<k>\\w+)=(\\w+)", "\\g<k>", "\\2") }}'), ['key', 'val']);
  assert.equal(r('{{ "a1 b22 c333" | regex_findall("\\d+") }}'), ['1', '22', '333']);
  assert.equal(r('{{ "a=1 b=2" | regex_findall("(\\w)=(\\d)") }}'), [['a', '1'], ['b', '2']]);
  assert.is(r('{{ "1.2.3*" | regex_escape }}'), '1\\.2\\.3\\*');
  assert.is(r('{{ "abab-x" | regex_replace("(?P<p>ab)(?P=p)", "<\\g<p>>") }}'), '<ab>-x', '(?P=name) backreference');
  assert.is(r('{{ "ABC" | regex_replace("(?i)b", "-") }}'), 'A-C', 'leading inline flags');
  assert.is(r('{{ "x\n" | regex_search("x$") }}'), 'x', "Python's $ matches before a final newline");
  assert.is(r('{{ "ab" | regex_search("\\Ab") }}'), '');
  fails('{{ "a" | regex_replace("(", "") }}', /invalid regular expression '\('/);
});

test('JSON and YAML', () => {
  assert.is(r('{{ d | to_json }}'), '{"b": 2, "a": 1}');
  assert.is(r('{{ {"x": [1, true, none]} | to_json }}'), '{"x": [1, true, null]}');
  assert.is(r('{{ "é" | to_json }}'), '"\\u00e9"');
  assert.is(r('{{ d | to_nice_json }}'), '{\n    "a": 1,\n    "b": 2\n}');
  assert.is(r('{{ d | to_nice_json(indent=2) }}'), '{\n  "a": 1,\n  "b": 2\n}');
  assert.equal(r('{{ \'{"a": [1, 2]}\' | from_json }}'), { a: [1, 2] });
  fails('{{ "{bad" | from_json }}', /from_json: invalid JSON/);
  assert.is(r('{{ {"a": [1, 2], "b": "x"} | to_yaml }}'), 'a: [1, 2]\nb: x\n', 'PyYAML: flow style for collections of scalars');
  assert.is(r('{{ {"a": {"b": 1}} | to_nice_yaml }}'), 'a:\n    b: 1\n');
  assert.equal(r('{{ "a: [1, 2]\nb: {c: d}" | from_yaml }}'), { a: [1, 2], b: { c: 'd' } });
  assert.equal(r('{{ "---\na: 1\n---\nb: 2" | from_yaml_all }}'), [{ a: 1 }, { b: 2 }]);
});

test('encodings, hashes, paths, quoting', () => {
  assert.is(r('{{ "kvplay" | b64encode }}'), 'a3ZwbGF5');
  assert.is(r('{{ "a3ZwbGF5" | b64decode }}'), 'kvplay');
  assert.is(r('{{ "abc" | hash("sha1") }}'), 'a9993e364706816aba3e25717850c26c9cd0d89d');
  assert.is(r('{{ "abc" | hash("md5") }}'), '900150983cd24fb0d6963f7d28e17f72');
  assert.is(r('{{ "abc" | checksum }}'), 'a9993e364706816aba3e25717850c26c9cd0d89d');
  fails('{{ "abc" | hash("nope") }}', /unsupported hash type/);
  assert.is(r('{{ "/etc/ssh/sshd_config" | basename }}'), 'sshd_config');
  assert.is(r('{{ "/etc/ssh/sshd_config" | dirname }}'), '/etc/ssh');
  assert.is(r('{{ "/etc/ssh/" | basename }}'), '');
  assert.equal(r('{{ "a/b.tar.gz" | splitext }}'), ['a/b.tar', '.gz']);
  assert.is(r('{{ word | quote }}'), `'it'"'"'s'`, "Python's shlex.quote, as Ansible's quote filter");
  assert.is(r('{{ "plain" | quote }}'), 'plain');
  assert.is(r('{{ "a b" | quote }}'), "'a b'");
});

test('ternary, abs, round, random, type_debug', () => {
  assert.is(r('{{ (n > 5) | ternary("big", "small") }}'), 'big');
  assert.is(r('{{ e | ternary("y", "n") }}'), 'n');
  assert.is(r('{{ z | ternary("y", "n", "none") }}'), 'none');
  assert.is(r('{{ -4 | abs }}'), 4);
  assert.is(r('{{ 3.14159 | round(2) }}'), 3.14);
  assert.is(r('{{ 2.5 | round }}'), 2, 'half to even like Python');
  assert.is(r('{{ 2.1 | round(0, "ceil") }}'), 3);
  assert.ok(([3, 1, 2] as unknown[]).includes(r('{{ l | random }}')));
  const x = r('{{ 10 | random }}') as number;
  assert.ok(Number.isInteger(x) && x >= 0 && x < 10);
  assert.is(r('{{ l | type_debug }}'), 'list');
  assert.is(r('{{ d | type_debug }}'), 'dict');
  assert.is(r('{{ 1.5 | type_debug }}'), 'float');
});

test('lookup env and file, query', () => {
  process.env.KVPLAY_TPL_TEST = 'hello';
  assert.is(r('{{ lookup("env", "KVPLAY_TPL_TEST") }}'), 'hello');
  assert.is(r('{{ lookup("env", "KVPLAY_TPL_UNSET_VAR") }}'), '');
  assert.equal(r('{{ query("env", "KVPLAY_TPL_TEST") }}'), ['hello']);
  const dir = mkdtempSync(join(tmpdir(), 'kvplay-tpl-'));
  writeFileSync(join(dir, 'key.pub'), 'ssh-ed25519 AAAA\n');
  mkdirSync(join(dir, 'files'));
  writeFileSync(join(dir, 'files', 'motd'), 'welcome\n\n');
  const v = { playbook_dir: dir };
  assert.is(r('{{ lookup("file", "key.pub") }}', v), 'ssh-ed25519 AAAA');
  assert.is(r('{{ lookup("file", "motd") }}', v), 'welcome', 'files/ is searched first');
  fails('{{ lookup("file", "nope.txt") }}', /The 'file' lookup had an issue accessing the file 'nope.txt'/, v);
  fails('{{ lookup("nope", "id") }}', /lookup plugin \(nope\) not found/);
});

test.run();
