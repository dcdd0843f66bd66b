/**
 * More keywords and modules end to end against a real sshd: meta (flush_handlers, end_host,
 * end_play), handlers with listen, serial, any_errors_fatal, include_role, with_dict, with_items,
 * delegate_to, fetch, slurp, raw, fail, ping, wait_for, pause, vars precedence, exit codes.
 */
import * as assert from 'uvu/assert';
import { readFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHosts, kvplay, writePlaybook, recapOf, type Lab } from './helpers.js';
import { requires } from '../harness/gate.js';

/** Needs real sshd hosts (root): elsewhere every test is reported as skipped with the reason. */
const test = requires({ sshd: true });

let lab: Lab;
test.before(async () => {
  lab = await startHosts(3);
});
test.after(async () => {
  await lab?.stop();
  rmSync(lab.dir, { recursive: true, force: true });
});

const run = (name: string, text: string, args: string[] = []) => kvplay([writePlaybook(lab.dir, name, text), '-i', lab.inventory, ...args], { json: true });
const results = (events: any[], task: string) => events.filter((e) => e.kind === 'host_result' && e.task === task);

test('handlers: listen, flush_handlers runs them mid-play, once per host', async () => {
  const r = await run('h.yaml', `- hosts: all
  gather_facts: false
  tasks:
    - copy: { content: "1\\n", dest: "{{ work }}/h1" }
      notify: [restart things]
    - copy: { content: "2\\n", dest: "{{ work }}/h2" }
      notify: restart things
    - meta: flush_handlers
    - name: after flush
      shell: test -f {{ work }}/handled && echo yes
      register: seen
      changed_when: false
    - assert: { that: "seen.stdout == 'yes'" }
  handlers:
    - name: write marker
      shell: echo x >> {{ work }}/handled
      listen: restart things
`);
  assert.is(r.code, 0, r.stdout);
  for (const h of lab.hosts) assert.is(readFileSync(join(lab.work(h), 'handled'), 'utf8'), 'x\n');
});

test('meta end_host stops one host; end_play stops the play; later plays still run', async () => {
  const r = await run('m.yaml', `- hosts: all
  gather_facts: false
  tasks:
    - meta: end_host
      when: inventory_hostname == 'host1'
    - copy: { content: "a\\n", dest: "{{ work }}/after-end-host" }
    - meta: end_play
    - copy: { content: "b\\n", dest: "{{ work }}/after-end-play" }
- hosts: host1
  gather_facts: false
  tasks:
    - copy: { content: "c\\n", dest: "{{ work }}/second-play" }
`);
  assert.is(r.code, 0, r.stdout);
  assert.not.ok(existsSync(join(lab.work('host1'), 'after-end-host')));
  assert.ok(existsSync(join(lab.work('host2'), 'after-end-host')));
  for (const h of lab.hosts) assert.not.ok(existsSync(join(lab.work(h), 'after-end-play')));
  assert.ok(existsSync(join(lab.work('host1'), 'second-play')));
});

test('serial runs hosts in batches; any_errors_fatal stops everything; exit 2', async () => {
  const r = await run('s.yaml', `- hosts: all
  gather_facts: false
  serial: 1
  tasks:
    - shell: date +%s%N > {{ work }}/t1; sleep 0.2
    - shell: date +%s%N > {{ work }}/t2
`);
  assert.is(r.code, 0, r.stdout);
  const t = (h: string, f: string) => BigInt(readFileSync(join(lab.work(h), f), 'utf8').trim());
  assert.ok(t('host1', 't2') < t('host2', 't1'), 'host2 started after host1 finished');
  const f = await run('f.yaml', `- hosts: all
  gather_facts: false
  any_errors_fatal: true
  tasks:
    - command: "false"
      when: inventory_hostname == 'host2'
    - copy: { content: "x\\n", dest: "{{ work }}/after-fatal" }
`);
  assert.is(f.code, 2);
  for (const h of lab.hosts) assert.not.ok(existsSync(join(lab.work(h), 'after-fatal')));
});

test('include_role, with_dict, with_items, loop_control index_var, register of a loop', async () => {
  writePlaybook(lab.dir, 'roles/greet/tasks/main.yaml', '- copy: { content: "{{ greeting }} from {{ role_name }}\\n", dest: "{{ work }}/greet" }\n');
  writePlaybook(lab.dir, 'roles/greet/defaults/main.yaml', 'greeting: hi\n');
  const r = await run('i.yaml', `- hosts: host1
  gather_facts: false
  tasks:
    - include_role: { name: greet }
      vars: { greeting: hello }
    - lineinfile: { path: "{{ work }}/dict", line: "{{ item.key }}={{ item.value }}", create: true }
      with_dict: { a: 1, b: 2 }
    - lineinfile: { path: "{{ work }}/items", line: "{{ idx }}:{{ item }}", create: true }
      with_items: [[x, y], z]
      loop_control: { index_var: idx }
      register: looped
    - assert: { that: ["looped.results | length == 3", "looped.changed"] }
`);
  assert.is(r.code, 0, r.stdout);
  const w = lab.work('host1');
  assert.is(readFileSync(join(w, 'greet'), 'utf8'), 'hello from greet\n');
  assert.is(readFileSync(join(w, 'dict'), 'utf8'), 'a=1\nb=2\n');
  assert.is(readFileSync(join(w, 'items'), 'utf8'), '0:x\n1:y\n2:z\n');
});

test('fetch, slurp, raw, ping, wait_for, pause, fail, delegate_to', async () => {
  const ctl = join(lab.dir, 'fetched');
  writeFileSync(join(lab.work('host2'), 'remote.txt'), 'remote data\n');
  const r = await run('x.yaml', `- hosts: host2
  gather_facts: false
  tasks:
    - ping:
    - raw: echo raw-ok
      register: rw
      changed_when: false
    - assert: { that: "'raw-ok' in rw.stdout" }
    - slurp: { src: "{{ work }}/remote.txt" }
      register: sl
    - assert: { that: "(sl.content | b64decode) == 'remote data\\n'" }
    - fetch: { src: "{{ work }}/remote.txt", dest: "${ctl}/", flat: true }
    - wait_for: { path: "{{ work }}/remote.txt", timeout: 5 }
    - wait_for: { port: ${lab.sshd.port}, host: 127.0.0.1, timeout: 5 }
    - pause: { seconds: 1 }
    - command: hostname
      delegate_to: localhost
      changed_when: false
    - fail: { msg: "stop here" }
      when: false
`);
  assert.is(r.code, 0, r.stdout);
  assert.is(readFileSync(join(ctl, 'remote.txt'), 'utf8'), 'remote data\n');
  const again = await run('x.yaml', readFileSync(join(lab.dir, 'x.yaml'), 'utf8'));
  assert.is(results(again.events, 'fetch').map((e) => e.status).join(), 'ok', 'fetch is idempotent');
  const f = await run('fail.yaml', '- hosts: host2\n  gather_facts: false\n  tasks:\n    - fail: { msg: "custom failure" }\n');
  assert.is(f.code, 2);
  assert.match(results(f.events, 'fail')[0].reason, 'custom failure');
});

test('precedence: extra vars > set_fact > task vars > play vars > inventory > role defaults', async () => {
  writePlaybook(lab.dir, 'roles/prec/defaults/main.yaml', 'v_role: role\nv_inv: role\n');
  writePlaybook(lab.dir, 'roles/prec/tasks/main.yaml', '- debug: { msg: "{{ v_role }}/{{ v_inv }}" }\n  register: d1\n- set_fact: { v_fact: fact }\n- debug: { msg: "{{ v_fact }}" }\n  vars: { v_fact: task }\n  register: d2\n- assert: { that: ["d1.msg == \'role/inventory\'", "d2.msg == \'fact\'", "v_extra == \'extra\'"] }\n');
  const inv = join(lab.dir, 'prec-inv.yaml');
  const base = JSON.parse(readFileSync(lab.inventory, 'utf8'));
  base.all.vars.v_inv = 'inventory';
  base.all.vars.v_extra = 'inventory';
  writeFileSync(inv, JSON.stringify(base));
  const pb = writePlaybook(lab.dir, 'p.yaml', '- hosts: host1\n  gather_facts: false\n  vars: { v_extra: play }\n  roles: [prec]\n');
  const r = await kvplay([pb, '-i', inv, '-e', 'v_extra=extra'], { json: true });
  assert.is(r.code, 0, r.stdout);
});

test('exit codes: 1 for usage errors, 0 for --help', async () => {
  assert.is((await kvplay(['--no-such-flag'])).code, 1);
  assert.is((await kvplay([])).code, 1);
  const h = await kvplay(['--help']);
  assert.is(h.code, 0);
  assert.match(h.stdout, '--check');
  const m = await kvplay(['--list-modules']);
  assert.match(m.stdout, 'lineinfile');
  const d = await kvplay(['--doc', 'copy']);
  assert.is(d.code, 0);
  assert.match(d.stdout, /dest \(string/);
  const bad = await kvplay(['--doc', 'copyy']);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, "did you mean 'copy'");
});

test('task-level diff: false hides the diff of a secret file even with --diff; diff: true shows it without --diff', async () => {
  const pb = writePlaybook(lab.dir, 'd.yaml', `- hosts: host1
  gather_facts: false
  tasks:
    - copy: { content: "token=Hidden-Diff-123\\n", dest: "{{ work }}/tok" }
      diff: false
    - copy: { content: "visible-line\\n", dest: "{{ work }}/vis" }
      diff: true
`);
  const r = await kvplay([pb, '-i', lab.inventory, '--diff']);
  assert.is(r.code, 0, r.stdout);
  assert.not.match(r.stdout, '+token=Hidden-Diff-123');
  assert.match(r.stdout, '+visible-line');
  rmSync(join(lab.work('host1'), 'vis'));
  const r2 = await kvplay([pb, '-i', lab.inventory]);
  assert.match(r2.stdout, '+visible-line');
});

test('templated task names, omit, templated become', async () => {
  const r = await run('t.yaml', `- hosts: host1
  gather_facts: false
  vars: { x: 42, m: "" }
  tasks:
    - name: "value {{ x }}"
      copy: { content: "a\\n", dest: "{{ work }}/omit", mode: "{{ m if m else omit }}" }
    - name: become from an expression
      command: whoami
      become: "{{ 'a' != 'b' }}"
      register: w
      changed_when: false
    - assert: { that: "w.stdout == 'root'" }
`);
  assert.is(r.code, 0, r.stdout);
  assert.ok(r.events.some((e) => e.kind === 'task_start' && e.task === 'value 42'));
  assert.ok(existsSync(join(lab.work('host1'), 'omit')));
});

test('-v shows reasons of ok results; recap counts per host', async () => {
  const r = await kvplay([writePlaybook(lab.dir, 'v.yaml', '- hosts: all\n  gather_facts: false\n  tasks:\n    - stat: { path: / }\n'), '-i', lab.inventory, '-v']);
  assert.is(r.code, 0);
  assert.match(r.stdout, /ok: \[host1\] => /);
  assert.match(r.stdout, /host3 +: ok=1 changed=0/);
  void recapOf;
});

test.run();
