/** Large stdin payloads travel over SFTP (a real sshd with the sftp subsystem); without it, inline. */
import * as assert from 'uvu/assert';
import { randomBytes, createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startSshd, sshOptionsFor, type Sshd } from '../harness/sshd.js';
import { SshTransport } from '../../src/transport/ssh.js';
import { SFTP_THRESHOLD } from '../../src/transport/sftp.js';
import { requires } from '../harness/gate.js';

/** Needs a real sshd (root) with OpenSSH's sftp-server: elsewhere every test is reported as skipped with the reason. */
const test = requires({ sshd: true, files: ['/usr/lib/openssh/sftp-server'] });

let withSftp: Sshd;
let without: Sshd;
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
/** Staged payloads left in /tmp: files in staging dirs (a dir lives as long as its connection), or loose ones. */
const leftovers = () => readdirSync('/tmp').filter((f) => f.startsWith('.kvplay-in-')).flatMap((f) => {
  const p = join('/tmp', f);
  try { return statSync(p).isDirectory() ? readdirSync(p).map((x) => join(p, x)) : [p]; } catch { return []; }
});

test.before(async () => {
  withSftp = await startSshd({ extraConfig: 'Subsystem sftp /usr/lib/openssh/sftp-server' });
  without = await startSshd();
});
test.after(async () => {
  await withSftp?.stop();
  await without?.stop();
});

test('a 3 MiB binary payload goes over SFTP, arrives intact, and the temp file is removed', async () => {
  const t = new SshTransport(sshOptionsFor(withSftp));
  try {
    const data = randomBytes(3 * 1024 * 1024);
    const r = await t.exec('sha256sum', { stdin: data });
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout.split(' ')[0], sha(data));
    assert.is(t.sftp.uploads, 1);
    const small = await t.exec('cat', { stdin: 'small\n' });
    assert.is(small.stdout, 'small\n');
    assert.is(t.sftp.uploads, 1, 'small payloads stay inline');
    const again = await t.exec('wc -c', { stdin: Buffer.alloc(SFTP_THRESHOLD, 65) });
    assert.is(again.stdout.trim(), String(SFTP_THRESHOLD));
    assert.is(t.sftp.uploads, 2);
    const failing = await t.exec('cat >/dev/null; exit 3', { stdin: data });
    assert.is(failing.code, 3, 'the exit code survives the wrapper');
    assert.equal(leftovers(), []);
  } finally {
    await t.close();
  }
});

test('no sftp subsystem: the payload goes inline and still arrives intact', async () => {
  const t = new SshTransport(sshOptionsFor(without));
  try {
    const data = randomBytes(SFTP_THRESHOLD * 2);
    const r = await t.exec('sha256sum', { stdin: data });
    assert.is(r.stdout.split(' ')[0], sha(data));
    assert.is(t.sftp.uploads, 0);
  } finally {
    await t.close();
  }
});

test.run();
