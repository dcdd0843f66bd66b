/**
 * Issue 11: the play keyword max_fail_percentage (with and without serial batches) and the
 * task/block keyword throttle, each checked against ansible-playbook 2.14 on three real sshd hosts
 * (recap, exit code, which hosts ran the later tasks).
 */
import * as assert from 'uvu/assert';
import { requires } from '../harness/gate.js';
import { assertSame, both, oracleHosts, type OracleHost } from './oracle.js';

const test = requires({ sshd: true, tools: ['ansible-playbook'] });
let h: OracleHost;
test.before(async () => {
  h = await oracleHosts(3);
});
test.after(async () => {
  await h?.stop();
});

const same = assertSame;

/** One host of three fails its first task; the later tasks write a file per host that ran them. */
const failOne = (mfp: string, extra = '') => `
- hosts: web
  gather_facts: false
  max_fail_percentage: ${mfp}
${extra}  tasks:
    - fail: { msg: boom }
      when: inventory_hostname == 'host2'
    - copy: { content: "after", dest: "{{ out }}/after-{{ inventory_hostname }}" }
- hosts: web
  gather_facts: false
  tasks:
    - copy: { content: "next", dest: "{{ out }}/next-{{ inventory_hostname }}" }
`;

for (const [mfp, stops] of [['30', true], ['34', false], ['0', true], ['"33%"', true], ['"34%"', false], ['33.4', false]] as const) {
  test(`max_fail_percentage ${mfp}: one of three hosts failing (33.3%) ${stops ? 'stops the play and the run' : 'is within the limit'}`, async () => {
    const r = await both(h, `mfp-${mfp.replace(/\W/g, '')}`, failOne(mfp));
    same(r);
    assert.is(r.kvplay.code, 2);
    assert.is('after-host1' in r.kvplay.files, !stops, r.kvplay.out);
    if (stops) assert.match(r.kvplay.out, /NO MORE HOSTS LEFT/);
  });
}

test('max_fail_percentage with serial: the batch is what counts (50% of a batch of 2 exceeds 49, not 50)', async () => {
  for (const mfp of ['49', '50']) {
    const r = await both(h, `mfp-serial-${mfp}`, failOne(mfp, '  serial: 2\n'));
    same(r);
    assert.is('after-host3' in r.kvplay.files, mfp === '50', r.kvplay.out);
  }
});

test('max_fail_percentage: rescued and ignored failures do not count; a templated value', async () => {
  const r = await both(h, 'mfp-rescue', `
- hosts: web
  gather_facts: false
  vars: { limit: 10 }
  max_fail_percentage: "{{ limit }}"
  tasks:
    - block:
        - fail: { msg: boom }
          when: inventory_hostname == 'host1'
      rescue:
        - debug: { msg: rescued }
    - fail: { msg: ignored }
      when: inventory_hostname == 'host2'
      ignore_errors: true
    - copy: { content: "after", dest: "{{ out }}/after-{{ inventory_hostname }}" }
    - fail: { msg: boom }
      when: inventory_hostname == 'host3'
    - copy: { content: "last", dest: "{{ out }}/last-{{ inventory_hostname }}" }
`);
  same(r);
  assert.ok('after-host1' in r.kvplay.files && !('last-host1' in r.kvplay.files), r.kvplay.out);
});

test('max_fail_percentage: a handler that fails counts too (post_tasks do not run)', async () => {
  const r = await both(h, 'mfp-handler', `
- hosts: web
  gather_facts: false
  max_fail_percentage: 30
  tasks:
    - command: "true"
      notify: h
  handlers:
    - name: h
      fail: { msg: boom }
      when: inventory_hostname == 'host3'
  post_tasks:
    - copy: { content: "post", dest: "{{ out }}/post-{{ inventory_hostname }}" }
`);
  same(r);
});

test('throttle on a task, a block (templated) and with run_once: the same results and recap', async () => {
  const r = await both(h, 'throttle', `
- hosts: web
  gather_facts: false
  vars: { n: 1 }
  tasks:
    - command: echo {{ inventory_hostname }}
      throttle: 1
      register: c
    - block:
        - copy: { content: "{{ c.stdout }}", dest: "{{ out }}/t-{{ inventory_hostname }}" }
        - copy: { content: "{{ c.stdout }}", dest: "{{ out }}/u-{{ inventory_hostname }}" }
          throttle: 2
      throttle: "{{ n }}"
    - copy: { content: "once", dest: "{{ out }}/once" }
      run_once: true
      throttle: 1
`);
  same(r);
  assert.is(r.kvplay.code, 0, r.kvplay.out);
});

test.run();
