/** Inventory structure: nesting, membership, ranges, magic vars, implicit inventory, the example file. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadInventory, inventoryFromText, expandHostRange, splitHostPort } from '../../src/inventory/index.js';

function root(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'test/fixtures/inventory'))) {
    if (dirname(d) === d) throw new Error('test/fixtures/inventory not found');
    d = dirname(d);
  }
  return d;
}
const ROOT = root();
const FX = join(ROOT, 'test/fixtures/inventory');
const lab = () => loadInventory(join(FX, 'lab/inventory.yaml'));

test('hosts in document order, ranges expanded', () => {
  assert.equal(lab().hosts, ['solo', 'kvm1', 'kvm2', 'nfs', 'web01.example.com', 'web02.example.com', 'web03.example.com', 'db-a', 'db-b']);
});

test('groups: implicit all/ungrouped, nesting, parents, depth', () => {
  const inv = lab();
  assert.equal([...inv.groups.keys()], ['all', 'prod', 'kvm_hosts', 'storage', 'nfs_servers', 'web', 'ungrouped']);
  const g = (n: string) => inv.groups.get(n)!;
  assert.equal(g('all').children, ['prod', 'kvm_hosts', 'storage', 'web', 'ungrouped']);
  assert.equal(g('prod').children, ['kvm_hosts', 'storage']);
  assert.equal(g('kvm_hosts').parents, ['prod', 'all']);
  assert.equal(g('nfs_servers').parents, ['storage']);
  assert.equal([g('all').depth, g('prod').depth, g('kvm_hosts').depth, g('storage').depth, g('nfs_servers').depth, g('ungrouped').depth], [0, 1, 2, 2, 3, 1]);
  assert.equal(g('ungrouped').hosts, ['solo']);
  assert.equal(g('prod').hosts, []);
  assert.equal(g('prod').allHosts, ['kvm1', 'kvm2', 'nfs']);
  assert.equal(g('storage').allHosts, ['kvm2', 'nfs']);
  assert.equal({ ...g('kvm_hosts').vars }, { level: 'kvm_hosts', quirk: 'file-kvm', cross: 'file-kvm' });
  assert.equal(g('kvm_hosts').loc, { file: join(FX, 'lab/inventory.yaml'), line: 14, col: 9 }, 'first mention (under prod)');
});

test('a host in several groups', () => {
  const inv = lab();
  assert.equal(inv.groupsOf('kvm2'), ['kvm_hosts', 'nfs_servers', 'prod', 'storage'], 'like group_names');
  assert.equal(inv.groupsOf('solo'), []);
  assert.equal(inv.groups.get('nfs_servers')!.hosts, ['nfs', 'kvm2']);
  assert.equal(inv.hostVars('kvm2').ansible_host, '192.0.2.12');
  assert.equal(inv.hostLoc('kvm2'), { file: join(FX, 'lab/inventory.yaml'), line: 25, col: 9 });
});

test('host ranges and host:port in the inventory', () => {
  const inv = lab();
  assert.equal(inv.groups.get('web')!.hosts, ['web01.example.com', 'web02.example.com', 'web03.example.com', 'db-a', 'db-b']);
  assert.is(inv.hostVars('db-b').ansible_port, 2222);
  assert.is(inv.hostVars('db-b').role, 'db');
  assert.is(inv.hostVars('web01.example.com').ansible_port, undefined);
  assert.equal(expandHostRange('n[0:10:5]'), ['n0', 'n5', 'n10']);
  assert.equal(expandHostRange('r[1:2]-[a:b]'), ['r1-a', 'r1-b', 'r2-a', 'r2-b']);
  assert.equal(expandHostRange('s[:2]'), ['s0', 's1', 's2']);
  assert.equal(expandHostRange('plain.example.com'), ['plain.example.com']);
  assert.equal(splitHostPort('h.example.com:2222'), { name: 'h.example.com', port: 2222 });
  assert.equal(splitHostPort('fe80::1'), { name: 'fe80::1' });
  assert.equal(splitHostPort('[fe80::1]:22'), { name: 'fe80::1', port: 22 });
  assert.equal(splitHostPort('web[1:3]:22'), { name: 'web[1:3]', port: 22 });
});

test('magic variables', () => {
  const inv = lab();
  const v = inv.hostVars('kvm2');
  assert.is(v.inventory_hostname, 'kvm2');
  assert.is(v.inventory_hostname_short, 'kvm2');
  assert.equal(v.group_names, ['kvm_hosts', 'nfs_servers', 'prod', 'storage']);
  assert.equal(inv.hostVars('solo').group_names, []);
  const groups = v.groups as Record<string, string[]>;
  assert.equal(groups.ungrouped, ['solo']);
  assert.equal(groups.all, inv.hosts);
  assert.equal(groups.nfs_servers, ['kvm2', 'nfs']);
  assert.is(inv.hostVars('web02.example.com').inventory_hostname_short, 'web02');
  assert.is(v.inventory_file, resolve(FX, 'lab/inventory.yaml'));
  assert.is(v.inventory_dir, resolve(FX, 'lab'));
  (v.groups as any).all.push('mutated');
  assert.equal((inv.hostVars('kvm2').groups as any).all, inv.hosts, 'fresh copies on each call');
});

test('values are not templated; IPs keep their full short name', () => {
  const inv = inventoryFromText('all:\n  vars:\n    x: "{{ y }}"\n  hosts:\n    192.0.2.7:\n', join(FX, 'none/inline.yaml'));
  assert.is(inv.hostVars('192.0.2.7').x, '{{ y }}');
  assert.is(inv.hostVars('192.0.2.7').inventory_hostname_short, '192.0.2.7');
});

test('explicitly ungrouped host that is also in a group leaves ungrouped; string hosts/children allowed', () => {
  const inv = inventoryFromText('ungrouped:\n  hosts:\n    a:\n    b:\nweb:\n  hosts: a\nmeta:\n  children: web\n', join(FX, 'none/u.yaml'));
  assert.equal(inv.groups.get('ungrouped')!.hosts, ['b']);
  assert.equal(inv.groupsOf('a'), ['meta', 'web']);
});

test('implicit inventory: only localhost, not in all', () => {
  const inv = loadInventory();
  assert.is(inv.file, undefined);
  assert.equal(inv.hosts, []);
  assert.equal(inv.match('all'), []);
  assert.equal(inv.match('localhost'), ['localhost']);
  assert.ok(inv.isImplicit('localhost'));
  assert.equal(inv.groupsOf('localhost'), []);
  const v = inv.hostVars('localhost');
  assert.is(v.ansible_connection, 'local');
  assert.equal(v.group_names, []);
  assert.throws(() => inv.hostVars('kvm1'), /unknown host/);
});

test('implicit localhost gets all-group vars and playbook host_vars/localhost', () => {
  const inv = loadInventory(join(FX, 'lab/inventory.yaml'), { extraVarDirs: [join(FX, 'lab/playbook')] });
  const v = inv.hostVars('localhost');
  assert.is(v.ansible_connection, 'local');
  assert.is(v.level, 'all');
  assert.is(v.lh_var, 'from-pb');
  assert.ok(!inv.match('all').includes('localhost'));
});

test('an inventory host named localhost is not implicit', () => {
  const inv = inventoryFromText('all:\n  hosts:\n    localhost:\n      ansible_connection: ssh\n', join(FX, 'none/lh.yaml'));
  assert.not.ok(inv.isImplicit('localhost'));
  assert.is(inv.hostVars('localhost').ansible_connection, 'ssh');
  assert.equal(inv.match('all'), ['localhost']);
  assert.equal(inv.match('127.0.0.1'), ['localhost']);
});

test('inventory.example.yaml: the three-host lab', () => {
  const inv = loadInventory(join(ROOT, 'inventory.example.yaml'));
  assert.equal(inv.hosts, ['kvm1', 'kvm2', 'nfs']);
  assert.equal([...inv.groups.keys()].sort(), ['all', 'kvm_hosts', 'nfs_servers', 'ungrouped']);
  assert.equal(inv.groups.get('kvm_hosts')!.hosts, ['kvm1', 'kvm2']);
  assert.equal(inv.groups.get('nfs_servers')!.hosts, ['nfs']);
  assert.equal(inv.hosts.map((h) => inv.hostVars(h).ansible_host), ['192.168.20.2', '192.168.20.3', '192.168.20.4']);
  assert.ok(inv.hosts.every((h) => inv.hostVars(h).ansible_user === 'root'));
  assert.equal(inv.warnings, []);
});

test.run();
