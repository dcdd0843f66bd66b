/**
 * Issue 11: the non-deterministic filters, lookups and globals, checked by shape and properties
 * (their seeded or salted forms are compared with Ansible in filters.test.ts / lookups.test.ts):
 * now(), password_hash with a random salt, random and shuffle without a seed, the password lookup
 * without a seed, random_choice.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { render, renderTracked } from '../../src/template/index.js';

const r = (s: string, vars: Record<string, unknown> = {}) => render(s, vars, { file: 't', line: 1, col: 1 });

test('now(): a datetime of this moment (local, utc), its fields and fmt', () => {
  const d = new Date();
  assert.is(r('{{ now().year }}'), d.getFullYear());
  assert.is(r('{{ now(utc=true).hour }}'), new Date().getUTCHours());
  assert.match(String(r('{{ now() }}')), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$/, 'str() of a datetime');
  assert.is(r('{{ now(fmt="%Y-%m-%d") }}'), `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`);
  assert.is(r('{{ now().strftime("%Y") | int }}'), d.getFullYear());
  assert.is(r('{{ (now() - now()).days <= 0 }}'), true, 'datetime - datetime is a timedelta');
  assert.is(r('{{ now() | type_debug }}'), 'datetime');
  assert.match(String(r('{{ now() | to_json }}')), /^"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/, 'to_json writes ISO 8601, as AnsibleJSONEncoder');
});

test('password_hash with a random salt: the crypt format, and the same salt gives the same hash', () => {
  for (const [type, id, size, len] of [['sha512', '6', 16, 86], ['sha256', '5', 16, 43], ['md5', '1', 8, 22]] as const) {
    const h = String(r(`{{ "secret" | password_hash("${type}") }}`));
    const m = new RegExp(`^\\$${id}\\$([./0-9A-Za-z]{${size}})\\$[./0-9A-Za-z]{${len}}$`).exec(h);
    assert.ok(m, `${type}: ${h}`);
    assert.is(r(`{{ "secret" | password_hash("${type}", "${m![1]}") }}`), h);
    assert.is.not(r(`{{ "secret" | password_hash("${type}") }}`), h, 'a new salt each time');
  }
  assert.match(String(r('{{ "x" | password_hash("sha512", salt_size=4) }}')), /^\$6\$[./0-9A-Za-z]{4}\$/);
});

test('random and shuffle without a seed: values from the range / the same items', () => {
  for (let i = 0; i < 50; i++) {
    const n = r('{{ 10 | random(start=5, step=2) }}') as number;
    assert.ok([5, 7, 9].includes(n), String(n));
    assert.ok(['a', 'b'].includes(r('{{ ["a", "b"] | random }}') as string));
  }
  const s = r('{{ range(30) | shuffle }}') as number[];
  assert.equal([...s].sort((a, b) => a - b), Array.from({ length: 30 }, (_x, i) => i));
  assert.ok(new Set(Array.from({ length: 20 }, () => r('{{ 1000000 | random }}'))).size > 1, 'not a constant');
});

test('the password lookup without a seed: length and characters; random_choice picks a term', () => {
  const p = renderTracked("{{ lookup('password', '/dev/null length=25 chars=ascii_lowercase') }}", {});
  assert.match(String(p.value), /^[a-z]{25}$/);
  assert.ok(p.unsafe, 'a lookup result is unsafe');
  assert.match(String(r("{{ lookup('password', '/dev/null') }}")), /^[A-Za-z0-9.,:_-]{20}$/, 'defaults: 20 of ascii_letters, digits and .,:-_');
  assert.ok(['a', 'b', 'c'].includes(r("{{ lookup('random_choice', 'a', 'b', 'c') }}") as string));
});

test.run();
