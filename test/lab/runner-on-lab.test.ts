/** The kvplay runner on the three lab hosts: as root, and as the sudo user `student` with a become password. */
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLab } from '../../src/lab/index.js';
import { kvplay, writePlaybook, recapOf } from '../e2e/helpers.js';
import { labTest as test } from '../harness/labgate.js';

let lab: Awaited<ReturnType<typeof ensureLab>>;
let dir: string;

test.before(async () => {
  lab = await ensureLab();
  dir = mkdtempSync(join(tmpdir(), 'kvplay-labrun-'));
});
test.after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

const PB = `- hosts: all
  tasks:
    - name: a file in /etc
      copy: { content: "{{ inventory_hostname }} {{ ansible_facts.os_family }} {{ ansible_eth0.ipv4.address }}\\n", dest: /etc/kvplay-lab-test, mode: "0644" }
      become: true
    - name: read it back
      command: cat /etc/kvplay-lab-test
      register: out
      changed_when: false
    - assert:
        that:
          - out.stdout == inventory_hostname ~ ' Debian ' ~ hostvars[inventory_hostname].ansible_host
`;

test('a playbook runs on kvm1, kvm2 and nfs as root; second run 0 changed', async () => {
  const pb = writePlaybook(dir, 'lab.yaml', PB);
  const r = await kvplay([pb, '-i', lab.inventoryPath], { json: true });
  assert.is(r.code, 0, r.stdout + r.stderr);
  const recap = recapOf(r.events);
  assert.equal(Object.keys(recap).sort(), ['kvm1', 'kvm2', 'nfs']);
  for (const h of ['kvm1', 'kvm2', 'nfs']) assert.is(recap[h].failed, 0);
  const again = await kvplay([pb, '-i', lab.inventoryPath], { json: true });
  assert.is(again.code, 0);
  for (const c of Object.values(recapOf(again.events))) assert.is(c.changed, 0);
});

test('the same as the sudo user student, with a become password (never printed)', async () => {
  const pb = writePlaybook(dir, 'lab2.yaml', PB.replace('/etc/kvplay-lab-test', '/etc/kvplay-lab-test2').replace('cat /etc/kvplay-lab-test', 'cat /etc/kvplay-lab-test2'));
  const r = await kvplay([pb, '-i', lab.studentInventoryPath], { json: true });
  assert.is(r.code, 0, r.stdout + r.stderr);
  const { readFileSync } = await import('node:fs');
  const pw = readFileSync(lab.studentPasswordPath, 'utf8').trim();
  assert.not.ok(r.stdout.includes(pw) || r.stderr.includes(pw));
});

test('no -i: the lab inventory is used when the lab is up, and kvplay says so', async () => {
  const pb = writePlaybook(dir, 'ping.yaml', '- hosts: kvm_hosts\n  gather_facts: false\n  tasks:\n    - ping:\n');
  const r = await kvplay([pb]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /lab/);
  assert.match(r.stdout, /kvm1/);
  assert.match(r.stdout, /kvm2/);
});

test.run();
