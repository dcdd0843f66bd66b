/**
 * Issue 11: `vars_prompt:` checked against ansible-playbook 2.14 on a real sshd host, without a
 * terminal (as in CI): Ansible warns "Not prompting as we are not in interactive mode" and uses
 * `default` (templated with the play's variables; a string), no default gives the string "None",
 * and a name given with --extra-vars is not asked. On a terminal (a real pty from script(1)),
 * kvplay asks through the CLI: the typed answer, echo off for `private` (the default), an empty
 * answer takes the default, `confirm` asks twice.
 */
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requires } from '../harness/gate.js';
import { assertSame, both, oracleHosts, type OracleHost } from './oracle.js';
import { BIN, writePlaybook } from '../e2e/helpers.js';
import { q } from '../../src/util/quote.js';

const test = requires({ sshd: true, tools: ['ansible-playbook', 'script'] });
let h: OracleHost;
test.before(async () => {
  h = await oracleHosts(1);
});
test.after(async () => {
  await h?.stop();
});

const same = assertSame;

const PLAY = `
- hosts: web
  gather_facts: false
  vars:
    d: fromvars
  vars_prompt:
    - name: nodef
      prompt: "No default?"
    - name: templ
      prompt: "Templated?"
      default: "{{ d }}-x"
    - name: num
      default: 5
      private: false
    - name: raw
      default: "{{ '{{' }} d {{ '}}' }}"
      unsafe: true
    - name: given
      prompt: "Given?"
      default: dflt
  tasks:
    - copy:
        dest: "{{ out }}/vals"
        content: "{{ [nodef, nodef is none, templ, num, num is string, given] | to_json }}|{{ raw }}|"
`;

test('without a terminal: defaults (templated, as strings), no default is "None", -e skips the prompt, unsafe stays as written', async () => {
  const r = await both(h, 'vp', PLAY, ['-e', 'given=from-e']);
  same(r);
  assert.is(r.kvplay.code, 0, r.kvplay.out);
  assert.match(r.kvplay.out, /Not prompting as we are not in interactive mode/);
  assert.match(r.kvplay.files.vals, /"from-e"/);
});

test('vars_prompt keys: an unknown one and encrypt are refused at load (nothing runs)', async () => {
  const r = await both(h, 'vpbad', `
- hosts: web
  gather_facts: false
  vars_prompt:
    - name: pw
      encrypt: sha512_crypt
    - name: x
      promt: typo
  tasks:
    - copy: { content: "ran", dest: "{{ out }}/ran" }
`);
  assert.is(r.kvplay.code, 1, r.kvplay.out);
  assert.equal(r.kvplay.files, {});
  assert.match(r.kvplay.out, /vpbad\.yml:6:\d+: vars_prompt 'encrypt' is not supported by kvplay/);
  assert.match(r.kvplay.out, /vpbad\.yml:8:\d+: unknown vars_prompt key 'promt'/);
});

/** Run kvplay on a pty, answering each question (in order) as it shows. */
function onTty(pb: string, answers: [string, string][]): Promise<{ code: number; text: string }> {
  const cmd = [process.execPath, BIN, '-i', h.inventory, pb, '-e', `out=${h.dir}`].map(q).join(' ');
  return new Promise((res) => {
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let text = '';
    let next = 0;
    let from = 0;
    const onData = (d: Buffer) => {
      text += d;
      while (next < answers.length) {
        const at = text.indexOf(answers[next][0], from);
        if (at < 0) break;
        from = at + answers[next][0].length;
        child.stdin.write(answers[next][1] + '\r');
        next++;
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', (e) => (text += `\nspawn failed: ${e.message}`));
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code: code ?? -1, text });
    });
  });
}

test('on a terminal: asked in order, private answers not echoed, empty answer takes the default, confirm asks twice', async () => {
  const secret = 'S3cret-' + Math.random().toString(36).slice(2);
  const pb = writePlaybook(h.dir, 'vptty.yml', `
- hosts: web
  gather_facts: false
  vars_prompt:
    - name: pw
      prompt: "Password"
      confirm: true
    - name: who
      prompt: "Who"
      private: false
    - name: dd
      prompt: "Which"
      default: dflt
  tasks:
    - copy: { dest: "{{ out }}/tty", content: "{{ [pw, who, dd] | to_json }}" }
      no_log: true
`);
  const r = await onTty(pb, [['Password: ', secret], ['confirm Password: ', secret], ['Who: ', 'alice'], ['Which [dflt]: ', '']]);
  assert.is(r.code, 0, r.text);
  assert.equal(JSON.parse(readFileSync(join(h.dir, 'tty'), 'utf8')), [secret, 'alice', 'dflt']);
  assert.not.ok(r.text.includes(secret), `the private answer was echoed:\n${r.text}`);
  assert.ok(r.text.includes('alice'), `a non-private answer is echoed as typed:\n${r.text}`);
});

test.run();
