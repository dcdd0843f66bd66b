// Fast tests of the lab's pure parts (no root, no containers).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { machineSources, parseListFile, parseSourcesFile } from '../../src/lab/image.js';
import { chooseSubnet, overlaps } from '../../src/lab/net.js';
import { detectStorage, inventoryObject } from '../../src/lab/inventory.js';
import { LabError, preflight } from '../../src/lab/sys.js';
import { trackingCgroups } from '../../src/lab/cgroup.js';
import { labMain } from '../../src/lab/index.js';

test('deb822 .sources: enabled deb stanzas, signed-by paths, continuation lines', () => {
  const s = parseSourcesFile(`Types: deb deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://x/
Suites: bookworm
Components: main

Enabled: no
Types: deb
URIs: http://disabled/
Suites: bookworm
Components: main

# comment
Types: deb
URIs: http://inline/
Suites: bookworm
Components: main
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 -----END PGP PUBLIC KEY BLOCK-----
`);
  assert.equal(s.length, 2);
  assert.equal(s[0].suites, ['bookworm', 'bookworm-updates']);
  assert.equal(s[0].components, ['main', 'contrib']);
  assert.equal(s[0].signedBy, '/usr/share/keyrings/debian-archive-keyring.gpg');
  assert.equal(s[1].uris, ['http://inline/']);
  assert.is(s[1].signedBy, undefined);
});

test('one-line sources.list: options, comments, deb-src skipped', () => {
  const s = parseListFile(`# hi
deb [arch=amd64 signed-by=/k.gpg] http://m/debian bookworm main non-free-firmware # trailing
deb-src http://m/debian bookworm main
deb http://security/ bookworm-security main
`);
  assert.equal(s.length, 2);
  assert.is(s[0].signedBy, '/k.gpg');
  assert.equal(s[0].components, ['main', 'non-free-firmware']);
  assert.equal(s[1].suites, ['bookworm-security']);
});

test('machineSources keeps only bookworm suites of *.list and *.sources files', () => {
  const etc = mkdtempSync(join(tmpdir(), 'kvplay-apt-'));
  mkdirSync(join(etc, 'sources.list.d'));
  writeFileSync(join(etc, 'sources.list'), 'deb http://a/debian bookworm main\ndeb http://old/ bullseye main\n');
  writeFileSync(join(etc, 'sources.list.d', 'x.sources'), 'Types: deb\nURIs: http://b/\nSuites: bookworm-security nodistro\nComponents: main\n');
  writeFileSync(join(etc, 'sources.list.d', 'y.list.disabled'), 'deb http://c/ bookworm main\n');
  writeFileSync(join(etc, 'sources.list.d', 'z.list'), 'deb http://d/ nodistro main\n');
  assert.equal(machineSources(etc), ['deb http://a/debian bookworm main', 'deb http://b/ bookworm-security main']);
  const empty = mkdtempSync(join(tmpdir(), 'kvplay-apt-'));
  assert.throws(() => machineSources(empty), (e: Error) => e instanceof LabError && /no apt source/.test(e.message));
});

test('subnet choice avoids routes that overlap a candidate', () => {
  assert.ok(overlaps('10.237.20', '10.0.0.0/8'));
  assert.ok(overlaps('10.237.20', '10.237.20.128/25'));
  assert.ok(overlaps('10.237.20', '10.237.20.7'));
  assert.not.ok(overlaps('10.237.20', '10.237.21.0/24'));
  assert.not.ok(overlaps('10.237.20', 'default'));
  assert.is(chooseSubnet([{ dst: 'default' }, { dst: '192.0.2.0/24' }]), '10.237.20');
  assert.is(chooseSubnet([{ dst: '10.237.20.0/24', dev: 'eth1' }]), '10.237.21');
  // the lab bridge's own route does not count as a collision
  assert.is(chooseSubnet([{ dst: '10.237.20.0/24', dev: 'kvplay0' }]), '10.237.20');
  assert.is(chooseSubnet([{ dst: '10.0.0.0/8' }]), '172.31.237');
  assert.throws(() => chooseSubnet([{ dst: '0.0.0.0/1' }, { dst: '128.0.0.0/1' }]), /collides/);
});

test('storage backends follow the kernel: nfsd / nfs in /proc/filesystems', () => {
  const none = detectStorage('nodev\tproc\nnodev\toverlay\n');
  assert.is(none.nfsBackend, 'ganesha');
  assert.is(none.sharedStorageBackend, 'sshfs');
  assert.match(none.note, /lacks NFS server/);
  const both = detectStorage('nodev\tnfs\nnodev\tnfs4\nnodev\tnfsd\n');
  assert.is(both.nfsBackend, 'kernel');
  assert.is(both.sharedStorageBackend, 'nfs');
});

test('inventory: groups, per-host vars, storage vars, student variant', () => {
  const st = detectStorage('nodev\tproc\n');
  const inv: any = parse(JSON.stringify(inventoryObject({ subnet: '10.9.8' }, st)));
  assert.equal(Object.keys(inv.all.children.kvm_hosts.hosts), ['kvm1', 'kvm2']);
  assert.equal(Object.keys(inv.all.children.nfs_servers.hosts), ['nfs']);
  assert.is(inv.all.children.kvm_hosts.hosts.kvm2.ansible_host, '10.9.8.3');
  assert.ok(inv.all.children.kvm_hosts.hosts.kvm1.libvirt_host_uuid !== inv.all.children.kvm_hosts.hosts.kvm2.libvirt_host_uuid);
  assert.is(inv.all.children.nfs_servers.vars.nfs_backend, 'ganesha');
  assert.is(inv.all.children.kvm_hosts.vars.shared_storage_backend, 'sshfs');
  assert.is(inv.all.vars.ansible_user, 'root');
  assert.match(inv.all.vars.kvplay_known_hosts_file, /known_hosts$/);
  assert.is(inv.all.vars.ansible_become_password, undefined);
  const stu: any = inventoryObject({ subnet: '10.9.8' }, st, 'student', 'pw');
  assert.is(stu.all.vars.ansible_user, 'student');
  assert.is(stu.all.vars.ansible_become_password, 'pw');
});

test('per-host cgroups go below the caller\'s own cgroup, tracking hierarchies only', () => {
  const dirs = trackingCgroups('9:name=systemd:/a\n4:memory:/process_api/x\n1:cpu:/\n0::/b/c\n');
  // only hierarchies mounted here are returned; memory/cpu (controllers) never are
  for (const d of dirs) assert.ok(d === '/sys/fs/cgroup/systemd/a' || d === '/sys/fs/cgroup/unified/b/c' || d === '/sys/fs/cgroup/b/c', d);
  assert.not.ok(dirs.some((d) => d.includes('memory') || d.includes('process_api')));
});

test('preflight names the Debian package of a missing tool', () => {
  const old = process.env.PATH;
  process.env.PATH = '/nonexistent';
  const realUid = process.getuid;
  process.getuid = () => 0; // the tool check comes after the root check: the same on any machine
  try {
    preflight(['systemd-nspawn', 'mmdebstrap']);
    assert.unreachable('should throw');
  } catch (e: any) {
    assert.instance(e, LabError);
    assert.match(e.message, /systemd-nspawn \(Debian package systemd-container\)/);
    assert.match(e.hint, /apt-get install systemd-container mmdebstrap/);
  } finally {
    process.env.PATH = old;
    process.getuid = realUid;
  }
});

test('preflight refuses a non-root user, accepts root', () => {
  // both sides on any machine: preflight asks process.getuid(), so that is what is varied
  const real = process.getuid;
  try {
    process.getuid = () => 65534;
    assert.throws(() => preflight([]), /needs root/);
    process.getuid = () => 0;
    preflight([]);
  } finally {
    process.getuid = real;
  }
});

test('labMain: usage and unknown commands', async () => {
  const w = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  let text = '';
  (process.stdout as any).write = (s: string) => ((text += s), true);
  (process.stderr as any).write = (s: string) => ((text += s), true);
  const realUid = process.getuid;
  process.getuid = () => 0; // `ssh` checks root before the host name: the same answer on any machine
  try {
    assert.is(await labMain([]), 2);
    assert.is(await labMain(['frobnicate']), 2);
    assert.is(await labMain(['ssh', 'nohost']), 2);
  } finally {
    (process.stdout as any).write = w;
    (process.stderr as any).write = e;
    process.getuid = realUid;
  }
  assert.match(text, /usage: kvplay lab/);
  assert.match(text, /unknown command frobnicate/);
  assert.match(text, /unknown host nohost/);
});

test.run();
