/**
 * Valid Ansible input that kvplay must run (not refuse), end to end with the real CLI on real
 * sshd hosts: templated become_user/become_method (per loop item too), environment using the loop
 * item, templated vars_files names (rendered per host), dynamically named include_tasks, set_fact
 * with a templated name, trailing commas in expressions, and the template module's line ends.
 */
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHosts, kvplay, writePlaybook, recapOf, type Lab } from './helpers.js';
import { createTestUser, type TestUser } from '../harness/sshd.js';
import { requires } from '../harness/gate.js';

/** Needs real sshd hosts and a sudo test user (root): elsewhere every test is reported as skipped with the reason. */
const test = requires({ sshd: true, sudo: true });

const USER = 'kvplayvalid';
let lab: Lab;
let u: TestUser;
test.before(async () => {
  // two hosts: host1 in group web, host2 in group db; every host has env=prod
  lab = await startHosts(2, { env: 'prod' });
  u = createTestUser(USER, 'unused-password-1');
});
test.after(async () => {
  u?.cleanup();
  await lab?.stop();
  if (lab) rmSync(lab.dir, { recursive: true, force: true });
});

const run = (name: string, text: string, args: string[] = []) => kvplay([writePlaybook(lab.dir, name, text), '-i', lab.inventory, ...args], { json: true });
const failures = (events: any[]) => events.filter((e) => e.kind === 'host_result' && e.status === 'failed').map((e) => `${e.task}: ${e.reason}`);
const read = (h: string, f: string) => readFileSync(join(lab.work(h), f), 'utf8');

test('become_user and become_method are templated, also per loop item', async () => {
  const r = await run('become.yaml', `- hosts: all
  gather_facts: false
  vars:
    target_user: ${USER}
    how: sudo
  tasks:
    - command: whoami
      become: true
      become_user: "{{ target_user }}"
      become_method: "{{ how }}"
      register: w
    - copy: { content: "{{ w.stdout }}\\n", dest: "{{ work }}/whoami" }
    - command: whoami
      become: true
      become_user: "{{ item }}"
      loop: [root, ${USER}]
      register: ws
    - copy: { content: "{{ ws.results | map(attribute='stdout') | join(',') }}\\n", dest: "{{ work }}/who-items" }
`);
  assert.is(r.code, 0, failures(r.events).join('\n') || r.stdout + r.stderr);
  for (const h of lab.hosts) {
    assert.is(read(h, 'whoami'), `${USER}\n`);
    assert.is(read(h, 'who-items'), `root,${USER}\n`);
  }
});

test('environment uses the loop item (rendered per item)', async () => {
  const r = await run('env.yaml', `- hosts: all
  gather_facts: false
  tasks:
    - shell: printf '%s\\n' "$GREETING" >> {{ work }}/greetings
      environment:
        GREETING: "hi-{{ item }}-{{ inventory_hostname }}"
      loop: [a, b]
`);
  assert.is(r.code, 0, failures(r.events).join('\n') || r.stdout + r.stderr);
  for (const h of lab.hosts) assert.is(read(h, 'greetings'), `hi-a-${h}\nhi-b-${h}\n`);
});

test('templated vars_files names: rendered per host with its inventory vars; the static check defers', async () => {
  mkdirSync(join(lab.dir, 'vars'), { recursive: true });
  writeFileSync(join(lab.dir, 'vars', 'prod.yml'), 'stage_msg: production\n');
  writeFileSync(join(lab.dir, 'vars', 'web.yml'), 'group_msg: from-web\n');
  writeFileSync(join(lab.dir, 'vars', 'db.yml'), 'group_msg: from-db\n');
  const r = await run('vf.yaml', `- hosts: all
  gather_facts: false
  vars_files:
    - "vars/{{ env }}.yml"
    - "vars/{{ group_names | first }}.yml"
  tasks:
    - copy: { content: "{{ stage_msg }} {{ group_msg }}\\n", dest: "{{ work }}/vf" }
`);
  assert.is(r.code, 0, failures(r.events).join('\n') || r.stdout + r.stderr);
  assert.is(read('host1', 'vf'), 'production from-web\n');
  assert.is(read('host2', 'vf'), 'production from-db\n');
  // a name no source defines still fails, at run time, with its file:line
  const bad = await run('vf-bad.yaml', `- hosts: all
  gather_facts: false
  vars_files: ["vars/{{ env }}.yml"]
  tasks:
    - copy: { content: "{{ no_such_var }}\\n", dest: "{{ work }}/vf-bad" }
`);
  assert.is(bad.code, 2, bad.stdout + bad.stderr);
  assert.match(failures(bad.events).join('\n'), /no_such_var/);
  assert.match(failures(bad.events).join('\n'), /vf-bad\.yaml:5/);
});

test('dynamically named include_tasks and set_fact with a templated name define variables later tasks use', async () => {
  writeFileSync(join(lab.dir, 'setup-part.yml'), `- set_fact:
    from_part: made-in-part
`);
  const r = await run('dyn.yaml', `- hosts: all
  gather_facts: false
  vars:
    part: setup-part
    keyname: dyn_fact
  tasks:
    - include_tasks: "{{ part }}.yml"
    - set_fact:
        "{{ keyname }}": 42
    - copy: { content: "{{ from_part }} {{ dyn_fact + 1 }}\\n", dest: "{{ work }}/dyn" }
`);
  assert.is(r.code, 0, failures(r.events).join('\n') || r.stdout + r.stderr);
  for (const h of lab.hosts) assert.is(read(h, 'dyn'), 'made-in-part 43\n');
  assert.equal(Object.keys(recapOf(r.events)).sort(), lab.hosts);
});

test('trailing commas in expressions; the template module writes LF from a CRLF template with a #jinja2 header', async () => {
  mkdirSync(join(lab.dir, 'templates'), { recursive: true });
  writeFileSync(join(lab.dir, 'templates', 'crlf.j2'), '#jinja2: lstrip_blocks: True\r\n[main]\r\n  {% for k in keys %}\r\n{{ k }}=1\r\n  {% endfor %}\r\n');
  const r = await run('tc.yaml', `- hosts: all
  gather_facts: false
  vars:
    keys: [a, b,]
  tasks:
    - template: { src: crlf.j2, dest: "{{ work }}/crlf.conf" }
      when: inventory_hostname in ['host1', 'host2',]
    - copy: { content: "{{ [1, 2,] | join(',',) }} {{ {'k': 1,} | length }}\\n", dest: "{{ work }}/tc" }
`);
  assert.is(r.code, 0, failures(r.events).join('\n') || r.stdout + r.stderr);
  for (const h of lab.hosts) {
    assert.is(read(h, 'crlf.conf'), '[main]\na=1\nb=1\n');
    assert.is(read(h, 'tc'), '1,2 1\n');
  }
});

test.run();
