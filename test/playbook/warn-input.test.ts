/**
 * The warn corpus (issue 11, "load like Ansible: fail where Ansible fails, not earlier"): every
 * file under test/fixtures/warn/ holds something Ansible meets only when (and if) a task runs — a
 * wrong parameter value, a missing required parameter, a register that is no variable name, a
 * become_method kvplay lacks, an undefined variable or a broken template in a guarded task, a
 * missing file of an include never reached. The load does not refuse it: --syntax-check exits 0
 * and names it as a warning at its file:line:col (the task fails when it runs), no host contacted.
 * Each fixture's first line says what to expect:  # warn: LINE:COL TEXT
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kvplay, ROOT } from '../e2e/helpers.js';

const dir = join(ROOT, 'test/fixtures/warn');
const inv = join(ROOT, 'test/fixtures/bad-inv/inventory.yaml');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
let count = 0;

for (const f of files) {
  const m = /^# warn: (\d+):(\d+) (.+)$/.exec(readFileSync(join(dir, f), 'utf8').split('\n')[0]);
  if (!m) continue;
  count++;
  const [, line, col, text] = m;
  test(f, async () => {
    const r = await kvplay([join(dir, f), '-i', inv, '--syntax-check'], { json: true });
    assert.is(r.code, 0, `exit code\n${r.stdout}\n${r.stderr}`);
    const warnings = r.events.filter((e) => e.kind === 'warning');
    const want = `${join(dir, f)}:${line}:${col}`;
    assert.ok(warnings.some((e) => e.loc === want && String(e.msg).includes(text)), `expected "${text}" at ${want}, got:\n${warnings.map((e) => `${e.loc}: ${e.msg}`).join('\n')}`);
    assert.not.ok(r.events.some((e) => e.kind === 'error' || e.kind === 'host_result'), 'an error, or a host contacted');
  });
}

test('the corpus has its cases', () => {
  assert.ok(count >= 8, `only ${count}`);
});

test.run();
