/**
 * become via sudo with a password, as a non-root test user (createTestUser: needs `sudo`
 * installed; the sudoers entry is removed in test.after). Also password login.
 */
import * as assert from 'uvu/assert';
import { createTestUser, startSshd, sshOptionsFor, type Sshd, type TestUser } from '../harness/sshd.js';
import { SshTransport } from '../../src/transport/ssh.js';
import type { ExecResult } from '../../src/transport/types.js';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { requires } from '../harness/gate.js';

/** Needs a real sshd and a sudo test user (root): elsewhere every test is reported as skipped with the reason. */
const test = requires({ sshd: true, sudo: true });

const PASSWORD = 'Kv-pl@y pass $1 \'"`';
let s: Sshd;
let u: TestUser;
let t: SshTransport;
/** Everything the transport returned or threw, to prove the password never leaks. */
const seen: string[] = [];
const look = (r: ExecResult | ExecResult[]) => {
  for (const x of Array.isArray(r) ? r : [r]) seen.push(x.stdout, x.stderr);
  return r;
};

test.before(async () => {
  s = await startSshd({ password: true });
  u = createTestUser('kvplaybecome', PASSWORD);
  t = new SshTransport(sshOptionsFor(s, u.name));
});
test.after(async () => {
  await t?.close();
  u?.cleanup();
  await s?.stop();
});

test('login user is the test user; become root with its password -> whoami root', async () => {
  assert.is((look(await t.exec('whoami')) as ExecResult).stdout, `${u.name}\n`);
  const r = look(await t.exec('whoami; id -u; echo "$HOME"', { become: { user: 'root', password: PASSWORD } })) as ExecResult;
  assert.equal(r, { code: 0, stdout: 'root\n0\n/root\n', stderr: '' });
});

test('become shell is persistent and cached per user (sudo runs once)', async () => {
  const b = { user: 'root', password: PASSWORD };
  const pids = new Set<string>();
  for (let i = 0; i < 5; i++) pids.add((look(await t.exec('echo $$', { become: b })) as ExecResult).stdout);
  assert.is(pids.size, 1);
  // stdin, env, cwd and timeout work under become too
  const r = look(await t.exec('cat; printf "%s" "$V"; pwd', { become: b, stdin: 'in\n', env: { V: 'v ' }, cwd: '/root' })) as ExecResult;
  assert.equal(r, { code: 0, stdout: 'in\nv /root\n', stderr: '' });
  const to = look(await t.exec('sleep 20', { become: b, timeoutMs: 300 })) as ExecResult;
  assert.is(to.timedOut, true);
  assert.is((look(await t.exec('whoami', { become: b })) as ExecResult).stdout, 'root\n', 'a new become shell after timeout');
});

test('become to the login user needs no sudo', async () => {
  const r = look(await t.exec('whoami', { become: { user: u.name } })) as ExecResult;
  assert.equal(r, { code: 0, stdout: `${u.name}\n`, stderr: '' });
});

test('become to another non-root user (sudo -u)', async () => {
  const r = look(await t.exec('whoami', { become: { user: 'nobody', password: PASSWORD } })) as ExecResult;
  assert.equal(r, { code: 0, stdout: 'nobody\n', stderr: '' });
});

test('execMany under become', async () => {
  const rs = look(await t.execMany(['whoami', 'test -r /etc/shadow', 'exit 3'], { become: { user: 'root', password: PASSWORD } })) as ExecResult[];
  assert.equal(rs.map((r) => [r.code, r.stdout]), [[0, 'root\n'], [0, ''], [3, '']]);
});

test('wrong password fails clearly, without echoing the password', async () => {
  const wrong = 'not-the-' + PASSWORD;
  const t2 = new SshTransport(sshOptionsFor(s, u.name));
  const r = look(await t2.exec('whoami', { become: { user: 'daemon', password: wrong } })) as ExecResult;
  assert.is(r.code, 1);
  assert.is(r.stdout, '');
  assert.match(r.stderr, /incorrect become password/);
  assert.not.ok(r.stderr.includes(wrong));
  // and the transport keeps working
  assert.is((look(await t2.exec('echo fine')) as ExecResult).stdout, 'fine\n');
  const rs = look(await t2.execMany(['true', 'true'], { become: { user: 'daemon', password: wrong } })) as ExecResult[];
  assert.ok(rs.every((x) => x.code === 1 && /incorrect become password/.test(x.stderr)));
  await t2.close();
});

test('missing password: "become password required"', async () => {
  const r = look(await t.exec('whoami', { become: { user: 'daemon' } })) as ExecResult;
  assert.is(r.code, 1);
  assert.match(r.stderr, /become password required/);
});

test('password login (no key) works', async () => {
  const opts = { ...sshOptionsFor(s, u.name), privateKeyPath: undefined, password: PASSWORD };
  const t3 = new SshTransport(opts);
  assert.is((look(await t3.exec('whoami')) as ExecResult).stdout, `${u.name}\n`);
  await t3.close();
  const bad = new SshTransport({ ...opts, password: 'nope' + PASSWORD });
  try {
    await bad.connect();
    assert.unreachable();
  } catch (e) {
    seen.push((e as Error).message, String((e as { hint?: string }).hint));
    assert.match((e as Error).message, /authentication failed \(tried: password\)/);
  }
  await bad.close();
});

test('a login shell whose ~/.bashrc prints noise does not disturb the framing', async () => {
  const noisy = createTestUser('kvplaynoisy', PASSWORD);
  const s2 = await startSshd({ readBashrc: true });
  try {
    execFileSync('usermod', ['-s', '/bin/bash', noisy.name]);
    writeFileSync(`/home/${noisy.name}/.bashrc`, 'echo NOISE-OUT; echo NOISE-ERR >&2; printf partial\n');
    const t4 = new SshTransport(sshOptionsFor(s2, noisy.name));
    assert.equal(await t4.exec('echo hi'), { code: 0, stdout: 'hi\n', stderr: '' });
    assert.match((await t4.execRaw('true')).stdout, /NOISE-OUT/, 'the rc file really runs');
    const b = { user: 'root', password: PASSWORD };
    assert.equal(look(await t4.exec('whoami', { become: b })), { code: 0, stdout: 'root\n', stderr: '' });
    assert.equal(await t4.execMany(['echo a', 'echo b >&2']), [{ code: 0, stdout: 'a\n', stderr: '' }, { code: 0, stdout: '', stderr: 'b\n' }]);
    await t4.close();
  } finally {
    noisy.cleanup();
    await s2.stop();
  }
});

test('the password never appears in any output or error', () => {
  assert.ok(seen.length > 20);
  for (const x of seen) assert.not.ok(x.includes(PASSWORD), `leaked in: ${x}`);
});

test.run();
