/**
 * --step (a real pty from script(1)) and --start-at-task, on real sshd hosts, as ansible-playbook
 * 2.14 does them (src/engine/step.ts): the question and its answers, c stops asking, a skipped task
 * leaves no trace; the tasks before the start are skipped silently, a play without the start runs
 * nothing, blocks/always/tags/roles; no match is an error message with exit 0; --step without a
 * terminal is refused before anything runs.
 */
import { test as unitTest } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startHosts, kvplay, writePlaybook, recapOf, BIN, type Lab } from './helpers.js';
import { requires } from '../harness/gate.js';
import { q } from '../../src/util/quote.js';
import { startAtMatcher } from '../../src/engine/step.js';
import { parseCli } from '../../src/cli/args.js';
import { InputError } from '../../src/util/errors.js';

/** Needs the real sshd (root): elsewhere every test is reported as skipped with the reason. */
const test = requires({ sshd: true });
/** --step needs a terminal: script(1) gives the CLI a real pty. */
const ptyTest = requires({ sshd: true, tools: ['script'] });

unitTest('--start-at-task matches as Python fnmatch (whole name, case-sensitive) or equal', () => {
  const m = (p: string, n: string) => startAtMatcher(p)(n);
  assert.ok(m('install packages', 'install packages'));
  assert.ok(m('install*', 'install packages'));
  assert.not.ok(m('install', 'install packages'), 'whole name');
  assert.not.ok(m('Install*', 'install packages'), 'case-sensitive');
  assert.ok(m('a?c', 'abc'));
  assert.ok(m('[ab]x', 'bx'));
  assert.not.ok(m('[!ab]x', 'bx'));
  assert.ok(m('deploy [prod]', 'deploy [prod]'), 'equal even when the glob would not match');
  assert.ok(m('*', 'anything\nwith a newline'));
  assert.ok(m('web : set*', 'web : setup'));
});

unitTest('an invalid --start-at-task pattern is an InputError before anything runs', () => {
  assert.throws(() => parseCli(['pb.yaml', '--start-at-task', '[z-a]']), (e: unknown) => e instanceof InputError && /invalid --start-at-task pattern "\[z-a\]"/.test(e.message) && !!e.hint);
  assert.is(parseCli(['pb.yaml', '--start-at-task', 'x*']).startAtTask, 'x*');
  assert.is(parseCli(['pb.yaml', '--step']).step, true);
});

let lab: Lab;
test.before(async () => {
  lab = await startHosts(2);
});
test.after(async () => {
  await lab?.stop();
});

const touched = (host: string, names: string[]) => names.filter((n) => existsSync(join(lab.work(host), n)));
const fresh = (tag: string) => {
  const w = (h: string) => join(lab.work(h), tag);
  for (const h of lab.hosts) mkdirSync(w(h), { recursive: true });
  return (host: string, names: string[]) => touched(host, names.map((n) => `${tag}/${n}`)).map((n) => n.slice(tag.length + 1));
};

const PLAYS = (tag: string) => `- name: first
  hosts: all
  gather_facts: true
  tasks:
    - name: one
      command: touch {{ work }}/${tag}/one
    - name: two
      command: touch {{ work }}/${tag}/two
- name: second
  hosts: all
  gather_facts: true
  tasks:
    - name: three
      command: touch {{ work }}/${tag}/three
    - block:
        - name: four
          command: touch {{ work }}/${tag}/four
        - name: install five
          command: touch {{ work }}/${tag}/five
          tags: [five]
      always:
        - name: six
          command: touch {{ work }}/${tag}/six
    - name: seven
      command: touch {{ work }}/${tag}/seven
- name: third
  hosts: all
  gather_facts: false
  tasks:
    - name: eight
      command: touch {{ work }}/${tag}/eight
`;
const ALL = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight'];

test('--start-at-task: earlier tasks skipped silently (not in the recap), a play without the start runs nothing, later plays run whole', async () => {
  const got = fresh('sat1');
  const pb = writePlaybook(lab.dir, 'sat1.yaml', PLAYS('sat1'));
  const r = await kvplay([pb, '-i', lab.inventory, '--start-at-task', 'install f*'], { json: true });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.events.filter((e) => e.kind === 'play_start').map((e) => e.play), ['first', 'second', 'third'], 'every play is shown');
  assert.equal([...new Set(r.events.filter((e) => e.kind === 'task_start').map((e) => e.task))], ['Gathering Facts', 'install five', 'six', 'seven', 'eight']);
  for (const h of lab.hosts) {
    assert.equal(got(h, ALL), ['five', 'six', 'seven', 'eight'], h);
    // facts once (the play with the start), 4 changed tasks; nothing counted as skipped
    assert.equal({ ...recapOf(r.events)[h] }, { ok: 5, changed: 4, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 }, h);
  }
  assert.not.match(r.stdout + r.stderr, /No matching task/);
});

test('--start-at-task: a task left out by --skip-tags is not the start; no match at all: Ansible\'s error, exit 0, nothing ran', async () => {
  const got = fresh('sat2');
  const pb = writePlaybook(lab.dir, 'sat2.yaml', PLAYS('sat2'));
  const r = await kvplay([pb, '-i', lab.inventory, '--start-at-task', 'install five', '--skip-tags', 'five']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stderr, 'No matching task "install five" found. Note: --start-at-task can only follow static includes.');
  assert.not.match(r.stdout, /TASK \[/);
  for (const h of lab.hosts) assert.equal(got(h, ALL), [], h);
  const eq = await kvplay([pb, '-i', lab.inventory, '--start-at-task', 'six'], { json: true });
  assert.is(eq.code, 0, eq.stdout + eq.stderr);
  assert.equal([...new Set(eq.events.filter((e) => e.kind === 'task_start').map((e) => e.task))], ['Gathering Facts', 'six', 'seven', 'eight'], 'a start in always:');
});

test('--start-at-task: a role task answers to "ROLE : NAME" too', async () => {
  const got = fresh('sat3');
  writePlaybook(lab.dir, 'roles/web/tasks/main.yaml', `- name: prepare web\n  command: touch {{ work }}/sat3/prepare\n- name: setup web\n  command: touch {{ work }}/sat3/setup\n`);
  const pb = writePlaybook(lab.dir, 'sat3.yaml', `- hosts: all\n  gather_facts: false\n  roles: [web]\n  tasks:\n    - name: after\n      command: touch {{ work }}/sat3/after\n`);
  const r = await kvplay([pb, '-i', lab.inventory, '--start-at-task', 'web : set*']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  for (const h of lab.hosts) assert.equal(got(h, ['prepare', 'setup', 'after']), ['setup', 'after'], h);
});

test('--step without a terminal on stdin: refused, exit 1, nothing ran', async () => {
  const got = fresh('step0');
  const pb = writePlaybook(lab.dir, 'step0.yaml', `- hosts: all\n  gather_facts: false\n  tasks:\n    - name: one\n      command: touch {{ work }}/step0/one\n`);
  const r = await kvplay([pb, '-i', lab.inventory, '--step'], { input: 'y\ny\n' });
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /--step asks before each task: it needs a terminal on stdin/);
  assert.match(r.stderr, /hint: /);
  assert.not.match(r.stdout, /PLAY/);
  for (const h of lab.hosts) assert.equal(got(h, ['one']), [], h);
});

const QUESTION = /Perform task: (TASK|HANDLER): (.*?) \(N\)o\/\(y\)es\/\(c\)ontinue: /g;

/** Run the CLI on a pty; answer each question with the next of `answers`. Returns the questions asked and the output. */
function stepRun(args: string[], answers: string[]): Promise<{ code: number; text: string; asked: string[] }> {
  const cmd = [process.execPath, BIN, ...args].map(q).join(' ');
  return new Promise((res) => {
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let text = '';
    let answered = 0;
    const onData = (d: Buffer) => {
      text += d;
      const asked = [...text.matchAll(QUESTION)].length;
      while (answered < asked) child.stdin.write((answers[answered++] ?? 'n') + '\r');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000); // a hung question fails the test, not the suite
    child.on('error', (e) => (text += `\nspawn failed: ${e.message}`));
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code: code ?? -1, text, asked: [...text.matchAll(QUESTION)].map((m) => `${m[1]}: ${m[2]}`) });
    });
  });
}

const STEP_PB = (tag: string) => `- name: stepping
  hosts: all
  gather_facts: true
  tasks:
    - name: first
      command: touch {{ work }}/${tag}/first
      notify: done
    - name: second
      command: touch {{ work }}/${tag}/second
    - meta: noop
    - name: third
      command: touch {{ work }}/${tag}/third
      notify: done
    - name: fourth
      command: touch {{ work }}/${tag}/fourth
  handlers:
    - name: done
      command: touch {{ work }}/${tag}/handler
`;
const STEP_FILES = ['first', 'second', 'third', 'fourth', 'handler'];

ptyTest('--step: y runs the task, n skips it without a trace, c runs it and the rest without asking', async () => {
  const got = fresh('step1');
  const pb = writePlaybook(lab.dir, 'step1.yaml', STEP_PB('step1'));
  const r = await stepRun([pb, '-i', lab.inventory, '-l', 'host1', '--step'], ['y', 'y', 'n', 'c']);
  assert.is(r.code, 0, r.text);
  assert.equal(r.asked, ['TASK: Gathering Facts', 'TASK: first', 'TASK: second', 'TASK: third'], r.text);
  assert.match(r.text, 'Perform task: TASK: first (N)o/(y)es/(c)ontinue: ');
  assert.equal(got('host1', STEP_FILES), ['first', 'third', 'fourth', 'handler']);
  assert.not.match(r.text, /TASK \[second\]/, 'a skipped task has no banner');
  assert.match(r.text, /host1\s*: ok=5 changed=4 unreachable=0 failed=0 skipped=0/);
});

ptyTest('--step: handlers are asked as HANDLER; n to Gathering Facts gathers none', async () => {
  const got = fresh('step2');
  const pb = writePlaybook(lab.dir, 'step2.yaml', STEP_PB('step2'));
  const r = await stepRun([pb, '-i', lab.inventory, '-l', 'host1', '--step'], ['n', 'yes', 'N', 'no', 'Y', 'x']);
  assert.is(r.code, 0, r.text);
  assert.equal(r.asked, ['TASK: Gathering Facts', 'TASK: first', 'TASK: second', 'TASK: third', 'TASK: fourth', 'HANDLER: done'], r.text);
  assert.equal(got('host1', STEP_FILES), ['first', 'fourth']);
  assert.not.match(r.text, /TASK \[Gathering Facts\]/);
  assert.match(r.text, /host1\s*: ok=2 changed=2 unreachable=0 failed=0 skipped=0/);
});

unitTest.run();
