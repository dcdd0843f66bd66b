/**
 * The bad-input corpus: every file under test/fixtures/bad/ is run through the real CLI (no
 * --syntax-check, against an inventory whose only host is a closed port) and must fail with exit 1,
 * the expected message at the expected file:line:col, a hint, and no host contacted.
 * Each fixture's first line says what to expect:  # expect: LINE:COL TEXT
 *                                          or:  # expect-in: OTHERFILE LINE:COL TEXT
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kvplay, ROOT } from '../e2e/helpers.js';

const dir = join(ROOT, 'test/fixtures/bad');
const inv = join(ROOT, 'test/fixtures/bad-inv/inventory.yaml');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
let count = 0;

for (const f of files) {
  const first = readFileSync(join(dir, f), 'utf8').split('\n')[0];
  const m = /^# expect(?:-in: (\S+))?: (\d+):(\d+) (.+)$/.exec(first);
  if (!m) continue;
  count++;
  const [, other, line, col, text] = m;
  test(f, async () => {
    const r = await kvplay([join(dir, f), '-i', inv], { json: true });
    assert.is(r.code, 1, `exit code\n${r.stdout}\n${r.stderr}`);
    const errors = r.events.filter((e) => e.kind === 'error');
    const want = `${join(dir, other ?? f)}:${line}:${col}`;
    const hit = errors.find((e) => e.loc === want && String(e.msg).includes(text));
    assert.ok(hit, `expected "${text}" at ${want}, got:\n${errors.map((e) => `${e.loc}: ${e.msg}`).join('\n')}`);
    assert.ok(hit.hint && hit.hint.length > 3, 'a hint');
    assert.not.ok(r.events.some((e) => e.kind === 'host_result'), 'a host was contacted');
  });
}

test('the corpus has at least 25 cases', () => {
  assert.ok(count >= 25, `only ${count}`);
});

test.run();
