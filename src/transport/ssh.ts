/**
 * SSH transport: one persistent ssh2 connection per host, and on it one persistent `sh` (plus
 * one per become user) fed framed commands (framing.ts, shell.ts). The ONLY module importing ssh2.
 *
 * Speed: a command on the persistent shell costs one channel-data round trip; a fresh exec
 * channel costs open + exec request + exit-status + close (see bench/transport-rtt.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { AuthenticationType, ClientChannel, ConnectConfig } from 'ssh2';
import { UnreachableError } from '../util/errors.js';
import { commandScript, newMarker } from './framing.js';
import { hostLookupName, knownKeyTypes, preferredHostKeyAlgos, readKnownHostsFiles, verifyHostKey } from './knownhosts.js';
import { wrapCommand } from './local.js';
import { SftpUploader, SFTP_THRESHOLD, withStdinFile, type SftpClientLike } from './sftp.js';
import { BecomeFailure, RemoteShell, awaitSudoReady, newSudoTokens, sudoShellCommand, type RawResult } from './shell.js';
import type { Become, ExecOptions, ExecResult, Transport } from './types.js';
import type { SshOptions } from './ssh-options.js';

export type { SshOptions } from './ssh-options.js';

const { Client, utils: sshUtils } = ssh2;
type SshClient = InstanceType<typeof Client>;

function toResult(r: RawResult): ExecResult {
  return { code: r.code, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), ...(r.timedOut ? { timedOut: true } : {}) };
}

export class SshTransport implements Transport {
  readonly name: string;
  /** Number of SSH connections opened to the target (tests assert it stays 1). */
  connects = 0;
  private client?: SshClient;
  private jumpClient?: SshClient;
  /** large stdin payloads over SFTP (src/transport/sftp.ts) */
  readonly sftp = new SftpUploader(() => this.client as unknown as SftpClientLike);
  private connecting?: Promise<void>;
  private lost?: UnreachableError;
  private closed = false;
  /** Live shells by key ('' = login user, else become user) and their command lanes. */
  private shells = new Map<string, RemoteShell>();
  private lanes = new Map<string, Promise<unknown>>();
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
    } catch (e) {
      this.jumpClient?.end(); // no half-open tunnel left behind
      this.jumpClient = undefined;
      throw e;
    }
  }

  private async openConnection(): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    let sock: Duplex;
    if (this.o.jump) {
      const j = this.o.jump;
      this.jumpClient = await this.handshake(await this.tcp(j.host, j.port, deadline), j.host, j.port, j.user, deadline, 'jump host ');
      this.jumpClient.on('error', () => { /* surfaces as close of the tunnel */ });
      sock = await new Promise<Duplex>((resolve, reject) => {
        this.jumpClient!.forwardOut('127.0.0.1', 0, this.o.host, this.o.port, (err, stream) => {
          if (err) reject(new UnreachableError(`${this.where}: jump host ${j.user}@${hostLookupName(j.host, j.port)} could not open a tunnel: ${err.message}`, 'check that the jump host can reach the target and allows TCP forwarding'));
          else resolve(stream);
        });
      });
    } else {
      sock = await this.tcp(this.o.host, this.o.port, deadline);
    }
    const client = await this.handshake(sock, this.o.host, this.o.port, this.o.user, deadline, '');
    this.client = client;
    this.connects++;
    client.on('error', () => { /* followed by 'close' */ });
    client.on('close', () => this.onLost());
  }

  /** TCP with TCP_NODELAY: without it every small round trip waits on Nagle (~4x slower). */
  private tcp(host: string, port: number, deadline: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const s = netConnect({ host, port });
      s.setNoDelay(true);
      const timer = setTimeout(() => {
        s.destroy();
        reject(new UnreachableError(`${this.where}: TCP connect to ${host}:${port} timed out after ${this.timeoutMs} ms`, 'is the host up and the port right (ansible_host / ansible_port)?'));
      }, Math.max(1, deadline - Date.now()));
      s.once('connect', () => { clearTimeout(timer); s.removeAllListeners('error'); resolve(s); });
      s.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const why = e.code === 'ECONNREFUSED' ? 'connection refused' : e.code === 'ENOTFOUND' ? 'host name not found' : e.message;
        reject(new UnreachableError(`${this.where}: cannot connect to ${host}:${port}: ${why}`, 'is sshd running there, and are ansible_host / ansible_port right?'));
      });
    });
  }

  /** Auth methods in OpenSSH's order: given key, agent, default keys (only without a given key), password. */
  private authMethods(user: string): { methods: (AuthenticationType | { type: string; [k: string]: unknown })[]; tried: string[] } {
    const methods: { type: string; [k: string]: unknown }[] = [];
    const tried: string[] = [];
    const keyFiles = this.o.privateKeyPath ? [this.o.privateKeyPath] : ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(homedir(), '.ssh', f)).filter((f) => existsSync(f));
    const keys = keyFiles.map((f) => {
      let data: Buffer;
      try { data = readFileSync(f); } catch (e) {
        throw new UnreachableError(`${this.where}: cannot read private key ${f}: ${(e as Error).message}`, 'check ansible_ssh_private_key_file');
      }
      const parsed = sshUtils.parseKey(data);
      if (parsed instanceof Error) {
        if (this.o.privateKeyPath) throw new UnreachableError(`${this.where}: cannot use private key ${f}: ${parsed.message}`, 'keys with a passphrase are not supported: load it into ssh-agent instead');
        return null; // unusable default key: skip like OpenSSH would without a passphrase
      }
      return { type: 'publickey', username: user, key: data, file: f };
    }).filter((k) => k !== null) as { type: string; username: string; key: Buffer; file: string }[];
    if (this.o.privateKeyPath) for (const k of keys) { methods.push(k); tried.push(`publickey ${k.file}`); }
    const agent = this.o.agentSocket ?? process.env.SSH_AUTH_SOCK;
    if (agent && existsSync(agent)) { methods.push({ type: 'agent', username: user, agent }); tried.push('ssh-agent'); }
    if (!this.o.privateKeyPath) for (const k of keys) { methods.push(k); tried.push(`publickey ${k.file}`); }
    if (this.o.password !== undefined) {
      const password = this.o.password;
      methods.push({ type: 'password', username: user, password });
      methods.push({
        type: 'keyboard-interactive', username: user,
        prompt: (_n: string, _i: string, _l: string, prompts: unknown[], finish: (a: string[]) => void) => finish(prompts.map(() => password)),
      });
      tried.push('password');
    }
    return { methods, tried };
  }

  /** SSH handshake + host key check + auth on an open stream. */
  private handshake(sock: Duplex, host: string, port: number, user: string, deadline: number, role: string): Promise<SshClient> {
    const entries = readKnownHostsFiles(this.o.knownHostsFiles);
    const recordFile = this.o.recordFile ?? this.o.knownHostsFiles[0] ?? join(homedir(), '.ssh', 'known_hosts');
    const who = `${this.where}${role ? ` via ${role}${user}@${hostLookupName(host, port)}` : ''}`;
    let hostKeyError: UnreachableError | undefined;
    const { methods, tried } = this.authMethods(user);

    const hostVerifier = (key: Buffer): boolean => {
      const r = verifyHostKey({ entries, host, port, who, key, acceptNew: this.o.acceptNewHostKeys, recordFile, checkedFiles: this.o.knownHostsFiles });
      if (r) hostKeyError = new UnreachableError(r.message, r.hint);
      return !r;
    };

    return new Promise((resolve, reject) => {
      const client = new Client();
      let done = false;
      const fail = (e: UnreachableError) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        client.end();
        sock.destroy();
        reject(e);
      };
      const timer = setTimeout(() => fail(new UnreachableError(`${who}: SSH handshake timed out after ${this.timeoutMs} ms`, 'is it an SSH server, and is it overloaded?')), Math.max(1, deadline - Date.now()));
      client.on('ready', () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(client);
      });
      client.on('error', (e: Error & { level?: string }) => {
        if (hostKeyError) return fail(hostKeyError);
        if (e.level === 'client-authentication') {
          return fail(new UnreachableError(`${who}: authentication failed (tried: ${tried.join(', ') || 'nothing: no key, agent or password given'})`,
            'check ansible_user, ansible_ssh_private_key_file, ansible_password, or load the key into ssh-agent'));
        }
        fail(new UnreachableError(`${who}: SSH failed: ${e.message}`));
      });
      client.on('close', () => fail(hostKeyError ?? new UnreachableError(`${who}: connection closed during SSH handshake`)));
      const cfg: ConnectConfig = {
        sock: sock as ConnectConfig['sock'],
        username: user,
        hostVerifier,
        authHandler: methods as ConnectConfig['authHandler'],
        algorithms: { serverHostKey: preferredHostKeyAlgos(knownKeyTypes(entries, host, port)) } as ConnectConfig['algorithms'],
        readyTimeout: 0, // our own deadline covers TCP + handshake + auth
        keepaliveInterval: 15_000,
        keepaliveCountMax: 3,
      };
      client.connect(cfg);
    });
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
      const failKey = `${become.user}\0${createHash('sha256').update(become.password ?? '').digest('hex')}`;
      const known = this.badBecome.get(failKey);
      if (known) throw known;
      const { prompt, ready } = newSudoTokens();
      const ch = await this.openExec(sudoShellCommand(become.user, prompt, ready));
      try {
        await awaitSudoReady(ch, { host: this.o.name, user: become.user, password: become.password, prompt, ready, timeoutMs: this.timeoutMs });
      } catch (e) {
        if (e instanceof BecomeFailure && /incorrect become password/.test(e.message)) this.badBecome.set(failKey, e);
        throw e;
      }
      shell = new RemoteShell(ch, this.shellClosed);
    }
    await shell.init();
    this.shells.set(key, shell);
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
    return { key: `become:${b.user}`, become: b };
  }

  /** Best-effort kill of a timed-out command's process tree (the shell's process group). */
  private killTree(shell: RemoteShell): void {
    if (shell.pgid <= 1 && shell.pid <= 1) return;
    const cmd = shell.pgid > 1 ? `kill -KILL -- -${shell.pgid} 2>/dev/null; kill -KILL ${shell.pid} 2>/dev/null; true` : `kill -KILL ${shell.pid} 2>/dev/null; true`;
    this.execRaw(cmd).catch(() => undefined);
  }

  /**
   * Run commands on the shell for `key` in ONE write (one round trip), in order. Each entry is
   * an already-wrapped command line with optional stdin.
   */
  private async runFramed(key: string, become: Become | null, cmds: { body: string; stdin?: string | Buffer }[], timeoutMs?: number): Promise<RawResult[]> {
    await this.connect();
    return this.lane(key, async () => {
      if (this.lost) throw this.lost;
      if (this.closed) throw new UnreachableError(`${this.where}: transport closed`);
      const shell = await this.shellFor(key, become);
      const markers = cmds.map(() => newMarker());
      const script = cmds.map((c, i) => commandScript(c.body, markers[i], c.stdin)).join('');
      const rs = await shell.runBatch(script, markers, timeoutMs);
      if (rs.some((r) => r.timedOut)) {
        this.shells.delete(key);
        this.killTree(shell);
      }
      return rs;
    });
  }

  async exec(cmd: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const { key, become } = this.becomeKey(opts.become);
    let body = wrapCommand(cmd, opts);
    let stdin = opts.stdin;
    // a large payload goes over SFTP (as the login user, read by it or by root)
    if (stdin !== undefined && Buffer.byteLength(stdin) >= SFTP_THRESHOLD && (!become || become.user === 'root')) {
      await this.connect();
      const path = await this.sftp.upload(Buffer.isBuffer(stdin) ? stdin : Buffer.from(stdin, 'utf8')).catch(() => undefined);
      if (path) {
        body = withStdinFile(body, path);
        stdin = undefined;
      } // no SFTP subsystem on the host: the payload goes inline, base64 through the shell
    }
    try {
      return toResult((await this.runFramed(key, become, [{ body, stdin }], opts.timeoutMs))[0]);
    } catch (e) {
      if (e instanceof BecomeFailure) return { code: 1, stdout: '', stderr: e.message + '\n' };
      throw e;
    }
  }

  /** All commands written to the shell at once: one round trip, each with its own result. */
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
    const ch = await this.openExec(cmd);
    return new Promise((resolve, reject) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let code = 255;
      ch.on('data', (d: Buffer) => out.push(d));
      ch.stderr.on('data', (d: Buffer) => err.push(d));
      ch.on('exit', (c: number | null) => { code = c ?? 255; });
      ch.on('close', () => {
        if (this.lost) return reject(this.lost);
        resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
      });
      ch.end();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sftp.close();
    const closedErr = new UnreachableError(`${this.where}: transport closed`);
    for (const sh of this.shells.values()) { sh.fail(closedErr); sh.discard(); }
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
