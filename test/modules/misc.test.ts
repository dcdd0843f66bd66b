import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/util/errors.js';
import { activeConnections } from '../../src/modules/wait_for.js';
import { pauseIO } from '../../src/modules/pause.js';
import { fetchDest } from '../../src/modules/fetch.js';
import { filterFacts } from '../../src/modules/setup.js';
import { sha256 } from '../../src/modules/lib/fileops.js';
import { CountingTransport, rmDir, run, tempDir } from './helpers.js';
import { closedPort, listen } from '../harness/net.js';
import type { ExecOptions, ExecResult } from '../../src/transport/types.js';

test('stat: file, directory, symlink, missing; checksum algorithms', async () => {
  const d = tempDir();
  try {
    const f = join(d, 'f');
    writeFileSync(f, 'abc');
    chmodSync(f, 0o640);
    const r = await run('stat', { path: f });
    assert.is(r.status, 'ok');
    const s = r.data.stat as any;
    assert.is(s.exists, true);
    assert.is(s.isreg, true);
    assert.is(s.isdir, false);
    assert.is(s.mode, '0640');
    assert.is(s.size, 3);
    assert.is(s.checksum, 'a9993e364706816aba3e25717850c26c9cd0d89d'); // sha1 like Ansible
    assert.is(typeof s.pw_name, 'string');
    assert.is(typeof s.mtime, 'number');
    assert.is(s.readable, true);
    const s256 = (await run('stat', { path: f, checksum_algorithm: 'sha256' })).data.stat as any;
    assert.is(s256.checksum, sha256('abc'));
    assert.is(((await run('stat', { path: f, get_checksum: false })).data.stat as any).checksum, undefined);
    assert.is(((await run('stat', { path: d })).data.stat as any).isdir, true);
    symlinkSync(f, join(d, 'l'));
    const l = (await run('stat', { path: join(d, 'l') })).data.stat as any;
    assert.is(l.islnk, true);
    assert.is(l.lnk_target, f);
    assert.is(((await run('stat', { path: join(d, 'l'), follow: true })).data.stat as any).isreg, true);
    assert.equal((await run('stat', { path: join(d, 'nope') })).data.stat, { exists: false });
  } finally { rmDir(d); }
});

test('slurp: base64 content; missing file fails', async () => {
  const d = tempDir();
  try {
    const f = join(d, 'f');
    const bin = Buffer.from([0, 255, 10, 65]);
    writeFileSync(f, bin);
    const r = await run('slurp', { src: f });
    assert.is(r.status, 'ok');
    assert.ok(Buffer.from(r.data.content as string, 'base64').equals(bin));
    assert.is(r.data.encoding, 'base64');
    const m = await run('slurp', { path: join(d, 'nope') });
    assert.is(m.status, 'failed');
    assert.match(m.reason, /file not found/);
  } finally { rmDir(d); }
});

test('fetch: DEST/HOST/SRC and flat, atomic, idempotent, check mode', async () => {
  const d = tempDir();
  try {
    const src = join(d, 'remote', 'etc', 'conf');
    mkdirSync(join(d, 'remote', 'etc'), { recursive: true });
    writeFileSync(src, 'v1\n');
    const dest = join(d, 'fetched');
    // as Ansible's fetch: not run in check mode (skipped)
    const chk = await run('fetch', { src, dest }, { check: true });
    assert.ok(chk.skipped);
    assert.is(chk.data.msg, 'check mode not (yet) supported for this module');
    assert.not.ok(existsSync(dest));
    const r = await run('fetch', { src, dest });
    assert.is(r.status, 'changed');
    const local = join(dest, 'testhost', src);
    assert.is(readFileSync(local, 'utf8'), 'v1\n');
    assert.is((await run('fetch', { src, dest })).status, 'ok');
    const flat = await run('fetch', { src, dest: join(d, 'flat') + '/', flat: true });
    assert.is(flat.status, 'changed');
    assert.is(readFileSync(join(d, 'flat', 'conf'), 'utf8'), 'v1\n');
    assert.equal(readdirSync(join(d, 'flat')), ['conf']);
    const miss = await run('fetch', { src: join(d, 'nope'), dest });
    assert.is(miss.status, 'failed');
    assert.is((await run('fetch', { src: join(d, 'nope'), dest, fail_on_missing: false })).status, 'ok');
    assert.is(fetchDest({ src: '/a/b', dest: 'out' }, 'h1'), join(process.cwd(), 'out', 'h1', 'a', 'b'));
  } finally { rmDir(d); }
});

test('debug: msg, var, verbosity', async () => {
  const r = await run('debug', { msg: 'hi' });
  assert.is(r.status, 'ok');
  assert.is(r.data.msg, 'hi');
  assert.is((await run('debug', {})).data.msg, 'Hello world!');
  const v = await run('debug', { var: 'x' }, { vars: { x: { a: 1 } } });
  assert.equal(v.data.x, { a: 1 });
  assert.is((await run('debug', { var: 'nope' })).data.nope, 'VARIABLE IS NOT DEFINED!');
  const s = await run('debug', { msg: 'hidden', verbosity: 2 });
  assert.is(s.skipped, true);
  assert.equal([s.data.skipped_reason, s.data.msg], ['Verbosity threshold not met.', undefined]);
  assert.is((await run('debug', { msg: 'shown', verbosity: 2 }, { vars: { ansible_verbosity: 2 } })).skipped, undefined);
});

test('set_fact: setVars without cacheable', async () => {
  const r = await run('set_fact', { a: 1, b: 'two', c: 'yes', d: 'False', cacheable: 'yes' });
  assert.is(r.status, 'ok');
  assert.equal(r.setVars, { a: 1, b: 'two', c: true, d: false });
});

test('assert: that list/string, fail_msg, success_msg', async () => {
  const vars = { x: 3, name: 'kvm1' };
  const ok = await run('assert', { that: ['x == 3', "name == 'kvm1'"], success_msg: 'fine' }, { vars });
  assert.is(ok.status, 'ok');
  assert.is(ok.data.msg, 'fine');
  const bad = await run('assert', { that: 'x > 5', fail_msg: 'too small' }, { vars });
  assert.is(bad.status, 'failed');
  assert.is(bad.data.msg, 'too small');
  assert.is(bad.data.assertion, 'x > 5');
  assert.is((await run('assert', { that: ['x == 3', 'x == 4'] }, { vars })).data.msg, 'Assertion failed');
  assert.is((await run('assert', { that: true })).status, 'ok');
});

test('fail and ping', async () => {
  const f = await run('fail', { msg: 'stop here' });
  assert.is(f.status, 'failed');
  assert.is(f.reason, 'stop here');
  const p = await run('ping', {});
  assert.is(p.status, 'ok');
  assert.is(p.data.ping, 'pong');
  assert.is((await run('ping', { data: 'crash' })).status, 'failed');
});

test('wait_for: port started/stopped/timeout, on the host via the transport', async () => {
  // the probe hangs up without reading the banner: the server's socket sees ECONNRESET (handled in listen())
  const srv = await listen((s) => s.end('SSH-2.0-kvplay-test\r\n'));
  try {
    const r = await run('wait_for', { port: srv.port, timeout: 5 });
    assert.is(r.status, 'ok', r.reason);
    const rx = await run('wait_for', { port: srv.port, search_regex: 'SSH-(\\d)', timeout: 5, connect_timeout: 1 });
    assert.is(rx.status, 'ok', rx.reason);
    assert.equal(rx.data.match_groups, ['2']);
    const open = await run('wait_for', { port: srv.port, state: 'stopped', timeout: 0.5, sleep: 0.1 });
    assert.is(open.status, 'failed', 'a listening port is not stopped');
  } finally {
    await srv.close();
  }
  // a port that refuses connections and that no other process can take meanwhile
  const closed = await closedPort();
  try {
    assert.is((await run('wait_for', { port: closed.port, state: 'stopped', timeout: 5 })).status, 'ok');
    const t0 = Date.now();
    const to = await run('wait_for', { port: closed.port, timeout: 1, sleep: 0.2, msg: 'no server' });
    assert.is(to.status, 'failed');
    assert.is(to.reason, 'no server');
    assert.ok(Date.now() - t0 < 10_000, 'gave up after its timeout (not the 300 s default)');
  } finally {
    await closed.release();
  }
});

/** A LocalTransport that calls onPoll(n) before its n-th command (n from 0). */
class PollHook extends CountingTransport {
  constructor(private onPoll: (n: number) => void) { super(); }
  exec(cmd: string, opts?: ExecOptions): Promise<ExecResult> {
    this.onPoll(this.execs.length);
    return super.exec(cmd, opts);
  }
}

test('wait_for: path present with search_regex, absent', async () => {
  const d = tempDir();
  try {
    const f = join(d, 'log');
    // the file appears at the 2nd poll, the awaited line at the 3rd: no timers racing the module
    const transport = new PollHook((n) => {
      if (n === 1) writeFileSync(f, 'starting\n');
      if (n === 2) writeFileSync(f, 'starting\nready on port 80\n');
    });
    const r = await run('wait_for', { path: f, search_regex: 'ready on port (?P<port>\\d+)', timeout: 30, sleep: 0.05 }, { transport });
    assert.is(r.status, 'ok', r.reason);
    assert.equal(r.data.match_groupdict, { port: '80' });
    // as Ansible: the path's information is added (its `state` replaces the module's)
    assert.equal([r.data.path, r.data.state, r.data.size], [f, 'file', 26]);
    assert.is(transport.execs.length, 4, 'polled until the line appeared, then read the path information');
    assert.is((await run('wait_for', { path: join(d, 'nope'), state: 'absent', timeout: 1 })).status, 'ok');
    assert.is((await run('wait_for', { path: join(d, 'nope'), timeout: 0.3, sleep: 0.1 })).status, 'failed');
  } finally { rmDir(d); }
});

test('wait_for: drained counts active connections from /proc/net/tcp', () => {
  const tcp = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 0200000A:0016 0300000A:D2F0 01 00000000:00000000 02:000A7C4E 00000000     0        0 2 4 0000000000000000 20 4 30 10 -1
   2: 0200000A:0050 0300000A:D2F1 06 00000000:00000000 02:000A7C4E 00000000     0        0 2 4 0000000000000000 20 4 30 10 -1`;
  assert.is(activeConnections(tcp, 22), 1);
  assert.is(activeConnections(tcp, 80), 1);
  assert.is(activeConnections(tcp, 443), 0);
});

test('pause: seconds; prompt-only without a terminal is an InputError with a hint', async () => {
  const t0 = Date.now();
  const r = await run('pause', { seconds: 0.3 });
  assert.is(r.status, 'ok');
  assert.ok(Date.now() - t0 >= 290);
  const saved = pauseIO.isTTY;
  pauseIO.isTTY = () => false;
  try {
    await run('pause', { prompt: 'Continue?' });
    assert.unreachable('should throw');
  } catch (e) {
    assert.instance(e, InputError);
    assert.match((e as InputError).hint ?? '', /seconds/);
  } finally {
    pauseIO.isTTY = saved;
  }
  pauseIO.isTTY = () => true;
  const ask = pauseIO.ask;
  pauseIO.ask = async () => 'yes';
  try {
    assert.is((await run('pause', { prompt: 'Continue?' })).data.user_input, 'yes');
  } finally {
    pauseIO.isTTY = saved;
    pauseIO.ask = ask;
  }
});

test('setup: real facts of this machine, filter', async () => {
  const r = await run('setup', {});
  assert.is(r.status, 'ok');
  // Ansible's setup result names the facts ansible_X (the engine stores them as ansible_facts.X)
  const f = r.data.ansible_facts as any;
  assert.ok(f.ansible_os_family && f.ansible_distribution && f.ansible_kernel && f.ansible_architecture);
  assert.ok(Array.isArray(f.ansible_interfaces) && f.ansible_interfaces.includes('lo'));
  const only = await run('setup', { filter: 'ansible_distribution*' });
  assert.ok(Object.keys(only.data.ansible_facts as object).every((k) => k.startsWith('ansible_distribution')));
  assert.equal(filterFacts({ a: 1, ab: 2, b: 3 }, ['a*']), { a: 1, ab: 2 });
});

test.run();
