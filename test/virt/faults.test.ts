/**
 * Migration refusals and failures on the lab, the guest untouched each time:
 *   preflight: a domain of the same name on the target; the target lacks br0; the target lacks
 *   the pool path (share not mounted); no SSH trust; a failed migration (libvirtd on the target stopped in the
 *   middle of the memory copy); non-convergence (bandwidth too small, timeout -> abort).
 * The lab is prepared like migration.test.ts without a reset when needed (idempotent runs).
 * Needs root and the lab (holds the lab-tests lock).
 */
import { labTest as test } from '../harness/labgate.js';
import * as assert from 'uvu/assert';
import { GUEST, PB, domstate, kvplay, labUp, lastTick, lockLab, must, on, play, record, resultOf, sitePlan, tickAfter, unlockLab, INV } from './helpers.js';

const t0 = Date.now();
const since = () => `${((Date.now() - t0) / 1000).toFixed(0)}s`;
const FORWARD = PB('migrate-lab.yaml');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test.before(async () => {
  await lockLab();
  await labUp(false);
  for (const pb of sitePlan().playbooks) {
    const r = await play(pb);
    assert.is(r.code, 0, `${pb}: ${r.failures.join('\n')}`);
  }
  // the guest on kvm1, running (it may be on kvm2 after migrate-lab.yaml)
  if ((await domstate('kvm1')) !== 'running') {
    const r = await play(PB('migrate-back.yaml'));
    assert.is(r.code, 0, r.failures.join('\n'));
  }
  assert.is(await domstate('kvm1'), 'running');
  console.log(`  [${since()}] lab ready, ${GUEST} running on kvm1`);
});
test.after(() => unlockLab());

/** Run the forward migration (kvm1 -> kvm2); it must fail; the guest must still run on kvm1 and keep counting. */
async function refused(extra: string[] = []): Promise<any> {
  const tick = await lastTick('kvm1');
  const r = await play(FORWARD, ['--tags', 'migrate', ...extra]);
  assert.is.not(r.code, 0, 'the migration should have failed');
  const m = resultOf(r, /^live migration/, 'kvm1');
  assert.is(m.status, 'failed');
  assert.is(await domstate('kvm1'), 'running');
  assert.ok((await tickAfter('kvm1', tick)) > tick, 'the guest kept counting on kvm1');
  const there = await domstate('kvm2');
  assert.ok(there === null, `no ${GUEST} on kvm2 (found ${there})`);
  return m;
}

test('preflight: a domain of the same name on the target', async () => {
  await must('kvm2', `printf '%s' "<domain type='qemu'><name>${GUEST}</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os></domain>" > /tmp/dup.xml && virsh define /tmp/dup.xml`);
  try {
    const tick = await lastTick('kvm1');
    const r = await play(FORWARD, ['--tags', 'migrate']);
    const m = resultOf(r, /^live migration/, 'kvm1');
    assert.is(m.status, 'failed');
    assert.match(m.reason, /preflight failed, nothing was moved \(kvplay-guest still running on kvm1\):\n  - a domain named kvplay-guest already exists on kvm2 \(shut off\): undefine it there/);
    assert.is(m.data.step, 'preflight');
    assert.is(await domstate('kvm1'), 'running');
    assert.ok((await tickAfter('kvm1', tick)) > tick, 'the guest kept counting on kvm1');
  } finally {
    await must('kvm2', `virsh undefine ${GUEST}; rm -f /tmp/dup.xml`);
  }
});

test('preflight: the target lacks br0', async () => {
  // rename the bridge (addresses and ports stay: kvm2 remains reachable), put it back after
  await must('kvm2', 'ip link set dev br0 down && ip link set dev br0 name br0-off && ip link set dev br0-off up');
  try {
    const m = await refused();
    assert.match(m.reason, /kvm2 has no bridge br0 \(the guest's interface 0 is on it\): create it first/);
  } finally {
    await must('kvm2', 'ip link set dev br0-off down && ip link set dev br0-off name br0 && ip link set dev br0 up');
  }
});

test('preflight: the target lacks the pool path (share not mounted)', async () => {
  const src = (await must('kvm2', "findmnt -n -o SOURCE /kvm/disk")).trim();
  await must('kvm2', 'umount /kvm/disk');
  try {
    const m = await refused();
    assert.match(m.reason, /kvm2 does not see \/kvm\/disk\/kvplay-guest\.qcow2: the guest's disk must be on shared storage mounted at the same path on both hosts/);
    assert.match(m.reason, /kvm2 has no \/kvm\/disk\/kvplay-guest\/vmlinuz/);
  } finally {
    // fstab (shared_storage role) or the fixture's sshfs mount
    await must('kvm2', `mountpoint -q /kvm/disk || mount /kvm/disk 2>/dev/null || sshfs -o allow_other,default_permissions,reconnect,ServerAliveInterval=5,BatchMode=yes ${src} /kvm/disk; mountpoint -q /kvm/disk`);
  }
});

test('preflight: no SSH trust from the source to the target', async () => {
  await must('kvm1', 'mv /root/.ssh/id_ed25519 /root/.ssh/id_ed25519.off');
  try {
    const m = await refused();
    assert.match(m.reason, /preflight failed, nothing was moved: SSH from kvm1 to kvm2 as root without a password failed: .*Permission denied.*ssh_trust role/);
  } finally {
    await must('kvm1', 'mv /root/.ssh/id_ed25519.off /root/.ssh/id_ed25519');
  }
});

test('a failed migration (libvirtd on the target stopped mid-way) leaves the guest running on the source', async () => {
  const tick = await lastTick('kvm1');
  const p = kvplay([FORWARD, '-i', INV, '--tags', 'migrate', '-e', 'migrate_bandwidth=8'], { json: true });
  // wait for the memory copy to be under way, then stop libvirt on the target
  let started = false;
  for (let i = 0; i < 240 && !started; i++) {
    started = /Outgoing migration[^]*Data processed/.test((await on('kvm1', `virsh domjobinfo ${GUEST}`)).stdout);
    if (!started) await sleep(250);
  }
  assert.ok(started, 'the migration started');
  await must('kvm2', 'systemctl stop libvirtd.service libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket');
  try {
    const r = await p;
    const m = resultOf(r, /^live migration/, 'kvm1');
    assert.is(m.status, 'failed');
    assert.match(m.reason, /live migration kvm1 -> kvm2 failed at: connection to libvirt on kvm2: .*kvplay-guest is still running on kvm1\. What to do: check that libvirtd runs on kvm2/);
    assert.is(await domstate('kvm1'), 'running');
    assert.ok((await tickAfter('kvm1', tick)) > tick, 'still counting on kvm1');
    console.log(`  [${since()}] mid-way failure: ${m.reason.slice(0, 160)}...`);
  } finally {
    await must('kvm2', 'systemctl start libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket libvirtd.service');
  }
  // nothing left behind on the target
  assert.not.match(await must('kvm2', 'virsh list --all'), new RegExp(GUEST));
});

test('non-convergence: timeout aborts the job, the error suggests the remedies', async () => {
  const m = await refused(['-e', 'migrate_bandwidth=1', '-e', 'migrate_timeout=4']);
  assert.match(m.reason, /failed at: memory copy \(did not converge in time\).*kvplay-guest is still running on kvm1\. What to do: .*try auto_converge: true, a larger max_downtime \(ms\), postcopy: true, more bandwidth, a longer timeout, or a cold migration/);
  assert.is(m.data.timed_out, true);
});

test('after all that, the migration works', async () => {
  const r = await play(FORWARD, ['--tags', 'migrate']);
  assert.is(r.code, 0, r.failures.join('\n'));
  const m = resultOf(r, /^live migration/, 'kvm1');
  assert.is(m.status, 'changed');
  record('live kvm1->kvm2 (after faults)', { wall_s: m.data.migration.wall_time_s, total_ms: m.data.migration.total_time_ms, downtime_ms: m.data.migration.downtime_ms, probe_gap_s: m.data.probe?.max_gap_s });
  assert.is(await domstate('kvm2'), 'running');
  console.log(`  [${since()}] done`);
});

test.run();
