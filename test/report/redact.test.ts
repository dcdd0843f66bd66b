import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRedactor, dynamicRedactor, NO_LOG_RESULT, REDACTED } from '../../src/report/redact.js';
import { createReporter } from '../../src/report/index.js';
import { captureStream, sampleEvents } from '../harness/reporter.js';
import type { RunEvent } from '../../src/report/events.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('replaces every occurrence in strings, recursively, without mutating', () => {
  const r = createRedactor(['s3cr3t', 'hunter2']);
  const input = { a: 'x s3cr3t y s3cr3t', b: [1, 'hunter2', { c: 'pre-hunter2-post', d: null, e: true }], n: 5, 's3cr3t-key': 'v' };
  const out = r(input) as typeof input;
  assert.equal(out, { a: `x ${REDACTED} y ${REDACTED}`, b: [1, REDACTED, { c: `pre-${REDACTED}-post`, d: null, e: true }], n: 5, [`${REDACTED}-key`]: 'v' } as never);
  assert.is(input.a, 'x s3cr3t y s3cr3t', 'input untouched');
});

test('short secrets ignored, longer secrets first, cycles survive', () => {
  const r = createRedactor(['ab', 'pass', 'password123', '', undefined as never]);
  assert.is(r('ab password123 pass'), `ab ${REDACTED} ${REDACTED}`);
  const cyc: Record<string, unknown> = { s: 'pass' };
  cyc.self = cyc;
  const out = r(cyc) as Record<string, unknown>;
  assert.is(out.s, REDACTED);
  assert.is(out.self, out);
  assert.is(createRedactor([])('x'), 'x');
});

test('regex metacharacters are literal', () => {
  assert.is(createRedactor(['a.b*c'])('a.b*c axbbc'), `${REDACTED} axbbc`);
});

test('dynamic source picks up new secrets', () => {
  const secrets: string[] = [];
  const r = dynamicRedactor(() => secrets);
  assert.is(r('vault-pw'), 'vault-pw');
  secrets.push('vault-pw');
  assert.is(r('vault-pw'), REDACTED);
  assert.is(dynamicRedactor(() => { throw new Error('x'); })('abc'), 'abc');
});

test('NO_LOG_RESULT text', () => {
  assert.is(NO_LOG_RESULT, "the output has been hidden due to the fact that 'no_log: true' was specified for this result");
});

const SECRET = 'Zx9-topsecret';
function leakyEvents(): RunEvent[] {
  return [
    { kind: 'run_start', playbook: 'site.yml', inventory: 'hosts.yml', check: false, diff: true, time: 't' },
    { kind: 'play_start', play: `play ${SECRET}`, hosts: ['kvm1'], loc: 'x:1' },
    { kind: 'task_start', play: 'p', task: `set pw ${SECRET}`, module: 'copy', loc: 'x:2', hosts: ['kvm1'] },
    { kind: 'progress', host: 'kvm1', task: 't', text: `sending ${SECRET}`, fraction: 1 },
    { kind: 'log', level: 1, msg: `cmd --password ${SECRET}`, host: 'kvm1' },
    {
      kind: 'host_result', task: `set pw ${SECRET}`, host: 'kvm1', status: 'failed', reason: `bad ${SECRET}`, durationMs: 1,
      diff: [{ path: '/etc/pw', before: '', after: `pw=${SECRET}\n` }],
      data: { nested: { deep: [`a${SECRET}b`] } },
    },
    { kind: 'warning', msg: `careful ${SECRET}` },
    { kind: 'task_end', task: `set pw ${SECRET}`, durationMs: 2 },
    { kind: 'list', what: 'tasks', play: 'p', items: [SECRET] },
    { kind: 'error', msg: `oops ${SECRET}`, hint: SECRET },
    { kind: 'recap', hosts: { kvm1: { ok: 0, changed: 0, unreachable: 0, failed: 1, skipped: 0, rescued: 0, ignored: 0 } } },
    { kind: 'run_end', exitCode: 2, durationMs: 3 },
  ];
}

for (const mode of ['plain', 'json', 'tty'] as const) {
  test(`every mode redacts messages and nested data (${mode})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvplay-redact-'));
    try {
      const out = captureStream({ tty: mode === 'tty' });
      const err = captureStream();
      const reportFile = join(dir, 'report.json');
      const r = createReporter({ mode, verbosity: 3, diff: true, out, err, reportFile, secrets: () => [SECRET], env: {} });
      for (const ev of leakyEvents()) r.emit(ev);
      await r.close();
      const all = out.text() + err.text();
      assert.ok(all.includes(REDACTED), 'something was masked');
      assert.not.ok(all.includes(SECRET), 'no secret on screen');
      const report = readFileSync(reportFile, 'utf8');
      assert.not.ok(report.includes(SECRET), 'no secret in the report file');
      assert.ok(report.includes(`a${REDACTED}b`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('events are not mutated by redaction', async () => {
  const evs = sampleEvents();
  const copy = structuredClone(evs);
  const r = createReporter({ mode: 'json', verbosity: 0, diff: false, out: captureStream(), err: captureStream(), env: {}, secrets: () => ['kvm1'] });
  for (const ev of evs) r.emit(ev);
  await r.close();
  assert.equal(evs, copy);
});

test.run();
