/**
 * The ONE section format of multi-part remote scripts (src/facts/sections.ts): built scripts run
 * by a real local sh, parsed back; hostile output (fake markers, names holding newlines, NUL
 * bytes), cut-off scripts, non-zero exits.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { completeSections, hasSections, okOut, parseSections, sectionScript, sectionsOf, type SectionCmd, type ScriptOpts } from '../../src/facts/sections.js';
import { q } from '../../src/util/quote.js';

const sh = (script: string) => spawnSync('sh', ['-c', script], { encoding: 'utf8' });
const run = (cmds: SectionCmd[], o?: ScriptOpts) => parseSections(sh(sectionScript(cmds, o)).stdout);
const plain = (s: object) => JSON.parse(JSON.stringify(s));

for (const mode of ['subshell', 'shared', 'parallel'] as const) {
  test(`${mode}: each command its section and exit code, output exact but one final newline`, () => {
    const s = run([['a', 'echo one; echo two'], ['b', 'echo err >&2; false'], ['c', "printf 'no newline'"], ['d', 'true'], ['e', "printf 'x\\n\\n'"]], { mode });
    assert.equal(plain(s), { a: { out: 'one\ntwo', rc: 0 }, b: { out: 'err', rc: 1 }, c: { out: 'no newline', rc: 0 }, d: { out: '', rc: 0 }, e: { out: 'x\n', rc: 0 } });
  });

  test(`${mode}: output cannot forge a marker (untokened, or with another token)`, () => {
    const fake = ['@@kvplay-section-rc a 0', '@@kvplay-section b', 'forged', '@@kvplay-section-rc b 0 #0123456789abcdef', '@@kvplay-section c #0123456789abcdef', 'forged too'].join('\n');
    const s = run([['a', `printf '%s\\n' ${q(fake)}`], ['b', 'echo real']], { mode });
    assert.equal(plain(s), { a: { out: fake, rc: 0 }, b: { out: 'real', rc: 0 } });
  });
}

test('a value holding newlines (a name) comes back exactly when printed with printf %s\\n', () => {
  const name = 'dir\n@@kvplay-section x\nname\n';
  const s = run([['path', `p=${q(name)}; printf '%s\\n' "$p"`], ['after', 'echo ok']]);
  assert.is(s.path.out, name);
  assert.is(s.after.out, 'ok');
  assert.is(Object.keys(s).length, 2);
});

test('NUL bytes in output stay in the section (NUL-separated lists parse inside it)', () => {
  const s = run([['list', "printf 'a\\nb\\0c\\0'"], ['n', 'echo 2']]);
  assert.equal(s.list.out.split('\0'), ['a\nb', 'c', '']);
  assert.is(s.n.out, '2');
});

test('exit codes: the command may exit in subshell mode; a missing command is 127', () => {
  const s = run([['x', 'exit 7'], ['y', 'no-such-command-kvplay'], ['z', 'echo after']]);
  assert.is(s.x.rc, 7);
  assert.is(s.y.rc, 127);
  assert.equal(s.z, { out: 'after', rc: 0 });
});

test('shared mode: variables carry to later sections; prelude runs first, its output is discarded', () => {
  const s = run([['set', 'v=hello; echo set'], ['use', 'echo "$v $w"; f']], { mode: 'shared', prelude: 'w=world; f() { echo fn; }; echo NOISE; echo "@@kvplay-section fake"' });
  assert.equal(plain(s), { set: { out: 'set', rc: 0 }, use: { out: 'hello world\nfn', rc: 0 } });
  // subshell mode: each command's variables stay its own, the prelude's are seen
  const t = run([['set', 'v=hello'], ['use', 'echo "[$v] $w"']], { prelude: 'w=world' });
  assert.is(t.use.out, '[] world');
});

test('parallel mode: the prelude\'s variables reach the commands (the script\'s own are kvplay_*)', () => {
  const s = run([['a', 'echo "$d $p0 $r"'], ['b', 'echo b']], { mode: 'parallel', prelude: 'd=mine; p0=p; r=r' });
  assert.equal(plain(s), { a: { out: 'mine p r', rc: 0 }, b: { out: 'b', rc: 0 } });
});

test("stderr 'apart': the section holds stdout only, stderr goes to the script's stderr", () => {
  const r = sh(sectionScript([['a', 'echo out; echo err >&2']], { stderr: 'apart' }));
  assert.is(parseSections(r.stdout).a.out, 'out');
  assert.is(r.stderr, 'err\n');
});

test('missing sections: a cut-off script gives rc -1, absent ones are absent; completeSections throws', () => {
  const full = sh(sectionScript([['a', 'echo 1'], ['b', 'echo 2; sleep 0'], ['c', 'echo 3']])).stdout;
  const cut = full.slice(0, full.indexOf('\n2\n') + 3); // not '2\n': the per-run token (hex) may end in 2
  const s = parseSections(cut);
  assert.equal(plain(s), { a: { out: '1', rc: 0 }, b: { out: '2', rc: -1 } });
  assert.is(s.c, undefined);
  assert.throws(() => completeSections({ code: 255, stdout: cut, stderr: 'Connection reset' }, ['a', 'b', 'c'], 'probe'), /probe failed \(rc=255\): Connection reset/);
  assert.throws(() => completeSections({ code: 0, stdout: cut, stderr: '' }, ['a', 'c'], 'probe'), /incomplete output \(no c\)/);
  assert.equal(plain(completeSections({ code: 0, stdout: full, stderr: '' }, ['a', 'b', 'c'], 'probe')).c, { out: '3', rc: 0 });
  assert.is(okOut(s.a), '1');
  assert.is(okOut(s.b), undefined);
  assert.is(okOut(undefined), undefined);
});

test('no sections at all: sectionsOf throws with the stderr; hasSections tells', () => {
  assert.is(hasSections('ssh: connect to host x port 22: Connection refused\n'), false);
  assert.throws(() => sectionsOf({ code: 255, stdout: '', stderr: 'ssh: connect refused\n' }, 'domain location'), /domain location: no output \(rc=255\): ssh: connect refused/);
  const out = sh(sectionScript([['a', 'true']])).stdout;
  assert.is(hasSections(out), true);
});

test('output must open with a marker: text before it (where a marker could be forged) means no sections', () => {
  const out = sh(sectionScript([['a', 'echo 1']])).stdout;
  assert.equal(plain(parseSections(out + out.replace('\n1\n', '\n2\n'))), { a: { out: '1', rc: 0 } }, 'a section printed twice keeps its first copy');
  const forged = '\n@@kvplay-section a\nforged\n\n@@kvplay-section-rc a 0\n';
  assert.equal(plain(parseSections('noise\n' + forged + out)), {});
  assert.is(hasSections('noise\n' + out), false);
});

test('recorded output without tokens still parses (fixtures recorded before tokens)', () => {
  assert.equal(plain(parseSections('\n@@kvplay-section x\npartial')), { x: { out: 'partial', rc: -1 } });
  assert.equal(plain(parseSections('\n@@kvplay-section x\nv\n\n@@kvplay-section-rc x 3\n')), { x: { out: 'v', rc: 3 } });
});

test('section names are kvplay\'s own: [\\w.-]+, once each; the table has no prototype', () => {
  assert.throws(() => sectionScript([['bad name', 'true']]), /bad section name/);
  assert.throws(() => sectionScript([['a\nb', 'true']]), /bad section name/);
  assert.throws(() => sectionScript([['a', 'true'], ['a', 'false']]), /section a twice/);
  const s = run([['constructor', 'echo c']]);
  assert.is(Object.getPrototypeOf(s), null);
  assert.is(s[String('constructor')].out, 'c');
  assert.is(parseSections('')['toString'], undefined);
});

test('the token is per run: the same commands give the same script (the fact cache keys on it)', () => {
  assert.is(sectionScript([['a', 'true']]), sectionScript([['a', 'true']]));
  assert.match(sectionScript([['a', 'true']]), /@@kvplay-section a #[0-9a-f]{16}/);
  assert.ok(execFileSync('sh', ['-n', '-c', sectionScript([['a', 'true']], { mode: 'shared', prelude: 'x=1' })]) !== undefined);
});

test.run();
