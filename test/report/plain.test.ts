import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createReporter } from '../../src/report/index.js';
import { PlainFormatter, banner, fmtDuration, recapLines, hostResultLines, type FormatOpts } from '../../src/report/format.js';
import { createPalette, stripAnsi } from '../../src/report/color.js';
import { captureStream, sampleEvents, sampleEventsByKind } from '../harness/reporter.js';
import type { EventKind, RunEvent } from '../../src/report/events.js';

const plainOpts = (over: Partial<FormatOpts> = {}): FormatOpts => ({ palette: createPalette(0), verbosity: 0, diff: false, width: 80, ...over });

async function renderPlain(events: RunEvent[], opts: { verbosity?: 0 | 1 | 2 | 3; diff?: boolean; color?: boolean; env?: NodeJS.ProcessEnv } = {}) {
  const out = captureStream();
  const err = captureStream();
  const r = createReporter({ mode: 'plain', verbosity: opts.verbosity ?? 0, diff: opts.diff ?? false, out, err, color: opts.color, env: opts.env ?? {} });
  for (const ev of events) r.emit(ev);
  await r.close();
  return { out: out.text(), err: err.text() };
}

test('every event kind renders in plain mode without throwing', async () => {
  const byKind = sampleEventsByKind();
  const kinds = Object.keys(byKind) as EventKind[];
  assert.is(kinds.length, 13);
  for (const kind of kinds) {
    for (const v of [0, 1, 2, 3] as const) {
      const fmt = new PlainFormatter(plainOpts({ verbosity: v, diff: true }));
      for (const ev of byKind[kind]) {
        const lines = fmt.format(ev);
        assert.ok(Array.isArray(lines.out) && Array.isArray(lines.err), kind);
      }
    }
  }
  // and the kinds that must be visible at verbosity 0 produce output
  const visible: EventKind[] = ['play_start', 'task_start', 'host_result', 'progress', 'warning', 'list', 'error', 'recap', 'run_end'];
  for (const kind of visible) {
    const fmt = new PlainFormatter(plainOpts());
    const l = fmt.format(byKind[kind][0]);
    assert.ok(l.out.length + l.err.length > 0, `${kind} should print something`);
  }
});

test('full sample run, Ansible-like layout', async () => {
  const { out, err } = await renderPlain(sampleEvents(), { diff: true });
  assert.match(out, /^PLAY \[Prepare hypervisors\] \*+$/m);
  assert.match(out, /^TASK \[Export images\] \*+$/m);
  assert.match(out, /^ok: \[kvm1\]$/m);
  assert.match(out, /^changed: \[kvm2\] => \/etc\/exports: line added$/m);
  assert.match(out, /^--- before: \/etc\/exports$/m);
  assert.match(out, /^\+\+\+ after: \/etc\/exports$/m);
  assert.match(out, /^\+\/images kvm1\(rw\)$/m);
  assert.match(out, /^progress: \[kvm1\] copying disk \(50%\)$/m);
  assert.match(out, /^PLAY RECAP \*+$/m);
  assert.match(out, /^kvm1 : ok=3 changed=1 unreachable=0 failed=0 skipped=1 rescued=0 ignored=0$/m);
  assert.match(out, /^kvm2 : ok=3 changed=0 unreachable=0 failed=1 skipped=1 rescued=0 ignored=0$/m);
  assert.match(out, /^Finished in 1m 05s \(exit code 2\)$/m);
  assert.match(err, /^\[WARNING\]: \[kvm1\] module defaults are deprecated \(site\.yml:5:7\)$/m);
  assert.match(err, /^ERROR! site\.yml:9:7: unknown module 'cpy'$/m);
  assert.match(err, /^hint: did you mean 'copy'\?$/m);
  assert.not.match(out, /ESTABLISH/); // log level 1 hidden at -v0
  assert.not.match(out, /\u001b\[/); // no colors on a non-TTY
  // banners are 80 wide, with a blank line before
  const play = out.split('\n').find((l) => l.startsWith('PLAY ['))!;
  assert.is(play.length, 80);
  assert.ok(out.includes('\n\nTASK [Export images]'));
});

test('host lines: every status, items, ignore, check mode, unreachable', () => {
  const f = plainOpts();
  const base = { kind: 'host_result' as const, task: 't', host: 'kvm1', durationMs: 1 };
  const l = (ev: Partial<RunEvent> & Record<string, unknown>, o = f) => hostResultLines({ ...base, reason: '', status: 'ok', ...ev } as never, o);
  assert.equal(l({ status: 'ok', reason: 'fine' }), ['ok: [kvm1]']);
  assert.equal(l({ status: 'ok', reason: 'fine' }, plainOpts({ verbosity: 1 })), ['ok: [kvm1] => fine']);
  assert.equal(l({ status: 'ok', item: 'nfs-utils' }), ['ok: [kvm1] (item=nfs-utils)']);
  assert.equal(l({ status: 'changed', reason: 'installed', item: 'qemu' }), ['changed: [kvm1] (item=qemu) => installed']);
  assert.equal(l({ status: 'changed', reason: 'would write /etc/x', check: true }), ['changed: [kvm1] (check mode) => would write /etc/x']);
  assert.equal(l({ status: 'failed', reason: 'boom' }), ['fatal: [kvm1]: FAILED! => boom']);
  assert.equal(l({ status: 'failed', reason: 'boom', item: 'a' }), ['failed: [kvm1] (item=a) => boom']);
  assert.equal(l({ status: 'failed', reason: 'boom', ignored: true }), ['fatal: [kvm1]: FAILED! => boom', '...ignoring']);
  assert.equal(l({ status: 'ignored', reason: 'boom' }), ['fatal: [kvm1]: FAILED! => boom', '...ignoring']);
  assert.equal(l({ status: 'rescued', reason: 'boom' }), ['fatal: [kvm1]: FAILED! => boom', '...rescued']);
  assert.equal(l({ status: 'unreachable', reason: 'ssh: connect to host kvm1 port 22: No route to host' }), [
    'fatal: [kvm1]: UNREACHABLE! => ssh: connect to host kvm1 port 22: No route to host',
  ]);
  assert.equal(l({ status: 'skipped', reason: 'when: false' }), ['skipping: [kvm1]']);
  assert.equal(l({ status: 'skipped', reason: 'when: false' }, plainOpts({ verbosity: 1 })), ['skipping: [kvm1] => when: false']);
  // -vv: registered data as compact JSON
  assert.equal(l({ status: 'ok', reason: 'r', data: { rc: 0, stdout: 'x' } }, plainOpts({ verbosity: 2 })), ['ok: [kvm1] => r', '    {"rc":0,"stdout":"x"}']);
  // a long failure message is never trimmed
  const long = 'x'.repeat(5000) + '\nsecond line';
  assert.equal(l({ status: 'failed', reason: long }).join('\n'), `fatal: [kvm1]: FAILED! => ${long}`);
});

test('diffs are rendered under the host line whenever the event carries them', () => {
  const ev = sampleEventsByKind().host_result[1] as never;
  for (const diff of [true, false]) {
    const lines = hostResultLines(ev, plainOpts({ diff }));
    assert.equal(lines, [
      'changed: [kvm2] => /etc/exports: line added',
      '--- before: /etc/exports',
      '+++ after: /etc/exports',
      '@@ -1 +1,2 @@',
      ' /srv a',
      '+/images kvm1(rw)',
    ]);
  }
});

test('task banner: handler, -v location, unnamed task falls back to module', () => {
  const fmt = new PlainFormatter(plainOpts({ verbosity: 1 }));
  const ts = sampleEventsByKind().task_start[0];
  assert.is(fmt.format(ts).out[1], banner('TASK [Export images] (site.yml:5:7)', 80));
  assert.is(fmt.format({ ...ts, handler: true }).out[1], banner('RUNNING HANDLER [Export images] (site.yml:5:7)', 80));
  const f0 = new PlainFormatter(plainOpts());
  assert.is(f0.format({ ...ts, task: '' }).out[1], banner('TASK [lineinfile]', 80));
});

test('recap formatting: padding, sorting, colors like Ansible', () => {
  const c = { ok: 1, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
  const lines = recapLines({ kvm10: { ...c, failed: 2 }, kvm2: { ...c, changed: 1 }, 'nfs-server': c }, plainOpts());
  assert.equal(lines, [
    '',
    banner('PLAY RECAP', 80),
    'kvm2       : ok=1 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0',
    'kvm10      : ok=1 changed=0 unreachable=0 failed=2 skipped=0 rescued=0 ignored=0',
    'nfs-server : ok=1 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0',
    '',
  ]);
  const colored = recapLines({ kvm10: { ...c, failed: 2 }, kvm2: { ...c, changed: 1 }, ok1: c }, plainOpts({ palette: createPalette(1) }));
  assert.ok(colored[2].startsWith('\u001b[33mkvm2'), 'changed host is yellow');
  assert.ok(colored[3].startsWith('\u001b[31mkvm10'), 'failed host is red');
  assert.ok(colored[4].startsWith('\u001b[32mok1'), 'ok host is green');
  assert.ok(colored[3].includes('\u001b[31mfailed=2\u001b[39m'));
  assert.ok(colored[3].includes(' changed=0 '), 'zero counts stay uncolored');
  assert.is(stripAnsi(colored[3]), 'kvm10 : ok=1 changed=0 unreachable=0 failed=2 skipped=0 rescued=0 ignored=0');
});

test('progress lines are throttled to one per 2 s per host, always at 100 %', () => {
  let now = 0;
  const fmt = new PlainFormatter(plainOpts(), () => now);
  const p = (fraction: number, host = 'kvm1') => fmt.format({ kind: 'progress', host, task: 't', text: 'copy', fraction }).out;
  assert.equal(p(0.1), ['progress: [kvm1] copy (10%)']);
  now = 500;
  assert.equal(p(0.2), []);
  assert.equal(p(0.2, 'kvm2').length, 1, 'other host not throttled');
  now = 1999;
  assert.equal(p(0.3), []);
  now = 2000;
  assert.equal(p(0.4), ['progress: [kvm1] copy (40%)']);
  now = 2100;
  assert.equal(p(1), ['progress: [kvm1] copy (100%)']);
  assert.equal(fmt.format({ kind: 'progress', host: 'kvm3', task: 't', text: 'waiting' }).out, ['progress: [kvm3] waiting']);
});

test('log events follow verbosity', () => {
  const log = (level: 1 | 2 | 3, v: number) => new PlainFormatter(plainOpts({ verbosity: v })).format({ kind: 'log', level, msg: 'hello', host: 'kvm1' }).out;
  assert.equal(log(1, 0), []);
  assert.equal(log(1, 1), ['<kvm1> hello']);
  assert.equal(log(3, 2), []);
  assert.equal(log(3, 3), ['<kvm1> hello']);
});

test('list events like ansible-playbook --list-hosts / --list-tasks', async () => {
  const { out } = await renderPlain([
    sampleEventsByKind().run_start[0],
    { kind: 'list', what: 'hosts', play: 'one', items: ['kvm1', 'kvm2'] },
    { kind: 'list', what: 'tasks', play: 'one', items: ['Install qemu', 'Export images'] },
    { kind: 'list', what: 'hosts', play: 'two', items: ['nfs'] },
    { kind: 'list', what: 'tags', play: 'two', items: ['nfs', 'setup'] },
  ]);
  assert.is(
    out,
    [
      '',
      'playbook: site.yml',
      '',
      '  play #1: one',
      '    hosts (2):',
      '      kvm1',
      '      kvm2',
      '    tasks:',
      '      Install qemu',
      '      Export images',
      '',
      '  play #2: two',
      '    hosts (1):',
      '      nfs',
      '      TASK TAGS: [nfs, setup]',
      '',
    ].join('\n'),
  );
});

test('check mode note and -v run info', async () => {
  const { out } = await renderPlain([{ ...sampleEventsByKind().run_start[0], check: true }], { verbosity: 1 });
  assert.match(out, /playbook: site\.yml {2}inventory: hosts\.yml/);
  assert.match(out, /check mode/);
});

test('colors: NO_COLOR, FORCE_COLOR, explicit option', async () => {
  const evs = sampleEvents();
  const has = (s: string) => /\u001b\[/.test(s);
  assert.not.ok(has((await renderPlain(evs, { env: {} })).out), 'non-TTY: no colors');
  assert.ok(has((await renderPlain(evs, { env: { FORCE_COLOR: '1' } })).out), 'FORCE_COLOR forces');
  assert.not.ok(has((await renderPlain(evs, { env: { FORCE_COLOR: '0' } })).out), 'FORCE_COLOR=0 disables');
  assert.not.ok(has((await renderPlain(evs, { env: { NO_COLOR: '1', FORCE_COLOR: '1' } })).out), 'NO_COLOR wins over FORCE_COLOR');
  assert.ok(has((await renderPlain(evs, { color: true, env: { NO_COLOR: '1' } })).out), 'explicit --color wins');
  // a TTY gets colors unless NO_COLOR
  const ttyOut = captureStream({ tty: true });
  const r = createReporter({ mode: 'plain', verbosity: 0, diff: false, out: ttyOut, err: captureStream(), env: { NO_COLOR: '1' } });
  r.emit(sampleEventsByKind().host_result[1]);
  await r.close();
  assert.not.ok(has(ttyOut.text()), 'NO_COLOR on a TTY');
  const ttyOut2 = captureStream({ tty: true });
  const r2 = createReporter({ mode: 'plain', verbosity: 0, diff: false, out: ttyOut2, err: captureStream(), env: {} });
  r2.emit(sampleEventsByKind().host_result[1]);
  await r2.close();
  assert.ok(has(ttyOut2.text()), 'TTY colored');
});

test('fmtDuration', () => {
  assert.is(fmtDuration(250), '250ms');
  assert.is(fmtDuration(1500), '1.5s');
  assert.is(fmtDuration(65_400), '1m 05s');
  assert.is(fmtDuration(3_723_000), '1h 2m 03s');
  assert.is(fmtDuration(NaN), '0ms');
});

test('emit after close is ignored; a bad event never throws', async () => {
  const out = captureStream();
  const r = createReporter({ mode: 'plain', verbosity: 3, diff: true, out, err: captureStream(), env: {} });
  r.emit({ kind: 'host_result', task: 't', host: 'h', status: 'changed', reason: undefined as never, durationMs: NaN, diff: [null as never] });
  r.emit({ kind: 'bogus' } as never);
  await r.close();
  const before = out.text();
  r.emit(sampleEventsByKind().play_start[0]);
  assert.is(out.text(), before);
});

test.run();
