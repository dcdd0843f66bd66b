#!/usr/bin/env node
// Runs every test/**/*.test.ts (uvu + tsx), sums the counts and prints a final
// "N passed, N failed[, N skipped]" line. A file that crashes without uvu's totals counts as 1
// failed; so does a file still running after KVPLAY_TEST_FILE_TIMEOUT_S seconds (default 900):
// its whole process group is killed.
// Unit test files run together in ONE node+tsx process (test/harness/inproc.mjs: one file after the
// other, each file's counts, skips, crash or timeout still its own; a crash ends that process and a
// new one runs the files not started yet). A file runs in a process of its own when it is under
// test/{e2e,lab,roles,virt,compat,bench}/, has `// @own-process` in its head, has a `@tier`, or
// imports the sshd harness (test/harness/sshd.js, test/e2e/helpers.js: daemons, exit hooks).
// `--isolate` (or KVPLAY_TEST_ISOLATE=1): every file in a process of its own.
// Skipped tests (test/harness/gate.ts prints "SKIPPED: <name> -- because: <reason>") are counted as
// skipped, never as passed, and listed with their reasons at the end. With CI=true, any skipped
// test FAILS the run (CI machines have everything the tests need: .ci/run installs it).
// Usage: node test/run.mjs [--isolate] [--tier NAME] [SUBSTRING...]   (only files whose path contains one of the substrings)
// KVPLAY_TEST_DIR (default test/) is the tree searched for *.test.ts: for testing this runner only.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';

const root = new URL('..', import.meta.url).pathname;
// `--tier NAME`: also run the files marked `// @tier NAME` in their head (the VM lab's end-to-end
// test, ~25-30 min: `npm run test:vm`). Without it those files are listed as not run, never counted.
const args = process.argv.slice(2);
const tierAt = args.indexOf('--tier');
const tiers = tierAt >= 0 ? [args[tierAt + 1]] : [];
const isolate = args.includes('--isolate') || process.env.KVPLAY_TEST_ISOLATE === '1';
const filters = (tierAt >= 0 ? args.filter((_, i) => i !== tierAt && i !== tierAt + 1) : args).filter((a) => a !== '--isolate');
const tiersRead = new Map();
const tierOf = (f) => {
  if (!tiersRead.has(f)) tiersRead.set(f, /@tier\s+(\w+)/.exec(readFileSync(f, 'utf8').slice(0, 2000))?.[1]);
  return tiersRead.get(f);
};
const testDir = process.env.KVPLAY_TEST_DIR || join(root, 'test');
const files = [];
(function walk(d) {
  for (const e of readdirSync(d).sort()) {
    const p = join(d, e);
    if (statSync(p).isDirectory()) walk(p);
    else if (e.endsWith('.test.ts')) files.push(p);
  }
})(testDir);
const matching = files.filter((f) => !filters.length || filters.some((s) => relative(root, f).includes(s)));
const picked = matching.filter((f) => !tierOf(f) || tiers.includes(tierOf(f)));
const otherTier = matching.filter((f) => !picked.includes(f));
if (otherTier.length) process.stdout.write(`not run here (a tier of their own; --tier NAME runs them): ${otherTier.map((f) => `${relative(root, f)} (tier ${tierOf(f)})`).join(', ')}\n`);
// lab tests last: they are slow and the others do not need the lab; a tier's files (the VM lab's
// end-to-end test, `npm test` runs it with --tier vm) after everything else
picked.sort((a, b) => (!!tierOf(a) - !!tierOf(b)) || (a.includes('/lab/') - b.includes('/lab/')) || (a.includes('/e2e/') - b.includes('/e2e/')));

/** Why `f` runs in a process of its own ('' = it joins the one-process batch of unit tests). */
const OWN_DIRS = ['e2e', 'lab', 'roles', 'virt', 'compat', 'bench'];
function ownProcess(f) {
  const src = readFileSync(f, 'utf8');
  if (OWN_DIRS.includes(relative(testDir, f).split('/')[0])) return 'folder';
  if (/@own-process\b/.test(src.slice(0, 2000))) return 'marker';
  if (tierOf(f)) return 'tier';
  if (/from\s+['"][^'"]*\/(?:harness\/sshd|e2e\/helpers)\.js['"]/.test(src)) return 'sshd';
  return '';
}
const together = isolate ? [] : picked.filter((f) => !ownProcess(f));
const alone = picked.filter((f) => !together.includes(f));

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

/** The file's limit: KVPLAY_TEST_FILE_TIMEOUT_S, or longer where its head says `// @timeout-s 1800` (the VM lab test). */
function timeoutOf(f) {
  const own = /@timeout-s\s+(\d+)/.exec(readFileSync(f, 'utf8').slice(0, 2000));
  return own ? Math.max(FILE_TIMEOUT_S, Number(own[1])) : FILE_TIMEOUT_S;
}

/**
 * Adds one file's result to the totals. r: { buf (its output), total, passed, skipped (uvu's
 * counts; undefined when it never printed them), code (exit code, or process.exitCode left by the
 * file), signal, timedOut, crashed (why, for a file of the one-process batch), seconds }.
 */
function account(f, r) {
  const rel = relative(root, f);
  for (const m of r.buf.matchAll(/^SKIPPED: (.*?) -- because: (.*)$/gm)) skips.push({ rel, name: m[1], reason: m[2] });
  const s = r.skipped ?? 0;
  skipped += s;
  const reasons = skips.filter((x) => x.rel === rel).length;
  if (s > reasons) skips.push({ rel, name: `${s - reasons} test(s)`, reason: 'skipped without a reason (test.skip outside test/harness/gate.ts)' });
  const counted = r.total !== undefined && r.passed !== undefined;
  if (r.timedOut) {
    failed += 1 + (counted ? r.total - r.passed : 0);
    failedFiles.push(`${rel} (timed out after ${timeoutOf(f)} s: killed)`);
  } else if (!counted) {
    failed += 1;
    failedFiles.push(`${rel} (crashed, ${r.crashed ?? `exit ${r.code ?? r.signal}`})`);
  } else {
    // uvu: Total counts the tests that were registered to run (skipped ones are not in it)
    const t = r.total, p = r.passed;
    const bad = r.code !== 0 || r.signal;
    passed += p;
    const fl = t - p + (bad && t === p ? 1 : 0);
    failed += fl;
    if (fl) failedFiles.push(bad && t === p ? `${rel} (exit ${r.code || r.signal} after its tests)` : rel);
  }
  process.stdout.write(`--- ${rel}: ${r.seconds.toFixed(1)} s\n`);
}

/**
 * Spawns node+tsx with `argv` in its own process group; `onData(text)` gets its output (stdout and
 * stderr as one ordered stream where `merge` is set); `armed(arm)` receives arm(seconds, label),
 * which (re)starts the limit of the running file: past it, the process group is killed. Resolves { code, signal, timedOut } when the process is gone.
 */
function runNode(argv, { merge, onData, armed }) {
  return new Promise((resolve) => {
    // detached: its own process group, so a hung file is killed with everything it started
    const cmd = merge ? ['/bin/sh', ['-c', 'exec "$0" "$@" 2>&1', process.execPath, ...argv]] : [process.execPath, argv];
    const child = spawn(cmd[0], cmd[1], { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    current = child;
    let timedOut = false;
    let timer;
    let hard;
    const arm = (seconds, label) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        process.stderr.write(`\n!!! ${label}: still running after ${seconds} s: killing its process group\n`);
        killGroup('SIGTERM');
        hard = setTimeout(() => {
          killGroup('SIGKILL');
          // something outside the group may still hold our pipes: stop waiting for them
          hard = setTimeout(() => { child.stdout.destroy(); child.stderr.destroy(); }, 5_000);
        }, 10_000);
      }, seconds * 1000);
    };
    armed(arm);
    // utf8 decoding across chunks: a character split between two reads stays one character
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d) => onData(d, 'out'));
    child.stderr.on('data', (d) => onData(d, 'err'));
    child.on('error', (e) => onData(`\nspawn failed: ${e.message}\n`, 'err'));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(hard);
      // stragglers of a killed file (its group) must not outlive it
      if (timedOut) killGroup('SIGKILL');
      current = null;
      resolve({ code, signal, timedOut });
    });
  });
}

/** One file in a node+tsx process of its own. */
async function runAlone(f) {
  const rel = relative(root, f);
  const t0 = Date.now();
  process.stdout.write(`\n=== ${rel}\n`);
  let buf = '';
  const out = await runNode(['--import', 'tsx', f], {
    onData: (d, stream) => { buf += d; (stream === 'out' ? process.stdout : process.stderr).write(d); },
    armed: (arm) => arm(timeoutOf(f), rel),
  });
  buf = strip(buf);
  const num = (re) => { const m = last(re, buf); return m ? +m[1] : undefined; };
  account(f, { ...out, buf, total: num(/Total:\s+(\d+)/g), passed: num(/Passed:\s+(\d+)/g), skipped: num(/Skipped:\s+(\d+)/g), seconds: (Date.now() - t0) / 1000 });
}

const WORKER = join(root, 'test', 'harness', 'inproc.mjs');

/**
 * The unit test files in ONE node+tsx process (test/harness/inproc.mjs), which marks each file's
 * start and end (with uvu's counts) on its output. Should that process die (crash, timeout), the
 * running file is counted as crashed/timed out and a new process runs the files not started yet.
 */
async function runTogether(batch) {
  let rest = batch;
  while (rest.length) {
    const token = `@@kvplay-test-${randomBytes(8).toString('hex')} `;
    /** the file started last: { i, t0, buf, result (its end marker), done } */
    let cur = null;
    let pre = ''; // output before the first file started (the worker's own start-up)
    let pending = '';
    let finished = false;
    let arm = () => {};
    let crashOf; // the file an exception/rejection that ended the worker came from
    const finish = (extra) => {
      if (!cur || cur.done) return;
      cur.done = true;
      const r = cur.result ?? {};
      account(rest[cur.i], { buf: strip(cur.buf), total: r.total, passed: r.passed, skipped: r.skipped, code: r.code ?? 0, crashed: r.crashed, seconds: ((cur.t1 ?? Date.now()) - cur.t0) / 1000, ...extra });
    };
    const emit = (text) => {
      if (!text) return;
      process.stdout.write(text);
      if (cur) cur.buf += text;
      else pre += text;
    };
    const onMarker = (kind, data) => {
      if (kind === 'start') {
        finish();
        cur = { i: data, t0: Date.now(), buf: pre, done: false };
        pre = '';
        process.stdout.write(`\n=== ${relative(root, rest[data])}\n`);
        arm(timeoutOf(rest[data]), relative(root, rest[data]));
      } else if (kind === 'end') {
        cur.result = data;
        cur.t1 = Date.now();
      } else if (kind === 'crash') {
        crashOf = data;
      } else if (kind === 'done') {
        finish();
        finished = true;
      }
    };
    const onData = (d) => {
      pending += d;
      for (;;) {
        const at = pending.indexOf(token);
        if (at < 0) {
          // hold back a tail that may be the beginning of a marker
          let keep = Math.min(token.length - 1, pending.length);
          while (keep > 0 && !token.startsWith(pending.slice(pending.length - keep))) keep--;
          emit(pending.slice(0, pending.length - keep));
          pending = pending.slice(pending.length - keep);
          return;
        }
        const nl = pending.indexOf('\n', at);
        emit(pending.slice(0, at));
        if (nl < 0) { pending = pending.slice(at); return; }
        const line = pending.slice(at + token.length, nl);
        pending = pending.slice(nl + 1);
        const sp = line.indexOf(' ');
        onMarker(line.slice(0, sp), JSON.parse(line.slice(sp + 1)));
      }
    };
    const out = await runNode(['--import', 'tsx', WORKER, token.trim().slice('@@kvplay-test-'.length), ...rest], { merge: true, onData, armed: (a) => { arm = a; a(FILE_TIMEOUT_S, 'the one-process test worker'); } });
    emit(pending);
    if (finished) return;
    if (!cur) {
      // it died before starting any file: that is the first file's crash (its output above)
      cur = { i: 0, t0: Date.now(), buf: pre, done: false };
      process.stdout.write(`\n=== ${relative(root, rest[0])}\n`);
    }
    if (crashOf !== undefined && crashOf !== cur.i) {
      // an earlier file's leftover code crashed while this one ran: that file failed, this one
      // runs again (in the next worker) unless it had finished
      const rel = relative(root, rest[crashOf]);
      failed += 1;
      failedFiles.push(`${rel} (exit ${out.code ?? out.signal} after its tests: crashed while ${relative(root, rest[cur.i])} ran)`);
      if (cur.result) finish();
      else process.stdout.write(`--- ${relative(root, rest[cur.i])}: not finished (the crash above is ${rel}'s): runs again\n`);
      rest = rest.slice(cur.result ? cur.i + 1 : cur.i);
      continue;
    }
    if (cur.result) finish({ code: out.code ?? 0, signal: out.signal }); // died after its tests
    else finish({ code: out.code, signal: out.signal, timedOut: out.timedOut, crashed: out.timedOut ? undefined : `exit ${out.code ?? out.signal}` });
    rest = rest.slice(cur.i + 1);
  }
}

if (together.length) await runTogether(together);
for (const f of alone) await runAlone(f);
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
