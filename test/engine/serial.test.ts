/**
 * serial batches, meta: end_host and the play-host magic variables, as ansible-playbook 2.14
 * -c local shows them for the same playbook.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { counts, runLocal } from './local.js';

const FILES = {
  'inventory.yml': `all:
  hosts:
    a: {ansible_connection: local}
    b: {ansible_connection: local}
    c: {ansible_connection: local}
`,
  'site.yml': `- hosts: all
  gather_facts: false
  serial: 2
  tasks:
    - name: end b
      meta: end_host
      when: inventory_hostname == 'b'
    - name: show
      debug: {msg: "{{ ansible_play_batch | join(',') }}/{{ ansible_play_hosts | join(',') }}/{{ ansible_play_hosts_all | join(',') }}"}
- hosts: all
  gather_facts: false
  tasks:
    - name: second play
      debug: {msg: "{{ ansible_play_hosts | join(',') }}"}
`,
};

test('end_host: out of the batch and the play; the next play has the host again', async () => {
  const r = await runLocal(FILES);
  assert.is(r.code, 0, r.trail().join('\n'));
  assert.equal(r.results('show').map((e) => e.host), ['a', 'c']);
  // ansible-playbook 2.14: batch 1 "a/a,c/a,b,c", batch 2 "c/a,b,c/a,b,c" (the removed hosts are per batch)
  assert.is(r.msg('show', 'a'), 'a/a,c/a,b,c');
  assert.is(r.msg('show', 'c'), 'c/a,b,c/a,b,c');
  assert.is(r.msg('second play', 'b'), 'a,b,c');
  assert.is(counts(r.recap.a), 'ok=2');
  assert.is(counts(r.recap.b), 'ok=1');
  assert.is(counts(r.recap.c), 'ok=2');
});

test.run();
