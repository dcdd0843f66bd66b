/** Collection modules mapped onto kvplay's own (src/modules/collections.ts): nmcli -> bridge, virt -> libvirt_domain, virt_pool -> libvirt_pool. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nmcliToBridge, poolFromXml, virt, virtNetToNetwork, virtPoolToPool, virtToDomain, type VirtParams } from '../../src/modules/collections.js';
import { coerceParams } from '../../src/engine/module/validate.js';
import { parseNetworkFacts, planNetwork } from '../../src/modules/libvirt_network.js';
import { findModule, loadModule } from '../../src/engine/module/registry.js';

test('the collection names load the mapped modules; the ansible.posix names are kvplay\'s modules', async () => {
  for (const [n, m] of [['community.general.nmcli', 'nmcli'], ['community.libvirt.virt', 'virt'], ['community.libvirt.virt_pool', 'virt_pool'], ['community.libvirt.virt_net', 'virt_net'], ['ansible.posix.firewalld', 'firewalld'], ['ansible.posix.mount', 'mount'], ['ansible.posix.authorized_key', 'authorized_key'], ['ansible.posix.sysctl', 'sysctl'], ['community.general.timezone', 'timezone'], ['community.general.modprobe', 'modprobe']]) {
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
  // guest is an alias of name (resolved before the module, validate.ts)
  assert.equal(virtToDomain(coerceParams(virt, { guest: 'g', command: 'undefine' }) as VirtParams), { name: 'g', state: 'undefined', redefine: false });
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

const NET = `<network><name>labnet</name><forward mode='nat'/><bridge name='virbr9'/><ip address='192.168.99.1' netmask='255.255.255.0'/></network>`;
const INFO = (active: string, auto: string) => ({ out: `Name:           labnet\nUUID:           0d4b4c1a-1111-2222-3333-444455556666\nActive:         ${active}\nPersistent:     yes\nAutostart:      ${auto}\nBridge:         virbr9\n`, rc: 0 });
const DUMP = { out: `<network>\n  <name>labnet</name>\n  <uuid>0d4b4c1a-1111-2222-3333-444455556666</uuid>\n  <forward mode='nat'/>\n  <bridge name='virbr9' stp='on' delay='0'/>\n  <mac address='52:54:00:12:34:56'/>\n  <ip address='192.168.99.1' netmask='255.255.255.0'/>\n</network>\n`, rc: 0 };
const MISSING = { out: "error: failed to get network 'labnet'\nerror: Network not found: no network with matching name 'labnet'\n", rc: 1 };

test('virt_net: state/command/xml/autostart map onto libvirt_network; what kvplay lacks is an error naming it', () => {
  assert.equal(virtNetToNetwork({ name: 'labnet', command: 'define', xml: NET }), { name: 'labnet', state: 'defined', xml: NET });
  assert.equal(virtNetToNetwork({ name: 'labnet', state: 'active', autostart: true }), { name: 'labnet', state: 'active', autostart: true });
  assert.equal(virtNetToNetwork({ name: 'labnet', autostart: false }), { name: 'labnet', state: 'defined', autostart: false });
  assert.equal(virtNetToNetwork({ name: 'labnet', command: 'undefine' }).state, 'absent');
  for (const [p, re] of [[{ name: 'n', state: 'inactive' }, /state inactive is not supported/], [{ name: 'n', command: 'get_xml' }, /command get_xml is not supported/], [{ name: 'n', uri: 'qemu:///session', state: 'active' }, /uri qemu:\/\/\/session is not supported/], [{ name: 'n' }, /state, command or autostart is required/], [{ name: 'n', state: 'absent', command: 'start' }, /disagree/]] as const) {
    assert.throws(() => virtNetToNetwork(p as never), re);
  }
});

test('libvirt_network plans: define+start+autostart when missing; ok when the same (libvirt additions ignored); redefine keeping the uuid; absent', () => {
  const missing = parseNetworkFacts({ info: MISSING, xml: MISSING });
  assert.equal(missing.info, { exists: false });
  const p1 = planNetwork({ name: 'labnet', xml: NET, state: 'active', autostart: true }, missing);
  assert.is(p1.kind, 'change');
  assert.equal(p1.kind === 'change' && p1.steps.map((s) => s.desc), ['define network labnet', 'start network labnet', 'network labnet autostart on']);
  const same = parseNetworkFacts({ info: INFO('yes', 'yes'), xml: DUMP });
  assert.is(planNetwork({ name: 'labnet', xml: NET, state: 'active', autostart: true }, same).kind, 'ok');
  const changed = planNetwork({ name: 'labnet', xml: NET.replace('192.168.99.1', '192.168.98.1'), state: 'active' }, same);
  assert.is(changed.kind, 'change');
  assert.ok(changed.kind === 'change' && changed.steps[0].stdin?.includes('<uuid>0d4b4c1a-1111-2222-3333-444455556666</uuid>'), 'redefined with its uuid');
  const stopped = parseNetworkFacts({ info: INFO('no', 'no'), xml: DUMP });
  const gone = planNetwork({ name: 'labnet', state: 'absent' }, stopped);
  assert.equal(gone.kind === 'change' && gone.steps.map((s) => s.cmd), ['virsh net-undefine labnet']);
  assert.equal(planNetwork({ name: 'labnet', state: 'absent' }, missing).kind, 'ok');
  assert.throws(() => planNetwork({ name: 'labnet', state: 'active' }, missing), /not defined: give its xml/);
  assert.throws(() => planNetwork({ name: 'other', xml: NET }, missing), /<name> is labnet/);
});

test.run();
