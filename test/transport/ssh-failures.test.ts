/** Unreachable hosts: refused port, bad auth, sshd crash mid-command, ProxyJump. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSshd, sshOptionsFor, waitForDescendant, type Sshd } from '../harness/sshd.js';
import { requires } from '../harness/gate.js';
import { closedPort, listen } from '../harness/net.js';
import { SshTransport } from '../../src/transport/ssh.js';
import { createTransport } from '../../src/transport/index.js';
import { UnreachableError } from '../../src/util/errors.js';

/** The tests on real daemons need sshd (root): elsewhere reported as skipped with the reason. */
const sshdTest = requires({ sshd: true });
const started: Sshd[] = [];
const dir = mkdtempSync(join(tmpdir(), 'kvplay-fail-'));
test.after(async () => {
  for (const s of started) await s.stop().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});
async function sshd(): Promise<Sshd> {
  const s = await startSshd();
  started.push(s);
  return s;
}

async function expectUnreachable(p: Promise<unknown>, re: RegExp): Promise<UnreachableError> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, UnreachableError, String(e));
    assert.match((e as Error).message, re);
    return e as UnreachableError;
  }
  throw new Error('expected UnreachableError');
}

let t0 = 0;
test.before.each(() => { t0 = Date.now(); });
test.after.each((ctx) => { if (process.env.KVPLAY_TEST_TIMING) console.log(`\n  ${ctx.__test__}: ${Date.now() - t0} ms`); });

test('closed port: UnreachableError quickly, connect can be retried', async () => {
  // a port nothing listens on and no other process can take during the test
  const closed = await closedPort();
  try {
    const t = new SshTransport({ name: 'dead', host: '127.0.0.1', port: closed.port, user: 'root', knownHostsFiles: [], acceptNewHostKeys: false, agentSocket: '' });
    const t0 = Date.now();
    const e = await expectUnreachable(t.connect(), /connection refused/);
    assert.ok(Date.now() - t0 < 5000, 'fast (no connect timeout)');
    assert.match(e.message, /dead/);
    assert.ok(e.hint);
    await expectUnreachable(t.exec('true'), /connection refused/);
    await t.close();
  } finally {
    await closed.release();
  }
});

test('connect timeout: a port that accepts TCP but never speaks SSH', async () => {
  // silent; the transport hangs up on it (ECONNRESET on the server's socket is handled by listen())
  const srv = await listen();
  try {
    const t = new SshTransport({ name: 'mute', host: '127.0.0.1', port: srv.port, user: 'root', knownHostsFiles: [], acceptNewHostKeys: false, connectTimeoutMs: 500, agentSocket: '' });
    const t0 = Date.now();
    await expectUnreachable(t.connect(), /timed out after 500 ms/);
    assert.ok(Date.now() - t0 < 8000, 'gave up after its connect timeout');
    await t.close();
  } finally {
    await srv.close();
  }
});

sshdTest('authentication failure names what was tried', async () => {
  const s = await sshd();
  const wrongKey = join(dir, 'wrong');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', wrongKey]);
  const t = new SshTransport({ ...sshOptionsFor(s), privateKeyPath: wrongKey });
  const e = await expectUnreachable(t.connect(), /authentication failed/);
  assert.match(e.message, /publickey .*wrong/);
  assert.match(e.hint ?? '', /ansible_ssh_private_key_file/);
  await t.close();
  const missing = new SshTransport({ ...sshOptionsFor(s), privateKeyPath: join(dir, 'nope') });
  await expectUnreachable(missing.connect(), /cannot read private key/);
});

sshdTest('sshd killed mid-command: pending and later execs reject with UnreachableError (no hang)', async () => {
  const s = await sshd();
  const t = new SshTransport(sshOptionsFor(s));
  await t.connect();
  assert.is((await t.exec('echo up')).stdout, 'up\n');
  // Settle-capturing wrappers: the rejections happen while we are still awaiting s.kill().
  const settle = <T>(p: Promise<T>) => p.then((v) => ({ v }), (e) => ({ e }));
  const running = settle(t.exec('sleep 30'));
  const queued = settle(t.exec('echo queued'));
  const become = settle(t.exec('sleep 30', { become: { user: 'nobody' } }));
  await waitForDescendant(s.pid, /^sleep 30$/); // really mid-command
  const t0 = Date.now();
  await s.kill();
  const tk = Date.now() - t0;
  for (const p of [running, queued, become]) {
    const r = await p;
    assert.ok('e' in r && r.e instanceof UnreachableError, JSON.stringify(r));
    assert.match((r as { e: Error }).e.message, /connection lost/);
  }
  assert.ok(Date.now() - t0 < 10_000, `rejected within ${Date.now() - t0} ms (not after the 30 s command)`);
  if (process.env.KVPLAY_TEST_TIMING) console.log(`\n  kill took ${tk} ms, rejections after ${Date.now() - t0} ms`);
  await expectUnreachable(t.exec('echo later'), /connection lost/);
  await expectUnreachable(t.execMany(['echo a', 'echo b']), /connection lost/);
  await t.close();
});

sshdTest('ProxyJump through a second sshd (SshTransport.jump and ansible_ssh_common_args)', async () => {
  const jump = await sshd();
  const target = await sshd();
  const files = [jump.knownHostsFile, target.knownHostsFile];
  // Each harness sshd has its own client key; the jump uses the same auth: authorize it there too.
  execFileSync('sh', ['-c', `cat ${target.clientKey}.pub >> ${jump.dir}/authorized_keys`]);
  const t = new SshTransport({ ...sshOptionsFor(target), knownHostsFiles: files, jump: { host: '127.0.0.1', port: jump.port, user: 'root' } });
  await t.connect();
  // The target sees a connection from the jump sshd; the jump sshd holds our only TCP connection.
  assert.is((await t.exec('echo via-jump')).stdout, 'via-jump\n');
  assert.is(jump.connectionCount(), 1);
  assert.is(target.connectionCount(), 1);
  await t.close();

  const t2 = createTransport('tgt', {
    ansible_host: '127.0.0.1', ansible_port: target.port, ansible_user: 'root',
    ansible_ssh_private_key_file: target.clientKey,
    ansible_ssh_common_args: `-o ProxyJump=root@127.0.0.1:${jump.port} -o StrictHostKeyChecking=yes`,
  }, { knownHostsFiles: files });
  await t2.connect();
  assert.is((await t2.exec('echo $SSH_CONNECTION | cut -d" " -f3')).stdout, '127.0.0.1\n');
  await t2.close();

  // Unknown jump host key is refused like any other.
  const t3 = new SshTransport({ ...sshOptionsFor(target), knownHostsFiles: [target.knownHostsFile], jump: { host: '127.0.0.1', port: jump.port, user: 'root' } });
  await expectUnreachable(t3.connect(), /via jump host .*not known/);
  await t3.close();
});

test.run();
