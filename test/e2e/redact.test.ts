/**
 * Secrets never reach stdout, --json or --report in any form, on real sshd hosts: escaped (a
 * become password with " \ ' inside a dict shown by debug), rendered from a template (a secret
 * variable set by a lookup), set by set_fact, registered by a no_log task and shown later, or cut
 * short by a truncating message (a -vv command line, a from_json error).
 */
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHosts, kvplay, writePlaybook, type Lab } from './helpers.js';
import { createTestUser, type TestUser } from '../harness/sshd.js';
import { requires } from '../harness/gate.js';

/** Needs the real sshd and a sudo test user (root): elsewhere every test is reported as skipped with the reason. */
const test = requires({ sshd: true, sudo: true });

const rand = () => Math.random().toString(36).slice(2, 10);
const BECOME_PW = `Bq7Zx"q\\b'-${rand()}`;

let lab: Lab;
let user: TestUser;

test.before(async () => {
  user = createTestUser('kvplayred', BECOME_PW);
  lab = await startHosts(1, { ansible_user: 'kvplayred', ansible_become_password: BECOME_PW });
});
test.after(async () => {
  user?.cleanup();
  await lab?.stop();
});

const jsonInner = (s: string) => JSON.stringify(s).slice(1, -1);

/** Runs the playbook twice (plain -vv, then --json -vv), each with --report; everything printed or written. */
async function runAll(name: string, playbook: string, env: Record<string, string> = {}, expectCode = 0): Promise<string> {
  const pb = writePlaybook(lab.dir, `${name}.yaml`, playbook);
  let all = '';
  for (const json of [false, true]) {
    const report = join(lab.dir, `${name}-${json ? 'json' : 'plain'}-report.json`);
    const r = await kvplay([pb, '-i', lab.inventory, '-vv', '--report', report], { json, env });
    assert.is(r.code, expectCode, r.stdout + r.stderr);
    const text = readFileSync(report, 'utf8');
    JSON.parse(text); // the report stays a valid document
    all += `${r.stdout}\n${r.stderr}\n${text}\n`;
  }
  return all;
}

/** Neither the secret, nor its JSON-escaped form, nor its first characters (`lead`) appear anywhere. */
function assertHidden(all: string, secret: string, lead: string): void {
  const at = (s: string) => all.slice(Math.max(0, all.indexOf(s) - 200), all.indexOf(s) + 80);
  assert.ok(secret.startsWith(lead) && lead.length >= 5);
  assert.not.ok(all.includes(secret), `raw secret leaked: ...${at(secret)}`);
  assert.not.ok(all.includes(jsonInner(secret)), `JSON-escaped secret leaked: ...${at(jsonInner(secret))}`);
  assert.not.ok(all.includes(lead), `the start of the secret leaked: ...${at(lead)}`);
}

test('a become password with " \\ \' works and never shows, raw or escaped (debug of a dict, -vv, --json, --report)', async () => {
  const all = await runAll('become', `- hosts: all
  gather_facts: false
  tasks:
    - command: whoami
      become: true
      register: who
      changed_when: false
    - assert: { that: "who.stdout == 'root'" }
    - name: the password inside a dict
      debug: { msg: { pw: "{{ ansible_become_password }}", user: "{{ ansible_user }}" } }
    - name: the password in a loop label
      debug: { msg: "x" }
      loop: [{ pw: "{{ ansible_become_password }}" }]
`);
  assertHidden(all, BECOME_PW, 'Bq7Zx');
  assert.match(all, '********');
});

test('a secret variable rendered from a template (lookup), also nested in a dict, is a secret', async () => {
  const db = `Db4Rw"w\\-${rand()}`;
  const nested = `Nz8Pk'n-${rand()}`;
  const all = await runAll('templated', `- hosts: all
  gather_facts: false
  vars:
    db_password: "{{ lookup('env', 'KV_RED_DB') }}"
    app: { name: web, db_pass: "{{ lookup('env', 'KV_RED_NESTED') }}" }
  tasks:
    - debug: { msg: "db={{ db_password }} app={{ app }}" }
    - debug: { var: app }
`, { KV_RED_DB: db, KV_RED_NESTED: nested });
  assertHidden(all, db, 'Db4Rw');
  assertHidden(all, nested, 'Nz8Pk');
});

test('a set_fact of a *_token is masked in its own result (-vv, --json, --report) and later', async () => {
  const tok = `Tk5Wy"v\\-${rand()}`;
  const all = await runAll('setfact', `- hosts: all
  gather_facts: false
  tasks:
    - set_fact: { api_token: "{{ lookup('env', 'KV_RED_TOK') }}" }
    - debug: { msg: "{{ {'t': api_token} | to_json }}" }
`, { KV_RED_TOK: tok });
  assertHidden(all, tok, 'Tk5Wy');
});

test('a registered no_log result shown later by debug: var is masked; conditions still see its data', async () => {
  const all = await runAll('nolog', `- hosts: all
  gather_facts: false
  tasks:
    - shell: "printf '%s%s' NoLog-Out- {{ 7000 + 731 }}"
      register: nl
      no_log: true
      changed_when: false
    - assert: { that: ["nl.rc == 0", "nl.stdout | length == 14", "nl.stdout is match('NoLog-')"] }
    - debug: { var: nl }
    - debug: { msg: "{{ nl.stdout_lines }}" }
`);
  assertHidden(all, 'NoLog-Out-7731', 'NoLog-Out-7731');
});

test('the start of a secret quoted by a truncating message (a -vv command step, a from_json error) is masked', async () => {
  const tok = `Tk9Zq-${rand()}-long-token-value`;
  const all = await runAll('stub', `- hosts: all
  gather_facts: false
  vars:
    svc_token: "${tok}"
  tasks:
    - shell: "echo 0123456789012345678901234567890123456789012345 {{ svc_token }} >/dev/null"
      changed_when: false
    - debug: { msg: "{{ svc_token | from_json }}" }
      ignore_errors: true
`);
  assertHidden(all, tok, 'Tk9Zq');
  assert.match(all, 'invalid JSON');
});

test.run();
