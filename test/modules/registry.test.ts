/** The module registry (src/modules/index.ts): one list of names and loaders; module objects are never written. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MODULES, allModuleNames, findModule, infoOf, loadModule, moduleMeta, moduleNames } from '../../src/engine/module/registry.js';

test('one list: every name answers to one entry, with ansible.builtin.NAME and ansible.legacy.NAME', () => {
  const names = MODULES.map((e) => e.name);
  assert.equal([...new Set(names)].sort(), moduleNames());
  const all = MODULES.flatMap((e) => [e.name, ...e.aliases]);
  assert.is(new Set(all).size, all.length, 'no name is registered twice');
  assert.equal([...all].sort(), allModuleNames());
  for (const e of MODULES) {
    assert.ok(e.aliases.includes(`ansible.builtin.${e.name}`) && e.aliases.includes(`ansible.legacy.${e.name}`), e.name);
    for (const n of [e.name, ...e.aliases]) assert.is(findModule(n), e, n);
  }
  assert.is(findModule('systemd')?.name, 'systemd');
  assert.is(findModule('ansible.builtin.service')?.name, 'service');
  assert.is(findModule('community.crypto.openssh_keypair')?.name, 'ssh_keypair');
  assert.is(findModule('nope'), undefined);
  assert.is(findModule('__proto__'), undefined);
  assert.is(moduleMeta('toString'), undefined);
});

test('module objects are not written on: no aliases or other registry data on them', async () => {
  for (const e of MODULES) {
    const m = await e.load();
    assert.is(m.name, e.name);
    assert.not.ok(Object.prototype.hasOwnProperty.call(m, 'aliases'), `${e.name}: the registry wrote aliases onto the module`);
    assert.not.ok(Object.prototype.hasOwnProperty.call(m, 'group'), e.name);
    const keys = Object.keys(m).sort();
    const meta = moduleMeta(e.name)!;
    assert.is.not(meta as object, m as object, 'the meta is an object of its own');
    assert.is(await loadModule(e.aliases[0]), m, 'every name loads the same module object');
    assert.equal(Object.keys(m).sort(), keys, `${e.name}: keys changed`);
  }
});

test('moduleMeta: the module code\'s ModuleInfo plus the registry\'s names, one object per module', async () => {
  for (const e of MODULES) {
    const m = (await loadModule(e.name))!;
    const meta = moduleMeta(e.name)!;
    assert.equal(infoOf(meta), infoOf(m), e.name);
    assert.equal(meta.aliases, e.aliases);
    assert.is(meta.group, e.group);
    for (const a of e.aliases) assert.is(moduleMeta(a), meta, a);
    assert.ok(Object.isFrozen(meta));
  }
  assert.is(moduleMeta('command')!.freeForm, 'cmd');
  assert.is(moduleMeta('set_fact')!.templateKeys, true);
  assert.is(infoOf(moduleMeta('copy')!).freeForm, undefined);
  assert.not.ok('freeForm' in infoOf(moduleMeta('copy')!), 'unset optional keys are left out (the manifest compares JSON)');
});

test('the docs groups: ten system modules, seven virtualization modules', () => {
  assert.equal(MODULES.filter((e) => e.group === 'sys').map((e) => e.name), ['package', 'service', 'firewalld', 'nfs_export', 'mount', 'bridge', 'ssh_keypair', 'authorized_key', 'known_hosts', 'sysctl']);
  assert.equal(MODULES.filter((e) => e.group === 'virt').map((e) => e.name), ['libvirt_pool', 'libvirt_network', 'libvirt_domain', 'domain_xml', 'migrate', 'cold_migrate', 'guest_image']);
});

test.run();
