/**
 * Loading hardening end to end (kvplay issue 9), the real CLI against a real sshd: role
 * dependencies (order, once, cycle), loop over a dict failing as a task (ignore_errors, rescue),
 * --limit matching nothing, hosts named __proto__ / constructor, a YAML alias bomb bounded in time
 * and memory, a self-including include_tasks, templated NUL and retries, inventory errors.
 */
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHosts, kvplay, writePlaybook, recapOf, BIN, ROOT, type Lab } from './helpers.js';
import { requires } from '../harness/gate.js';

/** Needs real sshd hosts (root): elsewhere every test is reported as skipped with the reason. */
const test = requires({ sshd: true });

let lab: Lab;
test.before(async () => {
  lab = await startHosts(2);
});
test.after(async () => {
  await lab?.stop();
  if (lab) rmSync(lab.dir, { recursive: true, force: true });
});

const run = (name: string, text: string, args: string[] = []) => kvplay([writePlaybook(lab.dir, name, text), '-i', lab.inventory, ...args], { json: true });
const errorsOf = (events: any[]) => events.filter((e) => e.kind === 'error').map((e) => `${e.loc}: ${e.msg}`);
const results = (events: any[], task: string) => events.filter((e) => e.kind === 'host_result' && e.task === task);

test('role dependencies run before the role, once per parameter set; a cycle is a load error naming the chain', async () => {
  writePlaybook(lab.dir, 'roles/ld_base/tasks/main.yml', '- name: ld_base\n  shell: echo "base {{ flavour | default(\'plain\') }}" >> {{ work }}/roles.log\n');
  writePlaybook(lab.dir, 'roles/ld_web/meta/main.yml', 'dependencies:\n  - role: ld_base\n    vars: {flavour: web}\n  - ld_base\n');
  writePlaybook(lab.dir, 'roles/ld_web/tasks/main.yml', '- name: ld_web\n  shell: echo web >> {{ work }}/roles.log\n');
  writePlaybook(lab.dir, 'roles/ld_db/meta/main.yml', 'dependencies: [ld_base]\n');
  writePlaybook(lab.dir, 'roles/ld_db/tasks/main.yml', '- name: ld_db\n  shell: echo db >> {{ work }}/roles.log\n');
  const r = await run('roles.yaml', `- hosts: all
  gather_facts: false
  roles:
    - ld_web
    - ld_db
    - ld_base
`);
  assert.is(r.code, 0, r.stdout + r.stderr);
  for (const h of lab.hosts) assert.is(readFileSync(join(lab.work(h), 'roles.log'), 'utf8'), 'base web\nbase plain\nweb\ndb\n');

  writePlaybook(lab.dir, 'roles/ld_a/meta/main.yml', 'dependencies:\n  - ld_b\n');
  writePlaybook(lab.dir, 'roles/ld_a/tasks/main.yml', '- debug: {msg: a}\n');
  writePlaybook(lab.dir, 'roles/ld_b/meta/main.yml', 'dependencies:\n  - role: ld_a\n');
  writePlaybook(lab.dir, 'roles/ld_b/tasks/main.yml', '- debug: {msg: b}\n');
  const c = await run('cycle.yaml', '- hosts: all\n  gather_facts: false\n  roles: [ld_a]\n');
  assert.is(c.code, 1, c.stdout);
  assert.equal(errorsOf(c.events), [`${join(lab.dir, 'roles/ld_b/meta/main.yml')}:2:5: role dependency cycle: ld_a -> ld_b -> ld_a`]);
  assert.not.ok(c.events.some((e) => e.kind === 'host_result'), 'nothing ran');
});

test("loop over a dict or an int: Ansible's message, a task failure that ignore_errors and rescue handle", async () => {
  const r = await run('loopdict.yaml', `- hosts: all
  gather_facts: false
  vars:
    d: {a: 1}
  tasks:
    - name: over a dict
      debug: {msg: "{{ item }}"}
      loop: "{{ d }}"
      ignore_errors: true
    - block:
        - name: over an int
          debug: {msg: "{{ item }}"}
          loop: 5
      rescue:
        - name: rescued
          shell: echo rescued > {{ work }}/rescued
    - name: after
      shell: echo after > {{ work }}/after
`);
  assert.is(r.code, 0, r.stdout + r.stderr);
  for (const h of lab.hosts) {
    const [dict] = results(r.events, 'over a dict').filter((e) => e.host === h);
    assert.is(dict.status, 'failed');
    assert.ok(dict.ignored, 'ignored');
    assert.match(dict.reason, "Invalid data passed to 'loop', it requires a list, got this instead: {'a': 1}. Hint: If you passed a list/dict of just one element, try adding wantlist=True to your lookup invocation or use q/query instead of lookup.");
    const [int] = results(r.events, 'over an int').filter((e) => e.host === h);
    assert.match(int.reason, 'got this instead: 5.');
    assert.is(readFileSync(join(lab.work(h), 'rescued'), 'utf8'), 'rescued\n');
    assert.is(readFileSync(join(lab.work(h), 'after'), 'utf8'), 'after\n');
    assert.is(recapOf(r.events)[h].ignored, 1);
    assert.is(recapOf(r.events)[h].rescued, 1);
  }
});

test('--limit that matches no host: exit 1 with Ansible\'s message, nothing contacted (also with --list-hosts)', async () => {
  const pb = writePlaybook(lab.dir, 'limit.yaml', '- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: {msg: hi}\n');
  for (const extra of [[], ['--list-hosts']]) {
    const r = await kvplay([pb, '-i', lab.inventory, '--limit', 'nosuchhost', ...extra], { json: true });
    assert.is(r.code, 1, r.stdout + r.stderr);
    assert.ok(errorsOf(r.events).some((e) => e.includes('Specified hosts and/or --limit does not match any hosts')), errorsOf(r.events).join('\n'));
    assert.not.ok(r.events.some((e) => e.kind === 'host_result'));
  }
  const ok = await kvplay([pb, '-i', lab.inventory, '--limit', lab.hosts[0]], { json: true });
  assert.is(ok.code, 0, ok.stdout);
});

test('hosts named __proto__ and hasOwnProperty in a group named constructor: listed and run', async () => {
  const conn = { ansible_host: '127.0.0.1', ansible_port: lab.sshd.port, ansible_user: 'root', ansible_ssh_private_key_file: lab.sshd.clientKey, kvplay_known_hosts_file: lab.sshd.knownHostsFile };
  const inv = join(lab.dir, 'proto-inventory.yaml');
  writeFileSync(inv, `all:
  vars: ${JSON.stringify(conn)}
  hosts:
    __proto__:
      work: ${JSON.stringify(lab.work(lab.hosts[0]))}
      toString: from-inventory
  children:
    constructor:
      hosts:
        __proto__:
        hasOwnProperty:
          work: ${JSON.stringify(lab.work(lab.hosts[1]))}
      vars:
        valueOf: group-var
`);
  const pb = writePlaybook(lab.dir, 'proto.yaml', `- hosts: constructor
  gather_facts: false
  tasks:
    - name: write
      shell: echo "{{ inventory_hostname }} {{ group_names | join(',') }} {{ valueOf }}" > {{ work }}/proto.txt
      register: __proto__
    - assert: {that: ["__proto__.rc == 0"]}
`);
  const list = await kvplay([pb, '-i', inv, '--list-hosts', '--json']);
  assert.is(list.code, 0, list.stdout + list.stderr);
  const listed = list.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).find((e) => e.kind === 'list');
  assert.equal(listed?.items, ['__proto__', 'hasOwnProperty']);
  const r = await kvplay([pb, '-i', inv], { json: true });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.is(readFileSync(join(lab.work(lab.hosts[0]), 'proto.txt'), 'utf8'), '__proto__ constructor group-var\n');
  assert.is(readFileSync(join(lab.work(lab.hosts[1]), 'proto.txt'), 'utf8'), 'hasOwnProperty constructor group-var\n');
  assert.equal(Object.keys(recapOf(r.events)).sort(), ['__proto__', 'hasOwnProperty']);
  assert.is(recapOf(r.events).__proto__.failed, 0);
});

/** The CLI with a hard timeout and a small heap: a run that hangs or balloons fails the test. */
function bounded(args: string[], ms: number): Promise<{ code: number | null; out: string; ms: number; killed: boolean }> {
  return new Promise((res) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, ['--max-old-space-size=256', BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, ms);
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, out, ms: Date.now() - t0, killed });
    });
  });
}

test('a YAML alias bomb in a playbook or in -e: an error naming file:line, in bounded time and memory', async () => {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++) lines.push(`${'abcdefghi'[i]}: &${'abcdefghi'[i]} [${Array(9).fill('*' + 'abcdefghi'[i - 1]).join(',')}]`);
  const pb = writePlaybook(lab.dir, 'bomb.yaml', `- hosts: all\n  gather_facts: false\n  vars:\n${lines.map((l) => '    ' + l).join('\n')}\n  tasks:\n    - debug: {var: i}\n`);
  const a = await bounded([pb, '-i', lab.inventory], 60_000);
  assert.not.ok(a.killed, `hung: killed after ${a.ms} ms`);
  assert.is(a.code, 1, a.out);
  assert.match(a.out, new RegExp(`${pb}:\\d+:\\d+`));
  assert.match(a.out, 'YAML aliases expand to more than');
  const plain = writePlaybook(lab.dir, 'plain.yaml', '- hosts: all\n  gather_facts: false\n  tasks: []\n');
  const b = await bounded([plain, '-i', lab.inventory, '-e', `{${lines.join(', ')}}`], 60_000);
  assert.not.ok(b.killed, `hung: killed after ${b.ms} ms`);
  assert.is(b.code, 1, b.out);
  assert.match(b.out, 'YAML aliases expand to more than');
});

test('a self-including include_tasks: the task fails with the include chain (no stack trace, no endless run)', async () => {
  writePlaybook(lab.dir, 'selfinc.yaml', '- shell: echo x >> {{ work }}/depth\n- include_tasks: "{{ me }}"\n');
  const pb = writePlaybook(lab.dir, 'selfpb.yaml', '- hosts: all\n  gather_facts: false\n  vars: {me: selfinc.yaml}\n  tasks:\n    - include_tasks: "{{ me }}"\n');
  const r = await bounded([pb, '-i', lab.inventory], 120_000);
  assert.not.ok(r.killed, `endless: killed after ${r.ms} ms`);
  assert.is(r.code, 2, r.out);
  assert.match(r.out, 'includes nested more than 50 levels deep');
  assert.match(r.out, `${pb}:5 include_tasks selfinc.yaml`);
  assert.not.match(r.out, /at \w+ \(.*\.m?js:\d+/);
  assert.is(readFileSync(join(lab.work(lab.hosts[0]), 'depth'), 'utf8').split('\n').length - 1, 50);
});

test('templated NUL in a command and a templated retries that is not a number: the task fails clearly', async () => {
  const r = await run('nulrt.yaml', `- hosts: all
  gather_facts: false
  vars:
    word: "a\\0b"
    tries: many
  tasks:
    - name: nul
      shell: echo {{ word }} > {{ work }}/nul
      ignore_errors: true
    - name: retries
      shell: "true"
      register: out
      until: out.rc == 0
      retries: "{{ tries }}"
      ignore_errors: true
`);
  assert.is(r.code, 0, r.stdout + r.stderr);
  for (const h of lab.hosts) {
    const [nul] = results(r.events, 'nul').filter((e) => e.host === h);
    assert.is(nul.status, 'failed');
    assert.match(nul.reason, 'NUL byte');
    const [ret] = results(r.events, 'retries').filter((e) => e.host === h);
    assert.is(ret.status, 'failed');
    assert.match(ret.reason, "'retries' must be a number");
  }
  const lit = await run('nullit.yaml', '- hosts: all\n  gather_facts: false\n  tasks:\n    - command: "echo a\\0b"\n');
  assert.is(lit.code, 1);
  assert.ok(errorsOf(lit.events).some((e) => e.startsWith(`${join(lab.dir, 'nullit.yaml')}:4:16: `) && e.includes('NUL byte')), errorsOf(lit.events).join('\n'));
});

test('inventory: a bad ansible_port and an undefined variable in ansible_host are load errors at the inventory line', async () => {
  const pb = writePlaybook(lab.dir, 'inv-errs.yaml', '- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: {msg: hi}\n');
  const inv = join(lab.dir, 'bad-inventory.yaml');
  writeFileSync(inv, 'all:\n  hosts:\n    h1:\n      ansible_port: 99999\n    h2:\n      ansible_host: "{{ no_such_ip }}"\n');
  const r = await kvplay([pb, '-i', inv], { json: true });
  assert.is(r.code, 1, r.stdout);
  assert.ok(errorsOf(r.events).some((e) => e.startsWith(`${inv}:4:7: ansible_port`)), errorsOf(r.events).join('\n'));
  writeFileSync(inv, 'all:\n  hosts:\n    h1:\n      ansible_port: 22\n    h2:\n      ansible_host: "{{ no_such_ip }}"\n');
  const u = await kvplay([pb, '-i', inv], { json: true });
  assert.is(u.code, 1, u.stdout);
  assert.equal(errorsOf(u.events), [`${inv}:6:7: undefined variable 'no_such_ip' in ansible_host of host \`h2\``]);
  assert.not.ok(u.events.some((e) => e.kind === 'host_result'));
});

test.run();
