/** SshTransport against a real OpenSSH sshd: framing, quoting, stdin, env/cwd, timeout, execMany. */
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { startSshd, sshOptionsFor, type Sshd } from '../harness/sshd.js';
import { SshTransport } from '../../src/transport/ssh.js';
import { argv, q, sh } from '../../src/util/quote.js';
import { requires } from '../harness/gate.js';

/** Needs a real sshd (root): elsewhere every test is reported as skipped with the reason. */
const test = requires({ sshd: true });

let s: Sshd;
let t: SshTransport;

test.before(async () => {
  s = await startSshd();
  t = new SshTransport(sshOptionsFor(s));
  await t.connect();
});
test.after(async () => {
  await t?.close();
  await s?.stop();
});

test('quoting round-trips through a real remote sh', async () => {
  const values = ['', 'plain', 'two words', "it's", '"double"', '$HOME', '$(id)', '`id`', 'back\\slash',
    'new\nline', 'tab\there', 'ünïcödé ✓ 日本', '-n', '*', '; rm -rf /tmp/nothing', "'", "''", ' lead and trail '];
  for (const v of values) {
    const r = await t.exec(argv('printf', '%s', v));
    assert.is(r.code, 0);
    assert.is(r.stdout, v, `value ${JSON.stringify(v)}`);
  }
  const r = await t.exec(sh`printf '%s|' ${values}`);
  assert.is(r.stdout, values.map((v) => v + '|').join(''));
  assert.is((await t.exec(`printf %s ${q('a b')} ${q('')} | wc -c`)).stdout.trim(), '3');
});

test('stdout and stderr separated, never trimmed', async () => {
  let r = await t.exec(`printf '  lead\\n\\ntrail  \\n\\n'; printf ' e1 \\n\\n' >&2`);
  assert.equal(r, { code: 0, stdout: '  lead\n\ntrail  \n\n', stderr: ' e1 \n\n' });
  r = await t.exec(`printf 'no newline'; printf 'err no newline' >&2`);
  assert.equal(r, { code: 0, stdout: 'no newline', stderr: 'err no newline' });
  r = await t.exec('true');
  assert.equal(r, { code: 0, stdout: '', stderr: '' });
  r = await t.exec(`for i in 1 2 3; do echo out$i; echo err$i >&2; done`);
  assert.is(r.stdout, 'out1\nout2\nout3\n');
  assert.is(r.stderr, 'err1\nerr2\nerr3\n');
});

test('exit codes, exit/syntax errors do not kill the persistent shell', async () => {
  assert.is((await t.exec('exit 0')).code, 0);
  assert.is((await t.exec('false')).code, 1);
  assert.is((await t.exec('exit 255')).code, 255);
  assert.is((await t.exec('exit 300')).code, 44);
  assert.is((await t.exec(`sh -c 'kill -INT $$'`)).code, 130);
  const syn = await t.exec('if then fi (');
  assert.is(syn.code, 2);
  assert.match(syn.stderr, /syntax error/i);
  assert.is((await t.exec('echo alive')).stdout, 'alive\n');
  // heredocs inside the command, and background jobs that keep stdout open, do not hang
  assert.is((await t.exec('cat <<EOF\nhome=$HOME\nEOF')).stdout, 'home=/root\n');
  const t0 = Date.now();
  assert.is((await t.exec('sleep 20 & echo bg')).stdout, 'bg\n');
  assert.ok(Date.now() - t0 < 10_000, 'did not wait for the background job (20 s)');
  // No stdin given: a command reading stdin gets EOF at once instead of eating the script.
  assert.equal(await t.exec('cat; echo done'), { code: 0, stdout: 'done\n', stderr: '' });
});

test('large output (6 MB stdout + 1 MB stderr) arrives intact', async () => {
  const r = await t.exec(`seq 1 800000; head -c 1000000 /dev/zero | tr '\\0' e >&2`);
  let expect = '';
  for (let i = 1; i <= 800000; i++) expect += i + '\n';
  assert.is(r.code, 0);
  assert.is(r.stdout.length, expect.length);
  assert.ok(r.stdout === expect, 'stdout identical');
  assert.is(r.stderr, 'e'.repeat(1_000_000));
});

test('stdin: text with binary-ish bytes and delimiter-like lines; raw bytes via Buffer', async () => {
  const text = 'line1\n\x00\x01\x7f\r\nKVPLAY_EOF\nEOF\n__KVPLAY_x__ 0\n$(id) `id` \'q\'\nünï ✓\nno final newline';
  let r = await t.exec('cat', { stdin: text });
  assert.equal(r, { code: 0, stdout: text, stderr: '' });
  r = await t.exec('wc -c', { stdin: '' });
  assert.is(r.stdout.trim(), '0');
  const bytes = Buffer.alloc(300_000);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 8)) & 0xff;
  r = await t.exec('sha256sum | cut -d" " -f1', { stdin: bytes });
  assert.is(r.stdout.trim(), createHash('sha256').update(bytes).digest('hex'));
  // stdin + env + cwd together, with a failing exit code
  r = await t.exec('cat >/dev/null; echo "$X"; exit 3', { stdin: 'ignored', env: { X: 'x' } });
  assert.equal(r, { code: 3, stdout: 'x\n', stderr: '' });
});

test('env and cwd are honoured and quoted', async () => {
  await t.exec(`mkdir -p '/tmp/kvplay cwd test'`);
  const r = await t.exec('pwd; printf "%s|" "$A" "$B"', { cwd: '/tmp/kvplay cwd test', env: { A: "it's $x `y`", B: 'multi\nline' } });
  assert.equal(r, { code: 0, stdout: `/tmp/kvplay cwd test\nit's $x \`y\`|multi\nline|`, stderr: '' });
  const bad = await t.exec('pwd', { cwd: '/nonexistent/dir' });
  assert.is.not(bad.code, 0);
  assert.is(bad.stdout, '');
  await t.exec(`rmdir '/tmp/kvplay cwd test'`);
});

test('timeout: code 124 + timedOut, the command tree is killed, the next command works', async () => {
  // a sleep of our own (other runs of this file may be sleeping at the same time)
  const SLEEP = `sleep 47.${process.pid}`;
  const t0 = Date.now();
  const r = await t.exec(`echo started; ${SLEEP}; echo never`, { timeoutMs: 1500 });
  assert.ok(Date.now() - t0 < 10_000, 'returned promptly');
  assert.is(r.code, 124);
  assert.is(r.timedOut, true);
  assert.is(r.stdout, 'started\n', `partial output kept: ${JSON.stringify(r)}`);
  assert.equal(await t.exec('echo next'), { code: 0, stdout: 'next\n', stderr: '' });
  // the kill is asynchronous: wait for the process to be gone (a few seconds at most), not a fixed time
  let left = '';
  for (let i = 0; i < 100 && left !== '0'; i++) {
    if (i) await new Promise((res) => setTimeout(res, 50));
    left = (await t.exec(`ps -eo args | grep -c ${q(`^${SLEEP}$`)} || true`)).stdout.trim();
  }
  assert.is(left, '0', 'the timed-out sleep was killed');
  assert.is(t.connects, 1, 'same connection');
});

test('execMany: one result per command, mixed failures, all run', async () => {
  const rs = await t.execMany(['echo a', 'false', 'echo err >&2; exit 7', "printf 'no nl'", 'if then (', 'cat; echo x', 'exit 0']);
  assert.equal(rs, [
    { code: 0, stdout: 'a\n', stderr: '' },
    { code: 1, stdout: '', stderr: '' },
    { code: 7, stdout: '', stderr: 'err\n' },
    { code: 0, stdout: 'no nl', stderr: '' },
    { code: 2, stdout: '', stderr: rs[4].stderr },
    { code: 0, stdout: 'x\n', stderr: '' },
    { code: 0, stdout: '', stderr: '' },
  ]);
  assert.match(rs[4].stderr, /syntax error/i);
  assert.equal(await t.execMany([]), []);
  const big = await t.execMany(['seq 1 100000', 'printf "%s" "$HOME"']);
  assert.is(big[0].stdout.split('\n').length, 100001);
  assert.is(big[1].stdout, '/root');
});

test('50 sequential execs reuse ONE TCP connection and ONE shell', async () => {
  for (let i = 0; i < 50; i++) {
    const r = await t.exec(`echo ${i}; echo $$`);
    assert.is(r.stdout.split('\n')[0], String(i));
  }
  const pids = new Set<string>();
  for (let i = 0; i < 5; i++) pids.add((await t.exec('echo $$')).stdout);
  assert.is(pids.size, 1, 'same remote shell process');
  assert.is(t.connects, 1);
  assert.is(s.connectionCount(), 1, 'sshd has exactly one connection child');
});

test('concurrent exec calls are serialized correctly', async () => {
  const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => t.exec(`echo ${i}; echo e${i} >&2`)));
  rs.forEach((r, i) => assert.equal(r, { code: 0, stdout: `${i}\n`, stderr: `e${i}\n` }));
});

test('round trip: persistent shell vs fresh exec channel (200 each, median)', async () => {
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const time = async (f: () => Promise<unknown>) => {
    const xs: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t0 = process.hrtime.bigint();
      await f();
      xs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return median(xs);
  };
  const channel = await time(() => t.execRaw('true'));
  const shell = await time(() => t.exec('true'));
  console.log(`\n  [rtt] median over 200: fresh exec channel ${channel.toFixed(2)} ms, persistent shell ${shell.toFixed(2)} ms`);
  assert.ok(shell < channel, 'persistent shell is faster');
});

test('close() is idempotent and later exec rejects', async () => {
  const t2 = new SshTransport(sshOptionsFor(s));
  assert.is((await t2.exec('echo x')).stdout, 'x\n');
  await t2.close();
  await t2.close();
  try {
    await t2.exec('echo y');
    assert.unreachable('should reject');
  } catch (e) {
    assert.is((e as Error).name, 'UnreachableError');
  }
});

test.run();
