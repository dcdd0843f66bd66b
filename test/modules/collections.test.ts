/** Collection modules mapped onto kvplay's own (src/modules/collections.ts): nmcli -> bridge, virt -> libvirt_domain, virt_pool -> libvirt_pool. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nmcliToBridge, poolFromXml, virtPoolToPool, virtToDomain } from '../../src/modules/collections.js';
import { findModule, loadModule } from '../../src/modules/index.js';

test('the collection names load the mapped modules; the ansible.posix names are kvplay\'s modules', async () => {
  for (const [n, m] of [['community.general.nmcli', 'nmcli'], ['community.libvirt.virt', 'virt'], ['community.libvirt.virt_pool', 'virt_pool'], ['ansible.posix.firewalld', 'firewalld'], ['ansible.posix.mount', 'mount'], ['ansible.posix.authorized_key', 'authorized_key'], ['ansible.posix.sysctl', 'sysctl'], ['community.general.timezone', 'timezone'], ['community.general.modprobe', 'modprobe']]) {
    assert.is(findModule(n)?.name, m, n);
    assert.is((await loadModule(n))?.name, m);
  }
});

test('nmcli: a bridge and its port map onto the bridge module; anything else is an error naming it', () => {
  assert.equal(nmcliToBridge({ conn_name: 'br0', type: 'bridge', ifname: 'br0', stp: false, forwarddelay: 0 }), { name: 'br0', stp: false, forward_delay: 0 });
  assert.equal(nmcliToBridge({ conn_name: 'br0-port', type: 'bridge-slave', ifname: 'eth0', master: 'br0' }), { name: 'br0', interface: 'eth0' });
  assert.equal(nmcliToBridge({ conn_name: 'p', type: 'ethernet', slave_type: 'bridge', ifname: 'eth1', master: 'br1' }), { name: 'br1', interface: 'eth1' });
  assert.throws(() => nmcliToBridge({ conn_name: 'x', type: 'bond' }), /type bond is not supported by kvplay/);
  assert.throws(() => nmcliToBridge({ conn_name: 'br0', type: 'bridge', ip4: '10.0.0.2/24' }), /parameter ip4 is not supported by kvplay/);
  assert.throws(() => nmcliToBridge({ conn_name: 'br0', type: 'bridge', state: 'absent' }), /state absent is not supported/);
  assert.throws(() => nmcliToBridge({ conn_name: 'br0', type: 'bridge', method4: 'manual' }), /method4: manual is not supported/);
});

test('virt: states and commands onto libvirt_domain\'s states; paused, other commands and other URIs are errors', () => {
  assert.equal(virtToDomain({ name: 'g', state: 'running' }), { name: 'g', state: 'running', redefine: false });
  assert.equal(virtToDomain({ name: 'g', state: 'shutdown', autostart: true }), { name: 'g', state: 'shutoff', autostart: true, redefine: false });
  assert.equal(virtToDomain({ command: 'define', xml: '<domain/>' }), { xml: '<domain/>', state: 'defined' });
  assert.equal(virtToDomain({ guest: 'g', command: 'undefine' }).state, 'undefined');
  assert.throws(() => virtToDomain({ name: 'g', state: 'paused' }), /state paused is not supported/);
  assert.throws(() => virtToDomain({ name: 'g', command: 'list_vms' }), /command list_vms is not supported/);
  assert.throws(() => virtToDomain({ name: 'g', state: 'running', uri: 'qemu+ssh://x/system' }), /uri qemu\+ssh:\/\/x\/system is not supported/);
});

test('virt_pool: the pool XML read into libvirt_pool\'s fields', async () => {
  const xml = `<pool type='netfs'><name>kvmdisk</name><source><host name='nfs'/><dir path='/nfsshare'/><format type='nfs'/></source><target><path>/kvm/disk</path></target></pool>`;
  assert.equal(await poolFromXml(xml), { name: 'kvmdisk', type: 'netfs', target: '/kvm/disk', source_host: 'nfs', source_path: '/nfsshare', source_format: 'nfs' });
  assert.equal(await virtPoolToPool({ command: 'define', xml }), { name: 'kvmdisk', type: 'netfs', target: '/kvm/disk', source_host: 'nfs', source_path: '/nfsshare', source_format: 'nfs', state: 'defined' });
  assert.is((await virtPoolToPool({ name: 'kvmdisk', state: 'active', autostart: true, xml })).autostart, true);
  for (const [p, re] of [[{ name: 'x', state: 'active' }, /a pool without xml is not supported/], [{ state: 'inactive', xml }, /state inactive is not supported/], [{ name: 'other', xml }, /name other is not the <name>/], [{ xml: "<pool type='rbd'><name>r</name></pool>" }, /pool type rbd is not supported/]] as const) {
    const e = await virtPoolToPool(p as never).then(() => undefined, (x: Error) => x);
    assert.match(String(e?.message), re);
  }
});

test.run();
