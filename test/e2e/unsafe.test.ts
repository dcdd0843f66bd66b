/**
 * Untrusted data stays data, end to end on real sshd hosts: text a host prints (or reports as a
 * fact) that looks like a template is kept literal through register, set_fact (plain, | trim,
 * from_json), loops, include vars, play vars and hostvars; `!unsafe` in the playbook is honoured.
 * The controller's environment and files must never show up in the output.
 */
import * as assert from 'uvu/assert';
import { mkdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { startHosts, kvplay, writePlaybook, type Lab, type CliResult } from './helpers.js';
import { requires } from '../harness/gate.js';

/** Needs real sshd hosts (root): elsewhere every test is reported as skipped with the reason. */
const test = requires({ sshd: true });

const ENV_SECRET = 'kvplay-env-secret-51f0';
const FILE_SECRET = 'kvplay-file-secret-9e2b';
const ENV_T = "{{ lookup('env', 'KVPLAY_SECRET_PROBE') }}";
let FILE_T = '';

let lab: Lab;
test.before(async () => {
  lab = await startHosts(2);
  const secretFile = join(lab.dir, 'controller-secret.txt');
  writeFileSync(secretFile, FILE_SECRET + '\n');
  FILE_T = `{{ lookup('file', '${secretFile}') }}`;
  for (const h of lab.hosts) {
    // what a compromised host prints
    writeFileSync(join(lab.work(h), 'evil.txt'), `${ENV_T}\n${FILE_T}\n`);
    writeFileSync(join(lab.work(h), 'evil.json'), JSON.stringify({ a: ENV_T, l: [FILE_T] }) + '\n');
    // a `hostname` command whose output is a template (for gathered facts)
    mkdirSync(join(lab.work(h), 'bin'), { recursive: true });
    const fake = join(lab.work(h), 'bin', 'hostname');
    writeFileSync(fake, `#!/bin/sh\ncat <<'EOF'\n${ENV_T}\nEOF\n`);
    chmodSync(fake, 0o755);
  }
});
test.after(async () => {
  await lab?.stop();
  rmSync(lab.dir, { recursive: true, force: true });
});

const run = (name: string, text: string) =>
  kvplay([writePlaybook(lab.dir, name, text), '-i', lab.inventory], { json: true, env: { KVPLAY_SECRET_PROBE: ENV_SECRET } });

/** The debug output of task `task` on `host` (every item, in order). */
function shown(r: CliResult, task: string, host = 'host1'): string[] {
  const out = r.events.filter((e) => e.kind === 'host_result' && e.task === task && e.host === host && e.output !== undefined).map((e) => String(e.output));
  assert.ok(out.length, `no debug output for '${task}' on ${host}:\n${r.stdout.slice(-3000)}`);
  return out;
}

function noLeak(r: CliResult): void {
  for (const s of [ENV_SECRET, FILE_SECRET]) {
    assert.not.ok(r.stdout.includes(s), `the controller's ${s === ENV_SECRET ? 'environment' : 'file'} leaked into the output`);
    assert.not.ok(r.stderr.includes(s), 'leaked into stderr');
  }
}

test('registered output, set_fact (plain, trim, from_json), loops, include vars, play vars, hostvars stay literal', async () => {
  writePlaybook(lab.dir, 'inc-vars.yaml', `- set_fact: { from_inc: "{{ v }}" }
- name: include var
  debug: { msg: "{{ from_inc }}" }
`);
  writePlaybook(lab.dir, 'inc-item.yaml', `- name: include item
  debug: { msg: "{{ item }}" }
`);
  const r = await run('unsafe.yaml', `- hosts: host1
  gather_facts: false
  vars:
    via_play_var: "{{ r.stdout_lines[1] }}"
  tasks:
    - shell: cat {{ work }}/evil.txt
      register: r
      changed_when: false
      failed_when: "'lookup' not in r.stdout"
      until: "'lookup' in r.stdout"
      retries: 1
      delay: 0
    - shell: cat {{ work }}/evil.json
      register: j
      changed_when: false
    - set_fact:
        plain: "{{ r.stdout }}"
        trimmed: "{{ r.stdout_lines[0] | trim }}"
        parsed: "{{ j.stdout | from_json }}"
        lines: "{{ r.stdout_lines }}"
        from_play_var: "{{ via_play_var }}"
    - set_fact: { derived_again: "{{ trimmed }}" }
    - name: plain
      debug: { msg: "{{ plain }}" }
    - name: trimmed
      debug: { msg: "{{ trimmed }}" }
    - name: parsed
      debug: { msg: "{{ parsed.a }}|{{ parsed.l[0] }}" }
    - name: derived again
      debug: { msg: "{{ derived_again }}" }
    - name: play var
      debug: { msg: "{{ from_play_var }}" }
    - name: loop over output
      debug: { msg: "{{ item }}" }
      loop: "{{ r.stdout_lines }}"
    - name: loop over a fact
      debug: { msg: "{{ item }}" }
      loop: "{{ lines }}"
    - name: echo items
      shell: printf '%s' {{ item | quote }}
      loop: "{{ r.stdout_lines }}"
      register: echoed
      changed_when: false
    - set_fact: { looped: "{{ echoed.results | map(attribute='stdout') | list }}" }
    - name: loop results
      debug: { msg: "{{ looped[0] }}" }
    - include_tasks: inc-vars.yaml
      vars: { v: "{{ r.stdout_lines[0] }}" }
    - include_tasks: inc-item.yaml
      loop: "{{ r.stdout_lines }}"
    - name: var
      debug: { var: trimmed }
    - assert:
        that:
          - "trimmed == r.stdout_lines[0]"
          - "'lookup' in trimmed"
- hosts: host2
  gather_facts: false
  tasks:
    - name: hostvars
      debug: { msg: "{{ hostvars['host1'].trimmed }}|{{ hostvars['host1'].r.stdout_lines[1] }}" }
    - set_fact: { other: "{{ hostvars['host1'].parsed.a }}" }
    - name: hostvars derived
      debug: { msg: "{{ other }}" }
`);
  noLeak(r);
  assert.is(r.code, 0, r.stdout.slice(-3000));
  assert.equal(shown(r, 'plain'), [`${ENV_T}\n${FILE_T}`]);
  assert.equal(shown(r, 'trimmed'), [ENV_T]);
  assert.equal(shown(r, 'parsed'), [`${ENV_T}|${FILE_T}`]);
  assert.equal(shown(r, 'derived again'), [ENV_T]);
  assert.equal(shown(r, 'play var'), [FILE_T]);
  assert.equal(shown(r, 'loop over output'), [ENV_T, FILE_T]);
  assert.equal(shown(r, 'loop over a fact'), [ENV_T, FILE_T]);
  assert.equal(shown(r, 'loop results'), [ENV_T]);
  assert.equal(shown(r, 'include var'), [ENV_T]);
  assert.equal(shown(r, 'include item'), [ENV_T, FILE_T]);
  assert.match(shown(r, 'var')[0], ENV_T);
  assert.equal(shown(r, 'hostvars', 'host2'), [`${ENV_T}|${FILE_T}`]);
  assert.equal(shown(r, 'hostvars derived', 'host2'), [ENV_T]);
});

// the short hostname is read from /proc/sys/kernel/hostname (not fakeable here); `hostname -f` is a command on PATH
test('facts from a host (setup) stay literal: ansible_fqdn (from `hostname -f`), set_fact of it, hostvars', async () => {
  const r = await run('facts.yaml', `- hosts: host1
  gather_facts: false
  tasks:
    - setup:
      environment: { PATH: "{{ work }}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" }
    - name: hostname fact
      debug: { msg: "{{ ansible_fqdn }}|{{ ansible_facts.fqdn }}" }
    - set_fact: { name_copy: "{{ ansible_fqdn | trim }}" }
    - name: fact copy
      debug: { msg: "{{ name_copy }}" }
- hosts: host2
  gather_facts: false
  tasks:
    - name: hostvars fact
      debug: { msg: "{{ hostvars['host1'].ansible_fqdn }}|{{ hostvars['host1'].ansible_facts.fqdn }}|{{ hostvars['host1'].name_copy }}" }
`);
  noLeak(r);
  assert.is(r.code, 0, r.stdout.slice(-3000));
  assert.equal(shown(r, 'hostname fact'), [`${ENV_T}|${ENV_T}`]);
  assert.equal(shown(r, 'fact copy'), [ENV_T]);
  assert.equal(shown(r, 'hostvars fact', 'host2'), [`${ENV_T}|${ENV_T}|${ENV_T}`]);
});

test('!unsafe in the playbook: task params, play vars, set_fact of them, vars files', async () => {
  writePlaybook(lab.dir, 'vars/unsafe.yaml', `from_file: !unsafe "${ENV_T}"\n`);
  const r = await run('bang-unsafe.yaml', `- hosts: host1
  gather_facts: false
  vars_files: [vars/unsafe.yaml]
  vars:
    lit: !unsafe "${ENV_T}"
    nested: { a: !unsafe "{{ undefined_name }}", l: [!unsafe "${FILE_T}"] }
    uses_lit: "x {{ lit }}"
  tasks:
    - name: param
      debug: { msg: !unsafe "${ENV_T}" }
    - name: var
      debug: { msg: "{{ lit }}|{{ nested.a }}|{{ nested.l[0] }}|{{ from_file }}" }
    - set_fact: { copied: "{{ lit }}", via: "{{ uses_lit }}" }
    - name: copies
      debug: { msg: "{{ copied }}|{{ via }}" }
`);
  noLeak(r);
  assert.is(r.code, 0, r.stdout.slice(-3000) + r.stderr);
  assert.equal(shown(r, 'param'), [ENV_T]);
  assert.equal(shown(r, 'var'), [`${ENV_T}|{{ undefined_name }}|${FILE_T}|${ENV_T}`]);
  assert.equal(shown(r, 'copies'), [`${ENV_T}|x ${ENV_T}`]);
});

test.run();
