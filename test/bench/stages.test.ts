/**
 * bench/stages.ts, the per-stage analysis of `npm run bench:lab`: stage walls from kvplay's
 * --json events and from Ansible's json callback, recaps, and the floor from -vvv timings (per
 * task the slowest host's summed round trips; work done ahead for a later task not counted; the
 * handshakes made ahead in the first stage).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ansibleChanged, ansibleRecap, ansibleStageMs, categoryOf, kvplayChanged, kvplayRecap, kvplayStageMs, parseAnsibleJson, remoteProfile, topCommands, type Ev } from '../../bench/stages.js';

const T0 = Date.parse('2026-12-06T12:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const timing = (ms: number, host: string, task: string, what: string, took: number, cmd = 'x'): Ev => ({ kind: 'log', ts: at(ms), host, timing: { what, task, ms: took, at: T0 + ms - took, cmd } });

const events: Ev[] = [
  { kind: 'run_start', ts: at(0) },
  { kind: 'play_start', ts: at(10), play: 'Step 1' },
  timing(200, 'nfs', 'connect ahead', 'connect', 150),
  timing(210, 'kvm1', 'connect ahead', 'connect', 180),
  { kind: 'task_start', ts: at(210), task: 'Gathering Facts', module: 'setup', hosts: ['nfs'] },
  timing(300, 'nfs', 'Gathering Facts', 'exec', 80),
  // kvm1's facts read ahead while nfs works: not on this task's path
  timing(320, 'kvm1', 'Gathering Facts', 'exec', 90),
  { kind: 'task_end', ts: at(330), task: 'Gathering Facts', durationMs: 120 },
  { kind: 'task_start', ts: at(330), task: 'packages', module: 'package', hosts: ['nfs'] },
  timing(370, 'nfs', 'packages', 'probe', 30, 'dpkg-query'),
  { kind: 'host_result', ts: at(371), host: 'nfs', task: 'packages', status: 'ok' },
  { kind: 'task_end', ts: at(372), task: 'packages', durationMs: 42 },
  { kind: 'play_start', ts: at(400), play: 'Step 2' },
  { kind: 'task_start', ts: at(400), task: 'Gathering Facts', module: 'setup' },
  { kind: 'task_end', ts: at(401), task: 'Gathering Facts', durationMs: 1 },
  { kind: 'task_start', ts: at(401), task: 'loop', module: 'known_hosts', hosts: ['kvm1', 'kvm2'] },
  timing(420, 'kvm1', 'loop', 'probe', 15),
  timing(430, 'kvm1', 'loop', 'probe', 10),
  timing(425, 'kvm2', 'loop', 'probe', 20),
  { kind: 'host_result', ts: at(431), host: 'kvm1', task: 'loop', status: 'changed' },
  { kind: 'task_end', ts: at(432), task: 'loop', durationMs: 31 },
  { kind: 'recap', ts: at(500), hosts: { nfs: { ok: 2, changed: 0, failed: 0, unreachable: 0 }, kvm1: { ok: 2, changed: 1, failed: 0, unreachable: 0 } } },
  { kind: 'run_end', ts: at(501) },
];

test('kvplay: stage walls, recap and changed tasks from --json events', () => {
  assert.equal(kvplayStageMs(events), [390, 100]);
  assert.equal(kvplayRecap(events), { hosts: 2, ok: 4, changed: 1, failed: 0, unreachable: 0 });
  assert.equal(kvplayChanged(events), ['kvm1: loop']);
});

test('floor: per task the slowest host (loop items summed), ahead work left out, handshakes in stage 1', () => {
  const p = remoteProfile(events);
  assert.is(p.connectMs, 180);
  const [s1, s2] = p.stages;
  assert.equal([s1.stage, s2.stage], ['nfs', 'storage']);
  // stage 1: nfs facts 80 + packages 30 + the slowest handshake 180 (kvm1's ahead facts are not on the path)
  assert.is(s1.floorMs, 80 + 30 + 180);
  assert.equal(s1.byCategory, { facts: 80, apt: 30, connect: 180 });
  // stage 2: kvm1 15 + 10 = 25 > kvm2 20
  assert.is(s2.floorMs, 25);
  assert.is(s2.tasks, 2);
  assert.equal(topCommands(p.cmds, 2).map((c) => [c.task, c.host, c.ms]), [['Gathering Facts', 'kvm1', 90], ['Gathering Facts', 'nfs', 80]]);
});

test('ansible: play walls from the json callback; recap; changed tasks; warnings before the document', () => {
  const doc = {
    plays: [
      { play: { name: 'Step 1', duration: { start: at(0), end: at(900) } }, tasks: [{ task: { name: 'a', duration: { start: at(10), end: at(890) } }, hosts: { nfs: { changed: false } } }] },
      { play: { name: 'Step 2', duration: { start: at(1000) } }, tasks: [] },
      { play: { name: 'Step 3', duration: { start: at(1000), end: at(1600) } }, tasks: [{ task: { name: 'b', duration: { start: at(1010), end: at(1650) } }, hosts: { kvm1: { changed: true }, kvm2: { changed: true, skipped: true } } }] },
    ],
    stats: { nfs: { ok: 1, changed: 0, failures: 0, unreachable: 0 }, kvm1: { ok: 1, changed: 1, failures: 0, unreachable: 0 } },
  };
  const parsed = parseAnsibleJson(`[WARNING]: something\n${JSON.stringify(doc)}`);
  assert.equal(ansibleStageMs(parsed), [1000, 0, 650]);
  assert.equal(ansibleRecap(parsed), { hosts: 2, ok: 2, changed: 1, failed: 0, unreachable: 0 });
  assert.equal(ansibleChanged(parsed), ['kvm1: b']);
});

test('categories of remote work', () => {
  assert.equal(['package', 'service', 'firewalld', 'migrate', 'wait_for', 'setup', 'command'].map((m) => categoryOf(m, '')), ['apt', 'services', 'firewalld', 'migration', 'guest', 'facts', 'checks and other']);
});

test.run();
