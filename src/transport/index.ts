/**
 * Transport factory: maps Ansible connection variables of a host to a Transport, and the
 * become variables to a Become.
 *
 *   ansible_connection        ssh (default) | local
 *   ansible_host / _port / _user, ansible_ssh_private_key_file
 *   ansible_password / ansible_ssh_pass
 *   ansible_ssh_common_args / ansible_ssh_extra_args:
 *       -o ProxyJump=[user@]host[:port]  (also -J)   -o UserKnownHostsFile=PATH [PATH...]
 *       -o StrictHostKeyChecking=accept-new|no  -> accept NEW keys (a CHANGED key is always refused)
 *   kvplay_known_hosts_file   extra known_hosts file (string or list)
 */
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { LocalTransport } from './local.js';
import { SshTransport } from './ssh.js';
import type { Become, Transport } from './types.js';
import { boolish } from '../util/truth.js';
import { shlexSplit } from '../util/shlex.js';

export { SshTransport } from './ssh.js';
export type { SshOptions } from './ssh.js';
export { LocalTransport, interruptLocal, wrapCommand } from './local.js';
export type { Become, ExecOptions, ExecResult, Transport } from './types.js';

export interface TransportOptions {
  /** Default ~/.ssh/known_hosts. */
  knownHostsFiles?: string[];
  acceptNewHostKeys?: boolean;
  connectTimeoutMs?: number;
  /** ssh-agent socket (the CLI passes SSH_AUTH_SOCK); none: no agent */
  agentSocket?: string;
}

type HostVars = Record<string, unknown>;

function str(v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  return String(v);
}

function expandHome(p: string): string {
  return p === '~' ? homedir() : p.startsWith('~/') ? join(homedir(), p.slice(2)) : p;
}

export interface SshArgs {
  jump?: { host: string; port: number; user?: string };
  knownHostsFiles?: string[];
  acceptNew?: boolean;
}

/** `[user@]host[:port]` (first hop only when a comma list is given). */
export function parseJump(spec: string): { host: string; port: number; user?: string } {
  const first = spec.split(',')[0].trim();
  let user: string | undefined;
  let rest = first.replace(/^ssh:\/\//, '');
  const at = rest.lastIndexOf('@');
  if (at >= 0) { user = rest.slice(0, at); rest = rest.slice(at + 1); }
  let host = rest;
  let port = 22;
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest) ?? /^([^:]+)(?::(\d+))?$/.exec(rest);
  if (m) { host = m[1]; if (m[2]) port = Number(m[2]); }
  return { host, port, ...(user ? { user } : {}) };
}

/** The subset of ssh(1) options kvplay understands in ansible_ssh_common_args. */
export function parseSshArgs(args: string): SshArgs {
  const words = shlexSplit(args);
  const out: SshArgs = {};
  const opt = (kv: string) => {
    const m = /^\s*([A-Za-z]+)\s*(?:=|\s)\s*(.*)$/.exec(kv);
    if (!m) return;
    const key = m[1].toLowerCase();
    const val = m[2].trim();
    if (key === 'proxyjump' && val.toLowerCase() !== 'none') out.jump = parseJump(val);
    else if (key === 'userknownhostsfile') out.knownHostsFiles = val.split(/\s+/).filter(Boolean).map(expandHome);
    else if (key === 'stricthostkeychecking') out.acceptNew = /^(accept-new|no|off)$/i.test(val);
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === '-o' && i + 1 < words.length) opt(words[++i]);
    else if (w.startsWith('-o') && w.length > 2) opt(w.slice(2));
    else if (w === '-J' && i + 1 < words.length) out.jump = parseJump(words[++i]);
    else if (w.startsWith('-J') && w.length > 2) out.jump = parseJump(w.slice(2));
  }
  return out;
}

export function createTransport(name: string, hostVars: HostVars, opts: TransportOptions = {}): Transport {
  const connection = str(hostVars.ansible_connection) ?? 'ssh';
  if (connection === 'local') return new LocalTransport(name);
  if (connection !== 'ssh' && connection !== 'paramiko' && connection !== 'smart') {
    throw new Error(`host ${name}: ansible_connection '${connection}' is not supported (use ssh or local)`);
  }
  const host = str(hostVars.ansible_host) ?? name;
  const port = Number(str(hostVars.ansible_port) ?? 22);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`host ${name}: bad ansible_port ${String(hostVars.ansible_port)}`);
  const user = str(hostVars.ansible_user) ?? str(hostVars.ansible_ssh_user) ?? userInfo().username;
  const keyFile = str(hostVars.ansible_ssh_private_key_file) ?? str(hostVars.ansible_private_key_file);
  const password = str(hostVars.ansible_password) ?? str(hostVars.ansible_ssh_pass) ?? str(hostVars.ansible_ssh_password);
  const ssh = parseSshArgs([str(hostVars.ansible_ssh_common_args), str(hostVars.ansible_ssh_extra_args)].filter(Boolean).join(' '));

  // UserKnownHostsFile replaces the default list (like ssh); kvplay_known_hosts_file adds to it.
  const files = [...(ssh.knownHostsFiles ?? (opts.knownHostsFiles?.length ? opts.knownHostsFiles : [join(homedir(), '.ssh', 'known_hosts')]))];
  const extra = hostVars.kvplay_known_hosts_file;
  for (const f of Array.isArray(extra) ? extra : extra !== undefined ? [extra] : []) {
    const p = str(f);
    if (p && !files.includes(expandHome(p))) files.push(expandHome(p));
  }
  return new SshTransport({
    name,
    host,
    port,
    user,
    ...(keyFile ? { privateKeyPath: expandHome(keyFile) } : {}),
    ...(password !== undefined ? { password } : {}),
    knownHostsFiles: files,
    acceptNewHostKeys: !!(opts.acceptNewHostKeys || ssh.acceptNew),
    ...(ssh.jump ? { jump: { host: ssh.jump.host, port: ssh.jump.port, user: ssh.jump.user ?? user } } : {}),
    ...(opts.connectTimeoutMs ? { connectTimeoutMs: opts.connectTimeoutMs } : {}),
    ...(opts.agentSocket ? { agentSocket: opts.agentSocket } : {}),
  });
}

/**
 * The Become for a task: task keywords win over host vars. Password from
 * ansible_become_password / ansible_become_pass (the engine puts -K / KVPLAY_BECOME_PASSWORD there).
 */
export function becomeFor(hostVars: HostVars, taskBecome?: { become?: boolean; become_user?: string; become_method?: string }): Become | null {
  const on = taskBecome?.become !== undefined ? boolish(taskBecome.become) : boolish(hostVars.ansible_become);
  if (!on) return null;
  const method = str(taskBecome?.become_method) ?? str(hostVars.ansible_become_method);
  if (method && method !== 'sudo' && method !== 'su') throw new Error(`Invalid become method specified: '${method}' (kvplay becomes with sudo or su)`);
  const user = str(taskBecome?.become_user) ?? str(hostVars.ansible_become_user) ?? 'root';
  const password = str(hostVars.ansible_become_password) ?? str(hostVars.ansible_become_pass);
  return { user, ...(password !== undefined ? { password } : {}), ...(method === 'su' ? { method } : {}) };
}
