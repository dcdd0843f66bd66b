/**
 * Issue 11, "silent differences": the same playbook under ansible-playbook and kvplay gives the
 * same exit code, the same PLAY RECAP and the same registered values.
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

async function same(name: string, playbook: string): Promise<void> {
  const { ansible, kvplay } = await both(h, name, playbook);
  assert.is(ansible.code, 0, `ansible-playbook failed:\n${ansible.out}`);
  assert.equal(kvplay.recap, ansible.recap, `PLAY RECAP differs\n--- kvplay\n${kvplay.out}`);
  assert.is(kvplay.code, ansible.code);
  assert.equal(kvplay.files, ansible.files);
}

test('PLAY RECAP: ok counts changed results too', () =>
  same('recap', `
- hosts: web
  gather_facts: false
  tasks:
    - command: 'true'
    - command: 'true'
      changed_when: false
    - command: 'false'
      ignore_errors: true
    - debug: msg=x
      when: false
`));

test('conditions: Python truth (the string "false" and "no" are true), YAML 1.1 yes', () =>
  same('truth', `
- hosts: web
  gather_facts: false
  vars: { s_false: 'false', s_no: 'no', empty: '' }
  tasks:
    - copy: { content: "ran", dest: "{{ out }}/a" }
      when: s_false
    - copy: { content: "ran", dest: "{{ out }}/b" }
      when: s_no
    - copy: { content: "ran", dest: "{{ out }}/c" }
      when: empty
    - copy: { content: "ran", dest: "{{ out }}/d" }
      when: yes
    - assert: { that: s_no }
`));

test('set_fact in a loop accumulates', () =>
  same('setfact', `
- hosts: web
  gather_facts: false
  tasks:
    - set_fact:
        acc: "{{ acc | default([]) + [item] }}"
      loop: [a, b, c]
    - copy: { content: "{{ acc | to_json }}", dest: "{{ out }}/acc" }
`));

test('failed_when: false on a failing command reports changed', () =>
  same('failedwhen', `
- hosts: web
  gather_facts: false
  tasks:
    - command: 'false'
      failed_when: false
      register: r
    - copy: { content: "{{ r.changed }} {{ r.failed }} {{ r.rc }}", dest: "{{ out }}/r" }
`));

test.run();
