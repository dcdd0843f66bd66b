/**
 * Issue 11: the lookups of ansible-core 2.14, case by case against Ansible's own Templar
 * (test/compat/templar.py, one process for the file) on a temporary playbook directory: file,
 * env, template, pipe, lines, first_found, fileglob, items, list, dict, password (seeded, and
 * read back), vars, varnames, sequence, subelements, nested, together, indexed_items; lookup()
 * vs query()/q() and wantlist, errors=, allow_unsafe, terms holding {{ }} (rendered, unless they
 * came from unsafe data) and the unsafe mark of every result.
 */
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requires } from '../harness/gate.js';
import { compare, kvplayOutcome, kvplayVars, oracle, type OracleCase, type OracleResult } from './templar.js';
import type { Vars } from '../../src/template/index.js';

const root = mkdtempSync(join(tmpdir(), 'kvplay-lookups-'));
const base = join(root, 'play');
const role = join(base, 'roles', 'r');
const ROLE_PATH = { ansible_search_path: [role, join(role, 'tasks')] };

const FILES: Record<string, string> = {
  'files/hello.txt': 'hello\n\n',
  'files/spaced.txt': '  spaced  \n',
  'files/world.txt': 'world file\n',
  'files/{{ x }}.txt': 'literal name\n',
  'files/sub/a.conf': 'a',
  'files/sub/b.conf': 'b',
  'files/sub/.hidden.conf': 'h',
  'files/sub/c.txt': 'c',
  'files/sub/dir.conf/inner': 'i',
  'plain.txt': 'plain text\n',
  'templates/t.j2': 'name={{ x }}\n',
  'templates/list.j2': "[1, 2, '{{ x }}']",
  'templates/delims.j2': '[[ x ]] and {{ x }}',
  'templates/hdr.j2': '#jinja2: trim_blocks: False\n{% if true %}\nyes\n{% endif %}\n',
  'templates/vars.j2': "{{ template_path }} {{ template_fullpath | basename }} {{ ansible_managed }} {{ extra | default('none') }}",
  'templates/native.j2': '{{ 40 + 2 }}',
  'ff/b.yml': 'b',
  'roles/r/tasks/main.yml': '- debug: msg=x\n',
  'roles/r/files/hello.txt': 'role hello\n',
  'roles/r/files/rolefile.txt': 'in the role\n',
  'roles/r/templates/rt.j2': 'role template {{ x }}',
  'pw/existing': 's3cr3t salt=abcdefgh\n',
};

const VARS: Vars = {
  x: 'world',
  playbook_dir: base,
  abs: join(base, 'plain.txt'),
  base,
  u: { __unsafe__: '{{ x }}.txt' },
  tpl: '{{ x }}!',
  names: ['a.conf', 'b.conf'],
  users: [
    { name: 'alice', groups: ['wheel', 'dev'], mysql: { hosts: ['h1', 'h2'] } },
    { name: 'bob', groups: ['dev'], mysql: { hosts: [] } },
  ],
};

const CASES: (string | OracleCase)[] = [
  // file: search order, strip options, several terms, lookup() joins and query() lists
  "{{ lookup('file', 'hello.txt') }}", "{{ lookup('file', 'hello.txt', rstrip=false) }}", "{{ lookup('file', 'spaced.txt', lstrip=true) }}",
  "{{ lookup('file', 'plain.txt') }}", "{{ lookup('file', 'files/hello.txt') }}", "{{ lookup('file', abs) }}", "{{ lookup('file', 'nope.txt') }}",
  "{{ lookup('file', 'hello.txt', 'plain.txt') }}", "{{ query('file', 'hello.txt', 'plain.txt') }}", "{{ q('file', 'hello.txt') }}",
  "{{ lookup('file', 'hello.txt', wantlist=true) }}", "{{ lookup('file', 'hello.txt', wantlist=True) | length }}", "{{ lookup('file', '{{ x }}.txt') }}",
  "{{ lookup('file', u) }}", "{{ lookup('file', 'hello.txt') ~ '!' }}", "{{ lookup('file', 'hello.txt', allow_unsafe=true) }}",
  "{{ lookup('file', 'nope.txt', errors='ignore') }}", "{{ query('file', 'nope.txt', errors='ignore') }}", "{{ lookup('file', 'nope.txt', errors='warn') }}",
  "{{ lookup('ansible.builtin.file', 'plain.txt') }}", "{{ lookup('file') }}", "{{ query('file') }}",
  { t: "{{ lookup('file', 'hello.txt') }}", vars: ROLE_PATH }, { t: "{{ lookup('file', 'rolefile.txt') }}", vars: ROLE_PATH },
  { t: "{{ lookup('file', 'plain.txt') }}", vars: ROLE_PATH },
  // env
  "{{ lookup('env', 'KVPLAY_LOOKUP_ENV') }}", "{{ lookup('env', 'KVPLAY_LOOKUP_UNSET') }}", "{{ lookup('env', 'KVPLAY_LOOKUP_UNSET', default='dflt') }}",
  "{{ query('env', 'KVPLAY_LOOKUP_ENV', 'KVPLAY_LOOKUP_UNSET') }}", "{{ lookup('env', 'KVPLAY_LOOKUP_ENV extra words') }}", "{{ lookup('env', 'KVPLAY_LOOKUP_ENV', 'KVPLAY_LOOKUP_ENV') }}",
  // template
  "{{ lookup('template', 't.j2') }}", "{{ lookup('template', 'list.j2') }}", "{{ lookup('template', 'list.j2', convert_data=false) }}",
  "{{ lookup('template', 'delims.j2', variable_start_string='[[', variable_end_string=']]') }}", "{{ lookup('template', 'hdr.j2') }}",
  "{{ lookup('template', 'vars.j2', template_vars={'extra': 'E'}) }}", "{{ lookup('template', 'vars.j2') }}", "{{ lookup('template', 'native.j2') }}",
  "{{ lookup('template', 'nope.j2') }}", { t: "{{ lookup('template', 'rt.j2') }}", vars: ROLE_PATH },
  // pipe and lines: on the controller, in the playbook directory
  "{{ lookup('pipe', 'echo hi') }}", "{{ lookup('pipe', 'pwd') }}", "{{ lookup('pipe', 'exit 3') }}", "{{ lookup('pipe', 'echo {{ x }}') }}",
  "{{ query('pipe', 'echo a', 'echo b') }}", "{{ lookup('pipe', 'echo a', 'echo b') }}", "{{ lookup('pipe', 'printf \"x  \\n\\n\"') }}",
  "{{ query('lines', 'seq 3') }}", "{{ lookup('lines', 'seq 3') }}", "{{ lookup('lines', 'false') }}", "{{ query('lines', 'true') }}",
  // first_found
  "{{ lookup('first_found', ['nope.yml', 'hello.txt']) | basename }}", "{{ lookup('first_found', 'nope.yml', 'plain.txt') | basename }}",
  "{{ lookup('first_found', {'files': ['x.yml', 'b.yml'], 'paths': ['ff']}) | basename }}", "{{ lookup('first_found', {'files': 'x.yml,b.yml', 'paths': base + '/ff'}) | basename }}",
  "{{ lookup('first_found', ['nope'], skip=true) }}", "{{ query('first_found', ['nope'], skip=true) }}", "{{ query('first_found', ['nope']) }}",
  "{{ lookup('first_found', ['{{ x }}.txt']) | basename }}", "{{ lookup('first_found', [{'files': ['nope'], 'skip': true}]) }}",
  "{{ lookup('first_found', 'files/sub/a.conf') | basename }}", "{{ lookup('first_found', abs) == abs }}",
  // fileglob (Ansible lists in directory order: sorted here)
  "{{ query('fileglob', 'sub/*.conf') | map('basename') | sort }}", "{{ query('fileglob', '*.txt') | map('basename') | sort }}", "{{ query('fileglob', base + '/*.txt') | map('basename') | sort }}",
  "{{ query('fileglob', 'nomatch*') }}", "{{ lookup('fileglob', 'nomatch*') }}", "{{ lookup('fileglob', 'sub/a.*') | basename }}", "{{ query('fileglob', 'sub/[ab].conf') | map('basename') | sort }}",
  // data lookups
  "{{ query('items', [1, [2, [3]]], 4) }}", "{{ lookup('items', [1, 2]) }}", "{{ lookup('items', ['a', 'b']) }}", "{{ lookup('items', 'one') }}",
  "{{ query('list', [1, [2]], 3) }}", "{{ lookup('list', ['a']) }}", "{{ lookup('dict', {'a': 1, 'b': 2}) }}", "{{ query('dict', {'a': 1}) }}", "{{ lookup('dict', {'a': 1}) }}",
  "{{ query('dict', [1]) }}", "{{ query('indexed_items', ['a', 'b']) }}", "{{ query('together', [1, 2], ['a']) }}", "{{ query('nested', ['a', 'b'], [1, 2]) }}",
  "{{ query('nested', ['ab', 'c']) }}", "{{ query('nested', [1, 2], ['x'], [true]) }}", "{{ query('nested') }}",
  "{{ query('subelements', users, 'groups') | map('last') | list }}", "{{ query('subelements', users, 'groups') | first }}", "{{ query('subelements', users, 'mysql.hosts') }}",
  "{{ query('subelements', users, 'missing', {'skip_missing': true}) }}", "{{ query('subelements', users, 'missing') }}", "{{ query('subelements', users) }}",
  "{{ query('sequence', 'start=1 end=5') }}", "{{ query('sequence', '4:host%02d') }}", "{{ query('sequence', 'start=0x0f00 count=4 format=%04x') }}",
  "{{ query('sequence', 'start=10 end=0 stride=-2') }}", "{{ query('sequence', 'count=0') }}", "{{ query('sequence', 'end=3 bogus=1') }}", "{{ query('sequence', 'start=5 end=1') }}",
  "{{ lookup('sequence', '2-10/2') }}", "{{ query('sequence', 'start=1 end=3 format=%s-%s') }}", "{{ query('sequence', 'end=x') }}", "{{ query('sequence', '5', '1-2') }}",
  "{{ query('random_choice', 'only') }}", "{{ query('random_choice') }}", "{{ query('varnames', '^x$', '^ab') }}", "{{ query('varnames', '[') }}",
  "{{ lookup('vars', 'x') }}", "{{ lookup('vars', 'nope') }}", "{{ lookup('vars', 'nope', default='d') }}", "{{ query('vars', 'x', 'names') }}", "{{ lookup('vars', 'tpl') }}",
  "{{ lookup('vars', 'u') }}", "{{ lookup('nope') }}", "{{ lookup(1) }}",
  // password: seeded (no file), an existing file read back, a new file written then read
  "{{ lookup('password', '/dev/null seed=abc length=12') }}", "{{ lookup('password', '/dev/null seed=abc chars=digits length=8') }}",
  "{{ lookup('password', '/dev/null seed=x chars=ascii_lowercase,digits') }}", "{{ lookup('password', '/dev/null seed=x chars=ascii_letters,,,digits length=30') }}",
  "{{ lookup('password', '/dev/null seed=42', length=5) }}", "{{ lookup('password', 'pw/existing') }}", "{{ lookup('password', 'pw/existing encrypt=md5_crypt') }}",
  "{{ lookup('password', 'pw/existing encrypt=sha512_crypt') }}", "{{ lookup('password', '/dev/null bogus=1') }}", "{{ lookup('password', 'pw/new seed=s length=6') }}",
  "{{ lookup('password', 'pw/new') }}",
  // path tests and filters on the controller (Ansible's files.py: os.path)
  "{{ base is directory }}", "{{ abs is directory }}", "{{ abs is file }}", "{{ base is file }}", "{{ abs is exists }}", "{{ (base + '/nope') is exists }}",
  "{{ (base + '/link.txt') is link }}", "{{ abs is link }}", "{{ (base + '/dangling') is exists }}", "{{ (base + '/dangling') is link_exists }}",
  "{{ (base + '/link.txt') is same_file(abs) }}", "{{ abs is same_file(base) }}", "{{ 'nope' is same_file('nope2') }}", "{{ '/' is mount }}", "{{ base is mount }}",
  "{{ '/proc' is is_mount }}", "{{ base is is_dir }}", "{{ abs is is_file }}", "{{ (base + '/link.txt') is is_link }}", "{{ abs is is_same_file(abs) }}", "{{ 'rel' is abs }}",
  "{{ (base + '/files/sub/*.conf') | fileglob | map('basename') | sort }}", "{{ (base + '/*') | fileglob | map('basename') | sort }}", "{{ 'nomatch/*' | fileglob }}",
  "{{ (base + '/link.txt') | realpath == abs }}", "{{ (base + '/files/./sub/../hello.txt') | realpath | basename }}",
];

const test = requires({ tools: ['ansible-playbook'] });
const ENV = { KVPLAY_LOOKUP_ENV: 'from env' };
let results: OracleResult[] | undefined;
const ansible = () => (results ??= oracle(CASES, { vars: VARS, basedir: base, env: ENV }));

test.before(() => {
  for (const [f, text] of Object.entries(FILES)) {
    mkdirSync(join(base, f, '..'), { recursive: true });
    writeFileSync(join(base, f), text);
  }
  symlinkSync(join(base, 'plain.txt'), join(base, 'link.txt'));
  symlinkSync(join(base, 'nope'), join(base, 'dangling'));
  Object.assign(process.env, ENV);
});
test.after(() => {
  rmSync(root, { recursive: true, force: true });
  for (const k of Object.keys(ENV)) delete process.env[k];
});

CASES.forEach((c, i) => {
  const { t, vars } = typeof c === 'string' ? { t: c, vars: {} } : c;
  test(`${t}${vars && Object.keys(vars).length ? ` (with ${Object.keys(vars).join(', ')})` : ''}`, () => {
    const why = compare(kvplayOutcome(t, kvplayVars({ ...VARS, ...vars })), ansible()[i]);
    if (why) assert.unreachable(why);
  });
});

test('the password lookup writes the file as Ansible does (mode 0600, "password salt=..." when encrypted)', () => {
  ansible();
  assert.is(readFileSync(join(base, 'pw/new'), 'utf8').trim().length, 6);
  kvplayOutcome("{{ lookup('password', 'pw/enc encrypt=sha256_crypt length=9') }}", kvplayVars(VARS));
  assert.match(readFileSync(join(base, 'pw/enc'), 'utf8'), /^[A-Za-z0-9.,:_-]{9} salt=[A-Za-z0-9./]{16}\n$/);
});

test.run();
