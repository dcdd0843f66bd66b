/**
 * The modules over a real SSH transport (OpenSSH sshd from test/harness): the same plans and
 * steps as with LocalTransport, through the persistent remote shell (stdin, exit codes, one
 * round trip for facts). Skipped (with the reason) without root or sshd: test/harness/gate.ts.
 */
import * as assert from 'uvu/assert';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SshTransport } from '../../src/transport/ssh.js';
import { startSshd, sshOptionsFor, type Sshd } from '../harness/sshd.js';
import { gatherFacts } from '../../src/facts/host.js';
import { converge, rmDir, run, tempDir, tempLeftovers } from './helpers.js';
import { requires } from '../harness/gate.js';

const test = requires({ sshd: true });
let sshd: Sshd;
let transport: SshTransport;
let dir: string;

test.before(async () => {
  dir = tempDir('kvplay-ssh-mod-');
  sshd = await startSshd();
  transport = new SshTransport(sshOptionsFor(sshd) as any);
  await transport.connect();
});

test.after(async () => {
  await transport?.close();
  await sshd?.stop();
  if (dir) rmDir(dir);
});

test('copy, lineinfile, blockinfile, file converge over ssh (binary-safe stdin)', async () => {
  const over = { transport };
  const f = join(dir, 'conf');
  const bin = Buffer.concat([Buffer.from('KVPLAY_EOF_x\n'), Buffer.from([0, 1, 255])]);
  await converge('copy', { dest: join(dir, 'bin'), content: bin.toString('latin1') }, dir, 'changed', over);
  await converge('copy', { dest: f, content: 'a=1\nb=2\n', mode: '0640' }, dir, 'changed', over);
  await converge('lineinfile', { path: f, regexp: '^b=', line: 'b=3', backup: true }, dir, 'changed', over);
  await converge('blockinfile', { path: f, block: 'x\ny' }, dir, 'changed', over);
  assert.is(readFileSync(f, 'utf8'), 'a=1\nb=3\n# BEGIN ANSIBLE MANAGED BLOCK\nx\ny\n# END ANSIBLE MANAGED BLOCK\n');
  assert.is(statSync(f).mode & 0o777, 0o640);
  await converge('file', { path: join(dir, 'd', 'e'), state: 'directory', mode: 'u=rwx,go=rx' }, dir, 'changed', over);
  assert.equal(tempLeftovers(dir), []);
});

test('command/shell over ssh: rc, stdout, stdin, chdir, failures', async () => {
  const over = { transport };
  const r = await run('command', { argv: ['cat'], stdin: 'over ssh' }, over);
  assert.is(r.data.stdout, 'over ssh');
  const s = await run('shell', { cmd: 'pwd; echo err >&2; exit 4', chdir: dir }, over);
  assert.is(s.status, 'failed');
  assert.is(s.data.rc, 4);
  assert.is(s.data.stdout, dir);
  assert.is(s.data.stderr, 'err');
  // the persistent shell survives `exit` and `set -e` in commands
  assert.is((await run('command', { cmd: 'echo alive' }, over)).data.stdout, 'alive');
});

test('stat, slurp, fetch, wait_for, facts over ssh', async () => {
  const over = { transport };
  const f = join(dir, 'data');
  writeFileSync(f, 'payload\n');
  assert.is(((await run('stat', { path: f }, over)).data.stat as any).size, 8);
  assert.is(Buffer.from((await run('slurp', { src: f }, over)).data.content as string, 'base64').toString(), 'payload\n');
  const fe = await run('fetch', { src: f, dest: join(dir, 'fetched') + '/', flat: true }, over);
  assert.is(fe.status, 'changed');
  assert.is(readFileSync(join(dir, 'fetched', 'data'), 'utf8'), 'payload\n');
  const w = await run('wait_for', { port: sshd.port, timeout: 5 }, over);
  assert.is(w.status, 'ok', w.reason);
  const facts = (await gatherFacts(transport)) as any;
  assert.ok(facts.interfaces.includes('lo'));
  assert.is(facts.user_id, 'root');
});

test.run();
