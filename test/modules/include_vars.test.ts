/** include_vars (src/modules/include_vars.ts): Ansible's include_vars action, on the controller. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, statSync, writeFileSync, symlinkSync } from 'node:fs';
import { join, isAbsolute, resolve } from 'node:path';
import { includeVars, mergeHash, pickVarsFiles, walkVarsDir, type IncludeVarsParams } from '../../src/modules/include_vars.js';
import { InputError } from '../../src/util/errors.js';
import { isUnsafe, isUnsafeKey } from '../../src/template/index.js';
import { setYamlVault } from '../../src/vault/loader.js';
import { VaultKeyring } from '../../src/vault/secrets.js';
import { validateParams } from '../../src/engine/module/validate.js';
import { include_vars } from '../../src/modules/include_vars.js';
import { rmDir, tempDir } from './helpers.js';
import { requires } from '../harness/gate.js';
import { ansible } from '../harness/ansible.js';

let dir = '';
test.before(() => {
  dir = tempDir('kvplay-iv-');
  mkdirSync(join(dir, 'vars/sub/deeper'), { recursive: true });
  writeFileSync(join(dir, 'vars/a.yml'), 'x: 1\nd: {a: 1, b: 2}\nt: "{{ x + 1 }}"\n');
  writeFileSync(join(dir, 'vars/b.json'), '{"x": 2, "j": true}');
  writeFileSync(join(dir, 'vars/sub/c.yaml'), 'c: 3\nx: 3\n');
  writeFileSync(join(dir, 'vars/sub/deeper/e.yml'), 'e: 5\n');
  writeFileSync(join(dir, 'vars/README'), 'not vars\n');
  writeFileSync(join(dir, 'vars/empty.yml'), '');
  writeFileSync(join(dir, 'list.yml'), '- 1\n- 2\n');
});
test.after(() => rmDir(dir));

/** ctx.findFile as the engine's: relative names under DIR/vars, then DIR. */
const ctx = (vars: Record<string, unknown> = {}) => ({
  vars,
  findFile: (_k: string, p: string) => {
    for (const c of isAbsolute(p) ? [p] : [join(dir, 'vars', p), join(dir, p)]) {
      try {
        statSync(c);
        return resolve(c);
      } catch {
        /* next */
      }
    }
    throw new InputError(`vars file '${p}' not found`, undefined, `looked in: ${dir}/vars, ${dir}`);
  },
});
const run = (p: IncludeVarsParams, vars?: Record<string, unknown>) => includeVars(p, ctx(vars));

test('a file: its mapping becomes variables, templates kept (rendered when used), never unsafe', async () => {
  const r = await run({ free_form: 'a.yml' });
  assert.not.ok(r.failed);
  const plain = (v: unknown) => JSON.parse(JSON.stringify(v));
  assert.equal(plain(r.setVars), { x: 1, d: { a: 1, b: 2 }, t: '{{ x + 1 }}' });
  for (const k of ['x', 'd', 't']) assert.not.ok(isUnsafeKey(r.setVars!, k), k);
  assert.not.ok(isUnsafe(r.setVars!.d));
  assert.equal(plain(r.data), { ansible_facts: { x: 1, d: { a: 1, b: 2 }, t: '{{ x + 1 }}' }, ansible_included_var_files: [join(dir, 'vars/a.yml')] });
  // the registered copy is not the object set as a variable (the engine marks registered results unsafe)
  assert.is.not((r.data!.ansible_facts as any).d, r.setVars!.d);
  assert.is(r.msg, undefined, 'no msg key: Ansible has none');
});

test('file: and a list (a lookup result): each in order, the later wins; JSON files too', async () => {
  const r = await run({ file: ['a.yml', 'b.json'] });
  assert.is(r.setVars!.x, 2);
  assert.is(r.setVars!.j, true);
  assert.equal(r.data!.ansible_included_var_files, [join(dir, 'vars/a.yml'), join(dir, 'vars/b.json')]);
});

test('name: everything under one variable; an empty file is {}', async () => {
  const r = await run({ file: 'a.yml', name: 'cfg' });
  assert.equal(Object.keys(r.setVars!), ['cfg']);
  assert.is((r.setVars!.cfg as any).x, 1);
  const e = await run({ file: 'empty.yml' });
  assert.not.ok(e.failed);
  assert.equal(Object.keys(e.setVars!), []);
});

test('failures as Ansible words them, with message (not msg) in the result and no variables set', async () => {
  const missing = await run({ file: 'nope.yml' });
  assert.ok(missing.failed);
  assert.match(String(missing.data!.message), /^Could not find or access 'nope.yml'/);
  assert.is(missing.setVars, undefined);
  const list = await run({ file: 'list.yml' });
  assert.is(list.data!.message, `${join(dir, 'list.yml')} must be stored as a dictionary/hash`);
  const nodir = await run({ dir: 'nodir' });
  assert.is(nodir.data!.message, 'nodir directory does not exist');
  const notdir = await run({ dir: 'a.yml' });
  assert.is(notdir.data!.message, `${join(dir, 'vars/a.yml')} is not a directory`);
});

test('dir: sorted walk, subdirectories after, an unknown extension fails unless ignored', async () => {
  const bad = await run({ dir: '.' });
  assert.ok(bad.failed);
  assert.match(String(bad.data!.message), /README does not have a valid extension: yaml, yml, json$/);
  const r = await run({ dir: '.', ignore_unknown_extensions: true });
  assert.not.ok(r.failed, String(r.data?.message));
  assert.equal(r.data!.ansible_included_var_files, ['a.yml', 'b.json', 'empty.yml', 'sub/c.yaml', 'sub/deeper/e.yml'].map((f) => join(dir, 'vars', f)));
  assert.is(r.setVars!.x, 3, 'sub/c.yaml comes after b.json');
  assert.is(r.setVars!.e, 5);
});

test('dir: depth counts walked directories; files_matching searches, ignore_files matches the end; extensions', async () => {
  const d1 = await run({ dir: '.', depth: 1, ignore_files: ['README'] });
  assert.equal(d1.data!.ansible_included_var_files, ['a.yml', 'b.json', 'empty.yml'].map((f) => join(dir, 'vars', f)));
  const m = await run({ dir: '.', files_matching: '^[ac]', ignore_unknown_extensions: true });
  assert.equal(m.data!.ansible_included_var_files, ['a.yml', 'sub/c.yaml'].map((f) => join(dir, 'vars', f)));
  const ig = await run({ dir: '.', ignore_files: 'README empty.yml \\.json', ignore_unknown_extensions: false });
  assert.equal(ig.data!.ansible_included_var_files, ['a.yml', 'sub/c.yaml', 'sub/deeper/e.yml'].map((f) => join(dir, 'vars', f)));
  const ext = await run({ dir: '.', extensions: ['json'], ignore_unknown_extensions: true });
  assert.equal(ext.data!.ansible_included_var_files, [join(dir, 'vars/b.json')]);
});

test('walkVarsDir: pure; os.walk order (paths sorted as strings), depth, links to directories not followed', () => {
  const tree: Record<string, { name: string; dir: boolean; skip?: boolean }[]> = {
    '/r': [{ name: 'z.yml', dir: false }, { name: 'b', dir: true }, { name: 'a-b', dir: true }, { name: 'ln', dir: false, skip: true }],
    '/r/b': [{ name: 'x.yml', dir: false }],
    '/r/a-b': [{ name: 'y.yml', dir: false }],
  };
  const w = walkVarsDir('/r', 0, (d) => tree[d]);
  assert.equal(w, [{ dir: '/r', files: ['z.yml'] }, { dir: '/r/a-b', files: ['y.yml'] }, { dir: '/r/b', files: ['x.yml'] }]);
  assert.equal(walkVarsDir('/r', 2, (d) => tree[d]).map((x) => x.dir), ['/r', '/r/a-b']);
  // a role's vars/main.yml is never loaded again
  assert.equal(pickVarsFiles([{ dir: '/role/vars', files: ['main.yml', 'x.yml'] }], {}, '/role/vars/main.yml').load, ['/role/vars/x.yml']);
});

test('a symlink to a directory is not walked (os.walk does not follow links)', async () => {
  const d = tempDir('kvplay-iv-ln-');
  try {
    mkdirSync(join(d, 'real'));
    writeFileSync(join(d, 'real', 'r.yml'), 'r: 1\n');
    mkdirSync(join(d, 'top'));
    writeFileSync(join(d, 'top', 't.yml'), 't: 1\n');
    symlinkSync(join(d, 'real'), join(d, 'top', 'link'));
    const r = await includeVars({ dir: join(d, 'top') }, { vars: {}, findFile: (_k, p) => p });
    assert.equal(r.data!.ansible_included_var_files, [join(d, 'top', 't.yml')]);
  } finally {
    rmDir(d);
  }
});

test('hash_behaviour merge: mappings merged recursively into the current value; a non-mapping fails as in Ansible', async () => {
  const r = await run({ file: 'a.yml', hash_behaviour: 'merge', name: 'd' }, { d: { keep: 1, x: { deep: 1 } } });
  assert.equal(JSON.parse(JSON.stringify(r.setVars)), { d: { keep: 1, x: 1, d: { a: 1, b: 2 }, t: '{{ x + 1 }}' } });
  const bad = await run({ file: 'a.yml', hash_behaviour: 'merge' }, { x: 5 });
  assert.ok(bad.failed);
  assert.match(String(bad.data!.message), /^failed to combine variables, expected dicts but got a 'int' and a 'int'/);
  assert.equal(JSON.parse(JSON.stringify(mergeHash({ a: { b: 1, c: [1] } }, { a: { c: [2], d: 3 } }))), { a: { b: 1, c: [2], d: 3 } });
});

test('schema: file and dir are exclusive, dir options need dir, something must be given (before anything runs)', () => {
  assert.ok(validateParams(include_vars, { file: 'a.yml', dir: 'x' }, { static: true }).length > 0);
  assert.ok(validateParams(include_vars, { free_form: 'a.yml', dir: 'x' }, { static: true }).length > 0);
  assert.ok(validateParams(include_vars, { file: 'a.yml', depth: 1 }, { static: true }).length > 0);
  assert.ok(validateParams(include_vars, { name: 'x' }, { static: true }).length > 0);
  assert.equal(validateParams(include_vars, { dir: 'x', depth: 1, files_matching: 'y', name: 'n' }, { static: true }), []);
  assert.equal(validateParams(include_vars, { free_form: 'a.yml', name: 'n' }, { static: true }), []);
});

const vaultTest = requires({ tools: ['ansible-vault'] });
vaultTest('a vault-encrypted vars file is decrypted through the loader; its values become secrets', async () => {
  const f = join(dir, 'vars', 'secret.yml');
  const pw = join(dir, 'pw');
  writeFileSync(pw, 'pw-for-test\n');
  writeFileSync(f, 'db_pass: hunter2-secret\n');
  const r0 = ansible('ansible-vault', ['encrypt', '--vault-password-file', pw, f], dir);
  assert.is(r0.code, 0, r0.stderr);
  const revealed: string[] = [];
  setYamlVault(new VaultKeyring([{ id: 'default', password: Buffer.from('pw-for-test') }], (v) => revealed.push(v)));
  try {
    const r = await run({ file: 'secret.yml' });
    assert.not.ok(r.failed, String(r.data?.message));
    assert.is(r.setVars!.db_pass, 'hunter2-secret');
    assert.ok(revealed.includes('hunter2-secret'));
  } finally {
    setYamlVault(undefined);
  }
  setYamlVault(undefined);
  const nokey = await run({ file: 'secret.yml' });
  assert.ok(nokey.failed);
  assert.match(String(nokey.data!.message), /no vault secrets/);
});

test.run();
