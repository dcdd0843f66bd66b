/**
 * Issue 11, "refused or failing where Ansible runs", engine semantics and keywords: the same
 * playbook under ansible-playbook and kvplay, on two hosts, gives the same exit code, PLAY RECAP
 * and files: any_errors_fatal with block/rescue/always, meta: clear_host_errors and the play host
 * lists, a failing loop expression, notify on a block, force_handlers, meta: end_batch, listen and
 * include_tasks in a role's handlers, handlers_from, role variables (public, vars_from,
 * defaults_from, tasks_from), action/local_action, ignore_unreachable, async/poll and
 * async_status, become_method: su.
 */
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { requires } from '../harness/gate.js';
import { createTestUser, type TestUser } from '../harness/sshd.js';
import { kvplay as runKvplay } from '../e2e/helpers.js';
import { both, oracleHosts, type OracleHost, type Outcome } from './oracle.js';

const test = requires({ sshd: true, tools: ['ansible-playbook'] });
const suTest = requires({ sshd: true, sudo: true, tools: ['ansible-playbook'] });
let h: OracleHost;
test.before(async () => {
  h = await oracleHosts(2);
});
test.after(async () => {
  await h?.stop();
});

function files(fs: Record<string, string>): void {
  for (const [rel, text] of Object.entries(fs)) {
    const p = join(h.dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
}

async function same(name: string, playbook: string, wantCode: number, args: string[] = [], on: OracleHost = h): Promise<{ ansible: Outcome; kvplay: Outcome }> {
  const r = await both(on, name, playbook, args);
  const { ansible, kvplay } = r;
  assert.is(ansible.code, wantCode, `ansible-playbook:\n${ansible.out}`);
  assert.equal(kvplay.recap, ansible.recap, `PLAY RECAP\n--- ansible\n${ansible.out}\n--- kvplay\n${kvplay.out}`);
  assert.equal(kvplay.files, ansible.files, `files\n--- ansible\n${ansible.out}\n--- kvplay\n${kvplay.out}`);
  assert.is(kvplay.code, ansible.code, `exit code\n--- kvplay\n${kvplay.out}`);
  return r;
}

/** A marker file per host: `{{ out }}/NAME-HOST` holding `content`. */
const mark = (name: string, content = 'x') => `copy: { content: "${content}", dest: "{{ out }}/${name}-{{ inventory_hostname }}" }`;

test('any_errors_fatal with a block and a rescue: the rescue runs and the play goes on', async () => {
  await same('aef-rescue', `
- hosts: web
  gather_facts: false
  any_errors_fatal: true
  tasks:
    - block:
        - command: /bin/false
          when: inventory_hostname == 'host1'
        - ${mark('after-in-block')}
      rescue:
        - ${mark('rescue', '{{ ansible_play_hosts }} {{ ansible_play_hosts_all }}')}
      always:
        - ${mark('always')}
    - ${mark('next')}
`, 0);
});

test('any_errors_fatal: a rescue that fails, and a block with only an always, do not stop the play', async () => {
  await same('aef-rescue-fails', `
- hosts: web
  gather_facts: false
  any_errors_fatal: true
  tasks:
    - block:
        - command: /bin/false
          when: inventory_hostname == 'host1'
        - ${mark('after-in-block')}
      rescue:
        - command: /bin/false
        - ${mark('after-in-rescue')}
      always:
        - ${mark('always', '{{ ansible_play_hosts }}')}
    - ${mark('next')}
`, 2);
  await same('aef-always', `
- hosts: web
  gather_facts: false
  any_errors_fatal: true
  tasks:
    - block:
        - command: /bin/false
          when: inventory_hostname == 'host1'
        - ${mark('after-in-block')}
      always:
        - ${mark('always')}
    - ${mark('next')}
`, 2);
});

test('any_errors_fatal outside a block stops the whole run', async () => {
  await same('aef-plain', `
- hosts: web
  gather_facts: false
  tasks:
    - command: /bin/false
      when: inventory_hostname == 'host1'
      any_errors_fatal: true
    - ${mark('next')}
- hosts: web
  gather_facts: false
  tasks:
    - ${mark('play2')}
`, 2);
});

test('meta: clear_host_errors in an always revives the host; ansible_play_hosts leaves failed hosts out', async () => {
  await same('clear', `
- hosts: web
  gather_facts: false
  tasks:
    - block:
        - command: /bin/false
          when: inventory_hostname == 'host1'
      always:
        - ${mark('always', '{{ ansible_play_hosts }} {{ ansible_play_hosts_all }} {{ ansible_play_batch }}')}
        - meta: clear_host_errors
    - ${mark('next', '{{ ansible_play_hosts }}')}
`, 0);
});

test('a loop whose expression fails: the task fails with the error, ignore_errors applies', async () => {
  const pb = `
- hosts: web
  gather_facts: false
  tasks:
    - debug: { msg: "{{ item }}" }
      loop: "{{ nope_list }}"
      ignore_errors: true
    - include_tasks: no_matter.yml
      loop: "{{ nope_list2 }}"
      ignore_errors: true
    - debug: { msg: "{{ item }}" }
      loop: "{{ 5 }}"
      ignore_errors: true
    - block:
        - debug: { msg: "{{ item }}" }
          loop: "{{ [1, 2] | map('nosuchfilter') | list }}"
      rescue:
        - ${mark('rescued')}
    - ${mark('after')}
`;
  const { kvplay } = await same('loopfail', pb, 0);
  assert.match(kvplay.out, /nope_list/);
  const path = join(h.dir, 'loopfail.yml');
  const vvv = await runKvplay(['-i', h.inventory, path, '-e', `out=${h.dir}/loopfail-vvv`, '-vvv']);
  assert.match(vvv.stdout, /undefined variable 'nope_list'/);
  mkdirSync(`${h.dir}/loopfail-json`, { recursive: true });
  const json = await runKvplay(['-i', h.inventory, path, '-e', `out=${h.dir}/loopfail-json`], { json: true });
  const failed = json.events.filter((e) => e.kind === 'host_result' && e.status === 'failed');
  assert.ok(failed.some((e) => /undefined variable 'nope_list'/.test(e.reason) && e.ignored === true), JSON.stringify(failed));
  assert.ok(failed.some((e) => /nope_list2/.test(e.reason)), 'the include loop error too');
});

test('notify on a block, listen and include_tasks in a role\'s handlers, handlers_from', async () => {
  files({
    'roles/rh/handlers/main.yml': `- name: rh restart\n  ${mark('rh-restart')}\n  listen: rh topic\n- name: rh included\n  include_tasks: hinc.yml\n`,
    'roles/rh/handlers/hinc.yml': `- ${mark('rh-handler-include')}\n`,
    'roles/rh/handlers/other.yml': `- name: rh other\n  ${mark('rh-other')}\n`,
    'roles/rh/tasks/main.yml': '- command: "true"\n  notify: [rh topic, rh included]\n',
    'roles/rh/tasks/other.yml': '- command: "true"\n  notify: rh other\n',
  });
  await same('handlers', `
- hosts: web
  gather_facts: false
  roles: [rh]
  tasks:
    - block:
        - command: "true"
        - debug: { msg: x }
      notify: block handler
    - include_role: { name: rh, tasks_from: other, handlers_from: other }
  handlers:
    - name: block handler
      ${mark('block-handler')}
`, 0);
});

test('force_handlers: notified handlers run on a host that failed (keyword and --force-handlers)', async () => {
  const pb = (kw: string) => `
- hosts: web
  gather_facts: false
  ${kw}
  tasks:
    - command: "true"
      notify: h1
    - command: /bin/false
      when: inventory_hostname == 'host1'
    - ${mark('after')}
  handlers:
    - name: h1
      ${mark('handler')}
`;
  await same('force-kw', pb('force_handlers: true'), 2);
  await same('force-cli', pb(''), 2, ['--force-handlers']);
  await same('force-none', pb(''), 2);
});

test('meta: end_batch ends the serial batch, end_play every batch', async () => {
  await same('endbatch', `
- hosts: web
  gather_facts: false
  serial: 1
  tasks:
    - ${mark('one')}
    - meta: end_batch
      when: inventory_hostname == 'host1'
    - ${mark('two')}
- hosts: web
  gather_facts: false
  serial: 1
  tasks:
    - meta: end_play
    - ${mark('never')}
- hosts: web
  gather_facts: false
  tasks:
    - ${mark('play3')}
`, 0);
});

test('role variables: roles: are the play\'s, include_role is private unless public, vars_from, defaults_from, tasks_from', async () => {
  files({
    'roles/rv/vars/main.yml': 'rvv: rv-vars\n',
    'roles/rv/defaults/main.yml': 'rvd: rv-defaults\n',
    'roles/rv/tasks/main.yml': '- debug: { msg: "{{ rvv }}" }\n',
    'roles/rq/vars/main.yml': 'rqv: rq-vars\n',
    'roles/rq/vars/alt.yml': 'rqv: rq-alt-vars\n',
    'roles/rq/defaults/main.yml': 'rqd: rq-defaults\n',
    'roles/rq/defaults/alt.yml': 'rqd: rq-alt-defaults\n',
    'roles/rq/tasks/main.yml': `- ${mark('rq-main', '{{ rqv }} {{ rqd }}')}\n`,
    'roles/rq/tasks/alt.yml': `- ${mark('rq-alt', '{{ rqv }} {{ rqd }}')}\n`,
  });
  await same('rolevars', `
- hosts: web
  gather_facts: false
  roles: [rv]
  tasks:
    - ${mark('play-sees', '{{ rvv }} {{ rvd }}')}
    - include_role: { name: rq }
    - ${mark('after-private', "{{ rqv | default('hidden') }} {{ rqd | default('hidden') }}")}
    - include_role: { name: rq, tasks_from: alt, vars_from: alt, defaults_from: alt, public: true }
    - ${mark('after-public', "{{ rqv | default('hidden') }} {{ rqd | default('hidden') }}")}
`, 0);
});

test('action: and local_action:', async () => {
  await same('action', `
- hosts: web
  gather_facts: false
  tasks:
    - action: copy content="a {{ inventory_hostname }}" dest="{{ out }}/action1-{{ inventory_hostname }}"
    - action:
        module: copy
        content: b
        dest: "{{ out }}/action2-{{ inventory_hostname }}"
    - local_action: command echo local
      register: lo
    - ${mark('local', '{{ lo.stdout }}')}
`, 0);
});

test('ignore_unreachable: the host stays in the play until a task that does not ignore it', async () => {
  const inv = join(h.dir, 'dead.yaml');
  writeFileSync(inv, JSON.stringify({ all: { children: { dead: { hosts: { ghost: { ansible_host: '127.0.0.1', ansible_port: 1, ansible_user: 'root', ansible_connection: 'ssh' } } } } } }));
  await same('unreachable', `
- hosts: dead
  gather_facts: false
  tasks:
    - command: "true"
      ignore_unreachable: true
    - debug: { msg: still here }
    - command: "true"
    - debug: { msg: never }
`, 4, [], { ...h, inventory: inv });
});

test('async: poll 0 starts a job that async_status follows; poll > 0 waits', async () => {
  await same('async', `
- hosts: web
  gather_facts: false
  tasks:
    - command: sh -c 'sleep 1; echo hi'
      async: 30
      poll: 0
      register: job
    - ${mark('job', '{{ job.started }} {{ job.finished }} {{ job.ansible_job_id is string }}')}
    - async_status: { jid: "{{ job.ansible_job_id }}" }
      register: st
      until: st.finished
      retries: 30
      delay: 1
    - ${mark('status', '{{ st.stdout }} {{ st.rc }} {{ st.finished }}')}
    - command: sh -c 'sleep 1; echo waited'
      async: 30
      poll: 1
      register: w
    - ${mark('waited', '{{ w.stdout }} {{ w.finished }}')}
`, 0);
});

let su: TestUser | undefined;
suTest('become_method: su', async () => {
  su = createTestUser('kvplaysu', 'Su-pass-123');
  try {
    await same('su', `
- hosts: web
  gather_facts: false
  tasks:
    - command: id -un
      become: true
      become_method: su
      become_user: ${su.name}
      register: who
    - ${mark('who', '{{ who.stdout }}')}
    - command: id -un
      become_method: su
      register: nobecome
    - ${mark('nobecome', '{{ nobecome.stdout }}')}
`, 0);
  } finally {
    su.cleanup();
  }
});

test.run();
