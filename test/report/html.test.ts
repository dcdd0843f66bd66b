/**
 * The HTML report (src/report/html*.ts): every event kind shows, every value is HTML-escaped,
 * secrets never reach the page (the reporters' redactor), the migration chart, the page's CSP,
 * and `kvplay report`'s reading of a --report file.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderHtml } from '../../src/report/html.js';
import { buildRunView } from '../../src/report/html-model.js';
import { escapeHtml } from '../../src/report/html-parts.js';
import { migrationSeries } from '../../src/report/html-svg.js';
import { createReporter } from '../../src/report/index.js';
import { captureStream, sampleEvents, sampleEventsByKind } from '../harness/reporter.js';
import type { EventKind, RunEvent } from '../../src/report/events.js';
import { jobMetrics } from '../../src/modules/virt/virsh.js';
import { readReport } from '../../src/cli/report.js';
import { InputError } from '../../src/util/errors.js';
import { parseJobInfo } from '../../src/facts/virsh.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'kvplay-html-'));
  dirs.push(d);
  return d;
};
test.after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const BASE = Date.parse('2024-05-01T10:00:00Z');
/** events stamped 100 ms apart (or `dt` each) */
function stamped(evs: RunEvent[], dt = 100): Array<RunEvent & { ts: string }> {
  return evs.map((e, i) => ({ ...e, ts: new Date(BASE + i * dt).toISOString() }));
}

/** What each kind's sample must put on the page (the samples of test/harness/reporter.ts). */
const SHOWS: { [K in EventKind]: RegExp } = {
  run_start: /kvplay run: site\.yml/,
  play_start: /PLAY \[Prepare hypervisors\]/,
  task_start: /<td>Export images<div class="loc">site\.yml:5:7<\/div><\/td><td><code>lineinfile<\/code>/,
  host_result: /<tr class="res" id="r\d+"[^>]*data-host="kvm\d"/,
  explain: /<h4>explain<\/h4><pre class="explain">  checked    ls -ld \/etc\/exports; cat \/etc\/exports/,
  task_end: /<td class="num">40ms<\/td>/,
  progress: /1 update\(s\), the last: copying disk/,
  warning: /module defaults are deprecated/,
  log: /ESTABLISH SSH CONNECTION/,
  list: /<b>hosts<\/b> of Prepare hypervisors/,
  error: /unknown module &#39;cpy&#39;/,
  recap: /<section id="recap">/,
  run_end: /<span class="st st-failed">2<\/span>/,
};

test('every event kind shows on the page (and the model switch is exhaustive)', () => {
  const html = renderHtml(stamped(sampleEvents()));
  for (const [kind, re] of Object.entries(SHOWS)) assert.match(html, re, `kind ${kind} does not show`);
  // each kind alone renders too (a page from any single event)
  for (const [kind, evs] of Object.entries(sampleEventsByKind())) {
    const page = renderHtml(stamped(evs as RunEvent[]));
    assert.match(page, /^<!DOCTYPE html>/, kind);
    assert.match(page, /<\/html>\n$/, kind);
  }
});

test('an event kind this version does not know is left out with a note, not a crash', () => {
  const evs = [...sampleEvents(), { kind: 'from_the_future', x: 1 } as unknown as RunEvent];
  const v = buildRunView(stamped(evs));
  assert.equal(v.unknown, ['from_the_future']);
  assert.match(renderHtml(stamped(evs)), /of kinds this kvplay does not know were left out: from_the_future/);
});

const EVIL = `<script>alert("x")</script><img src=x onerror=alert(1)>'"&`;

test('every value is HTML-escaped: host output with <script> shows as text', () => {
  const evs: RunEvent[] = [
    { kind: 'run_start', playbook: `pb${EVIL}.yml`, inventory: EVIL, check: false, diff: true, time: new Date(BASE).toISOString() },
    { kind: 'play_start', play: `play${EVIL}`, hosts: [`h${EVIL}`], loc: EVIL },
    { kind: 'task_start', play: `play${EVIL}`, task: `task${EVIL}`, module: 'command', loc: EVIL, hosts: [`h${EVIL}`] },
    { kind: 'progress', host: `h${EVIL}`, task: `task${EVIL}`, text: `1.0 GiB of 2.0 GiB left, pass 1 ${EVIL}` },
    {
      kind: 'host_result', task: `task${EVIL}`, host: `h${EVIL}`, status: 'failed', reason: `stderr: ${EVIL}`, item: EVIL, output: EVIL,
      diff: [{ path: EVIL, before: `a\n${EVIL}\n`, after: `b\n${EVIL}\n` }], data: { [EVIL]: EVIL, stdout: EVIL }, durationMs: 5,
    },
    { kind: 'task_end', task: `task${EVIL}`, durationMs: 6 },
    { kind: 'warning', msg: EVIL, host: EVIL, loc: EVIL },
    { kind: 'log', level: 1, msg: EVIL, host: EVIL },
    { kind: 'list', what: 'tasks', play: EVIL, items: [EVIL] },
    { kind: 'error', msg: EVIL, loc: EVIL, hint: EVIL },
    { kind: 'recap', hosts: { [`h${EVIL}`]: { ok: 0, changed: 0, unreachable: 0, failed: 1, skipped: 0, rescued: 0, ignored: 0 } } },
    { kind: 'run_end', exitCode: 2, durationMs: 10 },
  ];
  const html = renderHtml(stamped(evs));
  assert.is((html.match(/<script/gi) ?? []).length, 1, 'only the page\'s own script element');
  assert.not.match(html, /<img/i);
  assert.not.match(html, /alert\("x"\)/, 'a raw double quote inside the injected text');
  assert.ok(html.includes(escapeHtml(EVIL)), 'the text is there, escaped');
  assert.ok(html.split(escapeHtml('<script>alert("x")</script>')).length > 12, 'escaped in every place it is shown');
});

test('escapeHtml: & < > " \' and NUL', () => {
  assert.is(escapeHtml(`<a href="x" title='y'>&amp;\u0000`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;\uFFFD');
});

const SECRET = `Pw<&"'-${Math.random().toString(36).slice(2, 10)}`;

test('--report-html: secrets are redacted by the reporters\' redactor before the page is built', async () => {
  const file = join(tmp(), 'run.html');
  const r = createReporter({ mode: 'plain', verbosity: 0, diff: true, out: captureStream(), err: captureStream(), reportHtmlFile: file, secrets: () => [SECRET], env: {} });
  const evs: RunEvent[] = [
    { kind: 'run_start', playbook: 'site.yml', inventory: 'inv', check: false, diff: true, time: new Date(BASE).toISOString() },
    { kind: 'play_start', play: 'p', hosts: ['h1'], loc: 'site.yml:1' },
    { kind: 'task_start', play: 'p', task: 'show', module: 'debug', loc: 'site.yml:3:7', hosts: ['h1'] },
    {
      kind: 'host_result', task: 'show', host: 'h1', status: 'changed', reason: `set to ${SECRET}`, output: `json: ${JSON.stringify({ pw: SECRET })}`,
      diff: [{ path: '/etc/app.conf', before: 'password=old\n', after: `password=${SECRET}\n` }], data: { [SECRET]: { nested: [SECRET] } }, durationMs: 3,
    },
    { kind: 'warning', msg: `careful with ${SECRET}` },
    { kind: 'task_end', task: 'show', durationMs: 4 },
    { kind: 'run_end', exitCode: 0, durationMs: 9 },
  ];
  for (const ev of evs) r.emit(ev);
  await r.close();
  const html = readFileSync(file, 'utf8');
  for (const form of [SECRET, escapeHtml(SECRET), JSON.stringify(SECRET).slice(1, -1), escapeHtml(JSON.stringify(SECRET).slice(1, -1)), SECRET.slice(0, 8), escapeHtml(SECRET.slice(0, 8))]) {
    assert.not.ok(html.includes(form), `a form of the secret is on the page: ${form}`);
  }
  assert.match(html, /set to \*\*\*\*\*\*\*\*/);
  assert.match(html, /password=\*\*\*\*\*\*\*\*/);
  // the same events without the redactor would show it (the check above can fail)
  assert.ok(renderHtml(stamped(evs)).includes(escapeHtml(SECRET)));
});

test('the text net catches a secret that reaches the page by another way', () => {
  const evs = stamped([{ kind: 'warning', msg: `token ${SECRET}` }]);
  const html = renderHtml(evs, { net: (s) => s.split(SECRET).join('********') });
  assert.not.ok(html.includes(escapeHtml(SECRET)));
  assert.match(html, /token \*\*\*\*\*\*\*\*/);
});

/** A live migration as the migrate module reports it: 3 passes, then the switch with 180 ms downtime. */
function migrationEvents(withMetrics = true): RunEvent[] {
  const total = 4 * 1024 ** 3;
  const evs: RunEvent[] = [
    { kind: 'run_start', playbook: 'migrate.yml', inventory: 'lab', check: false, diff: false, time: new Date(BASE).toISOString() },
    { kind: 'play_start', play: 'move', hosts: ['kvm1'], loc: 'migrate.yml:1' },
    { kind: 'task_start', play: 'move', task: 'live migrate web1', module: 'migrate', loc: 'migrate.yml:4:7', hosts: ['kvm1'] },
  ];
  const samples: Array<[number, number]> = [
    [1, 4.0], [1, 3.0], [1, 2.0], [1, 1.0], [2, 0.5], [2, 0.25], [3, 0.1], [3, 0.02],
  ];
  samples.forEach(([pass, gib], i) => {
    const rem = gib * 1024 ** 3;
    const text = `migrating web1 kvm1 -> kvm2: ${(gib >= 1 ? `${gib.toFixed(1)} GiB` : `${(gib * 1024).toFixed(1)} MiB`)} of 4.0 GiB left, 100.0 MiB/s, pass ${pass}`;
    evs.push({ kind: 'progress', host: 'kvm1', task: 'live migrate web1', text, fraction: 1 - rem / total, ...(withMetrics ? { metrics: { remainingBytes: rem, totalBytes: total, iteration: pass, elapsedMs: 1000 * (i + 1) } } : {}) });
  });
  evs.push(
    { kind: 'host_result', task: 'live migrate web1', host: 'kvm1', status: 'changed', reason: 'web1 migrated live', durationMs: 9500, data: { migrated: true, migration: { downtime_ms: 180, total_time_ms: 9200, iterations: 3 } } },
    { kind: 'task_end', task: 'live migrate web1', durationMs: 9600 },
    { kind: 'recap', hosts: { kvm1: { ok: 1, changed: 1, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 } } },
    { kind: 'run_end', exitCode: 0, durationMs: 10_000 },
  );
  return evs;
}

test('migration: remaining memory over time, each pass and the downtime marked', () => {
  const html = renderHtml(stamped(migrationEvents(), 1000));
  const fig = /<figure class="migration">[\s\S]*?<\/figure>/.exec(html)?.[0] ?? '';
  assert.ok(fig, 'a migration chart');
  assert.match(fig, /live migrate web1<\/b> on <b>kvm1<\/b> — 8 samples, 3 passes, downtime 180 ms, total 9\.2s/);
  const line = /<polyline class="remaining" points="([^"]+)"/.exec(fig)?.[1] ?? '';
  assert.is(line.split(' ').length, 8, 'one point per sample');
  const ys = line.split(' ').map((p) => Number(p.split(',')[1]));
  assert.ok(ys.every((y, i) => i === 0 || y >= ys[i - 1]), 'remaining memory falls (y grows downwards)');
  assert.equal([...fig.matchAll(/class="passlabel"[^>]*>pass (\d+)</g)].map((m) => m[1]), ['1', '2', '3']);
  assert.match(fig, /<rect class="downtime" x="[\d.]+" y="\d+" width="[\d.]+" height="\d+"><title>downtime 180 ms<\/title>/);
  // the band ends where the job ended (9.2 s on an axis of libvirt's elapsed time) = the right edge
  const dt = /<rect class="downtime" x="([\d.]+)" y="\d+" width="([\d.]+)"/.exec(fig)!;
  assert.ok(Math.abs(Number(dt[1]) + Number(dt[2]) - 780) < 1.5, `downtime band at the end: ${dt[0]}`);
});

test('migration: a report without metrics (older kvplay) is charted from the progress text', () => {
  const v = buildRunView(stamped(migrationEvents(false), 1000));
  const [s] = migrationSeries(v);
  assert.ok(s, 'a series');
  assert.is(s.points.length, 8);
  assert.is(s.elapsedAxis, false);
  assert.equal(s.points.map((p) => p.iter), [1, 1, 1, 1, 2, 2, 3, 3]);
  assert.is(s.points[0].rem, 4 * 1024 ** 3);
  assert.is(s.points[4].rem, 512 * 1024 ** 2);
  assert.equal(s.points.map((p) => p.x), [0, 1000, 2000, 3000, 4000, 5000, 6000, 7000]);
});

test('progress metrics of the migrate module come from virsh domjobinfo', () => {
  const j = parseJobInfo(`Job type:         Unbounded
Operation:        Outgoing migration
Time elapsed:     5120         ms
Data processed:   1.500 GiB
Data remaining:   512.000 MiB
Data total:       4.000 GiB
Memory bandwidth: 100.000 MiB/s
Iteration:        2
Dirty rate:       1200         pages/s
`);
  assert.equal(jobMetrics(j), {
    remainingBytes: 512 * 1024 ** 2, totalBytes: 4 * 1024 ** 3, processedBytes: 1.5 * 1024 ** 3, bandwidthBytesPerS: 100 * 1024 ** 2, iteration: 2, elapsedMs: 5120, dirtyRate: 1200,
  });
});

test('self-contained: no URL to fetch, and a CSP that allows only the page\'s own style and script', () => {
  const html = renderHtml(stamped(migrationEvents(), 1000));
  assert.not.match(html, /\b(src|href|action)\s*=\s*["']?(https?:|\/\/|ftp:|file:)/i);
  assert.not.match(html, /@import|url\(|<link\b|<iframe|<object|<embed/i);
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? '';
  assert.match(csp, /default-src 'none'/);
  const hash = (s: string) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;
  const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1];
  const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1];
  assert.ok(csp.includes(`script-src ${hash(script)}`), 'the script is allowed by its hash');
  assert.ok(csp.includes(`style-src ${hash(style)}`), 'the style is allowed by its hash');
});

test('kvplay report: reads a --report file; bad input is an InputError with file:line:col', async () => {
  const d = tmp();
  const file = join(d, 'run.json');
  const r = createReporter({ mode: 'json', verbosity: 0, diff: false, out: captureStream(), err: captureStream(), reportFile: file, env: {} });
  for (const ev of migrationEvents()) r.emit(ev);
  await r.close();
  const { events, version } = readReport(file);
  assert.is(version, 1);
  assert.is(events.length, migrationEvents().length);
  assert.match(renderHtml(events), /<figure class="migration">/);
  const bad = join(d, 'bad.json');
  writeFileSync(bad, '{\n  "kvplayReport": 1,\n  "events": [}\n');
  try {
    readReport(bad);
    assert.unreachable('bad JSON accepted');
  } catch (e) {
    assert.instance(e, InputError);
    assert.match((e as InputError).format(), new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:\\d+: error: not valid JSON`));
  }
  const stream = join(d, 'events.jsonl');
  writeFileSync(stream, JSON.stringify({ kind: 'run_end', exitCode: 0, durationMs: 1 }));
  assert.throws(() => readReport(stream), /not a kvplay report/);
});

test.run();
