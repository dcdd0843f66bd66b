/**
 * Test harness: a real OpenSSH sshd on 127.0.0.1 with a random free port, run as root from its
 * own temp dir (host key, client key, authorized_keys, pid file, log). Never touches the
 * system sshd or its config.
 *
 * Needs: openssh-server (/usr/sbin/sshd), openssh-client (ssh-keygen), and for become tests
 * `sudo` (scripts/setup.sh installs them). Tests using this are gated with
 * requires({ sshd: true }) / requires({ sudo: true }) from test/harness/gate.ts.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missing } from './gate.js';

export interface Sshd {
  host: '127.0.0.1';
  port: number;
  /** Temp dir holding everything of this daemon. */
  dir: string;
  /** Private key accepted for every user (AuthorizedKeysFile is shared). */
  clientKey: string;
  /** known_hosts file with `[127.0.0.1]:PORT ssh-ed25519 ...`. */
  knownHostsFile: string;
  /** `ssh-ed25519 AAAA...` (type + base64, no comment). */
  hostPubKey: string;
  pid: number;
  /** sshd's own log (-e). */
  log(): string;
  /** Count of live per-connection sshd children (one per TCP connection). */
  connectionCount(): number;
  /** Graceful: SIGTERM the daemon and everything below it, wait for exit, remove the dir. */
  stop(): Promise<void>;
  /** Crash: SIGKILL the daemon and all its descendants at once (connections drop). */
  kill(): Promise<void>;
}

export interface SshdOptions {
  /** Allow password authentication (default false). */
  password?: boolean;
  /** Lines appended to sshd_config; a keyword set here replaces the harness's default for it. */
  extraConfig?: string;
  /** Let bash read ~/.bashrc for commands (default false: SetEnv SHLVL=1 skips it). */
  readBashrc?: boolean;
}

const SSHD = '/usr/sbin/sshd';

/**
 * sshd takes the FIRST value of a keyword: a default line whose keyword extraConfig sets (before
 * any Match block) is left out, so that e.g. `MaxStartups 2:100:2` from a test takes effect.
 */
function overrides(extra: string | undefined, line: string): boolean {
  const key = (l: string) => l.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  const keys: string[] = [];
  for (const l of (extra ?? '').split('\n')) {
    if (key(l) === 'match') break;
    if (key(l) && !key(l).startsWith('#')) keys.push(key(l));
  }
  return line !== '' && keys.includes(key(line));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Resolves once the port answers with OUR sshd's banner (it carries `token`): the port was free
 * when picked, but another process may have taken it before our sshd bound it; then our sshd
 * exits, and the banner of the other one must not be mistaken for ours.
 */
function waitForBanner(port: number, deadline: number, child: ChildProcess, token: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`sshd exited with code ${child.exitCode}`));
      if (Date.now() > deadline) return reject(new Error(`sshd on port ${port} did not come up`));
      const s = netConnect(port, '127.0.0.1');
      let banner = '';
      let settled = false;
      /** Exactly one outcome per connection attempt, whatever events follow. */
      const settle = (then: () => void) => {
        if (settled) return;
        settled = true;
        s.destroy();
        then();
      };
      const retry = () => setTimeout(attempt, 50);
      s.setTimeout(5000, () => settle(retry));
      s.on('error', () => settle(retry)); // refused: not listening yet
      s.on('close', () => settle(retry));
      s.on('data', (d: Buffer) => {
        banner += d.toString('latin1');
        if (!banner.includes('\n') && banner.length < 256) return;
        settle(() => {
          if (banner.startsWith('SSH-') && banner.includes(token)) resolve();
          else if (banner.startsWith('SSH-')) reject(new Error(`port ${port} answered with another daemon's banner: ${banner.trim()}`));
          else retry();
        });
      });
    };
    attempt();
  });
}

/** Parent pid of every process, read from /proc/PID/stat. */
function ppidMap(): Map<number, number> {
  const m = new Map<number, number>();
  for (const ent of readdirSync('/proc')) {
    if (!/^\d+$/.test(ent)) continue;
    try {
      const stat = readFileSync(`/proc/${ent}/stat`, 'utf8');
      // "pid (comm) state ppid ..." — comm may contain spaces/parens: split after the last ')'.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      m.set(Number(ent), Number(rest[1]));
    } catch { /* process vanished */ }
  }
  return m;
}

/** All descendants of `root` (not including it). */
export function descendants(root: number): number[] {
  const pp = ppidMap();
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [pid, ppid] of pp) if (ppid === p) { out.push(pid); walk(pid); }
  };
  walk(root);
  return out;
}

/** Command lines (argv joined by spaces) of all descendants of `root`. */
export function descendantCommands(root: number): string[] {
  const out: string[] = [];
  for (const p of descendants(root)) {
    try { out.push(readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ')); } catch { /* gone */ }
  }
  return out;
}

/**
 * Waits until a descendant of `root` runs a command line matching `re` (e.g. the `sleep 5` a test
 * wants to interrupt): synchronisation on the real state, not on a fixed sleep.
 */
export async function waitForDescendant(root: number, re: RegExp, ms = 60_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const hit = descendantCommands(root).find((c) => re.test(c));
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`no process matching ${re} below pid ${root} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Running (zombies count as dead: PID 1 here reaps orphans only about once a second). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function waitGone(pids: number[], ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

/** Daemons not yet stopped: killed (with their trees) when the test process exits, even on a crash. */
const live = new Map<number, string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [pid, dir] of live) {
      for (const p of [pid, ...descendants(pid)]) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
      try { rmSync(dir, { recursive: true, force: true }); } catch { /* ignore */ }
    }
  });
}

export async function startSshd(opts: SshdOptions = {}): Promise<Sshd> {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} not found: apt-get install -y openssh-server`);
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation dir
  const dir = mkdtempSync(join(tmpdir(), 'kvplay-sshd-'));
  // sshd reads AuthorizedKeysFile as the target user: other users (become tests) must read it.
  chmodSync(dir, 0o755);
  const hostKey = join(dir, 'host_ed25519');
  const clientKey = join(dir, 'client_ed25519');
  for (const k of [hostKey, clientKey]) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'kvplay-test', '-f', k]);
  const authorized = join(dir, 'authorized_keys');
  writeFileSync(authorized, readFileSync(clientKey + '.pub'), { mode: 0o644 });
  chmodSync(authorized, 0o644);
  const hostPubKey = readFileSync(hostKey + '.pub', 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');

  let lastErr: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const token = `kvplay-test-${randomBytes(6).toString('hex')}`;
    const config = join(dir, 'sshd_config');
    writeFileSync(config, [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorized}`,
      'PermitRootLogin yes',
      `PasswordAuthentication ${opts.password ? 'yes' : 'no'}`,
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'UsePAM no',
      'StrictModes no',
      'MaxSessions 50',
      'MaxStartups 100:30:200',
      'AllowTcpForwarding yes',
      'PrintMotd no',
      'PrintLastLog no',
      // bash run by sshd for a command reads ~/.bashrc (root's is heavy here: ~2 s) unless
      // SHLVL says it is nested; this keeps every command of every test fast.
      opts.readBashrc ? '' : 'SetEnv SHLVL=1',
      'LogLevel ERROR',
      `VersionAddendum ${token}`,
    ].filter((l) => !overrides(opts.extraConfig, l)).concat(opts.extraConfig ?? '').join('\n') + '\n');
    const logFile = join(dir, 'sshd.log');
    const logFd = openSync(logFile, 'a');
    const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', logFd, logFd], detached: false });
    child.unref();
    try {
      await waitForBanner(port, Date.now() + 30_000, child, token);
    } catch (e) {
      lastErr = new Error(`${(e as Error).message}\n${readFileSync(logFile, 'utf8')}`);
      if (child.exitCode === null) { child.kill('SIGKILL'); await waitGone([child.pid!], 2000); }
      continue; // port taken in between: try another
    }
    const pid = child.pid!;
    installExitHook();
    live.set(pid, dir);
    // the banner probe's per-connection child exits by itself: gone before tests count connections
    await waitGone(descendants(pid), 10_000);
    const knownHostsFile = join(dir, 'known_hosts');
    writeFileSync(knownHostsFile, `[127.0.0.1]:${port} ${hostPubKey}\n`);
    const sshd: Sshd = {
      host: '127.0.0.1',
      port,
      dir,
      clientKey,
      knownHostsFile,
      hostPubKey,
      pid,
      log: () => readFileSync(logFile, 'utf8'),
      connectionCount: () => {
        const pp = ppidMap();
        let n = 0;
        for (const ppid of pp.values()) if (ppid === pid) n++;
        return n;
      },
      stop: async () => {
        const all = [pid, ...descendants(pid)];
        for (const p of all) { try { process.kill(p, 'SIGTERM'); } catch { /* gone */ } }
        await waitGone(all, 3000);
        for (const p of all) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
        await waitGone(all, 2000);
        live.delete(pid);
        rmSync(dir, { recursive: true, force: true });
      },
      kill: async () => {
        const all = [pid, ...descendants(pid)];
        for (const p of all) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
        await waitGone(all, 3000);
        // the dir stays until stop() (logs); the exit hook removes it if stop() is never called
      },
    };
    return sshd;
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastErr;
}

/** Options for SshTransport (src/transport/ssh.ts) that reach this sshd as `user` with its key. */
export function sshOptionsFor(s: Sshd, user = 'root', name = 'testhost') {
  return {
    name,
    host: s.host,
    port: s.port,
    user,
    privateKeyPath: s.clientKey,
    knownHostsFiles: [s.knownHostsFile],
    acceptNewHostKeys: false,
    agentSocket: '', // never use a developer's ssh-agent in tests
  };
}

export interface TestUser {
  name: string;
  password: string;
  /**
   * Removes the sudoers entry and releases the user for other test processes (the user itself
   * is kept: cheap to reuse, userdel races with sessions).
   */
  cleanup(): void;
}

const sleepSync = (ms: number) => { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms); };

/** Test users held by this process: released (sudoers entry and lock removed) at exit, even on a crash. */
const heldUsers = new Map<string, () => void>();
let userExitHook = false;

/**
 * One test process at a time per test user: its password and sudoers entry are per user, so a
 * second process (another person's run in the same tree, the same file run twice) would change
 * the password or remove the entry under the first. A lock dir with our pid; a dead holder's
 * lock is taken over. Waits (blocking: this runs in a before hook) up to `waitMs`.
 */
function lockUser(name: string, waitMs = 15 * 60_000): string {
  const lock = `/run/kvplay-testuser-${name}.lock`;
  const pidFile = join(lock, 'pid');
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(pidFile, String(process.pid));
      return lock;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let pid = 0;
    try { pid = Number(readFileSync(pidFile, 'utf8')); } catch { /* being written, or its writer died */ }
    if (pid === process.pid) return lock;
    let stale = pid > 0 ? !alive(pid) : false;
    if (!pid) { try { stale = Date.now() - statSync(lock).mtimeMs > 10_000; } catch { continue; } }
    if (stale) { rmSync(lock, { recursive: true, force: true }); continue; }
    if (Date.now() > deadline) throw new Error(`test user ${name} is held by pid ${pid} (${lock}) for too long`);
    sleepSync(100);
  }
}

/**
 * Creates (or reuses) a local user with this password and a sudoers entry that REQUIRES the
 * password (ALL commands as any user), with credential caching off so every sudo prompts.
 * Holds the user for this process until cleanup() (which removes /etc/sudoers.d/kvplay-NAME) or exit.
 */
export function createTestUser(name: string, password: string): TestUser {
  if (!/^[a-z_][a-z0-9_-]*$/.test(name)) throw new Error(`bad user name ${name}`);
  // tests calling this are gated with requires({ sudo: true }) (test/harness/gate.ts): skipped, with the reason, without sudo
  const why = missing({ sudo: true });
  if (why) throw new Error(`createTestUser: ${why}`);
  const lock = lockUser(name);
  const file = `/etc/sudoers.d/kvplay-${name}`;
  const release = () => {
    try { unlinkSync(file); } catch { /* already gone */ }
    try { if (Number(readFileSync(join(lock, 'pid'), 'utf8')) === process.pid) rmSync(lock, { recursive: true, force: true }); } catch { /* not ours */ }
    heldUsers.delete(name);
  };
  if (!userExitHook) {
    userExitHook = true;
    process.on('exit', () => { for (const r of [...heldUsers.values()]) r(); });
  }
  heldUsers.set(name, release);
  try { execFileSync('id', [name], { stdio: 'ignore' }); } catch {
    execFileSync('useradd', ['-m', '-s', '/bin/sh', name]);
  }
  execFileSync('chpasswd', { input: `${name}:${password}\n` });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `Defaults:${name} timestamp_timeout=0, lecture=never\n${name} ALL=(ALL:ALL) ALL\n`, { mode: 0o440 });
  execFileSync('visudo', ['-c', '-q', '-f', tmp]);
  execFileSync('mv', [tmp, file]);
  return { name, password, cleanup: release };
}
