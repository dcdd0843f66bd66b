/**
 * The persistent remote shell: one long-lived `sh` on an SSH exec channel, fed framed commands
 * (see framing.ts) one at a time. Also the sudo handshake that turns a fresh channel into a
 * become shell. No ssh2 import: works on any duplex channel with a separate stderr stream.
 */
import { MarkerScanner, commandScript, newMarker, randomToken } from './framing.js';
import { q } from '../util/quote.js';
import { OUT_SLOTS, SWEEP, outputPrelude } from './remote-sh.js';
import type { Become } from './types.js';

/** The parts of an ssh2 ClientChannel used here. */
export interface ShellChannel {
  write(data: string | Buffer): boolean;
  on(event: 'data', fn: (d: Buffer) => void): unknown;
  on(event: 'close', fn: () => void): unknown;
  removeListener(event: 'data', fn: (d: Buffer) => void): unknown;
  stderr: { on(event: 'data', fn: (d: Buffer) => void): unknown; removeListener(event: 'data', fn: (d: Buffer) => void): unknown };
  close(): void;
  /** EOF on the shell's stdin */
  end?(): void;
  signal?(name: string): void;
}

export interface RawResult {
  code: number;
  stdout: Buffer;
  stderr: Buffer;
  timedOut?: boolean;
}

/** One write to the shell: one or more framed commands, cut apart by their markers. */
interface Pending {
  markers: string[];
  /** Per stream: index of the command being read, its scanner, finished parts. */
  outIdx: number;
  errIdx: number;
  out: MarkerScanner;
  err: MarkerScanner;
  outs: { body: Buffer; trailer: string }[];
  errs: Buffer[];
  resolve: (r: RawResult[]) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
}

/**
 * One `sh` process. Not a queue itself: the caller runs one batch at a time (the transport
 * keeps one lane per shell key). After a timeout or channel close the shell is `dead` and the
 * caller opens a new one.
 */
export class RemoteShell {
  dead = false;
  /** Remote pid of the shell (the running command's tree is below it: timeouts, interrupts). */
  pid = 0;
  /** The shell's parent: for the login shell, the connection's sshd process. */
  ppid = 0;
  /** The shell's private output dir (remote-sh.ts); '' when it has none (commands then stream). */
  outDir = '';
  /** false: after a timeout the owner kills the command's tree first, then calls discard(). */
  discardOnTimeout = true;
  private current: Pending | null = null;
  private discarded = false;
  private nextSlot = 0;

  /**
   * @param onUnexpectedClose decides what a pending batch gets when the channel closes by
   *   itself (connection lost vs. shell died); called with the pending callbacks.
   */
  constructor(
    private readonly ch: ShellChannel,
    private readonly onUnexpectedClose: (resolve: (r: RawResult[]) => void, reject: (e: Error) => void, count: number) => void,
  ) {
    ch.on('data', (d: Buffer) => this.feed(d, false));
    ch.stderr.on('data', (d: Buffer) => this.feed(d, true));
    ch.on('close', () => {
      this.dead = true;
      const p = this.current;
      this.current = null;
      if (!p) return;
      if (p.timer) clearTimeout(p.timer);
      this.onUnexpectedClose(p.resolve, p.reject, p.markers.length);
    });
  }

  /**
   * The first command on every new shell: removes this user's stale kvplay temp dirs, makes the
   * shell's output dir (remote-sh.ts), and learns pid and ppid. Its output also absorbs anything
   * a login rc file printed before the shell started reading (hence the KVPID tag).
   */
  async init(): Promise<void> {
    // the setup runs in the shell itself (not in a command's subshell): its functions, variables and trap stay
    const marker = newMarker();
    const script = SWEEP + outputPrelude(randomToken(8))
      + commandScript('echo "KVPID $$ $PPID $__kv_d"', marker);
    const [r] = await this.runBatch(script, [marker]);
    const m = /KVPID (\d+) (\d+) ?(\S*)\s*$/.exec(r.stdout.toString('latin1'));
    this.pid = m ? Number(m[1]) : 0;
    this.ppid = m ? Number(m[2]) : 0;
    this.outDir = m ? m[3] : '';
  }

  /** A command is running (or a batch is pending). */
  get busy(): boolean {
    return this.current !== null;
  }

  /**
   * The script for a batch: each command with `ownOutput` gets an output slot (its own files);
   * when slot numbers wrap, all old files are removed first (fresh inodes: a background child
   * still writing to an old file never reaches a new command's output).
   */
  frame(cmds: { body: string; stdin?: string | Buffer; ownOutput?: boolean }[]): { script: string; markers: string[]; slots: (number | undefined)[] } {
    const markers = cmds.map(() => newMarker());
    const slots: (number | undefined)[] = [];
    let script = '';
    cmds.forEach((c, i) => {
      let slot: number | undefined;
      if (c.ownOutput && this.outDir) {
        slot = this.nextSlot;
        this.nextSlot = (this.nextSlot + 1) % OUT_SLOTS;
        if (slot === 0) script += '__kv_gc\n';
      }
      slots.push(slot);
      script += commandScript(c.body, markers[i], c.stdin, slot);
    });
    return { script, markers, slots };
  }

  /** Paths of a slot's output files. */
  slotFiles(slot: number): { dir: string; out: string; err: string } {
    return { dir: this.outDir, out: `${this.outDir}/o${slot}`, err: `${this.outDir}/e${slot}` };
  }

  /**
   * Write already-built framed scripts (framing.commandScript, concatenated) whose markers are
   * `markers`, in order, and collect one result per marker. The timeout covers the whole batch;
   * on timeout every unfinished command gets code 124 (with its partial output).
   */
  runBatch(script: string, markers: string[], timeoutMs?: number): Promise<RawResult[]> {
    if (this.dead) return Promise.reject(new Error('shell is closed'));
    if (this.current) return Promise.reject(new Error('internal: shell busy'));
    return new Promise<RawResult[]>((resolve, reject) => {
      const p: Pending = {
        markers, outIdx: 0, errIdx: 0, outs: [], errs: [], resolve, reject,
        out: new MarkerScanner(markers[0], true), err: new MarkerScanner(markers[0], false),
      };
      if (timeoutMs && timeoutMs > 0) {
        p.timer = setTimeout(() => {
          if (this.current !== p) return;
          this.current = null;
          resolve(markers.map((_, i) => {
            const done = i < p.outIdx && i < p.errIdx;
            if (done) return { code: parseInt(p.outs[i].trailer.trim(), 10), stdout: p.outs[i].body, stderr: p.errs[i] };
            const stdout = i < p.outIdx ? p.outs[i].body : i === p.outIdx ? p.out.partial() : Buffer.alloc(0);
            const stderr = i < p.errIdx ? p.errs[i] : i === p.errIdx ? p.err.partial() : Buffer.alloc(0);
            return { code: 124, stdout, stderr, timedOut: true };
          }));
          this.dead = true;
          if (this.discardOnTimeout) this.discard();
        }, timeoutMs);
      }
      this.current = p;
      this.ch.write(script);
    });
  }

  /** Kill the shell by closing its channel (sshd then drops the session). */
  discard(): void {
    this.dead = true;
    if (this.discarded) return;
    this.discarded = true;
    try { this.ch.signal?.('KILL'); } catch { /* older servers ignore it */ }
    try { this.ch.close(); } catch { /* already closed */ }
  }

  /** Let an idle shell exit by itself (EOF on its stdin): its EXIT trap cleans up. */
  end(): void {
    this.dead = true;
    if (this.discarded) return;
    this.discarded = true;
    try { this.ch.end ? this.ch.end() : this.ch.close(); } catch { /* already closed */ }
  }

  /** Connection lost: fail the running batch. */
  fail(err: Error): void {
    this.dead = true;
    const p = this.current;
    this.current = null;
    if (p) { if (p.timer) clearTimeout(p.timer); p.reject(err); }
  }

  private feed(d: Buffer, isErr: boolean): void {
    const p = this.current;
    if (!p) return; // stray output between batches (e.g. a background job): dropped
    const n = p.markers.length;
    let chunk: Buffer = d;
    // One chunk may finish one command and start the next: hand the rest on.
    while (chunk.length) {
      const idx = isErr ? p.errIdx : p.outIdx;
      if (idx >= n) break; // trailing stray bytes
      const sc = isErr ? p.err : p.out;
      sc.push(chunk);
      const r = sc.result();
      if (!r) break;
      chunk = r.rest;
      if (isErr) {
        p.errs.push(r.body);
        if (++p.errIdx < n) p.err = new MarkerScanner(p.markers[p.errIdx], false);
      } else {
        p.outs.push(r);
        if (++p.outIdx < n) p.out = new MarkerScanner(p.markers[p.outIdx], true);
      }
    }
    if (p.outIdx < n || p.errIdx < n) return;
    this.current = null;
    if (p.timer) clearTimeout(p.timer);
    p.resolve(p.outs.map((o, i) => ({ code: parseInt(o.trailer.trim(), 10), stdout: o.body, stderr: p.errs[i] })));
  }
}

/** Thrown (and turned into a failed ExecResult) when sudo does not give us a shell. */
export class BecomeFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BecomeFailure';
  }
}

/** The command line that starts a become shell; prompt and ready marker are random per shell. */
function sudoShellCommand(user: string, prompt: string, ready: string): string {
  return `exec sudo -H -S -p ${q(prompt)} -u ${q(user)} -- sh -c ${q(`echo ${ready}; exec sh`)}`;
}

/** The become shell's command line for sudo or (become_method su) `su USER -c`, which asks with the system's prompt. */
export function becomeShellCommand(b: Become, prompt: string, ready: string): string {
  return b.method === 'su' ? `exec su ${q(b.user)} -c ${q(`echo ${ready}; exec sh`)}` : sudoShellCommand(b.user, prompt, ready);
}

export function newSudoTokens(): { prompt: string; ready: string } {
  return { prompt: `[kvplay-sudo-${randomToken(8)}]`, ready: `KVPLAY_BECOME_READY_${randomToken(8)}` };
}

/**
 * Drive sudo on a fresh channel until the target shell says it is ready. Answers the (random)
 * password prompt once; a second prompt means the password was wrong. The password is never
 * part of any message: sudo's stderr is shown with prompts removed and the password redacted.
 */
export function awaitSudoReady(
  ch: ShellChannel,
  opts: { host: string; user: string; password?: string; prompt: string; ready: string; timeoutMs: number; method?: 'su' },
): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    let answered = false;
    let settled = false;
    const clean = () =>
      err.split(opts.prompt).join('').split(opts.password || '\u0000never').join('***').trim().slice(0, 500);
    const finish = (e?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ch.removeListener('data', onOut);
      ch.stderr.removeListener('data', onErr);
      if (e) { try { ch.close(); } catch { /* gone */ } reject(e); } else resolve();
    };
    const what = opts.method === 'su' ? `become (su ${opts.user}) on ${opts.host}` : `become (sudo -u ${opts.user}) on ${opts.host}`;
    const onOut = (d: Buffer) => {
      out += d.toString('utf8');
      if (out.includes(opts.ready)) finish();
    };
    const onErr = (d: Buffer) => {
      err += d.toString('utf8');
      // su asks with the system's prompt ("Password: "), a line ending in a colon, and says "Authentication failure"
      if (opts.method === 'su' && /Authentication failure/.test(err)) return finish(new BecomeFailure(`${what} failed: incorrect become password`));
      const prompts = opts.method === 'su' ? (err.match(/:[ \t]*(?=\n|$)/g) ?? []).length : err.split(opts.prompt).length - 1;
      if (prompts === 0) return;
      if (!opts.password) {
        finish(new BecomeFailure(`${what} failed: become password required (set ansible_become_password or KVPLAY_BECOME_PASSWORD)`));
      } else if (prompts === 1 && !answered) {
        answered = true;
        ch.write(opts.password + '\n');
      } else if (prompts > 1) {
        finish(new BecomeFailure(`${what} failed: incorrect become password`));
      }
    };
    const timer = setTimeout(() => finish(new BecomeFailure(`${what} failed: no answer from sudo within ${opts.timeoutMs} ms${clean() ? `: ${clean()}` : ''}`)), opts.timeoutMs);
    ch.on('data', onOut);
    ch.stderr.on('data', onErr);
    ch.on('close', () => finish(new BecomeFailure(`${what} failed${clean() ? `: ${clean()}` : ' (sudo exited)'}`)));
  });
}
