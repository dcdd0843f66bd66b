/** -K / --ask-become-pass: the sudo password typed at a terminal (a real pty from `script`), never echoed. */
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSshd, createTestUser, type Sshd, type TestUser } from '../harness/sshd.js';
import { BIN, writePlaybook } from './helpers.js';
import { q } from '../../src/util/quote.js';
import { requires } from '../harness/gate.js';

/** Needs a real sshd, a sudo test user (root) and script(1) for a pty: elsewhere every test is reported as skipped with the reason. */
const test = requires({ sshd: true, sudo: true, tools: ['script'] });

let sshd: Sshd;
let user: TestUser;
let dir: string;
const PASSWORD = 'Tty-Pw-' + Math.random().toString(36).slice(2);

test.before(async () => {
  sshd = await startSshd();
  user = createTestUser('kvplaytty', PASSWORD);
  dir = mkdtempSync(join(tmpdir(), 'kvplay-tty-'));
});
test.after(async () => {
  user?.cleanup();
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('-K asks on the terminal, the password works for become and is not echoed', async () => {
  const inv = join(dir, 'inv.yaml');
  writeFileSync(inv, JSON.stringify({ all: { hosts: { h: { ansible_host: '127.0.0.1', ansible_port: sshd.port, ansible_user: 'kvplaytty', ansible_ssh_private_key_file: sshd.clientKey, kvplay_known_hosts_file: sshd.knownHostsFile } } } }));
  const pb = writePlaybook(dir, 'pb.yaml', '- hosts: all\n  gather_facts: false\n  tasks:\n    - command: whoami\n      become: true\n      register: w\n      changed_when: false\n    - assert: { that: "w.stdout == \'root\'" }\n');
  const cmd = [process.execPath, BIN, pb, '-i', inv, '-K'].map(q).join(' ');
  const out = await new Promise<{ code: number; text: string }>((res) => {
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', KVPLAY_BECOME_PASSWORD: '' } });
    let text = '';
    let sent = false;
    const onData = (d: Buffer) => {
      text += d;
      if (!sent && text.includes('BECOME password:')) {
        sent = true;
        child.stdin.write(PASSWORD + '\r');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000); // a hung prompt fails the test instead of the suite
    child.on('error', (e) => { text += `\nspawn failed: ${e.message}`; });
    child.on('close', (code) => { clearTimeout(timer); res({ code: code ?? -1, text }); });
  });
  assert.match(out.text, 'BECOME password:');
  assert.is(out.code, 0, out.text);
  assert.not.ok(out.text.includes(PASSWORD), `the password was echoed:\n${out.text}`);
  assert.match(out.text, /ok=2/);
});

test.run();
