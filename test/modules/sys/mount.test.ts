// planning cases: test/fixtures/modules/mount/*.yaml (test/modules/fixtures.test.ts)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { editFstab, mountDiffs, planMount } from '../../../src/modules/mount.js';
import { moduleMeta } from '../../../src/engine/module/registry.js';
import { fileState } from '../helpers.js';
import { converge, rmDir, run, tempDir } from '../helpers.js';
import { fx, pctx } from './helpers.js';
import { escapeMnt, findFstab, parseMountinfo } from '../../../src/facts/fstab.js';

const SSHFS_OPTS = 'allow_other,reconnect,ServerAliveInterval=15,ServerAliveCountMax=3,IdentityFile=/root/.ssh/id_ed25519,StrictHostKeyChecking=yes,_netdev';
const sshfs = { path: '/kvm/disk', src: 'root@nfs:/nfsshare', fstype: 'fuse.sshfs', opts: SSHFS_OPTS, state: 'mounted' as const };
const LIVE = () => parseMountinfo(fx('mountinfo-kvm1.txt'), '/kvm/disk');
const facts = (fstab: string, live: ReturnType<typeof LIVE>, dir = true) => ({ file: fileState('/etc/fstab', { content: fstab }), live, dir, systemd: true });
const descs = (p: ReturnType<typeof planMount>) => (p.kind === 'change' ? p.steps.map((s) => s.desc) : []);

test('recorded mountinfo (kvm1): the sshfs mount, its visible options', () => {
  const m = parseMountinfo(fx('mountinfo-kvm1.txt'), '/kvm/disk/')!;
  assert.equal(m, { path: '/kvm/disk', src: 'root@nfs:/nfsshare', fstype: 'fuse.sshfs', opts: ['rw', 'nosuid', 'nodev', 'relatime', 'rw', 'user_id=0', 'group_id=0', 'allow_other'] });
  assert.is(parseMountinfo(fx('mountinfo-kvm1.txt'), '/nope'), undefined);
  assert.is(parseMountinfo('36 35 98:0 / /a\\040b rw - ext4 /dev/x rw\n', '/a b')!.src, '/dev/x');
});

test('live options or source differ: unmount and mount again (fuse/nfs cannot remount)', () => {
  const live = parseMountinfo(fx('mountinfo-kvm1.txt'), '/kvm/disk')!;
  const noAllow = { ...live, opts: live.opts.filter((o) => o !== 'allow_other') };
  const p = planMount(sshfs, facts(fx('fstab-kvm1.txt'), noAllow), pctx());
  assert.equal(descs(p), ['umount /kvm/disk', 'mount /kvm/disk']);
  assert.match(p.reason, 'remounted (+allow_other)');
  assert.equal(mountDiffs({ ...live, src: 'root@other:/x' }, 'root@nfs:/nfsshare', 'fuse.sshfs', SSHFS_OPTS), ['source root@other:/x -> root@nfs:/nfsshare']);
  assert.equal(mountDiffs(live, 'root@nfs:/nfsshare/', 'fuse.sshfs', 'ro'), ['rw -> ro']);
  const nfs = { path: '/m', src: 'nfs:/nfsshare', fstype: 'nfs4', opts: ['rw', 'relatime', 'vers=4.2', 'hard', 'proto=tcp', 'sec=sys'] };
  assert.equal(mountDiffs(nfs, 'nfs:/nfsshare', 'nfs', 'defaults,_netdev,vers=4,hard'), []);
  assert.equal(mountDiffs(nfs, 'nfs:/nfsshare', 'nfs', 'vers=3,soft'), ['vers=4.2 -> 3', '+soft']);
  const ext = { path: '/d', src: '/dev/sdb1', fstype: 'ext4', opts: ['rw', 'relatime'] };
  const pl = planMount({ path: '/d', src: '/dev/sdb1', fstype: 'ext4', opts: 'noatime', state: 'mounted' }, facts('/dev/sdb1 /d ext4 noatime 0 0\n', ext), pctx());
  assert.ok(pl.kind === 'change' && pl.steps[0].cmd === 'mount -o remount,noatime /d');
});

test('fstab edit: only the mount point line changes; escapes', () => {
  const old = '# c\nUUID=1 / ext4 defaults 0 1\nold:/x /kvm/disk/ nfs defaults 0 0\n';
  const r = editFstab(old, { src: 'nfs:/nfsshare', path: '/kvm/disk', fstype: 'nfs', opts: 'defaults,_netdev', dump: '0', passno: '0' }, 'present');
  assert.is(r.text, '# c\nUUID=1 / ext4 defaults 0 1\nnfs:/nfsshare /kvm/disk nfs defaults,_netdev 0 0\n');
  assert.is(editFstab(r.text, { src: 'nfs:/nfsshare', path: '/kvm/disk', fstype: 'nfs', opts: 'defaults,_netdev', dump: '0', passno: '0' }, 'present').text, r.text);
  assert.is(escapeMnt('/a b'), '/a\\040b');
  assert.is(findFstab('/dev/x /a\\040b ext4 defaults 0 0\n', '/a b')!.src, '/dev/x');
});

test('module on a real fstab file (state present: no mount): converge and aliases', async () => {
  const dir = tempDir();
  try {
    const fstab = join(dir, 'fstab');
    writeFileSync(fstab, '# fstab\n');
    await converge('mount', { path: join(dir, 'mnt'), src: 'nfs:/nfsshare', fstype: 'nfs', opts: 'defaults,_netdev', state: 'present', fstab }, dir);
    assert.is(readFileSync(fstab, 'utf8'), `# fstab\nnfs:/nfsshare ${join(dir, 'mnt')} nfs defaults,_netdev 0 0\n`);
    const r = await run('ansible.posix.mount', { name: join(dir, 'mnt'), state: 'absent', fstab });
    assert.is(r.status, 'changed');
    assert.is(readFileSync(fstab, 'utf8'), '# fstab\n');
    assert.is(moduleMeta('ansible.posix.mount')?.name, 'mount');
    const bad = await run('mount', { path: '/x', state: 'mounted' });
    assert.match(bad.reason, 'needs src and fstype');
  } finally {
    rmDir(dir);
  }
});

test.run();
