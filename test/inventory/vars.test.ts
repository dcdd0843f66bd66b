/** Variable precedence: inventory file, group_vars/host_vars beside inventory and playbook, priorities. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadInventory } from '../../src/inventory/index.js';

function fixtures(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'test/fixtures/inventory'))) {
    if (dirname(d) === d) throw new Error('test/fixtures/inventory not found');
    d = dirname(d);
  }
  return join(d, 'test/fixtures/inventory');
}
const FX = fixtures();
const INV = join(FX, 'lab/inventory.yaml');
const PB = join(FX, 'lab/playbook');
const withPb = () => loadInventory(INV, { extraVarDirs: [PB] });

test('inventory file: all < parent group < child group (by depth) < host', () => {
  const inv = loadInventory(INV);
  assert.is(inv.hostVars('solo').level, 'all');
  assert.is(inv.hostVars('kvm1').level, 'kvm_hosts', 'kvm_hosts (depth 2) beats prod (depth 1)');
  assert.is(inv.hostVars('kvm2').level, 'nfs_servers', 'nfs_servers (depth 3) beats kvm_hosts (depth 2)');
  assert.is(inv.hostVars('nfs').level, 'nfs_servers');
  assert.is(inv.hostVars('kvm1').who, 'kvm1-dir', 'host_vars/ beats inventory-file host vars');
});

test('group_vars beside the inventory: file, extension-less file, .json, directory (lexical merge)', () => {
  const inv = loadInventory(INV);
  const v = inv.hostVars('kvm1');
  assert.is(v.net, 'override', 'kvm_hosts/20-net.yml is merged after 10-base.yaml');
  assert.is(v.bridge, 'br0');
  assert.is(inv.hostVars('nfs').export_dir, '/nfsshare', 'group_vars/nfs_servers without extension');
  assert.is(v.env, 'json-prod', 'group_vars/prod.json beats the inventory file');
  assert.is(inv.hostVars('nfs').depthvar, 'nfs', 'deeper group wins inside group_vars/ too');
  assert.is(v.hv_inv, true);
  assert.not.ok('notes' in v);
});

test('group_vars/all beats inventory-file group vars (Ansible order)', () => {
  const inv = loadInventory(INV);
  assert.is(inv.hostVars('kvm1').quirk, 'dir-all');
  assert.is(inv.hostVars('kvm2').who, 'all-dir', 'kvm2 has no host-level `who`');
});

test('playbook-dir group_vars/host_vars override the inventory dir', () => {
  const inv = withPb();
  const v = inv.hostVars('kvm1');
  assert.is(v.pb_over, 'pb', 'playbook group_vars/all beats inventory group_vars/all');
  assert.is(v.bridge, 'br-pb', 'playbook group_vars/kvm_hosts.yml beats the inventory kvm_hosts/ directory');
  assert.is(v.net, 'override', 'keys only in the inventory dir survive');
  assert.is(v.who, 'kvm1-pb', 'playbook host_vars beats inventory host_vars and file');
  assert.is(v.shallow, 'inv-kvm', 'group_vars/GROUP (any dir) beats group_vars/all (any dir)');
  assert.is(v.cross, 'pb-prod', 'playbook group_vars of a parent beats inventory group_vars of a child');
  assert.is(inv.hostVars('nfs').shallow, 'pb-all');
});

test('varOrigin points at the winning definition', () => {
  const inv = withPb();
  assert.equal(inv.varOrigin('kvm1', 'who'), { file: join(PB, 'host_vars/kvm1.yml'), line: 1, col: 1 });
  assert.equal(inv.varOrigin('kvm1', 'net'), { file: join(FX, 'lab/group_vars/kvm_hosts/20-net.yml'), line: 1, col: 1 });
  assert.equal(inv.varOrigin('kvm2', 'level'), { file: INV, line: 31, col: 13 });
  assert.is(inv.varOrigin('kvm1', 'nope'), undefined);
});

test('the inventory dir given again as extra dir is read once', () => {
  const inv = loadInventory(INV, { extraVarDirs: [join(FX, 'lab')] });
  assert.is(inv.hostVars('kvm1').who, 'kvm1-dir');
});

test('typo in a playbook group_vars file name is a warning', () => {
  const w = withPb().warnings.map((x) => x.message + ' | ' + x.hint);
  assert.equal(w, [`${join(PB, 'group_vars/kvm_host.yml')} matches no group of the inventory | did you mean group \`kvm_hosts\`?`]);
  assert.is(withPb().hostVars('kvm1').bridge, 'br-pb', 'kvm_host.yml is not read');
});

test('siblings at equal depth: alphabetical, later wins; ansible_group_priority honoured', () => {
  const inv = loadInventory(join(FX, 'prio/inventory.yaml'));
  assert.is(inv.hostVars('h1').color, 'beta', 'alpha < beta');
  assert.is(inv.hostVars('h2').color, 'alpha2', 'priority 10 beats zulu (priority 1)');
  assert.is(inv.groups.get('alpha2')!.priority, 10);
  assert.is(inv.groups.get('parent_hi')!.priority, 100, 'numeric string accepted');
  assert.is(inv.hostVars('h3').color, 'kid', 'depth beats priority');
  assert.not.ok('ansible_group_priority' in inv.hostVars('h2'), 'priority is not a variable');
  assert.is(inv.groups.get('alpha2')!.depth, inv.groups.get('zulu')!.depth);
});

test.run();
