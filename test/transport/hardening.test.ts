/**
 * Transport hardening against a real sshd (kvplay issue 9):
 *  - SFTP staging of large payloads never outlives a killed kvplay, never readable by others;
 *  - each command's output is its own (a background child's later output never lands in a later
 *    command's result);
 *  - Ctrl-C stops the remote command and names the interrupted task; a timeout kills only the
 *    timed-out command's tree;
 *  - a connection storm against a tight sshd MaxStartups: dropped handshakes are retried, auth
 *    failures and host key mismatches are not.
 * Waits are bounded polls on the real state, never fixed sleeps standing in for a result.
 */
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import { startSshd, sshOptionsFor, descendantCommands, waitForDescendant, type Sshd } from '../harness/sshd.js';
import { listen, type TestServer } from '../harness/net.js';
import { requires } from '../harness/gate.js';
import { SshTransport } from '../../src/transport/ssh.js';
import { backoffMs, HANDSHAKE_ATTEMPTS } from '../../src/transport/ssh-connect.js';
import { BIN, kvplay, writePlaybook } from '../e2e/helpers.js';

/** Needs a real sshd (root) with OpenSSH's sftp-server: elsewhere every test is reported as skipped with the reason. */
const test = requires({ sshd: true, files: ['/usr/lib/openssh/sftp-server'] });

let s: Sshd;
let dir: string;
const TAG = `${process.pid}${randomBytes(2).readUInt16BE(0)}`; // our own sleep durations: other tests may run at once

test.before(async () => {
  s = await startSshd({ extraConfig: 'Subsystem sftp /usr/lib/openssh/sftp-server' });
  dir = mkdtempSync(join(tmpdir(), 'kvplay-hardening-'));
});
test.after(async () => {
  await s?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function until<T>(what: string, ms: number, probe: () => T | undefined | false | Promise<T | undefined | false>, every = 20): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/** Pids of the live processes on this machine (the sshd is local) whose command line is exactly `cmd`. */
function pidsOf(cmd: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ') === cmd) out.push(Number(p));
    } catch { /* gone */ }
  }
  return out;
}
const exactly = (cmd: string) => new RegExp(`^${cmd.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

function inventory(name: string, vars: Record<string, unknown> = {}): string {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify({ all: { hosts: { h1: { ansible_host: '127.0.0.1', ansible_port: s.port, ansible_user: 'root', ansible_ssh_private_key_file: s.clientKey, kvplay_known_hosts_file: s.knownHostsFile, ...vars } } } }));
  return p;
}

function runCli(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; signal: string | null; out: string }> } {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const done = new Promise<{ code: number | null; signal: string | null; out: string }>((res) => child.on('close', (code, signal) => res({ code, signal, out })));
  return { child, done };
}

/** Staging entries in /tmp (dirs `.kvplay-in-<pid>-<rand>`, or plain files of older versions). */
const staging = () => new Set(readdirSync('/tmp').filter((f) => f.startsWith('.kvplay-in-')).map((f) => join('/tmp', f)));

test('(4) kill -9 of kvplay mid-transfer: staging was private (0700 dir, 0600 file) and is gone after the next connect', async () => {
  const src = join(dir, 'big.bin');
  writeFileSync(src, randomBytes(96 * 1024 * 1024));
  const pb = writePlaybook(dir, 'big.yaml', `- hosts: all\n  gather_facts: false\n  tasks:\n    - copy: {src: ${JSON.stringify(src)}, dest: ${JSON.stringify(join(dir, 'big.copy'))}}\n`);
  const before = staging();
  const { child, done } = runCli([pb, '-i', inventory('big-inv.json')]);
  const seen = new Set<string>();
  const loose: string[] = [];
  let midTransfer = false;
  try {
    await until('a staged payload holding data', 60_000, () => {
      for (const e of staging()) {
        if (before.has(e)) continue;
        let st;
        try { st = lstatSync(e); } catch { continue; }
        seen.add(e);
        const files = st.isDirectory() ? (() => { try { return readdirSync(e).map((f) => join(e, f)); } catch { return []; } })() : [e];
        if (st.isDirectory() && (st.mode & 0o077) !== 0) loose.push(`${e} mode ${(st.mode & 0o777).toString(8)}`);
        for (const f of files) {
          let fs;
          try { fs = lstatSync(f); } catch { continue; }
          if ((fs.mode & 0o077) !== 0) loose.push(`${f} mode ${(fs.mode & 0o777).toString(8)}`);
          if (fs.size > 0) midTransfer = true;
        }
      }
      return midTransfer;
    }, 5);
  } finally {
    child.kill('SIGKILL');
  }
  await done;
  assert.ok(midTransfer, 'the transfer was killed while the payload was staged');
  assert.equal(loose, [], 'no staged payload is readable by others');
  // the killed connection's sshd process goes away; then the next connection of the user sweeps
  await until('the killed connection to end on the host', 15_000, () => s.connectionCount() === 0);
  const t = new SshTransport(sshOptionsFor(s));
  try {
    await t.connect();
    assert.equal([...seen].filter((e) => staging().has(e)), [], 'no staging entry of the killed run remains');
  } finally {
    await t.close();
  }
});

test('(4) a finished transfer: the payload is unlinked once the command has it open, the dir is removed at close', async () => {
  const t = new SshTransport(sshOptionsFor(s));
  const before = staging();
  try {
    const data = randomBytes(512 * 1024);
    // stdin is the staged file: already unlinked, in an otherwise empty 0700 dir, 0600 itself
    const r = await t.exec('p=$(readlink /proc/self/fd/0); d=${p%/*}; echo "$p"; ls -A "$d" | wc -l; stat -c %a "$d"; stat -L -c %a /proc/self/fd/0; wc -c', { stdin: data });
    assert.is(r.code, 0, r.stderr);
    assert.is(t.sftp.uploads, 1);
    const [path, count, dirMode, mode, size] = r.stdout.trim().split('\n').map((l) => l.trim());
    assert.match(path, /^\/tmp\/\.kvplay-in-\d+-[0-9a-f]+\/[0-9a-f]+ \(deleted\)$/);
    assert.is(count, '0', 'the staging dir is empty while the command runs');
    assert.is(dirMode, '700');
    assert.is(mode, '600');
    assert.is(size, String(data.length));
  } finally {
    await t.close();
  }
  assert.equal([...staging()].filter((e) => !before.has(e)), [], 'nothing staged remains after close');
});

test('(6) a background child\'s later output never lands in the next command\'s result (transport)', async () => {
  const t = new SshTransport(sshOptionsFor(s));
  try {
    const first = await t.exec(`echo first; sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do sleep 0.2; echo LATE; echo LATE-ERR >&2; done' &`);
    assert.equal(first, { code: 0, stdout: 'first\n', stderr: '' });
    const next = await t.exec('sleep 1; echo mine');
    assert.equal(next, { code: 0, stdout: 'mine\n', stderr: '' }, 'LATE went to the next command');
    // what a child writes BEFORE its command ends is the command's
    const own = await t.exec(`(sleep 0.2; echo child) & wait`);
    assert.is(own.stdout, 'child\n');
    // a chatty child (1.5 s of output) across several later commands
    await t.exec(`nohup sh -c 'i=0; while [ $i -lt 30 ]; do echo NOISE; echo NOISE >&2; i=$((i+1)); sleep 0.05; done' &`);
    for (let i = 0; i < 5; i++) assert.equal(await t.exec(`sleep 0.3; echo ${i}`), { code: 0, stdout: `${i}\n`, stderr: '' });
  } finally {
    await t.close();
  }
});

test('(6) through the CLI: the next task\'s registered stdout does not contain LATE', async () => {
  const pb = writePlaybook(dir, 'late.yaml', `- hosts: all
  gather_facts: false
  tasks:
    - shell: "sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do sleep 0.2; echo LATE; done' &"
    - shell: sleep 1; echo mine
      register: r2
    - assert:
        that:
          - r2.stdout == 'mine'
          - "'LATE' not in r2.stdout"
`);
  const r = await kvplay([pb, '-i', inventory('late-inv.json')]);
  assert.is(r.code, 0, r.stdout + r.stderr);
});

test('(13) SIGINT to kvplay while a command runs: the remote command is gone, exit 130, the task is named', async () => {
  const sleep = `sleep 31.${TAG}`;
  const pb = writePlaybook(dir, 'int.yaml', `- hosts: all\n  gather_facts: false\n  tasks:\n    - name: long wait ${TAG}\n      command: ${sleep}\n`);
  const { child, done } = runCli([pb, '-i', inventory('int-inv.json')]);
  try {
    await waitForDescendant(s.pid, exactly(sleep), 30_000);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  child.kill('SIGINT');
  const r = await Promise.race([done, new Promise<never>((_, rej) => setTimeout(() => { child.kill('SIGKILL'); rej(new Error('kvplay did not exit within 15 s of SIGINT')); }, 15_000))]);
  assert.is(r.code, 130, `exit code (signal ${r.signal}): ${r.out}`);
  assert.match(r.out, new RegExp(`interrupted[^\\n]*long wait ${TAG}`), r.out);
  assert.match(r.out, /\bh1\b/);
  await until(`${sleep} to be gone`, 5000, () => pidsOf(sleep).length === 0);
});

test('(13) ansible_connection local: SIGINT stops the local command too (it runs in its own process group)', async () => {
  const sleep = `sleep 36.${TAG}`;
  const pb = writePlaybook(dir, 'int-local.yaml', `- hosts: all\n  gather_facts: false\n  tasks:\n    - name: local wait ${TAG}\n      command: ${sleep}\n`);
  const { child, done } = runCli([pb, '-i', inventory('int-local-inv.json', { ansible_connection: 'local' })]);
  try {
    await until(`${sleep} to run`, 30_000, () => pidsOf(sleep).length > 0);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  child.kill('SIGINT');
  const r = await Promise.race([done, new Promise<never>((_, rej) => setTimeout(() => { child.kill('SIGKILL'); rej(new Error('kvplay did not exit within 15 s of SIGINT')); }, 15_000))]);
  assert.is(r.code, 130, `exit code (signal ${r.signal}): ${r.out}`);
  assert.match(r.out, new RegExp(`interrupted[^\\n]*local wait ${TAG}`), r.out);
  await until(`${sleep} to be gone`, 5000, () => pidsOf(sleep).length === 0);
});

test('(13) Transport.interrupt stops the running command (SIGTERM to its tree) and starts no new one', async () => {
  const t = new SshTransport(sshOptionsFor(s));
  try {
    const sleep = `sleep 32.${TAG}`;
    const running = t.exec(`echo before; ${sleep}; echo after`);
    running.catch(() => undefined); // a failure below must not leave an unhandled rejection
    await waitForDescendant(s.pid, exactly(sleep), 15_000);
    await t.interrupt();
    const r = await running;
    assert.is(r.code, 143, JSON.stringify(r));
    assert.is(r.stdout, 'before\n');
    assert.equal(descendantCommands(s.pid).filter((c) => c === sleep), []);
    const next = await t.exec('echo next').then(() => 'ran', (e: Error) => e.message);
    assert.match(next, /interrupted/, 'no command after the interrupt');
  } finally {
    await t.close();
  }
});

test('timeout kills the timed-out command\'s tree, not what an earlier command left running', async () => {
  const t = new SshTransport(sshOptionsFor(s));
  const daemon = `sleep 33.${TAG}`;
  try {
    await t.exec(`${daemon} >/dev/null 2>&1 &`);
    await until('the daemon to run', 10_000, () => pidsOf(daemon).length > 0);
    const slow = `sleep 34.${TAG}`;
    const r = await t.exec(`echo partial; echo err >&2; ${slow}`, { timeoutMs: 1000 });
    assert.equal(r, { code: 124, stdout: 'partial\n', stderr: 'err\n', timedOut: true });
    await until(`${slow} to be killed`, 5000, () => pidsOf(slow).length === 0);
    assert.is(pidsOf(daemon).length, 1, 'the earlier background process still runs');
  } finally {
    await t.close();
    for (const pid of pidsOf(daemon)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  }
});

/** A TCP proxy in front of the sshd that counts connections (to see retries, or their absence). */
async function countingProxy(port: number): Promise<TestServer & { count: () => number }> {
  let n = 0;
  const srv = await listen((c: Socket) => {
    n++;
    const up = connect({ host: '127.0.0.1', port });
    up.on('error', () => c.destroy());
    c.on('error', () => up.destroy());
    c.pipe(up).pipe(c);
  });
  return Object.assign(srv, { count: () => n });
}

test('(14) 30 connections at once against sshd MaxStartups 2:100:2 all succeed', async () => {
  const tight = await startSshd({ extraConfig: 'MaxStartups 2:100:2' });
  const ts = Array.from({ length: 30 }, (_, i) => new SshTransport({ ...sshOptionsFor(tight, 'root', `storm${i}`), connectTimeoutMs: 30_000 }));
  try {
    const rs = await Promise.allSettled(ts.map((t) => t.connect()));
    const failed = rs.flatMap((r, i) => (r.status === 'rejected' ? [`storm${i}: ${(r.reason as Error).message}`] : []));
    assert.equal(failed, [], `${failed.length} of 30 unreachable`);
    const outs = await Promise.all(ts.map((t) => t.exec('echo ok')));
    assert.ok(outs.every((o) => o.stdout === 'ok\n'));
  } finally {
    await Promise.all(ts.map((t) => t.close()));
    await tight.stop();
  }
});

test('(14) a server that drops before its banner is retried (bounded); auth failures and host key mismatches are not', async () => {
  const dropper = await listen((c) => c.destroy());
  try {
    const t0 = Date.now();
    const t = new SshTransport({ ...sshOptionsFor(s), port: dropper.port, connectTimeoutMs: 20_000 });
    const e = await t.connect().then(() => null, (x: Error) => x);
    assert.ok(e, 'cannot connect');
    assert.match(e!.message, new RegExp(`before the SSH handshake.*\\(${HANDSHAKE_ATTEMPTS} attempts\\)`));
    assert.match((e as Error & { hint?: string }).hint ?? '', /MaxStartups/);
    assert.ok(Date.now() - t0 < 20_000, 'bounded');
  } finally {
    await dropper.close();
  }
  const proxy = await countingProxy(s.port);
  try {
    const badKey = join(dir, 'other_key');
    writeFileSync(badKey, readFileSync(join(s.dir, 'host_ed25519')), { mode: 0o600 }); // a valid key sshd does not accept for login
    const khProxy = join(dir, 'proxy_known_hosts');
    writeFileSync(khProxy, `[127.0.0.1]:${proxy.port} ${s.hostPubKey}\n`);
    const auth = new SshTransport({ ...sshOptionsFor(s), port: proxy.port, privateKeyPath: badKey, knownHostsFiles: [khProxy] });
    const ea = await auth.connect().then(() => null, (x: Error) => x);
    assert.match(ea?.message ?? '', /authentication failed/);
    assert.is(proxy.count(), 1, 'an auth failure is not retried');
    const kh = join(dir, 'wrong_known_hosts');
    writeFileSync(kh, `[127.0.0.1]:${proxy.port} ${readFileSync(`${s.clientKey}.pub`, 'utf8').trim()}\n`); // another key
    const hk = new SshTransport({ ...sshOptionsFor(s), port: proxy.port, knownHostsFiles: [kh] });
    const eh = await hk.connect().then(() => null, (x: Error) => x);
    assert.ok(eh, 'refused');
    assert.not.match(eh!.message, /authentication failed/);
    assert.is(proxy.count(), 2, 'a host key mismatch is not retried');
  } finally {
    await proxy.close();
  }
});

test('backoff: exponential, capped at 2 s, jittered within [b/2, b]', () => {
  for (let n = 1; n <= 12; n++) {
    const b = Math.min(2000, 100 * 2 ** (n - 1));
    assert.is(backoffMs(n, () => 0), Math.round(b / 2));
    assert.is(backoffMs(n, () => 1), b);
  }
});

test.run();
