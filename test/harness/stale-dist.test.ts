/**
 * The end-to-end tests refuse a dist/ older than src/ (test/harness/dist.ts, called where
 * test/e2e/helpers.ts loads): checked on temp trees, never by touching the real dist/.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { staleDist, refuseStaleDist } from './dist.js';
import { fixtures, ROOT, runner, summary, UVU } from './runfixtures.js';

/** A temp tree with src/ and dist/ files, each set to the given age in seconds (mtime = now - age). */
function tree(files: Record<string, number>): string {
  const dir = fixtures({}, true);
  const now = Date.now() / 1000;
  for (const [f, age] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), '// x\n');
    utimesSync(join(dir, f), now - age, now - age);
  }
  return dir;
}

test('staleDist: not built, src/ newer than the bundle or tsc output, fresh', () => {
  const cases: [Record<string, number>, RegExp | ''][] = [
    [{ 'src/a.ts': 10 }, /^kvplay is not built .*run `npm run build`$/],
    [{ 'src/a.ts': 100, 'src/deep/b.ts': 5, 'dist/bundle/kvplay.mjs': 50, 'dist/src/cli/main.js': 50 }, /^dist\/ is older than src\/: src\/deep\/b\.ts changed at .*dist\/bundle\/kvplay\.mjs was built at .*run `npm run build`$/],
    // the bundle is new, tsc's output (the tests import it too) is not
    [{ 'src/a.ts': 30, 'dist/bundle/kvplay.mjs': 5, 'dist/src/cli/main.js': 60 }, /dist\/src\/cli\/main\.js was built at/],
    [{ 'src/a.ts': 100, 'src/b.ts': 60, 'dist/bundle/kvplay.mjs': 50, 'dist/src/cli/main.js': 55 }, ''],
    [{ 'src/a.ts': 100, 'dist/src/cli/main.js': 50 }, ''],
  ];
  // the refusal is what is tested: a developer's KVPLAY_TEST_STALE_DIST_OK=1 must not turn it into a warning
  const saved = process.env.KVPLAY_TEST_STALE_DIST_OK;
  delete process.env.KVPLAY_TEST_STALE_DIST_OK;
  try {
  for (const [files, want] of cases) {
    const dir = tree(files);
    try {
      const why = staleDist(dir);
      if (want === '') assert.is(why, '', JSON.stringify(files));
      else assert.match(why, want, JSON.stringify(files));
      if (want === '') refuseStaleDist(dir);
      else assert.throws(() => refuseStaleDist(dir), (e: Error) => e.message === why);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  } finally {
    if (saved !== undefined) process.env.KVPLAY_TEST_STALE_DIST_OK = saved;
  }
});

test('an e2e file loading test/e2e/helpers.ts on a stale dist/ fails with the reason; after a build it runs', async () => {
  // a temp copy of the helpers and the check; the sshd harness stubbed (not needed for the point)
  const dir = tree({ 'src/cli/main.ts': 5, 'dist/bundle/kvplay.mjs': 50, 'dist/src/cli/main.js': 50 });
  try {
    mkdirSync(join(dir, 'test', 'e2e'), { recursive: true });
    mkdirSync(join(dir, 'test', 'harness'), { recursive: true });
    copyFileSync(join(ROOT, 'test', 'e2e', 'helpers.ts'), join(dir, 'test', 'e2e', 'helpers.ts'));
    copyFileSync(join(ROOT, 'test', 'harness', 'dist.ts'), join(dir, 'test', 'harness', 'dist.ts'));
    writeFileSync(join(dir, 'test', 'harness', 'sshd.ts'), 'export interface Sshd { port: number }\nexport async function startSshd(): Promise<Sshd> { throw new Error("stub"); }\n');
    writeFileSync(join(dir, 'test', 'e2e', 'x.test.ts'), `import { test } from ${JSON.stringify(UVU)};\nimport { BIN } from './helpers.js';\ntest('runs the CLI', () => { console.log('RAN ' + BIN); });\ntest.run();\n`);
    const env = { KVPLAY_TEST_DIR: join(dir, 'test'), KVPLAY_TEST_STALE_DIST_OK: '' };
    const stale = await runner([], env);
    assert.is(stale.code, 1, stale.out);
    assert.equal(summary(stale.out), [0, 1, 0], stale.out);
    assert.match(stale.out, /Error: dist\/ is older than src\/: src\/cli\/main\.ts changed at .* run `npm run build`/);
    assert.match(stale.out, /x\.test\.ts \(crashed, exit 1\)/);
    assert.not.match(stale.out, 'RAN ');
    // the escape hatch for a tree several people edit at once: a warning, the tests run
    const ok = await runner([], { ...env, KVPLAY_TEST_STALE_DIST_OK: '1' });
    assert.equal(summary(ok.out), [1, 0, 0], ok.out);
    assert.match(ok.out, /warning \(KVPLAY_TEST_STALE_DIST_OK=1\): dist\/ is older than src\//);
    // "npm run build": the outputs are newer than src/ now
    const now = Date.now() / 1000;
    for (const f of ['dist/bundle/kvplay.mjs', 'dist/src/cli/main.js']) utimesSync(join(dir, f), now, now);
    const built = await runner([], env);
    assert.is(built.code, 0, built.out);
    assert.equal(summary(built.out), [1, 0, 0], built.out);
    assert.match(built.out, 'RAN ');
    assert.not.match(built.out, /older than src/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
