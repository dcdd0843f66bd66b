/**
 * SSH transport: one persistent ssh2 connection per host, and on it one persistent `sh` (plus
 * one per become user) fed framed commands (framing.ts, shell.ts). Connecting: ssh-connect.ts
 * (with this file the only modules importing ssh2).
 *
 * Speed: a command on the persistent shell costs one channel-data round trip; a fresh exec
 * channel costs open + exec request + exit-status + close (see bench/transport-rtt.ts).
 *
 * On the host, kvplay leaves nothing behind (remote-sh.ts): each shell's output files and each
 * connection's SFTP staging live in private dirs that the next shell of the same user removes
 * once their owner is gone (also after kill -9 of kvplay); a staged payload is unlinked as soon
 * as its command has it open.
 */
import { createHash } from 'node:crypto';
import type { ClientChannel } from 'ssh2';
import { UnreachableError } from '../util/errors.js';
import { hostLookupName } from './knownhosts.js';
import { wrapCommand } from './local.js';
import { interruptScript, timeoutKillScript } from './remote-sh.js';
import { SftpUploader, SFTP_THRESHOLD, withStdinFile, type SftpClientLike } from './sftp.js';
import { BecomeFailure, RemoteShell, awaitSudoReady, becomeShellCommand, newSudoTokens, type RawResult } from './shell.js';
import { openSsh, type SshClient } from './ssh-connect.js';
import type { Become, ExecOptions, ExecResult, Transport } from './types.js';
import type { SshOptions } from './ssh-options.js';

export type { SshOptions } from './ssh-options.js';

function toResult(r: RawResult): ExecResult {
  return { code: r.code, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), ...(r.timedOut ? { timedOut: true } : {}) };
}

export class SshTransport implements Transport {
  readonly name: string;
  /** Number of SSH connections opened to the target (tests assert it stays 1). */
  connects = 0;
  private client?: SshClient;
  private jumpClient?: SshClient;
  /** large stdin payloads over SFTP (src/transport/sftp.ts), staged in this connection's dir */
  readonly sftp = new SftpUploader(() => this.client as unknown as SftpClientLike, () => this.connPid);
  /** The connection's sshd process on the host (the login shell's parent): owner of the staging dir. */
  private connPid = 0;
  private connecting?: Promise<void>;
  private lost?: UnreachableError;
  private closed = false;
  private interrupted = false;
  /** Live shells by key ('' = login user, else become user) and their command lanes. */
  private shells = new Map<string, RemoteShell>();
  private lanes = new Map<string, Promise<unknown>>();
  /** The become of each shell key (housekeeping runs as the shell's user). */
  private becomes = new Map<string, Become | null>();
  /** sudo rejected this user+password: do not retry it (each try costs seconds and may lock the account). */
  private badBecome = new Map<string, BecomeFailure>();
  private readonly timeoutMs: number;

  /** The options as given (createTransport tests inspect them). */
  constructor(readonly options: SshOptions) {
    this.name = options.name;
    this.timeoutMs = options.connectTimeoutMs ?? 10_000;
  }

  private get o(): SshOptions {
    return this.options;
  }

  private get where(): string {
    return `${this.o.name} (${this.o.user}@${hostLookupName(this.o.host, this.o.port)})`;
  }

  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new UnreachableError(`${this.where}: transport already closed`));
    if (this.lost) return Promise.reject(this.lost);
    this.connecting ??= this.doConnect().catch((e) => {
      this.connecting = undefined; // a later connect() may retry
      throw e;
    });
    return this.connecting;
  }

  private async doConnect(): Promise<void> {
    try {
      await this.openConnection();
      if (this.closed) { // close() was called while we were connecting
        this.client?.end();
        throw new UnreachableError(`${this.where}: transport closed while connecting`);
      }
      // the login shell now: its first command removes this user's stale kvplay dirs on the host
      // (left by a killed kvplay), and it names the connection's sshd process (staging dir owner);
      // a failure here shows at the first command
      await this.lane('', () => this.shellFor('', null)).catch(() => undefined);
    } catch (e) {
      this.jumpClient?.end(); // no half-open tunnel left behind
      this.jumpClient = undefined;
      throw e;
    }
  }

  private async openConnection(): Promise<void> {
    const { client, jump } = await openSsh(this.o, this.where, this.timeoutMs);
    this.jumpClient = jump;
    this.client = client;
    this.connects++;
    client.on('error', () => { /* followed by 'close' */ });
    client.on('close', () => this.onLost());
  }

  private onLost(): void {
    if (this.closed || this.lost) return;
    this.lost = new UnreachableError(`${this.where}: connection lost`, 'the host or its sshd went away (crash, reboot, network)');
    for (const sh of this.shells.values()) sh.fail(this.lost);
    this.shells.clear();
    this.jumpClient?.end();
  }

  /** Open an exec channel, retrying briefly when sshd is out of session slots (MaxSessions). */
  private async openExec(cmd: string): Promise<ClientChannel> {
    for (let attempt = 0; ; attempt++) {
      if (this.lost) throw this.lost;
      if (!this.client) throw new UnreachableError(`${this.where}: not connected`);
      try {
        const ch = await new Promise<ClientChannel>((resolve, reject) => this.client!.exec(cmd, (err, c) => (err ? reject(err) : resolve(c))));
        // e.g. a write racing the channel's close: never an unhandled 'error' event
        ch.on('error', () => undefined);
        ch.stderr.on('error', () => undefined);
        return ch;
      } catch (e) {
        if (this.lost) throw this.lost;
        if (attempt >= 5 || !/open failed|channel/i.test((e as Error).message)) throw new UnreachableError(`${this.where}: cannot open a session channel: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      }
    }
  }

  /** What a command gets when its shell's channel closes by itself. */
  private shellClosed = (resolve: (r: RawResult[]) => void, reject: (e: Error) => void, count: number): void => {
    // A crash closes channels and the connection together: give the connection's close a moment.
    setTimeout(() => {
      if (this.lost) reject(this.lost);
      else if (this.closed) reject(new UnreachableError(`${this.where}: transport closed while a command was running`));
      else resolve(Array.from({ length: count }, () => ({ code: 255, stdout: Buffer.alloc(0), stderr: Buffer.from(`kvplay: the remote shell on ${this.o.name} exited unexpectedly\n`) })));
    }, 100);
  };

  /** The live shell for a key, opening (and for become: sudo-ing) a new one if needed. */
  private async shellFor(key: string, become: Become | null): Promise<RemoteShell> {
    const cur = this.shells.get(key);
    if (cur && !cur.dead) return cur;
    let shell: RemoteShell;
    if (!become) {
      shell = new RemoteShell(await this.openExec('exec sh'), this.shellClosed);
    } else {
      const failKey = `${become.method ?? 'sudo'}\0${become.user}\0${createHash('sha256').update(become.password ?? '').digest('hex')}`;
      const known = this.badBecome.get(failKey);
      if (known) throw known;
      const { prompt, ready } = newSudoTokens();
      const ch = await this.openExec(becomeShellCommand(become, prompt, ready));
      try {
        await awaitSudoReady(ch, { host: this.o.name, user: become.user, password: become.password, prompt, ready, timeoutMs: this.timeoutMs, ...(become.method ? { method: become.method } : {}) });
      } catch (e) {
        if (e instanceof BecomeFailure && /incorrect become password/.test(e.message)) this.badBecome.set(failKey, e);
        throw e;
      }
      shell = new RemoteShell(ch, this.shellClosed);
    }
    shell.discardOnTimeout = false; // runFramed kills the command's tree first, then the shell
    await shell.init();
    if (!become && !this.connPid) this.connPid = shell.ppid;
    this.shells.set(key, shell);
    this.becomes.set(key, become);
    return shell;
  }

  /** Serialize jobs per shell key; a job sees the current live shell (a timed-out one is replaced). */
  private lane<T>(key: string, job: () => Promise<T>): Promise<T> {
    const prev = this.lanes.get(key) ?? Promise.resolve();
    const next = prev.then(job, job);
    this.lanes.set(key, next.catch(() => undefined));
    return next;
  }

  private becomeKey(b?: Become | null): { key: string; become: Become | null } {
    if (!b || b.user === this.o.user) return { key: '', become: null };
    return { key: `become:${b.method ?? 'sudo'}:${b.user}`, become: b };
  }

  /**
   * A housekeeping script on a FRESH channel as the user of a shell (through sudo for a become
   * shell, whose processes the login user may not signal). Bounded by the connect timeout.
   */
  private async runAs(become: Become | null, script: string): Promise<ExecResult> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('no answer')), this.timeoutMs); });
    const job = async (): Promise<ExecResult> => {
      if (!become) return this.execRaw(script);
      const { prompt, ready } = newSudoTokens();
      const ch = await this.openExec(becomeShellCommand(become, prompt, ready));
      await awaitSudoReady(ch, { host: this.o.name, user: become.user, password: become.password, prompt, ready, timeoutMs: this.timeoutMs, ...(become.method ? { method: become.method } : {}) });
      return this.collect(ch, script);
    };
    try {
      return await Promise.race([job(), limit]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A timed-out batch: SIGKILL the command's tree and the shell (not what earlier commands left
   * running: see remote-sh.ts), and take the command's partial output from its files.
   */
  private async killTimedOut(key: string, shell: RemoteShell, rs: RawResult[], slots: (number | undefined)[]): Promise<void> {
    this.shells.delete(key);
    const i = rs.findIndex((r) => r.timedOut);
    const slot = slots[i];
    if (shell.pid > 1) {
      const r = await this.runAs(this.becomes.get(key) ?? null, timeoutKillScript(shell.pid, slot !== undefined ? shell.slotFiles(slot) : undefined)).catch(() => undefined);
      if (r && slot !== undefined) {
        rs[i] = { ...rs[i], stdout: r.stdout ? Buffer.from(r.stdout, 'utf8') : rs[i].stdout, stderr: r.stderr ? Buffer.from(r.stderr, 'utf8') : rs[i].stderr };
      }
    }
    shell.discard();
  }

  /**
   * Run commands on the shell for `key` in ONE write (one round trip), in order. Each entry is
   * an already-wrapped command line with optional stdin; `ownOutput`: see framing.ts.
   */
  private async runFramed(key: string, become: Become | null, cmds: { body: string; stdin?: string | Buffer; ownOutput?: boolean }[], timeoutMs?: number): Promise<RawResult[]> {
    await this.connect();
    return this.lane(key, async () => {
      if (this.lost) throw this.lost;
      if (this.closed) throw new UnreachableError(`${this.where}: transport closed`);
      if (this.interrupted) throw new UnreachableError(`${this.where}: kvplay was interrupted`);
      const shell = await this.shellFor(key, become);
      const { script, markers, slots } = shell.frame(cmds);
      const rs = await shell.runBatch(script, markers, timeoutMs);
      if (rs.some((r) => r.timedOut)) await this.killTimedOut(key, shell, rs, slots);
      return rs;
    });
  }

  /**
   * Ctrl-C of kvplay: stop the commands running now on this host (SIGTERM to each command's tree,
   * SIGKILL a second later) and start no new ones (a module's next step must not run while kvplay
   * exits). Resolves when the signals are sent.
   */
  async interrupt(): Promise<void> {
    this.interrupted = true;
    await Promise.all([...this.shells].filter(([, sh]) => sh.busy && !sh.dead && sh.pid > 1)
      .map(([key, sh]) => this.runAs(this.becomes.get(key) ?? null, interruptScript(sh.pid)).catch(() => undefined)));
  }

  async exec(cmd: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const { key, become } = this.becomeKey(opts.become);
    let body = wrapCommand(cmd, opts);
    let stdin = opts.stdin;
    let staged: string | undefined;
    // a large payload goes over SFTP (as the login user, read by it or by root)
    if (stdin !== undefined && Buffer.byteLength(stdin) >= SFTP_THRESHOLD && (!become || become.user === 'root')) {
      await this.connect();
      staged = await this.sftp.upload(Buffer.isBuffer(stdin) ? stdin : Buffer.from(stdin, 'utf8')).catch(() => undefined);
      if (staged) {
        body = withStdinFile(body, staged);
        stdin = undefined;
      } // no SFTP subsystem on the host: the payload goes inline, base64 through the shell
    }
    try {
      return toResult((await this.runFramed(key, become, [{ body, stdin, ownOutput: true }], opts.timeoutMs))[0]);
    } catch (e) {
      if (e instanceof BecomeFailure) return { code: 1, stdout: '', stderr: e.message + '\n' };
      throw e;
    } finally {
      if (staged) this.sftp.discard(staged); // the command did not get to open it (failed, timed out early)
    }
  }

  /**
   * All commands written to the shell at once: one round trip, each with its own result. For
   * probes: their output streams on the shell's channel (framing.ts).
   */
  async execMany(cmds: string[], opts: { become?: Become | null } = {}): Promise<ExecResult[]> {
    if (cmds.length === 0) return [];
    const { key, become } = this.becomeKey(opts.become);
    try {
      return (await this.runFramed(key, become, cmds.map((body) => ({ body })))).map(toResult);
    } catch (e) {
      if (e instanceof BecomeFailure) return cmds.map(() => ({ code: 1, stdout: '', stderr: (e as Error).message + '\n' }));
      throw e;
    }
  }

  /**
   * Run one command on a FRESH exec channel (no persistent shell, no framing). For benchmarks
   * and diagnostics; normal commands go through exec().
   */
  async execRaw(cmd: string): Promise<ExecResult> {
    await this.connect();
    return this.collect(await this.openExec(cmd));
  }

  /** Write `input` (if any) to a channel, end it, and collect its output until it closes. */
  private collect(ch: ClientChannel, input?: string): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let code = 255;
      ch.on('data', (d: Buffer) => out.push(d));
      ch.stderr.on('data', (d: Buffer) => err.push(d));
      ch.on('exit', (c: number | null) => { code = c ?? 255; });
      // 'close' can come before buffered data was emitted: wait for the end of both streams too
      let pending = 3;
      const done = () => {
        if (--pending > 0) return;
        if (this.lost) return reject(this.lost);
        resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
      };
      ch.once('end', done);
      ch.stderr.once('end', done);
      ch.once('close', done);
      if (input !== undefined) ch.end(input);
      else ch.end();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.sftp.close();
    const closedErr = new UnreachableError(`${this.where}: transport closed`);
    for (const sh of this.shells.values()) {
      // an idle shell ends at EOF (its EXIT trap removes its output dir); a busy one is killed
      if (sh.busy) { sh.fail(closedErr); sh.discard(); } else sh.end();
    }
    this.shells.clear();
    const waits: Promise<void>[] = [];
    for (const c of [this.client, this.jumpClient]) {
      if (!c) continue;
      waits.push(new Promise<void>((r) => {
        const timer = setTimeout(r, 1000); // do not hang on a dead peer
        c.once('close', () => { clearTimeout(timer); r(); });
      }));
      c.end();
    }
    await Promise.all(waits);
  }
}
