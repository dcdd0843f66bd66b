/**
 * --explain on the lab: the site playbook's NFS stages (tags nfs, storage) with --check, for the
 * manual procedure's kernel-NFS variant (-e nfs_backend=kernel shared_storage_backend=nfs, zone
 * `work`): the listed commands are the procedure's own (firewall-cmd --permanent ...
 * --add-service=..., the /etc/exports line, exportfs -ra, the fstab line and mount), and what
 * the explanation says it found is what the same commands, typed on the hosts, answer.
 * Check mode only: the shared lab is left as it is (asserted), so no reset is needed; it works on
 * a lab in any state (fresh or set up by the site playbook), deciding from the hosts themselves.
 */
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { ensureLab } from '../../src/lab/index.js';
import { labTest as test } from '../harness/labgate.js';
import { ROOT, kvplay } from '../e2e/helpers.js';

const SITE = join(ROOT, 'playbooks', 'site.yaml');
const ZONE = 'work';
const SERVICES = ['rpc-bind', 'nfs', 'mountd'];
let INV = '';
let SSHCFG = '';
/** the nfs host's addresses (the storage role mounts from its inventory address) */
let NFS_ADDRS: string[] = [];

/** A command on a lab host (a fresh ssh connection, as site.test.ts does). */
function on(host: string, cmd: string): Promise<{ code: number; stdout: string }> {
  return new Promise((res) => {
    execFile('ssh', ['-F', SSHCFG, '-o', 'ConnectTimeout=10', host, cmd], (err, stdout) => res({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout }));
  });
}

/** What the hosts say now: firewalld in the zone, /etc/exports, the /kvm/disk mounts. */
async function hostState() {
  const fw = await on('nfs', 'firewall-cmd --state');
  const perm = fw.code === 0 ? (await on('nfs', `firewall-cmd --permanent --zone=${ZONE} --list-services`)).stdout.trim() : '';
  const rt = fw.code === 0 ? (await on('nfs', `firewall-cmd --zone=${ZONE} --list-services`)).stdout.trim() : '';
  const exports = await on('nfs', 'cat /etc/exports');
  const mnt = async (h: string) => (await on(h, 'findmnt -n -o SOURCE,FSTYPE /kvm/disk')).stdout.trim().split(/\s+/).filter(Boolean);
  return { fwRunning: fw.code === 0, perm, rt, exports: exports.code === 0 ? exports.stdout : null, kvm1: await mnt('kvm1'), kvm2: await mnt('kvm2') };
}

test.before(async () => {
  const lab = await ensureLab();
  INV = lab.inventoryPath;
  SSHCFG = lab.sshConfigPath;
  NFS_ADDRS = (await on('nfs', 'hostname -I')).stdout.trim().split(/\s+/);
});

test('site.yaml nfs + storage stages, --check --explain: the procedure\'s commands, and what they check agrees with the hosts', async () => {
  const before = await hostState();
  const r = await kvplay([SITE, '-i', INV, '--tags', 'nfs,storage', '--check', '--explain', '-e', 'nfs_backend=kernel', '-e', 'shared_storage_backend=nfs', '-e', `nfs_firewalld_zone=${ZONE}`], { json: true });
  assert.is(r.code, 0, r.stdout.slice(-3000) + r.stderr);
  const ex = r.events.filter((e) => e.kind === 'explain');
  const of = (task: string, host: string) => ex.filter((e) => e.task === task && e.host === host).map((e) => ({ item: e.item, ...e.explain }));
  const runs = (task: string, host: string) => of(task, host).flatMap((e) => e.runs.map((x: { cmd: string }) => x.cmd));
  for (const e of ex) assert.is(e.explain.check, true);

  // 1. firewalld: the D-Bus read shown as firewall-cmd --list-services, equal to what that command answers on nfs
  const fw = of('firewalld allows rpc-bind, nfs, mountd (permanent and runtime)', 'nfs');
  assert.equal(fw.map((e) => e.item), SERVICES);
  const set = (s: string) => s.split(/\s+/).filter(Boolean).sort();
  for (const e of fw) {
    if (before.fwRunning) {
      const perm = e.checked.find((c: { cmd: string }) => c.cmd === `firewall-cmd --permanent --zone=${ZONE} --list-services`);
      const rt = e.checked.find((c: { cmd: string }) => c.cmd === `firewall-cmd --zone=${ZONE} --list-services`);
      assert.ok(perm && rt, JSON.stringify(e.checked));
      assert.equal(set(perm.found.replace(/ \(.*\)$/, '')), set(before.perm), 'found = what firewall-cmd --permanent --list-services says');
      assert.equal(set(rt.found.replace(/ \(.*\)$/, '')), set(before.rt));
      const want = [
        ...(set(before.perm).includes(e.item) ? [] : [`firewall-cmd --permanent --zone=${ZONE} --add-service=${e.item}`]),
        ...(set(before.rt).includes(e.item) ? [] : [`firewall-cmd --zone=${ZONE} --add-service=${e.item}`]),
      ];
      assert.equal(e.runs.map((x: { cmd: string }) => x.cmd), want, e.item);
    } else {
      // a fresh lab: firewalld is not there yet, check mode cannot ask it (an earlier task installs it)
      assert.match(e.checked.map((c: { found: string }) => c.found).join('; '), /not installed|not running/);
      assert.equal(e.runs, []);
      assert.match(e.reason, /check mode/);
    }
  }

  // 2. /etc/exports (absent on the lab, which runs ganesha): the whole new file, then exportfs -ra (the handler)
  const exp = of('export entry in /etc/exports (clients = the KVM hosts)', 'nfs')[0];
  assert.equal(exp.checked[0], { cmd: 'cat /etc/exports', found: before.exports === null ? '/etc/exports does not exist yet' : exp.checked[0].found });
  const exportsCmd = runs('export entry in /etc/exports (clients = the KVM hosts)', 'nfs')[0];
  assert.match(exportsCmd, /cat > \/etc\/exports <<'EOF'\n[\s\S]*^\/nfsshare \S+\(rw,sync,no_root_squash,no_subtree_check\) \S+\(rw,sync,no_root_squash,no_subtree_check\)$\n^EOF$/m);
  assert.equal(runs('re-export NFS', 'nfs'), ['exportfs -ra']);

  // 3. the mount on both KVM hosts: findmnt as the hosts answer it; the fstab line and `mount /kvm/disk`
  for (const h of ['kvm1', 'kvm2'] as const) {
    const m = of('shared storage mounted at /kvm/disk and in fstab (nfs or sshfs)', h)[0];
    const findmnt = m.checked.find((c: { cmd: string }) => c.cmd === 'findmnt /kvm/disk');
    assert.ok(findmnt, JSON.stringify(m.checked));
    const live = before[h];
    assert.is(findmnt.found.startsWith(live.length ? `${live[0]} mounted, type ${live[1]},` : 'not mounted'), true, `${h}: ${findmnt.found} vs findmnt: ${live.join(' ')}`);
    const cmds: string[] = m.runs.map((x: { cmd: string }) => x.cmd);
    if (!(NFS_ADDRS.some((a) => live[0] === `${a}:/nfsshare`) && /^nfs/.test(live[1] ?? ''))) {
      const fstab = cmds.find((c) => c.includes("cat > /etc/fstab <<'EOF'")) ?? '';
      const src = /^(\S+):\/nfsshare \/kvm\/disk nfs defaults,_netdev 0 0$/m.exec(fstab)?.[1];
      assert.ok(src && NFS_ADDRS.includes(src), `${h}: the fstab line mounts the nfs host's share: ${cmds.join('\n')}`);
      assert.ok(cmds.includes(`mount /kvm/disk   # = mount -t nfs -o defaults,_netdev ${src}:/nfsshare /kvm/disk, from its /etc/fstab line`), `${h}: ${cmds.join('\n')}`);
    }
  }

  // 4. nothing of it happened: --check --explain only describes
  assert.equal(await hostState(), before);
});

test.run();
