/**
 * Loading hardening (kvplay issue 9): YAML merge keys, NUL bytes, bad UTF-8, alias bombs, deep
 * nesting, size cap, multi-document files, one YAML error per file, keyword types (hosts, name,
 * tags, serial, retries), role dependencies (order, once, allow_duplicates, cycles), user keys
 * such as __proto__ / constructor in inventories and vars, bad ansible_port. Pure: the loader APIs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadPlaybook } from '../../src/playbook/load.js';
import { parseYaml } from '../../src/yaml/load.js';
import { inventoryFromText, loadInventory } from '../../src/inventory/index.js';
import { parseExtraVars } from '../../src/cli/args.js';
import { InputError, InputErrors, fmtLoc } from '../../src/util/errors.js';
import type { Task } from '../../src/playbook/model.js';

const dir = mkdtempSync(join(tmpdir(), 'kvplay-harden-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function put(rel: string, text: string | Buffer): string {
  const p = join(dir, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
}

/** The InputErrors thrown by fn, as "file:line:col message"; each must have a hint. Fails when fn does not throw InputError(s). */
function errorsOf(fn: () => unknown): string[] {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught, 'expected an error');
  const list = caught instanceof InputErrors ? caught.errors : caught instanceof InputError ? [caught] : null;
  assert.ok(list, `expected InputError(s), got ${caught instanceof Error ? caught.stack : String(caught)}`);
  for (const x of list!) assert.ok(x.hint && x.hint.length > 3, `a hint for: ${x.message}`);
  return list!.map((x) => `${fmtLoc(x.loc)} ${x.message}`);
}

const play = (body: string) => `- hosts: all\n  gather_facts: false\n${body}`;
const names = (ts: Task[]) => ts.map((t) => t.name);

test('YAML merge keys: <<: *base and <<: [*a, *b] merge; keys of the mapping win, then earlier mappings', () => {
  const v = parseYaml('base: &b {a: 1, b: 2}\no: &o {c: 3, a: 7}\nm1:\n  <<: *b\n  b: 9\nm2:\n  <<: [*b, *o]\nm3:\n  b: 5\n  <<: *b\n', 'm.yaml') as any;
  assert.equal({ ...v.m1 }, { a: 1, b: 9 });
  assert.equal({ ...v.m2 }, { a: 1, b: 2, c: 3 });
  assert.equal({ ...v.m3 }, { b: 5, a: 1 });
  assert.not.ok('<<' in v.m1, 'no "<<" key left');
  const e = errorsOf(() => parseYaml('a: &a [1]\nm:\n  <<: *a\n', 'bad.yaml'));
  assert.match(e[0], /^bad\.yaml:3:7 a merge key \(<<\) takes a mapping/);
});

test('a NUL byte in a command or a path is a load-time error at its line', () => {
  const f = put('nul.yaml', play('  tasks:\n    - command: "echo a\\0b"\n    - file: {path: "/tmp/x\\0y", state: absent}\n    - copy: {content: "bin\\0ary", dest: /tmp/nul-ok}\n'));
  const e = errorsOf(() => loadPlaybook(f));
  assert.is(e.length, 2, e.join('\n'));
  assert.match(e[0], new RegExp(`^${f}:4:16 .*NUL byte`));
  assert.match(e[1], new RegExp(`^${f}:5:20 .*NUL byte`));
});

test('non-UTF-8 bytes in a playbook, an inventory or a vars file: an error at the bad byte (not U+FFFD)', () => {
  const pb = put('latin1.yaml', Buffer.concat([Buffer.from(play('  tasks:\n    - debug: {msg: "caf')), Buffer.from([0xe9]), Buffer.from('"}\n')]));
  assert.equal(errorsOf(() => loadPlaybook(pb)).map((s) => s.split(' ')[0]), [`${pb}:4:24`]);
  const inv = put('inv-latin1/inventory.yaml', Buffer.concat([Buffer.from('all:\n  hosts:\n    h1:\n      note: "'), Buffer.from([0xff, 0xfe]), Buffer.from('"\n')]));
  assert.equal(errorsOf(() => loadInventory(inv)).map((s) => s.split(' ')[0]), [`${inv}:4:14`]);
  const gv = put('inv-gv/group_vars/all.yaml', Buffer.concat([Buffer.from('a: 1\nb: "'), Buffer.from([0xc3, 0x28]), Buffer.from('"\n')]));
  const inv2 = put('inv-gv/inventory.yaml', 'all:\n  hosts:\n    h1:\n');
  assert.equal(errorsOf(() => loadInventory(inv2)).map((s) => s.split(' ')[0]), [`${gv}:2:5`]);
});

test('a YAML alias bomb (billion laughs) is refused quickly, in a playbook and in -e', () => {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++) lines.push(`${'abcdefghi'[i]}: &${'abcdefghi'[i]} [${Array(9).fill('*' + 'abcdefghi'[i - 1]).join(',')}]`);
  const f = put('bomb.yaml', `- hosts: all\n  vars:\n${lines.map((l) => '    ' + l).join('\n')}\n  tasks: []\n`);
  const t0 = Date.now();
  const e = errorsOf(() => loadPlaybook(f));
  assert.match(e[0], new RegExp(`^${f}:\\d+:\\d+ YAML aliases expand to more than`));
  assert.throws(() => parseExtraVars([`{${lines.join(', ')}}`]), (x: unknown) => x instanceof InputErrors && /aliases expand/.test(x.message));
  assert.ok(Date.now() - t0 < 20_000, 'bounded, not exponential');
});

test('20,000-deep nesting (flow and block): a clear error, no stack overflow', () => {
  const flow = put('deep-flow.yaml', `- hosts: all\n  vars:\n    x: ${'['.repeat(20000)}${']'.repeat(20000)}\n  tasks: []\n`);
  assert.match(errorsOf(() => loadPlaybook(flow))[0], /nested too deeply|nested more than/);
  const block = put('deep-block.yaml', `- hosts: all\n  vars:\n${Array.from({ length: 3000 }, (_, i) => ' '.repeat(i + 4) + 'k:').join('\n')} 1\n  tasks: []\n`);
  assert.match(errorsOf(() => loadPlaybook(block))[0], /nested too deeply|nested more than/);
  const seq = put('deep-seq.yaml', `- hosts: all\n  vars:\n    x:\n${Array.from({ length: 1500 }, (_, i) => '  '.repeat(i + 3) + '-').join('\n')} 1\n  tasks: []\n`);
  assert.match(errorsOf(() => loadPlaybook(seq))[0], /nested too deeply|nested more than/);
});

test('a YAML file over the size cap is refused before parsing', () => {
  const f = put('huge.yaml', '# ' + 'x'.repeat(40 * 1024 * 1024) + '\n- hosts: all\n  tasks: []\n');
  const t0 = Date.now();
  assert.match(errorsOf(() => loadPlaybook(f))[0], new RegExp(`^${f}:1:1 .*larger than \\d+ MiB`));
  assert.ok(Date.now() - t0 < 5000, 'refused up front');
});

test('a multi-document playbook: what to do, at the separator line, not library advice', () => {
  const f = put('multi.yaml', '- hosts: all\n  tasks: []\n---\n- hosts: all\n  tasks: []\n');
  const e = errorsOf(() => loadPlaybook(f));
  assert.is(e.length, 1);
  assert.match(e[0], new RegExp(`^${f}:3:1 `));
  assert.not.match(e[0], /parseAllDocuments/);
  assert.match(e[0], /line 3/);
});

test('one YAML syntax error per file: an unquoted ": " in a shell line', () => {
  const f = put('colon.yaml', play('  tasks:\n    - name: a\n      shell: for i in 1 2; do echo "$i": done; echo x: y\n      register: out\n    - debug: {msg: x}\n'));
  let caught: unknown;
  try {
    loadPlaybook(f);
  } catch (e) {
    caught = e;
  }
  assert.instance(caught, InputErrors);
  const errs = (caught as InputErrors).errors;
  assert.is(errs.length, 1, errs.map((x) => x.format()).join('\n'));
  assert.is(fmtLoc(errs[0].loc), `${f}:5:14`);
  assert.match(errs[0].hint ?? '', /quoted/);
});

test('keyword types: hosts, name, tags, serial, retries, notify rejected at load with file:line:col and a hint', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['hosts5.yaml', '- hosts: 5\n  tasks: []\n', /:1:10 'hosts' must be a string or a list of strings, got the number 5/],
    ['hostsmap.yaml', '- hosts: {web: 1}\n  tasks: []\n', /:1:10 'hosts' must be a string or a list of strings, got a mapping/],
    ['hostslist.yaml', '- hosts: [web, 5]\n  tasks: []\n', /:1:16 the hosts list holds the number 5/],
    ['playname.yaml', '- hosts: all\n  name: [a, b]\n  tasks: []\n', /:2:9 'name' must be a string, got a list/],
    ['taskname.yaml', play('  tasks:\n    - name: {x: 1}\n      debug: {msg: hi}\n'), /:4:13 'name' must be a string, got a mapping/],
    ['tagsmap.yaml', '- hosts: all\n  tags: {a: 1}\n  tasks: []\n', /:2:9 'tags' must be a string or a list of strings, got a mapping/],
    ['serial.yaml', '- hosts: all\n  serial: abc\n  tasks: []\n', /:2:11 'serial' must be an integer, "N%" or a list of those, got the string 'abc'/],
    ['retries.yaml', play('  tasks:\n    - command: "true"\n      register: r\n      until: r.rc == 0\n      retries: abc\n'), /:7:16 'retries' must be a number/],
    ['notify.yaml', play('  tasks:\n    - command: "true"\n      notify: {h: 1}\n  handlers:\n    - name: h\n      debug: {msg: h}\n'), /:5:15 'notify' takes names \(strings\), got a mapping/],
  ];
  for (const [name, text, want] of cases) {
    const f = put(name, text);
    const e = errorsOf(() => loadPlaybook(f));
    assert.ok(e.some((x) => x.startsWith(f) && want.test(x)), `${name}: ${want} in\n${e.join('\n')}`);
    assert.not.ok(e.some((x) => x.includes('[object Object]')), e.join('\n'));
  }
  // accepted: a number as a name (converted), serial as a list of sizes and percentages
  const ok = put('ok.yaml', '- hosts: all\n  name: 42\n  serial: [1, "50%"]\n  tags: [a, 7]\n  tasks: []\n');
  const pb = loadPlaybook(ok);
  assert.is(pb.plays[0].name, '42');
  assert.equal(pb.plays[0].serial, [1, '50%']);
});

function role(name: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) put(`rp/roles/${name}/${rel}`, text);
}

test('role dependencies (meta/main.yml) run first, once per parameter set, recursively; allow_duplicates', () => {
  role('a', { 'meta/main.yml': 'dependencies:\n  - role: b\n    vars: {who: from-a}\n  - c\n', 'tasks/main.yml': '- name: a-task\n  debug: {msg: a}\n' });
  role('b', { 'meta/main.yml': 'dependencies:\n  - {role: c, p: 1}\n', 'tasks/main.yml': '- name: b-task\n  debug: {msg: "{{ who }}"}\n' });
  role('c', { 'tasks/main.yml': '- name: c-task\n  debug: {msg: "{{ p | default(0) }}"}\n' });
  role('d', { 'meta/main.yml': 'allow_duplicates: true\n', 'tasks/main.yml': '- name: d-task\n  debug: {msg: d}\n' });
  const f = put('rp/site.yaml', play('  roles:\n    - a\n    - c\n    - role: b\n      vars: {who: from-a}\n    - d\n    - d\n'));
  const pb = loadPlaybook(f);
  const tasks = pb.plays[0].tasks;
  assert.equal(names(tasks), ['c-task', 'b-task', 'c-task', 'a-task', 'd-task', 'd-task']);
  assert.equal({ ...tasks[0].scope.params }, { p: 1, who: 'from-a' }, 'c via b: its own params and b\'s');
  assert.equal({ ...tasks[1].scope.params }, { who: 'from-a' });
  assert.equal({ ...tasks[2].scope.params }, {});
  assert.ok(pb.plays[0].roles.some((r) => r.name === 'c'), 'dependencies are roles of the play (defaults, handlers)');
});

test('a role dependency cycle is a load-time error naming the chain, at the meta/main.yml line', () => {
  role('x', { 'meta/main.yml': 'dependencies:\n  - y\n', 'tasks/main.yml': '- debug: {msg: x}\n' });
  role('y', { 'meta/main.yml': 'galaxy_info: {}\ndependencies:\n  - role: x\n', 'tasks/main.yml': '- debug: {msg: y}\n' });
  const f = put('rp/cycle.yaml', play('  roles: [x]\n'));
  const e = errorsOf(() => loadPlaybook(f));
  assert.equal(e, [`${join(dir, 'rp/roles/y/meta/main.yml')}:3:5 role dependency cycle: x -> y -> x`]);
});

test('inventory: a host named __proto__ and a group named constructor are ordinary names', () => {
  const inv = inventoryFromText(
    'all:\n  hosts:\n    __proto__:\n      ansible_host: 192.0.2.1\n      toString: 5\n  children:\n    constructor:\n      hosts:\n        hasOwnProperty:\n        __proto__:\n      vars:\n        valueOf: 7\n',
    join(dir, 'proto-inv.yaml'),
  );
  assert.equal(inv.hosts, ['__proto__', 'hasOwnProperty']);
  assert.equal(inv.match('constructor'), ['__proto__', 'hasOwnProperty']);
  assert.equal(inv.match('__proto__'), ['__proto__']);
  const hv = inv.hostVars('__proto__');
  assert.is(hv.ansible_host, '192.0.2.1');
  assert.is(hv.toString, 5);
  assert.is(hv.valueOf, 7);
  assert.equal(hv.group_names, ['constructor']);
  const groups = hv.groups as Record<string, unknown>;
  assert.equal(groups['constructor'], ['__proto__', 'hasOwnProperty']);
  assert.is(inv.hostVars('hasOwnProperty').toString, undefined, 'nothing inherited from Object.prototype');
  assert.is(fmtLoc(inv.varOrigin('__proto__', 'toString')), `${join(dir, 'proto-inv.yaml')}:5:7`);
});

test('vars and -e: keys such as __proto__ and constructor are plain keys', () => {
  const v = parseYaml('__proto__: {x: 1}\nconstructor: 2\nb:\n  <<: {constructor: 3, toString: 4}\n', 'p.yaml') as any;
  assert.equal(Object.keys(v), ['__proto__', 'constructor', 'b']);
  assert.equal({ ...v.b }, { constructor: 3, toString: 4 });
  const e = parseExtraVars(['{"__proto__": {"polluted": 1}, "constructor": 5}', '__proto__=x']);
  assert.equal(Object.keys(e).sort(), ['__proto__', 'constructor']);
  assert.is(e.__proto__, 'x');
  assert.is(({} as any).polluted, undefined);
});

test('inventory: ansible_port 0, 99999 or "ssh" is an error at its line', () => {
  for (const [port, at] of [['0', '6:5'], ['99999', '6:5'], ['ssh', '6:5']]) {
    const f = join(dir, `port-${port}.yaml`);
    const e = errorsOf(() => inventoryFromText(`all:\n  hosts:\n    h1:\n    h2:\n  vars:\n    ansible_port: ${port}\n`, f));
    assert.equal(e.length, 1, e.join('\n'));
    assert.match(e[0], new RegExp(`^${f}:${at} ansible_port .*1 to 65535`));
  }
  const e = errorsOf(() => inventoryFromText('all:\n  hosts:\n    web:99999:\n', join(dir, 'port-key.yaml')));
  assert.match(e[0], /port-key\.yaml:3:5 ansible_port of host `web`/);
  assert.equal(inventoryFromText('all:\n  hosts:\n    h1:\n      ansible_port: "{{ p }}"\n    h2:\n      ansible_port: "2222"\n', join(dir, 'port-ok.yaml')).hosts, ['h1', 'h2']);
});

test.run();
