/** End-to-end helpers: real sshd hosts, inventories, and the real CLI in a child process. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startSshd, type Sshd } from '../harness/sshd.js';
import { refuseStaleDist } from '../harness/dist.js';

const here = resolve(new URL('../..', import.meta.url).pathname);
// the repository root: two folders up under tsx, three when compiled into dist/test/ (the benches import this)
export const ROOT = existsSync(join(here, 'package.json')) ? here : resolve(here, '..');
export const BIN = join(ROOT, 'bin', 'kvplay.js');
// every test that runs the CLI gets BIN from here: none runs a dist/ older than src/
refuseStaleDist(ROOT);

export interface Lab {
  sshd: Sshd;
  dir: string;
  inventory: string;
  hosts: string[];
  /** per-host work dir on the (loopback) host */
  work(host: string): string;
  stop(): Promise<void>;
}

/** One real sshd, `n` inventory aliases (host1..hostN), each with its own work dir. */
export async function startHosts(n = 3, extraHostVars: Record<string, unknown> = {}): Promise<Lab> {
  const sshd = await startSshd();
  const dir = mkdtempSync(join(tmpdir(), 'kvplay-e2e-'));
  const hosts = Array.from({ length: n }, (_, i) => `host${i + 1}`);
  const work = (h: string) => join(dir, 'hosts', h);
  for (const h of hosts) mkdirSync(work(h), { recursive: true });
  const inv = {
    all: {
      vars: {
        ansible_host: '127.0.0.1',
        ansible_port: sshd.port,
        ansible_user: 'root',
        ansible_ssh_private_key_file: sshd.clientKey,
        kvplay_known_hosts_file: sshd.knownHostsFile,
      },
      children: {
        web: { hosts: Object.fromEntries(hosts.slice(0, Math.max(1, n - 1)).map((h) => [h, { work: work(h), ...extraHostVars }])) },
        db: { hosts: Object.fromEntries(hosts.slice(Math.max(1, n - 1)).map((h) => [h, { work: work(h), ...extraHostVars }])) },
      },
    },
  };
  const inventory = join(dir, 'inventory.yaml');
  writeFileSync(inventory, JSON.stringify(inv, null, 2));
  return { sshd, dir, inventory, hosts, work, stop: () => sshd.stop() };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  events: any[];
}

/** Run the real CLI. With json: true, adds --json and parses the events. */
export function kvplay(args: string[], opts: { cwd?: string; env?: Record<string, string>; json?: boolean; input?: string } = {}): Promise<CliResult> {
  const full = opts.json ? [...args, '--json'] : args;
  return new Promise((res) => {
    const child = spawn(process.execPath, [BIN, ...full], { cwd: opts.cwd ?? ROOT, env: { ...process.env, NO_COLOR: '1', ...(opts.env ?? {}) }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // a CLI that exits before reading its stdin gives EPIPE here: the result says what happened
    child.stdin.on('error', () => {});
    child.on('error', (e) => (stderr += `\nspawn failed: ${e.message}`));
    child.stdin.end(opts.input ?? '');
    child.on('close', (code) => {
      const events = opts.json ? stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)) : [];
      res({ code: code ?? -1, stdout, stderr, events });
    });
  });
}

/** Write a playbook (YAML text) into dir and return its path. */
export function writePlaybook(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  mkdirSync(resolve(p, '..'), { recursive: true });
  writeFileSync(p, text);
  return p;
}

export function recapOf(events: any[]): Record<string, Record<string, number>> {
  const r = events.find((e) => e.kind === 'recap');
  return r ? r.hosts : {};
}

/** "task|host" -> status for every host_result (items folded: changed wins over ok). */
export function statuses(events: any[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of events) {
    if (e.kind !== 'host_result') continue;
    const k = `${e.task}|${e.host}`;
    if (out[k] === 'changed' || out[k] === 'failed') continue;
    out[k] = e.status;
  }
  return out;
}

export function totals(events: any[]): Record<string, number> {
  const t: Record<string, number> = { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0, rescued: 0, ignored: 0 };
  for (const c of Object.values(recapOf(events))) for (const [k, v] of Object.entries(c)) t[k] = (t[k] ?? 0) + v;
  return t;
}
