/**
 * Benchmark plumbing shared by bench/run.ts (kvplay vs ansible-playbook) and bench/scale.ts:
 * loopback sshd fleets with an inventory both tools read, child runs measured with GNU time
 * (wall, user+sys of the child tree, max RSS) plus a sampled RSS sum of the process tree,
 * statistics, and the top self-time functions of a `node --cpu-prof` profile.
 */
import { spawn, execFileSync, execSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startSshd, type Sshd } from '../test/harness/sshd.js';

/** The repository root (works from bench/*.ts under tsx and from dist/bench/*.js). */
export const ROOT = (() => {
  let d = resolve(new URL('.', import.meta.url).pathname);
  while (!existsSync(join(d, 'package.json'))) d = resolve(d, '..');
  return d;
})();
export const BIN = join(ROOT, 'bin', 'kvplay.js');
export const WORKLOADS = join(ROOT, 'bench', 'workloads');

export function benchDir(prefix = 'kvplay-bench-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface Fleet {
  daemons: Sshd[];
  hosts: string[];
  inventory: string;
  knownHosts: string;
  work(host: string): string;
  /** An inventory of the first n hosts only. */
  inventoryFor(n: number): string;
  stop(): Promise<void>;
}

/**
 * `daemons` loopback sshd processes and `hosts` inventory aliases (host001...), assigned round
 * robin. Every alias has its own work dir under `dir`. The inventory is JSON (valid YAML, read by
 * kvplay and by Ansible's yaml plugin); host keys come from one known_hosts file named in
 * ansible_ssh_common_args (-o UserKnownHostsFile), which both tools honour.
 */
export async function startFleet(dir: string, daemons: number, hosts: number, extraConfig = '', readBashrc = false): Promise<Fleet> {
  const ds: Sshd[] = [];
  try {
    for (let i = 0; i < daemons; i++) ds.push(await startSshd({ extraConfig, readBashrc }));
  } catch (e) {
    await Promise.all(ds.map((d) => d.stop()));
    throw e;
  }
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, ds.map((d) => readFileSync(d.knownHostsFile, 'utf8')).join(''));
  const width = Math.max(3, String(hosts).length);
  const names = Array.from({ length: hosts }, (_, i) => `host${String(i + 1).padStart(width, '0')}`);
  const work = (h: string) => join(dir, 'hosts', h);
  const hv: Record<string, Record<string, unknown>> = {};
  names.forEach((h, i) => {
    const d = ds[i % ds.length];
    mkdirSync(work(h), { recursive: true });
    hv[h] = { ansible_host: '127.0.0.1', ansible_port: d.port, ansible_ssh_private_key_file: d.clientKey, work: work(h) };
  });
  const writeInventory = (n: number, file: string): string => {
    const inv = {
      all: {
        vars: {
          ansible_user: 'root',
          ansible_ssh_common_args: `-o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes`,
        },
        hosts: Object.fromEntries(names.slice(0, n).map((h) => [h, hv[h]])),
      },
    };
    writeFileSync(file, JSON.stringify(inv, null, 2) + '\n');
    return file;
  };
  const inventory = writeInventory(hosts, join(dir, 'inventory.yaml'));
  return {
    daemons: ds, hosts: names, inventory, knownHosts, work,
    inventoryFor: (n) => writeInventory(n, join(dir, `inventory-${n}.yaml`)),
    stop: async () => { await Promise.all(ds.map((d) => d.stop())); },
  };
}

/** Fresh, empty work dirs (so a converge run starts from nothing). */
export function resetWork(f: Fleet): void {
  for (const h of f.hosts) {
    rmSync(f.work(h), { recursive: true, force: true });
    mkdirSync(f.work(h), { recursive: true });
  }
}

export interface Measured {
  code: number;
  wallMs: number;
  /** user + sys of the child and every descendant it waited for (GNU time: getrusage(RUSAGE_CHILDREN)) */
  cpuMs: number;
  userMs: number;
  sysMs: number;
  /** ru_maxrss: the largest single process of the tree, KiB */
  maxRssKiB: number;
  /** sum of RSS over the live process tree, sampled every 100 ms (0 if the run was shorter) */
  treeRssKiB: number;
  /** CPU of the whole machine (all processes, incl. sshd and remote commands) during the run, ms */
  machineCpuMs: number;
  stdout: string;
  stderr: string;
}

/** Busy jiffies of all CPUs from /proc/stat, as ms. */
function machineBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const busy = line[0] + line[1] + line[2] + line[5] + line[6] + line[7];
  return (busy * 1000) / 100; // USER_HZ = 100 on Linux
}

function treeRssKiB(root: number): number {
  const kids = new Map<number, number[]>();
  for (const ent of readdirSync('/proc')) {
    if (!/^\d+$/.test(ent)) continue;
    try {
      const st = readFileSync(`/proc/${ent}/stat`, 'utf8');
      const ppid = Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid)!.push(Number(ent));
    } catch { /* gone */ }
  }
  let sum = 0;
  const walk = (p: number) => {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) sum += Number(m[1]);
    } catch { /* gone */ }
    for (const c of kids.get(p) ?? []) walk(c);
  };
  walk(root);
  return sum;
}

/** Run `cmd args` under /usr/bin/time and measure it. */
export function measure(cmd: string, args: string[], opts: { env?: Record<string, string>; cwd?: string; ulimitN?: number } = {}): Promise<Measured> {
  if (!existsSync('/usr/bin/time')) execFileSync('sh', ['-c', 'apt-get install -y -qq time >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq time)'], { stdio: 'inherit' });
  const dir = benchDir('kvplay-time-');
  const timeFile = join(dir, 'time');
  const timed = ['/usr/bin/time', '-f', '%e %U %S %M', '-o', timeFile, cmd, ...args];
  // a raised fd limit must be set in a shell before exec (Node cannot setrlimit a child)
  const argv = opts.ulimitN ? ['sh', '-c', `ulimit -n ${opts.ulimitN} && exec "$@"`, 'sh', ...timed] : timed;
  return new Promise((res, rej) => {
    const m0 = machineBusyMs();
    const t0 = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { cwd: opts.cwd ?? ROOT, env: { ...process.env, NO_COLOR: '1', ...(opts.env ?? {}) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peak = 0;
    const timer = setInterval(() => { if (child.pid) peak = Math.max(peak, treeRssKiB(child.pid)); }, 100);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) => { clearInterval(timer); rej(e); });
    child.on('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      clearInterval(timer);
      const machineCpuMs = machineBusyMs() - m0;
      let t: number[] = [];
      try { t = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number); } catch { /* killed */ }
      rmSync(dir, { recursive: true, force: true });
      const [, u = NaN, s = NaN, rss = NaN] = t;
      res({ code: code ?? -1, wallMs, cpuMs: (u + s) * 1000, userMs: u * 1000, sysMs: s * 1000, maxRssKiB: rss, treeRssKiB: peak, machineCpuMs, stdout, stderr });
    });
  });
}

/** kvplay from bin/ (dist), with extra node flags. */
export function kvplayRun(args: string[], nodeFlags: string[] = [], opts: { ulimitN?: number } = {}): Promise<Measured> {
  return measure(process.execPath, [...nodeFlags, BIN, ...args], opts);
}

/** Totals of the recap lines (kvplay and ansible-playbook print the same `host : ok=N changed=N ...`). */
export function recapTotals(stdout: string): { hosts: number; ok: number; changed: number; failed: number; unreachable: number } {
  const t = { hosts: 0, ok: 0, changed: 0, failed: 0, unreachable: 0 };
  for (const line of stdout.split('\n')) {
    if (!/\sok=\d+/.test(line) || !/unreachable=\d+/.test(line)) continue;
    t.hosts++;
    for (const k of ['ok', 'changed', 'failed', 'unreachable'] as const) t[k] += Number(new RegExp(`\\b${k}=(\\d+)`).exec(line)?.[1] ?? 0);
  }
  return t;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}
export const min = (xs: number[]) => Math.min(...xs);
export const max = (xs: number[]) => Math.max(...xs);

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 0)} ms`;
}
export const fmtMiB = (kib: number) => (Number.isFinite(kib) && kib > 0 ? `${(kib / 1024).toFixed(1)} MiB` : '-');

/** A plain text table, columns padded. */
export function table(rows: string[][]): string {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ')).join('\n');
}

export interface ProfileEntry { fn: string; where: string; selfMs: number; pct: number }

/** Top self-time functions of a .cpuprofile (samples x timeDeltas), and self time per source group. */
export function profileTop(file: string, n = 15): { top: ProfileEntry[]; groups: { group: string; selfMs: number; pct: number }[]; totalMs: number } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(p.nodes.map((x) => [x.id, x.callFrame]));
  const self = new Map<string, number>();
  const groups = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const us = p.timeDeltas[i] ?? 0;
    total += us;
    const cf = byId.get(id)!;
    const short = cf.url.replace(/^file:\/\//, '').replace(ROOT + '/', '');
    const key = `${cf.functionName || '(anonymous)'}\t${short ? `${short}:${cf.lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + us);
    const g = !short ? cf.functionName : short.startsWith('node:') ? 'node internals' : /node_modules\/([^/]+)/.exec(short)?.[1] ?? short.replace(/^dist\/src\/([^/]+)\/.*/, 'kvplay $1').replace(/^dist\/.*/, 'kvplay other');
    groups.set(g, (groups.get(g) ?? 0) + us);
  });
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, us]) => {
    const [fn, where] = k.split('\t');
    return { fn, where, selfMs: us / 1000, pct: (100 * us) / total };
  });
  const gs = [...groups.entries()].sort((a, b) => b[1] - a[1]).map(([group, us]) => ({ group, selfMs: us / 1000, pct: (100 * us) / total }));
  return { top, groups: gs, totalMs: total / 1000 };
}

/** Print the profile summary (used when a target is missed). */
export function printProfile(file: string, n = 15): void {
  const { top, groups, totalMs } = profileTop(file, n);
  console.log(`\nCPU profile ${file} (${fmtMs(totalMs)} sampled)`);
  console.log('self time by source:');
  console.log(table([['group', 'self', '%'], ...groups.slice(0, 12).map((g) => [g.group, fmtMs(g.selfMs), g.pct.toFixed(1)])]));
  console.log(`top ${n} functions by self time:`);
  console.log(table([['function', 'where', 'self', '%'], ...top.map((t) => [t.fn, t.where, fmtMs(t.selfMs), t.pct.toFixed(1)])]));
}

/** The newest .cpuprofile in dir. */
export function newestProfile(dir: string): string | undefined {
  const fs = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
  return fs.length ? join(dir, fs[fs.length - 1]) : undefined;
}

export function ansibleVersion(): string | null {
  try {
    return execFileSync('ansible-playbook', ['--version'], { encoding: 'utf8' }).split('\n')[0].trim();
  } catch {
    return null;
  }
}

/** Are these modules (collection names) installed? (`ansible-doc` finds them) */
function hasAnsibleModules(modules: string[]): boolean {
  return modules.every((m) => {
    try {
      execFileSync('ansible-doc', ['-t', 'module', '-j', m], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * ansible-playbook, installing Debian's `ansible` package (ansible-core plus the community
 * collections) when it is missing, or when `modules` (e.g. ansible.posix.firewalld) are: a host
 * with ansible-core alone has no collections.
 */
export function ensureAnsible(modules: string[] = []): string | null {
  let v = ansibleVersion();
  if (v && hasAnsibleModules(modules)) return v;
  console.log(`${v ? `ansible-playbook lacks ${modules.join(', ')}` : 'ansible-playbook not found'}: installing Debian package \`ansible\` (apt-get) ...`);
  try {
    execSync('DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ansible >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ansible >/dev/null)', { stdio: 'inherit' });
  } catch (e) {
    console.log(`could not install ansible: ${(e as Error).message.split('\n')[0]}`);
  }
  v = ansibleVersion();
  return v && hasAnsibleModules(modules) ? v : null;
}
