/**
 * Faults against real sshd daemons: an unreachable host while the others finish, sshd killed
 * mid-run, host keys (unknown, changed, accept-new), become over sudo with a password, and
 * secrets that must never appear in stdout, stderr or the JSON report.
 */
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSshd, createTestUser, waitForDescendant, type Sshd, type TestUser } from '../harness/sshd.js';
import { kvplay, writePlaybook, recapOf } from './helpers.js';
import { requires } from '../harness/gate.js';

/** Needs real sshd hosts (root): elsewhere every test is reported as skipped with the reason. */
const test = requires({ sshd: true });
const sudoTest = requires({ sshd: true, sudo: true });

let sshd: Sshd;
let dir: string;

function inventory(name: string, hosts: Record<string, Record<string, unknown>>, all: Record<string, unknown> = {}): string {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify({ all: { vars: { ansible_host: '127.0.0.1', ansible_port: sshd.port, ansible_user: 'root', ansible_ssh_private_key_file: sshd.clientKey, kvplay_known_hosts_file: sshd.knownHostsFile, ...all }, hosts } }));
  return p;
}

test.before(async () => {
  sshd = await startSshd();
  dir = mkdtempSync(join(tmpdir(), 'kvplay-faults-'));
});
test.after(async () => {
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a closed port is UNREACHABLE while the other hosts finish; exit 4', async () => {
  const inv = inventory('unreach.yaml', { good1: { out: join(dir, 'u1') }, good2: { out: join(dir, 'u2') }, down: { ansible_port: 1, out: join(dir, 'u3') } });
  const pb = writePlaybook(dir, 'unreach-pb.yaml', '- hosts: all\n  gather_facts: false\n  tasks:\n    - copy: {content: "x\\n", dest: "{{ out }}"}\n    - copy: {content: "y\\n", dest: "{{ out }}.2"}\n');
  const t0 = Date.now();
  const r = await kvplay([pb, '-i', inv], { json: true });
  assert.is(r.code, 4, r.stdout + r.stderr);
  assert.ok(Date.now() - t0 < 15000, 'no long hang on a closed port');
  const recap = recapOf(r.events);
  assert.is(recap.down.unreachable, 1);
  assert.is(recap.good1.changed, 2);
  assert.is(recap.good2.changed, 2);
  assert.ok(existsSync(join(dir, 'u1.2')) && existsSync(join(dir, 'u2.2')));
  const plain = await kvplay([pb, '-i', inv]);
  assert.match(plain.stdout + plain.stderr, /fatal: \[down\]: UNREACHABLE!/);
  assert.match(plain.stdout, /PLAY RECAP/);
});

test('sshd killed mid-run: the host becomes UNREACHABLE, no hang', async () => {
  const victim = await startSshd();
  const p = join(dir, 'kill.yaml');
  writeFileSync(p, JSON.stringify({ all: { hosts: { v: { ansible_host: '127.0.0.1', ansible_port: victim.port, ansible_user: 'root', ansible_ssh_private_key_file: victim.clientKey, kvplay_known_hosts_file: victim.knownHostsFile } } } }));
  const pb = writePlaybook(dir, 'kill-pb.yaml', '- hosts: all\n  gather_facts: false\n  tasks:\n    - command: "true"\n    - command: sleep 5\n    - command: "true"\n');
  const run = kvplay([pb, '-i', p], { json: true });
  // kill it while the second task runs (however long the CLI takes to get there on a busy machine)
  await waitForDescendant(victim.pid, /^sleep 5$/);
  const t0 = Date.now();
  await victim.kill();
  const r = await run;
  assert.is(r.code, 4, r.stdout + r.stderr);
  assert.ok(Date.now() - t0 < 15000, `ended ${Date.now() - t0} ms after the kill`);
  const ev = r.events.find((e) => e.kind === 'host_result' && e.status === 'unreachable');
  assert.ok(ev, 'an unreachable result');
  assert.is(ev.task, 'command', 'the task that was running when sshd died');
});

test('unknown host key refused by default; --accept-new-host-keys records it; a changed key is refused', async () => {
  const kh = join(dir, 'kh-empty');
  writeFileSync(kh, '');
  const inv = inventory('kh.yaml', { h: {} }, { kvplay_known_hosts_file: undefined, ansible_ssh_common_args: `-o UserKnownHostsFile=${kh}` });
  const pb = writePlaybook(dir, 'ping.yaml', '- hosts: all\n  gather_facts: false\n  tasks:\n    - ping:\n');
  const r1 = await kvplay([pb, '-i', inv]);
  assert.is(r1.code, 4, r1.stdout + r1.stderr);
  assert.match(r1.stdout + r1.stderr, /accept-new-host-keys/);
  const r2 = await kvplay([pb, '-i', inv, '--accept-new-host-keys']);
  assert.is(r2.code, 0, r2.stdout + r2.stderr);
  assert.match(readFileSync(kh, 'utf8'), sshd.hostPubKey.split(' ')[1]);
  const r3 = await kvplay([pb, '-i', inv]);
  assert.is(r3.code, 0, 'the recorded key verifies');
  // a different key for the same host: hard failure, even with --accept-new-host-keys
  const other = await startSshd();
  writeFileSync(kh, `[127.0.0.1]:${sshd.port} ${other.hostPubKey}\n`);
  await other.stop();
  const r4 = await kvplay([pb, '-i', inv, '--accept-new-host-keys']);
  assert.is(r4.code, 4);
  assert.match(r4.stdout + r4.stderr, /CHANGED/);
  assert.is(readFileSync(kh, 'utf8'), `[127.0.0.1]:${sshd.port} ${other.hostPubKey}\n`, 'known_hosts untouched');
});

sudoTest('become with a sudo password; secrets never printed (become password, no_log, loop items, *_password vars)', async () => {
  const password = 'Pw-' + Math.random().toString(36).slice(2) + '-zz';
  let user: TestUser | undefined;
  try {
    user = createTestUser('kvplayci', password);
    const inv = inventory('become.yaml', { b: { ansible_user: 'kvplayci', ansible_become_password: password } }, { db_password: 'Db-Secret-771' });
    const out = join(dir, 'become-out');
    const pb = writePlaybook(dir, 'become-pb.yaml', `- hosts: all
  gather_facts: false
  tasks:
    - command: whoami
      become: true
      register: who
      changed_when: false
    - assert: { that: "who.stdout == 'root'" }
    - command: whoami
      register: me
      changed_when: false
    - assert: { that: "me.stdout == 'kvplayci'" }
    - copy: { content: "root file\\n", dest: "${out}", mode: "0600" }
      become: true
    - shell: echo NoLog-Output-9931
      no_log: true
      changed_when: false
    - debug: { msg: "{{ item }}" }
      loop: [Loop-Secret-5521]
      no_log: true
    - debug: { msg: "the db password is {{ db_password }}" }
    - command: "false"
      no_log: true
      ignore_errors: true
`);
    const report = join(dir, 'become-report.json');
    for (const json of [false, true]) {
      const r = await kvplay([pb, '-i', inv, '-vvv', '--report', report], { json });
      assert.is(r.code, 0, r.stdout + r.stderr);
      const all = r.stdout + r.stderr + readFileSync(report, 'utf8');
      for (const secret of [password, "NoLog-Output-9931", "Loop-Secret-5521", "Db-Secret-771"]) assert.not.ok(all.includes(secret), `${secret} leaked (json=${json}): ...${all.slice(Math.max(0, all.indexOf(secret) - 300), all.indexOf(secret) + 100)}`);
      assert.match(all, '********');
    }
    assert.is(readFileSync(out, 'utf8'), 'root file\n');
    const wrong = inventory('become-bad.yaml', { b: { ansible_user: 'kvplayci', ansible_become_password: 'not-the-password' } }, { db_password: 'Db-Secret-771' });
    const bad = await kvplay([pb, '-i', wrong]);
    if (bad.code !== 2) console.log(bad.stdout, bad.stderr);
    assert.is(bad.code, 2);
    assert.match(bad.stdout + bad.stderr, /incorrect become password|become/);
    assert.not.ok((bad.stdout + bad.stderr).includes('not-the-password'));
  } finally {
    user?.cleanup();
  }
});

test.run();
