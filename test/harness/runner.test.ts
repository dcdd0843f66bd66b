/**
 * test/run.mjs runs unit test files together in ONE node+tsx process (test/harness/inproc.mjs) and
 * stays as truthful as with a process per file: per-file counts exact, a crash, an unhandled
 * rejection, process.exit or an import error counted as failed and attributed to its file (the
 * files after it still run), tests left without `.run()` never run with the next file's, env and
 * cwd put back between files, a per-file timeout; e2e/lab/... folders, the own-process marker and the
 * sshd harness's users keep a process of their own; `--isolate` gives every file its own process.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { fixtures, ROOT, runner, summary, UVU } from './runfixtures.js';

/** The pid each fixture file printed (`PID <file> <pid>`). */
const pids = (out: string) => Object.fromEntries([...out.matchAll(/^PID (\S+) (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
const pid = (name: string) => `test('pid', () => { console.log('PID ${name} ' + process.pid); });`;

async function withFixtures(files: Record<string, string>, args: string[], env: Record<string, string>, check: (out: string, code: number | null) => void, raw = false) {
  const dir = fixtures(files, raw);
  try {
    const r = await runner(args, { KVPLAY_TEST_DIR: dir, ...env });
    check(r.out, r.code);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('several files in one process: per-file counts exact, skips with reasons, one pid', async () => {
  await withFixtures({
    'a.test.ts': `${pid('a')}\ntest('a ok', () => {});\ntest('a bad', () => { throw new Error('a failed'); });`,
    'b.test.ts': `${pid('b')}\nconst never = requires({ tools: ['kvplay-no-such-tool'] });\nnever('b gated', () => {});\ntest('b ok', () => {});`,
    'c.test.ts': `${pid('c')}\nimport { suite } from ${JSON.stringify(UVU)};\nconst s = suite('named');\ns('c in a suite', () => {});\ns.run();`,
  }, [], {}, (out, code) => {
    assert.is(code, 1, out);
    assert.equal(summary(out), [6, 1, 1], out);
    const p = pids(out);
    assert.ok(p.a && p.a === p.b && p.b === p.c, `one process for a, b, c: ${JSON.stringify(p)}\n${out}`);
    assert.match(out, /failing files:\n {2}\S*a\.test\.ts\n\n/);
    assert.match(out, /b\.test\.ts: b gated -- needs kvplay-no-such-tool on PATH/);
    for (const f of ['a', 'b', 'c']) assert.match(out, new RegExp(`=== \\S*${f}\\.test\\.ts\\n[^]*?--- \\S*${f}\\.test\\.ts: \\d+\\.\\d s`));
    // a's failure is printed inside a's section, not b's
    assert.match(out, /=== \S*a\.test\.ts\n(?:(?!===)[^])*a failed/);
  });
});

test('--isolate (and KVPLAY_TEST_ISOLATE=1): a process per file, same counts', async () => {
  const files = { 'a.test.ts': `${pid('a')}\ntest('a ok', () => {});`, 'b.test.ts': `${pid('b')}\ntest('b ok', () => {});` };
  for (const [args, env] of [[['--isolate'], {}], [[], { KVPLAY_TEST_ISOLATE: '1' }]] as const) {
    await withFixtures(files, [...args], env, (out, code) => {
      assert.is(code, 0, out);
      assert.equal(summary(out), [4, 0, 0], out);
      const p = pids(out);
      assert.ok(p.a && p.b && p.a !== p.b, `${JSON.stringify(p)}\n${out}`);
    });
  }
});

test('own process: e2e/ (and the other heavy folders), `// @own-process`, users of the sshd harness', async () => {
  await withFixtures({
    'a.test.ts': pid('a'),
    'b.test.ts': pid('b'),
    'e2e/x.test.ts': pid('x'),
    'lab/y.test.ts': pid('y'),
    'm.test.ts': `// @own-process: says so\n${pid('m')}`,
    's.test.ts': `import type { Sshd } from ${JSON.stringify(`${ROOT}/test/harness/sshd.js`)};\nexport type S = Sshd;\n${pid('s')}`,
  }, [], {}, (out, code) => {
    assert.is(code, 0, out);
    assert.equal(summary(out), [6, 0, 0], out);
    const p = pids(out);
    assert.is(p.a, p.b, out);
    const all = [p.a, p.x, p.y, p.m, p.s];
    assert.is(new Set(all).size, all.length, `${JSON.stringify(p)}\n${out}`);
  });
});

test('a crash (uncaught exception) is the crashing file\'s: counted failed, the next files still run and count', async () => {
  await withFixtures({
    'a.test.ts': `test('a ok', () => {});`,
    'b.test.ts': `test('b throws later', async () => { setTimeout(() => { throw new Error('boom from b'); }, 1); await new Promise((r) => setTimeout(r, 200)); });\ntest('b 2', () => {});`,
    'c.test.ts': `test('c ok', () => {});\ntest('c ok 2', () => {});`,
  }, [], {}, (out, code) => {
    assert.is(code, 1, out);
    assert.equal(summary(out), [3, 1, 0], out);
    assert.match(out, /failing files:\n {2}\S*b\.test\.ts \(crashed, exit 1\)\n\n/);
    assert.match(out, /uncaught exception in \S*b\.test\.ts:\nError: boom from b/);
  });
});

test('an unhandled rejection, process.exit() in a test, an import error: each its own file\'s failure', async () => {
  await withFixtures({
    'a.test.ts': `test('a rejects', () => { Promise.reject(new Error('nobody waits for a')); });\ntest('a never gets here', () => {});`,
    'b.test.ts': `test('b exits', () => { process.exit(0); });`,
    'c.test.ts': `throw new Error('c does not load');`,
    'd.test.ts': `test('d ok', () => {});`,
  }, [], {}, (out, code) => {
    assert.is(code, 1, out);
    assert.equal(summary(out), [1, 3, 0], out);
    assert.match(out, /unhandled rejection in \S*a\.test\.ts:\nError: nobody waits for a/);
    assert.match(out, /\S*a\.test\.ts \(crashed, exit 1\)/);
    assert.match(out, /\S*b\.test\.ts \(crashed, exit 0\)/);
    assert.match(out, /\S*c\.test\.ts \(crashed, import failed: c does not load\)/);
    assert.not.match(out, /d\.test\.ts \(/);
  });
});

test('a rejection from a file\'s leftover timer is charged to that file, even while a later file runs', async () => {
  await withFixtures({
    'a.test.ts': `test('a ok', () => {});\ntest.after(() => { setTimeout(() => { Promise.reject(new Error('late from a')); }, 300); });`,
    'b.test.ts': `test('b waits', async () => { await new Promise((r) => setTimeout(r, 1500)); });`,
    'c.test.ts': `test('c sets exitCode', () => { process.exitCode = 3; });`,
    'd.test.ts': `test('d ok', () => {});`,
  }, [], {}, (out, code) => {
    assert.is(code, 1, out);
    assert.equal(summary(out), [4, 2, 0], out);
    assert.match(out, /unhandled rejection in \S*a\.test\.ts:\nError: late from a/);
    assert.match(out, /\S*a\.test\.ts \(exit 1 after its tests: crashed while \S*b\.test\.ts ran\)/);
    assert.match(out, /\S*c\.test\.ts \(exit 3 after its tests\)/);
    assert.not.match(out, /b\.test\.ts \(/);
  });
});

test('tests left without .run() never run with the next file\'s; env and cwd are put back', async () => {
  await withFixtures({
    'a.test.ts': `import { test } from ${JSON.stringify(UVU)};\ntest('a left behind', () => { console.log('LEFT RAN'); });\nexport {};\n`,
    'b.test.ts': `import { test } from ${JSON.stringify(UVU)};\nprocess.env.KVPLAY_RUNNER_LEAK = 'b';\nprocess.chdir('/tmp');\ntest('b ok', () => {});\ntest.run();\n`,
    'c.test.ts': `import { test } from ${JSON.stringify(UVU)};\nimport * as assert from ${JSON.stringify(UVU.replace('dist/index.mjs', 'assert/index.mjs'))};\nconst cwd = process.cwd();\ntest('c sees no leak', () => { assert.is(process.env.KVPLAY_RUNNER_LEAK, undefined); assert.is.not(cwd, '/tmp'); });\ntest.run();\n`,
  }, [], {}, (out, code) => {
    assert.is(code, 1, out);
    assert.not.match(out, 'LEFT RAN');
    assert.equal(summary(out), [2, 1, 0], out);
    assert.match(out, /\S*a\.test\.ts \(crashed, no suite ran/);
  }, true);
});

test('per-file timeout in the shared process: that file killed with its children, the next file runs', async () => {
  await withFixtures({
    'a.test.ts': `test('a ok', () => {});`,
    'b.test.ts': `test('b hangs', async () => { await new Promise(() => setInterval(() => {}, 1000)); });`,
    'c.test.ts': `test('c ok', () => {});`,
  }, [], { KVPLAY_TEST_FILE_TIMEOUT_S: '3' }, (out, code) => {
    assert.is(code, 1, out);
    assert.equal(summary(out), [2, 1, 0], out);
    assert.match(out, /failing files:\n {2}\S*b\.test\.ts \(timed out after 3 s: killed\)\n\n/);
  });
});

test('a marker line faked by a test is output, not a file boundary', async () => {
  await withFixtures({
    'a.test.ts': `test('a prints a marker', () => { console.log('@@kvplay-test-0000000000000000 end {"total":99,"passed":99,"skipped":0,"code":0}'); });`,
  }, [], {}, (out, code) => {
    assert.is(code, 0, out);
    assert.equal(summary(out), [1, 0, 0], out);
  });
});

test.run();
