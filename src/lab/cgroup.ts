/**
 * One cgroup per lab host. With --keep-unit and no systemd on the machine, nspawn uses the caller's
 * own cgroup and creates "payload"/"supervisor" below it: three containers started from the same
 * cgroup would share /payload, and their systemds then remove each other's unit cgroups (units fail
 * with 219/CGROUP). So each supervisor first moves itself into <current cgroup>/kvplay-lab-NAME in
 * the hierarchies systemd uses for tracking (name=systemd and the unified one). Controller (v1)
 * hierarchies are left alone, so resource accounting of the caller is unchanged.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HostDef, cgroupName } from './config.js';

const ROOT = '/sys/fs/cgroup';

/** Tracking-hierarchy directories of the current process: [mountpoint, path] pairs. */
export function trackingCgroups(procSelfCgroup?: string): string[] {
  const text = procSelfCgroup ?? readFileSync('/proc/self/cgroup', 'utf8');
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, id, ctrl, path] = m;
    let mount: string | undefined;
    if (id === '0' && ctrl === '') mount = existsSync(join(ROOT, 'cgroup.controllers')) ? ROOT : join(ROOT, 'unified');
    else if (ctrl === 'name=systemd') mount = join(ROOT, 'systemd');
    if (mount && existsSync(join(mount, 'cgroup.procs'))) out.push(join(mount, path));
  }
  return out;
}

const cgFile = (dir: string) => join(dir, 'cgroups');

/** Create the host's cgroups; returns their cgroup.procs files (for the supervisor) and records them. */
export function prepareCgroups(h: HostDef, hostDir: string): string[] {
  const dirs = trackingCgroups()
    .map((d) => join(d, cgroupName(h)))
    .filter((d) => !/\s/.test(d));
  for (const d of dirs) {
    removeEmptyTree(d, false);
    mkdirSync(d, { recursive: true });
  }
  writeFileSync(cgFile(hostDir), dirs.join('\n') + '\n');
  return dirs.map((d) => join(d, 'cgroup.procs'));
}

/** rmdir a cgroup tree bottom-up; a cgroup that still has processes stays. */
function removeEmptyTree(dir: string, self = true): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(dir, e);
    try {
      if (statSync(p).isDirectory()) removeEmptyTree(p);
    } catch {}
  }
  if (self)
    try {
      rmdirSync(dir);
    } catch {}
}

/** Remove the host's recorded cgroups (after its processes are gone). */
export function removeCgroups(h: HostDef, hostDir: string): void {
  let dirs: string[] = trackingCgroups().map((d) => join(d, cgroupName(h)));
  try {
    dirs = dirs.concat(readFileSync(cgFile(hostDir), 'utf8').split('\n').filter(Boolean));
  } catch {}
  for (const d of dirs) if (/\/kvplay-lab-[a-z0-9-]+$/.test(d)) removeEmptyTree(d);
}

/** Recorded cgroups of a host that still exist (for tests and `lab down` checks). */
export function leftoverCgroups(hostDir: string): string[] {
  try {
    return readFileSync(cgFile(hostDir), 'utf8').split('\n').filter((d) => d && existsSync(d));
  } catch {
    return [];
  }
}
