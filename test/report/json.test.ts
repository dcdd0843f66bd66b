import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createReporter } from '../../src/report/index.js';
import { JsonReporter, safeJson } from '../../src/report/json.js';
import { captureStream, sampleEvents, sampleEventsByKind } from '../harness/reporter.js';
import type { EventKind } from '../../src/report/events.js';

test('one JSON object per line, every kind, parses back to the event plus ts', async () => {
  const out = captureStream();
  const err = captureStream();
  const r = createReporter({ mode: 'json', verbosity: 0, diff: false, out, err, env: { FORCE_COLOR: '1' } });
  const events = sampleEvents();
  for (const ev of events) r.emit(ev);
  await r.close();
  const lines = out.text().trimEnd().split('\n');
  assert.is(lines.length, events.length);
  const parsed = lines.map((l) => JSON.parse(l));
  parsed.forEach((p, i) => {
    assert.type(p.ts, 'string');
    assert.ok(!Number.isNaN(Date.parse(p.ts)));
    const { ts, ...rest } = p;
    void ts;
    assert.equal(rest, events[i]);
  });
  const kinds = new Set(parsed.map((p) => p.kind));
  for (const k of Object.keys(sampleEventsByKind()) as EventKind[]) assert.ok(kinds.has(k), k);
  assert.is(err.text(), '', 'nothing on stderr');
  assert.not.ok(out.text().includes('\u001b['), 'never colored, even when forced');
});

test('auto mode never picks json; explicit json on a TTY still writes json', async () => {
  const out = captureStream({ tty: true });
  const r = createReporter({ mode: 'json', verbosity: 0, diff: false, out, err: captureStream(), env: {} });
  r.emit(sampleEventsByKind().play_start[0]);
  await r.close();
  assert.equal(JSON.parse(out.text()).kind, 'play_start');
});

test('injectable clock, cycles do not throw', () => {
  const out = captureStream();
  const r = new JsonReporter(out, () => new Date(0));
  const data: Record<string, unknown> = { a: 1 };
  data.self = data;
  r.emit({ kind: 'host_result', task: 't', host: 'h', status: 'ok', reason: '', durationMs: 1, data });
  const p = JSON.parse(out.text());
  assert.is(p.ts, '1970-01-01T00:00:00.000Z');
  assert.is(p.data.self, '[Circular]');
  assert.is(safeJson({ n: 10n }), '{"n":"10"}');
  const shared = { x: 1 };
  assert.is(safeJson({ a: shared, b: shared }), '{"a":{"x":1},"b":{"x":1}}', 'shared refs are not cycles');
});

test.run();
