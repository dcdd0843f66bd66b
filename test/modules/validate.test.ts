import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseYaml, valueLocOf } from '../../src/yaml/load.js';
import { InputError } from '../../src/util/errors.js';
import { loadModule, moduleMeta, moduleNames, allModuleNames } from '../../src/engine/module/registry.js';
import { coerceParams, compileAll, validateParams } from '../../src/engine/module/validate.js';
import { closest } from '../../src/util/suggest.js';
import { normalizeArgs } from '../../src/engine/module/args.js';

const mod = (n: string) => moduleMeta(n)!;

/** params of the first task's module in a YAML task list */
function taskParams(yaml: string, name: string) {
  const tasks = parseYaml(yaml, 'play.yml') as any[];
  const t = tasks[0];
  return { params: normalizeArgs(mod(name), t[name], valueLocOf(t, name), t.args), loc: valueLocOf(t, name) };
}

test('registry: names, collection aliases, all schemas compile (strict)', async () => {
  compileAll(moduleNames().map(mod));
  assert.ok(moduleNames().includes('lineinfile'));
  assert.is(moduleMeta('ansible.builtin.copy'), moduleMeta('copy'));
  assert.is(await loadModule('ansible.builtin.copy'), await loadModule('copy'));
  assert.is(await loadModule('ansible.legacy.shell'), await loadModule('shell'));
  assert.is(moduleMeta('nope'), undefined);
  assert.is(await loadModule('nope'), undefined);
  assert.ok(allModuleNames().includes('ansible.builtin.wait_for'));
  for (const n of moduleNames()) assert.ok(mod(n).doc, `${n} has a doc`);
});

test('unknown parameter: did-you-mean hint at the exact line:col of the key', () => {
  const { params, loc } = taskParams(
    `- name: put file
  copy:
    content: hi
    dset: /tmp/x
`,
    'copy',
  );
  const errs = validateParams(mod('copy'), params, { loc, static: true });
  const unknown = errs.find((e) => /unknown parameter 'dset'/.test(e.message))!;
  assert.ok(unknown, errs.map((e) => e.format()).join('\n'));
  assert.equal(unknown.loc, { file: 'play.yml', line: 4, col: 5 });
  assert.is(unknown.hint, "did you mean 'dest'?");
  const missing = errs.find((e) => /missing required parameter 'dest'/.test(e.message))!;
  assert.equal(missing.loc, loc);
});

test('bad enum value lists the allowed values, at the value position', () => {
  const { params, loc } = taskParams(
    `- file:
    path: /tmp/x
    state: directroy
`,
    'file',
  );
  const [e] = validateParams(mod('file'), params, { loc, static: true });
  assert.is(e.message, 'file: parameter \'state\' must be one of: file, directory, link, hard, absent, touch (got "directroy")');
  assert.equal(e.loc, { file: 'play.yml', line: 3, col: 12 });
  assert.is(e.hint, "did you mean 'directory'?");
});

test('wrong type, mutually exclusive, one-of required', () => {
  const errs = validateParams(mod('lineinfile'), { path: '/x', line: 'a', backup: 'maybe', regexp: 'a', search_string: 'b' }, { static: false });
  assert.equal(errs.map((e) => e.message).sort(), [
    "lineinfile: parameter 'backup' must be boolean, got string \"maybe\"",
    "lineinfile: parameters 'regexp' and 'search_string' are mutually exclusive",
  ]);
  const none = validateParams(mod('copy'), { dest: '/x' }, { static: false });
  assert.equal(none.map((e) => e.message), ["copy: one of the parameters 'content', 'src' is required"]);
  assert.equal(validateParams(mod('command'), {}, { static: false }).map((e) => e.message), ["command: one of the parameters 'cmd', 'argv' is required"]);
  assert.equal(validateParams(mod('file'), { path: '/x', mode: 'rwx' }, { static: false }).map((e) => e.message), ["file: parameter 'mode' is not a valid mode: \"rwx\""]);
  assert.equal(validateParams(mod('copy'), { dest: '/x', content: '', validate: 'visudo -c' }, { static: false }).map((e) => e.message), ["copy: parameter 'validate' must contain %s (the temporary file to check)"]);
  assert.equal(validateParams(mod('set_fact'), { 'bad-name': 1 }, { static: false }).map((e) => e.message), ["set_fact: invalid variable name 'bad-name'"]);
  assert.ok(validateParams(mod('copy'), 'x' as any, { static: false })[0] instanceof InputError);
});

test('static mode skips templated values; runtime checks them', () => {
  const { params, loc } = taskParams(
    `- copy:
    content: x
    dest: /tmp/x
    backup: "{{ do_backup }}"
    mode: "{{ m }}"
`,
    'copy',
  );
  assert.equal(validateParams(mod('copy'), params, { loc, static: true }), []);
  assert.is(validateParams(mod('copy'), { ...params, backup: 'sometimes', mode: '0644' }, { static: false }).length, 1);
});

test('coercion: yes/no booleans, numeric strings, numbers for strings; mode untouched; null dropped', () => {
  const c = coerceParams(mod('copy'), { dest: '/x', content: 'a', backup: 'yes', force: 'False', mode: '0644', owner: null });
  assert.equal(c, { dest: '/x', content: 'a', backup: true, force: false, mode: '0644' });
  assert.equal(coerceParams(mod('wait_for'), { port: '22', timeout: '1.5' }), { port: 22, timeout: 1.5 });
  assert.equal(coerceParams(mod('lineinfile'), { path: '/x', line: 42 }), { path: '/x', line: '42' });
  assert.equal(validateParams(mod('copy'), { dest: '/x', content: 'a', backup: 'no', mode: 644 }, { static: false }), []);
});

test('closest', () => {
  assert.is(closest('dset', ['dest', 'src']), 'dest');
  assert.is(closest('zzzzzz', ['dest', 'src']), undefined);
});

test('normalizeArgs: free-form with k=v, quoted values, args merge', () => {
  assert.equal(normalizeArgs(mod('command'), 'ls -l chdir=/tmp creates=/x', undefined), { chdir: '/tmp', creates: '/x', cmd: 'ls -l' });
  assert.equal(normalizeArgs(mod('command'), 'echo a=b "c d"', undefined), { cmd: 'echo a=b "c d"' });
  assert.equal(normalizeArgs(mod('shell'), 'echo one\necho two removes=/y\n', undefined), { removes: '/y', cmd: 'echo one\necho two' });
  assert.equal(normalizeArgs(mod('copy'), 'src=a dest=b mode=0644', undefined), { src: 'a', dest: 'b', mode: '0644' });
  assert.equal(normalizeArgs(mod('debug'), `msg="a b" verbosity=1`, undefined), { msg: 'a b', verbosity: '1' });
  assert.equal(normalizeArgs(mod('debug'), 'msg={{ x | default("a b") }}', undefined), { msg: '{{ x | default("a b") }}' });
  assert.equal(normalizeArgs(mod('ping'), null, undefined), {});
  assert.equal(normalizeArgs(mod('command'), 'ls', undefined, { chdir: '/tmp' }), { chdir: '/tmp', cmd: 'ls' });
  assert.equal(normalizeArgs(mod('command'), { _raw_params: 'ls' }, undefined), { cmd: 'ls' });
  assert.equal(normalizeArgs(mod('file'), { path: '/a' }, undefined, { path: '/b', mode: '0644' }), { path: '/a', mode: '0644' });
  assert.throws(() => normalizeArgs(mod('copy'), 'dest=/x oops', undefined), (e: any) => e instanceof InputError && /free-form/.test(e.message));
  assert.throws(() => normalizeArgs(mod('copy'), 'content="unclosed', undefined), (e: any) => e instanceof InputError);
});

test('normalizeArgs keeps YAML positions of a mapping (and through args: merge)', () => {
  const { params, loc } = taskParams(
    `- file:
    path: /x
    stat: directory
  args:
    mode: "0644"
`,
    'file',
  );
  const errs = validateParams(mod('file'), params, { loc, static: true });
  assert.is(errs.length, 1);
  assert.equal(errs[0].loc, { file: 'play.yml', line: 3, col: 5 });
  assert.is(errs[0].hint, "did you mean 'state'?");
});

test.run();
