/**
 * The persistent remote shell: one long-lived `sh` on an SSH exec channel, fed framed commands
 * (see framing.ts) one at a time. Also the sudo handshake that turns a fresh channel into a
 * become shell. No ssh2 import: works on any duplex channel with a separate stderr stream.
 */
import { MarkerScanner, commandScript, newMarker, randomToken } from './framing.js';
import { q } from './quote.js';

/** The parts of an ssh2 ClientChannel used here. */
export interface ShellChannel {
  write(data: string | Buffer): boolean;
  on(event: 'data', fn: (d: Buffer) => void): unknown;
  on(event: 'close', fn: () => void): unknown;
  removeListener(event: string, fn: (...a: any[]) => void): unknown;
  stderr: { on(event: 'data', fn: (d: Buffer) => void): unknown; removeListener(event: string, fn: (...a: any[]) => void): unknown };
  close(): void;
  signal?(name: string): void;
}

export interface RawResult {
  code: number;
  stdout: Buffer;
  stderr: Buffer;
  timedOut?: boolean;
}

interface Pending {
  out: MarkerScanner;
  err: MarkerScanner;
  resolve: (r: RawResult) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
}

/**
 * One `sh` process. Not a queue itself: the caller runs one command at a time (the transport
 * keeps one lane per shell key). After a timeout or channel close the shell is `dead` and the
 * caller opens a new one.
 */
export class RemoteShell {
  dead = false;
  /** Remote pid and process group of the shell (for killing a timed-out command's tree). */
  pid = 0;
  pgid = 0;
  private current: Pending | null = null;
  private discarded = false;

  /**
   * @param onUnexpectedClose decides what a pending command gets when the channel closes by
   *   itself (connection lost vs. shell died); called with the pending callbacks.
   */
  constructor(
    private readonly ch: ShellChannel,
    private readonly onUnexpectedClose: (resolve: (r: RawResult) => void, reject: (e: Error) => void) => void,
  ) {
    ch.on('data', (d: Buffer) => this.feed(d, false));
    ch.stderr.on('data', (d: Buffer) => this.feed(d, true));
    ch.on('close', () => {
      this.dead = true;
      const p = this.current;
      this.current = null;
      if (!p) return;
      if (p.timer) clearTimeout(p.timer);
      this.onUnexpectedClose(p.resolve, p.reject);
    });
  }

  /** Learn pid/pgid: the first command on every new shell. */
  async init(): Promise<void> {
    const r = await this.run(`echo $$ "$(ps -o pgid= -p $$ 2>/dev/null || cut -d' ' -f5 /proc/$$/stat 2>/dev/null)"`);
    const [pid, pgid] = r.stdout.toString().trim().split(/\s+/).map(Number);
    this.pid = pid || 0;
    this.pgid = pgid || 0;
  }

  /** Run an already-built framed script (framing.commandScript) whose marker is `marker`. */
  runScript(script: string, marker: string, timeoutMs?: number): Promise<RawResult> {
    if (this.dead) return Promise.reject(new Error('shell is closed'));
    if (this.current) return Promise.reject(new Error('internal: shell busy'));
    return new Promise<RawResult>((resolve, reject) => {
      const p: Pending = { out: new MarkerScanner(marker, true), err: new MarkerScanner(marker, false), resolve, reject };
      if (timeoutMs && timeoutMs > 0) {
        p.timer = setTimeout(() => {
          if (this.current !== p) return;
          this.current = null;
          resolve({ code: 124, stdout: p.out.partial(), stderr: p.err.partial(), timedOut: true });
          this.discard();
        }, timeoutMs);
      }
      this.current = p;
      this.ch.write(script);
    });
  }

  /** Convenience for internal commands (no stdin, no timeout). */
  run(cmd: string): Promise<RawResult> {
    const marker = newMarker();
    return this.runScript(commandScript(cmd, marker), marker);
  }

  /** Kill the shell by closing its channel (sshd then drops the session). */
  discard(): void {
    this.dead = true;
    if (this.discarded) return;
    this.discarded = true;
    try { this.ch.signal?.('KILL'); } catch { /* older servers ignore it */ }
    try { this.ch.close(); } catch { /* already closed */ }
  }

  /** Connection lost: fail the running command. */
  fail(err: Error): void {
    this.dead = true;
    const p = this.current;
    this.current = null;
    if (p) { if (p.timer) clearTimeout(p.timer); p.reject(err); }
  }

  private feed(d: Buffer, isErr: boolean): void {
    const p = this.current;
    if (!p) return; // stray output between commands (e.g. a background job): dropped
    (isErr ? p.err : p.out).push(d);
    const out = p.out.result();
    const err = out && p.err.result();
    if (!out || !err) return;
    this.current = null;
    if (p.timer) clearTimeout(p.timer);
    p.resolve({ code: parseInt(out.trailer.trim(), 10), stdout: out.body, stderr: err.body });
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
export function sudoShellCommand(user: string, prompt: string, ready: string): string {
  return `exec sudo -H -S -p ${q(prompt)} -u ${q(user)} -- sh -c ${q(`echo ${ready}; exec sh`)}`;
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
  opts: { host: string; user: string; password?: string; prompt: string; ready: string; timeoutMs: number },
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
    const what = `become (sudo -u ${opts.user}) on ${opts.host}`;
    const onOut = (d: Buffer) => {
      out += d.toString('utf8');
      if (out.includes(opts.ready)) finish();
    };
    const onErr = (d: Buffer) => {
      err += d.toString('utf8');
      const prompts = err.split(opts.prompt).length - 1;
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
