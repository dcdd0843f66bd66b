/** Structured domain XML edits (virt/edits.ts). */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { XmlDoc } from '../../../src/modules/virt/xml.js';
import { applyEdits, creatableStep, macDropped, xpathSteps } from '../../../src/modules/virt/edits.js';
import { parseDomain } from '../../../src/modules/virt/domxml.js';

const F = new URL('./fixtures/', import.meta.url).pathname;
const NETWORK = readFileSync(F + 'dumpxml-inactive.xml', 'utf8')
  .replace("<interface type='bridge'>", "<interface type='network'>")
  .replace("<source bridge='br0'/>", "<source network='default' portgroup='x'/>");
const doc = (x = NETWORK) => XmlDoc.parse(x, 'test');

test('interface -> bridge: the procedure step, then nothing more to do', () => {
  const d = doc();
  const ch = applyEdits(d, { interface: { bridge: 'br0', model: 'virtio' } });
  assert.equal(ch, [
    'interface 0 (52:54:00:08:ea:02): type network -> bridge',
    'interface 0 (52:54:00:08:ea:02): source @network removed',
    'interface 0 (52:54:00:08:ea:02): source @portgroup removed',
    'interface 0 (52:54:00:08:ea:02): source bridge (none) -> br0',
  ]);
  const g = parseDomain(d.toString());
  assert.equal(g.interfaces[0], { index: 0, type: 'bridge', bridge: 'br0', mac: '52:54:00:08:ea:02', model: 'virtio' });
  assert.equal(applyEdits(XmlDoc.parse(d.toString(), 'again'), { interface: { bridge: 'br0', model: 'virtio' } }), []);
  // the rest of the document is untouched
  assert.is(g.disks[0].path, '/kvm/disk/kvplay-guest.qcow2');
  assert.match(d.toString(), /<uuid>ce5910d8-156c-44d6-88fb-a2b9d0f1e37d<\/uuid>/);
});

test('interface selection: index, MAC, errors', () => {
  assert.equal(applyEdits(doc(), { interface: { bridge: 'br1', select: 0 } }).length, 4);
  assert.equal(applyEdits(doc(), { interface: { bridge: 'br1', select: '52:54:00:08:EA:02' } }).length, 4);
  assert.throws(() => applyEdits(doc(), { interface: { bridge: 'br1', select: 3 } }), /no interface 3 \(it has 1\)/);
  assert.throws(() => applyEdits(doc(), { interface: { bridge: 'br1', select: '52:54:00:00:00:01' } }), /no interface with MAC/);
  const noNic = NETWORK.replace(/<interface[^]*<\/interface>/, '');
  assert.throws(() => applyEdits(doc(noNic), { interface: { bridge: 'br0' } }), /no network interface/);
});

test('drop_mac: once, recorded in <metadata>; kept by default', () => {
  const d = doc();
  assert.is(macDropped(d), false);
  const ch = applyEdits(d, { interface: { bridge: 'br0' }, drop_mac: true });
  assert.ok(ch.includes('interface 0 (52:54:00:08:ea:02): MAC removed (libvirt generates a new one)'));
  assert.is(parseDomain(d.toString()).interfaces[0].mac, undefined);
  assert.match(d.toString(), /<metadata>\s*<kvplay:virt xmlns:kvplay="https:\/\/kvplay.dev\/xmlns\/libvirt\/1">\s*<kvplay:mac-dropped at="[^"]+"\/>/);
  // libvirt adds a new MAC on define: the next run sees the marker and keeps it
  const redefined = d.toString().replace("<source bridge=\"br0\"/>", "<mac address='52:54:00:aa:bb:cc'/><source bridge=\"br0\"/>");
  const again = doc(redefined);
  assert.is(macDropped(again), true);
  assert.equal(applyEdits(again, { interface: { bridge: 'br0' }, drop_mac: true }), []);
  // without drop_mac the MAC stays
  const keep = doc();
  applyEdits(keep, { interface: { bridge: 'br0' } });
  assert.is(parseDomain(keep.toString()).interfaces[0].mac, '52:54:00:08:ea:02');
  // skipMacDrop (comparison with the running XML) leaves it alone
  assert.equal(applyEdits(doc(), { drop_mac: true }, { skipMacDrop: true }), []);
});

test('disk cache', () => {
  const d = doc();
  assert.equal(applyEdits(d, { disk_cache: { cache: 'none' } }), ['disk vda: cache (default) -> none']);
  assert.is(parseDomain(d.toString()).disks[0].cache, 'none');
  assert.equal(applyEdits(d, { disk_cache: { cache: 'none', target: 'vda' } }), []);
  assert.throws(() => applyEdits(doc(), { disk_cache: { cache: 'none', target: 'vdz' } }), /no disk with target vdz/);
});

test('generic edits: set attribute, text, create paths, remove', () => {
  const d = doc();
  assert.equal(applyEdits(d, { edits: [{ xpath: "/domain/devices/disk[@device='disk']/driver", attribute: 'io', value: 'threads' }] }), [
    "/domain/devices/disk[@device='disk']/driver/@io: (none) -> threads",
  ]);
  assert.equal(applyEdits(d, { edits: [{ xpath: '/domain/devices/disk/driver/@io', value: 'threads' }] }), []);
  assert.equal(applyEdits(d, { edits: [{ xpath: '/domain/on_crash', value: 'restart' }] }), ['/domain/on_crash: text "destroy" -> "restart"']);
  assert.equal(applyEdits(d, { edits: [{ xpath: "/domain/features/pae" }] }), ['/domain/features/pae: created']);
  assert.equal(applyEdits(d, { edits: [{ xpath: "/domain/devices/watchdog[@model='i6300esb']/@action", value: 'reset' }] }), [
    "/domain/devices/watchdog[@model='i6300esb']: created",
    "/domain/devices/watchdog[@model='i6300esb']/@action: (none) -> reset",
  ]);
  assert.match(d.toString(), /<watchdog model="i6300esb" action="reset"\/>/);
  assert.equal(applyEdits(d, { edits: [{ xpath: '/domain/devices/memballoon', state: 'absent' }] }), ['/domain/devices/memballoon: <memballoon> removed']);
  assert.equal(applyEdits(d, { edits: [{ xpath: '/domain/devices/memballoon', state: 'absent' }] }), []);
  assert.equal(applyEdits(d, { edits: [{ xpath: '/domain/devices/disk/driver', attribute: 'io', state: 'absent' }] }), ['/domain/devices/disk/driver: @io removed']);
});

test('generic edits: errors', () => {
  assert.throws(() => applyEdits(doc(), { edits: [{ xpath: 'devices/x' }] }), /only an absolute path/);
  assert.throws(() => applyEdits(doc(), { edits: [{ xpath: "/domain/devices/x[position()=2]" }] }), /cannot be created/);
  assert.throws(() => applyEdits(doc(), { edits: [{ xpath: '/domain/devices/disk/driver', attribute: 'io' }] }), /needs a value/);
  assert.throws(() => applyEdits(doc(), { edits: [{ xpath: '/domain/[' }] }), /bad XPath/);
  assert.throws(() => applyEdits(doc('<pool><name>p</name></pool>'), { drop_mac: true }), /not <domain>/);
});

test('xpath steps and creatable steps', () => {
  assert.equal(xpathSteps("/domain/devices/disk[@a='x/y']/driver"), ['', 'domain', 'devices', "disk[@a='x/y']", 'driver']);
  assert.equal(creatableStep("disk[@type='file' and @device=\"disk\"]"), { name: 'disk', attrs: { type: 'file', device: 'disk' } });
  assert.is(creatableStep('disk[1]'), null);
  assert.is(creatableStep('*'), null);
});

test.run();
