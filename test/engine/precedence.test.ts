/**
 * Variable precedence, as ansible-playbook 2.14 shows it (expectations taken from a run with
 * `-c local` of the same playbook): role defaults < inventory group vars < host vars < play vars
 * < vars_files < role vars < block vars < task vars < set_fact < extra vars; role params inside the
 * role above set_fact, and not seen outside it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runLocal } from './local.js';

const FILES = {
  'inventory.yml': `all:
  vars: {v1: group, v2: group}
  hosts:
    a: {ansible_connection: local, v2: host-a, v3: host}
    b: {ansible_connection: local, v2: host-b, v3: host}
`,
  'roles/r/defaults/main.yml': 'v0: default\nv1: default\nrp: default\n',
  'roles/r/vars/main.yml': 'v5: role\nv6: role\n',
  'roles/r/tasks/main.yml': `- name: in role
  debug: {msg: "{{ rp }}|{{ v6 }}|{{ v10 }}"}
`,
  'vf.yml': 'v4: vars_files\nv5: vars_files\n',
  'site.yml': `- hosts: all
  gather_facts: false
  vars: {v3: play, v4: play, v10: play}
  vars_files: [vf.yml]
  roles:
    - {role: r, rp: param, v10: param}
  tasks:
    - set_fact: {v8: set_fact, v9: set_fact, v10: set_fact}
    - block:
        - name: show
          debug: {msg: "{{ v0 }}|{{ v1 }}|{{ v2 }}|{{ v3 }}|{{ v4 }}|{{ v5 }}|{{ v6 }}|{{ v7 }}|{{ v8 }}|{{ v9 }}|{{ v10 }}"}
          vars: {v7: task, v8: task}
      vars: {v6: block, v7: block}
`,
};

test('each layer beats the one below it (ansible-playbook 2.14 -c local prints the same)', async () => {
  const r = await runLocal(FILES, { extraVars: { v9: 'extra' } });
  assert.is(r.code, 0, r.trail().join('\n'));
  assert.is(r.msg('show', 'a'), 'default|group|host-a|play|vars_files|role|block|task|set_fact|extra|set_fact');
  assert.is(r.msg('show', 'b'), 'default|group|host-b|play|vars_files|role|block|task|set_fact|extra|set_fact');
});

test('role params: above play vars inside the role', async () => {
  const r = await runLocal(FILES, { extraVars: { v9: 'extra' } });
  assert.is(r.msg('in role', 'a'), 'param|role|param');
  assert.is(r.msg('in role', 'b'), 'param|role|param');
});

test('the loaded playbook is not changed by a run: the same model runs twice alike', async () => {
  const one = await runLocal(FILES, { extraVars: { v9: 'x' } });
  const two = await runLocal(FILES, { extraVars: { v9: 'y' } });
  assert.is(one.msg('show'), 'default|group|host-a|play|vars_files|role|block|task|set_fact|x|set_fact');
  assert.is(two.msg('show'), 'default|group|host-a|play|vars_files|role|block|task|set_fact|y|set_fact');
});

test.run();
