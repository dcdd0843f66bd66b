/**
 * Issue 14 on real sshd hosts, through the CLI:
 *   - -vvv: every remote round trip is a `log` event with a `timing` (connect, probe, exec; no
 *     command text under no_log), the bench's source for floors and the slowest commands;
 *   - read-ahead (src/engine/prefetch.ts): the SSH handshakes and facts of a later play's hosts
 *     are made at the start; the facts are used when no task reported a change in between, and
 *     gathered again when one did; an unreachable host of a later play is reported in that play.
 */
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { startHosts, kvplay, writePlaybook, recapOf, type Lab } from './helpers.js';
import { requires } from '../harness/gate.js';

const test = requires({ sshd: true });
let lab: Lab;

test.before(async () => {
  lab = await startHosts(2);
});
test.after(async () => {
  await lab?.stop();
  if (lab) rmSync(lab.dir, { recursive: true, force: true });
});

const PLAY2 = `
- hosts: host2
  tasks:
    - stat: {path: /etc/hostname}
    - debug: {msg: "facts of {{ ansible_facts.hostname }}"}
`;

const timings = (events: any[]) => events.filter((e) => e.kind === 'log' && e.timing);
/** The facts script's runs on a host (the exec of "Gathering Facts", done ahead or in its play). */
const factReads = (events: any[], host: string) => timings(events).filter((e) => e.host === host && e.timing.task === 'Gathering Facts' && e.timing.what === 'exec').length;

test('-vvv: a timing per round trip; facts of a later play read ahead and used', async () => {
  const pb = writePlaybook(lab.dir, 'ahead.yaml', `
- hosts: host1
  tasks:
    - command: echo one
      changed_when: false
    - shell: echo secret-ish
      changed_when: false
      no_log: true
${PLAY2}`);
  const r = await kvplay([pb, '-i', lab.inventory, '-vvv'], { json: true });
  assert.is(r.code, 0, r.stderr + r.stdout.slice(-2000));
  const t = timings(r.events);
  for (const e of t) assert.ok(typeof e.timing.ms === 'number' && e.timing.ms >= 0 && e.timing.at > 0, JSON.stringify(e));
  const connects = t.filter((e) => e.timing.what === 'connect');
  assert.equal(connects.map((e) => e.host).sort(), ['host1', 'host2'], 'one handshake per host');
  assert.ok(connects.every((e) => e.timing.task === 'connect ahead'));
  const play2 = Date.parse(r.events.filter((e) => e.kind === 'play_start')[1].ts);
  const c2 = connects.find((e) => e.host === 'host2');
  assert.ok(c2.timing.at < play2, 'host2 was connected before its play started');
  assert.ok(t.some((e) => e.timing.what === 'exec' && e.timing.cmd === 'echo one'), 'the command, as run');
  const probes = t.filter((e) => e.timing.what === 'probe' && e.host === 'host2');
  assert.ok(probes.length >= 1 && probes[0].timing.cmds >= 1, 'stat facts as a probe');
  const secret = t.filter((e) => e.timing.task === 'shell');
  assert.ok(secret.length >= 1 && secret.every((e) => e.timing.cmd === undefined), 'no command text under no_log');
  assert.not.match(r.stdout, /secret-ish/);
  assert.is(factReads(r.events, 'host2'), 1, 'host2 facts read once (ahead)');
  const shown = r.events.find((e) => e.kind === 'host_result' && e.host === 'host2' && e.output)?.output;
  assert.is(shown, `facts of ${hostname().split('.')[0]}`, 'the facts read ahead are the host\'s');
  // without -vvv: no timings
  const quiet = await kvplay([pb, '-i', lab.inventory], { json: true });
  assert.is(quiet.code, 0);
  assert.is(timings(quiet.events).length, 0);
});

test('a change before the later play: its facts are gathered again there', async () => {
  const pb = writePlaybook(lab.dir, 'changed.yaml', `
- hosts: host1
  tasks:
    - command: touch ${join(lab.work('host1'), 'x')}
${PLAY2}`);
  const r = await kvplay([pb, '-i', lab.inventory, '-vvv'], { json: true });
  assert.is(r.code, 0, r.stderr + r.stdout.slice(-2000));
  assert.is(recapOf(r.events).host1.changed, 1);
  assert.is(factReads(r.events, 'host2'), 2, 'read ahead, then again in its play after the change');
});

test('an unreachable host of a later play: reported there, not before', async () => {
  const inv = join(lab.dir, 'inv-bad.yaml');
  const { readFileSync, writeFileSync } = await import('node:fs');
  const doc = JSON.parse(readFileSync(lab.inventory, 'utf8'));
  doc.all.children.db.hosts.host2.ansible_port = 1; // nothing listens there
  writeFileSync(inv, JSON.stringify(doc));
  const pb = writePlaybook(lab.dir, 'bad.yaml', `
- hosts: host1
  gather_facts: false
  tasks:
    - command: echo one
      changed_when: false
${PLAY2}`);
  const r = await kvplay([pb, '-i', inv], { json: true });
  assert.is(r.code, 4, r.stdout.slice(-2000));
  const un = r.events.filter((e) => e.kind === 'host_result' && e.status === 'unreachable');
  assert.equal(un.map((e) => `${e.host}|${e.task}`), ['host2|Gathering Facts']);
  assert.is(recapOf(r.events).host1.ok, 1);
});

test.run();
