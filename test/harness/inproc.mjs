// The one-process worker of test/run.mjs: imports several *.test.ts files one after the other in
// THIS process (started as `node --import tsx test/harness/inproc.mjs NONCE FILE...`) and runs each
// file's uvu suites right after importing it, so a file's output, counts and failures stay its own.
// Between files it writes marker lines `@@kvplay-test-NONCE start I` / `... end {json}` that
// test/run.mjs uses to split the output and to attribute counts (NONCE: a test cannot fake them).
// A crash (uncaught exception, unhandled rejection, process.exit) ends this process: test/run.mjs
// counts the running file as crashed and starts a new worker for the files not started yet. An
// exception or rejection is charged to the file whose code started it (AsyncLocalStorage), even
// when it fires while a later file runs (a marker `crash I` says which; the later file runs again).
// Per file, process.env, the working directory and process.exitCode are put back as they were, and
// tests registered on uvu's shared `test` but never `.run()` are dropped (as in a process of their
// own), not run with the next file's.
import { AsyncLocalStorage } from 'node:async_hooks';
import { pathToFileURL } from 'node:url';

const [nonce, ...files] = process.argv.slice(2);
const mark = (kind, data) => process.stdout.write(`@@kvplay-test-${nonce} ${kind} ${JSON.stringify(data)}\n`);

// uvu: with UVU_DEFER set before it loads, `suite.run()` only queues the suite into
// UVU_QUEUE[UVU_INDEX] (as uvu's own CLI does for several files); we run the queue ourselves.
globalThis.UVU_DEFER = 1;
globalThis.UVU_QUEUE = [];
const { test: sharedTest } = await import('uvu');

let current = -1;
/** the index of the file whose import or tests started the running async code */
const owner = new AsyncLocalStorage();
const crash = (what) => (err) => {
  const i = owner.getStore() ?? current;
  process.stdout.write(`\n${what} in ${files[i] ?? 'the test worker'}:\n${err?.stack ?? String(err)}\n`);
  if (i >= 0) mark('crash', i);
  process.exit(1);
};
process.on('uncaughtException', crash('uncaught exception'));
process.on('unhandledRejection', crash('unhandled rejection'));

const tick = () => new Promise((r) => setTimeout(r, 0));
const DISCARD = files.length;

for (let i = 0; i < files.length; i++) {
  current = i;
  const env = { ...process.env };
  const cwd = process.cwd();
  globalThis.UVU_INDEX = i;
  globalThis.UVU_QUEUE[i] = [];
  mark('start', i);
  const { crashed, total, passed, skipped, t0 } = await owner.run(i, async () => {
    const t0 = process.hrtime.bigint();
    let crashed = '';
    try {
      await import(pathToFileURL(files[i]).href);
      await tick(); // a `test.run()` deferred by a tick still belongs to this file
    } catch (e) {
      process.stdout.write(`\n${e?.stack ?? String(e)}\n`);
      crashed = `import failed: ${String(e?.message ?? e).split('\n')[0]}`;
    }
    // tests left on uvu's shared `test` without a `.run()`: dropped, not run with the next file's
    globalThis.UVU_INDEX = DISCARD;
    globalThis.UVU_QUEUE[DISCARD] = [];
    sharedTest.run();
    globalThis.UVU_QUEUE[DISCARD] = [];
    globalThis.UVU_INDEX = i;
    const queued = crashed ? [] : globalThis.UVU_QUEUE[i];
    if (!crashed && !queued.length) crashed = 'no suite ran (no test.run()?)';
    let total = 0, passed = 0, skipped = 0;
    for (const run of queued) {
      const [errs, ran, skip, max] = await run();
      total += max; passed += ran; skipped += skip;
      if (errs !== true) process.stdout.write(`\n${errs}\n`);
    }
    globalThis.UVU_QUEUE[i] = [];
    await tick(); // rejections and exceptions right after the tests are still this file's
    return { crashed, total, passed, skipped, t0 };
  });
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  if (!crashed) {
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    process.stdout.write(`\n  Total:     ${total}\n  Passed:    ${passed}\n  Skipped:   ${skipped}\n  Duration:  ${ms.toFixed(2)}ms\n\n`);
  }
  for (const k of Object.keys(process.env)) if (!(k in env)) delete process.env[k];
  for (const [k, v] of Object.entries(env)) if (process.env[k] !== v) process.env[k] = v;
  if (process.cwd() !== cwd) process.chdir(cwd);
  mark('end', crashed ? { crashed } : { total, passed, skipped, code });
}
current = -1;
mark('done', files.length);
process.exit(0);
