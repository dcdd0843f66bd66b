/**
 * The course (docs/tutorial/) is tested: the blocks marked ```sh tutorial in its files are run in
 * order on a lab of this test's own (`tutorial`), as a student would type them (bash, cwd = the
 * kvplay checkout, KVPLAY_LAB set, `kvplay` on PATH):
 *   ```sh tutorial          must succeed
 *   ```sh tutorial fails    must fail
 *   ```sh tutorial drift    a --check run: must succeed and predict changes (the exercise's drift is found)
 *   ```sh tutorial clean    a --check run: must succeed and predict no change (repaired)
 *   <!-- expect: TEXT -->   (right before a block, may repeat) its output contains TEXT
 * The structure tests run anywhere; the lessons need root and the lab (the CLI from dist:
 * npm test builds it first). About 5 minutes on 2 cores.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requires } from '../harness/gate.js';
import { BIN, ROOT } from '../e2e/helpers.js';

const DIR = join(ROOT, 'docs', 'tutorial');
const LAB = 'tutorial';

type Kind = 'run' | 'fails' | 'drift' | 'clean';
interface Block {
  file: string;
  line: number;
  kind: Kind;
  code: string;
  expect: string[];
}

/** The runnable blocks of one markdown file, in order. */
function tutorialBlocks(file: string, text: string): Block[] {
  const out: Block[] = [];
  let expect: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    const ex = /^<!--\s*expect:\s*(.*?)\s*-->\s*$/.exec(l);
    if (ex) {
      expect.push(ex[1]);
      continue;
    }
    const fence = /^```(.*)$/.exec(l);
    if (fence) {
      const words = fence[1].trim().split(/\s+/);
      const start = i;
      const body: string[] = [];
      for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
      if (i >= lines.length) throw new Error(`${file}:${start + 1}: unclosed code block`);
      if (words[0] === 'sh' && words[1] === 'tutorial') {
        const kind = (words[2] ?? 'run') as Kind;
        if (!['run', 'fails', 'drift', 'clean'].includes(kind)) throw new Error(`${file}:${start + 1}: unknown tutorial block kind ${kind}`);
        out.push({ file, line: start + 1, kind, code: body.join('\n'), expect });
      } else if (expect.length) throw new Error(`${file}:${start + 1}: <!-- expect --> before a block that is not run`);
      expect = [];
      continue;
    }
    if (expect.length && l.trim()) throw new Error(`${file}:${i + 1}: text between <!-- expect --> and its block`);
  }
  return out;
}

const lessonFiles = () => ['README.md', ...readdirSync(DIR).filter((f) => /^\d\d-.+\.md$/.test(f)).sort()];
const lessons = () => lessonFiles().map((f) => ({ file: f, title: readFileSync(join(DIR, f), 'utf8').split('\n')[0].replace(/^#\s*/, ''), blocks: tutorialBlocks(f, readFileSync(join(DIR, f), 'utf8')) }));

/** Sum of changed= over the PLAY RECAP lines, or null without a recap. */
function recapChanged(out: string): number | null {
  const m = [...out.matchAll(/^\S+\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)];
  return m.length ? m.reduce((a, x) => a + Number(x[1]), 0) : null;
}

test('the extractor: kinds, expectations, and mistakes refused', () => {
  const md = 'x\n\n<!-- expect: A -->\n<!-- expect: b c -->\n```sh tutorial drift\nkvplay x --check\n```\n```sh\nnot run\n```\n```sh tutorial\none\ntwo\n```\n';
  const b = tutorialBlocks('t.md', md);
  assert.equal(b.map((x) => [x.kind, x.code, x.expect, x.line]), [['drift', 'kvplay x --check', ['A', 'b c'], 5], ['run', 'one\ntwo', [], 11]]);
  assert.throws(() => tutorialBlocks('t.md', '<!-- expect: A -->\ntext\n```sh tutorial\nx\n```\n'), /text between/);
  assert.throws(() => tutorialBlocks('t.md', '<!-- expect: A -->\n```sh\nx\n```\n'), /not run/);
  assert.throws(() => tutorialBlocks('t.md', '```sh tutorial later\nx\n```\n'), /unknown tutorial block kind/);
  assert.is(recapChanged('PLAY RECAP ***\nkvm1 : ok=3 changed=1 unreachable=0 failed=0 skipped=0\nnfs  : ok=1 changed=2 unreachable=0 failed=0\n'), 3);
  assert.is(recapChanged('no recap'), null);
});

test('every lesson: its kvplay stage, an exercise with --check --diff, a repair run, a check after it, a verification by hand', () => {
  const site = readFileSync(join(ROOT, 'playbooks', 'site.yaml'), 'utf8') + readFileSync(join(ROOT, 'playbooks', 'migrate-lab.yaml'), 'utf8');
  const tags = new Set([...site.matchAll(/tags:\s*\[([^\]]*)\]/g)].flatMap((m) => m[1].split(',').map((t) => t.trim())));
  const all = lessons();
  assert.ok(all.length >= 9, `README + 8 lessons, found ${all.map((l) => l.file).join(', ')}`);
  assert.ok(all[0].blocks.some((b) => /kvplay lab up/.test(b.code)), 'README brings the lab up');
  const covered = new Set<string>();
  for (const l of all.slice(1)) {
    const b = l.blocks;
    const kv = b.filter((x) => /^kvplay playbooks\//m.test(x.code));
    for (const r of kv) for (const m of r.code.matchAll(/--tags (\S+)/g)) for (const t of m[1].split(',')) {
      assert.ok(tags.has(t), `${l.file}: --tags ${t} is not a tag of site.yaml`);
      covered.add(t);
    }
    const drift = b.findIndex((x) => x.kind === 'drift');
    assert.ok(drift > 0 && /--check --diff/.test(b[drift].code), `${l.file}: the exercise's --check --diff`);
    assert.ok(b.slice(0, drift).some((x) => /^kvplay playbooks\//m.test(x.code)) || b.slice(drift + 1).some((x) => x.kind === 'run' && /^kvplay playbooks\//m.test(x.code)), `${l.file}: the lesson's kvplay stage`);
    const repair = b.findIndex((x, i) => i > drift && x.kind === 'run' && /^kvplay playbooks\//m.test(x.code));
    assert.ok(repair > drift, `${l.file}: a run after the drift`);
    assert.ok(b.slice(repair).some((x) => x.kind === 'clean'), `${l.file}: a --check after the repair finds nothing`);
    assert.ok(b.some((x) => /kvplay lab ssh/.test(x.code) && x.expect.length), `${l.file}: a verification by hand with an expectation`);
    assert.ok(b.some((x, i) => i < drift && (x.kind === 'run' || x.kind === 'fails') && /kvplay lab ssh/.test(x.code)), `${l.file}: the exercise breaks something by hand`);
  }
  for (const t of ['nfs', 'storage', 'bridge', 'ssh_trust', 'libvirt', 'guest', 'migrate']) assert.ok(covered.has(t), `no lesson runs --tags ${t}`);
});

// ---- the lessons, for real -------------------------------------------------------------------

const labTest = requires({ lab: true });
let shim = '';
const t0 = Date.now();

function sh(code: string): Promise<{ code: number; out: string }> {
  return new Promise((res) => {
    const env = { ...process.env, KVPLAY_LAB: LAB, NO_COLOR: '1', PATH: `${shim}:${process.env.PATH}` };
    const c = spawn('bash', ['-eo', 'pipefail', '-c', code], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => c.kill('SIGKILL'), 360_000);
    c.on('close', (rc) => {
      clearTimeout(timer);
      res({ code: rc ?? -1, out });
    });
  });
}

async function runBlock(b: Block): Promise<void> {
  const r = await sh(b.code);
  const where = `${b.file}:${b.line} (${b.kind})\n${b.code}\n--- exit ${r.code}, output:\n${r.out.split('\n').slice(-60).join('\n')}`;
  if (b.kind === 'fails') assert.is.not(r.code, 0, `expected to fail: ${where}`);
  else assert.is(r.code, 0, where);
  if (b.kind === 'drift' || b.kind === 'clean') {
    assert.match(r.out, 'Running in check mode', `not a --check run: ${where}`);
    const changed = recapChanged(r.out);
    assert.ok(changed !== null, `no PLAY RECAP: ${where}`);
    if (b.kind === 'drift') assert.ok(changed! > 0, `--check found no drift: ${where}`);
    else assert.is(changed, 0, `--check after the repair still predicts changes: ${where}`);
  }
  for (const e of b.expect) assert.ok(r.out.includes(e), `output lacks ${JSON.stringify(e)}: ${where}`);
}

labTest.before(async () => {
  shim = mkdtempSync(join(tmpdir(), 'kvplay-tutorial-'));
  writeFileSync(join(shim, 'kvplay'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"\n`);
  chmodSync(join(shim, 'kvplay'), 0o755);
  await sh('kvplay lab down');
});

labTest.after(async () => {
  await sh('kvplay lab down');
  if (shim) rmSync(shim, { recursive: true, force: true });
});

for (const l of lessons())
  labTest(`${l.file}: ${l.title}`, async () => {
    const t = Date.now();
    for (const b of l.blocks) await runBlock(b);
    console.log(`    ${l.file}: ${((Date.now() - t) / 1000).toFixed(0)} s (total ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  });

test.run();
