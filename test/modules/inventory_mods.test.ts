/** add_host / group_by (src/modules/inventory_mods.ts) and the run's inventory overlay (src/engine/dynhosts.ts). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addHostResult, group_by } from '../../src/modules/inventory_mods.js';
import { runInventory } from '../../src/engine/dynhosts.js';
import { inventoryFromText } from '../../src/inventory/index.js';
import { makeCtx } from './helpers.js';

const INV = `
all:
  vars: {v_all: 1}
  children:
    web:
      vars: {v_web: 2}
      hosts: {h1: {}, h2: {}}
    db:
      hosts: {h3: {}}
`;
const inv = () => runInventory(inventoryFromText(INV, '/tmp/kvplay-test-inv.yml'));

test('add_host: the name (NAME:PORT), groups as a list or "a,b" (deduplicated), every other parameter a host variable', () => {
  assert.equal(JSON.parse(JSON.stringify(addHostResult({ name: 'n1:2222', groups: 'a,b,a', x: 1 }))), { host_name: 'n1', groups: ['a', 'b'], host_vars: { ansible_ssh_port: 2222, x: 1 } });
  assert.equal(addHostResult({ hostname: 'n2', group: ['g'] }).groups, ['g']);
  assert.equal(Object.keys(addHostResult({ host: 'n3' }).host_vars), ['host'], 'host is an alias of the name and still a variable (Ansible\'s special_args)');
  assert.throws(() => addHostResult({ groups: 'x' }), /name, host or hostname needs to be provided/);
});

test('group_by: spaces in the key become -, parents default to all', async () => {
  const r = await group_by.action!({ key: 'os Debian 12' }, makeCtx());
  assert.equal(r.data, { add_group: 'os-Debian-12', parent_groups: ['all'] });
});

test('the overlay: new hosts and groups match in patterns, groups and group_names; changed only when something changed', () => {
  const i = inv();
  assert.is(i.addHost('n1', ['dyn', 'web'], { x: 1 }), true);
  assert.is(i.addHost('n1', ['dyn'], { x: 1 }), false, 'the same again: no change');
  assert.is(i.addHost('n1', [], { x: 2 }), true, 'a changed variable');
  assert.equal(i.match('dyn'), ['n1']);
  assert.equal(i.match('web'), ['h1', 'h2', 'n1']);
  assert.equal(i.match('all:!db'), ['h1', 'h2', 'n1']);
  assert.equal(i.groupsOf('n1'), ['dyn', 'web']);
  const hv = i.hostVars('n1');
  assert.equal([hv.v_all, hv.v_web, hv.x, hv.inventory_hostname], [1, 2, 2, 'n1'], "the groups' inventory vars, then its own");
  assert.is(i.addGroup('h3', 'kv', ['parent']), true);
  assert.is(i.addGroup('h3', 'kv', ['parent']), false);
  assert.equal(i.match('parent'), ['h3']);
  assert.equal(i.groupsOf('h3'), ['db', 'kv', 'parent']);
  assert.equal(i.groupsMap().kv, ['h3']);
  assert.equal(i.groupsMap().all, ['h1', 'h2', 'h3', 'n1']);
  // the loaded inventory itself is not written on
  assert.equal(inventoryFromText(INV, '/tmp/kvplay-test-inv.yml').match('all'), ['h1', 'h2', 'h3']);
});

test.run();
