/** Migration preflight: probe parsing (recorded on the lab) and the checks (virt/preflight.ts). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkPreflight, guestPaths, nonceCleanup, parseProbe, probeScript, type HostProbe } from '../../../src/modules/virt/preflight.js';
import { parseDomain } from '../../../src/modules/virt/domxml.js';

const F = new URL('./fixtures/', import.meta.url).pathname;
const fx = (n: string) => readFileSync(F + n, 'utf8');
const guest = parseDomain(fx('dumpxml-live.xml'));
const src = () => parseProbe('kvm1', fx('probe-kvm1.txt'));
const dst = () => parseProbe('kvm2', fx('probe-kvm2.txt'));
const DISK = '/kvm/disk/kvplay-guest.qcow2';
const live = { copyStorage: false, unsafe: true };

test('probe script is valid sh; the recorded probes parse', () => {
  const s = probeScript({ name: "a'b", bridges: ['br0'], networks: ['default'], paths: [DISK], nonce: { file: '.n', create: true }, cpuXml: '<cpu/>' });
  execFileSync('sh', ['-n', '-c', s]);
  execFileSync('sh', ['-n', '-c', nonceCleanup([DISK, '/var/log/x.log'], '.n')]);
  const a = src();
  assert.is(a.arch, 'x86_64');
  assert.is(a.vendor, 'AMD');
  assert.is(a.hostUuid, '6b1c3a52-0d1e-4c4b-9a51-000000000001');
  assert.is(a.domain, 'running');
  assert.ok(a.nx! > 0);
  assert.equal(a.pools, [{ name: 'kvmdisk', state: 'running', path: '/kvm/disk' }]);
  assert.equal(a.paths[DISK], { exists: true, dirExists: true, nonce: true, mount: { target: '/kvm/disk', source: 'root@nfs:/nfsshare', fstype: 'fuse.sshfs' } });
  const b = dst();
  assert.is(b.hostUuid, '6b1c3a52-0d1e-4c4b-9a51-000000000002');
  assert.is(b.domain, null);
  assert.equal(b.bridges, { br0: true });
  assert.is(b.paths['/var/log/libvirt/qemu/kvplay-guest-serial.log'].nonce, false);
  assert.is(b.cpuCompare!.rc, 0);
  assert.match(b.cpuCompare!.out, /superset/);
  assert.equal(guestPaths(guest), [DISK, '/kvm/disk/kvplay-guest/vmlinuz', '/kvm/disk/kvplay-guest/initrd.img', '/var/log/libvirt/qemu/kvplay-guest-serial.log']);
});

test('the lab as recorded passes (with unsafe: sshfs is shared but libvirt cannot tell)', () => {
  const r = checkPreflight(guest, src(), dst(), live);
  assert.equal(r.errors, []);
  assert.equal(r.shared, [DISK]);
});

test('without unsafe on sshfs: refused, with the reason', () => {
  const r = checkPreflight(guest, src(), dst(), { copyStorage: false, unsafe: false });
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0], /fuse.sshfs .*libvirt cannot see that it is shared .*set unsafe: true/);
});

test('NFS with cache none needs no unsafe; other cache modes are refused', () => {
  const nfs = (p: HostProbe) => { for (const v of Object.values(p.paths)) if (v.mount?.fstype === 'fuse.sshfs') v.mount = { ...v.mount, fstype: 'nfs4', source: 'nfs:/nfsshare' }; return p; };
  const g2 = { ...guest, disks: [{ ...guest.disks[0], cache: 'none' }] };
  assert.equal(checkPreflight(g2, nfs(src()), nfs(dst()), { copyStorage: false, unsafe: false }).errors, []);
  assert.match(checkPreflight(guest, nfs(src()), nfs(dst()), { copyStorage: false, unsafe: false }).errors[0], /cache default: .*disk_cache: none/);
});

function errs(mut: (s: HostProbe, d: HostProbe) => void, g = guest, o = live): string[] {
  const s = src();
  const d = dst();
  mut(s, d);
  return checkPreflight(g, s, d, o).errors;
}

test('refusals, each one clear', () => {
  assert.match(errs((_, d) => { d.domain = 'shut off'; })[0], /a domain named kvplay-guest already exists on kvm2 \(shut off\): undefine it there/);
  assert.match(errs((_, d) => { d.bridges.br0 = false; })[0], /kvm2 has no bridge br0 \(the guest's interface 0 is on it\)/);
  assert.match(errs((_, d) => { d.vendor = 'Intel'; })[0], /CPU vendors differ: kvm1 AMD, kvm2 Intel/);
  assert.match(errs((_, d) => { d.nx = 0; })[0], /NX \(No eXecute\) flag differs: present on kvm1, absent on kvm2/);
  assert.match(errs((_, d) => { d.arch = 'aarch64'; }).join('\n'), /architectures differ/);
  assert.match(errs((_, d) => { d.cpuCompare = { rc: 1, out: 'error: the CPU is incompatible with host CPU: Host CPU does not provide required features: svm' }; })[0], /kvm2 cannot run the guest's CPU .*svm/);
  assert.match(errs((_, d) => { d.memAvailKiB = 65536; })[0], /kvm2 has 64 MiB available, the guest needs 128 MiB/);
  assert.match(errs((s, d) => { d.hostUuid = s.hostUuid; })[0], /same libvirt host UUID/);
  assert.match(errs((_, d) => { d.pools = []; })[0], /kvm2 has no storage pool kvmdisk/);
  assert.match(errs((_, d) => { d.pools[0].state = 'inactive'; })[0], /not active on kvm2 .*virsh pool-start kvmdisk/);
  assert.match(errs((_, d) => { d.pools[0].path = '/srv/disk'; })[0], /at \/srv\/disk on kvm2 but at \/kvm\/disk on kvm1/);
  assert.equal(checkPreflight(guest, src(), { ...dst(), libvirtError: 'Failed to connect socket' }, live).errors, ['libvirt on kvm2 does not answer: Failed to connect socket (is libvirtd running there?)']);
});

test('the target lacks the pool path: the share is not mounted there', () => {
  const e = errs((_, d) => {
    for (const p of Object.keys(d.paths)) if (p.startsWith('/kvm/disk')) d.paths[p] = { exists: false, dirExists: p === DISK, nonce: false, mount: { target: '/', source: 'overlay', fstype: 'overlay' } };
  });
  assert.match(e[0], /kvm2 does not see \/kvm\/disk\/kvplay-guest.qcow2: the guest's disk must be on shared storage mounted at the same path/);
  assert.ok(e.some((x) => /kvm2 has no \/kvm\/disk\/kvplay-guest\/vmlinuz \(the guest boots from it\)/.test(x)), e.join('\n'));
  const gone = errs((_, d) => { d.paths[DISK] = { exists: false, dirExists: false }; });
  assert.match(gone[0], /kvm2 has no \/kvm\/disk at all/);
});

test('a same-named local file is not shared storage', () => {
  const e = errs((_, d) => { d.paths[DISK] = { exists: true, dirExists: true, nonce: false, mount: { target: '/', source: 'overlay', fstype: 'overlay' } }; });
  assert.match(e[0], /exists on kvm2 but is not the same shared file \(kvm1: root@nfs:\/nfsshare on \/kvm\/disk, kvm2: overlay on \/\)/);
});

test('copy_storage: non-shared disks are copied; cold mode skips CPU checks', () => {
  const local = (_: HostProbe, d: HostProbe) => { d.paths[DISK] = { exists: false, dirExists: true, nonce: false, mount: { target: '/', source: 'overlay', fstype: 'overlay' } }; };
  const s = src();
  const d = dst();
  local(s, d);
  const r = checkPreflight(guest, s, d, { copyStorage: true, unsafe: false });
  assert.equal(r.errors, []);
  assert.equal(r.toCopy, [DISK]);
  const d2 = dst();
  d2.vendor = 'Intel';
  d2.nx = 0;
  d2.cpuCompare = { rc: 1, out: 'incompatible' };
  assert.equal(checkPreflight(guest, src(), d2, { mode: 'cold', copyStorage: true, unsafe: false }).errors, []);
});

test.run();
