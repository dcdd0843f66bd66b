/** Authentication through ssh-agent (a real ssh-agent started by the test, stopped by PID). */
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSshd, sshOptionsFor, type Sshd } from '../harness/sshd.js';
import { SshTransport } from '../../src/transport/ssh.js';
import { UnreachableError } from '../../src/util/errors.js';
import { requires } from '../harness/gate.js';

/** Needs a real sshd (root) and ssh-agent: elsewhere every test is reported as skipped with the reason. */
const test = requires({ sshd: true, tools: ['ssh-agent', 'ssh-add'] });

let s: Sshd;
let dir: string;
let agentPid = 0;
let sock = '';

test.before(async () => {
  s = await startSshd();
  dir = mkdtempSync(join(tmpdir(), 'kvplay-agent-'));
  sock = join(dir, 'agent.sock');
  const out = execFileSync('ssh-agent', ['-s', '-a', sock], { encoding: 'utf8' });
  agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(out)![1]);
});
test.after(async () => {
  if (agentPid) process.kill(agentPid, 'SIGTERM');
  await s?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('no key file and an empty agent: authentication fails clearly', async () => {
  const t = new SshTransport({ ...sshOptionsFor(s), privateKeyPath: undefined, agentSocket: sock });
  try {
    await t.connect();
    assert.unreachable('connected without any key');
  } catch (e) {
    assert.instance(e, UnreachableError);
  } finally {
    await t.close();
  }
});

test('the key held by ssh-agent logs in (no key file given)', async () => {
  execFileSync('ssh-add', [s.clientKey], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
  const t = new SshTransport({ ...sshOptionsFor(s), privateKeyPath: undefined, agentSocket: sock });
  try {
    await t.connect();
    const r = await t.exec('echo via-agent');
    assert.is(r.stdout, 'via-agent\n');
  } finally {
    await t.close();
  }
});

test.run();
