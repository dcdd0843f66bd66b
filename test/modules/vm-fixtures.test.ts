// Planning from raw outputs recorded on the VM lab (real Debian 12 kernels, kernel NFS,
// NetworkManager) by test/lab/vm.test.ts with KVPLAY_RECORD_VM_FIXTURES=1: test/fixtures/vm/
// <what>-<host>-<stage>.txt, stage fresh (booted, nothing applied), site (after site.yaml),
// reboot (after rebooting all three hosts). The commands are the modules' own fact commands
// (test/lab/vm-record.ts), so these are exactly what the plans read on real hosts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { editExports, parseExports, validateEntry } from '../../src/modules/nfs_export/exports.js';
import { entryOf } from '../../src/modules/nfs_export.js';
import { mountDiffs, planMount } from '../../src/modules/mount.js';
import { chooseBackend, chooseUplink, parseBridgeFacts, runtimeProblems } from '../../src/modules/bridge/net.js';
import { planBridge } from '../../src/modules/bridge.js';
import { fileState } from './helpers.js';
import { pctx } from './sys/helpers.js';
import { parseMountinfo } from '../../src/facts/fstab.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'vm');
const vm = (what: string, host: string, stage: 'fresh' | 'site' | 'reboot') => readFileSync(join(dir, `${what}-${host}-${stage}.txt`), 'utf8');

const SUBNET = '10.237.30';
const NFS = `${SUBNET}.4:/nfsshare`;
const addr = { kvm1: `${SUBNET}.2`, kvm2: `${SUBNET}.3`, nfs: `${SUBNET}.4` } as const;
// what the roles ask for (roles/nfs_server, roles/shared_storage, roles/bridge defaults)
const wantMount = { path: '/kvm/disk', src: NFS, fstype: 'nfs', opts: 'defaults,_netdev', state: 'mounted' as const };
const wantExport = entryOf({ path: '/nfsshare', clients: [addr.kvm1, addr.kvm2], options: ['rw', 'sync', 'no_root_squash', 'no_subtree_check'] });

// ---------------------------------------------------------------- nfs_export (kernel server)

test('nfs_export, fresh nfs host: Debian\'s comment-only /etc/exports gets the entry, its header kept; nothing exported', () => {
  const text = vm('exports', 'nfs', 'fresh');
  assert.match(text, /^# \/etc\/exports: the access control list/);
  assert.equal(parseExports(text).filter((l) => l.entry), []);
  const out = editExports(text, wantExport, 'present').text ?? '';
  assert.ok(out.startsWith(text), 'the header stays byte for byte');
  assert.match(out, /\n\/nfsshare\s+10\.237\.30\.2\(rw,sync,no_root_squash,no_subtree_check\)\s+10\.237\.30\.3\(/);
  // exportfs -v answers (rc 0, empty) even while nfs-server is disabled
  assert.is(vm('exportfs-v', 'nfs', 'fresh').trim(), '');
  assert.is(vm('etab', 'nfs', 'fresh').trim(), '');
});

for (const stage of ['site', 'reboot'] as const) {
  test(`nfs_export, nfs after ${stage}: the file the role wrote is "exported as wanted"; every option the kernel reports validates`, () => {
    const text = vm('exports', 'nfs', stage);
    assert.equal(editExports(text, wantExport, 'present'), { text, msg: '/nfsshare: exported as wanted' });
    const lines = vm('exportfs-v', 'nfs', stage).trim().split('\n');
    assert.is(lines.length, 2, 'exportfs -v: one line per client');
    for (const l of lines) {
      const m = /^(\S+)\s+(\S+)\((.*)\)$/.exec(l.trim());
      assert.ok(m, l);
      validateEntry({ path: m![1], clients: [{ host: m![2], options: m![3].split(',') }] });
    }
    // /var/lib/nfs/etab: the kernel's full option list per client
    const etab = vm('etab', 'nfs', stage).trim().split('\n');
    assert.is(etab.length, 2);
    for (const l of etab) {
      const m = /^(\S+)\s+(\S+)\((.*)\)$/.exec(l.trim());
      assert.ok(m, l);
      validateEntry({ path: m![1], clients: [{ host: m![2], options: m![3].split(',') }] });
    }
  });
}

// ---------------------------------------------------------------- mount (kernel NFS client)

const mountFacts = (fstab: string, mountinfo: string, dirExists = true) => ({
  file: fileState('/etc/fstab', { content: fstab }),
  live: parseMountinfo(mountinfo, '/kvm/disk'),
  dir: dirExists,
  systemd: true,
});

test('mount, fresh kvm1: no fstab line, not mounted: write fstab, daemon-reload, mkdir, mount', () => {
  const f = mountFacts(vm('fstab', 'kvm1', 'fresh'), vm('mountinfo', 'kvm1', 'fresh'), false);
  assert.is(f.live, undefined);
  const p = planMount(wantMount, f, pctx());
  assert.is(p.kind, 'change');
  if (p.kind !== 'change') return;
  assert.equal(p.steps.map((s) => s.desc), ['write /etc/fstab', 'systemctl daemon-reload', 'mkdir /kvm/disk', 'mount /kvm/disk']);
});

for (const stage of ['site', 'reboot'] as const)
  for (const host of ['kvm1', 'kvm2'] as const)
    test(`mount, ${host} after ${stage}: the kernel says nfs4 for fstab's nfs, vers=4.2; the role's mount is ok`, () => {
      const live = parseMountinfo(vm('mountinfo', host, stage), '/kvm/disk');
      assert.ok(live, 'mounted');
      assert.is(live!.fstype, 'nfs4');
      assert.is(live!.src, NFS);
      for (const o of ['vers=4.2', 'hard', 'proto=tcp', 'sec=sys', `clientaddr=${addr[host]}`]) assert.ok(live!.opts.includes(o), `${o} in ${live!.opts}`);
      assert.match(vm('fstab', host, stage), `${NFS} /kvm/disk nfs defaults,_netdev 0 0`);
      assert.equal(mountDiffs(live!, NFS, 'nfs', 'defaults,_netdev'), []);
      const p = planMount(wantMount, mountFacts(vm('fstab', host, stage), vm('mountinfo', host, stage)), pctx());
      assert.is(p.kind, 'ok', p.kind === 'change' ? p.reason : '');
      assert.match(vm('showmount', host, stage), new RegExp(`^/nfsshare\\s`, 'm'));
    });

test('showmount -e from a fresh KVM host (nfs-server not started yet): the RPC error the role\'s retry sees', () => {
  const out = vm('showmount', 'kvm1', 'fresh');
  assert.match(out, /^# rc=1$/m);
  assert.match(out, 'clnt_create: RPC: Unable to receive');
});

// ---------------------------------------------------------------- bridge (NetworkManager)

test('bridge facts, fresh kvm1/kvm2: NetworkManager runs, the NIC enp0s1 "connected", no default route, nm backend', () => {
  for (const host of ['kvm1', 'kvm2'] as const) {
    const f = parseBridgeFacts(vm('bridge-facts', host, 'fresh'));
    assert.is(f.nmRunning, true);
    assert.equal(f.nmDevices, { lo: 'connected (externally)', enp0s1: 'connected' });
    assert.equal(f.nmActive, { lo: 'loopback', enp0s1: '802-3-ethernet' });
    assert.is(f.defIf, undefined);
    // what the hand-written fixture had wrong: these sections' real exit codes and contents
    assert.is(f.networkdActive, false);
    assert.is(f.ifup, false);
    assert.is(f.interfaces, undefined, 'no /etc/network/interfaces');
    assert.equal(f.interfacesD, [], 'no /etc/network/interfaces.d (grep exits 2)');
    assert.is(f.systemd, true);
    assert.is(chooseUplink(f, 'br0', undefined, addr[host]), 'enp0s1');
    assert.is(chooseBackend(f, 'enp0s1', 'br0', 'auto'), 'nm');
    assert.equal(runtimeProblems(f, 'br0', 'enp0s1'), ['br0 does not exist']);
  }
});

test('bridge plan, fresh kvm2: NM port + bridge profiles, the NIC\'s MAC kept, settled by polling', () => {
  const f = parseBridgeFacts(vm('bridge-facts', 'kvm2', 'fresh'));
  const p = planBridge({}, f, pctx({ vars: { ansible_host: addr.kvm2 } }));
  assert.is(p.kind, 'change');
  if (p.kind !== 'change') return;
  assert.match(p.reason, `br0: created over enp0s1 (nm), ${addr.kvm2}/24 moved`);
  const script = String(p.steps[0].stdin);
  assert.match(script, `bridge.mac-address ${f.ifs.enp0s1.macaddress}`);
  assert.match(script, 'nmcli connection up br0-port-enp0s1');
});

test('bridge facts, nfs (never bridged): NM backend too, the plan would create br0', () => {
  for (const stage of ['fresh', 'site', 'reboot'] as const) {
    const f = parseBridgeFacts(vm('bridge-facts', 'nfs', stage));
    assert.is(f.nmRunning, true, stage);
    assert.is(f.nmDevices.enp0s1, 'connected', stage);
    assert.is(f.ifs.br0, undefined, stage);
  }
});

for (const stage of ['site', 'reboot'] as const)
  for (const host of ['kvm1', 'kvm2'] as const)
    test(`bridge, ${host} after ${stage}: br0 an active NM bridge, enp0s1 its port, the address on br0; plan ok`, () => {
      const f = parseBridgeFacts(vm('bridge-facts', host, stage));
      assert.is(f.nmActive.br0, 'bridge');
      assert.is(f.ifs.enp0s1.master, 'br0');
      assert.is(f.ifs.br0.ipv4?.address, addr[host]);
      assert.is(f.ifs.br0.macaddress, f.ifs.enp0s1.macaddress, 'the bridge kept the NIC\'s MAC');
      assert.is(chooseUplink(f, 'br0', undefined, addr[host]), 'enp0s1');
      assert.equal(runtimeProblems(f, 'br0', 'enp0s1'), []);
      const p = planBridge({}, f, pctx({ vars: { ansible_host: addr[host] } }));
      assert.is(p.kind, 'ok', p.kind === 'change' ? p.reason : '');
      assert.is(p.reason, `br0: bridge over enp0s1 with ${addr[host]}/24 (nm)`);
      // NM's own view: the port profile is active on the NIC, the lab's old profile is not
      const con = vm('nmcli-con', host, stage);
      assert.match(con, /^br0:bridge:br0:/m);
      assert.match(con, /^br0-port-enp0s1:802-3-ethernet:enp0s1:/m);
      assert.match(con, /^lab:802-3-ethernet::/m);
    });

test.run();
