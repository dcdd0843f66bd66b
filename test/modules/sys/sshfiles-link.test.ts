/**
 * A user's ~/.ssh (or the file in it) that is a symbolic link is refused: with become, root would
 * otherwise write, chown or read through it, outside what the task named. Real sshd, a real
 * unprivileged user, sudo to root.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chownSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { requires } from '../../harness/gate.js';
import { createTestUser, startSshd, sshOptionsFor, type Sshd, type TestUser } from '../../harness/sshd.js';
import { SshTransport } from '../../../src/transport/ssh.js';
import { run, tempDir, rmDir } from '../helpers.js';

const t = requires({ sshd: true, sudo: true }, suite('ssh files through links'));
const PASSWORD = 'kv-link-pass';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGd0b3Rlc3RrZXlmb3JrdnBsYXl0ZXN0c29ubHkAAAAA kvplay-test';
let s: Sshd;
let u: TestUser;
let tr: SshTransport;
let home: string;

t.before(async () => {
  s = await startSshd({ password: true });
  u = createTestUser('kvplaylnk', PASSWORD);
  tr = new SshTransport(sshOptionsFor(s, u.name));
  home = execFileSync('getent', ['passwd', u.name]).toString().split(':')[5];
});
t.after(async () => {
  await tr?.close();
  u?.cleanup();
  await s?.stop();
});

for (const [what, mk] of [
  ['~/.ssh is a link to a root-owned directory', (target: string) => symlinkSync(target, join(home, '.ssh'))],
  ['~/.ssh/authorized_keys is a link to a root-owned file', (target: string) => {
    mkdirSync(join(home, '.ssh'), { mode: 0o700 });
    chownSync(join(home, '.ssh'), statSync(home).uid, statSync(home).gid);
    symlinkSync(join(target, 'victim'), join(home, '.ssh', 'authorized_keys'));
  }],
] as const) {
  t(`${what}: authorized_key with become refuses, the target is untouched`, async () => {
    const outside = tempDir('kvplay-link-');
    try {
      writeFileSync(join(outside, 'victim'), 'root data\n', { mode: 0o600 });
      rmSync(join(home, '.ssh'), { recursive: true, force: true });
      mk(outside);
      const r = await run('authorized_key', { user: u.name, key: KEY, state: 'present' }, { transport: tr, become: { user: 'root', password: PASSWORD } });
      assert.is(r.status, 'failed', r.reason);
      assert.match(r.reason, /is a symbolic link/);
      assert.equal(readdirSync(outside), ['victim'], 'nothing written beside the victim');
      assert.is(statSync(outside).uid, 0, 'the directory was not chowned');
      assert.is(statSync(join(outside, 'victim')).uid, 0);
      assert.ok(!existsSync(join(outside, 'authorized_keys')));
    } finally {
      rmSync(join(home, '.ssh'), { recursive: true, force: true });
      rmDir(outside);
    }
  });
}

t('a real ~/.ssh still works (the check does not refuse the normal case)', async () => {
  rmSync(join(home, '.ssh'), { recursive: true, force: true });
  const ctx = { transport: tr, become: { user: 'root', password: PASSWORD } };
  assert.is((await run('authorized_key', { user: u.name, key: KEY, state: 'present' }, ctx)).status, 'changed');
  assert.is((await run('authorized_key', { user: u.name, key: KEY, state: 'present' }, ctx)).status, 'ok');
});

t.run();
