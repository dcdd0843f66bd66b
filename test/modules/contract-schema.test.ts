/**
 * The module contract (issue 10): the schema is the type, and Ansible's aliases are declared once
 * on the schema's property (`aliases`) and resolved in ONE place (validate.ts resolveAliases)
 * before validation and before the module sees its parameters.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseYaml, valueLocOf } from '../../src/yaml/load.js';
import { moduleMeta } from '../../src/engine/module/registry.js';
import { aliasTable, aliasWarnings, coerceParams, resolveAliases, validateParams, UNKNOWN_NAMES } from '../../src/engine/module/validate.js';
import { normalizeArgs } from '../../src/engine/module/args.js';
import { loadPlaybook } from '../../src/playbook/load.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { object, str, bool, strEnum, type Static } from '../../src/engine/module/schema.js';
import type { ModuleInfo } from '../../src/engine/module/types.js';

const mod = (n: string) => moduleMeta(n)!;

/** params of the first task's module in a YAML task list (YAML positions kept) */
function taskParams(yaml: string, name: string) {
  const t = (parseYaml(yaml, 'play.yml') as any[])[0];
  return { params: normalizeArgs(mod(name), t[name], valueLocOf(t, name), t.args), loc: valueLocOf(t, name) };
}

test('aliases are declared on the property, not as properties of their own', () => {
  const props = Object.keys((mod('file').schema as any).properties);
  assert.ok(props.includes('path'));
  assert.not.ok(props.includes('dest') || props.includes('name'), props.join(', '));
  assert.equal([...aliasTable(mod('file').schema)], [['dest', 'path'], ['name', 'path']]);
  assert.equal([...aliasTable(mod('mount').schema)], [['name', 'path'], ['type', 'fstype']]);
});

test('each alias form reads as the parameter: mapping, k=v string, args:, hyphenated spellings', () => {
  assert.equal(coerceParams(mod('file'), { dest: '/x', state: 'touch' }), { path: '/x', state: 'touch' });
  assert.equal(coerceParams(mod('file'), { name: '/x' }), { path: '/x' });
  assert.equal(coerceParams(mod('lineinfile'), { destfile: '/x', line: 'a' }), { path: '/x', line: 'a' });
  assert.equal(coerceParams(mod('file'), normalizeArgs(mod('file'), 'dest=/x state=touch', undefined)), { path: '/x', state: 'touch' });
  assert.equal(coerceParams(mod('file'), normalizeArgs(mod('file'), null, undefined, { name: '/y' })), { path: '/y' });
  // an alias that is not a valid identifier, and coercion applied under the parameter's type
  assert.equal(coerceParams(mod('apt'), { 'update-cache': 'yes' }), { update_cache: true });
  assert.equal(coerceParams(mod('mount'), { name: '/m', type: 'nfs', state: 'mounted', src: 'h:/e' }), { path: '/m', fstype: 'nfs', state: 'mounted', src: 'h:/e' });
  // valid through an alias: no error
  assert.equal(validateParams(mod('stat'), { dest: '/etc', checksum: 'md5', mime: 'no' }, { static: false }), []);
});

test('the YAML position of an alias key moves with it: a bad value is reported where it was written', () => {
  const { params, loc } = taskParams(
    `- copy:
    content: x
    dest: /tmp/a
    backup: maybe
- mount:
    name: /m
    state: mounted
    boot: perhaps
`,
    'copy',
  );
  assert.ok(loc);
  const t = (parseYaml(`- mount:\n    name: /m\n    state: mounted\n    boot: perhaps\n`, 'play.yml') as any[])[0];
  const p = normalizeArgs(mod('mount'), t.mount, valueLocOf(t, 'mount'));
  const resolved = resolveAliases(mod('mount'), p).params;
  assert.equal(Object.keys(resolved).sort(), ['boot', 'path', 'state']);
  const [e] = validateParams(mod('mount'), p, { static: true });
  assert.is(e.message, "mount: parameter 'boot' must be boolean, got string \"perhaps\"");
  assert.equal(e.loc, { file: 'play.yml', line: 4, col: 11 });
  assert.is(validateParams(mod('copy'), params, { static: true }).length, 1);
});

test("two names of one parameter: Ansible's warning at the alias's key, and the alias's value is used (not an error)", () => {
  const { params, loc } = taskParams(
    `- file:
    path: /tmp/a
    dest: /tmp/b
`,
    'file',
  );
  assert.equal(validateParams(mod('file'), params, { loc, static: true }), [], 'no error: the task runs');
  const warns = aliasWarnings(mod('file'), params, loc);
  assert.equal(warns.map((e) => e.message), ['Both option path and its alias dest are set.']);
  assert.equal(warns[0].loc, { file: 'play.yml', line: 3, col: 5 });
  assert.ok(!UNKNOWN_NAMES.has(warns[0]));
  assert.equal(coerceParams(mod('file'), params), { path: '/tmp/b' }, "the alias's value wins, as in Ansible's _handle_aliases");
  // two aliases: each set the parameter in declared order (dest, then name), so name wins, whatever order they are written in
  assert.equal(resolveAliases(mod('lineinfile'), { name: '/b', dest: '/a', line: 'x' }).both, [['path', 'name']]);
  assert.equal(coerceParams(mod('lineinfile'), { name: '/b', dest: '/a', line: 'x' }), { path: '/b', line: 'x' });
  assert.equal(validateParams(mod('lineinfile'), { dest: '/a', name: '/b', line: 'x' }, { static: false }), []);
  // all three: a warning for each alias given after the parameter was set
  assert.equal(aliasWarnings(mod('file'), { path: '/a', dest: '/b', name: '/c' }).map((e) => e.message), ['Both option path and its alias dest are set.', 'Both option path and its alias name are set.']);
  assert.equal(coerceParams(mod('file'), { path: '/a', dest: '/b', name: '/c' }), { path: '/c' });
  // the same value twice warns too (Ansible does not compare the values)
  assert.equal(aliasWarnings(mod('file'), { path: '/a', name: '/a' }).map((e) => e.message), ['Both option path and its alias name are set.']);
  // one name only, or a null alias (not given): no warning
  assert.equal(aliasWarnings(mod('file'), { dest: '/a' }), []);
  assert.equal(aliasWarnings(mod('file'), { path: '/a', dest: null }), []);
});

test('the loader shows the warning and loads the playbook', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvplay-alias-'));
  const f = join(dir, 'play.yml');
  writeFileSync(f, `- hosts: all\n  tasks:\n    - file: path=/tmp/a dest=/tmp/b state=touch\n    - file:\n        path: /tmp/c\n        name: /tmp/d\n`);
  const pb = loadPlaybook(f);
  assert.equal(pb.warnings.map((w) => [w.message, w.loc?.line]), [['Both option path and its alias dest are set.', 3], ['Both option path and its alias name are set.', 6]]);
  rmSync(dir, { recursive: true, force: true });
});

test('unknown parameter: suggestions come from the parameters and their aliases', () => {
  const { params, loc } = taskParams(
    `- file:
    pth: /tmp/x
`,
    'file',
  );
  const errs = validateParams(mod('file'), params, { loc, static: true });
  const unknown = errs.find((e) => /unknown parameter 'pth'/.test(e.message))!;
  assert.ok(unknown, errs.map((e) => e.message).join('\n'));
  assert.equal(unknown.loc, { file: 'play.yml', line: 2, col: 5 });
  assert.is(unknown.hint, "did you mean 'path'?");
  assert.is(validateParams(mod('file'), { dets: '/x' }, { static: false }).find((e) => /unknown parameter 'dets'/.test(e.message))?.hint, "did you mean 'dest'?");
  // a missing required parameter names its other spellings
  const missing = validateParams(mod('mount'), { state: 'mounted' }, { static: false });
  assert.equal(missing.map((e) => e.message), ["mount: missing required parameter 'path'"]);
  assert.is(missing[0].hint, 'give path (also spelled name)');
});

test('a schema-typed parameter given the wrong type is caught when validated (the type and the check are one schema)', () => {
  const schema = object({ path: str('p', { aliases: ['dest'] }), force: bool('f'), state: strEnum(['present', 'absent'], 's') }, { required: ['path'] });
  // the type derived from it (checked by tsc): path required, force boolean, state one of two strings
  const ok: Static<typeof schema> = { path: '/x', force: true, state: 'absent' };
  const m: ModuleInfo = { name: 'demo', doc: 'demo', schema };
  assert.equal(validateParams(m, ok, { static: false }), []);
  assert.equal(validateParams(m, { dest: '/x', force: 'yes' }, { static: false }), []);
  assert.equal(coerceParams(m, { dest: '/x', force: 'yes' }), { path: '/x', force: true });
  assert.equal(
    validateParams(m, { path: '/x', force: 'sometimes', state: 'gone' }, { static: false }).map((e) => e.message),
    ['demo: parameter \'force\' must be boolean, got string "sometimes"', 'demo: parameter \'state\' must be one of: present, absent (got "gone")'],
  );
  assert.equal(validateParams(m, { force: true }, { static: false }).map((e) => e.message), ["demo: missing required parameter 'path'"]);
  // mount: its schema now agrees with Ansible's (path required, alias name; fstype alias type)
  assert.equal(validateParams(mod('mount'), { path: '/m', state: 'mounted', src: 'h:/e', fstype: 'nfs', dump: 0 }, { static: false }), []);
  assert.ok(validateParams(mod('mount'), { path: '/m', state: 'ephemeral' }, { static: false }).length === 1);
});

test.run();
