/**
 * wait_for: wait for a TCP port, a file (optionally containing a regex) or a delay — checked
 * ON the host through the transport (one short command per poll, every `sleep` seconds).
 */
import { q } from '../util/quote.js';
import type { Transport, Become } from '../transport/types.js';
import type { Module } from '../engine/module/types.js';
import { paramRegex } from '../util/pyre.js';
import { parseStatLine, STAT_FMT } from './lib/fileops.js';
import { pathInfo } from './lib/pathinfo.js';
import { int, num, object, str, strEnum, any, type Static } from '../engine/module/schema.js';

export type WaitForParams = Static<typeof schema>;

const sleepMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** sh text: exit 0 when host:port accepts a TCP connection (bash /dev/tcp, nc or python3). */
export function tcpCheckCmd(host: string, port: number, connectTimeout: number, readRegex = false): string {
  const read = readRegex ? ' && head -c 65536 <&3' : '';
  const lines = [
    `h=${q(host)}; p=${q(port)}; ct=${q(connectTimeout)}; T=; command -v timeout >/dev/null 2>&1 && T="timeout $ct"`,
    `if command -v bash >/dev/null 2>&1; then $T bash -c 'exec 3<>"/dev/tcp/$0/$1"${read}' "$h" "$p" 2>/dev/null`,
    ...(readRegex ? [`  r=$?; [ $r -eq 124 ] && exit 0; exit $r`] : []),
    `elif command -v nc >/dev/null 2>&1; then nc -z -w "$ct" "$h" "$p" 2>/dev/null`,
    `elif command -v python3 >/dev/null 2>&1; then python3 -c 'import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), float(sys.argv[3]))' "$h" "$p" "$ct" 2>/dev/null`,
    `else echo 'cannot test TCP ports: need bash, nc or python3 on the host' >&2; exit 127; fi`,
  ];
  return lines.join('\n');
}

const ACTIVE = new Set(['01', '02', '03', '04', '05', '06']); // ESTABLISHED SYN_SENT SYN_RECV FIN_WAIT1 FIN_WAIT2 TIME_WAIT

/** Pure: number of active connections on a local port in /proc/net/tcp{,6} text. */
export function activeConnections(procNetTcp: string, port: number): number {
  let n = 0;
  for (const line of procNetTcp.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || !/^\d+:$/.test(f[0])) continue;
    const lport = parseInt(f[1].split(':')[1] ?? '', 16);
    if (lport === port && ACTIVE.has(f[3].toUpperCase())) n++;
  }
  return n;
}

interface Check { done: boolean; fatal?: string; groups?: string[]; named?: Record<string, string> }

async function check(p: WaitForParams, t: Transport, become: Become | null, re: RegExp | null): Promise<Check> {
  const state = p.state ?? 'started';
  const ct = p.connect_timeout ?? 5;
  const matched = (text: string): Check => {
    const m = re!.exec(text);
    return m ? { done: true, groups: m.slice(1), named: { ...(m.groups ?? {}) } } : { done: false };
  };
  if (p.port !== undefined) {
    if (state === 'drained') {
      const r = await t.exec('cat /proc/net/tcp /proc/net/tcp6 2>/dev/null', { become });
      return { done: activeConnections(r.stdout, p.port) === 0 };
    }
    const r = await t.exec(tcpCheckCmd(p.host ?? '127.0.0.1', p.port, ct, !!re && state === 'started'), { become });
    if (r.code === 127 && /cannot test TCP/.test(r.stderr)) return { done: false, fatal: r.stderr.trim() };
    if (state === 'stopped' || state === 'absent') return { done: r.code !== 0 };
    if (r.code !== 0) return { done: false };
    return re ? matched(r.stdout) : { done: true };
  }
  if (p.path !== undefined) {
    const want = state === 'absent' || state === 'stopped' ? 'absent' : 'present';
    if (want === 'absent') return { done: (await t.exec(`[ ! -e ${q(p.path)} ]`, { become })).code === 0 };
    if (!re) return { done: (await t.exec(`[ -e ${q(p.path)} ]`, { become })).code === 0 };
    const r = await t.exec(`cat -- ${q(p.path)} 2>/dev/null`, { become });
    return r.code === 0 ? matched(r.stdout) : { done: false };
  }
  return { done: false };
}

/** Ansible's words when the wait times out. */
function timeoutMsg(p: WaitForParams, state: string): string {
  const at = p.port !== undefined ? `${p.host ?? '127.0.0.1'}:${p.port}` : p.path!;
  if (state === 'drained') return `Timeout when waiting for ${at} to drain`;
  if (state === 'absent' || state === 'stopped') return p.port !== undefined ? `Timeout when waiting for ${at} to stop.` : `Timeout when waiting for ${at} to be absent.`;
  if (p.search_regex !== undefined) return `Timeout when waiting for search string ${p.search_regex} in ${at}`;
  return p.port !== undefined ? `Timeout when waiting for ${at}` : `Timeout when waiting for file ${at}`;
}

/** The path's information (Ansible adds it to a result naming an existing path), or nothing. */
async function pathInfoOf(path: string, t: Transport, become: Become | null): Promise<Record<string, unknown>> {
  const r = await t.exec(`stat -c ${q(STAT_FMT)} -- ${q(path)} 2>/dev/null`, { become });
  try {
    return r.code === 0 ? pathInfo(parseStatLine(r.stdout.split('\n')[0])) : {};
  } catch {
    return {};
  }
}

const schema = object(
  {
    host: str('Address to connect to, seen from the host. Default 127.0.0.1.'),
    port: int('TCP port to wait for.', { minimum: 1, maximum: 65535 }),
    path: str('File to wait for.'),
    state: strEnum(['started', 'stopped', 'present', 'absent', 'drained'], 'port: started (accepts connections, default), stopped (refuses), drained (no active connections); path: present/started (exists), absent/stopped (gone).'),
    timeout: num('Give up (fail) after this many seconds. Default 300.', { minimum: 0 }),
    delay: num('Seconds to wait before the first check. Default 0.', { minimum: 0 }),
    sleep: num('Seconds between checks. Default 1.', { minimum: 0 }),
    connect_timeout: num('Seconds for one connection attempt. Default 5.', { minimum: 0 }),
    search_regex: str('Python regex: with path, the file content must match; with port (state started), the data the port sends.'),
    msg: any('Message on timeout instead of the default.'),
  },
  { not: { required: ['port', 'path'] } },
);

export const wait_for: Module<WaitForParams> = {
  name: 'wait_for',
  doc: 'Wait (on the host) until a TCP port is open/closed/drained, a file is present/absent or contains a regex, or just for timeout seconds.',
  schema,
  async action(p, ctx) {
    const start = Date.now();
    const state = p.state ?? 'started';
    const timeout = (p.timeout ?? 300) * 1000;
    const re = p.search_regex !== undefined ? paramRegex(p.search_regex, 'search_regex', 'm') : null;
    if (p.delay) await sleepMs(p.delay * 1000);
    const shown = () => Math.round((Date.now() - start) / 100) / 10;
    // Ansible's result: whole seconds, every key (null when not given), the path's information when it exists
    const elapsed = () => Math.floor((Date.now() - start) / 1000);
    const done = async (groups: string[] = [], named: Record<string, string> = {}) => ({
      state, port: p.port ?? null, search_regex: p.search_regex ?? null, match_groups: groups, match_groupdict: named, path: p.path ?? null, elapsed: elapsed(),
      ...(p.path !== undefined ? await pathInfoOf(p.path, ctx.transport, ctx.become) : {}),
    });
    const what = p.port !== undefined ? `port ${p.port} on ${p.host ?? '127.0.0.1'}` : p.path !== undefined ? `file ${p.path}` : undefined;
    if (!what) {
      await sleepMs(timeout);
      return { changed: false, reason: `waited ${shown()}s`, data: await done() };
    }
    const deadline = start + (p.delay ?? 0) * 1000 + timeout;
    for (;;) {
      const c = await check(p, ctx.transport, ctx.become, re);
      if (c.fatal) return { changed: false, failed: true, msg: c.fatal };
      if (c.done) return { changed: false, reason: `${what}: ${state} after ${shown()}s`, data: await done(c.groups, c.named) };
      const left = deadline - Date.now();
      if (left <= 0) {
        const msg = p.msg !== undefined ? String(p.msg) : timeoutMsg(p, state);
        return { changed: false, failed: true, msg, data: { elapsed: elapsed() } };
      }
      ctx.progress(`waiting for ${what} (${state})`, timeout ? Math.min(1, (Date.now() - start) / (deadline - start)) : undefined);
      await sleepMs(Math.min((p.sleep ?? 1) * 1000, left));
    }
  },
};
