/**
 * For testing test/run.mjs itself (test/harness/gate.test.ts, test/harness/runner.test.ts): fixture
 * test files in a temp dir, run through the real runner with KVPLAY_TEST_DIR pointing there.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const ROOT = resolve(new URL('../..', import.meta.url).pathname);
export const RUNNER = join(ROOT, 'test', 'run.mjs');
export const UVU = join(ROOT, 'node_modules', 'uvu', 'dist', 'index.mjs');
export const GATE = join(ROOT, 'test', 'harness', 'gate.ts');
export const LABGATE = join(ROOT, 'test', 'harness', 'labgate.ts');

export interface RunResult { code: number | null; out: string }

/** node test/run.mjs [args] with env; fails the test (instead of hanging) after ms. */
export function runner(args: string[], env: Record<string, string>, ms = 120_000): Promise<RunResult> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [RUNNER, ...args], { cwd: ROOT, env: { ...process.env, CI: '', KVPLAY_TEST_ISOLATE: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', rej);
    const timer = setTimeout(() => { child.kill('SIGKILL'); rej(new Error(`test/run.mjs did not finish within ${ms} ms:\n${out}`)); }, ms);
    child.on('close', (code) => { clearTimeout(timer); res({ code, out }); });
  });
}

/**
 * A temp dir of fixture test files (name may hold a sub-folder). Each body gets the imports of uvu's
 * `test` and the gates by absolute path before it and `test.run();` after it, unless `raw`.
 */
export function fixtures(files: Record<string, string>, raw = false): string {
  const dir = mkdtempSync(join(tmpdir(), 'kvplay-runner-'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    const text = raw ? body : `import { test } from ${JSON.stringify(UVU)};\nimport { requires, gatedTest } from ${JSON.stringify(GATE)};\nimport { labTest } from ${JSON.stringify(LABGATE)};\n${body}\ntest.run();\n`;
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** [passed, failed, skipped] of the runner's final line. */
export const summary = (out: string) => /^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/m.exec(out)?.slice(1).map((x) => Number(x ?? 0));
