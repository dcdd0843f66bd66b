#!/usr/bin/env node
// Runs every test/**/*.test.ts in its own Node process (uvu + tsx), sums the counts and prints
// a final "N passed, N failed[, N skipped]" line. A file that crashes without uvu's totals counts
// as 1 failed; so does a file still running after KVPLAY_TEST_FILE_TIMEOUT_S seconds (default 900):
// its whole process group is killed.
// Skipped tests (test/harness/gate.ts prints "SKIPPED: <name> -- because: <reason>") are counted as
// skipped, never as passed, and listed with their reasons at the end. With CI=true, any skipped
// test FAILS the run (CI machines have everything the tests need: .ci/run installs it).
// Usage: node test/run.mjs [SUBSTRING...]   (only files whose path contains one of the substrings)
// KVPLAY_TEST_DIR (default test/) is the tree searched for *.test.ts: for testing this runner only.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
// `--tier NAME`: also run the files marked `// @tier NAME` in their head (the VM lab's end-to-end
// test, ~25-30 min: `npm run test:vm`). Without it those files are listed as not run, never counted.
const args = process.argv.slice(2);
const tierAt = args.indexOf('--tier');
const tiers = tierAt >= 0 ? [args[tierAt + 1]] : [];
const filters = tierAt >= 0 ? args.filter((_, i) => i !== tierAt && i !== tierAt + 1) : args;
const tierOf = (f) => /@tier\s+(\w+)/.exec(readFileSync(f, 'utf8').slice(0, 2000))?.[1];
const files = [];
(function walk(d) {
  for (const e of readdirSync(d).sort()) {
    const p = join(d, e);
    if (statSync(p).isDirectory()) walk(p);
    else if (e.endsWith('.test.ts')) files.push(p);
  }
})(process.env.KVPLAY_TEST_DIR || join(root, 'test'));
const matching = files.filter((f) => !filters.length || filters.some((s) => relative(root, f).includes(s)));
const picked = matching.filter((f) => !tierOf(f) || tiers.includes(tierOf(f)));
const otherTier = matching.filter((f) => !picked.includes(f));
if (otherTier.length) process.stdout.write(`not run here (a tier of their own; --tier NAME runs them): ${otherTier.map((f) => `${relative(root, f)} (tier ${tierOf(f)})`).join(', ')}\n`);
// lab tests last: they are slow and the others do not need the lab
picked.sort((a, b) => (a.includes('/lab/') - b.includes('/lab/')) || (a.includes('/e2e/') - b.includes('/e2e/')));

const FILE_TIMEOUT_S = Number(process.env.KVPLAY_TEST_FILE_TIMEOUT_S) || 15 * 60;
const CI = process.env.CI === 'true';

let passed = 0;
let failed = 0;
let skipped = 0;
const failedFiles = [];
/** { rel, name, reason } of every skipped test */
const skips = [];
const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');
/** The last match of re in text (a test's own output may contain look-alike lines before uvu's totals). */
const last = (re, text) => [...text.matchAll(re)].pop();

let current = null; // the running file's child process (its own process group)
const killGroup = (sig) => { try { process.kill(-current.pid, sig); } catch { /* already gone */ } };
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (current) killGroup('SIGKILL');
    process.exit(130);
  });
}

for (const f of picked) {
  const rel = relative(root, f);
  const t0 = Date.now();
  // a file may ask for a longer limit in its head: `// @timeout-s 1800` (the VM lab test)
  const own = /@timeout-s\s+(\d+)/.exec(readFileSync(f, 'utf8').slice(0, 2000));
  const fileTimeoutS = own ? Math.max(FILE_TIMEOUT_S, Number(own[1])) : FILE_TIMEOUT_S;
  process.stdout.write(`\n=== ${rel}\n`);
  const out = await new Promise((resolve) => {
    // detached: its own process group, so a hung file is killed with everything it started
    const child = spawn(process.execPath, ['--import', 'tsx', f], { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    current = child;
    let buf = '';
    let timedOut = false;
    let hard;
    const timer = setTimeout(() => {
      timedOut = true;
      process.stderr.write(`\n!!! ${rel}: still running after ${fileTimeoutS} s: killing its process group\n`);
      killGroup('SIGTERM');
      hard = setTimeout(() => {
        killGroup('SIGKILL');
        // something outside the group may still hold our pipes: stop waiting for them
        hard = setTimeout(() => { child.stdout.destroy(); child.stderr.destroy(); }, 5_000);
      }, 10_000);
    }, fileTimeoutS * 1000);
    child.stdout.on('data', (d) => { buf += d; process.stdout.write(d); });
    child.stderr.on('data', (d) => { buf += d; process.stderr.write(d); });
    child.on('error', (e) => { buf += `\nspawn failed: ${e.message}\n`; });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(hard);
      // stragglers of a killed file (its group) must not outlive it
      if (timedOut) killGroup('SIGKILL');
      current = null;
      resolve({ code, signal, timedOut, buf: strip(buf) });
    });
  });
  for (const m of out.buf.matchAll(/^SKIPPED: (.*?) -- because: (.*)$/gm)) skips.push({ rel, name: m[1], reason: m[2] });
  const total = last(/Total:\s+(\d+)/g, out.buf);
  const pass = last(/Passed:\s+(\d+)/g, out.buf);
  const skip = last(/Skipped:\s+(\d+)/g, out.buf);
  const s = skip ? +skip[1] : 0;
  skipped += s;
  const reasons = skips.filter((x) => x.rel === rel).length;
  if (s > reasons) skips.push({ rel, name: `${s - reasons} test(s)`, reason: 'skipped without a reason (test.skip outside test/harness/gate.ts)' });
  if (out.timedOut) {
    failed += 1 + (total && pass ? +total[1] - +pass[1] : 0);
    failedFiles.push(`${rel} (timed out after ${fileTimeoutS} s: killed)`);
  } else if (!total || !pass) {
    failed += 1;
    failedFiles.push(`${rel} (crashed, exit ${out.code ?? out.signal})`);
  } else {
    // uvu: Total counts the tests that were registered to run (skipped ones are not in it)
    const t = +total[1], p = +pass[1];
    passed += p;
    const fl = t - p + (out.code !== 0 && t === p ? 1 : 0);
    failed += fl;
    if (fl) failedFiles.push(out.code !== 0 && t === p ? `${rel} (exit ${out.code ?? out.signal} after its tests)` : rel);
  }
  process.stdout.write(`--- ${rel}: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}
if (skips.length) {
  process.stdout.write(`\nskipped tests${CI ? ' (CI=true: each counts as failed)' : ''}:\n`);
  for (const x of skips) process.stdout.write(`  ${x.rel}: ${x.name} -- ${x.reason}\n`);
}
if (CI && skipped) {
  process.stdout.write(`\nCI=true: ${skipped} test(s) skipped; a CI machine must have everything the tests need (.ci/run / scripts/setup.sh install it)\n`);
  failed += skipped;
}
if (failedFiles.length) process.stdout.write(`\nfailing files:\n  ${failedFiles.join('\n  ')}\n`);
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed ? 1 : 0);
