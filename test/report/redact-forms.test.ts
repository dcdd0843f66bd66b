/**
 * Redaction of a secret in every form kvplay's output can give it: JSON-escaped (debug output of a
 * dict, --json, --report), Python repr (a dict templated into a string), json.dumps with
 * ensure_ascii (to_json), YAML quoting (to_yaml), sh quoting (q(): command lines), base64
 * (b64encode), and cut short before an ellipsis (a truncated command, a parser error).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedactor, REDACTED } from '../../src/report/redact.js';
import { createReporter } from '../../src/report/index.js';
import { captureStream } from '../harness/reporter.js';
import type { RunEvent } from '../../src/report/events.js';
import { render } from '../../src/template/index.js';
import { q } from '../../src/util/quote.js';

/** A secret with every character an encoder escapes: " \ ' non-ASCII and a control character. */
const CORE = 'Qv7Kp';
const SECRET = `${CORE}"a\\b'c-\u00e9\u0001z`;
const jsonInner = (s: string) => JSON.stringify(s).slice(1, -1);

const str = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
const forms: Array<[string, () => string]> = [
  ['JSON-escaped (debug output of a dict)', () => JSON.stringify({ db: { pw: SECRET } }, null, 2)],
  ['JSON-escaped twice (a JSON text inside a JSON string)', () => JSON.stringify({ output: JSON.stringify({ pw: SECRET }) })],
  ['Python repr (a dict templated into a string)', () => str(render('creds={{ d }}', { d: { pw: SECRET } }))],
  ['Python repr of a list', () => str(render('items={{ l }}', { l: [SECRET, 'x'] }))],
  ['json.dumps ensure_ascii (to_json)', () => str(render('{{ d | to_json }}', { d: { pw: SECRET } }))],
  ['YAML (to_nice_yaml)', () => str(render('{{ d | to_nice_yaml }}', { d: { pw: SECRET } }))],
  ['YAML single-quoted', () => `pw: '${SECRET.replace(/'/g, "''")}'`],
  ['sh-quoted (a command line)', () => `echo ${q(SECRET)} | passwd --stdin`],
  ['base64 (b64encode)', () => `token=${str(render('{{ s | b64encode }}', { s: SECRET }))}`],
];

for (const [name, make] of forms) {
  test(`masks the ${name} form`, () => {
    const text = make();
    assert.ok(text.length > 0);
    const out = createRedactor([SECRET])(text) as string;
    assert.ok(out.includes(REDACTED), `nothing masked in ${JSON.stringify(out)}`);
    if (name.startsWith('base64')) assert.not.ok(out.includes(Buffer.from(SECRET).toString('base64')), out);
    else assert.not.ok(out.includes(CORE), `${name} leaked: ${JSON.stringify(out)}`);
  });
}

test('masks a secret cut short before "..." or "…" (>= 4 characters), keeps shorter stubs', () => {
  const r = createRedactor([SECRET, 'Hunter2-long-token']);
  assert.is(r(`run echo --password ${SECRET.slice(0, 9)}...`), `run echo --password ${REDACTED}...`);
  assert.is(r(`Unexpected token 'H', "Hunter2-lo"... is not valid JSON`), `Unexpected token 'H', "${REDACTED}"... is not valid JSON`);
  assert.is(r(`token Hunter2-long-t\u2026`), `token ${REDACTED}\u2026`);
  assert.is(r(`a JSON-escaped stub ${jsonInner(SECRET).slice(0, 12)}...`), `a JSON-escaped stub ${REDACTED}...`);
  assert.is(r('Hun... and Hunter2 are not the whole'), 'Hun... and Hunter2 are not the whole', 'a 3-character stub or a prefix without an ellipsis stays');
});

test('a redacted JSON document stays valid: the JSON net masks inside strings only, never in an escape or a number', () => {
  const r = createRedactor([SECRET, '123456', 'nabc']);
  const doc = JSON.stringify({ a: `x ${SECRET} y`, n: 123456, s: '123456', e: '\\nabc', raw: `{"p": ${JSON.stringify(SECRET)}}` });
  const out = r.json(doc);
  const back = JSON.parse(out) as Record<string, unknown>;
  assert.is(back.a, `x ${REDACTED} y`);
  assert.is(back.n, 123456, 'a number is not a string: left alone (the walk before rendering handles values)');
  assert.is(back.s, REDACTED);
  assert.is(back.e, `\\${REDACTED}`, 'the text "\\nabc" holds the secret nabc after its backslash');
  assert.is(back.raw, `{"p": "${REDACTED}"}`);
  assert.is(r.json(JSON.stringify({ e: '\nabc' })), JSON.stringify({ e: '\nabc' }), 'an escaped newline followed by "abc" is not "nabc"');
  assert.not.ok(out.includes(CORE));
});

class Opaque {
  constructor(readonly secret: string) {}
}

for (const mode of ['plain', 'json'] as const) {
  test(`second net (${mode}): what the walk does not enter (a class instance) is masked on screen and in --report`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvplay-forms-'));
    try {
      const out = captureStream();
      const err = captureStream();
      const reportFile = join(dir, 'report.json');
      const r = createReporter({ mode, verbosity: 3, diff: false, out, err, reportFile, secrets: () => [SECRET], env: {} });
      const events: RunEvent[] = [
        { kind: 'task_start', play: 'p', task: 't', module: 'debug', loc: 'x:1', hosts: ['h'] },
        { kind: 'host_result', task: 't', host: 'h', status: 'ok', reason: 'ok', durationMs: 1, data: { blob: new Opaque(SECRET) as unknown as Record<string, unknown> } },
        { kind: 'task_end', task: 't', durationMs: 1 },
      ];
      for (const ev of events) r.emit(ev);
      await r.close();
      const all = out.text() + err.text() + readFileSync(reportFile, 'utf8');
      assert.not.ok(all.includes(CORE), all);
      assert.ok(all.includes(REDACTED));
      if (mode === 'json') for (const line of out.text().trim().split('\n')) JSON.parse(line);
      JSON.parse(readFileSync(reportFile, 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

for (const mode of ['plain', 'json', 'tty'] as const) {
  test(`a debug dict shown JSON-escaped is masked (${mode} + --report)`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvplay-forms-'));
    try {
      const out = captureStream({ tty: mode === 'tty' });
      const err = captureStream();
      const reportFile = join(dir, 'report.json');
      const r = createReporter({ mode, verbosity: 0, diff: false, out, err, reportFile, secrets: () => [SECRET], env: {} });
      r.emit({ kind: 'task_start', play: 'p', task: 'show', module: 'debug', loc: 'x:1', hosts: ['h'] });
      r.emit({ kind: 'host_result', task: 'show', host: 'h', status: 'ok', reason: 'ok', durationMs: 1, output: JSON.stringify({ pw: SECRET }, null, 2), item: JSON.stringify({ pw: SECRET }) });
      r.emit({ kind: 'task_end', task: 'show', durationMs: 1 });
      await r.close();
      const all = out.text() + err.text() + readFileSync(reportFile, 'utf8');
      assert.not.ok(all.includes(CORE), all);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('parser errors in templates never quote the value (from_json, from_yaml)', () => {
  const secret = `${CORE}-not-json-at-all`;
  for (const [tpl, value] of [
    ['{{ x | from_json }}', secret],
    ['{{ x | from_json }}', `{"a": ${secret}}`],
    ['{{ x | from_yaml }}', `a: *${secret}`],
    ['{{ x | from_yaml_all }}', `a: *${secret}`],
  ] as const) {
    let msg = '';
    try {
      render(tpl, { x: value });
    } catch (e) {
      msg = (e as Error).message;
    }
    assert.ok(msg.includes('invalid'), `${tpl} should fail: ${msg}`);
    assert.not.ok(msg.includes(CORE.slice(0, 4)), `${tpl} quoted the value: ${msg}`);
  }
});

test.run();
