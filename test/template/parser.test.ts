/**
 * The template parser (src/template/parser*.ts, a port of Jinja2 3.1's lexer and parser): the
 * precedence table, literals and string escapes, whitespace control, tags, error positions and
 * hostile inputs. Each case is rendered by kvplay (renderTemplateFile: Jinja2 with Ansible's
 * options, no playbook-string escaping) and, where Ansible's Python is installed, by Jinja2 itself
 * in one Python process: the outputs must be the same, a case that fails in Jinja2 must fail in
 * kvplay, with the same line. The expected values written here are Jinja2 3.1.6's, so the pure
 * tests run (and can fail) without Python too.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { renderTemplateFile, ANSIBLE_OPTIONS, type TemplateOptions } from '../../src/template/index.js';
import { parseTemplate, TemplateSyntaxError } from '../../src/template/parser.js';
import { InputError } from '../../src/util/errors.js';
import { restoreNewlines } from '../../src/template/options.js';
import { requires } from '../harness/gate.js';
import { ansiblePython } from '../compat/templar.js';

const VARS = { x: 6, l: [1, 2, 3], s: 'abc', d: { a: 1, b: [10, 20] }, t: true, f: false, n: null };

type Case = { t: string; want: string | Error; opts?: Partial<TemplateOptions> };
const ERR = new Error('fails');
const c = (t: string, want: string | Error, opts?: Partial<TemplateOptions>): Case => ({ t, want, opts });

const PRECEDENCE: Case[] = [
  c('{{ 1 + 2 * 3 }}', '7'),
  c('{{ 10 - 2 - 3 }}', '5'),
  c('{{ 2 ** 3 ** 2 }}', '64'), // left-associative in Jinja2 (Python's is right)
  c('{{ -2 ** 2 }}', '4'), // unary minus binds tighter than ** in Jinja2
  c('{{ 2 ** 2 * 3 }}', '12'),
  c('{{ 7 // 2 * 3 }}', '9'),
  c('{{ 7 % 4 ** 2 }}', '7'),
  c('{{ 2 * 3 ~ 4 }}', '64'), // ~ is looser than * ...
  c('{{ 1 + 2 ~ 3 }}', ERR), // ... and tighter than +: 1 + (2 ~ 3)
  c('{{ "ab" ~ "c" | upper }}', 'abC'), // filters bind to the operand
  c('{{ -1 | abs }}', '1'), // (-1) | abs
  c('{{ -x | string }}', '-6'),
  c('{{ 1 + 1 is odd }}', '2'), // 1 + (1 is odd)
  c('{{ not 1 == 2 }}', 'True'),
  c('{{ not 1 in [1] }}', 'False'),
  c('{{ 1 not in [2] }}', 'True'),
  c('{{ 2 in l in [[1, 2, 3]] }}|{{ 2 in l not in [[1, 2, 3]] }}', 'True|False'), // chained: (2 in l) and (l in [[1, 2, 3]])
  c('{{ 1 < 2 < 3 }}|{{ 3 > 2 > 2 }}', 'True|False'),
  c('{{ true or false and false }}', 'True'),
  c('{{ not true or true }}', 'True'),
  c('{{ 1 if 0 else 2 if 1 else 3 }}', '2'),
  c('{{ x is divisibleby 3 }}|{{ x is not divisibleby(4) }}', 'True|True'),
  c('{{ x is defined and not y is defined }}', 'True'),
  c('{{ n is none }}|{{ t is sameas true }}|{{ f is not sameas false }}', 'True|True|False'),
  c('{{ "%s-%s" % (1, 2) }}', '1-2'),
  c('{{ l[1:] | length }}|{{ l[::-1] }}|{{ l[:-1] }}|{{ s[-1] }}', '2|[3, 2, 1]|[1, 2]|c'),
  c('{{ (1, 2)[::-1] }}|{{ (1,) }}|{{ () }}', '(2, 1)|(1,)|()'),
  c('{{ d.b.1 }}|{{ d["b"][0] }}|{{ l.0 }}', '20|10|1'),
  c('{{ 1, 2 }}', '(1, 2)'),
];

const LITERALS: Case[] = [
  c("{{ 'a' 'b' \"c\" }}", 'abc'),
  c('{{ 1_000 + 0x10 + 0o10 + 0b11 + 0 }}', '1027'),
  c('{{ 1.5e3 | int }}|{{ 2.5 }}', '1500|2.5'),
  c('{{ True }}{{ true }}{{ None is none }}{{ none is none }}{{ False }}', 'TrueTrueTrueTrueFalse'),
  c("{{ {'a': 1, 'b': [1, {'c': 2}]}.b[1].c }}", '2'),
  c("{{ '\\x41\\u00e9\\101\\n|\\d|\\'|\\\\' }}", "Aé\x41\n|\\d|'|\\"),
  c("{{ '\\x4' }}", ERR), // truncated \xXX escape
  c('{{ 0644 }}', ERR), // Python 3 has no 0-prefixed integers
];

const TAGS: Case[] = [
  c('{% for a, b in [(1, 2), (3, 4)] if a > 1 %}{{ loop.index }}{{ a }}{{ b }}{% else %}none{% endfor %}', '134'),
  c('{% for i in [] %}x{% else %}empty{% endfor %}', 'empty'),
  c('{% if x > 9 %}a{% elif x > 5 %}b{% else %}c{% endif %}', 'b'),
  c('{% set a, b = 1, 2 %}{{ a }}{{ b }}', '12'),
  c('{% set ns = namespace(v=1) %}{% for i in l %}{% set ns.v = ns.v + i %}{% endfor %}{{ ns.v }}', '7'),
  c('{% set v | upper %}abc{% endset %}{{ v }}', 'ABC'),
  c('{% filter upper | replace("B", "x") %}abc{% endfilter %}', 'AxC'),
  c('{% macro m(a, b=2) %}{{ a }}{{ b }}{{ varargs | length }}{% endmacro %}{{ m(1) }}|{{ m(1, 3, 4) }}', '120|131'),
  c('{% macro m(a) %}<{{ caller() }}|{{ a }}>{% endmacro %}{% call m(1) %}body {{ x }}{% endcall %}', '<body 6|1>'),
  c('{% macro l(items) %}{% for i in items %}[{{ caller(i, n=loop.index) }}]{% endfor %}{% endmacro %}{% call(item, n=0) l([1, 2]) %}{{ n }}:{{ item }}{% endcall %}', '[1:1][2:2]'),
  c('{% call x %}{% endcall %}', ERR),
  c('{% raw %}{{ not parsed }}{% endraw %}', '{{ not parsed }}'),
  c('a{# comment #}b', 'ab'),
  c('{% print x, s %}', '6abc'),
  c('{% include "x.j2" %}', ERR),
  c('{% macro m(a,) %}{% endmacro %}', ERR),
  c('{% set true = 1 %}', ERR),
];

const WHITESPACE: Case[] = [
  c('a  {{- x -}}  b', 'a6b'),
  c('a\n{% if t %}\nb\n{% endif %}\nc', 'a\nb\nc'), // trim_blocks: the newline after %} goes
  c('a\n  {% if t %}\nb\n  {% endif %}\nc', 'a\n  b\n  c'),
  c('a\n  {% if t %}\nb\n  {% endif %}\nc', 'a\nb\nc', { lstripBlocks: true }),
  c('a\n  {%+ if t %}\nb\n  {% endif +%}\nc', 'a\n  b\n\nc', { lstripBlocks: true }),
  c('a\n  {# c #}\nb', 'a\nb', { lstripBlocks: true }),
  c('a\n{% if t %}\nb\n{% endif %}\nc', 'a\n\nb\n\nc', { trimBlocks: false }),
  c('  {% raw -%}  {{ x }}  {%- endraw %}|', '  {{ x }}|'),
  c('[% if t %][[ x ]][# c #][% endif %]', '6', { tags: { blockStart: '[%', blockEnd: '%]', variableStart: '[[', variableEnd: ']]', commentStart: '[#', commentEnd: '#]' } }),
  c("{{ {'a': {'b': 1}} }}", "{'a': {'b': 1}}"), // }} inside open braces is two }
];

const ERRORS: Case[] = [
  c('{{ x', ERR),
  c('{% if x', ERR),
  c('{# never closed', ERR),
  c('{% raw %}never closed', ERR),
  c("{{ 'open }}", ERR),
  c('{{ x }', ERR),
  c('{% if x %}', ERR),
  c('{% for i in l %}{% endif %}', ERR),
  c('{{ [1, 2) }}', ERR),
  c('{{ x ) }}', ERR),
  c('{{ 1 +  }}', ERR),
  c('{{ x is is defined }}', ERR),
  c('{{ f(*a, b) }}', ERR),
  c('{{ x ! 1 }}', ERR),
  c('{% endfor %}', ERR),
  c('{% elif %}', ERR),
];

const ALL = [...PRECEDENCE, ...LITERALS, ...TAGS, ...WHITESPACE, ...ERRORS];

function kv(cs: Case): string | Error {
  try {
    return renderTemplateFile(cs.t, VARS, { file: 't.j2', line: 1, col: 1 }, { ...ANSIBLE_OPTIONS, ...cs.opts });
  } catch (e) {
    if (!(e instanceof InputError)) return new Error(`not an InputError: ${(e as Error).stack}`);
    return e;
  }
}

for (const [name, cases] of Object.entries({ PRECEDENCE, LITERALS, TAGS, WHITESPACE, ERRORS })) {
  test(`${name}: kvplay renders as Jinja2 3.1 does`, () => {
    for (const cs of cases) {
      const got = kv(cs);
      if (cs.want instanceof Error) assert.ok(got instanceof InputError, `${cs.t}: Jinja2 fails, kvplay gives ${JSON.stringify(got)}`);
      else assert.is(got, cs.want, cs.t);
    }
  });
}

/** The position of a syntax error: [line, col], 0-based within the template. */
function at(src: string): [number, number, string] {
  try {
    parseTemplate(src);
  } catch (e) {
    if (e instanceof TemplateSyntaxError) return [e.line, e.col, e.message];
    throw e;
  }
  throw new Error(`${src} parsed`);
}

test('syntax errors are located at the offending token (file:line:col)', () => {
  assert.equal(at('ok\n{{ a +\n }}').slice(0, 2), [2, 1]);
  assert.equal(at('{% if x %}\n{% endfor %}').slice(0, 2), [1, 3]);
  assert.equal(at('ab\n  {{ x ! }}').slice(0, 2), [1, 7]);
  assert.equal(at("x\n{{ 'open }}").slice(0, 2), [1, 3]);
  assert.equal(at('{{ [1, 2) }}').slice(0, 2), [0, 8]);
  assert.match(at('{{ [1, 2) }}')[2], /expected ',' or '\]'/);
  assert.match(at('{% if n %}x')[2], /Unexpected end of template.*'endif'.*innermost block .*'if'/);
  assert.match(at('{% include "a" %}')[2], /\{% include %\} is not supported/);
  const e = kv(c('a\n\n  {{ x +* 1 }}', ERR)) as InputError;
  assert.equal(e.loc, { file: 't.j2', line: 3, col: 9 }); // the '*' where an operand should be
});

test('hostile input: deep nesting is refused as a syntax error, long flat input is fine', () => {
  for (const src of ['{{ ' + '('.repeat(5000) + '1' + ')'.repeat(5000) + ' }}', '{{ ' + '['.repeat(100000) + ' }}', '{{ ' + 'not '.repeat(5000) + '1 }}', '{{ ' + '-'.repeat(5000) + '1 }}', '{% if 1 %}'.repeat(1000) + '{% endif %}'.repeat(1000)]) {
    assert.match(at(src)[2], /nesting too deep/, src.slice(0, 30));
  }
  assert.is(kv(c('{{ ' + '1 + '.repeat(250) + '1 }}', '')), '251'); // Jinja2 3.1 renders 300, fails at 500
  assert.match(at('{{ ' + '1 + '.repeat(100000) + '1 }}')[2], /nesting too deep/);
  assert.match(at('{{ x' + '.a'.repeat(100000) + ' }}')[2], /nesting too deep/);
  assert.match(at('{{ x' + ' | string'.repeat(100000) + ' }}')[2], /nesting too deep/);
  assert.is(kv(c('{{ x }}'.repeat(20000), '')), '6'.repeat(20000));
});

// The same cases through Jinja2 itself (Ansible's Python): the expected values above are Jinja2's.
const live = requires({ tools: ['ansible-playbook'] });
const PY = String.raw`
import json, sys, jinja2
out = []
for case in json.load(sys.stdin):
    o = case.get('opts') or {}
    tags = o.get('tags') or {}
    kw = dict(trim_blocks=o.get('trimBlocks', True), lstrip_blocks=o.get('lstripBlocks', False), undefined=jinja2.StrictUndefined)
    names = dict(blockStart='block_start_string', blockEnd='block_end_string', variableStart='variable_start_string', variableEnd='variable_end_string', commentStart='comment_start_string', commentEnd='comment_end_string')
    for k, v in tags.items(): kw[names[k]] = v
    env = jinja2.Environment(**kw)
    try:
        out.append({'ok': env.from_string(case['t']).render(case['vars'])})
    except jinja2.TemplateSyntaxError as e:
        out.append({'err': 'syntax', 'line': e.lineno, 'msg': e.message})
    except Exception as e:
        out.append({'err': type(e).__name__, 'msg': str(e)})
print(json.dumps(out))
`;
live('every case: the same output as Jinja2, or a failure where Jinja2 fails (syntax errors on the same line)', () => {
  const r = spawnSync(ansiblePython(), ['-c', PY], { input: JSON.stringify(ALL.map((x) => ({ t: x.t, opts: x.opts ?? null, vars: VARS }))), encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout) as ({ ok: string } | { err: string; line?: number; msg: string })[];
  const bad: string[] = [];
  ALL.forEach((cs, i) => {
    const j = res[i];
    const got = kv(cs);
    if ('ok' in j) {
      if (got !== j.ok) bad.push(`${cs.t}: Jinja2 ${JSON.stringify(j.ok)}, kvplay ${got instanceof Error ? got.message : JSON.stringify(got)}`);
    } else if (!(got instanceof InputError)) bad.push(`${cs.t}: Jinja2 fails (${j.msg}), kvplay ${JSON.stringify(got)}`);
    else if (j.err === 'syntax' && j.line && got.loc?.line !== j.line) bad.push(`${cs.t}: Jinja2's syntax error is on line ${j.line}, kvplay's on ${got.loc?.line}`);
    if (!(cs.want instanceof Error) && 'ok' in j && j.ok !== cs.want) bad.push(`${cs.t}: the expected value written here (${JSON.stringify(cs.want)}) is not Jinja2's (${JSON.stringify(j.ok)})`);
    if (cs.want instanceof Error && 'ok' in j) bad.push(`${cs.t}: written here as failing, Jinja2 gives ${JSON.stringify(j.ok)}`);
  });
  assert.equal(bad, []);
});

// Seeded random templates (the same every run): whitespace control and tags, and mutated
// expressions, through Jinja2 and kvplay. Where Jinja2 parses, kvplay must parse; where Jinja2
// renders text, kvplay must render the same text (plus the trailing newlines Ansible restores).
let seed = 20261206;
const rnd = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return ((seed >>> 0) % 1000000) / 1000000;
};
const pick = <T>(a: T[]): T => a[Math.floor(rnd() * a.length)];
const ws = () => pick(['', ' ', '  ', '\n', ' \n', '\n  ', '\t', '\n\t \n', 'x', ' x\n']);
const mark = () => pick(['', '', '-', '+']);
const PIECES = [
  () => `{{${pick(['', '-'])} x ${pick(['', '-'])}}}`,
  () => `{%${mark()} if t ${mark()}%}${ws()}a${ws()}{%${mark()} endif ${mark()}%}`,
  () => `{#${mark()} c ${mark()}#}`,
  () => `{%${mark()} raw ${pick(['', '-'])}%}${ws()}{{ r }}${ws()}{%${mark()} endraw ${mark()}%}`,
  () => `{%${mark()} for i in [1, 2] ${mark()}%}${ws()}{{ i }}${ws()}{%${mark()} endfor ${mark()}%}`,
];
function expr(d: number): string {
  if (d > 3 || rnd() < 0.3) return pick(['x', '1', '2.5', "'s'", 'none', 'l', '0x1f', 'd.a', 'l[0]', 'l.1']);
  const a = () => expr(d + 1);
  return pick([
    () => `${a()} ${pick(['+', '-', '*', '/', '//', '%', '**', '~', '==', '<', 'and', 'or', 'in', 'not in'])} ${a()}`,
    () => `${pick(['not ', '-'])}${a()}`,
    () => `(${a()})`,
    () => `[${a()}, ${a()}${pick(['', ','])}]`,
    () => `{${a()}: ${a()}}`,
    () => `${a()} | ${pick(['string', 'default(1)', 'join(",")', 'ansible.builtin.to_json'])}`,
    () => `${a()} is ${pick(['', 'not '])}${pick(['defined', 'divisibleby 3', 'sameas(1)', 'none'])}`,
    () => `${a()} if ${a()}${pick(['', ' else ' + a()])}`,
    () => `${a()}[${pick(['1:', ':2', '::-1', a()])}]`,
    () => `range(${a()}${pick(['', ', k=1', ', *l', ','])})`,
  ])();
}
function mutate(src: string): string {
  const toks = src.match(/\s+|\w+|'[^']*'|"[^"]*"|\*\*|\/\/|[{}%#]+|./g) ?? [];
  const i = Math.floor(rnd() * toks.length);
  const r = rnd();
  if (r < 0.33) toks.splice(i, 1);
  else if (r < 0.66) toks.splice(i, 0, pick(['(', ')', ',', ':', '|', 'is', 'not', 'in', 'if', 'else', '.', '[', ']', '}', '{', '=', "'", '%}', '}}']));
  else toks[i] = pick(['(', ')', ',', '.', 'x', ' ', 'and', '**']);
  return toks.join('');
}
const RANDOM: { t: string; trim: boolean; lstrip: boolean; parseOnly: boolean }[] = [];
for (let i = 0; i < 400; i++) RANDOM.push({ t: ws() + [1, 2, 3].map(() => pick(PIECES)() + ws()).join(''), trim: rnd() < 0.5, lstrip: rnd() < 0.5, parseOnly: false });
for (let i = 0; i < 400; i++) {
  const t = pick([(e: string) => `{{ ${e} }}`, (e: string) => `{% if ${e} %}a{% elif x %}b{% endif %}`, (e: string) => `{% for a in ${e} if a %}{{ a }}{% else %}e{% endfor %}`, (e: string) => `{% set v = ${e} %}`])(expr(0));
  RANDOM.push({ t: rnd() < 0.5 ? t : mutate(t), trim: true, lstrip: false, parseOnly: true });
}
const PY_RANDOM = String.raw`
import json, sys, jinja2
out = []
for c in json.load(sys.stdin):
    env = jinja2.Environment(trim_blocks=c['trim'], lstrip_blocks=c['lstrip'], keep_trailing_newline=True)
    try:
        out.append({'ok': 'parsed' if c['parseOnly'] and env.parse(c['t']) else env.from_string(c['t']).render(x='X', t=True)})
    except jinja2.TemplateSyntaxError as e:
        out.append({'err': str(e)})
print(json.dumps(out))
`;
live('seeded random templates: whitespace control and tags render, and expressions parse, as in Jinja2', () => {
  const r = spawnSync(ansiblePython(), ['-c', PY_RANDOM], { input: JSON.stringify(RANDOM), encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.is(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout) as ({ ok: string } | { err: string })[];
  const bad: string[] = [];
  RANDOM.forEach((cs, i) => {
    const j = res[i];
    let got: string;
    try {
      if (cs.parseOnly) got = parseTemplate(cs.t) && 'parsed';
      else got = renderTemplateFile(cs.t, { x: 'X', t: true }, undefined, { ...ANSIBLE_OPTIONS, trimBlocks: cs.trim, lstripBlocks: cs.lstrip, keepTrailingNewline: true });
    } catch (e) {
      if (!(e instanceof TemplateSyntaxError || e instanceof InputError)) throw e;
      if ('ok' in j) bad.push(`${JSON.stringify(cs)}: Jinja2 ${JSON.stringify(j.ok)}, kvplay fails: ${(e as Error).message}`);
      return;
    }
    if (!('ok' in j)) bad.push(`${JSON.stringify(cs)}: Jinja2 fails (${j.err}), kvplay ${JSON.stringify(got)}`);
    else if (got !== (cs.parseOnly ? j.ok : restoreNewlines(cs.t, j.ok))) bad.push(`${JSON.stringify(cs)}: Jinja2 ${JSON.stringify(j.ok)}, kvplay ${JSON.stringify(got)}`);
  });
  assert.equal(bad.slice(0, 5), []);
});

test.run();
