/**
 * Framing + RemoteShell without SSH: a local `sh` behind a fake channel that re-chunks its
 * output at random sizes (1 byte and up), so markers split across chunks and batches whose
 * commands' outputs share one chunk are exercised.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { MarkerScanner, commandScript, newMarker } from '../../src/transport/framing.js';
import { RemoteShell, type ShellChannel } from '../../src/transport/shell.js';

/** A ShellChannel over a local sh; `maxChunk` bounds the random re-chunking. */
function localChannel(maxChunk: number): ShellChannel & { proc: ChildProcessWithoutNullStreams } {
  const proc = spawn('sh', [], { stdio: ['pipe', 'pipe', 'pipe'], detached: true }); // own group: close() kills the tree
  const out = new EventEmitter();
  const err = new EventEmitter();
  const rechunk = (em: EventEmitter) => (d: Buffer) => {
    for (let i = 0; i < d.length;) {
      const n = 1 + Math.floor(Math.random() * maxChunk);
      em.emit('data', d.subarray(i, i + n));
      i += n;
    }
  };
  proc.stdout.on('data', rechunk(out));
  proc.stderr.on('data', rechunk(err));
  proc.on('exit', () => out.emit('close'));
  // a write after close() gives EPIPE: the shell is gone, which the tests see through 'close'
  proc.stdin.on('error', () => {});
  proc.on('error', (e) => err.emit('data', Buffer.from(`spawn failed: ${e.message}`)));
  return {
    proc,
    write: (d) => proc.stdin.write(d),
    on: (ev: string, fn: (...a: any[]) => void) => out.on(ev, fn),
    removeListener: (ev, fn) => out.removeListener(ev, fn),
    stderr: { on: (ev, fn) => err.on(ev, fn), removeListener: (ev, fn) => err.removeListener(ev, fn) },
    close: () => { try { process.kill(-proc.pid!, 'SIGKILL'); } catch { /* gone */ } },
  } as ShellChannel & { proc: ChildProcessWithoutNullStreams };
}

test('MarkerScanner finds a marker split across 1-byte chunks and returns the rest', () => {
  const m = newMarker();
  const sc = new MarkerScanner(m, true);
  const data = Buffer.from(`abc${m} 42\nnext`);
  for (const b of data) sc.push(Buffer.from([b]));
  const r = sc.result()!;
  assert.is(r.body.toString(), 'abc');
  assert.is(r.trailer, ' 42');
  assert.is(r.rest.toString(), 'next');
  const partial = new MarkerScanner(m, true);
  partial.push(Buffer.from(`x${m} 1`));
  assert.is(partial.result(), null, 'waits for the end of the trailer line');
  assert.is(partial.partial().toString(), 'x');
});

test('commandScript: output exact, exit codes, stdin via base64 heredoc (local sh)', async () => {
  for (const maxChunk of [1, 7, 4096]) {
    const ch = localChannel(maxChunk);
    const sh = new RemoteShell(ch, (_res, rej) => rej(new Error('closed')));
    await sh.init();
    assert.ok(sh.pid > 0);
    const m = [newMarker(), newMarker(), newMarker()];
    const script = commandScript(`printf 'a\\n\\n'; printf ' e ' >&2; exit 3`, m[0])
      + commandScript('cat; printf x >&2', m[1], 'in\nKVPLAY_EOF\n\u0001')
      + commandScript("printf '%s' \"$0\" | wc -c >/dev/null; printf end", m[2]);
    const rs = await sh.runBatch(script, m);
    assert.equal(rs.map((r) => [r.code, r.stdout.toString(), r.stderr.toString()]), [
      [3, 'a\n\n', ' e '],
      [0, 'in\nKVPLAY_EOF\n\u0001', 'x'],
      [0, 'end', ''],
    ], `maxChunk ${maxChunk}`);
    sh.discard();
  }
});

test('runBatch timeout: finished commands keep results, the rest get 124', async () => {
  const ch = localChannel(64);
  const sh = new RemoteShell(ch, (_res, rej) => rej(new Error('closed')));
  const m = [newMarker(), newMarker(), newMarker()];
  const script = commandScript('echo one', m[0]) + commandScript('echo two; sleep 5', m[1]) + commandScript('echo three', m[2]);
  const rs = await sh.runBatch(script, m, 2000); // room for a busy machine to start sh; `sleep 5` still times out
  assert.equal(rs.map((r) => [r.code, r.stdout.toString(), !!r.timedOut]), [[0, 'one\n', false], [124, 'two\n', true], [124, '', true]]);
  assert.ok(sh.dead);
});

test('a channel that closes mid-command reaches onUnexpectedClose', async () => {
  const ch = localChannel(4096);
  let called = 0;
  const sh = new RemoteShell(ch, (_res, rej, count) => { called = count; rej(new Error('gone')); });
  const m = newMarker();
  const p = sh.runBatch(commandScript('sleep 5', m), [m]).catch((e: Error) => e.message);
  setTimeout(() => ch.close(), 100);
  assert.is(await p, 'gone');
  assert.is(called, 1);
});

test.run();
