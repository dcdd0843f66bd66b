/**
 * The whole migration lab on real hosts: a FRESH lab, site.yaml's stages (or the test fixture
 * while they do not exist) and migrate-lab.yaml: libvirt on kvm1+kvm2, the guest on kvm1 with
 * its XML edited to bridge br0, live migration kvm1 -> kvm2 with the guest running throughout
 * (counter continues, probe gap measured); `virsh list --all` on both hosts. Second run: 0
 * changed. Migrate back; cold-migrate.yaml moves it shut off and starts it.
 * Needs root and the lab; resets it (holds the lab-tests lock). Runs the CLI from dist.
 */
import { labTest as test } from '../harness/labgate.js';
import * as assert from 'uvu/assert';
import { GUEST, PB, domstate, labUp, lastTick, lockLab, must, on, play, record, resultOf, sitePlan, unlockLab } from './helpers.js';

const t0 = Date.now();
const since = () => `${((Date.now() - t0) / 1000).toFixed(0)}s`;
const plan = sitePlan();

test.before(async () => {
  await lockLab();
  await labUp(true);
  console.log(`  [${since()}] fresh lab; playbooks: ${plan.playbooks.map((p) => p.replace(/.*\//, '')).join(' + ')}${plan.real ? '' : ' (site.yaml stages missing: test fixture)'}`);
});
test.after(() => unlockLab());

let firstTick = 0;

test('fresh lab: --check of the whole lab changes nothing', async () => {
  for (const pb of plan.playbooks) {
    const r = await play(pb, ['--check']);
    assert.is(r.code, 0, `${pb} --check: ${r.failures.join('\n') || r.stderr.slice(-2000)}`);
    console.log(`  [${since()}] ${pb.replace(/.*\//, '')} --check: ${r.changed.length} predicted changes in ${r.wallS} s`);
  }
  assert.is((await on('kvm1', 'command -v virsh')).code, 1, 'check mode installed libvirt');
  assert.is((await on('kvm1', 'test -e /kvm/disk/kvplay-guest.qcow2')).code, 1, 'check mode created the disk');
});

test('from a fresh lab: libvirt, guest on kvm1 on br0, live migration to kvm2', async () => {
  let migrated: any;
  for (const pb of plan.playbooks) {
    const r = await play(pb);
    assert.is(r.code, 0, `${pb}: ${r.failures.join('\n') || r.stderr.slice(-2000)}`);
    console.log(`  [${since()}] ${pb.replace(/.*\//, '')}: ${r.changed.length} changed in ${r.wallS} s`);
    migrated ??= resultOf(r, /^live migration/, 'kvm1');
    const edit = resultOf(r, /^edit the XML/, 'kvm1');
    if (edit) {
      assert.is(edit.status, 'changed');
      assert.match(edit.reason, /type network -> bridge.*source bridge \(none\) -> br0/);
      assert.match(String(edit.data.backup_file), /^\/var\/lib\/kvplay\/libvirt-backups\/kvplay-guest\.\d{8}T\d{6}\.xml$/);
    }
  }
  assert.ok(migrated, 'the migrate task ran on kvm1');
  assert.is(migrated.status, 'changed', migrated.reason);
  const d = migrated.data;
  assert.is(d.migrated, true);
  assert.is(d.target_state, 'running');
  assert.ok(d.migration.downtime_ms > 0 && d.migration.downtime_ms < 5000, `downtime ${d.migration.downtime_ms}`);
  assert.ok(d.migration.total_time_ms > 0);
  assert.match(migrated.reason, /libvirt: total \d+ ms, downtime \d+ ms/);
  assert.ok(d.probe && d.probe.answered_before, `probe: ${JSON.stringify(d.probe)}`);
  assert.ok(d.probe.max_gap_s !== null && d.probe.max_gap_s < 10, `gap ${d.probe.max_gap_s}`);
  assert.match(migrated.reason, /probe: longest gap/);
  record('live kvm1->kvm2 (first run)', { wall_s: d.migration.wall_time_s, total_ms: d.migration.total_time_ms, downtime_ms: d.migration.downtime_ms, probe_gap_s: d.probe.max_gap_s, probe_lost: d.probe.lost });
  // virsh list --all on both hosts
  assert.match(await must('kvm2', 'virsh list --all'), new RegExp(`\\s${GUEST}\\s+running`));
  assert.not.match(await must('kvm1', 'virsh list --all'), new RegExp(GUEST));
  // the definition moved with its edit; the guest kept counting across the move
  assert.match(await must('kvm2', `virsh dumpxml --inactive ${GUEST}`), /<interface type='bridge'>[^]*<source bridge='br0'\/>/);
  const before = await lastTick('kvm1');
  assert.ok(before > 0, 'ticks on kvm1');
  assert.is((await on('kvm2', `grep -aqw 'tick ${before + 1}' /var/log/libvirt/qemu/${GUEST}-serial.log`)).code, 0, `tick ${before + 1} on kvm2`);
  firstTick = await lastTick('kvm2');
  // the guest answers on the network from its new host
  assert.is((await on('kvm1', 'a=$(getent hosts kvm1 | awk \'{print $1; exit}\'); ping -c 1 -W 2 "${a%.*}.50" >/dev/null')).code, 0, 'the guest answers ping');
});

test('second run: 0 changed (the guest on kvm2 is ok where it is)', async () => {
  for (const pb of plan.playbooks) {
    const r = await play(pb);
    assert.is(r.code, 0, r.failures.join('\n'));
    assert.equal(r.changed, [], `${pb}: changed on the second run`);
    console.log(`  [${since()}] second run ${pb.replace(/.*\//, '')}: 0 changed in ${r.wallS} s`);
  }
  assert.is(await domstate('kvm2'), 'running');
  assert.ok((await lastTick('kvm2')) > firstTick, 'still counting');
});

test('check mode of the migration: preflight only, nothing moves', async () => {
  const r = await play(PB('migrate-back.yaml'), ['--check']);
  assert.is(r.code, 0, r.failures.join('\n'));
  const m = resultOf(r, /^live migration/, 'kvm2');
  assert.is(m.status, 'changed');
  assert.match(m.reason, /would migrate kvplay-guest live kvm2 -> kvm1 \(preflight passed/);
  assert.is(await domstate('kvm2'), 'running');
  assert.is(await domstate('kvm1'), null);
});

test('migrate back kvm2 -> kvm1', async () => {
  const r = await play(PB('migrate-back.yaml'));
  assert.is(r.code, 0, r.failures.join('\n'));
  const m = resultOf(r, /^live migration/, 'kvm2');
  assert.is(m.status, 'changed');
  record('live kvm2->kvm1 (back)', { wall_s: m.data.migration.wall_time_s, total_ms: m.data.migration.total_time_ms, downtime_ms: m.data.migration.downtime_ms, probe_gap_s: m.data.probe?.max_gap_s, probe_lost: m.data.probe?.lost });
  assert.is(await domstate('kvm1'), 'running');
  assert.is(await domstate('kvm2'), null);
  const again = await play(PB('migrate-back.yaml'));
  assert.equal(again.changed, []);
  console.log(`  [${since()}] migrated back in ${r.wallS} s; again: 0 changed`);
});

test('cold-migrate.yaml: shut off, moved, started; the counter continues from the disk', async () => {
  const tickBefore = await lastTick('kvm1');
  const r = await play(PB('cold-migrate.yaml'));
  assert.is(r.code, 0, r.failures.join('\n'));
  const m = resultOf(r, /^cold migration migrate_from/, 'kvm1');
  assert.is(m.status, 'changed', m.reason);
  assert.match(m.reason, /moved cold kvm1 -> kvm2 .*shutdown: graceful after \d+s; shared storage: only the XML moved/);
  record('cold kvm1->kvm2', m.data.timing);
  assert.match(await must('kvm2', 'virsh list --all'), new RegExp(`\\s${GUEST}\\s+running`));
  assert.not.match(await must('kvm1', 'virsh list --all'), new RegExp(GUEST));
  // a fresh boot: the counter resumes from the number stored on the (shared) disk
  const log = await must('kvm2', `grep -a 'counter continues from' /var/log/libvirt/qemu/${GUEST}-serial.log | tail -n 1`);
  const from = Number(/continues from (\d+)/.exec(log)?.[1]);
  assert.ok(from >= tickBefore && from <= tickBefore + 40, `continues from ${from}, last tick on kvm1 was ${tickBefore}`);
  const again = await play(PB('cold-migrate.yaml'), ['-e', 'migrate_from=kvm1', '-e', 'migrate_to=kvm2']);
  assert.is(again.code, 0, again.failures.join('\n'));
  assert.equal(again.changed, []);
  console.log(`  [${since()}] cold migration in ${r.wallS} s`);
});

test.run();
