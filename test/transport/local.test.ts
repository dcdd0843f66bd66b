/** LocalTransport basics (ansible_connection: local). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { userInfo } from 'node:os';
import { LocalTransport, wrapCommand } from '../../src/transport/local.js';
import { argv } from '../../src/util/quote.js';
import { requires } from '../harness/gate.js';

/** root's sudo never prompts: that is the case tested (sudo to nobody); elsewhere skipped with the reason. */
const rootSudoTest = requires({ root: true, tools: ['sudo'] });

const t = new LocalTransport('localhost');

test('exec: stdout/stderr separated and untrimmed, exit codes', async () => {
  await t.connect();
  assert.equal(await t.exec(`printf ' a \\n\\n'; printf 'e' >&2; exit 3`), { code: 3, stdout: ' a \n\n', stderr: 'e' });
  assert.equal(await t.exec('true'), { code: 0, stdout: '', stderr: '' });
  assert.is((await t.exec(argv('printf', '%s', "it's $x `y`\nz"))).stdout, "it's $x `y`\nz");
});

test('stdin, env, cwd', async () => {
  assert.is((await t.exec('cat', { stdin: 'in\x01\nput' })).stdout, 'in\x01\nput');
  assert.is((await t.exec('cat; echo done')).stdout, 'done\n', 'no stdin: EOF');
  const r = await t.exec('pwd; printf "%s" "$A"', { env: { A: "q'uote" }, cwd: '/tmp' });
  assert.equal(r, { code: 0, stdout: "/tmp\nq'uote", stderr: '' });
  assert.is(wrapCommand('x'), 'x');
});

test('timeout kills the whole command tree and returns promptly', async () => {
  const t0 = Date.now();
  const r = await t.exec('echo s; sleep 30; echo never', { timeoutMs: 1500 }); // room for `echo s` on a busy machine
  assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms (the command alone would take 30 s)`);
  assert.is(r.code, 124);
  assert.is(r.timedOut, true);
  assert.is(r.stdout, 's\n');
});

test('execMany and become to the current user (no sudo)', async () => {
  const rs = await t.execMany(['echo a', 'exit 2'], { become: { user: userInfo().username } });
  assert.equal(rs, [{ code: 0, stdout: 'a\n', stderr: '' }, { code: 2, stdout: '', stderr: '' }]);
  await t.close();
});

rootSudoTest('become via sudo: password only written when sudo asks (never leaks into stdin)', async () => {
  const r = await t.exec('whoami; cat', { become: { user: 'nobody', password: 'SECRET-pw' }, stdin: 'data\n' });
  assert.equal(r, { code: 0, stdout: 'nobody\ndata\n', stderr: '' });
  const r2 = await t.exec('cat; echo end', { become: { user: 'nobody', password: 'SECRET-pw' } });
  assert.equal(r2, { code: 0, stdout: 'end\n', stderr: '' });
  const bad = await t.exec('true', { become: { user: 'no-such-user-kv' } });
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /become \(sudo -u no-such-user-kv\) on localhost failed: .*unknown user/);
});

test('invalid env names are refused (no injection through keys)', async () => {
  assert.throws(() => wrapCommand('true', { env: { 'A;rm -rf /tmp/x': '1' } }), /invalid environment variable name/);
});

test.run();
