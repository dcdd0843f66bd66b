/**
 * Class labs: several container labs on one machine. `lab list` (state, subnet, memory of each),
 * `lab up --count N --prefix P` (a class: P1..PN, one after the other), `lab down --all`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOSTS, HostDef, paths, selectLab, selectedLab } from './config.js';
import { leftoverCgroups } from './cgroup.js';
import { hostPaths, hostRuntime } from './host.js';
import { Log, UpOptions, labDown, labStatus, labUp } from './lab.js';
import { knownLabs } from './registry.js';
import { withLock } from './sys.js';
import { vmPaths } from './vmconfig.js';

/** Run fn with lab `name` selected; the previous selection is restored afterwards. */
export async function onLab<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
  const before = selectedLab();
  selectLab(name);
  try {
    return await fn();
  } finally {
    selectLab(before);
  }
}

export interface Memory {
  /** resident set, KiB (shared pages counted in every process) */
  rssKiB: number;
  /** proportional set, KiB (shared pages split between the processes sharing them) */
  pssKiB: number;
  procs: number;
}

function cgroupPids(dir: string, out: Set<number>): void {
  try {
    for (const p of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (p) out.add(Number(p));
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) cgroupPids(join(dir, e.name), out);
  } catch {}
}

function smapsRollup(pid: number): { rss: number; pss: number } | null {
  try {
    const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(t)?.[1] ?? 0);
    return { rss: kb('Rss'), pss: kb('Pss') };
  } catch {
    return null;
  }
}

/**
 * Memory of a host of the selected lab: every process in its tracking cgroup (the container's
 * systemd, its services, libvirtd, the nested guest's QEMU) plus its supervisor and nspawn.
 */
export function hostMemory(h: HostDef): Memory {
  const pids = new Set<number>();
  const rt = hostRuntime(h);
  for (const p of [rt.supervisorPid, rt.nspawnPid]) if (p) pids.add(p);
  // one tracking hierarchy is enough: each holds the same processes
  const cg = leftoverCgroups(hostPaths(h).dir)[0];
  if (cg) cgroupPids(cg, pids);
  const m: Memory = { rssKiB: 0, pssKiB: 0, procs: 0 };
  for (const pid of pids) {
    const r = smapsRollup(pid);
    if (!r) continue;
    m.rssKiB += r.rss;
    m.pssKiB += r.pss;
    m.procs++;
  }
  return m;
}

export function labMemory(): Memory {
  const sum: Memory = { rssKiB: 0, pssKiB: 0, procs: 0 };
  for (const h of HOSTS) {
    const m = hostMemory(h);
    sum.rssKiB += m.rssKiB;
    sum.pssKiB += m.pssKiB;
    sum.procs += m.procs;
  }
  return sum;
}

export interface LabListEntry {
  name: string;
  up: boolean;
  running: number;
  subnet: string | null;
  bridge: string;
  stateDir: string;
  memory: Memory;
}

export async function listLabs(): Promise<LabListEntry[]> {
  const out: LabListEntry[] = [];
  for (const name of knownLabs())
    out.push(
      await onLab(name, () => {
        const s = labStatus();
        return { name, up: s.up, running: s.hosts.filter((h) => h.running).length, subnet: s.subnet, bridge: s.bridge, stateDir: s.stateDir, memory: labMemory() };
      }),
    );
  return out;
}

const mib = (kib: number) => `${Math.round(kib / 1024)} MiB`;

export function formatList(labs: LabListEntry[]): string {
  if (!labs.length) return 'no labs on this machine (kvplay lab up [--name NAME])';
  const rows = [['NAME', 'STATE', 'HOSTS', 'SUBNET', 'BRIDGE', 'MEMORY (PSS)', 'STATE DIR']];
  for (const l of labs)
    rows.push([l.name, l.up ? 'up' : l.running ? 'partial' : 'down', `${l.running}/${HOSTS.length}`, l.subnet ?? '-', l.bridge, mib(l.memory.pssKiB), l.stateDir]);
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]))).join('  '));
  const total = labs.reduce((a, l) => a + l.memory.pssKiB, 0);
  if (labs.length > 1) lines.push(`total memory (PSS) of ${labs.length} labs: ${mib(total)}`);
  if (existsSync(vmPaths.state())) lines.push('the VM lab has state here too: kvplay lab status --vm');
  return lines.join('\n');
}

/** `--count N --prefix P` -> P1..PN */
export function classNames(count: number, prefix: string): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
}

const secs = (ms: number) => (ms / 1000).toFixed(1) + ' s';

/**
 * Bring up the labs `names`, one after the other (each boot is CPU-bound on small machines; in
 * parallel they only contend). A lab that fails does not stop the others; returns the failures.
 */
export async function upMany(names: string[], log: Log, opts: UpOptions = {}): Promise<string[]> {
  const T = Date.now();
  const failed: string[] = [];
  for (const name of names) {
    const t = Date.now();
    log(`== lab ${name}`);
    try {
      await onLab(name, () => withLock(paths.lock(), () => labUp(log, opts)));
      log(`== lab ${name} up in ${secs(Date.now() - t)}`);
    } catch (e) {
      failed.push(name);
      log(`== lab ${name} FAILED: ${(e as Error).message}\n   (fresh hosts: kvplay lab reset --name ${name})`);
    }
  }
  log(`${names.length - failed.length} of ${names.length} labs up in ${secs(Date.now() - T)}${failed.length ? `; failed: ${failed.join(', ')}` : ''}`);
  return failed;
}

/** Take the labs `names` down (default: every lab with a state dir here); returns the failures. */
export async function downMany(log: Log, names: string[] = knownLabs()): Promise<string[]> {
  const T = Date.now();
  const failed: string[] = [];
  if (!names.length) log('no labs on this machine');
  for (const name of names) {
    log(`== lab ${name}`);
    try {
      await onLab(name, () => withLock(paths.lock(), () => labDown(log)));
    } catch (e) {
      failed.push(name);
      log(`== lab ${name} FAILED: ${(e as Error).message}`);
    }
  }
  if (names.length) log(`${names.length - failed.length} of ${names.length} labs down in ${secs(Date.now() - T)}${failed.length ? `; failed: ${failed.join(', ')}` : ''}`);
  return failed;
}
