/** The XML adapter (virt/xml.ts) and the domain XML reading/comparison (virt/domxml.ts). */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { XmlDoc, canonical, canonicalXml } from '../../../src/modules/virt/xml.js';
import { domainDiff, parseDomain, toKiB, withUuid } from '../../../src/modules/virt/domxml.js';

const F = new URL('./fixtures/', import.meta.url).pathname;
const fx = (n: string) => readFileSync(F + n, 'utf8');
const TEMPLATE = `<domain type='qemu'>
  <name>kvplay-guest</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>/kvm/disk/kvplay-guest/vmlinuz</kernel>
    <initrd>/kvm/disk/kvplay-guest/initrd.img</initrd>
    <cmdline>console=ttyS0 quiet panic=10 kvplay.name=kvplay-guest kvplay.ip=10.237.20.50/24</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/kvm/disk/kvplay-guest.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='bridge'>
      <source bridge='br0'/>
      <model type='virtio'/>
    </interface>
    <serial type='file'>
      <source path='/var/log/libvirt/qemu/kvplay-guest-serial.log' append='on'/>
      <target port='0'/>
    </serial>
    <memballoon model='none'/>
  </devices>
</domain>`;

test('malformed XML is a clear error', () => {
  assert.throws(() => XmlDoc.parse('<a><b></a>', 'the file'), /the file: not well-formed XML/);
  assert.throws(() => XmlDoc.parse('', 'empty'), /empty: not well-formed XML/);
});

test('XPath selects elements and attributes; bad expressions are errors', () => {
  const d = XmlDoc.parse(fx('dumpxml-live.xml'), 'live');
  const ifs = d.elements("/domain/devices/interface[@type='bridge']");
  assert.is(ifs.length, 1);
  assert.is(ifs[0].child('source')!.attr('bridge'), 'br0');
  const attrs = d.select('/domain/devices/disk/source/@file');
  assert.equal(attrs.map((a: any) => a.value), ['/kvm/disk/kvplay-guest.qcow2']);
  assert.throws(() => d.select('/domain/[['), /bad XPath/);
  assert.throws(() => d.select('count(/domain)'), /selects a value/);
});

test('append indents like the siblings; canonical ignores formatting and attribute order', () => {
  const d = XmlDoc.parse("<domain>\n  <devices>\n    <disk/>\n  </devices>\n</domain>", 'x');
  d.root.child('devices')!.append('interface', { type: 'bridge' });
  d.root.append('metadata');
  assert.is(d.toString(), '<domain>\n  <devices>\n    <disk/>\n    <interface type="bridge"/>\n  </devices>\n  <metadata/>\n</domain>');
  assert.is(canonicalXml("<a y='1' x='2'>\n <b> t </b><!-- c --></a>"), canonicalXml('<a x="2" y="1"><b>t</b></a>'));
  assert.is.not(canonical(XmlDoc.parse('<a x="1"/>', 'a').root), canonical(XmlDoc.parse('<a x="2"/>', 'a').root));
});

test('parseDomain reads what a migration target must provide', () => {
  const g = parseDomain(fx('dumpxml-live.xml'));
  assert.is(g.name, 'kvplay-guest');
  assert.is(g.type, 'qemu');
  assert.is(g.memoryKiB, 131072);
  assert.is(g.arch, 'x86_64');
  assert.equal(g.interfaces, [{ index: 0, type: 'bridge', bridge: 'br0', mac: '52:54:00:08:ea:02', model: 'virtio' }]);
  assert.equal(g.disks.map((d) => [d.path, d.target, d.format]), [['/kvm/disk/kvplay-guest.qcow2', 'vda', 'qcow2']]);
  assert.equal(g.bootFiles, ['/kvm/disk/kvplay-guest/vmlinuz', '/kvm/disk/kvplay-guest/initrd.img']);
  assert.equal(g.logFiles, ['/var/log/libvirt/qemu/kvplay-guest-serial.log']);
  assert.match(g.cpuXml!, /^<cpu mode="custom"[^]*qemu64[^]*<\/cpu>$/);
  assert.throws(() => parseDomain('<pool/>'), /not <domain>/);
  assert.throws(() => parseDomain('<domain/>'), /no <name>/);
});

test('memory units', () => {
  assert.is(toKiB('128', 'MiB'), 131072);
  assert.is(toKiB('131072'), 131072);
  assert.is(toKiB('1', 'G'), 1048576);
  assert.is(toKiB('134217728', 'b'), 131072);
  assert.throws(() => toKiB('1', 'parsecs'), /unknown memory unit/);
});

test("domainDiff: libvirt's expansions are not differences", () => {
  assert.equal(domainDiff(TEMPLATE, fx('dumpxml-inactive.xml')), []);
});

test('domainDiff: real changes are, with a readable path', () => {
  const more = TEMPLATE.replace("<memory unit='MiB'>128</memory>", "<memory unit='MiB'>256</memory>");
  assert.equal(domainDiff(more, fx('dumpxml-inactive.xml')), ['/domain/memory: 131072 KiB -> 256 MiB']);
  const q35 = TEMPLATE.replace("machine='pc'", "machine='q35'");
  assert.equal(domainDiff(q35, fx('dumpxml-inactive.xml')), ['/domain/os/type/@machine: "pc-i440fx-7.2" -> "q35"']);
  const net = TEMPLATE.replace("<interface type='bridge'>\n      <source bridge='br0'/>", "<interface type='network'>\n      <source network='default'/>");
  const d = domainDiff(net, fx('dumpxml-inactive.xml'));
  assert.ok(d.includes('/domain/devices/interface/@type: "bridge" -> "network"'), d.join('\n'));
  const twoDisks = TEMPLATE.replace('</disk>', "</disk>\n<disk type='file' device='disk'><source file='/kvm/disk/b.qcow2'/><target dev='vdb' bus='virtio'/></disk>");
  assert.ok(domainDiff(twoDisks, fx('dumpxml-inactive.xml')).includes('/domain/devices/disk: 1 defined -> 2 wanted'));
});

test('withUuid fills in the uuid of the defined domain, refuses a different one', () => {
  const x = withUuid(TEMPLATE, 'ce5910d8-156c-44d6-88fb-a2b9d0f1e37d');
  assert.match(x, /<name>kvplay-guest<\/name><uuid>ce5910d8-156c-44d6-88fb-a2b9d0f1e37d<\/uuid>/);
  assert.is(withUuid(x, 'ce5910d8-156c-44d6-88fb-a2b9d0f1e37d'), x);
  assert.throws(() => withUuid(x, '00000000-0000-0000-0000-000000000000'), /undefine it first/);
  assert.is(withUuid(TEMPLATE, undefined), TEMPLATE);
});

test.run();
