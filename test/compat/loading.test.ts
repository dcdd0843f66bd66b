/**
 * Issue 11, "load like Ansible: fail where Ansible fails, not earlier": what ansible-playbook runs,
 * kvplay runs too. A static finding that Ansible only meets when (and if) the task runs is a warning
 * at load and a failure of that task when it runs: undefined variables in guarded tasks, parameter
 * values, `register:` names, a missing role or file of a dynamic include in a branch never taken.
 * Unknown modules, unknown parameters and misspelled keywords stay load errors with file:line:col.
 */
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { requires } from '../harness/gate.js';
import { kvplay as runKvplay } from '../e2e/helpers.js';
import { both, oracleHosts, type OracleHost, type Outcome } from './oracle.js';

const test = requires({ sshd: true, tools: ['ansible-playbook'] });
let h: OracleHost;
test.before(async () => {
  h = await oracleHosts(1);
});
test.after(async () => {
  await h?.stop();
});

/** Files beside the playbooks (task files, roles), paths relative to the oracle's directory. */
function files(fs: Record<string, string>): void {
  for (const [rel, text] of Object.entries(fs)) {
    const p = join(h.dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
}

async function same(name: string, playbook: string, args: string[] = [], wantCode?: number): Promise<{ ansible: Outcome; kvplay: Outcome }> {
  const r = await both(h, name, playbook, args);
  const { ansible, kvplay } = r;
  if (wantCode !== undefined) assert.is(ansible.code, wantCode, `ansible-playbook:\n${ansible.out}`);
  assert.is(kvplay.code, ansible.code, `exit code\n--- ansible\n${ansible.out}\n--- kvplay\n${kvplay.out}`);
  assert.equal(kvplay.recap, ansible.recap, `PLAY RECAP\n--- ansible\n${ansible.out}\n--- kvplay\n${kvplay.out}`);
  assert.equal(kvplay.files, ansible.files, `files\n--- kvplay\n${kvplay.out}`);
  return r;
}

const GUARDED = `
- hosts: web
  gather_facts: false
  tasks:
    - debug: { msg: "{{ nope1 }}" }
      when: false
    - copy: { content: "{{ nope2 }}", dest: "{{ out }}/never" }
      ignore_errors: true
    - block:
        - copy: { content: "{{ nope3 }}", dest: "{{ out }}/never2" }
      rescue:
        - copy: { content: "rescued", dest: "{{ out }}/rescued" }
    - command: "true"
      failed_when: nope4
      ignore_errors: true
    - block:
        - debug: { msg: "{{ nope5 }}" }
      when: false
    - copy: { content: "end", dest: "{{ out }}/end" }
`;

test('undefined variables in tasks guarded by when, ignore_errors, a rescue or failed_when: the run goes on', async () => {
  const { kvplay } = await same('guarded', GUARDED, [], 0);
  assert.match(kvplay.out, /nope2/, 'the failing task says which variable is undefined');
});

test('--syntax-check passes what Ansible runs and names the guarded undefined variables as warnings', async () => {
  const pb = join(h.dir, 'guarded.yml');
  writeFileSync(pb, GUARDED);
  const r = await runKvplay(['-i', h.inventory, pb, '-e', 'out=/nowhere', '--syntax-check']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, new RegExp(`undefined variable 'nope2'.*${pb}:7:\\d+`));
});

test('include_role of a missing role and include_tasks of a missing file in branches never taken', async () => {
  files({ 'inc1.yml': '- copy: { content: "inc1 {{ v }}", dest: "{{ out }}/inc1" }\n', 'roles/r1/tasks/main.yml': '- copy: { content: "r1 {{ v }}", dest: "{{ out }}/r1" }\n' });
  await same('never', `
- hosts: web
  gather_facts: false
  tasks:
    - include_role: { name: no_such_role }
      when: false
    - include_tasks: no_such_file.yml
      when: false
    - include_tasks: file=inc1.yml
      vars: { v: a }
    - include_role: name=r1
      vars: { v: b }
    - import_tasks: file=inc1.yml
      vars: { v: c }
`, [], 0);
});

test('an include whose file or role is missing fails the host when reached (a rescue still runs)', async () => {
  await same('missing', `
- hosts: web
  gather_facts: false
  tasks:
    - block:
        - include_tasks: no_such_file.yml
      rescue:
        - copy: { content: "rescued", dest: "{{ out }}/rescued" }
    - copy: { content: "after", dest: "{{ out }}/after" }
`);
});

test('a templated strategy, play vars as a list of mappings', async () => {
  await same('strategy', `
- hosts: web
  gather_facts: false
  strategy: "{{ strat | default('linear') }}"
  vars:
    - a: 1
    - b: 2
      a: 3
  tasks:
    - copy: { content: "{{ a }} {{ b }}", dest: "{{ out }}/vars" }
`, [], 0);
});

test('parameter values are checked when the task runs: validate without %s, command without a command', async () => {
  await same('values', `
- hosts: web
  gather_facts: false
  tasks:
    - copy: { content: "x", dest: "{{ out }}/never", validate: "true" }
      ignore_errors: true
    - command:
      ignore_errors: true
      register: r
    - copy: { content: "{{ 'failed' if r.failed else 'ok' }} {{ r.msg is string }}", dest: "{{ out }}/r" }
    - copy: { content: "x", dest: "{{ out }}/skipped", validate: "true" }
      when: false
`, [], 0);
});

test('register: a number is an error when the task is reached (exit 1), not before', async () => {
  const { ansible, kvplay } = await both(h, 'register', `
- hosts: web
  gather_facts: false
  tasks:
    - copy: { content: "before", dest: "{{ out }}/before" }
    - command: "true"
      register: 5
    - copy: { content: "after", dest: "{{ out }}/after" }
`);
  assert.is(ansible.code, 1, ansible.out);
  assert.is(kvplay.code, ansible.code, kvplay.out);
  assert.equal(kvplay.files, ansible.files, kvplay.out);
  assert.match(kvplay.out, /Invalid variable name in 'register' specified: '5'/);
});

test('unknown modules, unknown parameters and misspelled keywords stay load errors with file:line:col', async () => {
  const pb = join(h.dir, 'names.yml');
  writeFileSync(pb, `
- hosts: web
  gather_facts: false
  tasks:
    - copy: { content: "x", dest: "/tmp/x" }
      whenn: false
    - no_such_module: { a: 1 }
    - file: { path: /tmp/x, staet: absent }
`);
  const r = await runKvplay(['-i', h.inventory, pb]);
  assert.is(r.code, 1, r.stdout + r.stderr);
  const out = r.stdout + r.stderr;
  assert.match(out, `${pb}:6:7`);
  assert.match(out, `${pb}:7:7`);
  assert.match(out, `${pb}:8:29`);
  assert.not.match(out, 'PLAY [');
});

test.run();
