/**
 * become_method su on the ssh transport (issue 11): the become shell starts with `su USER -c`,
 * kvplay answers su's own password prompt (never part of any output), a wrong password is an
 * "incorrect become password" failure, and the su shell is persistent like the sudo one.
 * Login as one test user, su to another (createTestUser: needs root and sudo's tools).
 */
import * as assert from 'uvu/assert';
import { createTestUser, startSshd, sshOptionsFor, type Sshd, type TestUser } from '../harness/sshd.js';
import { SshTransport } from '../../src/transport/ssh.js';
import type { ExecResult } from '../../src/transport/types.js';
import { requires } from '../harness/gate.js';

const test = requires({ sshd: true, sudo: true, tools: ['su'] });

const PASSWORD = 'Su-target pass $1 \'"`';
let s: Sshd;
let login: TestUser;
let target: TestUser;
let t: SshTransport;
const seen: string[] = [];
const look = (r: ExecResult) => (seen.push(r.stdout, r.stderr), r);

test.before(async () => {
  s = await startSshd();
  login = createTestUser('kvplaysua', 'Login-pass-1');
  target = createTestUser('kvplaysub', PASSWORD);
  t = new SshTransport(sshOptionsFor(s, login.name));
});
test.after(async () => {
  await t?.close();
  login?.cleanup();
  target?.cleanup();
  await s?.stop();
});

test('su to another user with its password: the command runs as that user, in one persistent su shell', async () => {
  assert.is(look(await t.exec('id -un')).stdout, `${login.name}\n`);
  const b = { user: target.name, password: PASSWORD, method: 'su' as const };
  const pids = new Set<string>();
  for (let i = 0; i < 3; i++) {
    const r = look(await t.exec('id -un; echo $$', { become: b, stdin: '' }));
    assert.is(r.code, 0, r.stderr);
    const [who, pid] = r.stdout.trim().split('\n');
    assert.is(who, target.name);
    pids.add(pid);
  }
  assert.is(pids.size, 1, 'one su shell for the three commands');
  const r = look(await t.exec('cat', { become: b, stdin: 'data\n' }));
  assert.equal(r, { code: 0, stdout: 'data\n', stderr: '' });
});

test('a wrong su password is an incorrect become password, and the password is never shown', async () => {
  const bad = new SshTransport(sshOptionsFor(s, login.name));
  try {
    let msg = '';
    try {
      const r = look(await bad.exec('id -un', { become: { user: target.name, password: 'wrong-Pass-9', method: 'su' } }));
      msg = r.stderr;
      assert.is.not(r.code, 0);
    } catch (e) {
      msg = (e as Error).message;
    }
    assert.match(msg, /become \(su kvplaysub\) .*incorrect become password/);
  } finally {
    await bad.close();
  }
  assert.not.ok(seen.some((x) => x.includes(PASSWORD) || x.includes('wrong-Pass-9')), 'a password in the output');
});

test.run();
