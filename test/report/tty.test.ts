import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createReporter, resolveMode } from '../../src/report/index.js';
import { stripAnsi } from '../../src/report/color.js';
import { captureStream, sampleEvents, sampleEventsByKind } from '../harness/reporter.js';
import type { Reporter, RunEvent } from '../../src/report/events.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** close() must settle quickly: fail the test instead of hanging the suite */
async function closeWithin(r: Reporter, ms = 5000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`close() hung for ${ms}ms`)), ms)));
  try {
    await Promise.race([r.close(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function ttyReporter(over: { verbosity?: 0 | 1 | 2 | 3; diff?: boolean; mode?: 'tty' | 'auto' } = {}) {
  const out = captureStream({ tty: true, columns: 120, rows: 50 });
  const err = captureStream();
  const r = createReporter({ mode: over.mode ?? 'tty', verbosity: over.verbosity ?? 0, diff: over.diff ?? false, out, err, env: { NO_COLOR: '1' } });
  return { r, out, err, screen: () => stripAnsi(out.text()) };
}

const ts = (task: string, hosts: string[], extra: Partial<Extract<RunEvent, { kind: 'task_start' }>> = {}): RunEvent => ({
  kind: 'task_start', play: 'p', task, module: 'command', loc: 'site.yml:3:7', hosts, ...extra,
});

test('auto picks the tty renderer for a TTY stream, plain otherwise', () => {
  assert.is(resolveMode('auto', captureStream({ tty: true })), 'tty');
  assert.is(resolveMode('auto', captureStream()), 'plain');
  assert.is(resolveMode('plain', captureStream({ tty: true })), 'plain');
});

test('sample run: live tree with host lines, diff and failures after the task, recap', async () => {
  const { r, screen, err } = ttyReporter({ diff: true });
  for (const ev of sampleEvents()) r.emit(ev);
  await closeWithin(r);
  const s = screen();
  assert.match(s, /PLAY \[Prepare hypervisors\] \*+/);
  assert.match(s, /TASK \[Export images\] 40ms/);
  assert.match(s, /kvm1 ok 12ms/);
  assert.match(s, /kvm2 changed: \/etc\/exports: line added 34ms/);
  // the diff is printed in full after the tree
  const tree = s.lastIndexOf('kvm2 changed: /etc/exports');
  const diff = s.indexOf('--- before: /etc/exports');
  assert.ok(diff > tree, 'diff after the tree');
  assert.match(s, /^\+\/images kvm1\(rw\)$/m);
  assert.match(s, /^PLAY RECAP \*+$/m);
  assert.match(s, /^kvm1 : ok=3 changed=1 unreachable=0 failed=0 skipped=1 rescued=0 ignored=0$/m);
  assert.match(s, /^Finished in 1m 05s \(exit code 2\)$/m);
  assert.match(stripAnsi(err.text()), /\[WARNING\]: \[kvm1\] module defaults are deprecated/);
  assert.match(stripAnsi(err.text()), /ERROR! site\.yml:9:7: unknown module 'cpy'/);
  assert.ok(s.indexOf('PLAY [Prepare') < s.indexOf('TASK [Export images]'));
  assert.ok(s.lastIndexOf('TASK [Export images]') < s.indexOf('PLAY RECAP'));
});

test('failures: short on the host line, in full after the task; unreachable, skipped, ignored', async () => {
  const { r, screen } = ttyReporter();
  const long = 'E'.repeat(300) + '\nsecond line of stderr';
  r.emit(ts('t1', ['a', 'b', 'c', 'd', 'e']));
  r.emit({ kind: 'host_result', task: 't1', host: 'a', status: 'failed', reason: long, durationMs: 5 });
  r.emit({ kind: 'host_result', task: 't1', host: 'b', status: 'unreachable', reason: 'no route to host', durationMs: 5 });
  r.emit({ kind: 'host_result', task: 't1', host: 'c', status: 'skipped', reason: 'when: false', durationMs: 0 });
  r.emit({ kind: 'host_result', task: 't1', host: 'd', status: 'failed', reason: 'rc=1', durationMs: 5, ignored: true });
  r.emit({ kind: 'host_result', task: 't1', host: 'e', status: 'changed', reason: 'would restart', durationMs: 5, check: true });
  r.emit({ kind: 'task_end', task: 't1', durationMs: 9 });
  await closeWithin(r);
  const s = screen();
  assert.ok(s.includes(`fatal: [a]: FAILED! => ${long}`), 'full failure text');
  assert.match(s, /^fatal: \[b\]: UNREACHABLE! => no route to host$/m);
  assert.match(s, /^fatal: \[d\]: FAILED! => rc=1\n\.\.\.ignoring$/m);
  assert.match(s, /a failed:\s+E+…/);
  assert.match(s, /b unreachable: no route to host/);
  assert.match(s, /c skipped: when: false/);
  assert.match(s, /d failed \(ignored\): rc=1/);
  assert.match(s, /e changed \(check mode\): would restart/);
});

test('close() never hangs: a host that never reports, no task_end', async () => {
  const { r, screen } = ttyReporter();
  r.emit(sampleEventsByKind().play_start[0]);
  r.emit(ts('stuck', ['kvm1', 'kvm2']));
  r.emit({ kind: 'host_result', task: 'stuck', host: 'kvm1', status: 'ok', reason: '', durationMs: 3 });
  await sleep(50);
  await closeWithin(r);
  const s = screen();
  assert.match(s, /kvm1 ok 3ms/);
  assert.match(s, /kvm2 no result/);
  await closeWithin(r); // twice is fine
});

test('task_end resolves stragglers; next task starts without waiting', async () => {
  const { r, screen } = ttyReporter();
  r.emit(ts('one', ['kvm1', 'kvm2']));
  r.emit({ kind: 'host_result', task: 'one', host: 'kvm1', status: 'changed', reason: 'x', durationMs: 1 });
  r.emit({ kind: 'task_end', task: 'one', durationMs: 2 });
  r.emit(ts('two', ['kvm1']));
  r.emit({ kind: 'host_result', task: 'two', host: 'kvm1', status: 'ok', reason: '', durationMs: 1 });
  r.emit({ kind: 'task_end', task: 'two', durationMs: 1 });
  await closeWithin(r);
  const s = screen();
  assert.match(s, /kvm2 no result/);
  assert.ok(s.lastIndexOf('TASK [one]') < s.indexOf('TASK [two]'));
});

test('a host without a task_start entry still gets printed; output after close is ignored', async () => {
  const { r, screen } = ttyReporter();
  r.emit(ts('delegated', ['kvm1']));
  r.emit({ kind: 'host_result', task: 'delegated', host: 'localhost', status: 'changed', reason: 'fetched', durationMs: 1 });
  r.emit({ kind: 'host_result', task: 'delegated', host: 'kvm1', status: 'ok', reason: '', durationMs: 1 });
  r.emit({ kind: 'task_end', task: 'delegated', durationMs: 2 });
  await closeWithin(r);
  const before = screen();
  assert.match(before, /^changed: \[localhost\] => fetched$/m);
  r.emit(sampleEventsByKind().recap[0]);
  assert.is(screen(), before);
});

test('live: progress updates the host line with a bar; elapsed time on the task title', async () => {
  const { r, screen } = ttyReporter();
  r.emit(ts('migrate vm', ['kvm1', 'kvm2']));
  r.emit({ kind: 'progress', task: 'migrate vm', host: 'kvm1', text: 'migrating', fraction: 0.5 });
  // the live redraw shows the elapsed whole seconds once one has passed: wait for it (a busy
  // machine may redraw late, so "2s" is as good as "1s"), not for a fixed time
  const elapsed = /TASK \[migrate vm\] [1-9]\d*s/;
  for (let i = 0; i < 200 && !elapsed.test(screen()); i++) await sleep(100);
  const live = screen();
  assert.match(live, /kvm1 {2}migrating █{10}░{10} 50%/);
  assert.match(live, elapsed);
  r.emit({ kind: 'host_result', task: 'migrate vm', host: 'kvm1', status: 'changed', reason: 'migrated', durationMs: 1200 });
  r.emit({ kind: 'host_result', task: 'migrate vm', host: 'kvm2', status: 'ok', reason: '', durationMs: 1200 });
  r.emit({ kind: 'task_end', task: 'migrate vm', durationMs: 1250 });
  await closeWithin(r);
  assert.match(screen(), /kvm1 changed: migrated 1\.2s/);
  assert.match(screen(), /TASK \[migrate vm\] 1\.3s/);
});

test('loop items: shown under the host, host settles on its final result', async () => {
  const { r, screen } = ttyReporter({ verbosity: 2 });
  r.emit(ts('pkgs', ['kvm1'], { handler: true }));
  for (const [item, status] of [['qemu', 'ok'], ['libvirt', 'changed']] as const) {
    r.emit({ kind: 'host_result', task: 'pkgs', host: 'kvm1', status, reason: `${item} done`, item, durationMs: 10, data: { item } });
  }
  r.emit({ kind: 'host_result', task: 'pkgs', host: 'kvm1', status: 'changed', reason: '1 of 2 installed', durationMs: 0 });
  r.emit({ kind: 'task_end', task: 'pkgs', durationMs: 25 });
  await closeWithin(r);
  const s = screen();
  assert.match(s, /RUNNING HANDLER \[pkgs\] \(site\.yml:3:7\) 25ms/);
  assert.match(s, /kvm1 changed: 1 of 2 installed \(2 items\) 20ms/);
  assert.match(s, /changed \(item=libvirt\): libvirt done/);
  assert.match(s, /^changed: \[kvm1\] \(item=libvirt\) => libvirt done\n {4}\{"item":"libvirt"\}$/m, '-vv data printed after');
});

test('events outside tasks (warnings, logs) are printed after the running tree', async () => {
  const { r, screen, err } = ttyReporter({ verbosity: 1 });
  r.emit(ts('t', ['kvm1']));
  r.emit({ kind: 'log', level: 1, msg: 'connecting', host: 'kvm1' });
  r.emit({ kind: 'warning', msg: 'deprecated' });
  r.emit({ kind: 'host_result', task: 't', host: 'kvm1', status: 'ok', reason: 'fine', durationMs: 1 });
  r.emit({ kind: 'task_end', task: 't', durationMs: 1 });
  r.emit({ kind: 'progress', task: 'other', host: 'kvm1', text: 'waiting' });
  await closeWithin(r);
  const s = screen();
  assert.ok(s.lastIndexOf('kvm1 ok: fine') < s.indexOf('<kvm1> connecting'));
  assert.match(s, /progress: \[kvm1\] waiting/);
  assert.match(stripAnsi(err.text()), /\[WARNING\]: deprecated/);
});

test('many tasks emitted in one tick render in order and close promptly', async () => {
  const { r, screen } = ttyReporter();
  for (let i = 0; i < 30; i++) {
    r.emit(ts(`task-${i}`, ['h1', 'h2']));
    r.emit({ kind: 'host_result', task: `task-${i}`, host: 'h1', status: 'ok', reason: '', durationMs: 1 });
    r.emit({ kind: 'host_result', task: `task-${i}`, host: 'h2', status: 'changed', reason: `c${i}`, durationMs: 1 });
    r.emit({ kind: 'task_end', task: `task-${i}`, durationMs: 2 });
  }
  r.emit(sampleEventsByKind().recap[0]);
  await closeWithin(r, 10_000);
  const s = screen();
  let last = -1;
  for (let i = 0; i < 30; i++) {
    const at = s.indexOf(`h2 changed: c${i} `);
    assert.ok(at > last, `task ${i} in order`);
    last = at;
  }
  assert.ok(s.indexOf('PLAY RECAP') > last);
});

test.run();
