// Planning from facts recorded on the VM lab (`kvplay lab up --vm`: Debian 12 kernels, kernel NFS,
// NetworkManager), where the container lab's fixtures (sshfs, ganesha, ifupdown) cannot show them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { editExports, parseExports, validateEntry } from '../../../src/modules/nfs_export/exports.js';
import { entryOf } from '../../../src/modules/nfs_export.js';
import { mountDiffs, planMount } from '../../../src/modules/mount.js';
import { chooseBackend, chooseUplink, parseBridgeFacts, runtimeProblems } from '../../../src/modules/bridge/net.js';
import { planBridge } from '../../../src/modules/bridge.js';
import { probeScript } from '../../../src/modules/virt/preflight.js';
import { fileState } from '../helpers.js';
import { fx, pctx } from './helpers.js';
import { parseMountinfo } from '../../../src/facts/fstab.js';

const NFS = '10.237.30.4:/nfsshare';
const live = () => parseMountinfo(fx('mountinfo-kvm1-nfs.txt'), '/kvm/disk');
const mountFacts = (fstab: string, l = live()) => ({ file: fileState('/etc/fstab', { content: fstab }), live: l, dir: true, systemd: true });
const want = { path: '/kvm/disk', src: NFS, fstype: 'nfs', opts: 'defaults,_netdev', state: 'mounted' as const };

test('kernel NFS mount (kvm1): type nfs4 although fstab says nfs, the options the kernel shows', () => {
  const m = live()!;
  assert.is(m.fstype, 'nfs4');
  assert.is(m.src, NFS);
  for (const o of ['vers=4.2', 'hard', 'proto=tcp', 'sec=sys']) assert.ok(m.opts.includes(o), o);
  assert.match(fx('fstab-kvm1-nfs.txt'), `${NFS} /kvm/disk nfs defaults,_netdev 0 0`);
});

test('kernel NFS mount: the role\'s mount is ok as recorded; option drift is seen', () => {
  const p = planMount(want, mountFacts(fx('fstab-kvm1-nfs.txt')), pctx());
  assert.is(p.kind, 'ok', p.kind === 'change' ? p.reason : '');
  assert.equal(mountDiffs(live()!, NFS, 'nfs', 'defaults,_netdev'), []);
  assert.equal(mountDiffs(live()!, NFS, 'nfs4', 'vers=4.2,hard'), []);
  assert.equal(mountDiffs(live()!, NFS, 'nfs', 'vers=3,soft'), ['vers=4.2 -> 3', '+soft']);
  const p2 = planMount({ ...want, opts: 'defaults,_netdev,soft' }, mountFacts(fx('fstab-kvm1-nfs.txt')), pctx());
  assert.ok(p2.kind === 'change' && p2.steps.map((s) => s.desc).join(',') === 'write /etc/fstab,systemctl daemon-reload,umount /kvm/disk,mount /kvm/disk', JSON.stringify(p2));
});

test('kernel NFS export (nfs): /etc/exports as the role wrote it is kept; Debian\'s comment header stays', () => {
  const text = fx('exports-nfs-kernel.txt');
  assert.match(text, /^# \/etc\/exports: the access control list/);
  const e = entryOf({ path: '/nfsshare', clients: ['10.237.30.2', '10.237.30.3'], options: ['rw', 'sync', 'no_root_squash', 'no_subtree_check'] });
  assert.equal(editExports(text, e, 'present'), { text, msg: '/nfsshare: exported as wanted' });
  assert.equal(parseExports(text).filter((l) => l.entry).length, 1);
});

test('exportfs -v (nfs): every option the kernel reports back validates (nocrossmnt was refused before)', () => {
  const out = fx('exportfs-v-nfs-kernel.txt');
  const lines = out.trim().split('\n');
  assert.is(lines.length, 2);
  for (const l of lines) {
    const m = /^(\S+)\s+(\S+)\((.*)\)$/.exec(l.trim())!;
    assert.ok(m, l);
    validateEntry({ path: m[1], clients: [{ host: m[2], options: m[3].split(',') }] });
  }
  // the kernel's full list (/var/lib/nfs/etab) has nocrossmnt, which exportfs accepts
  validateEntry({ path: '/x', clients: [{ host: '*', options: ['rw', 'nocrossmnt', 'secure_locks', 'acl', 'no_pnfs', 'anonuid=65534'] }] });
  assert.throws(() => validateEntry({ path: '/x', clients: [{ host: '*', options: ['crossmnt', 'nocrossmnt'] }] }), /contradict/);
});

test('showmount -e from a KVM host: the role\'s check (path followed by a space) holds', () => {
  const out = fx('showmount-e-kvm1.txt');
  assert.match(out, /^Export list for 10\.237\.30\.4:$/m);
  assert.ok(out.includes('/nfsshare '), out);
});

const nmPlain = () => parseBridgeFacts(fx('bridge-kvm2-nm-plain.txt'));

test('NetworkManager host (kvm2, before the bridge): NM backend, the NIC found by address (no default route)', () => {
  const f = nmPlain();
  assert.is(f.nmRunning, true);
  assert.is(f.nmDevices.enp0s1, 'connected');
  assert.is(f.nmDevices.lo, 'connected (externally)');
  assert.is(f.defIf, undefined);
  assert.is(chooseUplink(f, 'br0', undefined, '10.237.30.3'), 'enp0s1');
  assert.is(chooseBackend(f, 'enp0s1', 'br0', 'auto'), 'nm');
  assert.equal(runtimeProblems(f, 'br0', 'enp0s1'), ['br0 does not exist']);
});

test('NetworkManager switch planned from the recorded facts: port + bridge profiles, the NIC\'s MAC kept, polled until settled', () => {
  const p = planBridge({}, nmPlain(), pctx({ vars: { ansible_host: '10.237.30.3' } }));
  assert.is(p.kind, 'change');
  if (p.kind !== 'change') return;
  assert.match(p.reason, 'br0: created over enp0s1 (nm), 10.237.30.3/24 moved');
  const script = String(p.steps[0].stdin);
  assert.match(script, 'bridge.mac-address 52:54:00:6b:76:03');
  assert.match(script, 'nmcli connection up br0-port-enp0s1');
  // nmcli returns "master waiting for slaves" before the port has joined: the state is polled
  assert.match(script, 'settle() { i=0; while [ $i -lt 600 ]; do check && return 0;');
  assert.match(script, '&& settle; then st switched;');
});

test('NetworkManager host (kvm1, bridged by the role): ok, nothing to do (the second run)', () => {
  const f = parseBridgeFacts(fx('bridge-kvm1-nm-bridged.txt'));
  assert.is(f.nmActive.br0, 'bridge');
  assert.is(f.ifs.enp0s1.master, 'br0');
  assert.is(f.ifs.br0.macaddress, f.ifs.enp0s1.macaddress, 'the bridge kept the NIC\'s MAC');
  assert.is(chooseUplink(f, 'br0', undefined, '10.237.30.2'), 'enp0s1');
  assert.equal(runtimeProblems(f, 'br0', 'enp0s1'), []);
  const p = planBridge({}, f, pctx({ vars: { ansible_host: '10.237.30.2' } }));
  assert.is(p.kind, 'ok');
  assert.is(p.reason, 'br0: bridge over enp0s1 with 10.237.30.2/24 (nm)');
});

test('migration preflight: a kvm guest\'s CPU is compared with the KVM hypervisor, not TCG\'s', () => {
  // the live <cpu> libvirt gave the nested kvm guest on kvm1: "incompatible" with --virttype qemu,
  // "superset" with --virttype kvm (recorded on the VM lab)
  const cpuXml = "<cpu mode='custom' match='exact' check='full'><model fallback='forbid'>qemu64</model><feature policy='require' name='x2apic'/><feature policy='disable' name='svm'/></cpu>";
  const base = { name: 'g', bridges: [], networks: [], paths: [], cpuXml };
  assert.match(probeScript({ ...base, virtType: 'kvm' }), 'virsh hypervisor-cpu-compare "$t" --virttype kvm;');
  assert.match(probeScript({ ...base, virtType: 'qemu' }), '--virttype qemu;');
  assert.match(probeScript(base), '--virttype qemu;');
  assert.match(probeScript({ ...base, virtType: 'kvm; reboot' }), '--virttype qemu;');
});

test.run();
