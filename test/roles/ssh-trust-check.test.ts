/**
 * roles/ssh_trust's login check, the task as the role has it, run by the CLI on localhost with a
 * stub `ssh` first on PATH (each "login" takes 0.6 s; host `bad` refuses the key): every host is
 * really logged into, at once (the task takes about one login, not their sum), a refusal fails
 * the task and names the host with ssh's own error, and curve25519 key exchange is asked for only
 * when this ssh accepts the option (`ssh -G`).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { kvplay, ROOT, writePlaybook } from '../e2e/helpers.js';

const NAME = 'root logs into every KVM host without a password or a prompt';
const role = parse(readFileSync(join(ROOT, 'roles', 'ssh_trust', 'tasks', 'main.yaml'), 'utf8')) as Record<string, unknown>[];
const task = role.find((t) => t.name === NAME);

let dir: string;
test.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kvplay-sshtrust-'));
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** A stub ssh logging its arguments; `-G` answers as an ssh that accepts (or rejects) the kex option. */
function stubSsh(acceptsKex: boolean): string {
  const bin = mkdtempSync(join(dir, 'bin-'));
  writeFileSync(join(bin, 'ssh'), `#!/bin/sh
for a; do [ "$a" = -G ] && exit ${acceptsKex ? 0 : 255}; done
echo "$*" >> ${bin}/calls.log
for a; do host=$prev; prev=$a; done   # the word before the last ("true") is the host
sleep 0.6
[ "$host" = bad ] && { echo "root@$host: Permission denied (publickey)." >&2; exit 255; }
exit 0
`);
  chmodSync(join(bin, 'ssh'), 0o755);
  return bin;
}

async function runCheck(hosts: string[], acceptsKex = true) {
  const bin = stubSsh(acceptsKex);
  const pb = writePlaybook(dir, `check-${hosts.join('-')}-${acceptsKex}.yaml`, JSON.stringify([{
    hosts: 'localhost',
    connection: 'local',
    gather_facts: false,
    vars: { ssh_trust_hosts: hosts, ssh_trust_check_kex: '^curve25519-sha256' },
    environment: { PATH: `${bin}:${process.env.PATH}` },
    tasks: [task],
  }]));
  const r = await kvplay([pb], { json: true });
  const res = r.events.find((e) => e.kind === 'host_result' && e.task === NAME);
  let calls: string[] = [];
  try { calls = readFileSync(join(bin, 'calls.log'), 'utf8').trim().split('\n'); } catch { /* none */ }
  return { r, res, calls };
}

test('the role has the task, without a loop (one command per host)', () => {
  assert.ok(task, `task "${NAME}" in roles/ssh_trust`);
  assert.is(task!.loop, undefined);
});

test('every host logged into, at once', async () => {
  const { r, res, calls } = await runCheck(['kvm1', 'kvm2', 'kvm3']);
  assert.is(r.code, 0, r.stdout.slice(-1500) + r.stderr);
  assert.is(res.status, 'ok', res.reason);
  assert.equal(calls.map((c) => c.split(' ').slice(-2, -1)[0]).sort(), ['kvm1', 'kvm2', 'kvm3']);
  for (const c of calls) assert.match(c, /^-n -oKexAlgorithms=\^curve25519-sha256 -o BatchMode=yes -o ConnectTimeout=10 kvm\d true$/);
  assert.ok(res.durationMs < 1500, `3 logins of 0.6 s took ${res.durationMs} ms: not at once`);
});

test('a refused login fails the task and names the host', async () => {
  const { res } = await runCheck(['kvm1', 'bad']);
  assert.is(res.status, 'failed');
  assert.match(JSON.stringify(res.data), /localhost cannot log into bad without a prompt: root@bad: Permission denied \(publickey\)\./);
  assert.not.match(JSON.stringify(res.data), /cannot log into kvm1/);
});

test('an ssh without the kex option gets its own defaults', async () => {
  const { res, calls } = await runCheck(['kvm1'], false);
  assert.is(res.status, 'ok', res.reason);
  assert.equal(calls, ['-n -o BatchMode=yes -o ConnectTimeout=10 kvm1 true']);
});

test.run();
