/**
 * Issue 11, magic variables: the same playbook under ansible-playbook and kvplay writes the same
 * values (ansible_playbook_python exists, ansible_run_tags, role_names, ansible_loop with
 * loop_control.extended, ansible_failed_task/result in a rescue, role_name never shadowing a user
 * variable outside a role).
 */
import * as assert from 'uvu/assert';
import { requires } from '../harness/gate.js';
import { both, oracleHosts, type OracleHost } from './oracle.js';

const test = requires({ sshd: true, tools: ['ansible-playbook'] });
let h: OracleHost;
test.before(async () => {
  h = await oracleHosts(1);
});
test.after(async () => {
  await h?.stop();
});

async function same(name: string, playbook: string, args: string[] = []): Promise<void> {
  const { ansible, kvplay } = await both(h, name, playbook, args);
  assert.is(ansible.code, 0, `ansible-playbook failed:\n${ansible.out}`);
  assert.equal(kvplay.files, ansible.files, `--- kvplay\n${kvplay.out}`);
  assert.equal(kvplay.recap, ansible.recap, `--- kvplay\n${kvplay.out}`);
  assert.is(kvplay.code, ansible.code);
}

test('magic variables that test inventories and playbooks read', () =>
  same('magic', `
- hosts: web
  gather_facts: false
  vars: { role_name: "mine" }
  tasks:
    - copy:
        dest: "{{ out }}/vals"
        content: |
          {{ ansible_playbook_python is string }} {{ ansible_run_tags }} {{ ansible_skip_tags }}
          {{ role_names }} {{ role_name }} {{ ansible_play_name }} {{ ansible_limit | default('none') }}
          {{ ansible_version.major }}.{{ ansible_version.minor }}
`, ['--tags', 'all']));

test('ansible_loop with loop_control.extended', () =>
  same('loop', `
- hosts: web
  gather_facts: false
  tasks:
    - copy:
        dest: "{{ out }}/i{{ ansible_loop.index }}"
        content: "{{ [ansible_loop.index0, ansible_loop.revindex, ansible_loop.first, ansible_loop.last, ansible_loop.length, ansible_loop.previtem | default('-'), ansible_loop.nextitem | default('-'), ansible_loop.allitems] | to_json }}"
      loop: [a, b, c]
      loop_control: { extended: true }
`));

test('ansible_failed_task and ansible_failed_result in a rescue', () =>
  same('rescue', `
- hosts: web
  gather_facts: false
  tasks:
    - block:
        - name: the failing one
          command: /bin/false
      rescue:
        - copy:
            dest: "{{ out }}/failed"
            content: "{{ ansible_failed_task.name }} {{ ansible_failed_result.rc }} {{ ansible_failed_result.failed }}"
`));

test.run();
