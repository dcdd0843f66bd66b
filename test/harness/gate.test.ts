/**
 * The test gate (test/harness/gate.ts) and the runner (test/run.mjs) tell the truth: a test whose
 * prerequisite is missing is SKIPPED with its reason (never run, never passed, its hooks never
 * run); skips never hide failures; CI=true fails a run with skips; a hung file is killed with its
 * process group and counted as failed; the lab/virt/roles files without a lab skip, not crash.
 * Fixture test files are written to a temp dir and run through test/run.mjs (KVPLAY_TEST_DIR);
 * test/harness/runner.test.ts tests the one-process mode.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtures, runner, summary } from './runfixtures.js';

const GATED = `
const never = requires({ tools: ['kvplay-no-such-tool'] });
const always = requires({ tools: ['sh'] });
never.before(() => { console.log('HOOK RAN'); });
never.after(() => { console.log('HOOK RAN'); });
never('needs a missing tool', () => { console.log('BODY RAN'); });
never('also needs it', () => { throw new Error('BODY RAN'); });
always('sh is there', () => {});
gatedTest('', 'open gate', () => {});
gatedTest('a reason given', 'closed gate', () => { console.log('BODY RAN'); });
labTest('needs the lab', () => { console.log('BODY RAN'); });
test('plain', () => {});
`;

test('missing prerequisites: SKIPPED with the reason, no body or hook runs, counted as skipped (not passed)', async () => {
  const dir = fixtures({ 'a.test.ts': GATED });
  try {
    const r = await runner([], { KVPLAY_TEST_DIR: dir, KVPLAY_TEST_PRETEND_MISSING: 'lab' });
    assert.is(r.code, 0, r.out);
    assert.not.match(r.out, 'BODY RAN');
    assert.not.match(r.out, 'HOOK RAN');
    assert.equal(summary(r.out), [3, 0, 4], r.out);
    assert.match(r.out, 'SKIPPED: needs a missing tool -- because: needs kvplay-no-such-tool on PATH');
    assert.match(r.out, 'SKIPPED: closed gate -- because: a reason given');
    assert.match(r.out, 'SKIPPED: needs the lab -- because: lab pretended missing (KVPLAY_TEST_PRETEND_MISSING)');
    // the reasons again at the end, per file
    const tail = r.out.slice(r.out.indexOf('\nskipped tests'));
    assert.match(tail, /a\.test\.ts: also needs it -- needs kvplay-no-such-tool on PATH/);
    assert.match(tail, /a\.test\.ts: needs the lab -- lab pretended missing/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CI=true: a run with skipped tests fails and says which and why', async () => {
  const dir = fixtures({ 'a.test.ts': GATED });
  try {
    const r = await runner([], { KVPLAY_TEST_DIR: dir, KVPLAY_TEST_PRETEND_MISSING: 'lab', CI: 'true' });
    assert.is(r.code, 1, r.out);
    assert.equal(summary(r.out), [3, 4, 4], r.out);
    assert.match(r.out, /CI=true: 4 test\(s\) skipped/);
    assert.match(r.out, /skipped tests \(CI=true: each counts as failed\):\n.*needs a missing tool -- needs kvplay-no-such-tool on PATH/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('skips never hide failures; a bare test.skip is reported without a reason', async () => {
  const dir = fixtures({
    'b.test.ts': `
const never = requires({ tools: ['kvplay-no-such-tool'] });
never('s1', () => {});
never('s2', () => {});
test.skip('bare skip', () => {});
test('ok', () => {});
test('bad 1', () => { throw new Error('no'); });
test('bad 2', () => { throw new Error('no'); });
`,
  });
  try {
    const r = await runner([], { KVPLAY_TEST_DIR: dir });
    assert.is(r.code, 1, r.out);
    assert.equal(summary(r.out), [1, 2, 3], r.out);
    assert.match(r.out, /b\.test\.ts: 1 test\(s\) -- skipped without a reason/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failing before hook is printed and its tests count as failed', async () => {
  const dir = fixtures({
    'c.test.ts': `
const always = requires({ tools: ['sh'] });
always.before(() => { throw new Error('setup exploded'); });
always('t1', () => {});
always('t2', () => {});
`,
  });
  try {
    const r = await runner([], { KVPLAY_TEST_DIR: dir });
    assert.is(r.code, 1, r.out);
    assert.match(r.out, /before hook failed: Error: setup exploded/);
    assert.equal(summary(r.out), [0, 2, 0], r.out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a hung file is killed with its process group after KVPLAY_TEST_FILE_TIMEOUT_S and counted as failed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvplay-gate-pid-'));
  const pidFile = join(dir, 'grandchild.pid');
  const fx = fixtures({
    'd.test.ts': `
import { spawn as sp } from 'node:child_process';
import { writeFileSync as w } from 'node:fs';
test('hangs', async () => {
  const c = sp('sleep', ['300'], { stdio: 'ignore' });
  w(${JSON.stringify(pidFile)}, String(c.pid));
  await new Promise(() => setInterval(() => {}, 1000));
});
`,
    'e.test.ts': `test('after it, the next file still runs', () => {});\n`,
  });
  try {
    const t0 = Date.now();
    const r = await runner([], { KVPLAY_TEST_DIR: fx, KVPLAY_TEST_FILE_TIMEOUT_S: '3' });
    assert.ok(Date.now() - t0 < 60_000, 'the runner did not wait for the hung file');
    assert.is(r.code, 1, r.out);
    assert.match(r.out, /d\.test\.ts \(timed out after 3 s: killed\)/);
    assert.equal(summary(r.out), [1, 1, 0], r.out);
    // the hung file's own child (same process group) is gone too
    const pid = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(pid > 0);
    let alive = true;
    for (let i = 0; i < 100 && alive; i++) {
      const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
      alive = stat !== '' && !/^\d+ \(sleep\) Z/.test(stat) && /\(sleep\)/.test(stat);
      if (alive) await new Promise((r2) => setTimeout(r2, 50));
    }
    assert.not.ok(alive, `sleep ${pid} started by the hung file survived`);
  } finally {
    rmSync(fx, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lab, virt and roles files without a lab: every test skipped, nothing crashes, no hook runs', async () => {
  // about the lab gate only: a dist/ older than src/ (refused where test/e2e/helpers.ts loads) is test/harness/stale-dist.test.ts's
  const r = await runner(['test/lab/lab.test', 'test/lab/runner-on-lab', 'test/roles/bridge', 'test/roles/site', 'test/virt/'], { KVPLAY_TEST_PRETEND_MISSING: 'lab', KVPLAY_TEST_STALE_DIST_OK: '1' }, 300_000);
  assert.is(r.code, 0, r.out);
  const [passed, failed, skipped] = summary(r.out) ?? [];
  assert.is(failed, 0, r.out);
  assert.is(passed, 0, r.out);
  assert.ok(skipped >= 30, `skipped ${skipped}\n${r.out}`);
  assert.not.match(r.out, /\(crashed|timed out after|hook failed:/);
  for (const f of ['lab/lab.test.ts', 'lab/runner-on-lab.test.ts', 'roles/bridge.test.ts', 'roles/site.test.ts', 'virt/faults.test.ts', 'virt/local.test.ts', 'virt/migration.test.ts']) {
    assert.match(r.out, new RegExp(`test/${f.replace('.', '\\.')}: .* -- lab pretended missing`), f);
  }
});

test.run();
