/**
 * --report-html and `kvplay report RUN.json --html FILE`, end to end: the real CLI on real sshd
 * hosts (a changed task with a diff, host output holding HTML, a secret, a failure), the page opened
 * in a real headless Chromium: no console error, no network request, the run's tasks, results, the
 * timeline; a click opens a result, the filters filter. The migration chart (synthetic samples:
 * the lab migration is tested elsewhere) is drawn in Chromium too. Screenshots: test-artifacts/.
 */
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startHosts, kvplay, writePlaybook, ROOT, type Lab } from './helpers.js';
import { requires } from '../harness/gate.js';
import { Browser } from '../harness/chromium.js';
import { renderHtml } from '../../src/report/html.js';
import type { ReportDocument } from '../../src/report/index.js';
import type { RunEvent } from '../../src/report/events.js';

/** Needs the real sshd (root) and Debian's chromium: elsewhere every test is reported as skipped with the reason. */
const test = requires({ sshd: true, tools: ['chromium'] });

const ARTIFACTS = join(ROOT, 'test-artifacts');
const SECRET = 'Sx-' + Math.random().toString(36).slice(2, 12);
const EVIL = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">';

let lab: Lab;
let browser: Browser;
let doc: ReportDocument;
let htmlFile: string;
let cliCode = -1;
let cliOut = '';

test.before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  lab = await startHosts(2, { app_token: SECRET });
  const pb = writePlaybook(lab.dir, 'site.yaml', `- name: Configure the app
  hosts: all
  gather_facts: false
  tasks:
    - name: Write the app config
      copy:
        dest: "{{ work }}/app.conf"
        content: "listen 8080\\ntoken {{ app_token }}\\n"
    - name: Read what the host says
      command: printf '%s' '${EVIL}'
      register: said
      changed_when: false
    - name: Show it
      debug:
        var: said.stdout
    - name: Fail on the database host
      command: sh -c 'echo "cannot reach ${EVIL.replace(/"/g, '\\"')} with token {{ app_token }}" >&2; exit 3'
      when: inventory_hostname == 'host2'
    - name: Last step
      command: "true"
`);
  const json = join(lab.dir, 'run.json');
  htmlFile = join(lab.dir, 'run.html');
  const r = await kvplay([pb, '-i', lab.inventory, '--diff', '--report', json, '--report-html', htmlFile]);
  cliCode = r.code;
  cliOut = r.stdout + r.stderr;
  if (!existsSync(json)) throw new Error(`no --report file: exit ${r.code}\n${cliOut}`);
  doc = JSON.parse(readFileSync(json, 'utf8')) as ReportDocument;
  browser = await Browser.launch();
});
test.after(async () => {
  await browser?.close();
  await lab?.stop();
});

test('the run: a diff, a changed task, host output with HTML, a failure', () => {
  assert.is(cliCode, 2, cliOut);
  const st = (task: string, host: string) => doc.tasks.find((t) => t.name === task)?.results[host]?.status;
  assert.is(st('Write the app config', 'host1'), 'changed');
  assert.is(st('Fail on the database host', 'host2'), 'failed');
  assert.is(st('Last step', 'host1'), 'changed');
  assert.ok(doc.tasks.find((t) => t.name === 'Write the app config')!.results.host1.results[0].diff?.length, 'a diff');
});

test('--report-html: the page has the run, secrets masked, host output as text', async () => {
  const html = readFileSync(htmlFile, 'utf8');
  assert.not.ok(html.includes(SECRET), 'the secret is on the page');
  assert.match(html, /token \*\*\*\*\*\*\*\*/);
  await browser.open(pathToFileURL(htmlFile).href);
  const page = await browser.eval<{ scripts: number; pwned: unknown; imgs: number; rows: number; tasks: string[]; bars: number; failures: string; title: string }>(`({
    scripts: document.scripts.length,
    pwned: window.pwned ?? null,
    imgs: document.images.length,
    rows: document.querySelectorAll('tr.res').length,
    tasks: [...document.querySelectorAll('#plays table.tasks tbody tr td:first-child')].map((td) => td.firstChild.textContent),
    bars: document.querySelectorAll('svg.timeline rect.bar').length,
    failures: document.querySelector('#failures').textContent,
    title: document.title,
  })`);
  await browser.screenshot(join(ARTIFACTS, 'html-report.png'));
  process.stdout.write(`screenshot: ${join(ARTIFACTS, 'html-report.png')}\n`);
  assert.equal(browser.problems.errors, [], 'console errors');
  assert.equal(browser.problems.requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:')), [], 'network requests');
  assert.is(page.scripts, 1, 'only the page\'s own script');
  assert.is(page.pwned, null, 'host output ran as script');
  assert.is(page.imgs, 0, 'host output became an element');
  const results = doc.events.filter((e) => e.kind === 'host_result').length;
  assert.is(page.rows, results);
  assert.equal(page.tasks, ['Write the app config', 'Read what the host says', 'Show it', 'Fail on the database host', 'Last step']);
  assert.ok(page.bars >= 9, `timeline bars: ${page.bars}`);
  assert.ok(page.failures.includes(`cannot reach ${EVIL}`), `the failure message as text: ${page.failures}`);
  assert.match(page.title, /site\.yaml \(exit 2\)/);
});

test('a click shows a result\'s details; the status and host filters filter', async () => {
  await browser.open(pathToFileURL(htmlFile).href);
  const failedId = await browser.eval<string>(`document.querySelector('tr.res[data-status=failed]').dataset.id`);
  const shown = (sel: string) => browser.eval<boolean>(`getComputedStyle(document.querySelector(${JSON.stringify(sel)})).display !== 'none'`);
  assert.is(await shown(`#d${failedId}`), false, 'details start closed');
  await browser.click(`#r${failedId} td.msg`);
  assert.is(await shown(`#d${failedId}`), true, 'a click opens them');
  assert.ok((await browser.eval<string>(`document.querySelector('#d${failedId}').textContent`)).includes(`cannot reach ${EVIL}`), 'the details hold the message');
  const visible = () => browser.eval<string[]>(`[...document.querySelectorAll('tr.res')].filter((r) => !r.hidden).map((r) => r.dataset.host + ':' + r.dataset.status)`);
  const all = await visible();
  await browser.click('input[name=status][value=ok]');
  const noOk = await visible();
  assert.ok(noOk.length < all.length && noOk.every((x) => !x.endsWith(':ok')), `unchecking ok: ${noOk}`);
  await browser.eval(`(() => { const s = document.getElementById('f-host'); s.value = 'host2'; s.dispatchEvent(new Event('change', { bubbles: true })); })()`);
  const h2 = await visible();
  assert.ok(h2.length > 0 && h2.every((x) => x.startsWith('host2:')), `host2 only: ${h2}`);
  assert.is(await browser.eval<string>(`document.getElementById('shown').textContent`), String(h2.length));
  assert.equal(browser.problems.errors, []);
});

test('kvplay report RUN.json --html FILE: the same page from the --report file', async () => {
  const out = join(lab.dir, 'from-json.html');
  const r = await kvplay(['report', join(lab.dir, 'run.json'), '--html', out]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const html = readFileSync(out, 'utf8');
  // the same sections (the timeline may differ by a millisecond: each file stamps the events itself)
  const section = (page: string, id: string) => new RegExp(`<section id="${id}">[\\s\\S]*?</section>`).exec(page)?.[0];
  for (const id of ['recap', 'failures', 'plays', 'results', 'diffs']) {
    assert.ok(section(html, id), `section ${id}`);
    assert.is(section(html, id), section(readFileSync(htmlFile, 'utf8'), id), `section ${id} differs`);
  }
  await browser.open(pathToFileURL(out).href);
  assert.is(await browser.eval<number>(`document.querySelectorAll('tr.res').length`), doc.events.filter((e) => e.kind === 'host_result').length);
  assert.equal(browser.problems.errors, []);
  const bad = await kvplay(['report', join(lab.dir, 'site.yaml'), '--html', join(lab.dir, 'x.html')]);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /site\.yaml:\d+:\d+: error: not valid JSON/);
});

test('the migration chart (recorded progress samples) draws in Chromium', async () => {
  const t0 = Date.parse('2024-05-01T10:00:00Z');
  const total = 2 * 1024 ** 3;
  const evs: Array<RunEvent & { ts: string }> = [];
  let t = t0;
  const push = (e: RunEvent, dt: number) => evs.push({ ...e, ts: new Date((t += dt)).toISOString() });
  push({ kind: 'run_start', playbook: 'migrate.yaml', inventory: 'lab', check: false, diff: false, time: new Date(t0).toISOString() }, 0);
  push({ kind: 'play_start', play: 'move', hosts: ['kvm1'], loc: 'migrate.yaml:1' }, 10);
  push({ kind: 'task_start', play: 'move', task: 'live migrate web1', module: 'migrate', loc: 'migrate.yaml:4:7', hosts: ['kvm1'] }, 10);
  const rem = [2048, 1500, 1000, 500, 120, 60, 30, 8, 2];
  rem.forEach((mib, i) => push({ kind: 'progress', host: 'kvm1', task: 'live migrate web1', text: `${mib} MiB left`, fraction: 1 - (mib * 1024 ** 2) / total, metrics: { remainingBytes: mib * 1024 ** 2, totalBytes: total, iteration: i < 4 ? 1 : i < 7 ? 2 : 3, elapsedMs: 500 * (i + 1) } }, 500));
  push({ kind: 'host_result', task: 'live migrate web1', host: 'kvm1', status: 'changed', reason: 'migrated', durationMs: 5000, data: { migrated: true, migration: { downtime_ms: 95, total_time_ms: 4800, iterations: 3 } } }, 300);
  push({ kind: 'task_end', task: 'live migrate web1', durationMs: 5100 }, 10);
  push({ kind: 'run_end', exitCode: 0, durationMs: 5200 }, 10);
  const file = join(lab.dir, 'migration.html');
  writeFileSync(file, renderHtml(evs));
  await browser.open(pathToFileURL(file).href);
  const c = await browser.eval<{ w: number; h: number; passes: string[]; downtime: number; points: number }>(`(() => {
    const line = document.querySelector('svg.chart polyline.remaining');
    const b = line.getBBox();
    return { w: b.width, h: b.height, passes: [...document.querySelectorAll('svg.chart .passlabel')].map((t) => t.textContent),
      downtime: document.querySelector('svg.chart rect.downtime').getBoundingClientRect().width, points: line.points.length };
  })()`);
  await browser.screenshot(join(ARTIFACTS, 'html-report-migration.png'));
  process.stdout.write(`screenshot: ${join(ARTIFACTS, 'html-report-migration.png')}\n`);
  assert.equal(browser.problems.errors, []);
  assert.ok(c.w > 300 && c.h > 100, `the line is drawn: ${JSON.stringify(c)}`);
  assert.is(c.points, rem.length);
  assert.equal(c.passes, ['pass 1', 'pass 2', 'pass 3']);
  assert.ok(c.downtime > 0, 'the downtime band is drawn');
});

test.run();
