/**
 * Opening an SSH connection for the SSH transport (ssh.ts): TCP (or a ProxyJump tunnel), the
 * handshake with host key check, authentication, and the retry of handshakes a busy sshd refused.
 * With ssh.ts the only modules importing ssh2.
 *
 * Connection storms: sshd drops new connections beyond `MaxStartups` (default 10:30:100: from 10
 * unauthenticated connections on, 30% are dropped, rising to all at 100) by closing them before
 * sending its banner. kvplay connecting to many hosts behind one sshd (or a jump host) at once
 * meets exactly that. Such a drop (closed or reset before the server's banner, no host key
 * seen) is retried with a bounded, jittered exponential backoff within the connect timeout.
 * Everything else fails at once: authentication failures (retrying may lock the account),
 * host key mismatches, refused TCP connections (nothing listens), timeouts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type * as Ssh2 from 'ssh2';
import type { AuthenticationType, ConnectConfig } from 'ssh2';
import { UnreachableError } from '../util/errors.js';
import { hostLookupName, knownKeyTypes, preferredHostKeyAlgos, readKnownHostsFiles, verifyHostKey } from './knownhosts.js';
import type { SshOptions } from './ssh-options.js';

// ssh2 (~0.8 MB of JS with its crypto) is imported by the first connection: runs that never
// connect (local connection, --syntax-check, --list-tasks) do not load it
let Client: typeof Ssh2.Client;
let sshUtils: typeof Ssh2.utils;
async function loadSsh2(): Promise<void> {
  if (Client) return;
  const lib = ((await import('ssh2')) as unknown as { default: typeof Ssh2 }).default;
  ({ Client, utils: sshUtils } = lib);
}
export type SshClient = Ssh2.Client;

/** Retries of a handshake dropped before the banner: at most this many attempts in all. */
export const HANDSHAKE_ATTEMPTS = 8;
const BACKOFF_BASE_MS = 100;
const BACKOFF_CAP_MS = 2000;

/** The server closed/reset the connection before its banner (MaxStartups & co.): retryable. */
class DroppedBeforeBanner extends UnreachableError {}

/** Delay before attempt `n + 1`: exponential, capped, with jitter (half fixed, half random). */
export function backoffMs(n: number, random: () => number = Math.random): number {
  const b = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (n - 1));
  return Math.round(b / 2 + random() * (b / 2));
}

interface Ctx {
  o: SshOptions;
  /** "name (user@host)" for messages */
  where: string;
  timeoutMs: number;
  deadline: number;
}

/** The connection to the target (and to the jump host, when there is one). */
export async function openSsh(o: SshOptions, where: string, timeoutMs: number): Promise<{ client: SshClient; jump?: SshClient }> {
  await loadSsh2();
  const ctx: Ctx = { o, where, timeoutMs, deadline: Date.now() + timeoutMs };
  if (!o.jump) {
    const client = await withRetry(ctx, async () => handshake(ctx, await tcp(ctx, o.host, o.port), o.host, o.port, o.user, ''));
    return { client };
  }
  const j = o.jump;
  const jump = await withRetry(ctx, async () => handshake(ctx, await tcp(ctx, j.host, j.port), j.host, j.port, j.user, 'jump host '));
  jump.on('error', () => { /* surfaces as close of the tunnel */ });
  try {
    const client = await withRetry(ctx, async () => {
      const sock = await new Promise<Duplex>((resolve, reject) => {
        jump.forwardOut('127.0.0.1', 0, o.host, o.port, (err, stream) => {
          if (err) reject(new UnreachableError(`${where}: jump host ${j.user}@${hostLookupName(j.host, j.port)} could not open a tunnel: ${err.message}`, 'check that the jump host can reach the target and allows TCP forwarding'));
          else resolve(stream);
        });
      });
      return handshake(ctx, sock, o.host, o.port, o.user, '');
    });
    return { client, jump };
  } catch (e) {
    jump.end(); // no half-open tunnel left behind
    throw e;
  }
}

async function withRetry(ctx: Ctx, attempt: () => Promise<SshClient>): Promise<SshClient> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (e) {
      if (!(e instanceof DroppedBeforeBanner)) throw e;
      const wait = backoffMs(n);
      if (n >= HANDSHAKE_ATTEMPTS || Date.now() + wait >= ctx.deadline) {
        throw new UnreachableError(`${e.message} (${n} attempt${n > 1 ? 's' : ''})`,
          'sshd dropped the connection before its banner: too many connections at once (sshd MaxStartups)? Raise MaxStartups on the host or lower --forks');
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/** TCP with TCP_NODELAY: without it every small round trip waits on Nagle (~4x slower). */
function tcp(ctx: Ctx, host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host, port });
    s.setNoDelay(true);
    const timer = setTimeout(() => {
      s.destroy();
      reject(new UnreachableError(`${ctx.where}: TCP connect to ${host}:${port} timed out after ${ctx.timeoutMs} ms`, 'is the host up and the port right (ansible_host / ansible_port)?'));
    }, Math.max(1, ctx.deadline - Date.now()));
    s.once('connect', () => { clearTimeout(timer); s.removeAllListeners('error'); resolve(s); });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why = e.code === 'ECONNREFUSED' ? 'connection refused' : e.code === 'ENOTFOUND' ? 'host name not found' : e.message;
      reject(new UnreachableError(`${ctx.where}: cannot connect to ${host}:${port}: ${why}`, 'is sshd running there, and are ansible_host / ansible_port right?'));
    });
  });
}

/** Auth methods in OpenSSH's order: given key, agent, default keys (only without a given key), password. */
function authMethods(ctx: Ctx, user: string): { methods: (AuthenticationType | { type: string; [k: string]: unknown })[]; tried: string[] } {
  const o = ctx.o;
  const methods: { type: string; [k: string]: unknown }[] = [];
  const tried: string[] = [];
  const keyFiles = o.privateKeyPath ? [o.privateKeyPath] : ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(homedir(), '.ssh', f)).filter((f) => existsSync(f));
  const keys = keyFiles.map((f) => {
    let data: Buffer;
    try { data = readFileSync(f); } catch (e) {
      throw new UnreachableError(`${ctx.where}: cannot read private key ${f}: ${(e as Error).message}`, 'check ansible_ssh_private_key_file');
    }
    const parsed = sshUtils.parseKey(data);
    if (parsed instanceof Error) {
      if (o.privateKeyPath) throw new UnreachableError(`${ctx.where}: cannot use private key ${f}: ${parsed.message}`, 'keys with a passphrase are not supported: load it into ssh-agent instead');
      return null; // unusable default key: skip like OpenSSH would without a passphrase
    }
    return { type: 'publickey', username: user, key: data, file: f };
  }).filter((k) => k !== null) as { type: string; username: string; key: Buffer; file: string }[];
  if (o.privateKeyPath) for (const k of keys) { methods.push(k); tried.push(`publickey ${k.file}`); }
  const agent = o.agentSocket;
  if (agent && existsSync(agent)) { methods.push({ type: 'agent', username: user, agent }); tried.push('ssh-agent'); }
  if (!o.privateKeyPath) for (const k of keys) { methods.push(k); tried.push(`publickey ${k.file}`); }
  if (o.password !== undefined) {
    const password = o.password;
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
function handshake(ctx: Ctx, sock: Duplex, host: string, port: number, user: string, role: string): Promise<SshClient> {
  const o = ctx.o;
  const entries = readKnownHostsFiles(o.knownHostsFiles);
  const recordFile = o.recordFile ?? o.knownHostsFiles[0] ?? join(homedir(), '.ssh', 'known_hosts');
  const who = `${ctx.where}${role ? ` via ${role}${user}@${hostLookupName(host, port)}` : ''}`;
  let hostKeyError: UnreachableError | undefined;
  let hostKeySeen = false;
  const { methods, tried } = authMethods(ctx, user);

  const hostVerifier = (key: Buffer): boolean => {
    hostKeySeen = true;
    const r = verifyHostKey({ entries, host, port, who, key, acceptNew: o.acceptNewHostKeys, recordFile, checkedFiles: o.knownHostsFiles });
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
    /** closed or reset before anything of the SSH protocol came back: a drop, not a refusal */
    const dropped = (e?: Error & { code?: string }) =>
      !hostKeySeen && !hostKeyError && (!e || /before handshake/i.test(e.message) || ['ECONNRESET', 'EPIPE', 'ECONNABORTED'].includes(e.code ?? ''));
    const timer = setTimeout(() => fail(new UnreachableError(`${who}: SSH handshake timed out after ${ctx.timeoutMs} ms`, 'is it an SSH server, and is it overloaded?')), Math.max(1, ctx.deadline - Date.now()));
    client.on('ready', () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(client);
    });
    client.on('error', (e: Error & { level?: string; code?: string }) => {
      if (hostKeyError) return fail(hostKeyError);
      if (e.level === 'client-authentication') {
        return fail(new UnreachableError(`${who}: authentication failed (tried: ${tried.join(', ') || 'nothing: no key, agent or password given'})`,
          'check ansible_user, ansible_ssh_private_key_file, ansible_password, or load the key into ssh-agent'));
      }
      if (dropped(e)) return fail(new DroppedBeforeBanner(`${who}: the server closed the connection before the SSH handshake (${e.message})`));
      fail(new UnreachableError(`${who}: SSH failed: ${e.message}`));
    });
    client.on('close', () => fail(hostKeyError ?? (dropped()
      ? new DroppedBeforeBanner(`${who}: the server closed the connection before the SSH handshake`)
      : new UnreachableError(`${who}: connection closed during SSH handshake`))));
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
