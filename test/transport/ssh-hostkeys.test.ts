/** Host key verification against a real sshd: unknown, changed, accept-new, revoked. */
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSshd, sshOptionsFor, type Sshd } from '../harness/sshd.js';
import { SshTransport } from '../../src/transport/ssh.js';
import { UnreachableError } from '../../src/util/errors.js';
import { requires } from '../harness/gate.js';

/** Needs a real sshd (root): elsewhere every test is reported as skipped with the reason. */
const test = requires({ sshd: true });

let s: Sshd;
let dir: string;
let otherKey: string; // "ssh-ed25519 AAAA..." that is NOT the server's

test.before(async () => {
  s = await startSshd();
  dir = mkdtempSync(join(tmpdir(), 'kvplay-hk-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'other')]);
  otherKey = readFileSync(join(dir, 'other.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
});
test.after(async () => {
  await s?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function connectErr(t: SshTransport): Promise<UnreachableError> {
  try {
    await t.connect();
  } catch (e) {
    await t.close();
    assert.instance(e, UnreachableError);
    return e as UnreachableError;
  }
  await t.close();
  throw new Error('connect unexpectedly succeeded');
}

test('known key: connects', async () => {
  const t = new SshTransport(sshOptionsFor(s));
  await t.connect();
  assert.is((await t.exec('echo ok')).stdout, 'ok\n');
  await t.close();
});

test('unknown host key is refused with a how-to-fix hint', async () => {
  const kh = join(dir, 'empty_known_hosts');
  writeFileSync(kh, '');
  const e = await connectErr(new SshTransport({ ...sshOptionsFor(s), knownHostsFiles: [kh] }));
  assert.match(e.message, /not known/);
  assert.match(e.message, /SHA256:/);
  assert.match(e.hint ?? '', /--accept-new-host-keys/);
  assert.match(e.hint ?? '', new RegExp(`ssh-keyscan -p ${s.port} 127\\.0\\.0\\.1 >> ${kh}`));
  assert.is(readFileSync(kh, 'utf8'), '', 'nothing recorded');
});

test('changed host key is refused, even with acceptNewHostKeys, and never recorded', async () => {
  const kh = join(dir, 'changed_known_hosts');
  const content = `[127.0.0.1]:${s.port} ${otherKey}\n`;
  writeFileSync(kh, content);
  for (const acceptNewHostKeys of [false, true]) {
    const e = await connectErr(new SshTransport({ ...sshOptionsFor(s), knownHostsFiles: [kh], acceptNewHostKeys }));
    assert.match(e.message, /has CHANGED/);
    assert.match(e.message, /man-in-the-middle/);
    assert.match(e.hint ?? '', /ssh-keygen -R/);
  }
  assert.is(readFileSync(kh, 'utf8'), content, 'file untouched');
});

test('a changed key in ANY of several files wins over an unknown verdict', async () => {
  const empty = join(dir, 'kh_a');
  const bad = join(dir, 'kh_b');
  writeFileSync(empty, '');
  writeFileSync(bad, `[127.0.0.1]:${s.port} ${otherKey}\n`);
  const e = await connectErr(new SshTransport({ ...sshOptionsFor(s), knownHostsFiles: [empty, bad], acceptNewHostKeys: true }));
  assert.match(e.message, /CHANGED/);
  assert.is(readFileSync(empty, 'utf8'), '');
});

test('acceptNew records [host]:port key in the record file; the next connect verifies it', async () => {
  const kh = join(dir, 'new', 'known_hosts'); // directory does not exist yet
  const t1 = new SshTransport({ ...sshOptionsFor(s), knownHostsFiles: [kh], acceptNewHostKeys: true });
  await t1.connect();
  await t1.close();
  assert.is(readFileSync(kh, 'utf8'), `[127.0.0.1]:${s.port} ${s.hostPubKey}\n`);
  const t2 = new SshTransport({ ...sshOptionsFor(s), knownHostsFiles: [kh], acceptNewHostKeys: false });
  await t2.connect();
  assert.is((await t2.exec('echo verified')).stdout, 'verified\n');
  await t2.close();
  // A separate recordFile receives the key instead of the first known_hosts file.
  const rec = join(dir, 'record');
  const t3 = new SshTransport({ ...sshOptionsFor(s), knownHostsFiles: [join(dir, 'none')], recordFile: rec, acceptNewHostKeys: true });
  await t3.connect();
  await t3.close();
  assert.ok(readFileSync(rec, 'utf8').includes(s.hostPubKey));
  assert.not.ok(existsSync(join(dir, 'none')));
});

test('hashed known_hosts entry verifies', async () => {
  const kh = join(dir, 'hashed');
  writeFileSync(kh, `[127.0.0.1]:${s.port} ${s.hostPubKey}\n`);
  execFileSync('ssh-keygen', ['-H', '-f', kh], { stdio: 'ignore' });
  assert.ok(readFileSync(kh, 'utf8').startsWith('|1|'));
  const t = new SshTransport({ ...sshOptionsFor(s), knownHostsFiles: [kh] });
  await t.connect();
  await t.close();
});

test('@revoked key is refused', async () => {
  const kh = join(dir, 'revoked');
  writeFileSync(kh, `[127.0.0.1]:${s.port} ${s.hostPubKey}\n@revoked * ${s.hostPubKey}\n`);
  const e = await connectErr(new SshTransport({ ...sshOptionsFor(s), knownHostsFiles: [kh], acceptNewHostKeys: true }));
  assert.match(e.message, /REVOKED/);
});

test.run();
