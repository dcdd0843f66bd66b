#!/usr/bin/env node
// Runs every test/**/*.test.ts in its own Node process (uvu + tsx), sums the counts and prints
// a final "N passed, N failed" line. A file that crashes without uvu's totals counts as 1 failed.
// Usage: node test/run.mjs [SUBSTRING...]   (only files whose path contains one of the substrings)
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);
const files = [];
(function walk(d) {
  for (const e of readdirSync(d).sort()) {
    const p = join(d, e);
    if (statSync(p).isDirectory()) walk(p);
    else if (e.endsWith('.test.ts')) files.push(p);
  }
})(join(root, 'test'));
const picked = files.filter((f) => !filters.length || filters.some((s) => relative(root, f).includes(s)));
// lab tests last: they are slow and the others do not need the lab
picked.sort((a, b) => (a.includes('/lab/') - b.includes('/lab/')) || (a.includes('/e2e/') - b.includes('/e2e/')));

let passed = 0;
let failed = 0;
let skipped = 0;
const failedFiles = [];
const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');
for (const f of picked) {
  const rel = relative(root, f);
  const t0 = Date.now();
  process.stdout.write(`\n=== ${rel}\n`);
  const out = await new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', f], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    let buf = '';
    child.stdout.on('data', (d) => { buf += d; process.stdout.write(d); });
    child.stderr.on('data', (d) => { buf += d; process.stderr.write(d); });
    child.on('close', (code) => resolve({ code, buf: strip(buf) }));
  });
  const total = /Total:\s+(\d+)/.exec(out.buf);
  const pass = /Passed:\s+(\d+)/.exec(out.buf);
  const skip = /Skipped:\s+(\d+)/.exec(out.buf);
  if (!total || !pass) {
    failed += 1;
    failedFiles.push(`${rel} (crashed, exit ${out.code})`);
  } else {
    const t = +total[1], p = +pass[1], s = skip ? +skip[1] : 0;
    passed += p;
    skipped += s;
    const fl = t - p - s + (out.code !== 0 && t - p - s === 0 ? 1 : 0);
    failed += fl;
    if (fl) failedFiles.push(rel);
  }
  process.stdout.write(`--- ${rel}: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}
if (failedFiles.length) process.stdout.write(`\nfailing files:\n  ${failedFiles.join('\n  ')}\n`);
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed ? 1 : 0);
