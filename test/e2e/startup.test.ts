/**
 * Start-up of the built CLI (npm run build): the playbook loader checks tasks against
 * dist/modules.json, and a module's code (with its libraries) is loaded when a task first uses it,
 * from its own chunk of the bundle (scripts/bundle.mjs). What a process loaded is recorded by an
 * ESM load hook (module.register) that appends each URL to a file before the module is evaluated.
 */
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { requires } from '../harness/gate.js';
import { ROOT } from './helpers.js';
import { moduleMeta, moduleNames } from '../../src/engine/module/registry.js';
import { moduleDoc } from '../../src/cli/doc.js';

const BUNDLE = join(ROOT, 'dist', 'bundle', 'kvplay.mjs');
const test = requires({ files: [BUNDLE, join(ROOT, 'dist', 'modules.json'), join(ROOT, 'dist', 'src', 'modules', 'index.js')] });

const dir = mkdtempSync(join(tmpdir(), 'kvplay-startup-'));
const loadedFile = join(dir, 'loaded.txt');
writeFileSync(join(dir, 'hooks.mjs'), `import { appendFileSync } from 'node:fs';
let out;
export function initialize(data) { out = data.out; }
export async function load(url, context, next) { appendFileSync(out, url + '\\n'); return next(url, context); }
`);
writeFileSync(join(dir, 'record.mjs'), `import { register } from 'node:module';
register(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)}, { data: { out: process.env.KVPLAY_TEST_LOADED } });
`);
writeFileSync(join(dir, 'inventory.yml'), 'all:\n  hosts:\n    localhost:\n      ansible_connection: local\n');
writeFileSync(join(dir, 'debug.yml'), '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - name: hello\n      debug:\n        msg: hello\n');

/** Run node (with the load recorder) on `args`; the files it loaded, relative to ROOT. */
function recorded(args: string[], cwd = dir): { code: number; out: string; loaded: string[] } {
  rmSync(loadedFile, { force: true });
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(join(dir, 'record.mjs')).href, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', KVPLAY_TEST_LOADED: loadedFile } });
  const urls = existsSync(loadedFile) ? readFileSync(loadedFile, 'utf8').split('\n').filter(Boolean) : [];
  const loaded = urls.map((u) => (u.startsWith('file:') ? relative(ROOT, fileURLToPath(u)) : u === '---' ? '---' : u));
  return { code: r.status ?? -1, out: r.stdout + r.stderr, loaded };
}

/** The source files (ROOT-relative) of the bundle chunks among `loaded`, from their source maps. */
function sourcesOf(loaded: string[]): string[] {
  const out = new Set<string>();
  for (const f of loaded) {
    if (!f.startsWith('dist/bundle/') || !f.endsWith('.mjs')) continue;
    const map = JSON.parse(readFileSync(join(ROOT, f + '.map'), 'utf8')) as { sources: string[] };
    for (const s of map.sources) out.add(relative(ROOT, resolve(ROOT, dirname(f), s)));
  }
  return [...out];
}

const has = (xs: string[], prefix: string) => xs.some((x) => x.startsWith(prefix));

test('the compiled registry loads no module code; loadModule loads only the module asked for', () => {
  const script = join(dir, 'registry.mjs');
  writeFileSync(script, `import { appendFileSync } from 'node:fs';
const m = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist/src/engine/module/registry.js')).href)});
if (!m.moduleMeta('domain_xml')?.schema) throw new Error('no meta');
appendFileSync(process.env.KVPLAY_TEST_LOADED, '---\\n');
await m.loadModule('debug');
`);
  const r = recorded([script]);
  assert.is(r.code, 0, r.out);
  const cut = r.loaded.indexOf('---');
  assert.ok(cut > 0, r.loaded.join('\n'));
  const before = r.loaded.slice(0, cut).filter((f) => f.startsWith('dist/src/modules/'));
  assert.equal(before.sort(), ['dist/src/modules/index.js'], 'the list of modules only');
  const after = r.loaded.slice(cut + 1).filter((f) => f.startsWith('dist/src/modules/'));
  assert.ok(after.includes('dist/src/modules/control.js'), after.join('\n'));
  for (const other of ['domain_xml', 'copy', 'file', 'command', 'service', 'migrate']) assert.not.ok(after.includes(`dist/src/modules/${other}.js`), other);
});

test('bundle: a debug playbook loads the debug module and neither other modules nor xmldom, xpath, ssh2', () => {
  const r = recorded([join(ROOT, 'bin', 'kvplay.js'), '-i', 'inventory.yml', 'debug.yml']);
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /localhost\s+: ok=1 /);
  assert.ok(r.loaded.includes('dist/bundle/kvplay.mjs'), 'the bundle ran');
  const src = sourcesOf(r.loaded);
  assert.ok(src.includes('src/modules/control.ts'), src.join('\n'));
  for (const f of ['src/modules/domain_xml.ts', 'src/modules/copy.ts', 'src/modules/file.ts', 'src/modules/command.ts', 'src/modules/migrate.ts', 'src/modules/service.ts']) assert.not.ok(src.includes(f), f);
  for (const p of ['node_modules/@xmldom/', 'node_modules/xpath/', 'node_modules/ssh2/']) assert.not.ok(has(src, p), p);
});

test('bundle: --version loads no module, loader, engine, template or reporter code', () => {
  const r = recorded([join(ROOT, 'bin', 'kvplay.js'), '--version']);
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /^kvplay \d/);
  const src = sourcesOf(r.loaded);
  assert.ok(src.includes('src/cli/main.ts'), src.join('\n'));
  for (const p of ['src/modules/', 'src/playbook/', 'src/engine/run.ts', 'src/engine/task.ts', 'src/engine/apply.ts', 'src/transport/', 'src/template/', 'src/report/', 'node_modules/nunjucks/', 'node_modules/ssh2/', 'node_modules/chalk/']) assert.not.ok(has(src, p), p);
});

// (an unknown parameter name: a wrong value is a warning, and fails its task when it runs, as in Ansible)
test('bundle: a bad parameter of a module whose code is never loaded is reported before anything runs', () => {
  writeFileSync(join(dir, 'bad.yml'), '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - name: hello\n      debug:\n        msg: hello\n    - name: define\n      domain_xml:\n        name: g\n        disk_cachee: none\n');
  const r = recorded([join(ROOT, 'bin', 'kvplay.js'), '-i', 'inventory.yml', 'bad.yml']);
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /bad\.yml:10:9: domain_xml: unknown parameter 'disk_cachee'/);
  assert.not.match(r.out, /TASK \[hello\]/);
  const src = sourcesOf(r.loaded);
  assert.not.ok(src.includes('src/modules/domain_xml.ts'));
  assert.not.ok(has(src, 'node_modules/@xmldom/'));
});

test('bundle: --list-modules and --doc from dist/modules.json say what the module code says', () => {
  const list = spawnSync(process.execPath, [join(ROOT, 'bin', 'kvplay.js'), '--list-modules'], { cwd: dir, encoding: 'utf8' });
  assert.is(list.status, 0, list.stderr);
  assert.is(list.stdout, moduleNames().map((n) => `${n.padEnd(14)} ${moduleMeta(n)!.doc}\n`).join(''));
  for (const name of ['command', 'set_fact', 'systemd', 'domain_xml', 'ansible.posix.mount']) {
    const d = spawnSync(process.execPath, [join(ROOT, 'bin', 'kvplay.js'), '--doc', name], { cwd: dir, encoding: 'utf8' });
    assert.is(d.status, 0, d.stderr);
    assert.is(d.stdout, moduleDoc(name) + '\n', name);
  }
});

test('a dist/modules.json that does not describe the built module code stops the task, naming the fix', () => {
  const copy = join(dir, 'stale');
  cpSync(join(ROOT, 'bin'), join(copy, 'bin'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(copy, 'package.json'));
  for (const d of ['bundle', 'validators', 'modules.json']) cpSync(join(ROOT, 'dist', d), join(copy, 'dist', d), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
  const manifest = join(copy, 'dist', 'modules.json');
  const fresh = spawnSync(process.execPath, [join(copy, 'bin', 'kvplay.js'), '-i', 'inventory.yml', 'debug.yml'], { cwd: dir, encoding: 'utf8' });
  assert.is(fresh.status, 0, fresh.stdout + fresh.stderr);
  const infos = JSON.parse(readFileSync(manifest, 'utf8')) as { name: string; doc: string }[];
  infos.find((i) => i.name === 'debug')!.doc += ' (older)';
  writeFileSync(manifest, JSON.stringify(infos));
  const stale = spawnSync(process.execPath, [join(copy, 'bin', 'kvplay.js'), '-i', 'inventory.yml', 'debug.yml'], { cwd: dir, encoding: 'utf8' });
  assert.is.not(stale.status, 0, stale.stdout);
  assert.match(stale.stdout + stale.stderr, 'dist/modules.json does not describe the built module debug: rebuild kvplay (npm run build)');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
