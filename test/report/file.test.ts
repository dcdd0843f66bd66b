import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReporter, type ReportDocument } from '../../src/report/index.js';
import { buildReport, ReportFileWriter, writeFileAtomic } from '../../src/report/file.js';
import { stamp } from '../../src/report/json.js';
import { captureStream, sampleEvents } from '../harness/reporter.js';
import type { RunEvent } from '../../src/report/events.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'kvplay-report-'));
  dirs.push(d);
  return d;
};
test.after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

test('report file: whole run as one JSON document, alongside the screen output', async () => {
  const dir = tmp();
  const file = join(dir, 'sub', 'run.json');
  const out = captureStream();
  const r = createReporter({ mode: 'plain', verbosity: 0, diff: false, out, err: captureStream(), reportFile: file, env: {} });
  for (const ev of sampleEvents()) r.emit(ev);
  await r.close();
  assert.match(out.text(), /PLAY RECAP/);
  const doc = JSON.parse(readFileSync(file, 'utf8')) as ReportDocument;
  assert.is(doc.kvplayReport, 1);
  assert.equal(doc.run.playbook, 'site.yml');
  assert.equal(doc.run.inventory, 'hosts.yml');
  assert.is(doc.run.diff, true);
  assert.is(doc.run.exitCode, 2);
  assert.is(doc.exitCode, 2);
  assert.is(doc.run.durationMs, 65_400);
  assert.is(doc.events.length, sampleEvents().length);
  assert.ok(doc.events.every((e) => typeof e.ts === 'string'));
  assert.is(doc.plays.length, 1);
  assert.is(doc.tasks.length, 1);
  const t = doc.tasks[0];
  assert.is(t.name, 'Export images');
  assert.is(t.durationMs, 40);
  assert.is(t.results.kvm1.status, 'ok');
  assert.is(t.results.kvm2.status, 'changed');
  assert.equal(t.results.kvm2.results[0].diff![0].path, '/etc/exports');
  assert.equal(doc.recap!.kvm2.failed, 1);
  assert.is(doc.warnings.length, 1);
  assert.is(doc.errors.length, 1);
  assert.equal(readdirSync(join(dir, 'sub')), ['run.json'], 'no temp file left');
});

test('per-host results: loop items aggregate, repeated task names, handlers', () => {
  const hr = (task: string, host: string, status: 'ok' | 'changed' | 'failed' | 'skipped', item?: string): RunEvent => ({
    kind: 'host_result', task, host, status, reason: status, durationMs: 10, ...(item ? { item } : {}),
  });
  const evs: RunEvent[] = [
    { kind: 'task_start', play: 'p', task: 'loop', module: 'package', loc: 'a:1', hosts: ['h1', 'h2'] },
    hr('loop', 'h1', 'ok', 'a'), hr('loop', 'h1', 'changed', 'b'), hr('loop', 'h1', 'ok', 'c'),
    hr('loop', 'h2', 'failed', 'a'), hr('loop', 'h2', 'ok', 'b'),
    { kind: 'task_end', task: 'loop', durationMs: 30 },
    { kind: 'task_start', play: 'p', task: 'loop', module: 'package', loc: 'a:9', hosts: ['h1'] },
    hr('loop', 'h1', 'skipped'),
    { kind: 'task_end', task: 'loop', durationMs: 5 },
    { kind: 'task_start', play: 'p', task: 'restart', module: 'service', loc: 'a:20', hosts: ['h1'], handler: true },
    hr('restart', 'h1', 'changed'),
    { kind: 'task_end', task: 'restart', durationMs: 7 },
  ];
  const doc = buildReport(evs.map((e) => stamp(e)));
  assert.is(doc.tasks.length, 3);
  assert.is(doc.tasks[0].results.h1.status, 'changed');
  assert.is(doc.tasks[0].results.h1.results.length, 3);
  assert.is(doc.tasks[0].results.h1.durationMs, 30);
  assert.is(doc.tasks[0].results.h2.status, 'failed');
  assert.is(doc.tasks[1].results.h1.status, 'skipped');
  assert.is(doc.tasks[1].loc, 'a:9');
  assert.is(doc.tasks[2].handler, true);
  assert.is(doc.exitCode, null, 'no run_end: null exit code');
});

test('atomic write replaces an existing file; failure reported from close()', async () => {
  const dir = tmp();
  const file = join(dir, 'r.json');
  writeFileSync(file, 'old');
  await writeFileAtomic(file, '{"new":true}');
  assert.is(readFileSync(file, 'utf8'), '{"new":true}');
  assert.equal(readdirSync(dir), ['r.json']);

  // the target is a directory: rename fails, temp file cleaned, close() rejects with a clear message
  const w = new ReportFileWriter(dir);
  w.emit(sampleEvents()[0]);
  try {
    await w.close();
    assert.unreachable('should reject');
  } catch (e) {
    assert.match((e as Error).message, /could not write report file/);
  }
  assert.equal(readdirSync(dir), ['r.json']);

  // through createReporter: the screen renderer still closes
  const out = captureStream();
  const r = createReporter({ mode: 'plain', verbosity: 0, diff: false, out, err: captureStream(), reportFile: dir, env: {} });
  r.emit(sampleEvents().at(-1)!);
  await r.close().then(
    () => assert.unreachable('should reject'),
    (e: Error) => assert.match(e.message, /could not write report file/),
  );
  assert.match(out.text(), /Finished in/);
});

test('events are snapshotted at emit time', async () => {
  const dir = tmp();
  const file = join(dir, 'r.json');
  const w = new ReportFileWriter(file);
  const ev = { kind: 'warning' as const, msg: 'before' };
  w.emit(ev);
  ev.msg = 'after';
  await w.close();
  assert.is(JSON.parse(readFileSync(file, 'utf8')).warnings[0].msg, 'before');
});

test.run();
