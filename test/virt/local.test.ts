/**
 * A second guest with its disk on LOCAL storage (/var/lib/libvirt/images, a dir pool on each
 * host), no network: domain_xml on a running guest (restart only when needed and allowed; the
 * MAC dropped once), cold migration copying the non-shared disk (checksums equal, the counter
 * continues from the copied disk), and live migration with copy_storage back.
 * Needs root and the lab prepared by migration.test.ts / faults.test.ts (prepares it itself
 * without a reset when needed). Holds the lab-tests lock.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labTest as test } from '../harness/labgate.js';
import * as assert from 'uvu/assert';
import { domstate, labUp, lastTick, lockLab, must, on, play, record, resultOf, sitePlan, tickAfter, unlockLab } from './helpers.js';

const NAME = 'kvplay-local';
const DISK = `/var/lib/libvirt/images/${NAME}.qcow2`;
let dir = ''; // made in test.before: nothing happens at load (the file may be skipped)
const XML = `<domain type='qemu'>
  <name>${NAME}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>/kvm/disk/kvplay-guest/vmlinuz</kernel>
    <initrd>/kvm/disk/kvplay-guest/initrd.img</initrd>
    <cmdline>console=ttyS0 quiet panic=10 kvplay.name=${NAME}</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='${DISK}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='bridge'>
      <source bridge='br0'/>
      <model type='virtio'/>
      <link state='down'/>
    </interface>
    <serial type='file'>
      <source path='/var/log/libvirt/qemu/${NAME}-serial.log' append='on'/>
      <target port='0'/>
    </serial>
    <memballoon model='none'/>
  </devices>
</domain>`;

function pb(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const task = (hosts: string, body: string) => pb(`t${Math.random().toString(36).slice(2)}.yaml`, `- hosts: ${hosts}\n  gather_facts: false\n  tasks:\n${body}`);

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kvplay-virt-local-'));
  await lockLab();
  await labUp(false);
  if ((await on('kvm1', 'virsh pool-info kvmdisk && test -e /kvm/disk/kvplay-guest/vmlinuz')).code !== 0) {
    for (const p of sitePlan().playbooks) assert.is((await play(p)).code, 0, `${p} failed`);
  }
  for (const h of ['kvm1', 'kvm2']) await on(h, `virsh destroy ${NAME}; virsh undefine ${NAME}; rm -f ${DISK} ${DISK}.kvplay-part /var/log/libvirt/qemu/${NAME}-serial.log; true`);
  const r = await play(task('kvm_hosts', `
    - libvirt_pool: {name: local-images, type: dir, target: /var/lib/libvirt/images, state: active}
    - command: qemu-img create -f qcow2 ${DISK} 16M
      args: {creates: ${DISK}}
      when: inventory_hostname == 'kvm1'
    - libvirt_domain: {xml: "{{ lookup_xml }}", state: running}
      vars: {lookup_xml: ${JSON.stringify(XML)}}
      when: inventory_hostname == 'kvm1'
`));
  assert.is(r.code, 0, r.failures.join('\n'));
  for (let i = 0; i < 90 && (await lastTick('kvm1', NAME)) < 3; i++) await new Promise((r) => setTimeout(r, 1000));
  assert.ok((await lastTick('kvm1', NAME)) >= 3, 'the local guest boots and counts');
});
test.after(async () => {
  for (const h of ['kvm1', 'kvm2']) await on(h, `virsh destroy ${NAME}; virsh undefine ${NAME}; rm -f ${DISK}; true`);
  rmSync(dir, { recursive: true, force: true });
  unlockLab();
});

const xmlTask = (args: string) => task('kvm1', `    - domain_xml: {name: ${NAME}, ${args}}\n      register: x\n`);

test('domain_xml on a running guest: restart only when needed and allowed', async () => {
  const id = (await must('kvm1', `virsh domid ${NAME}`)).trim();
  // a change the running guest needs a restart for, restart not allowed: defined, reported
  let r = await play(xmlTask('disk_cache: writeback'));
  let x = resultOf(r, /domain_xml/, 'kvm1');
  assert.is(x.status, 'changed');
  assert.is(x.data.restart_needed, true);
  assert.match(x.reason, /disk vda: cache \(default\) -> writeback; the running guest still uses the old configuration/);
  assert.is((await must('kvm1', `virsh domid ${NAME}`)).trim(), id, 'not restarted');
  // allowed now: only the restart is left to do
  r = await play(xmlTask('disk_cache: writeback, restart: true, restart_mode: destroy'));
  x = resultOf(r, /domain_xml/, 'kvm1');
  assert.is(x.status, 'changed');
  assert.is(x.data.restarted, true);
  assert.is.not((await must('kvm1', `virsh domid ${NAME}`)).trim(), id, 'restarted');
  assert.match(await must('kvm1', `virsh dumpxml ${NAME}`), /cache='writeback'/);
  // and then nothing
  r = await play(xmlTask('disk_cache: writeback, restart: true'));
  assert.is(resultOf(r, /domain_xml/, 'kvm1').status, 'ok');
});

test('drop_mac: dropped once (libvirt makes a new MAC), later runs keep it', async () => {
  const mac = /mac address='([^']+)'/.exec(await must('kvm1', `virsh dumpxml --inactive ${NAME}`))![1];
  let r = await play(xmlTask('drop_mac: true, restart: true, restart_mode: destroy'));
  let x = resultOf(r, /domain_xml/, 'kvm1');
  assert.is(x.status, 'changed', x.reason);
  assert.is(x.data.mac_dropped, true);
  const xml = await must('kvm1', `virsh dumpxml --inactive ${NAME}`);
  const mac2 = /mac address='([^']+)'/.exec(xml)![1];
  assert.is.not(mac2, mac);
  assert.match(xml, /<kvplay:mac-dropped/, 'libvirt kept the marker in <metadata>');
  r = await play(xmlTask('drop_mac: true, restart: true'));
  x = resultOf(r, /domain_xml/, 'kvm1');
  assert.is(x.status, 'ok', x.reason);
  assert.match(await must('kvm1', `ls /var/lib/kvplay/libvirt-backups/`), new RegExp(`${NAME}\\.\\d{8}T\\d{6}\\.xml`));
});

test('cold migration copies the non-shared disk, with the guest shut off', async () => {
  // the guest (restarted by the test before) must be up and counting to shut down gracefully
  const before = await lastTick('kvm1', NAME);
  assert.ok((await tickAfter('kvm1', before, 90_000, NAME)) > before, 'the guest runs before the cold migration');
  const r = await play(task('kvm1', `    - cold_migrate: {name: ${NAME}, target: kvm2, shutdown_timeout: 20}\n`));
  assert.is(r.code, 0, r.failures.join('\n'));
  const m = resultOf(r, /cold_migrate/, 'kvm1');
  assert.is(m.status, 'changed', m.reason);
  assert.equal(m.data.copied, [DISK]);
  assert.match(m.reason, /copied 1 disk\(s\) in [\d.]+ s; off for [\d.]+ s; running on kvm2/);
  record('cold with disk copy kvm1->kvm2', m.data.timing);
  assert.is(await domstate('kvm2', NAME), 'running');
  assert.is(await domstate('kvm1', NAME), null);
  // the same disk content: the guest continues its counter from it
  const last = Number((await must('kvm1', `grep -ao 'tick [0-9]*' /var/log/libvirt/qemu/${NAME}-serial.log | tail -n 1 | cut -d' ' -f2`)).trim());
  for (let i = 0; i < 90 && !/continues from/.test((await on('kvm2', `cat /var/log/libvirt/qemu/${NAME}-serial.log`)).stdout); i++) await new Promise((r) => setTimeout(r, 1000));
  const from = Number(/continues from (\d+)/.exec((await must('kvm2', `grep -a 'continues from' /var/log/libvirt/qemu/${NAME}-serial.log | tail -n 1`)))?.[1]);
  assert.ok(from >= last - 1 && from <= last, `continues from ${from}, last tick on kvm1 ${last}`);
});

test('live migration with copy_storage moves a running guest with a local disk', async () => {
  await on('kvm1', `rm -f ${DISK}`); // the cold copy left the source's file behind
  const r = await play(task('kvm2', `    - migrate: {name: ${NAME}, target: kvm1, copy_storage: true}\n`));
  const m = resultOf(r, /migrate/, 'kvm2');
  assert.is(m.status, 'changed', m.reason);
  record('live with copy_storage kvm2->kvm1', { wall_s: m.data.migration.wall_time_s, total_ms: m.data.migration.total_time_ms, downtime_ms: m.data.migration.downtime_ms });
  assert.is(await domstate('kvm1', NAME), 'running');
  assert.is(await domstate('kvm2', NAME), null);
  await must('kvm1', `test -s ${DISK}`);
});

test.run();
