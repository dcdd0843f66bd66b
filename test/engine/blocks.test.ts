/**
 * block / rescue / always: who runs what, and the PLAY RECAP counts (rescued, failed), as
 * ansible-playbook 2.14 -c local shows them for the same playbook.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { counts, runLocal } from './local.js';

const SITE = `- hosts: all
  gather_facts: false
  tasks:
    - block:
        - name: b1
          fail: {msg: boom}
          when: inventory_hostname == 'a'
        - name: b2
          debug: {msg: b2}
      rescue:
        - name: r1
          debug: {msg: "rescued {{ ansible_failed_task.name }}"}
      always:
        - name: al
          debug: {msg: always}
    - block:
        - name: fail in b
          fail: {msg: boom}
          when: inventory_hostname == 'b'
      always:
        - name: al2
          debug: {msg: always2}
    - name: last
      debug: {msg: "{{ ansible_play_hosts }}"}
    - block:
        - name: rescue fails too
          fail: {msg: again}
      rescue:
        - name: r2
          fail: {msg: in rescue}
      always:
        - name: al3
          debug: {msg: always3}
`;

test('rescue runs for the failed host, always for all; the recap as Ansible counts it', async () => {
  const r = await runLocal({ 'site.yml': SITE });
  const on = (task: string) => r.results(task).map((e) => `${e.host}:${e.status}`).sort();
  assert.equal(on('b1'), ['a:failed', 'b:skipped']);
  assert.equal(on('b2'), ['b:ok'], 'a failed in the block: the rest of it does not run there');
  assert.equal(on('r1'), ['a:ok']);
  assert.is(r.msg('r1', 'a'), 'rescued b1', 'the rescue sees ansible_failed_task');
  assert.equal(on('al'), ['a:ok', 'b:ok']);
  assert.equal(on('al2'), ['a:ok', 'b:ok'], 'always runs on the host that failed with no rescue');
  assert.equal(on('last'), ['a:ok'], 'a failure without rescue ends the host');
  assert.equal(r.msg('last', 'a'), ['a']);
  assert.equal(on('r2'), ['a:failed']);
  assert.equal(on('al3'), ['a:ok']);
  // ansible-playbook 2.14: a ok=5 failed=1 skipped=1 rescued=2; b ok=3 failed=1 skipped=1
  assert.is(counts(r.recap.a), 'ok=5 failed=1 skipped=1 rescued=2');
  assert.is(counts(r.recap.b), 'ok=3 failed=1 skipped=1');
  assert.is(r.code, 2);
});

test('meta: clear_host_errors in an always keeps the host alive after the block', async () => {
  const r = await runLocal({
    'site.yml': `- hosts: a
  gather_facts: false
  tasks:
    - block:
        - fail: {msg: boom}
      always:
        - meta: clear_host_errors
    - name: after
      debug: {msg: alive}
`,
  });
  assert.equal(r.results('after').map((e) => `${e.host}:${e.status}`), ['a:ok']);
});

test('ignore_errors and any_errors_fatal: counted as ansible-playbook 2.14 counts them; a fatal failure stops the run', async () => {
  const r = await runLocal({
    'site.yml': `- hosts: all
  gather_facts: false
  tasks:
    - name: ign
      fail: {msg: x}
      ignore_errors: true
      when: inventory_hostname == 'a'
    - name: changed ign
      command: /bin/false
      ignore_errors: true
    - block:
        - name: aef in block with rescue
          fail: {msg: boom}
          when: inventory_hostname == 'a'
      rescue:
        - name: rescue
          debug: {msg: r}
      any_errors_fatal: true
    - name: after
      debug: {msg: after}
- hosts: all
  gather_facts: false
  any_errors_fatal: true
  tasks:
    - name: fatal on b
      fail: {msg: fatal}
      when: inventory_hostname == 'b'
    - name: never
      debug: {msg: never}
- hosts: all
  gather_facts: false
  tasks:
    - name: next play
      debug: {msg: x}
`,
  });
  const on = (task: string) => r.results(task).map((e) => `${e.host}:${e.status}`).sort();
  assert.equal(on('after'), ['a:ok', 'b:ok'], 'a rescued failure is not fatal');
  assert.equal(on('never'), []);
  assert.equal(on('next play'), [], 'any_errors_fatal stops the run');
  // ansible-playbook 2.14: a ok=4 changed=1 skipped=1 rescued=1 ignored=2; b ok=2 changed=1 failed=1 skipped=2 ignored=1
  assert.is(counts(r.recap.a), 'ok=4 changed=1 skipped=1 rescued=1 ignored=2');
  assert.is(counts(r.recap.b), 'ok=2 changed=1 failed=1 skipped=2 ignored=1');
  assert.is(r.code, 2);
});

test.run();
