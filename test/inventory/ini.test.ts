/**
 * INI inventories, with Ansible as the oracle: for each inventory written here, kvplay's groups
 * (direct hosts in order, children), and host variables (group vars, group_vars/ and host_vars/
 * folded in, magic variables left out) equal `ansible-inventory -i FILE --list`; for bad ones,
 * kvplay's error is Ansible's message at Ansible's file:line.
 */
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadInventory } from '../../src/inventory/index.js';
import { InputErrors } from '../../src/util/errors.js';
import { requires } from '../harness/gate.js';
import { ansible, squash } from '../harness/ansible.js';

const test = requires({ tools: ['ansible-inventory'] });

let dir: string;
test.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kvini')); // no '-': Ansible's wrapped warnings may break lines at hyphens
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

function write(rel: string, text: string): string {
  const p = join(dir, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
}

type Shape = { groups: Record<string, { hosts: string[]; children: string[] }>; hostvars: Record<string, Record<string, unknown>> };
const MAGIC = ['inventory_hostname', 'inventory_hostname_short', 'group_names', 'groups', 'inventory_file', 'inventory_dir'];

/** Sorted keys, so that deep equality ignores key order. */
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  return v;
}

function oracle(file: string): Shape {
  const r = ansible('ansible-inventory', ['-i', file, '--list'], dir);
  assert.is(r.code, 0, r.stderr);
  assert.not.match(r.stderr, 'Failed to parse', r.stderr);
  const data = JSON.parse(r.stdout) as Record<string, { hosts?: string[]; children?: string[]; hostvars?: Record<string, Record<string, unknown>> }>;
  const out: Shape = { groups: {}, hostvars: sortKeys(data._meta.hostvars ?? {}) as Shape['hostvars'] };
  for (const [name, g] of Object.entries(data)) {
    if (name === '_meta' || (!g.hosts?.length && !g.children?.length)) continue;
    out.groups[name] = { hosts: g.hosts ?? [], children: [...(g.children ?? [])].sort() };
  }
  return sortKeys(out) as Shape;
}

function ours(file: string): Shape {
  const inv = loadInventory(file);
  const out: Shape = { groups: {}, hostvars: {} };
  for (const [name, g] of inv.groups) {
    if (!g.hosts.length && !g.children.length) continue;
    out.groups[name] = { hosts: [...g.hosts], children: [...g.children].sort() };
  }
  for (const h of inv.hosts) {
    const v: Record<string, unknown> = { ...inv.hostVars(h) };
    for (const m of MAGIC) delete v[m];
    if (Object.keys(v).length) out.hostvars[h] = v;
  }
  return JSON.parse(JSON.stringify(sortKeys(out))) as Shape;
}

const same = (file: string) => assert.equal(ours(file), oracle(file));

test('hosts, groups, [g:vars], [g:children] declared later, inline vars as Python literals, comments, ungrouped, all:vars', () => {
  same(
    write(
      'rich.ini',
      `# a comment
; another comment
lone ansible_host=10.0.0.1 flag=True n=5 none=None lst="[1, 'a']" d="{'k': [1, 2]}" s='a b' tup=1,2
[web]
web[01:03].example.com ansible_user=deploy
db-[a:c] x=1.5 y=-3 hex=0x1F # a comment after the variables
h1:2222 ansible_host=192.0.2.1 note="it's" quoted='"dq"' oct=0777 path=/srv/x#y
[web:vars]
http_port = 8080
greeting = hello world # kept: [g:vars] values are the whole rest of the line
pylist = ['x', 'y']
tpl = "{{ inventory_hostname }}"
empty =
bool = False
[dc:children]
web
later   # children may be declared further down
[later]
h2 x=later
[all:vars]
common=1
ntp=pool.ntp.org
[ungrouped]
h3
`,
    ),
  );
});

test('ranges (numeric, stepped, lettered, zero-padded), ports, IPv6, a host in two groups', () => {
  same(write('ranges.ini', '[web]\nweb[1:3]:2200\nn[0:10:5]\nh-[01:02]-x\ndb-[a:c]\n[2001:db8::1]:2222\n2001:db8::2\n192.0.2.[1:2]\nfoo.example.com:22 ansible_port=23\n[db]\nweb1 extra=yes\nd_b\n'));
});

test('precedence: group depth, ansible_group_priority, host over group, group_vars/ and host_vars/ beside the file', () => {
  write('prec/group_vars/all.yml', 'from_dir: all\nlevel: dir-all\n');
  write('prec/group_vars/inner.yml', 'level: dir-inner\n');
  write('prec/host_vars/h1.yml', 'hv: dir\n');
  same(
    write(
      'prec/hosts.ini',
      '[outer:children]\ninner\n[inner]\nh1 hv=inline\nh2\n[other]\nh2\n[outer:vars]\nlevel=outer\nwho=outer\n[inner:vars]\nlevel=inner\n[other:vars]\nwho=other\nansible_group_priority=10\n[all:vars]\nlevel=all\nwho=all\n',
    ),
  );
});

test('format detection as Ansible: no extension is tried as YAML first, then INI', () => {
  same(write('noext/hosts', '[web]\nw1 ansible_port=2201\n[web:vars]\nrole=web\n'));
  same(write('noext/yamlhosts', 'all:\n  children:\n    web:\n      hosts:\n        w1:\n          ansible_port: 2201\n'));
  same(write('noext/hosts.yml', 'w1 ansible_port=2201\n[web]\nw1\n')); // not YAML: the ini plugin reads it
});

/** kvplay's single error for `file`, as `file:line: message` (Ansible's form). */
function ourError(file: string): string {
  try {
    loadInventory(file);
  } catch (e) {
    assert.instance(e, InputErrors);
    const errs = (e as InputErrors).errors;
    const last = errs[errs.length - 1];
    assert.ok(last.hint, 'a hint');
    return `${last.loc!.file}:${last.loc!.line}: ${last.message.replace(`${file} is not an INI inventory either: `, '')}`;
  }
  return assert.unreachable('expected an error') as never;
}

test("errors: Ansible's message at Ansible's line", () => {
  const cases: Array<[string, string]> = [
    ['e1.ini', '[web]\nh1 foo\n'],
    ['e2.ini', '[web:nope]\nh1\n'],
    ['e3.ini', '[web]\n[dc:children]\nweb\nmissing\n'],
    ['e4.ini', '# vars of a group never declared\n[ghost:vars]\nx=1\n'],
    ['e5.ini', '[a b]\nh\n'],
    ['e6.ini', '[web]\n[web:vars]\nnoeq\n'],
    ['e7.ini', 'h1 x="unclosed\n'],
    ['e8.ini', '[web]\nh1:\n'],
    ['e9.ini', '[web]\n[web:children]\nbad:name\n'],
  ];
  for (const [name, text] of cases) {
    const file = write(name, text);
    const r = ansible('ansible-inventory', ['-i', file, '--list'], dir);
    const mine = ourError(file);
    // e8's message is raised without file:line by Ansible; kvplay still names the line
    const expect = name === 'e8.ini' ? mine.replace(/^[^ ]*: /, '') : mine;
    assert.ok(squash(r.stderr).includes(squash(`with ini plugin: ${expect}`)), `${name}: kvplay says\n  ${mine}\nAnsible says\n${r.stderr}`);
  }
});

test('neither YAML nor INI: both reasons, as Ansible gives them', () => {
  const file = write('both', 'kvm1 kvm2 nfs\n');
  const r = ansible('ansible-inventory', ['-i', file, '--list'], dir);
  assert.match(squash(r.stderr), squash(`${file} with yaml plugin: YAML inventory has invalid structure, it should be a dictionary`));
  try {
    loadInventory(file);
    assert.unreachable('expected errors');
  } catch (e) {
    const msgs = (e as InputErrors).errors.map((x) => `${x.loc!.file}:${x.loc!.line}: ${x.message}`);
    assert.is(msgs.length, 2, msgs.join('\n'));
    assert.match(msgs[0], 'is not a YAML inventory (its top level is the string "kvm1 kvm2 nfs"');
    assert.match(msgs[1], `${file}:1: ${file} is not an INI inventory either: Expected key=value host variable assignment, got: kvm2`);
    assert.ok(squash(r.stderr).includes(squash(`with ini plugin: ${file}:1: Expected key=value host variable assignment, got: kvm2`)), r.stderr);
  }
});

test.run();
